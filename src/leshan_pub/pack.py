"""Investor packs: several articles bound as one PDF and DOCX, described by arguments or a `[pack]` TOML table."""

from __future__ import annotations

import datetime
import sys
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .document import Pack
from .errors import InputError
from .files import read_input
from .dates import build_moment
from .formats.segfile import read_segment_file

if TYPE_CHECKING:
    from .publish import PublishOptions
    from .glossary_in_use import GlossaryInUse
    from .terms import Glossary

DEFAULT_OUT = Path("output/pack.pdf")
_KEYS = (
    "title", "subtitle", "organisation", "date", "articles", "out", "layout", "page_size", "formats", "glossary",
    "glossary_order",
)
_PATH_KEYS = ("out", "glossary")


@dataclass(frozen=True)
class PackSpec:
    """How to build a pack: cover facts, the articles in order, where to write, and how.

    Paths are as given on the command line, or relative to the TOML file they came from.
    None means "not said": the command line's value, or the default, applies.
    """

    title: str = ""
    articles: tuple[Path, ...] = ()
    subtitle: str = ""
    organisation: str = ""
    date: str = ""  # printed on the cover; "" prints the build's day (SOURCE_DATE_EPOCH's when set)
    out: Path | None = None
    layout: str | None = None
    page_size: str | None = None
    formats: tuple[str, ...] | None = None
    glossary: Path | None = None
    glossary_order: str | None = None  # pinyin, english or first-use (publish.GLOSSARY_ORDERS)
    source: Path | None = field(default=None, compare=False)  # the TOML file, for messages

    def merged(self, **overrides: Any) -> PackSpec:
        """This spec with every override that is not None or empty put in place."""
        return replace(self, **{k: v for k, v in overrides.items() if v not in (None, "", ())})


def load_pack_spec(path: Path) -> PackSpec:
    """The `[pack]` table of a TOML file (a pack file of its own, or the project's leshan-pub.toml).

    Raise InputError for a missing file, bad TOML, a missing table, an unknown key or a value
    of the wrong type, naming the key and what to write.
    """
    data = read_input(path, InputError, "a TOML file with a [pack] table")
    try:
        document = tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise InputError(f"{path}: not valid TOML ({exc}); fix the file") from None
    table = document.get("pack")
    if not isinstance(table, dict):
        raise InputError(f'{path} has no [pack] table; add one with at least title = "..." and articles = ["..."]')
    unknown = sorted(set(table) - set(_KEYS))
    if unknown:
        raise InputError(f"{path}: [pack] has unknown key(s) {', '.join(unknown)}; known keys are {', '.join(_KEYS)}")
    base = path.parent
    values: dict[str, Any] = {"source": path}
    for key, value in table.items():
        if key == "articles":
            if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
                raise InputError(f'{path}: [pack] articles must be a list of file names, e.g. articles = ["a.zh.txt"]')
            values[key] = tuple(base / v for v in value)
        elif key == "formats":
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise InputError(f'{path}: [pack] formats must be a list, e.g. formats = ["pdf", "docx"]')
            values[key] = tuple(value)
        elif key == "date":
            if not isinstance(value, (str, datetime.date)):
                raise InputError(f'{path}: [pack] date must be a date (date = 2026-12-31) or text')
            values[key] = value.isoformat() if isinstance(value, datetime.date) else value
        elif not isinstance(value, str):
            raise InputError(f"{path}: [pack] {key} must be text in quotes, not {type(value).__name__}")
        else:
            values[key] = base / value if key in _PATH_KEYS else value
    return PackSpec(**values)


def read_pack(spec: PackSpec, today: datetime.date | None = None) -> Pack:
    """The pack's documents from each article's segment file (an article path or the .zh-en.xlf itself).

    Raise InputError when the spec has no title or no articles, names an article twice, or an
    article has no segment file yet (segment and translate it first).
    """
    from .pipeline import attach_pictures, resolve_segment_file

    where = f"{spec.source}: " if spec.source else ""
    if not spec.title.strip():
        raise InputError(f"{where}a pack needs a title; pass --title or set title in the [pack] table")
    if not spec.articles:
        raise InputError(f"{where}a pack needs at least one article; name them, or list them in articles = [...]")
    segment_files = [resolve_segment_file(a) for a in spec.articles]
    seen: set[Path] = set()
    for article, segfile in zip(spec.articles, segment_files):
        if segfile.resolve() in seen:
            raise InputError(f"{where}{article} is in the pack twice (segment file {segfile}); list each article once")
        seen.add(segfile.resolve())
        if not segfile.exists():
            raise InputError(
                f"{article}: no segment file {segfile}; run `leshan-pub build {article}` (or segment and translate) first"
            )
    documents = [read_segment_file(s) for s in segment_files]
    for article, document in zip(spec.articles, documents):
        attach_pictures(document, article)
    date = spec.date or (today or build_moment().date()).isoformat()
    return Pack(spec.title.strip(), documents, spec.subtitle.strip(), spec.organisation.strip(), date)


def build_pack(
    spec: PackSpec, glossary: Glossary | None, options: PublishOptions, formats: tuple[str, ...] = ("pdf", "docx"),
    in_use: GlossaryInUse | None = None,
) -> list[Path]:
    """Bind the spec's articles into one file per format; with options.final, the final gate judges
    them all first (terms enforced, every segment approved and QA-clean). Return the paths written.

    in_use says whether the glossary's terms are enforced (default: glossary as given, None meaning none on purpose).
    """
    from .final import final_gate, stale_article, stale_message
    from .glossary_in_use import GlossaryInUse
    from .pipeline import resolve_segment_file
    from .publish import publish_pack

    pack = read_pack(spec)
    segment_files = [resolve_segment_file(a) for a in spec.articles]
    if options.final:
        final_gate(pack.documents, in_use or GlossaryInUse.given(glossary), segment_files)
    else:
        for document, segfile in zip(pack.documents, segment_files):
            if (article := stale_article(segfile, document)) is not None:
                print(f"leshan-pub: warning: {stale_message(article, segfile)}", file=sys.stderr)
    return publish_pack(pack, glossary, spec.out or DEFAULT_OUT, spec.formats or formats, options)
