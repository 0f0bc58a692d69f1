"""The translation memory: every segment a person reviewed or approved, in a TMX 1.4b file beside the glossary."""

from __future__ import annotations

import functools
import os
import subprocess
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from . import __version__
from .atomic import write_bytes_atomic
from .document import Match, ReviewState, Segment
from .errors import TranslationMemoryError
from .files import parse_untrusted_xml, read_input
from .locking import segment_file_lock
from .provenance import memory_signature
from .terms import nfkc_fold

MEMORY_FILE = "memory.tmx"
DEFAULT_FUZZY_THRESHOLD = 75.0
TRANSLATOR_ENV = "LESHAN_PUB_TRANSLATOR"  # who is working; else git's user.name; else unknown
MEMORY_ENV = "LESHAN_PUB_MEMORY"  # a memory file to use instead of the one beside the glossary
SOURCE_LANGUAGE = "zh-CN"
TARGET_LANGUAGE = "en"
MAX_MEMORY_BYTES = 512 * 1024 * 1024
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_DATE = "%Y%m%dT%H%M%SZ"  # TMX 1.4b's date form
_MAX_CANDIDATES = 3
_RANK = {state: rank for rank, state in enumerate(ReviewState)}
# Chinese and Western quote marks, each folded to its ASCII form: quote style is the author's habit,
# not a different sentence. NFKC already folds the full-width ＂ and ＇.
_QUOTES = str.maketrans(
    {
        "“": '"', "”": '"', "„": '"', "‟": '"', "«": '"', "»": '"', "「": '"', "」": '"', "『": '"', "』": '"',
        "〝": '"', "〞": '"', "〟": '"', "‘": "'", "’": "'", "‚": "'", "‛": "'", "‹": "'", "›": "'",
    }
)


def match_key(source: str) -> str:
    """The form sources are matched by: NFKC (full-width digits and letters as ASCII), case folded,
    quote marks of any style alike, and no white space (Chinese has none between words)."""
    folded = nfkc_fold(source, casefold=True)[0].translate(_QUOTES)
    return "".join(folded.split())


def now_stamp() -> str:
    """The current UTC time in TMX's form (20261201T164633Z)."""
    return datetime.now(UTC).strftime(_DATE)


@functools.lru_cache(maxsize=1)
def _git_user() -> str:
    try:
        out = subprocess.run(["git", "config", "--get", "user.name"], capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return ""
    return out.stdout.strip() if out.returncode == 0 else ""


def translator_name() -> str:
    """Who is doing the work: $LESHAN_PUB_TRANSLATOR, else git's user.name, else '' (unknown)."""
    return os.environ.get(TRANSLATOR_ENV, "").strip() or _git_user()


def memory_path(
    explicit: Path | None, glossary_path: Path | None, default_glossary: Path, configured: Path | None = None
) -> Path:
    """Where the translation memory is: the --memory file, else $LESHAN_PUB_MEMORY, else the project's
    (configured: glossary.memory in leshan-pub.toml), else memory.tmx beside the glossary in use
    (glossary_path, or default_glossary when none is given).

    The one place the location is decided.
    """
    if explicit is not None:
        return explicit
    if os.environ.get(MEMORY_ENV):
        return Path(os.environ[MEMORY_ENV])
    if configured is not None:
        return configured
    return (glossary_path or default_glossary).parent / MEMORY_FILE


@dataclass(frozen=True)
class MemorySettings:
    """Which memory file to use (None: none) and from what score a fuzzy match is offered."""

    path: Path | None
    fuzzy_threshold: float = DEFAULT_FUZZY_THRESHOLD


@dataclass
class MemoryEntry:
    """One translation a person made: the Chinese, the English, its review state, and where and when."""

    source: str
    target: str
    state: ReviewState = ReviewState.REVIEWED
    document: str = ""
    segment_id: str = ""
    created: str = ""  # TMX dates, UTC; "" when unknown
    changed: str = ""
    who: str = ""  # "" when unknown

    @property
    def origin(self) -> str:
        """'document/segment id', or whichever of the two is known."""
        return "/".join(p for p in (self.document, self.segment_id) if p)


@dataclass
class MergeReport:
    """What merging entries into a memory did; conflicts name sources whose newer English was kept first."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    conflicts: list[str] = field(default_factory=list)


class TranslationMemory:
    """Entries keyed by (normalised source, English): one sentence may have several English versions,
    the most recently changed first."""

    def __init__(self, entries: Iterable[MemoryEntry] = ()) -> None:
        self.entries: list[MemoryEntry] = []
        self._index: dict[tuple[str, str], int] = {}
        self._by_key: dict[str, list[int]] = {}
        self._keys: list[str] = []
        for entry in entries:
            self.add(entry)

    def __len__(self) -> int:
        return len(self.entries)

    def add(self, entry: MemoryEntry) -> str:
        """Add or refresh an entry; return 'added', 'updated' or 'unchanged'.

        An entry with the same source and English takes the newer one's state, origin and time.
        """
        key = (match_key(entry.source), entry.target)
        at = self._index.get(key)
        if at is None:
            self._index[key] = len(self.entries)
            self._by_key.setdefault(key[0], []).append(len(self.entries))
            self.entries.append(entry)
            self._keys.append(key[0])
            return "added"
        old = self.entries[at]
        # English once approved stays recorded as approved: reusing it as an exact match (reviewed)
        # or seeing it from another document is the same work, and must not churn the file.
        # The same sentence in another width, spacing or quote style is the same entry too.
        state = max(old.state, entry.state, key=_RANK.__getitem__)
        if old.state is state:
            return "unchanged"
        if entry.changed and old.changed and entry.changed < old.changed:
            return "unchanged"  # an older copy of work the memory already holds
        self.entries[at] = replace(entry, source=old.source, state=state, created=old.created or entry.created)
        return "updated"

    def record(self, segments: Iterable[Segment], document: str, who: str | None = None) -> int:
        """Add every reviewed or approved segment with English; return how many entries changed."""
        return sum(self.add(entry) != "unchanged" for entry in human_entries(segments, document, who))

    def merge(self, entries: Iterable[MemoryEntry]) -> MergeReport:
        """Merge entries from another memory; never displaces newer English for the same source."""
        report = MergeReport()
        for entry in entries:
            rivals = [e for e in self.by_key(match_key(entry.source)) if e.target != entry.target]
            outcome = self.add(entry)
            setattr(report, outcome, getattr(report, outcome) + 1)
            if outcome == "added" and rivals:
                newest = max(rivals, key=lambda e: e.changed)
                if newest.changed >= entry.changed:
                    report.conflicts.append(
                        f"{entry.source[:30]!r}: kept {newest.target[:40]!r} ({newest.changed or 'undated'}) first; "
                        f"{entry.target[:40]!r} ({entry.changed or 'undated'}) added as an alternative"
                    )
        return report

    def by_key(self, key: str) -> list[MemoryEntry]:
        """The entries whose normalised source is key, the most recently changed first."""
        found = [self.entries[i] for i in self._by_key.get(key, [])]
        return sorted(found, key=lambda e: (e.changed, e.state is ReviewState.APPROVED), reverse=True)

    def matches(self, source: str, threshold: float = DEFAULT_FUZZY_THRESHOLD, limit: int = _MAX_CANDIDATES) -> list[Match]:
        """Candidates for source, best first: exact ones (score 100) then fuzzy ones scoring at least
        threshold (rapidfuzz's ratio on normalised sources); [] when nothing is close enough."""
        from rapidfuzz import fuzz, process

        key = match_key(source)
        if not key or not self.entries:
            return []
        exact = [Match(e.source, e.target, 100, e.origin) for e in self.by_key(key)]
        found = process.extract(key, self._keys, scorer=fuzz.ratio, score_cutoff=threshold, limit=limit * 4 + len(exact))
        fuzzy: list[Match] = []
        for _, score, index in sorted(found, key=lambda f: (-f[1], -len(self.entries[f[2]].changed or ""))):
            entry = self.entries[index]
            if self._keys[index] == key:
                continue
            fuzzy.append(Match(entry.source, entry.target, min(99, int(score)), entry.origin))
        unique = list(dict.fromkeys([*exact, *fuzzy]))
        return unique[:limit]


def human_entries(segments: Iterable[Segment], document: str, who: str | None = None) -> list[MemoryEntry]:
    """Memory entries for the reviewed and approved segments with English, stamped now and with who
    (default: translator_name())."""
    stamp, person = now_stamp(), translator_name() if who is None else who
    return [
        MemoryEntry(s.source, s.target, s.state, document, s.id, stamp, stamp, person)
        for s in segments if s.state.is_human and s.target.strip()
    ]


# --- leverage: memory matches for segments ------------------------------------------------------------


@dataclass
class LeverageReport:
    """How many segments an exact match filled (reviewed) and how many a fuzzy match pre-filled (draft)."""

    exact: int = 0
    fuzzy: int = 0


def leverage(segments: Sequence[Segment], memory: TranslationMemory, threshold: float) -> LeverageReport:
    """Fill new segments from the memory, and replace memory drafts a better match has come for, in place.

    An exact match is reused as reviewed, not approved: a person approves in context. The best
    fuzzy match is pre-filled as a machine-translated draft, recorded as segment.draft (its
    English, score and origin), with every candidate kept for CAT tools. A draft is replaced only
    by a match scoring higher (exact beats fuzzy); reviewed, approved and machine-translated
    segments are left as they are.
    """
    report = LeverageReport()
    for segment in segments:
        drafted = segment.is_fuzzy_draft
        if not (segment.state is ReviewState.NEW or drafted):
            continue
        found = memory.matches(segment.source, threshold)
        if not found:
            continue
        best = found[0]
        if drafted and best.score <= (segment.draft or segment.matches[0]).score:
            continue  # the same match, an equal one or a worse one: the draft stays as it was made
        notes = [n for n in segment.notes if not n.startswith(("exact match", "fuzzy match"))]
        segment.matches, segment.target, segment.draft = found, best.target, best
        segment.signature = memory_signature(best.score, best.target, __version__)
        segment.notes = [best.describe(), *notes]
        if best.score >= 100:
            segment.state = ReviewState.REVIEWED
            report.exact += 1
        else:
            segment.state = ReviewState.MACHINE
            report.fuzzy += 1
    return report


# --- TMX 1.4b -------------------------------------------------------------------------------------------


def render_tmx(memory: TranslationMemory | Iterable[MemoryEntry], source_language: str = SOURCE_LANGUAGE) -> bytes:
    """The entries as TMX 1.4b bytes (UTF-8): one <tu> each, with state, document and segment id as
    <prop>s and the person, where known, as creationid/changeid."""
    entries = memory.entries if isinstance(memory, TranslationMemory) else list(memory)
    root = ET.Element("tmx", {"version": "1.4"})
    ET.SubElement(
        root,
        "header",
        {
            "creationtool": "leshan-pub",
            "creationtoolversion": __version__,
            "segtype": "sentence",
            "o-tmf": "leshan-pub",
            "adminlang": "en",
            "srclang": source_language,
            "datatype": "plaintext",
        },
    )
    body = ET.SubElement(root, "body")
    for number, entry in enumerate(entries, 1):
        attrs = {"tuid": str(number)}
        for name, value in (("creationdate", entry.created), ("changedate", entry.changed),
                            ("creationid", entry.who), ("changeid", entry.who)):
            if value:
                attrs[name] = value
        tu = ET.SubElement(body, "tu", attrs)
        for name, value in (("x-state", str(entry.state)), ("x-document", entry.document),
                            ("x-segment-id", entry.segment_id)):
            if value:
                ET.SubElement(tu, "prop", {"type": name}).text = value
        for language, text in ((source_language, entry.source), (TARGET_LANGUAGE, entry.target)):
            tuv = ET.SubElement(tu, "tuv", {_XML_LANG: language})
            ET.SubElement(tuv, "seg").text = text
    ET.indent(root, space="  ")
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode").encode() + b"\n"


def parse_tmx(data: bytes, name: str = "translation memory") -> list[MemoryEntry]:
    """The entries of a TMX file (1.1 to 1.4b) from us or a CAT tool; <tu>s lacking Chinese or English
    are skipped. Raise TranslationMemoryError naming the position of bad or unsafe XML."""
    # TMX files carry <!DOCTYPE tmx SYSTEM "tmx14.dtd"> (translate-toolkit, Trados): a DTD is allowed,
    # never fetched; entities are still refused.
    root = parse_untrusted_xml(
        data, name, TranslationMemoryError, "restore it from git or re-export it", forbid_dtd=False
    )
    if root.tag != "tmx":
        raise TranslationMemoryError(f"{name}: root element is {root.tag!r}, not <tmx>; give a TMX file")
    header = root.find("header")
    source_language = (header.get("srclang", "") if header is not None else "").lower()
    if source_language in ("", "*all*"):
        source_language = "zh"
    entries: list[MemoryEntry] = []
    for tu in root.iterfind("body/tu"):
        texts: dict[str, str] = {}
        for tuv in tu.iterfind("tuv"):
            language = (tuv.get(_XML_LANG) or tuv.get("lang") or "").lower()
            seg = tuv.find("seg")
            if seg is not None:
                texts.setdefault(language, "".join(seg.itertext()))
        source = next((t for lang, t in texts.items() if lang.split("-")[0] == source_language.split("-")[0]), "")
        target = next((t for lang, t in texts.items() if lang.split("-")[0] == TARGET_LANGUAGE), "")
        if not source.strip() or not target.strip():
            continue
        props = {p.get("type", ""): p.text or "" for p in tu.iterfind("prop")}
        try:
            state = ReviewState(props.get("x-state", "reviewed"))
        except ValueError:
            state = ReviewState.REVIEWED
        if not state.is_human:
            state = ReviewState.REVIEWED  # a memory holds only people's work
        entries.append(
            MemoryEntry(
                source, target, state, props.get("x-document", ""), props.get("x-segment-id", ""),
                tu.get("creationdate", ""), tu.get("changedate", "") or tu.get("creationdate", ""),
                tu.get("changeid", "") or tu.get("creationid", ""),
            )
        )
    return entries


def read_memory(path: Path) -> TranslationMemory:
    """The memory in path; an empty one when the file does not exist yet."""
    if not path.exists() and not path.is_symlink():
        return TranslationMemory()
    data = read_input(path, TranslationMemoryError, "a translation memory (.tmx)", max_bytes=MAX_MEMORY_BYTES)
    if len(data) > MAX_MEMORY_BYTES:
        raise TranslationMemoryError(f"{path} is over {MAX_MEMORY_BYTES // 1024 // 1024} MB; give a translation memory")
    if not data.strip():
        return TranslationMemory()
    return TranslationMemory(parse_tmx(data, str(path)))


def write_memory(path: Path, memory: TranslationMemory) -> None:
    """Write the memory atomically (temporary file, then rename)."""
    write_bytes_atomic(path, render_tmx(memory))


def update_memory(path: Path, change: Callable[[TranslationMemory], int]) -> int:
    """Read the memory, apply change under its lock, and write it back when change reports entries changed."""
    with segment_file_lock(path):
        memory = read_memory(path)
        changed = change(memory)
        if changed:
            write_memory(path, memory)
    return changed


def record_segments(settings: MemorySettings | None, segments: Iterable[Segment], document: str) -> int:
    """Add the reviewed and approved segments to the memory file, if any; return how many entries changed."""
    human = [s for s in segments if s.state.is_human and s.target.strip()]
    if settings is None or settings.path is None or not human:
        return 0
    return update_memory(settings.path, lambda memory: memory.record(human, document))
