"""Blocks to segments: Chinese sentence splitting and stable, content-derived segment ids."""

from __future__ import annotations

import hashlib
import unicodedata
from collections import Counter
from collections.abc import Iterable

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


def segment_blocks(blocks: Iterable[Block]) -> list[Segment]:
    """Segments of every block in document order; paragraphs split into sentences, other roles whole."""
    seen: Counter[str] = Counter()
    segments: list[Segment] = []
    for block in blocks:
        pieces = split_sentences(block.text) if block.role in _SPLIT_ROLES else [block.text.strip()]
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
