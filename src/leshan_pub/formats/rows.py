"""What a row of an exchange file carries: the edit a translator brings back, and the base fingerprint."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from ..chars import NOT_XML
from ..document import ReviewState, Segment, Unit
from ..terms import Glossary, Term


@dataclass(kw_only=True)
class Edit(Unit):
    """One row or trans-unit of an import file, already checked on its own: a unit, and where it stands in its file."""

    where: str = ""  # "line 4 (id 's2')" or "trans-unit 's2'", for messages
    base: str = ""  # the fingerprint of the English the export carried; "" for files from elsewhere
    renumbered: str = ""  # the id the file gave, when it was not the segment file's and the sentence said which
    # Whether the file says what its target_marks and comments are: XLIFF carries emphasis as <g> tags,
    # a CSV cannot (new English from one keeps none); only the review page sets comments.
    carries_marks: bool = False
    carries_comments: bool = False


def fingerprint(state: ReviewState, target: str) -> str:
    """A short hash of a unit's state and English, written into exports as 'base' so an import can
    tell an untouched row, and an export older than the segment file's human work."""
    return hashlib.sha256(f"{state}\n{target}".encode()).hexdigest()[:16]


def glossary_terms(segment: Segment, glossary: Glossary | None) -> list[Term]:
    """The glossary terms found in segment's Chinese, each once, for an export's notes."""
    if glossary is None:
        return []
    return list(dict.fromkeys(hit.term for hit in glossary.find(segment.source)))


def target_problem(where: str, target: str, state: ReviewState) -> str | None:
    """What is wrong with target as English of state, for a message naming where; None when nothing."""
    if state is not ReviewState.NEW and not target.strip():
        return f"{where}: state {state} needs English in the target; add it or set the state to new"
    bad = NOT_XML.search(target)
    if bad:
        return f"{where}: target holds control character U+{ord(bad.group()):04X}, which XML cannot store; remove it"
    return None
