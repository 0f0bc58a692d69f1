"""Blocks to segments: Chinese sentence splitting and stable, content-derived segment ids."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable

from .document import Block, Role, Segment
from .emphasis import clip
from .rules import load_rules

# Prose is split into sentences; titles, headings, captions, credits and table cells stay whole.
_SPLIT_ROLES = frozenset({Role.PARAGRAPH, Role.LIST, Role.NOTE})


def segmenter_version() -> str:
    """The version of the splitting rules; segment files record it."""
    return str(load_rules("segment")["segmenter_version"])


def split_sentences(text: str) -> list[str]:
    """The sentences of a Chinese paragraph, closing quotes and brackets kept on the sentence they close.

    Joined, the sentences give back text without its surrounding white space; [] for blank text.
    """
    rules = load_rules("segment")
    enders, closers, no_break = set(rules["enders"]), set(rules["closers"]), set(rules["no_break_before"])
    sentences: list[str] = []
    start, i, n = 0, 0, len(text)
    while i < n:
        if text[i] not in enders:
            i += 1
            continue
        while i < n and text[i] in enders:
            i += 1
        while i < n and text[i] in closers:
            i += 1
        j = i
        while j < n and text[j].isspace():
            j += 1
        if j < n and text[j] in no_break:
            continue
        sentences.append(text[start:i])
        start = i
    sentences.append(text[start:])
    return [s.strip() for s in sentences if s.strip()]


def segment_id(source: str, occurrence: int) -> str:
    """A stable id from the source text alone, so editing one sentence changes only its own id.

    The n-th repeat of an identical sentence gets the suffix -n.
    """
    digest = hashlib.sha256(unicodedata.normalize("NFC", source).encode("utf-8")).hexdigest()[:10]
    return f"s{digest}" if occurrence == 1 else f"s{digest}-{occurrence}"


# Spans of a text that a cut must not enter: glossary.find's hits, as (start, end).
TermSpans = Callable[[str], Iterable[tuple[int, int]]]
# Figures and Latin words: "1,234.5", "12.5%", "２０２５", "Li-ion".
_UNCUTTABLE = re.compile(r"[0-9０-９]+(?:[.,．][0-9０-９]+)*[%％]?|[A-Za-z]+(?:[-'’][A-Za-z]+)*")


def split_long(text: str, terms: TermSpans | None = None) -> list[str]:
    """text, when longer than max_characters (segment.toml), cut into pieces of at most
    piece_characters that join back to it.

    Each cut falls after the last clause mark that leaves a piece of at least min_characters, else
    after the last space, else at the last word boundary (rjieba), else at the limit; a cut that
    would fall inside a number, a Latin word or a glossary term (terms gives their spans) moves
    to its start, or past its end when it starts the piece. Text within max_characters comes back whole.
    """
    rules = load_rules("segment")
    if len(text) <= int(rules["max_characters"]):
        return [text]
    limit, least, clause = int(rules["piece_characters"]), int(rules["min_characters"]), set(rules["clause_marks"])
    guarded = [(m.start(), m.end()) for m in _UNCUTTABLE.finditer(text)]
    guarded += [(start, end) for start, end in (terms(text) if terms else ()) if end - start > 1]
    inside = [False] * (len(text) + 1)  # inside[k]: a cut before text[k] would split a guarded span
    for start, end in guarded:
        for k in range(start + 1, end):
            inside[k] = True
    pieces: list[str] = []
    start = 0
    while len(text) - start > limit:
        cut = _cut(text, start, limit, least, clause, inside)
        pieces.append(text[start:cut])
        start = cut
    pieces.append(text[start:])
    return pieces


def _cut(text: str, start: int, limit: int, least: int, clause: set[str], inside: list[bool]) -> int:
    """Where the piece starting at start ends (see split_long)."""
    end = start + limit
    allowed = [k for k in range(start + 1, end + 1) if not inside[k]]
    for fits in (
        lambda k: k - start >= least and text[k - 1] in clause,
        lambda k: k - start >= least and text[k - 1].isspace() and not text[k].isspace(),
    ):
        found = [k for k in allowed if fits(k)]
        if found:
            return found[-1]
    from .words import WordBreaks  # the dictionary loads only when a run is this long

    words = WordBreaks()(text[start:end + 1])
    found = [k for k in allowed if k - start in words and k - start >= least]
    if found:
        return found[-1]
    if allowed:
        return allowed[-1]
    # A guarded span longer than the limit (a 200-digit number): cut at the limit all the same.
    return end


def segment_blocks(blocks: Iterable[Block], terms: TermSpans | None = None) -> list[Segment]:
    """Segments of every block in document order; paragraphs split into sentences, other roles whole,
    and any piece over max_characters cut by split_long (terms: the glossary's spans, kept whole)."""
    seen: Counter[str] = Counter()
    segments: list[Segment] = []
    for block in blocks:
        pieces = split_sentences(block.text) if block.role in _SPLIT_ROLES else [block.text.strip()]
        pieces = [part.strip() for piece in pieces for part in split_long(piece, terms) if part.strip()]
        position = 0
        for source in pieces:
            # Each piece is a stretch of the block's text: its emphasis is the block's, cut to it.
            start = block.text.find(source, position)
            position = start + len(source)
            seen[source] += 1
            segments.append(
                Segment(
                    id=segment_id(source, seen[source]), block=block.index, role=block.role, source=source,
                    source_marks=clip(block.marks, start, position) if block.marks else (), cell=block.cell,
                )
            )
    return segments
