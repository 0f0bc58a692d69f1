"""Approving segments: by id, by the numbers `status` shows, or every reviewed one; QA errors refuse."""

from __future__ import annotations

import getpass
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from .document import Document, ReviewState, Segment
from .errors import LeshanPubError
from .formats.exchange import approve_segments
from .formats.segfile import read_segment_file
from .glossary import Glossary
from .locking import segment_file_lock
from .memory import MemorySettings, translator_name


class ApprovalRefused(LeshanPubError):
    """Segments asked for by name that cannot be approved; nothing was written."""


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


def approver(by: str | None) -> str:
    """Who approves: --by, else $LESHAN_PUB_TRANSLATOR, else git's user.name, else the login name."""
    if by is not None and by.strip():
        return by.strip()
    if by is not None:
        raise LeshanPubError("--by is empty; give the approver's name, e.g. --by 'Li Wei'")
    try:
        return translator_name() or getpass.getuser()
    except (KeyError, OSError):  # no login name (a container without a passwd entry)
        raise LeshanPubError("cannot tell who approves; pass --by NAME or set LESHAN_PUB_TRANSLATOR") from None


def approval_time() -> str:
    """Now, UTC, as Approval records it ('2026-12-06T21:50:00Z')."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


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


def qa_errors(document: Document, glossary: Glossary | None) -> dict[str, list[str]]:
    """QA's error-level findings by segment id, each as '[check] message'; the one reading of QA that
    approving (here and on the review page) refuses on."""
    from .quality.qa import Severity, check_document

    errors: dict[str, list[str]] = {}
    for finding in check_document(document, glossary):
        if finding.severity is Severity.ERROR:
            errors.setdefault(finding.segment_id, []).append(f"[{finding.check}] {finding.message}")
    return errors


def refusal(segment: Segment, errors: dict[str, list[str]], include_drafts: bool, ignore_qa: bool) -> str:
    """Why segment cannot be approved, in words; '' when it can (errors as qa_errors gives them)."""
    if not segment.target.strip():
        return "it has no English yet; translate it first"
    if segment.state is ReviewState.MACHINE and not include_drafts:
        kind = "a memory draft" if segment.is_fuzzy_draft else "machine output"
        return f"its English is {kind} nobody has reviewed; review it, or pass --include-drafts"
    if segment.id in errors and not ignore_qa:
        return f"QA finds {'; '.join(errors[segment.id])}; fix it, or pass --ignore-qa"
    return ""


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
    one write path (exchange.approve_segments: a backup, the segment file under its lock, the memory).

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
            listed = "; ".join(f"{segment_id}: {reason}" for segment_id, reason in refused)
            raise ApprovalRefused(f"{segfile}: nothing approved, {len(refused)} segment(s) refused: {listed}")
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
