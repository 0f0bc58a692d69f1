"""Export a document for CAT tools (XLIFF 1.2) and spreadsheets (CSV), and import translators' edits back.

Import rules, one place: a target that differs from the stored one is a person's work (at least
reviewed, recorded in the memory, never replaced by the model); a row whose English is what the
export carried brings nothing and changes nothing; an export older than the segment file's human
work is a conflict; changing approved English needs force; every refused row is named.
"""

from __future__ import annotations

import csv
import hashlib
import io
import unicodedata
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

from .. import __version__
from ..chars import NOT_XML
from ..document import Approval, Document, Mark, ReviewState, Segment
from ..errors import SegmentFileError
from ..files import parse_untrusted_xml, read_input
from ..memory import (
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
from ..provenance import after_edit
from ..read import decode_spreadsheet
from ..terms import Glossary, Term
from .segfile import LP_NS, XLIFF_NS, keep_backup, read_segment_file, read_unit, render_xliff, write_segment_file

CSV_COLUMNS = ("id", "role", "state", "source", "target", "notes", "matches", "base")
_OLD_CSV_COLUMNS = CSV_COLUMNS[:6]  # exports before memory matches and base fingerprints
_CSV_REQUIRED = ("id", "state", "source", "target")
_GLOSSARY_NOTE = "glossary"
_XLIFF_1_NS = "urn:oasis:names:tc:xliff:document:1."
_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'
_BASE = f"{{{LP_NS}}}base"
_EXPORT_MARK = f"{{{LP_NS}}}export"
_MAX_PROBLEMS_SHOWN = 8
_PO_HEADER = "x-gettext-domain-header"  # the restype translate-toolkit gives a PO header's trans-unit
_RANK = {state: rank for rank, state in enumerate(ReviewState)}


class ExportFormat(StrEnum):
    """The files a translator can take away: XLIFF 1.2 for CAT tools, CSV for spreadsheets."""

    XLIFF = "xliff"
    CSV = "csv"


@dataclass(frozen=True)
class Refusal:
    """A row an import did not apply: its id and why, in words a translator acts on."""

    id: str
    reason: str


@dataclass
class ImportReport:
    """What an import did: ids updated, segments unchanged, rows refused (applied only with partial)."""

    updated: list[str] = field(default_factory=list)  # ids whose target or state changed
    unchanged: int = 0  # segments left as they were, including those the import file lacked
    backup: Path | None = None  # a timestamped copy of the previous segment file; None when nothing was written
    refused: list[Refusal] = field(default_factory=list)
    remembered: int = 0  # translation-memory entries added or changed
    by_sentence: int = 0  # rows whose id the file lost (a tool renumbered them), matched by their sentence


class ImportRefused(SegmentFileError):
    """Rows an import would refuse; nothing was imported. refused names each one."""

    def __init__(self, message: str, refused: list[Refusal]) -> None:
        super().__init__(message)
        self.refused = refused


@dataclass(frozen=True)
class _Edit:
    """One row or trans-unit of an import file, already checked on its own."""

    id: str
    source: str
    target: str
    state: ReviewState
    where: str  # "line 4 (id 's2')" or "trans-unit 's2'", for messages
    base: str = ""  # the fingerprint of the English the export carried; "" for files from elsewhere
    target_marks: tuple[Mark, ...] | None = None  # emphasis from XLIFF <g> tags; None: the file cannot say (CSV)
    renumbered: str = ""  # the id the file gave, when it was not the segment file's and the sentence said which
    comments: tuple[str, ...] | None = None  # reviewer comments to set; None: the file cannot say (exports)


def fingerprint(state: ReviewState, target: str) -> str:
    """A short hash of a unit's state and English, written into exports as 'base' so an import can
    tell an untouched row, and an export older than the segment file's human work."""
    return hashlib.sha256(f"{state}\n{target}".encode()).hexdigest()[:16]


# --- export ----------------------------------------------------------------------------------------


def export_document(document: Document, fmt: ExportFormat, glossary: Glossary | None = None) -> bytes:
    """The document as the bytes of an XLIFF 1.2 or CSV file; glossary hits become notes when a glossary is given."""
    return _EXPORTERS[ExportFormat(fmt)](document, glossary)


def _glossary_terms(segment: Segment, glossary: Glossary | None) -> list[Term]:
    if glossary is None:
        return []
    return list(dict.fromkeys(hit.term for hit in glossary.find(segment.source)))


def _append_indented(parent: ET.Element, child: ET.Element) -> None:
    """Append child in the rendered file's indentation. Not ET.indent: it would put white space into
    <source>s and <target>s that open or close with an emphasis tag (<g ctype="bold">)."""
    last = parent[-1] if len(parent) else None
    parent.append(child)
    if last is not None:
        child.tail, last.tail = last.tail, parent.text


def _export_xliff(document: Document, glossary: Glossary | None) -> bytes:
    root = ET.fromstring(render_xliff(document))  # our own XML, just rendered
    header = root.find(f"{{{XLIFF_NS}}}file/{{{XLIFF_NS}}}header")
    if header is not None:
        _append_indented(header, ET.Element(_EXPORT_MARK, {"exported": now_stamp()}))
    by_id = {segment.id: segment for segment in document.segments}
    for unit in root.iter(f"{{{XLIFF_NS}}}trans-unit"):
        segment = by_id[unit.get("id", "")]
        unit.set(_BASE, fingerprint(segment.state, segment.target))
        for term in _glossary_terms(segment, glossary):
            note = ET.Element(f"{{{XLIFF_NS}}}note", {"from": _GLOSSARY_NOTE})
            note.text = f"{term.source} = {term.target}"
            _append_indented(unit, note)
    return (_DECLARATION + ET.tostring(root, encoding="unicode") + "\n").encode("utf-8")


def _export_csv(document: Document, glossary: Glossary | None) -> bytes:
    buffer = io.StringIO()
    # Every cell quoted and CRLF rows as RFC 4180 has them; the BOM makes Excel read UTF-8, not the ANSI code page.
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for segment in document.segments:
        notes = [*segment.notes, *(f"glossary: {t.source} = {t.target}" for t in _glossary_terms(segment, glossary))]
        matches = "\n".join(f"{m.score}% {m.origin}: {m.target}" for m in segment.matches)
        writer.writerow([
            segment.id, segment.role, segment.state, segment.source, segment.target, "\n".join(notes), matches,
            fingerprint(segment.state, segment.target),
        ])
    return buffer.getvalue().encode("utf-8-sig")


_EXPORTERS: dict[ExportFormat, Callable[[Document, Glossary | None], bytes]] = {
    ExportFormat.XLIFF: _export_xliff,
    ExportFormat.CSV: _export_csv,
}


def check_export_target(output: Path, fmt: ExportFormat, inputs: dict[str, Path | None], force: bool) -> None:
    """Raise SegmentFileError when writing an export to output would overwrite an input or a file
    that is not an export of this kind; force allows it.

    inputs names the files never to overwrite ('the article': path, 'the segment file': path, ...).
    """
    if force:
        return
    for what, path in inputs.items():
        if path is not None and _same_file(output, path):
            raise SegmentFileError(
                f"export -o {output} is {what}; an export never overwrites its inputs; choose another file name"
            )
    if output.is_dir():
        raise SegmentFileError(f"export -o {output} is a folder; give a file name")
    if output.exists() and not _is_export(output, fmt):
        raise SegmentFileError(
            f"export -o {output} exists and is not a leshan-pub {fmt} export; choose another file name, "
            "or add --force to overwrite it"
        )


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and a.samefile(b)
    except OSError:
        return a.absolute() == b.absolute()


def _is_export(path: Path, fmt: ExportFormat) -> bool:
    """True when path holds an export of kind fmt, which a new export may replace."""
    try:
        data = path.read_bytes()
    except OSError:
        return False
    if fmt is ExportFormat.CSV:
        first = data.decode("utf-8-sig", errors="replace").split("\n", 1)[0]
        header = tuple(next(csv.reader([first]), []))
        return header in (CSV_COLUMNS, _OLD_CSV_COLUMNS)
    try:
        root = parse_untrusted_xml(data, str(path), SegmentFileError)
    except SegmentFileError:
        return False
    return root.find(f"{{{XLIFF_NS}}}file/{{{XLIFF_NS}}}header/{_EXPORT_MARK}") is not None


# --- import ----------------------------------------------------------------------------------------


def import_file(
    path: Path,
    segment_file: Path,
    force: bool = False,
    partial: bool = False,
    memory: MemorySettings | None = None,
) -> ImportReport:
    """Apply the targets and states of an exported file, edited by a translator, to the segment file.

    The format follows the suffix (.xlf, .xliff, .csv). A broken file (bad rows, repeated ids)
    raises SegmentFileError naming each line or trans-unit at fault, and nothing changes. Rows the
    import rules refuse raise ImportRefused naming every id, and nothing changes, unless partial:
    then the other rows are applied and the refused ones listed in the report; the English of rows
    whose sentence the author changed goes into the memory, to come back as a match. Segments the
    file lacks stay as they are. When something changes, the previous segment file is kept as a
    timestamped backup, the new one is written atomically, and human work goes into the memory.
    """
    reader = _READERS.get(path.suffix.lower())
    if reader is None:
        raise SegmentFileError(f"{path}: cannot import a '{path.suffix}' file; give an .xlf, .xliff or .csv export")
    edits, problems = reader(_read_import_bytes(path), str(path))
    return _apply_edits(edits, problems, str(path), segment_file, force, partial, memory)


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
    problem = _target_problem(f"segment {segment_id!r}", target, state)
    if problem:
        raise SegmentFileError(problem)
    document = document if document is not None else read_segment_file(segment_file)
    found = next((s for s in document.segments if s.id == segment_id), None)
    if found is None:
        raise SegmentFileError(f"segment {segment_id!r} is not in {segment_file.name}; reload the document")
    edit = _Edit(segment_id, found.source, target, state, f"segment {segment_id!r}", base,
                 comments=tuple(comments) if comments is not None else None)
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
    edits = [_Edit(s.id, s.source, s.target, ReviewState.APPROVED, f"segment {s.id!r}") for s in segments]
    return _apply_edits(edits, [], segment_file.name, segment_file, False, False, memory, document, True, approver)


def _apply_edits(
    edits: list[_Edit],
    problems: list[str],
    name: str,
    segment_file: Path,
    force: bool,
    partial: bool,
    memory: MemorySettings | None,
    document: Document | None = None,
    backup: bool = True,
    approver: str = "",
) -> ImportReport:
    """The import rules applied to edits already read: the one write path of import and review.

    approver, when given, is recorded as the approval of segments these edits approve (and an
    approval is dropped from segments that leave approved)."""
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
    for edit, verdict in verdicts:
        if verdict.state is not None:
            segment = by_id[edit.id]
            segment.signature = after_edit(segment.signature, segment.target, edit.target, __version__)
            if edit.target_marks is not None:
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
    for edit, verdict in verdicts:
        segment = by_id.get(edit.id)
        if edit.comments is not None and segment is not None and not verdict.refused \
                and list(edit.comments) != segment.comments:
            segment.comments = list(edit.comments)
            if edit.id not in report.updated:
                report.updated.append(edit.id)
    report.unchanged = len(document.segments) - len(report.updated)
    report.remembered = _remember(document, report.updated, _moved_work(verdicts, by_id), memory, approver)
    if memory is not None and memory.path is not None and report.remembered:
        # Work that arrived for a changed sentence is offered at once to the sentence that replaced it.
        before = {s.id: (s.target, s.state, s.matches) for s in document.segments}
        leverage(document.segments, read_memory(memory.path), memory.fuzzy_threshold)
        report.updated += [s.id for s in document.segments
                           if s.id not in report.updated and (s.target, s.state, s.matches) != before[s.id]]
        report.unchanged = len(document.segments) - len(report.updated)
    if report.updated:
        report.backup = keep_backup(segment_file) if backup else None
        write_segment_file(segment_file, document)
    return report


@dataclass(frozen=True)
class _Verdict:
    """What an import does with one row: give its segment a state, leave it, or refuse it for a reason."""

    state: ReviewState | None = None  # None: nothing to apply
    refused: str = ""  # the reason, when refused


_UNCHANGED = _Verdict()


def _matched_by_sentence(edits: list[_Edit], document: Document) -> tuple[list[_Edit], int]:
    """The edits, each whose id the segment file lacks given the id of the one segment with its sentence.

    Tools that convert XLIFF (translate-toolkit's xliff2po and po2xliff, some CAT tools) renumber
    the trans-units but keep their sentences. A sentence that stands more than once in the
    segment file cannot say which segment it was: its row keeps its id, and is refused.
    """
    ids = {segment.id for segment in document.segments}
    by_source: dict[str, list[str]] = {}
    for segment in document.segments:
        by_source.setdefault(segment.source, []).append(segment.id)
    matched: list[_Edit] = []
    count = 0
    for edit in edits:
        found = by_source.get(edit.source, [])
        if edit.id not in ids and len(found) == 1:
            edit = replace(edit, id=found[0], renumbered=edit.id)
            count += 1
        matched.append(edit)
    return matched, count


def _judge(edit: _Edit, segment: Segment | None, sources: set[str], segment_file: str, force: bool) -> _Verdict:
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
    if edit.base and edit.base != fingerprint(segment.state, segment.target) and segment.state.is_human and not force:
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


def _read_import_bytes(path: Path) -> bytes:
    data = read_input(path, SegmentFileError, "the exported .xlf or .csv file")
    if not data.strip():
        raise SegmentFileError(f"{path} is empty; nothing to import")
    return data


def _repeated_ids(edits: list[_Edit], document: Document, segment_file: Path) -> list[str]:
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


def _moved_work(verdicts: list[tuple[_Edit, _Verdict]], by_id: dict[str, Segment]) -> list[_Edit]:
    """Rows refused because their sentence changed that still hold a person's English."""
    return [
        edit for edit, verdict in verdicts
        if verdict.refused and edit.id not in by_id and edit.target.strip()
        and not (edit.base and fingerprint(edit.state, edit.target) == edit.base and not edit.state.is_human)
    ]


def _remember(
    document: Document, updated: list[str], moved: list[_Edit], memory: MemorySettings | None, who: str = ""
) -> int:
    """Record the human work an import brought in the memory, as who's (default: translator_name());
    return how many entries changed."""
    if memory is None or memory.path is None:
        return 0
    changed_ids = set(updated)
    segments = [s for s in document.segments if s.id in changed_ids and s.state.is_human]
    stamp, who = now_stamp(), who or translator_name()
    entries = human_entries(segments, document.name, who) + [
        MemoryEntry(e.source, e.target, e.state if e.state.is_human else ReviewState.REVIEWED, document.name, e.id,
                    stamp, stamp, who)
        for e in moved
    ]
    if not entries:
        return 0

    def add_all(tm: TranslationMemory) -> int:
        return sum(tm.add(entry) != "unchanged" for entry in entries)

    return update_memory(memory.path, add_all)


def _target_problem(where: str, target: str, state: ReviewState) -> str | None:
    if state is not ReviewState.NEW and not target.strip():
        return f"{where}: state {state} needs English in the target; add it or set the state to new"
    bad = NOT_XML.search(target)
    if bad:
        return f"{where}: target holds control character U+{ord(bad.group()):04X}, which XML cannot store; remove it"
    return None


# --- CSV -------------------------------------------------------------------------------------------


def _read_csv(data: bytes, name: str) -> tuple[list[_Edit], list[str]]:
    try:
        text = decode_spreadsheet(data)
    except UnicodeDecodeError as exc:
        raise SegmentFileError(
            f"{name} byte {exc.start}: not UTF-8, and no other encoding reads it as Chinese; "
            "save it as UTF-8 (Excel: 'CSV UTF-8')"
        ) from None
    first_line = text.split("\n", 1)[0]
    # Spreadsheets in some locales save with semicolons; the header row says which separator it is.
    delimiter = max((",", ";", "\t"), key=first_line.count)
    # newline=None reads CRLF, LF and CR alike, inside quoted cells too.
    rows = csv.reader(io.StringIO(text, newline=None), delimiter=delimiter, strict=True)
    edits: list[_Edit] = []
    problems: list[str] = []
    line = 1  # where the record being read starts; a quoted cell may span several lines
    try:
        columns = [cell.strip().lower() for cell in next(rows, [])]
        _check_csv_header(columns, name)
        line = rows.line_num + 1
        for row in rows:
            start, line = line, rows.line_num + 1
            if not any(cell.strip() for cell in row):
                continue
            edit = _csv_edit(row, columns, start, problems)
            if edit is not None:
                edits.append(edit)
    except csv.Error as exc:
        raise SegmentFileError(f"{name} line {line}: {exc}; check the quoting or re-export") from None
    if not edits and not problems:
        raise SegmentFileError(f"{name} has a header but no rows; nothing to import")
    return edits, problems


def _check_csv_header(columns: list[str], name: str) -> None:
    missing = [c for c in _CSV_REQUIRED if c not in columns]
    unknown = [c for c in columns if c not in CSV_COLUMNS]
    repeated = sorted({c for c in columns if columns.count(c) > 1})
    if missing or unknown or repeated:
        found = f"lacks {missing}" if missing else f"has unknown {unknown}" if unknown else f"repeats {repeated}"
        raise SegmentFileError(
            f"{name} line 1: header {found}; the first row must name the columns {', '.join(CSV_COLUMNS)} "
            f"({', '.join(_CSV_REQUIRED)} required)"
        )


def _csv_edit(row: list[str], columns: list[str], line: int, problems: list[str]) -> _Edit | None:
    """The row as an edit, or None after adding its problem to problems."""
    if len(row) != len(columns):
        problems.append(
            f"line {line}: {len(row)} cells but the header names {len(columns)}; check for a stray separator"
        )
        return None
    cells = dict(zip(columns, row))
    unit_id = cells["id"].strip()
    where = f"line {line} (id {unit_id!r})" if unit_id else f"line {line}"
    if not unit_id:
        problems.append(f"{where}: the id is empty; keep the exported ids as they are")
        return None
    try:
        state = ReviewState(cells["state"].strip().lower())
    except ValueError:
        problems.append(f"{where}: state {cells['state']!r} is not one of {', '.join(ReviewState)}")
        return None
    problem = _target_problem(where, cells["target"], state)
    if problem:
        problems.append(problem)
        return None
    return _Edit(unit_id, cells["source"], cells["target"], state, where, cells.get("base", "").strip())


# --- XLIFF -----------------------------------------------------------------------------------------


def _read_xliff(data: bytes, name: str) -> tuple[list[_Edit], list[str]]:
    # segfile.parse_xliff reads only our own layout (XLIFF 1.2, one group per block with a role);
    # CAT tools and translate-toolkit also write XLIFF 1.1 and units straight under <body>.
    root = parse_untrusted_xml(data, name, SegmentFileError)
    namespace, _, local = root.tag.rpartition("}")
    namespace = namespace.removeprefix("{")
    if local != "xliff" or (namespace and not namespace.startswith(_XLIFF_1_NS)):
        raise SegmentFileError(
            f"{name}: root element is {root.tag!r}, not XLIFF 1.x; export XLIFF 1.2 from the CAT tool"
        )
    ns = f"{{{namespace}}}" if namespace else ""
    edits: list[_Edit] = []
    problems: list[str] = []
    for number, unit in enumerate(root.iter(f"{ns}trans-unit"), start=1):
        if unit.get("restype") == _PO_HEADER:
            continue  # po2xliff's copy of a PO file's header: no sentence of the article
        edit = _xliff_edit(unit, number, ns, problems)
        if edit is not None:
            edits.append(edit)
    if not edits and not problems:
        raise SegmentFileError(f"{name} has no <trans-unit>; nothing to import")
    return edits, problems


def _xliff_edit(unit: ET.Element, number: int, ns: str, problems: list[str]) -> _Edit | None:
    """The trans-unit as an edit, or None after adding its problem to problems."""
    try:
        read = read_unit(unit, ns, number)  # the one XLIFF reading, with the segment file's approval rule
    except SegmentFileError as exc:
        problems.append(str(exc))
        return None
    return _Edit(read.id, read.source, read.target, read.state, f"trans-unit {read.id!r}", read.base, read.target_marks)


_READERS: dict[str, Callable[[bytes, str], tuple[list[_Edit], list[str]]]] = {
    ".xlf": _read_xliff,
    ".xliff": _read_xliff,
    ".csv": _read_csv,
}
