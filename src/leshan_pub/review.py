"""The review workflow: what an edited export, a save on the review page and an approval do to the segment file.

Import rules, one place: a target that differs from the stored one is a person's work (at least
reviewed, recorded in the memory, never replaced by the model); a row whose English is what the
export carried brings nothing and changes nothing; an export older than the segment file's human
work is a conflict; changing approved English needs force; every refused row is named.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from . import __version__
from .approval_rule import approver, qa_errors, refusal
from .document import Approval, Document, ReviewState, Segment
from .errors import LeshanPubError, SegmentFileError
from .formats.exchange import read_exchange_file
from .formats.rows import Edit, fingerprint, target_problem
from .formats.segfile import keep_backup, read_segment_file, write_segment_file
from .memory import (
    MemoryEntry,
    MemorySettings,
    TranslationMemory,
    human_entries,
    leverage,
    now_stamp,
    read_memory,
    translator_name,
    update_memory,
)
from .provenance import after_edit
from .terms import Glossary

_MAX_PROBLEMS_SHOWN = 8
_RANK = {state: rank for rank, state in enumerate(ReviewState)}


@dataclass(frozen=True)
class Refusal:
    """A row an import did not apply: its id and why, in words a translator acts on."""

    id: str
    reason: str


@dataclass
class ImportReport:
    """What an import did: ids updated, segments unchanged, rows refused (applied only with partial)."""

    updated: list[str] = field(default_factory=list)  # ids whose target or state changed
    unchanged: int = 0  # segments left as they were and not refused, including those the import file lacked
    backup: Path | None = None  # a timestamped copy of the previous segment file; None when nothing was written
    refused: list[Refusal] = field(default_factory=list)
    remembered: int = 0  # translation-memory entries added or changed
    by_sentence: int = 0  # rows whose id the file lost (a tool renumbered them), matched by their sentence
    not_approved: list[Refusal] = field(default_factory=list)  # rows saying approved, kept as reviewed, and why


class ImportRefused(SegmentFileError):
    """Rows an import would refuse; nothing was imported. refused names each one."""

    def __init__(self, message: str, refused: list[Refusal]) -> None:
        super().__init__(message)
        self.refused = refused



def import_file(
    path: Path,
    segment_file: Path,
    force: bool = False,
    partial: bool = False,
    memory: MemorySettings | None = None,
    glossary: Glossary | None = None,
    approver: str = "",
) -> ImportReport:
    """Apply the targets and states of an exported file, edited by a translator, to the segment file.

    The format follows the suffix (.xlf, .xliff, .csv). A broken file (bad rows, repeated ids)
    raises SegmentFileError naming each line or trans-unit at fault, and nothing changes. Rows the
    import rules refuse raise ImportRefused naming every id, and nothing changes, unless partial:
    then the other rows are applied and the refused ones listed in the report; the English of rows
    whose sentence the author changed goes into the memory, to come back as a match. Segments the
    file lacks stay as they are. When something changes, the previous segment file is kept as a
    timestamped backup, the new one is written atomically, and human work goes into the memory.

    A row that approves its segment (state="final", an approved column) passes approve's own rule
    (approval_rule.qa_errors and refusal, QA read with glossary): a segment QA finds errors in is kept
    as reviewed, named with the reason in report.not_approved; the others record approver (default:
    the translator's name as `approve` finds it) and the time.
    """
    edits, problems = read_exchange_file(path)
    return _apply_edits(edits, problems, str(path), segment_file, force, partial, memory,
                        approver=approver or _importer(), approvals=_ApprovalRule(glossary))


def save_segment(
    segment_file: Path,
    segment_id: str,
    target: str,
    state: ReviewState,
    base: str,
    memory: MemorySettings | None = None,
    comments: list[str] | None = None,
    backup: bool = True,
    approver: str = "",
    document: Document | None = None,
) -> ImportReport:
    """Apply one segment's English and state, as a reviewer set them, by the import rules.

    base is fingerprint() of the state and English the reviewer saw: a segment changed since then
    by someone else is refused, as an old export's row is. comments, when given, replace the
    segment's reviewer comments. Raises ImportRefused (with the reason) when the rules refuse the
    change, SegmentFileError for an id the file lacks; nothing changes then. backup False skips the
    timestamped copy (a caller that keeps its own). A segment this approves records approver
    (default: translator_name()) and the time. The caller holds segment_file_lock around it;
    document is the file's content when the caller has just read it under that lock (changed in
    place, as written), None to read it here.
    """
    problem = target_problem(f"segment {segment_id!r}", target, state)
    if problem:
        raise SegmentFileError(problem)
    document = document if document is not None else read_segment_file(segment_file)
    found = next((s for s in document.segments if s.id == segment_id), None)
    if found is None:
        raise SegmentFileError(f"segment {segment_id!r} is not in {segment_file.name}; reload the document")
    edit = Edit(segment_id, found.source, target, state, where=f"segment {segment_id!r}", base=base,
                comments=list(comments or []), carries_comments=comments is not None)
    return _apply_edits([edit], [], segment_file.name, segment_file, False, False, memory, document, backup,
                        approver or translator_name())


def approve_segments(
    segment_file: Path, segments: list[Segment], document: Document, approver: str, memory: MemorySettings | None = None,
) -> ImportReport:
    """Approve segments of document, their English as it stands, by the import rules and through their
    one write path (a backup, the segment file, the memory), recording approver and the time.

    document is the file's content the caller read under segment_file_lock, held around this call.
    Raises ImportRefused when the rules refuse one (nothing changes then).
    """
    edits = [Edit(s.id, s.source, s.target, ReviewState.APPROVED, where=f"segment {s.id!r}") for s in segments]
    return _apply_edits(edits, [], segment_file.name, segment_file, False, False, memory, document, True, approver)


@dataclass(frozen=True)
class _ApprovalRule:
    """approve's rule, applied to the approvals an import file brings: QA read with glossary."""

    glossary: Glossary | None


def _importer() -> str:
    """Who approves what an import file approves: the translator's name as `approve` finds it; '' when none is found."""
    try:
        return approver(None)
    except LeshanPubError:
        return ""


def _hold_back_approvals(document: Document, approved: list[Segment], rule: _ApprovalRule, report: ImportReport) -> None:
    """Keep as reviewed, with the reason in report.not_approved, each segment of approved (just approved
    by the import) that approve itself would refuse: QA errors in its English as imported."""
    errors = qa_errors(document, rule.glossary)
    for segment in approved:
        reason = refusal(segment, errors, include_drafts=True, ignore_qa=False)
        if reason:
            segment.state, segment.approval = ReviewState.REVIEWED, None
            report.not_approved.append(Refusal(segment.id, reason))


def _apply_edits(
    edits: list[Edit],
    problems: list[str],
    name: str,
    segment_file: Path,
    force: bool,
    partial: bool,
    memory: MemorySettings | None,
    document: Document | None = None,
    backup: bool = True,
    approver: str = "",
    approvals: _ApprovalRule | None = None,
) -> ImportReport:
    """The import rules applied to edits already read: the one write path of import and review.

    approver, when given, is recorded as the approval of segments these edits approve (and an
    approval is dropped from segments that leave approved). approvals, when given, holds back the
    approvals approve would refuse (see _hold_back_approvals); callers that judged them already pass None."""
    document = document if document is not None else read_segment_file(segment_file)
    edits, by_sentence = _matched_by_sentence(edits, document)
    problems += _repeated_ids(edits, document, segment_file)
    if problems:
        shown = "; ".join(problems[:_MAX_PROBLEMS_SHOWN])
        more = f"; and {len(problems) - _MAX_PROBLEMS_SHOWN} more" if len(problems) > _MAX_PROBLEMS_SHOWN else ""
        raise SegmentFileError(f"{name}: nothing imported, {len(problems)} problem(s): {shown}{more}")

    by_id = {segment.id: segment for segment in document.segments}
    sources = {segment.source for segment in document.segments}
    verdicts = [(edit, _judge(edit, by_id.get(edit.id), sources, segment_file.name, force)) for edit in edits]
    refused = [Refusal(edit.id, verdict.refused) for edit, verdict in verdicts if verdict.refused]
    if refused and not partial:
        applicable = sum(v.state is not None for _, v in verdicts)
        listed = "; ".join(f"{r.id}: {r.reason}" for r in refused)
        raise ImportRefused(
            f"{name}: nothing imported, {len(refused)} row(s) refused: {listed}; re-run with --partial to apply "
            f"the other {applicable} change(s) and list these", refused,
        )
    report = ImportReport(refused=refused, by_sentence=by_sentence)
    newly_approved: list[tuple[Segment, str, ReviewState]] = []  # with the English and state it had
    for edit, verdict in verdicts:
        if verdict.state is not None:
            segment = by_id[edit.id]
            if verdict.state is ReviewState.APPROVED and segment.state is not ReviewState.APPROVED:
                newly_approved.append((segment, segment.target, segment.state))
            segment.signature = after_edit(segment.signature, segment.target, edit.target, __version__)
            if edit.carries_marks:
                segment.target_marks = edit.target_marks
            elif edit.target != segment.target:
                segment.target_marks = ()  # a new English from a CSV: the old emphasis no longer fits it
            if approver and verdict.state is ReviewState.APPROVED and segment.state is not ReviewState.APPROVED:
                segment.approval = Approval(approver, datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
            elif approver and verdict.state is not ReviewState.APPROVED:
                segment.approval = None
            segment.target, segment.state = edit.target, verdict.state
            segment.notes = [n for n in segment.notes if not n.startswith(("exact match", "fuzzy match"))]
            report.updated.append(edit.id)
    if approvals is not None and newly_approved:
        _hold_back_approvals(document, [segment for segment, _, _ in newly_approved], approvals, report)
        held = {r.id for r in report.not_approved}
        report.updated = [i for i in report.updated if i not in held or next(
            (target, state) != (s.target, s.state) for s, target, state in newly_approved if s.id == i)]
    for edit, verdict in verdicts:
        segment = by_id.get(edit.id)
        if edit.carries_comments and segment is not None and not verdict.refused \
                and edit.comments != segment.comments:
            segment.comments = list(edit.comments)
            if edit.id not in report.updated:
                report.updated.append(edit.id)
    report.unchanged = _unchanged(document, report)
    report.remembered = _remember(document, report.updated, _moved_work(verdicts, by_id), memory, approver)
    if memory is not None and memory.path is not None and report.remembered:
        # Work that arrived for a changed sentence is offered at once to the sentence that replaced it.
        before = {s.id: (s.target, s.state, s.matches) for s in document.segments}
        leverage(document.segments, read_memory(memory.path), memory.fuzzy_threshold)
        report.updated += [s.id for s in document.segments
                           if s.id not in report.updated and (s.target, s.state, s.matches) != before[s.id]]
        report.unchanged = _unchanged(document, report)
    if report.updated:
        report.backup = keep_backup(segment_file) if backup else None
        write_segment_file(segment_file, document)
    return report


def _unchanged(document: Document, report: ImportReport) -> int:
    """The segments neither updated nor refused: updated, unchanged and refused (those of rows whose id
    is in the segment file) add up to the file's segments."""
    touched = set(report.updated) | {r.id for r in report.refused}
    return sum(1 for s in document.segments if s.id not in touched)


@dataclass(frozen=True)
class _Verdict:
    """What an import does with one row: give its segment a state, leave it, or refuse it for a reason."""

    state: ReviewState | None = None  # None: nothing to apply
    refused: str = ""  # the reason, when refused


_UNCHANGED = _Verdict()


def _matched_by_sentence(edits: list[Edit], document: Document) -> tuple[list[Edit], int]:
    """The edits, each whose id the segment file lacks given the id of the one segment with its sentence.

    Tools that convert XLIFF (translate-toolkit's xliff2po and po2xliff, some CAT tools) renumber
    the trans-units but keep their sentences. A sentence that stands more than once in the
    segment file cannot say which segment it was: its row keeps its id, and is refused.
    """
    ids = {segment.id for segment in document.segments}
    by_source: dict[str, list[str]] = {}
    for segment in document.segments:
        by_source.setdefault(segment.source, []).append(segment.id)
    matched: list[Edit] = []
    count = 0
    for edit in edits:
        found = by_source.get(edit.source, [])
        if edit.id not in ids and len(found) == 1:
            edit = replace(edit, id=found[0], renumbered=edit.id)
            count += 1
        matched.append(edit)
    return matched, count


def _judge(edit: Edit, segment: Segment | None, sources: set[str], segment_file: str, force: bool) -> _Verdict:
    """The state the edit gives its segment, _UNCHANGED when it brings nothing, or the reason it is refused."""
    if segment is None and edit.source in sources:
        return _Verdict(refused=f"id is not in {segment_file}, and its sentence stands there more than once, so it "
                        "cannot say which segment it was; keep the exported ids as they are")
    if segment is None:
        return _Verdict(refused=f"the author changed this sentence since your export (id not in {segment_file}); "
                        "with --partial your English goes into the translation memory and comes back as a match")
    if edit.source != segment.source:
        return _Verdict(refused=f"source {edit.source!r} differs from the segment file's {segment.source!r}; "
                        "sources are read-only, undo the edit")
    if edit.base and fingerprint(edit.state, edit.target) == edit.base:
        # The row is as exported: it brings no new work, however old the export. It only fills a
        # segment that has no English (any more), with the state it was exported in.
        return _UNCHANGED if segment.target.strip() or not edit.target.strip() else _Verdict(edit.state)
    if not edit.target.strip() or (edit.target == segment.source and _has_ideograph(edit.target)):
        return _UNCHANGED  # an empty target never erases English; a copy of the Chinese is untranslated (OmegaT)
    new_target = edit.target != segment.target
    if not new_target and (edit.state is segment.state or edit.state is ReviewState.NEW or edit.renumbered):
        # The same English; 'new' beside it says nothing about review, and nor does the state of a file
        # a tool renumbered (PO has no 'approved': an approved sentence comes back as merely translated).
        return _UNCHANGED
    if not new_target and segment.state.is_human and not edit.state.is_human \
            and edit.base != fingerprint(segment.state, segment.target):
        # The English the file already holds as a person's work, beside the draft state it was exported
        # in: what this row gave when it was first imported (a person's English is reviewed), so
        # importing the same file again brings nothing. A row lowering the state of work unchanged
        # since its export (base equal to the segment's fingerprint) is judged below.
        return _UNCHANGED
    if new_target and edit.base and edit.base != fingerprint(segment.state, segment.target) \
            and segment.state.is_human and not force:
        # Only new English can overwrite someone's newer work; the same English with another state cannot.
        return _Verdict(refused=f"changed in {segment_file} since your export (now {segment.state}: "
                        f"{segment.target[:40]!r}); re-export and redo the edit, or --force to overwrite")
    state = edit.state
    if new_target and not state.is_human:
        state = ReviewState.REVIEWED  # a person wrote this English, whatever the row claims
    if segment.state is ReviewState.APPROVED and not force and (new_target or state is not ReviewState.APPROVED):
        what = "its approved English would change" if new_target else f"it would go back to {state}"
        return _Verdict(refused=f"{what}; changing approved work needs --force")
    if segment.state.is_human and _RANK[state] < _RANK[segment.state] and not force:
        return _Verdict(refused=f"it would go back from {segment.state} to {state}; that needs --force")
    return _Verdict(state)


def _has_ideograph(text: str) -> bool:
    return any(unicodedata.name(ch, "").startswith("CJK UNIFIED IDEOGRAPH") for ch in text)


def _repeated_ids(edits: list[Edit], document: Document, segment_file: Path) -> list[str]:
    """Problems of the file as a whole: an export of another document, or ids given twice."""
    ids = {segment.id for segment in document.segments}
    if len(edits) > 1 and not any(edit.id in ids for edit in edits):
        raise SegmentFileError(
            f"none of the {len(edits)} ids in the import file is in {segment_file.name}; "
            "it is an export of another document; import it into that document's segment file"
        )
    problems: list[str] = []
    seen: set[str] = set()
    for edit in edits:
        if edit.id in seen:
            why = f"its sentence is that of {edit.id!r}, which another row edits" if edit.renumbered else \
                "id appears more than once"
            problems.append(f"{edit.where}: {why}; keep one")
        seen.add(edit.id)
    return problems


def _moved_work(verdicts: list[tuple[Edit, _Verdict]], by_id: dict[str, Segment]) -> list[Edit]:
    """Rows refused because their sentence changed that still hold a person's English."""
    return [
        edit for edit, verdict in verdicts
        if verdict.refused and edit.id not in by_id and edit.target.strip()
        and not (edit.base and fingerprint(edit.state, edit.target) == edit.base and not edit.state.is_human)
    ]


def _remember(
    document: Document, updated: list[str], moved: list[Edit], memory: MemorySettings | None, who: str = ""
) -> int:
    """Record the human work an import brought in the memory, as who's (default: translator_name());
    return how many entries changed."""
    if memory is None or memory.path is None:
        return 0
    changed_ids = set(updated)
    segments = [s for s in document.segments if s.id in changed_ids and s.state.is_human]
    stamp, who = now_stamp(), who or translator_name()
    entries = human_entries(segments, document.name, who) + [
        MemoryEntry(e.id, e.source, e.target, e.state if e.state.is_human else ReviewState.REVIEWED,
                    document=document.name, created=stamp, changed=stamp, who=who)
        for e in moved
    ]
    if not entries:
        return 0

    def add_all(tm: TranslationMemory) -> int:
        return sum(tm.add(entry) != "unchanged" for entry in entries)

    return update_memory(memory.path, add_all)
