"""Inline emphasis as marks beside the text: clipping, joining, styled runs, and placing it in English."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from .document import Emphasis, Mark, Segment
from .terms import Glossary, TermHit

Marked = tuple[str, tuple[Mark, ...]]
UNPLACED_NOTE = "emphasis: {style} on '{text}' is not placed in the English; set it when reviewing"


def normalise(marks: Iterable[Mark], length: int) -> tuple[Mark, ...]:
    """Marks inside [0, length), non-empty, sorted, and overlapping or touching marks of one style merged."""
    marks = list(marks)
    merged: list[Mark] = []
    for style in Emphasis:
        spans = sorted((max(0, m.start), min(length, m.end)) for m in marks if m.style is style)
        current: list[int] | None = None
        for start, end in spans:
            if end <= start:
                continue
            if current is not None and start <= current[1]:
                current[1] = max(current[1], end)
                continue
            if current is not None:
                merged.append(Mark(current[0], current[1], style))
            current = [start, end]
        if current is not None:
            merged.append(Mark(current[0], current[1], style))
    return tuple(sorted(merged))


def clip(marks: Iterable[Mark], start: int, end: int) -> tuple[Mark, ...]:
    """The marks over text[start:end], shifted so that start is 0; a mark crossing a bound is cut there."""
    return normalise((Mark(m.start - start, m.end - start, m.style) for m in marks), end - start)


def shift(marks: Iterable[Mark], offset: int) -> tuple[Mark, ...]:
    """The marks moved offset characters to the right."""
    return tuple(Mark(m.start + offset, m.end + offset, m.style) for m in marks)


def join(pieces: Sequence[Marked], separator: str = "") -> Marked:
    """Texts joined with separator, their marks moved to where each text lands."""
    text_parts: list[str] = []
    marks: list[Mark] = []
    position = 0
    for i, (text, piece_marks) in enumerate(pieces):
        if i:
            text_parts.append(separator)
            position += len(separator)
        text_parts.append(text)
        marks += shift(piece_marks, position)
        position += len(text)
    return "".join(text_parts), normalise(marks, position)


def strip(text: str, marks: Iterable[Mark]) -> Marked:
    """text without surrounding white space, its marks clipped to what is left."""
    start = len(text) - len(text.lstrip())
    end = len(text.rstrip())
    return text[start:end], clip(marks, start, end) if end > start else ()


def styled_runs(text: str, marks: Iterable[Mark]) -> list[tuple[str, frozenset[Emphasis]]]:
    """text cut where emphasis changes: (piece, its styles); one piece with no styles when unmarked."""
    marks = normalise(marks, len(text))
    if not marks:
        return [(text, frozenset())] if text else []
    cuts = sorted({0, len(text), *(m.start for m in marks), *(m.end for m in marks)})
    runs: list[tuple[str, frozenset[Emphasis]]] = []
    for start, end in zip(cuts, cuts[1:]):
        styles = frozenset(m.style for m in marks if m.start <= start and end <= m.end)
        if runs and runs[-1][1] == styles:
            runs[-1] = (runs[-1][0] + text[start:end], styles)
        else:
            runs.append((text[start:end], styles))
    return runs


def marks_of_runs(runs: Iterable[tuple[str, Iterable[Emphasis]]]) -> Marked:
    """The inverse of styled_runs: pieces with their styles back to text and marks."""
    parts: list[str] = []
    marks: list[Mark] = []
    position = 0
    for piece, styles in runs:
        marks += [Mark(position, position + len(piece), style) for style in styles]
        parts.append(piece)
        position += len(piece)
    return "".join(parts), normalise(marks, position)


def place_in_target(segment: Segment, glossary: Glossary | None) -> tuple[tuple[Mark, ...], list[str]]:
    """Emphasis for a machine translation of segment, and a note for each mark it cannot place.

    A mark over the whole sentence covers the whole English; a mark over exactly a glossary
    term covers that term's English where it stands. Any other emphasis is left for the
    translator, who sees where it was in the source (a model does not say which words match).
    """
    target, source = segment.target, segment.source
    placed: list[Mark] = []
    notes: list[str] = []
    body = source.strip()
    hits = glossary.find(source) if glossary is not None else []
    for mark in normalise(segment.source_marks, len(source)):
        marked = source[mark.start : mark.end]
        if marked.strip() and marked.strip() == body:
            start = len(target) - len(target.lstrip())
            placed.append(Mark(start, len(target.rstrip()), mark.style))
            continue
        span = _term_span(target, mark, hits)
        if span is not None:
            placed.append(Mark(span[0], span[1], mark.style))
        else:
            notes.append(UNPLACED_NOTE.format(style=mark.style, text=marked))
    return normalise(placed, len(target)), notes


def _term_span(target: str, mark: Mark, hits: Sequence[TermHit]) -> tuple[int, int] | None:
    """Where the English of the glossary term under mark stands in target; None when it does not."""
    lowered = target.casefold()
    for hit in hits:
        if (hit.start, hit.end) != (mark.start, mark.end):
            continue
        for english in hit.term.accepted:
            found = lowered.find(english.casefold())
            if found >= 0:
                return found, found + len(english)
    return None
