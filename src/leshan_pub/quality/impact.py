"""What a glossary change means for a document: machine segments to re-translate, human ones it now breaks."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..document import Document, ReviewState, Segment
from ..terms import Glossary, TermHit
from .enforce import forbidden_present, verify

_MACHINE_STATES = (ReviewState.NEW, ReviewState.MACHINE)


@dataclass
class Impact:
    """Segment ids a glossary change affects, in document order.

    retranslate: new and machine-translated segments to translate again.
    broken_human: (id, message) of reviewed and approved segments the new glossary flags; a person
    decides, and only an explicit force may overwrite them.
    """

    retranslate: list[str] = field(default_factory=list)
    broken_human: list[tuple[str, str]] = field(default_factory=list)


# What the glossary asks of one hit: where it is, the approved English, what else is accepted, what is forbidden.
_Requirement = tuple[int, int, str, frozenset[str], frozenset[str]]


def _requirements(hits: list[TermHit]) -> list[_Requirement]:
    return [
        (
            hit.start,
            hit.end,
            hit.term.target,
            frozenset(v.casefold() for v in hit.term.target_variants),
            frozenset(f.casefold() for f in hit.term.forbidden),
        )
        for hit in hits
    ]


def _breaks(segment: Segment, hits: list[TermHit]) -> list[str]:
    """Why the segment's English fails the glossary of these hits; [] when it passes."""
    problems = [f"needs '{term.target}' for '{term.source}'" for term in dict.fromkeys(verify(segment.target, hits))]
    problems += [
        f"has '{rendering}', forbidden for '{term.source}' (write '{term.target}')"
        for term, rendering in forbidden_present(segment.target, hits)
    ]
    return problems


def glossary_impact(document: Document, old: Glossary | None, new: Glossary) -> Impact:
    """The segments of document that moving from the old glossary to the new one affects.

    A segment is affected when the terms found in its Chinese, or what the glossary requires of
    them (approved English, variants, forbidden renderings), differ between old and new; notes and
    line numbers do not count. Affected new and machine-translated segments are to be re-translated;
    affected reviewed and approved ones are listed only when their English now fails the new glossary.

    old None means the previous glossary is unknown (a segment file records only its hash): when
    the document's recorded glossary_sha256 equals new.sha256 nothing changed and the impact is
    empty; otherwise every segment with new-glossary terms whose English fails them is affected.
    """
    impact = Impact()
    if old is None and document.provenance.glossary_sha256 == new.sha256:
        return impact
    for segment in document.segments:
        hits = new.find(segment.source)
        if old is not None:
            if _requirements(old.find(segment.source)) == _requirements(hits):
                continue
            problems = _breaks(segment, hits)
            changed = True
        else:
            problems = _breaks(segment, hits)
            changed = bool(problems)
        if segment.state in _MACHINE_STATES and changed:
            impact.retranslate.append(segment.id)
        elif segment.state.is_human and problems:
            impact.broken_human.append(
                (segment.id, f"{segment.state} English {'; '.join(problems)} under the changed glossary; "
                             f"edit it, or re-translate it with `leshan-pub translate --force`")
            )
    return impact
