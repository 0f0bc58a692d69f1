"""Glossary term verification on finished English: which terms are missing, which forbidden renderings appear."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

from .terms import Term, TermHit


def _spans(text: str, needles: Iterable[str]) -> list[tuple[int, int]]:
    """Every [start, end) where one of the needles occurs in text, overlaps included; text already casefolded."""
    spans: list[tuple[int, int]] = []
    for needle in {n.casefold() for n in needles if n}:
        start = text.find(needle)
        while start != -1:
            spans.append((start, start + len(needle)))
            start = text.find(needle, start + 1)
    return spans


def _disjoint_count(spans: list[tuple[int, int]]) -> int:
    """The largest number of non-overlapping spans (earliest end first is optimal)."""
    count, free_from = 0, 0
    for start, end in sorted(spans, key=lambda s: s[1]):
        if start >= free_from:
            count, free_from = count + 1, end
    return count


def occurrences(target: str, term: Term) -> int:
    """How many separate times the term's approved English or an accepted variant appears (case-insensitive)."""
    return _disjoint_count(_spans(target.casefold(), term.accepted))


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
    """(term, rendering) for each forbidden rendering found in target outside the term's accepted English."""
    folded = target.casefold()
    found: list[tuple[Term, str]] = []
    for term in dict.fromkeys(terms):
        # "all-vanadium flow battery" must not count as a hit of a forbidden "vanadium flow battery"-like string.
        accepted = _spans(folded, term.accepted)
        for rendering in term.forbidden:
            for start, end in _spans(folded, [rendering]):
                if not any(a <= start and end <= b for a, b in accepted):
                    found.append((term, rendering))
                    break
    return found


def forbidden_present(target: str, hits: Sequence[TermHit]) -> list[tuple[Term, str]]:
    """(term, rendering) for each forbidden rendering of the hit terms present in target; [] when none."""
    return forbidden_in(target, [hit.term for hit in hits])
