"""Provenance signatures: how each English sentence was made, as one sacrebleu-style string.

A segment's signature reads, in this order (fields that do not apply are left out)::

    engine:transformers|model:Helsinki-NLP/opus-mt-zh-en@<commit>|beams:4|maxlen:auto|enf:1|gloss:<sha12>|origin:mt|text:<sha8>|v:0.1.0

`engine`, `model` (with `@revision` when known) and the engine's own decoding settings say which
machine made the English; `gloss` is the glossary it was made under; `origin` is mt, memory,
rule or person; `text` is a hash of the English as made, so an edit made anywhere (a CAT tool, an import,
a text editor) is seen as a person's work; `v` is the tool version. A document's signature is the
same string over all its segments: a field the machine-made segments disagree on reads `mixed`, and
origin counts each kind (`origin:mt=40+person=19`).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path, PureWindowsPath
from urllib.parse import quote, unquote

from .errors import ProvenanceError

MIXED = "mixed"
UNKNOWN = "unknown"
# Keys the signature itself defines; an engine's settings may not reuse them.
_RESERVED = frozenset(("engine", "model", "gloss", "origin", "text", "v"))
_KEY = re.compile(r"[a-z][a-z0-9-]*")
_ORIGIN_MIX = re.compile(r"[a-z]+=\d+(\+[a-z]+=\d+)*")
_SNAPSHOT = re.compile(r"models--(.+)")


class Origin(StrEnum):
    """Who made a segment's English: the model, the translation memory, or a person."""

    MT = "mt"
    MEMORY = "memory"
    RULE = "rule"  # made by rule, not by a model: figures, units and dates of a table cell
    PERSON = "person"


# Characters a value keeps as they are; every other one is percent-encoded (UTF-8), so that '|'
# (between fields), '@' (before the revision), '%' and spaces inside a value never shift a field.
_SAFE = "/:.-_~+=,;!*()'"


def _escape(value: str) -> str:
    return quote(value, safe=_SAFE)


def _unescape(value: str) -> str:
    return unquote(value)


def text_hash(english: str) -> str:
    """8 hex digits of the SHA-256 of the English (NFC, outer whitespace stripped)."""
    return hashlib.sha256(unicodedata.normalize("NFC", english.strip()).encode("utf-8")).hexdigest()[:8]


def glossary_tag(sha256: str | None) -> str:
    """The glossary as a signature shows it: its hash's first 12 hex digits, or 'none' without one."""
    return sha256[:12] if sha256 else "none"


def public_model_name(model: str) -> str:
    """The model as published metadata may name it: a hub id as it is, a local folder as 'local:NAME'.

    A folder inside the Hugging Face cache (.../models--org--name/snapshots/<commit>) is its hub id,
    so no path of the user's machine ever leaves it.
    """
    if not model:
        return ""
    windows = "\\" in model or re.match(r"[A-Za-z]:[\\/]", model) is not None
    local = Path(model).expanduser()
    # The same test the engine uses to tell a folder from a hub id (engines/models.py local_folder).
    if not windows and not (model.startswith((".", "/", "~")) or model.count("/") > 1 or local.exists()):
        return model
    path = PureWindowsPath(model) if windows else local.resolve()
    parts = [p for p in (path.parts[1:] if path.anchor else path.parts) if p]
    if len(parts) >= 3 and parts[-2] == "snapshots" and (hub := _SNAPSHOT.fullmatch(parts[-3])):
        return hub.group(1).replace("--", "/")
    return "local:" + (parts[-1] if parts else "model")


@dataclass(frozen=True)
class Signature:
    """How one segment's English was made (origin an Origin), or a whole document's (origin may be a mix).

    settings are the engine's decoding settings in the engine's order (beams, maxlen, enforcement...).
    """

    origin: str
    engine: str = ""
    model: str = ""
    revision: str = ""
    settings: tuple[tuple[str, str], ...] = field(default=())
    glossary: str = ""
    text: str = ""
    version: str = ""

    def __str__(self) -> str:
        return self.format()

    def format(self, short_revision: bool = False) -> str:
        """The signature string; short_revision keeps 12 hex digits of the model revision."""
        model = _escape(self.model)
        revision = self.revision[:12] if short_revision else self.revision
        pairs = [
            ("engine", self.engine),
            ("model", f"{model}@{_escape(revision)}" if model and revision else model),
            *self.settings,
            ("gloss", self.glossary),
            ("origin", self.origin),
            ("text", self.text),
            ("v", self.version),
        ]
        return "|".join(f"{key}:{value if key == 'model' else _escape(value)}" for key, value in pairs if value)

    def matches(self, english: str) -> bool:
        """True when english is the text this signature's machine made (or when it recorded no hash)."""
        return not self.text or self.text == text_hash(english)


def person(version: str) -> Signature:
    """The signature of a person's English: origin person and the tool version, no machine fields."""
    return Signature(origin=Origin.PERSON, version=version)


def parse_signature(text: str) -> Signature:
    """The Signature a string spells; raise ProvenanceError naming the part that is wrong."""
    values: dict[str, str] = {}
    settings: list[tuple[str, str]] = []
    for part in text.strip().split("|"):
        key, sep, value = part.partition(":")
        if not sep or not _KEY.fullmatch(key) or not value:
            raise ProvenanceError(f"provenance part {part!r} is not key:value; expected e.g. 'origin:mt'")
        if key in values or key in dict(settings):
            raise ProvenanceError(f"provenance key {key!r} appears twice")
        if key in _RESERVED:
            values[key] = value
        else:
            settings.append((key, _unescape(value)))
    origin = _unescape(values.get("origin", ""))
    if origin not in set(Origin) and origin not in (MIXED, UNKNOWN) and not _ORIGIN_MIX.fullmatch(origin):
        raise ProvenanceError(
            f"provenance origin {origin or '(missing)'!r} is not one of {', '.join(Origin)} (or a mix like mt=3+person=1)"
        )
    model, _, revision = values.get("model", "").partition("@")
    return Signature(
        origin=origin,
        engine=_unescape(values.get("engine", "")),
        model=_unescape(model),
        revision=_unescape(revision),
        settings=tuple(settings),
        glossary=_unescape(values.get("gloss", "")),
        text=_unescape(values.get("text", "")),
        version=_unescape(values.get("v", "")),
    )


def machine_signature(
    origin: Origin,
    engine: str,
    model: str,
    revision: str,
    settings: Mapping[str, str],
    glossary_sha256: str | None,
    english: str,
    version: str,
) -> Signature:
    """The signature of English a machine (origin mt) or the memory made; model is published as public_model_name."""
    clash = sorted(set(settings) & _RESERVED)
    if clash:
        raise ValueError(f"engine settings may not use the signature's own keys: {', '.join(clash)}")
    return Signature(
        origin=origin,
        engine=engine,
        model=public_model_name(model),
        revision=revision,
        settings=tuple((k, str(v)) for k, v in settings.items()),
        glossary=glossary_tag(glossary_sha256),
        text=text_hash(english),
        version=version,
    )


def memory_signature(score: int, english: str, version: str) -> Signature:
    """The signature of English the translation memory supplied: origin memory, the match score (100 exact)."""
    return Signature(origin=Origin.MEMORY, settings=(("match", str(score)),), text=text_hash(english), version=version)


def rule_signature(english: str, version: str) -> Signature:
    """The signature of English a rule made (a table cell of figures, units or dates): origin rule, no model."""
    return Signature(origin=Origin.RULE, text=text_hash(english), version=version)


def attribute(signature: Signature | None, english: str, version: str) -> Signature | None:
    """The signature a segment's English carries now: a machine's whose English was since edited is a person's."""
    if signature is None or signature.origin == Origin.PERSON or signature.matches(english):
        return signature
    return person(version)


def after_edit(signature: Signature | None, before: str, after: str, version: str) -> Signature | None:
    """The signature once a person sets a segment's English from before to after: unchanged English keeps
    how it was made (approving is not writing); changed English is the person's; no English has none."""
    if not after.strip():
        return None
    return signature if after == before else person(version)


def _agreed(values: Iterable[str]) -> str:
    distinct = set(values)
    return distinct.pop() if len(distinct) == 1 else (MIXED if distinct else "")


def document_signature(signatures: Iterable[Signature | None]) -> Signature:
    """One signature for a whole document: machine fields where every machine-made segment agrees, else
    'mixed'; origin counts each kind (segments with no signature count as unknown)."""
    signatures = list(signatures)
    counts = Counter(s.origin if s is not None else UNKNOWN for s in signatures)
    made = [s for s in signatures if s is not None and s.origin != Origin.PERSON]
    order = [*Origin, UNKNOWN]
    origin = "+".join(f"{kind}={counts[kind]}" for kind in order if counts[kind])
    if len(counts) == 1:
        origin = next(iter(counts))
    keys = list(dict.fromkeys(k for s in made for k, _ in s.settings))
    settings = tuple((k, _agreed(dict(s.settings).get(k, "") for s in made)) for k in keys)
    return Signature(
        origin=origin,
        engine=_agreed(s.engine for s in made),
        model=_agreed(s.model for s in made),
        revision=_agreed(s.revision for s in made) if len({s.model for s in made}) == 1 else "",
        settings=settings,
        glossary=_agreed(s.glossary for s in made),
        version=_agreed(s.version for s in signatures if s is not None),
    )


__all__ = [
    "Origin",
    "after_edit",
    "ProvenanceError",
    "Signature",
    "attribute",
    "document_signature",
    "glossary_tag",
    "machine_signature",
    "memory_signature",
    "parse_signature",
    "person",
    "public_model_name",
    "text_hash",
]
