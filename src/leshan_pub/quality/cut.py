"""Notes an engine leaves on a segment it could not read or write whole, and QA's reading of them.

The notes travel with the segment (the segment file, XLIFF notes), so `check` finds them in any
later session: a source cut at the model's input limit lacks its end in the English, and an English
that reached the length limit may stop mid-word ("…in its pursuit of high-").
"""

from __future__ import annotations

from collections.abc import Iterable

_SOURCE = "source longer than the model's"
_ENGLISH = "English cut at the length limit"


def source_cut_note(limit: int) -> str:
    return f"{_SOURCE} {limit} input pieces; its end was not translated"


def english_cut_note(limit: int) -> str:
    return (
        f"{_ENGLISH} of {limit} pieces (the model had not finished the sentence); "
        "check its end against the source"
    )


def cut_notes(notes: Iterable[str]) -> list[str]:
    """The notes of a segment that say its source or its English was cut."""
    return [n for n in notes if n.startswith((_SOURCE, _ENGLISH))]
