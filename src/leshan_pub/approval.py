"""Approving segments: by id, by the numbers `status` shows, or every reviewed one; QA errors refuse."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .approval_rule import approval_time, qa_errors, refusal
from .document import Document, ReviewState, Segment
from .errors import LeshanPubError
from .formats.segfile import read_segment_file
from .glossary import Glossary
from .locking import segment_file_lock
from .memory import MemorySettings
from .review import approve_segments


class ApprovalRefused(LeshanPubError):
    """Segments asked for by name that cannot be approved; nothing was written. One refused segment is
    one line; several are the summary line, then one line per segment ('  ID: reason'), so that a long
    refusal stays readable."""

    def __init__(self, summary: str, refused: list[tuple[str, str]]) -> None:
        if len(refused) == 1:
            super().__init__(f"{summary} {refused[0][0]}: {refused[0][1]}")
        else:
            super().__init__("\n".join([summary, *(f"  {segment_id}: {reason}" for segment_id, reason in refused)]))
        self.refused = refused


@dataclass
class ApproveReport:
    """What approving did: segments approved, those already approved, and those left with the reason."""

    approved: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (id, reason), with --all-reviewed
    remembered: int = 0
    who: str = ""
    when: str = ""
    backup: Path | None = None  # the segment file as it was, kept before the approvals were written


def select(document: Document, wanted: list[str]) -> list[Segment]:
    """The segments named by id or by number (1-based, as `status` lists them; N-M for a range), in
    document order. Raise LeshanPubError naming the first selector that names no segment."""
    by_id = {s.id: s for s in document.segments}
    count = len(document.segments)
    chosen: dict[str, Segment] = {}
    for token in wanted:
        numbers = _numbers(token, count)
        if numbers is not None:
            for number in numbers:
                segment = document.segments[number - 1]
                chosen[segment.id] = segment
        elif token in by_id:
            chosen[token] = by_id[token]
        else:
            raise LeshanPubError(
                f"no segment {token!r} in {document.name}: give an id or a number from 1 to {count}, "
                "as `leshan-pub status` lists them"
            )
    order = {s.id: n for n, s in enumerate(document.segments)}
    return sorted(chosen.values(), key=lambda s: order[s.id])


def _numbers(token: str, count: int) -> range | None:
    """The numbers token names ('7', '3-9'); None when it is no number (then it is an id)."""
    first, dash, last = token.partition("-")
    if not first.isdigit() or (dash and not last.isdigit()):
        return None
    low, high = int(first), int(last) if dash else int(first)
    if not 1 <= low <= high <= count:
        raise LeshanPubError(f"segment number {token} is out of range: the file has segments 1 to {count}")
    return range(low, high + 1)


def approve_file(
    segfile: Path,
    wanted: list[str],
    all_reviewed: bool = False,
    include_drafts: bool = False,
    ignore_qa: bool = False,
    who: str = "",
    glossary: Glossary | None = None,
    memory: MemorySettings | None = None,
) -> ApproveReport:
    """Approve the segments named in wanted (ids or numbers) and, with all_reviewed, every reviewed one
    (and machine drafts too with include_drafts); record who and when, and write them through import's
    one write path (review.approve_segments: a backup, the segment file under its lock, the memory).

    A segment named in wanted that cannot be approved (no English, an unreviewed draft, QA errors)
    refuses the whole command: ApprovalRefused, nothing written. Those all_reviewed finds but cannot
    approve are skipped and reported.
    """
    if not wanted and not all_reviewed:
        raise LeshanPubError("name the segments to approve (ids or numbers from `leshan-pub status`), or pass --all-reviewed")
    report = ApproveReport(who=who, when=approval_time())
    with segment_file_lock(segfile):
        document = read_segment_file(segfile)
        named = select(document, wanted)
        errors = qa_errors(document, glossary)
        refused = [(s.id, reason) for s in named if s.state is not ReviewState.APPROVED
                   and (reason := refusal(s, errors, include_drafts, ignore_qa))]
        if refused:
            raise ApprovalRefused(f"{segfile}: nothing approved, {len(refused)} segment(s) refused:", refused)
        chosen = {s.id: s for s in named}
        if all_reviewed:
            states = {ReviewState.REVIEWED, ReviewState.MACHINE} if include_drafts else {ReviewState.REVIEWED}
            for segment in document.segments:
                if segment.state in states and segment.id not in chosen:
                    reason = refusal(segment, errors, include_drafts, ignore_qa)
                    if reason:
                        report.skipped.append((segment.id, reason))
                    else:
                        chosen[segment.id] = segment
        report.already = [s.id for s in chosen.values() if s.state is ReviewState.APPROVED]
        todo = [s for s in chosen.values() if s.state is not ReviewState.APPROVED]
        if todo:
            applied = approve_segments(segfile, todo, document, who, memory)
            report.approved, report.remembered, report.backup = applied.updated, applied.remembered, applied.backup
            report.when = next((s.approval.when for s in todo if s.approval is not None), report.when)
    return report
