"""The translation memory: every segment a person reviewed or approved, in a TMX 1.4b file beside the glossary."""

from __future__ import annotations

import functools
import os
import subprocess
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from . import __version__
from .atomic import write_bytes_atomic
from .document import Match, ReviewState, Segment
from .errors import TranslationMemoryError
from .files import read_input
from .formats import tmx
from .formats.tmx_entries import (
    SOURCE_LANGUAGE, MemoryEntry, english_with_codes, entries_of, new_memory_file, now_stamp, render_entries,
)
from .locking import segment_file_lock
from .provenance import memory_signature

MEMORY_FILE = "memory.tmx"
DEFAULT_FUZZY_THRESHOLD = 75.0
TRANSLATOR_ENV = "LESHAN_PUB_TRANSLATOR"  # who is working; else git's user.name; else unknown
MEMORY_ENV = "LESHAN_PUB_MEMORY"  # a memory file to use instead of the one beside the glossary
MAX_MEMORY_BYTES = 512 * 1024 * 1024
_MAX_CANDIDATES = 3
_CODES_NOTE = "inline codes removed"
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
    # The whole string at once: a memory of 100,000 units is keyed in well under a second.
    folded = unicodedata.normalize("NFKC", source).casefold().translate(_QUOTES)
    return "".join(folded.split())


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
        self.file: tmx.TmxFile | None = None  # the file the memory was read from; None when new
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
        self.entries[at] = replace(
            entry, source=old.source, state=state, created=old.created or entry.created,
            tu=old.tu, read_as=old.read_as, languages=old.languages, tool=old.tool, codes=old.codes,
        )
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

    def render(self, source_language: str = SOURCE_LANGUAGE) -> bytes:
        """The memory as TMX bytes: the file it was read from, its changed units updated in place (only
        what changed), then a unit for each entry new to it (made here, or merged from another file).
        When no unit read changed, the new ones are spliced in and the rest is copied byte for byte."""
        if self.file is None:
            self.file = new_memory_file(source_language)
        return render_entries(self.file, self.entries, source_language)

    def with_codes(self, match: Match) -> str:
        """The English of match's entry with its inline codes shown ({1}…{/1}), '' when it had none."""
        at = self._index.get((match_key(match.source), match.target))
        entry = self.entries[at] if at is not None else None
        return english_with_codes(entry) if entry is not None else ""

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
        MemoryEntry(s.id, s.source, s.target, s.state, document=document, created=stamp, changed=stamp, who=person)
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
        notes = [n for n in segment.notes if not n.startswith(("exact match", "fuzzy match", _CODES_NOTE))]
        segment.matches, segment.target, segment.draft = found, best.target, best
        segment.signature = memory_signature(best.score, best.target, __version__)
        shown = memory.with_codes(best)
        # Another tool's formatting codes mean nothing here: the English comes without them, and says so.
        coded = [f"{_CODES_NOTE} from the memory's English; it read: {shown}"] if shown else []
        segment.notes = [best.describe(), *coded, *notes]
        if best.score >= 100:
            segment.state = ReviewState.REVIEWED
            report.exact += 1
        else:
            segment.state = ReviewState.MACHINE
            report.fuzzy += 1
    return report


def render_tmx(memory: TranslationMemory | Iterable[MemoryEntry], source_language: str = SOURCE_LANGUAGE) -> bytes:
    """The memory as TMX 1.4b bytes (UTF-8): the units of the file it was read from as they were read
    (changed only where an entry changed), then one new <tu> per entry made here, with state,
    document and segment id as <prop>s and the person, where known, as creationid/changeid."""
    if isinstance(memory, TranslationMemory):
        return memory.render(source_language)
    return TranslationMemory(memory).render(source_language)


def parse_tmx(data: bytes, name: str = "translation memory", merged: bool = False) -> list[MemoryEntry]:
    """The entries of a TMX file (1.1 to 1.4b) from us or a CAT tool; <tu>s lacking Chinese or English
    are skipped. merged: the units are leaving their file for our memory, so what its header said
    goes onto each. Raise TranslationMemoryError naming the position of bad or unsafe XML."""
    return entries_of(tmx.parse(data, name), merged)


def read_memory(path: Path) -> TranslationMemory:
    """The memory in path; an empty one when the file does not exist yet."""
    if not path.exists() and not path.is_symlink():
        return TranslationMemory()
    data = read_input(path, TranslationMemoryError, "a translation memory (.tmx)", max_bytes=MAX_MEMORY_BYTES)
    if len(data) > MAX_MEMORY_BYTES:
        raise TranslationMemoryError(f"{path} is over {MAX_MEMORY_BYTES // 1024 // 1024} MB; give a translation memory")
    if not data.strip():
        return TranslationMemory()
    file = tmx.parse(data, str(path))
    memory = TranslationMemory(entries_of(file))
    memory.file = file
    return memory


def write_memory(path: Path, memory: TranslationMemory) -> None:
    """Write the memory atomically (temporary file, then rename). Units of the file it was read from
    that did not change are kept as written; when only new entries came, they are spliced in before
    </body> and the rest of the file is copied byte for byte, not written anew."""
    write_bytes_atomic(path, memory.render())


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
