"""The review page's view of a document: segments by block with term highlights, QA findings and memory matches, as JSON."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

from ..document import Document, ReviewState, Role, Segment
from ..formats.exchange import fingerprint
from ..quality.enforce import form_spans, forbidden_present, term_spans, verify
from ..quality.qa import Finding, Severity, check_document
from ..terms import Glossary, TermHit, nfkc_fold

# What the page calls each block; a table cell says where it stands instead.
_ROLE_NAMES = {
    Role.TITLE: "title", Role.HEADING: "heading", Role.PARAGRAPH: "paragraph", Role.CAPTION: "caption",
    Role.CREDIT: "credit", Role.LIST: "list item", Role.CELL: "table cell", Role.NOTE: "footnote",
}


def version_of(data: bytes) -> str:
    """The version the page holds of a segment file: a hash of its bytes, so any change by any tool shows."""
    return hashlib.sha256(data).hexdigest()[:20]


def awaiting_review(segment: Segment) -> bool:
    """True while no person has reviewed the segment's English (new, or machine-translated)."""
    return not segment.state.is_human


def document_view(document: Document, glossary: Glossary | None, version: str) -> dict[str, Any]:
    """Everything the page shows, for one read of the segment file at version."""
    findings: dict[str, list[Finding]] = {}
    for finding in check_document(document, glossary):
        findings.setdefault(finding.segment_id, []).append(finding)
    segments = [
        segment_view(segment, number, glossary, findings.get(segment.id, []))
        for number, segment in enumerate(document.segments, start=1)
    ]
    occurring = {hit["source"]: hit["target"] for view in segments for hit in view["source_terms"]}
    return {
        "name": document.name,
        "title": document.title,
        "version": version,
        "segments": segments,
        "terms": [{"source": s, "target": t} for s, t in sorted(occurring.items())],
        "states": [str(state) for state in ReviewState],
        "severities": [str(severity) for severity in Severity],
        "glossary": glossary is not None,
    }


def segment_view(segment: Segment, number: int, glossary: Glossary | None, findings: Sequence[Finding]) -> dict[str, Any]:
    """One segment as the page shows it; number is its 1-based place, as `status` counts."""
    hits = glossary.find(segment.source) if glossary is not None else []
    return {
        "id": segment.id,
        "number": number,
        "block": segment.block,
        "role": str(segment.role),
        "where": where(segment),
        "source": segment.source,
        "target": segment.target,
        "state": str(segment.state),
        "base": fingerprint(segment.state, segment.target),
        "source_terms": _source_terms(segment.target, hits),
        "target_terms": _target_terms(segment.target, hits),
        "findings": [{"severity": str(f.severity), "check": f.check, "message": f.message} for f in findings],
        "matches": [{"score": m.score, "origin": m.origin, "source": m.source, "target": m.target}
                    for m in segment.matches],
        "draft": {"score": segment.draft.score, "origin": segment.draft.origin} if segment.draft else None,
        "records": [{"source": r.source, "target": r.target, "method": str(r.method), "detail": r.detail}
                    for r in segment.terms],
        "comments": list(segment.comments),
        "approval": {"who": segment.approval.who, "when": segment.approval.when} if segment.approval else None,
    }


def where(segment: Segment) -> str:
    """The block a segment belongs to, in a reviewer's words: 'paragraph 3', 'table 1, row 2, column 4'."""
    if segment.cell is not None:
        cell = segment.cell
        return f"table {cell.table}, row {cell.row + 1}, column {cell.column + 1}" + (" (header)" if cell.header else "")
    return f"{_ROLE_NAMES.get(segment.role, str(segment.role))} {segment.block + 1}"


def _source_terms(target: str, hits: Sequence[TermHit]) -> list[dict[str, Any]]:
    """Each glossary term in the Chinese, with its approved English and whether the English has it."""
    missing = {term.source for term in verify(target, hits)} if target.strip() else {h.term.source for h in hits}
    forbidden = {term.source for term, _ in forbidden_present(target, hits)}
    return [
        {
            "start": hit.start, "end": hit.end, "source": hit.term.source, "target": hit.term.target,
            "status": "forbidden" if hit.term.source in forbidden else "missing" if hit.term.source in missing else "ok",
        }
        for hit in hits
    ]


def _target_terms(target: str, hits: Sequence[TermHit]) -> list[dict[str, Any]]:
    """Where the English holds a term's approved rendering, or a forbidden one, in the English's own offsets."""
    _, origin = nfkc_fold(target, casefold=True)
    origin = [*origin, len(target)]

    def original(span: tuple[int, int]) -> tuple[int, int]:
        return origin[span[0]], origin[span[1] - 1] + 1 if span[1] > span[0] else origin[span[0]]

    spans: list[dict[str, Any]] = []
    for term in dict.fromkeys(hit.term for hit in hits):
        for span in term_spans(target, term):
            start, end = original(span)
            spans.append({"start": start, "end": end, "source": term.source, "kind": "term"})
    for term, rendering in forbidden_present(target, hits):
        for span in form_spans(target, rendering):
            start, end = original(span)
            spans.append({"start": start, "end": end, "source": term.source, "kind": "forbidden",
                          "target": term.target})
    return sorted(spans, key=lambda s: (s["start"], -s["end"]))
