"""Glossary term verification on finished English: whole-word term counts, missing terms and why, forbidden renderings.

This is the one place a term is counted: the engines, the pipeline's notes, `check`, term success and
the benchmarks all call it, so a term that is only the start of a longer word counts nowhere.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from ..forms import term_forms
from ..terms import Term, TermHit, nfkc_fold


def is_word_character(ch: str) -> bool:
    """True for a Latin letter (accented ones too), a digit or a connector ('_'): what may not touch a
    term on either side. 'stack__BBB' reads as one word, as 'stackBBB' does, not as 'stack'."""
    if ch.isdigit() or unicodedata.category(ch) == "Pc":
        return True
    if not ch.isalpha():
        return False
    return ch.isascii() or unicodedata.name(ch, "").startswith("LATIN")


@functools.lru_cache(maxsize=4096)  # the same terms' forms are folded for every segment
def _fold(text: str) -> str:
    return nfkc_fold(text, casefold=True)[0]


def _whole_word_spans(folded: str, needle: str) -> list[tuple[int, int]]:
    """Every [start, end) where needle stands in folded text with no Latin letter or digit directly around it."""
    spans: list[tuple[int, int]] = []
    start = folded.find(needle)
    while start != -1:
        end = start + len(needle)
        before = folded[start - 1] if start else ""
        after = folded[end] if end < len(folded) else ""
        if not (before and is_word_character(before)) and not (after and is_word_character(after)):
            spans.append((start, end))
        start = folded.find(needle, start + 1)
    return spans


def _spans(folded: str, forms: Iterable[str]) -> list[tuple[int, int]]:
    """Whole-word spans of every form in folded text, overlaps included."""
    spans: list[tuple[int, int]] = []
    for form in {_fold(f) for f in forms if f}:
        spans.extend(_whole_word_spans(folded, form))
    return spans


def form_spans(target: str, form: str) -> list[tuple[int, int]]:
    """Where one English form stands as whole words in target, any case (offsets in the NFKC-casefolded text)."""
    return _whole_word_spans(_fold(target), _fold(form)) if form else []


def _disjoint(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The largest set of non-overlapping spans (earliest end first is optimal), in text order."""
    chosen: list[tuple[int, int]] = []
    free_from = 0
    for start, end in sorted(spans, key=lambda s: (s[1], s[0])):
        if start >= free_from:
            chosen.append((start, end))
            free_from = end
    return chosen


def term_spans(target: str, term: Term) -> list[tuple[int, int]]:
    """Where the term stands as whole words in target, in any form that meets it (forms.term_forms: the
    approved English, a variant, or their plurals), in folded offsets."""
    return _disjoint(_spans(_fold(target), term_forms(term)))


def occurrences(target: str, term: Term) -> int:
    """How many separate times the term stands in target as whole words (approved English, a variant, or
    the plural of either, any case; forms.term_forms).

    'Leshanese' is not 'Leshan', and 'cell stackyy' is not 'cell stack': no Latin letter or digit may
    touch the term on either side.
    """
    return len(term_spans(target, term))


def missing_terms(target: str, terms: Sequence[Term]) -> list[Term]:
    """Terms absent from target, one entry per missing occurrence (a term listed twice needs two); [] if none."""
    wanted = Counter(terms)
    missing: list[Term] = []
    for term, count in wanted.items():
        missing.extend([term] * max(0, count - occurrences(target, term)))
    return missing


def verify(target: str, hits: Sequence[TermHit]) -> list[Term]:
    """Terms of the source hits whose English is absent from target, counting repeats; [] when all present."""
    return missing_terms(target, [hit.term for hit in hits])


def forbidden_in(target: str, terms: Iterable[Term]) -> list[tuple[Term, str]]:
    """(term, rendering) for each forbidden rendering standing as whole words in target outside the term's accepted English."""
    folded = _fold(target)
    found: list[tuple[Term, str]] = []
    for term in dict.fromkeys(terms):
        # "all-vanadium flow battery" must not count as a hit of a forbidden "vanadium flow battery"-like string.
        accepted = _spans(folded, term_forms(term))
        for rendering in term.forbidden:
            for start, end in _spans(folded, [rendering]):
                if not any(a <= start and end <= b for a, b in accepted):
                    found.append((term, rendering))
                    break
    return found


def forbidden_present(target: str, hits: Sequence[TermHit]) -> list[tuple[Term, str]]:
    """(term, rendering) for each forbidden rendering of the hit terms present in target; [] when none."""
    return forbidden_in(target, [hit.term for hit in hits])


# --- why a term is missing ---------------------------------------------------------------------------


class MissReason(StrEnum):
    """Why a glossary term is not in the English; the value is the stable name reports and JSON use."""

    UNSPELLABLE = "unspellable"  # the model's target vocabulary cannot write any accepted form
    LENGTH_LIMIT = "length-limit"  # max_new_tokens left no room for the term
    FORBIDDEN = "forbidden-rendering"  # a forbidden rendering shares the term's pieces and its ban blocked them
    SEARCH = "search-ran-out"  # the search reached the length limit it had room in without finishing the term
    TRUNCATED = "truncated-source"  # the term lies past the model's input limit, so the model never read it
    NOT_ENFORCED = "not-enforced"  # English edited by a person or made without enforcement


@dataclass(frozen=True)
class TermMiss:
    """One missing occurrence of a term, why it is missing, and a sentence a reviewer can act on."""

    term: Term
    reason: MissReason
    detail: str = ""

    def note(self) -> str:
        """The segment note for this miss: names the term, the reason and what to do."""
        detail = f": {self.detail}" if self.detail else ""
        return (
            f"glossary: '{self.term.source}' needs '{self.term.target}' but the English lacks it "
            f"[reason {self.reason}{detail}]"
        )


_NOTE_REASON = re.compile(r"^glossary: '(?P<source>.*?)' needs .* \[reason (?P<reason>[a-z-]+)(?::.*)?\]$")


def reasons_from_notes(notes: Iterable[str]) -> dict[str, list[MissReason]]:
    """Chinese term -> reasons recorded in a segment's notes by TermMiss.note, in note order; {} when none."""
    found: dict[str, list[MissReason]] = {}
    for note in notes:
        match = _NOTE_REASON.match(note)
        if match and match["reason"] in MissReason._value2member_map_:
            found.setdefault(match["source"], []).append(MissReason(match["reason"]))
    return found


def explain_misses(
    target: str, terms: Sequence[Term], reasons: dict[Term, list[TermMiss]] | None = None
) -> list[TermMiss]:
    """Every missing occurrence of terms in target, each with its reason; [] when all are present.

    reasons holds what the maker of the English knows (the engine: length limit, forbidden rendering,
    truncated source...), consumed in order per term; a miss nobody explained is NOT_ENFORCED.
    """
    given = {term: list(misses) for term, misses in (reasons or {}).items()}
    explained: list[TermMiss] = []
    for term in missing_terms(target, terms):
        queue = given.get(term)
        explained.append(queue.pop(0) if queue else TermMiss(term, MissReason.NOT_ENFORCED,
                                                            "no record of enforcement for this English"))
    return explained
