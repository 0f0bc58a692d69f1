"""Quality checks with severities: glossary terms, figures, untranslated Chinese, empty and odd-length English."""

from __future__ import annotations

import calendar
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from ..chars import HAN_RUN
from ..document import Document, ReviewState, Segment, TermMethod
from ..terms import Glossary, Term, TermHit
from .cells import cell_units, with_unit
from .cut import cut_notes
from .enforce import MissReason, forbidden_present, form_spans, reasons_from_notes, verify
from .numbers import Figure, FigureKind, compare_figures, english_figures, english_form


class Severity(StrEnum):
    """How serious a finding is: errors block publishing as final, warnings ask a reviewer to look."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True)
class Finding:
    """One problem in one segment: the check that found it, its severity, and a message quoting Chinese and English."""

    segment_id: str
    severity: Severity
    check: str
    message: str
    reason: str = ""  # for a missing term: why (enforce.MissReason value), when the segment's notes record it


# Stable check names: reports, filters and tests refer to them.
TERM_MISSING = "term-missing"
TERM_FORBIDDEN = "term-forbidden"
TERM_INCONSISTENT = "term-inconsistent"
NUMBER = "number"
UNTRANSLATED = "untranslated"
EMPTY_TARGET = "empty-target"
LENGTH_RATIO = "length-ratio"
TERM_PLACED = "term-placed"  # a term the repair put in by its last resort, not where the model translates it
UNCERTAIN_PLACE = "uncertain place"  # a term record's detail where placement by judgement was unclear (engines/judgement.py)
TERM_AGREEMENT = "term-agreement"  # a term whose splice changed the words next to it (article, verb, determiner)
CUT_SHORT = "cut-short"  # the engine could not read the source whole or finish the English (quality/cut.py)
CHECKS = (TERM_MISSING, TERM_FORBIDDEN, TERM_INCONSISTENT, TERM_PLACED, TERM_AGREEMENT, NUMBER, UNTRANSLATED,
          EMPTY_TARGET, LENGTH_RATIO, CUT_SHORT)
# What a term record's detail opens with when the repair changed a word next to the term.
CHANGED = "changed "

# Calibrated on source/leshan-2024.zh-en.xlf (59 approved segments): English characters per
# Chinese character run from 3.5 to 8.4, median 4.6, and every ratio above 6 belongs to a
# segment of 14 Chinese characters or fewer. Below 2.5 a sentence has lost about half of its
# content (an engine's usual omission); above 8 an engine has usually started repeating itself.
# The 30-character allowance keeps headings and captions, where one word swings the ratio,
# out of both bounds; the sample's nearest segment (a 12-character heading) stays a quarter inside.
LENGTH_RATIO_LOW = 2.5
LENGTH_RATIO_HIGH = 8.0
LENGTH_SLACK = 30

_QUOTE_LIMIT = 70
_LISTED_FIGURES = 8


def _quote(text: str) -> str:
    """Text for a message, shortened with an ellipsis past _QUOTE_LIMIT characters."""
    text = " ".join(text.split())
    return text if len(text) <= _QUOTE_LIMIT else text[: _QUOTE_LIMIT - 1] + "…"


# --- per-segment checks: each takes the segment and its glossary hits ---------------------------


def _empty_target(segment: Segment) -> Finding:
    """Human states with no English are errors (someone signed off nothing); a machine state is a failed run."""
    source = _quote(segment.source)
    if segment.state.is_human:
        return Finding(
            segment.id, Severity.ERROR, EMPTY_TARGET,
            f"'{source}' is {segment.state} but has no English; translate it or set the state back to new",
        )
    if segment.state is ReviewState.MACHINE:
        return Finding(
            segment.id, Severity.WARNING, EMPTY_TARGET,
            f"'{source}' is marked machine-translated but has no English; run translate again",
        )
    return Finding(segment.id, Severity.INFO, EMPTY_TARGET, f"'{source}' has no English yet")


def _untranslated(segment: Segment, hits: Sequence[TermHit]) -> list[Finding]:
    runs = list(dict.fromkeys(HAN_RUN.findall(segment.target)))
    if not runs:
        return []
    chinese = ", ".join(f"'{run}'" for run in runs)
    return [
        Finding(
            segment.id, Severity.ERROR, UNTRANSLATED,
            f"Chinese {chinese} left in the English '{_quote(segment.target)}'; translate it",
        )
    ]


def _accepted_list(term: Term) -> str:
    variants = ", ".join(f"'{v}'" for v in term.target_variants)
    return f"'{term.target}'" + (f" (or {variants})" if variants else "")


def _missing_terms(segment: Segment, hits: Sequence[TermHit]) -> list[Finding]:
    """One finding per missing occurrence, with the reason the segment's notes give (not-enforced when none)."""
    recorded = reasons_from_notes(segment.notes)
    findings: list[Finding] = []
    for term in verify(segment.target, hits):
        queue = recorded.get(term.source) or []
        reason = queue.pop(0) if queue else MissReason.NOT_ENFORCED
        findings.append(
            Finding(
                segment.id, Severity.ERROR, TERM_MISSING,
                f"glossary term '{term.source}' needs {_accepted_list(term)} as whole words in the English; "
                f"not found in '{_quote(segment.target)}' (reason: {reason})",
                reason=str(reason),
            )
        )
    return findings


def _forbidden_terms(segment: Segment, hits: Sequence[TermHit]) -> list[Finding]:
    return [
        Finding(
            segment.id, Severity.ERROR, TERM_FORBIDDEN,
            f"'{rendering}' is a forbidden rendering of '{term.source}'; write '{term.target}'",
        )
        for term, rendering in forbidden_present(segment.target, hits)
    ]


def _describe(figure: Figure) -> str:
    """A figure's value as English writes it: '3.63 billion', 'November'."""
    values = sorted(figure.values)
    if figure.kind is FigureKind.MONTH:
        return " or ".join(calendar.month_name[int(v)] for v in values)
    return " or ".join(english_form(v) for v in values)


def _numbers(segment: Segment, hits: Sequence[TermHit]) -> list[Finding]:
    # Numerals inside glossary terms (五通桥, Wutongqiao) belong to names; the term checks cover them.
    comparison = compare_figures(segment.source, segment.target, [(h.start, h.end) for h in hits])
    if not comparison.missing:
        return []
    # The English figures that matched nothing are where a wrong conversion usually sits.
    leftover = ", ".join(f"'{f.text}'" for f in comparison.unused[:_LISTED_FIGURES])
    if len(comparison.unused) > _LISTED_FIGURES:
        leftover += ", …"
    english = f"English figures matching nothing in the Chinese: {leftover}" if leftover else (
        "every English figure matches another Chinese figure"
        if english_figures(segment.target) else "the English has no figures"
    )
    return [
        Finding(
            segment.id, Severity.ERROR, NUMBER,
            f"'{figure.text}' in the Chinese ({_describe(figure)}) has no equal figure in the English; "
            f"{english}; write the figure or correct the conversion",
        )
        for figure in comparison.missing
    ]


def _length_ratio(segment: Segment, hits: Sequence[TermHit]) -> list[Finding]:
    chinese = len("".join(segment.source.split()))
    english = len(segment.target.strip())
    low = LENGTH_RATIO_LOW * chinese - LENGTH_SLACK
    high = LENGTH_RATIO_HIGH * chinese + LENGTH_SLACK
    if chinese == 0 or low <= english <= high:
        return []
    problem = "an omission" if english < low else "repetition or added text"
    return [
        Finding(
            segment.id, Severity.WARNING, LENGTH_RATIO,
            f"the English has {english} characters for {chinese} Chinese characters "
            f"(ratio {english / chinese:.1f}, expected {LENGTH_RATIO_LOW}–{LENGTH_RATIO_HIGH}); "
            f"check '{_quote(segment.source)}' against '{_quote(segment.target)}' for {problem}",
        )
    ]


def _term_records(segment: Segment, hits: Sequence[TermHit]) -> list[Finding]:
    """Warnings from how the engine put the terms in (Segment.terms), while the English is still the machine's."""
    if segment.state is not ReviewState.MACHINE:
        return []
    findings: list[Finding] = []
    for record in segment.terms:
        if record.method is TermMethod.PLACED and record.detail == UNCERTAIN_PLACE:
            findings.append(Finding(
                segment.id, Severity.WARNING, TERM_PLACED,
                f"'{record.target}' for '{record.source}' was placed where the model judged the sentence best, but no "
                f"place was clearly better than the next; check where it stands in '{_quote(segment.target)}'",
            ))
        elif record.method is TermMethod.PLACED:
            findings.append(Finding(
                segment.id, Severity.WARNING, TERM_PLACED,
                f"'{record.target}' for '{record.source}' was placed by the last resort ({record.detail or 'no place found'}), "
                f"not where the model translates it; check where it stands in '{_quote(segment.target)}'",
            ))
        elif record.detail.startswith(CHANGED):
            findings.append(Finding(
                segment.id, Severity.WARNING, TERM_AGREEMENT,
                f"putting '{record.target}' for '{record.source}' in {record.detail}; "
                f"check that '{_quote(segment.target)}' reads right",
            ))
    return findings


def _cut_short(segment: Segment, hits: Sequence[TermHit]) -> list[Finding]:
    """The engine's notes that it cut the source or the English, while the English is still the machine's."""
    if segment.state is not ReviewState.MACHINE:
        return []
    return [
        Finding(segment.id, Severity.WARNING, CUT_SHORT, f"{note}: '{_quote(segment.target)}'")
        for note in cut_notes(segment.notes)
    ]


_SEGMENT_CHECKS: tuple[Callable[[Segment, Sequence[TermHit]], list[Finding]], ...] = (
    _cut_short,
    _untranslated,
    _missing_terms,
    _forbidden_terms,
    _numbers,
    _length_ratio,
    _term_records,
)


def _check_segment(segment: Segment, hits: Sequence[TermHit]) -> list[Finding]:
    if not segment.target.strip():
        return [_empty_target(segment)]
    return [finding for check in _SEGMENT_CHECKS for finding in check(segment, hits)]


# --- document-wide: one rendering per term ------------------------------------------------------


def _renderings(target: str, term: Term) -> list[str]:
    """The accepted renderings of term in target, each once; one inside a longer one is not counted.

    'all-vanadium flow battery' holds 'vanadium flow battery', but only the longer was chosen.
    """
    found = [(span, accepted) for accepted in term.accepted for span in form_spans(target, accepted)]
    outermost = [
        accepted
        for (start, end), accepted in found
        if not any(s <= start and end <= e and e - s > end - start for (s, e), _ in found)
    ]
    return list(dict.fromkeys(outermost))


def _singular(word: str) -> str:
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("s") and not word.endswith("ss") and len(word) > 3:
        return word[:-1]
    return word


def _rendering_key(rendering: str) -> str:
    """Renderings differing only in number or hyphenation are one choice ('cell stacks' = 'cell stack')."""
    return " ".join(_singular(word) for word in re.split(r"[\s\-–—]+", rendering.casefold()))


def _inconsistent_terms(document: Document, glossary: Glossary) -> dict[str, list[Finding]]:
    """Warnings, by segment id, where a term's rendering differs from the one most of the document uses."""
    uses: dict[Term, list[tuple[str, str]]] = defaultdict(list)  # term -> [(segment id, rendering)]
    for segment in document.segments:
        for term in dict.fromkeys(hit.term for hit in glossary.find(segment.source)):
            uses[term].extend((segment.id, r) for r in _renderings(segment.target, term))
    findings: dict[str, list[Finding]] = defaultdict(list)
    for term, term_uses in uses.items():
        counts = Counter(_rendering_key(r) for _, r in term_uses)
        if len(counts) < 2:
            continue
        usual_key, usual_count = counts.most_common(1)[0]  # ties go to the rendering seen first
        usual = next(r for _, r in term_uses if _rendering_key(r) == usual_key)
        for segment_id, rendering in term_uses:
            if _rendering_key(rendering) != usual_key:
                findings[segment_id].append(
                    Finding(
                        segment_id, Severity.WARNING, TERM_INCONSISTENT,
                        f"'{term.source}' is rendered '{rendering}' here but '{usual}' in "
                        f"{usual_count} other segment(s); keep one rendering",
                    )
                )
    return findings


# --- front door ----------------------------------------------------------------------------------


def check_document(document: Document, glossary: Glossary | None) -> list[Finding]:
    """Every finding of every check, segment by segment in document order; [] when clean.

    glossary None skips the term checks. Segments without English get only an
    empty-target finding: an error when approved or reviewed, a warning when
    machine-translated, info when new.
    """
    inconsistent = _inconsistent_terms(document, glossary) if glossary is not None else {}
    units = cell_units(document.segments)  # a bare 836 under 产值（亿元） means 836亿元
    findings: list[Finding] = []
    for segment in document.segments:
        hits = glossary.find(segment.source) if glossary is not None else []
        found = _check_segment(segment, hits)
        if segment.id in units and not compare_figures(with_unit(segment.source, units[segment.id]), segment.target).missing:
            found = [f for f in found if f.check != NUMBER]  # the figure is right in its header's unit
        findings.extend(found)
        findings.extend(inconsistent.get(segment.id, []))
    return findings


@dataclass
class TermStats:
    """Glossary term success: source term hits, how many are rendered, per segment and per Chinese term."""

    hits: int
    rendered: int
    per_segment: dict[str, tuple[int, int]]  # segment id -> (hits, rendered); segments with hits only
    per_term: dict[str, tuple[int, int]]  # Chinese term -> (hits, rendered)

    @property
    def rate(self) -> float | None:
        """rendered / hits; None when no glossary term occurs: a rate of nothing is not 100%."""
        return self.rendered / self.hits if self.hits else None

    def describe(self) -> str:
        """'term success 9/10 = 90.0%', or 'term success n/a (...)' when no glossary term occurs."""
        if self.rate is None:
            return "term success n/a (no glossary term occurs in the source)"
        return f"term success {self.rendered}/{self.hits} = {self.rate:.1%}"


def term_success(document: Document, glossary: Glossary) -> TermStats:
    """Term success in the WMT 2023 sense: source hits whose English appears, counting repeats.

    A term found twice in a segment needs its English twice; segments without
    English count all their hits as not rendered.
    """
    stats = TermStats(hits=0, rendered=0, per_segment={}, per_term={})
    for segment in document.segments:
        hits = glossary.find(segment.source)
        if not hits:
            continue
        missing = Counter(verify(segment.target, hits))
        rendered = len(hits) - sum(missing.values())
        stats.hits += len(hits)
        stats.rendered += rendered
        stats.per_segment[segment.id] = (len(hits), rendered)
        for term, count in Counter(hit.term for hit in hits).items():
            term_hits, term_rendered = stats.per_term.get(term.source, (0, 0))
            stats.per_term[term.source] = (term_hits + count, term_rendered + count - missing[term])
    return stats
