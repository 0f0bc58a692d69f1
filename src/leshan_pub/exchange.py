"""Export a document for CAT tools (XLIFF 1.2) and spreadsheets (CSV), and import translators' edits back."""

from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from .atomic import write_bytes_atomic
from .document import Document, ReviewState, Segment
from .errors import SegmentFileError
from .files import parse_untrusted_xml, read_input
from .terms import Glossary, Term
from .segfile import STATES_FROM_XLIFF as XLIFF_STATES
from .segfile import XLIFF_NS, read_segment_file, render_xliff, write_segment_file

CSV_COLUMNS = ("id", "role", "state", "source", "target", "notes")
_CSV_REQUIRED = ("id", "state", "source", "target")
_GLOSSARY_NOTE = "glossary"
_XLIFF_1_NS = "urn:oasis:names:tc:xliff:document:1."
_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'
# translate-toolkit writes a file-qualified id ('demo.zh.txt' + U+0004 + 's2') with this in place of U+0004.
_TT_ID_SEPARATOR = "__%04__"
# Characters XML 1.0 cannot hold; a spreadsheet cell can, and writing one would break the segment file.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_MAX_PROBLEMS_SHOWN = 8
_RANK = {state: rank for rank, state in enumerate(ReviewState)}


class ExportFormat(StrEnum):
    """The files a translator can take away: XLIFF 1.2 for CAT tools, CSV for spreadsheets."""

    XLIFF = "xliff"
    CSV = "csv"


@dataclass
class ImportReport:
    """What an import did: updated + unchanged + skipped_human always add up to the segment count."""

    updated: list[str] = field(default_factory=list)  # ids whose target or state changed
    unchanged: int = 0  # segments left as they were, including those the import file lacked
    backup: Path | None = None  # the previous segment file; None when nothing was written
    skipped_human: list[str] = field(default_factory=list)  # reviewed/approved work kept (force=False)


@dataclass(frozen=True)
class _Edit:
    """One row or trans-unit of an import file, already checked on its own."""

    id: str
    source: str
    target: str
    state: ReviewState
    where: str  # "line 4 (id 's2')" or "trans-unit 's2'", for messages


# --- export ----------------------------------------------------------------------------------------


def export_document(document: Document, fmt: ExportFormat, glossary: Glossary | None = None) -> bytes:
    """The document as the bytes of an XLIFF 1.2 or CSV file; glossary hits become notes when a glossary is given."""
    return _EXPORTERS[ExportFormat(fmt)](document, glossary)


def _glossary_terms(segment: Segment, glossary: Glossary | None) -> list[Term]:
    if glossary is None:
        return []
    return list(dict.fromkeys(hit.term for hit in glossary.find(segment.source)))


def _export_xliff(document: Document, glossary: Glossary | None) -> bytes:
    data = render_xliff(document)
    if glossary is None:
        return data
    root = ET.fromstring(data)  # our own XML, just rendered
    terms = {segment.id: _glossary_terms(segment, glossary) for segment in document.segments}
    for unit in root.iter(f"{{{XLIFF_NS}}}trans-unit"):
        for term in terms.get(unit.get("id", ""), []):
            note = ET.SubElement(unit, f"{{{XLIFF_NS}}}note", {"from": _GLOSSARY_NOTE})
            note.text = f"{term.source} = {term.target}"
    ET.indent(root, space="  ")
    return (_DECLARATION + ET.tostring(root, encoding="unicode") + "\n").encode("utf-8")


def _export_csv(document: Document, glossary: Glossary | None) -> bytes:
    buffer = io.StringIO()
    # Every cell quoted and CRLF rows as RFC 4180 has them; the BOM makes Excel read UTF-8, not the ANSI code page.
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for segment in document.segments:
        notes = [*segment.notes, *(f"glossary: {t.source} = {t.target}" for t in _glossary_terms(segment, glossary))]
        writer.writerow([segment.id, segment.role, segment.state, segment.source, segment.target, "\n".join(notes)])
    return buffer.getvalue().encode("utf-8-sig")


_EXPORTERS: dict[ExportFormat, Callable[[Document, Glossary | None], bytes]] = {
    ExportFormat.XLIFF: _export_xliff,
    ExportFormat.CSV: _export_csv,
}


# --- import ----------------------------------------------------------------------------------------


def import_file(path: Path, segment_file: Path, force: bool = False) -> ImportReport:
    """Apply the targets and states of an exported file, edited by a translator, to the segment file.

    The format follows the suffix (.xlf, .xliff, .csv). Everything is checked before anything is
    written: any problem raises SegmentFileError naming each CSV line or XLIFF trans-unit at fault,
    and the segment file is left as it was. Only target and state are imported (ids and sources
    are keys; roles and notes are ours). Segments the file lacks are left as they are. Without
    force, a reviewed or approved segment whose target would change or whose state would drop is
    kept and listed in skipped_human. When something changes, the previous segment file is kept
    as '<segment file>.bak' and the new one is written atomically.
    """
    reader = _READERS.get(path.suffix.lower())
    if reader is None:
        raise SegmentFileError(f"{path}: cannot import a '{path.suffix}' file; give an .xlf, .xliff or .csv export")
    edits, problems = reader(_read_import_bytes(path), str(path))
    document = read_segment_file(segment_file)
    previous = segment_file.read_bytes()
    problems += _mismatches(edits, document, segment_file)
    if problems:
        shown = "; ".join(problems[:_MAX_PROBLEMS_SHOWN])
        more = f"; and {len(problems) - _MAX_PROBLEMS_SHOWN} more" if len(problems) > _MAX_PROBLEMS_SHOWN else ""
        raise SegmentFileError(f"{path}: nothing imported, {len(problems)} problem(s): {shown}{more}")

    report = _apply(edits, document, force)
    if report.updated:
        report.backup = segment_file.with_name(segment_file.name + ".bak")
        write_bytes_atomic(report.backup, previous)
        write_segment_file(segment_file, document)
    return report


def _read_import_bytes(path: Path) -> bytes:
    data = read_input(path, SegmentFileError, "the exported .xlf or .csv file")
    if not data.strip():
        raise SegmentFileError(f"{path} is empty; nothing to import")
    return data


def _mismatches(edits: list[_Edit], document: Document, segment_file: Path) -> list[str]:
    """Problems between the file and the segment file: repeated or unknown ids, edited sources."""
    by_id = {segment.id: segment for segment in document.segments}
    if edits and not any(edit.id in by_id for edit in edits):
        raise SegmentFileError(
            f"none of the {len(edits)} ids in the import file is in {segment_file.name}; "
            "it is an export of another document or of an older segmentation"
        )
    problems: list[str] = []
    seen: set[str] = set()
    for edit in edits:
        segment = by_id.get(edit.id)
        if edit.id in seen:
            problems.append(f"{edit.where}: id appears more than once; keep one")
        elif segment is None:
            problems.append(f"{edit.where}: id is not in {segment_file.name}; keep the exported ids as they are")
        elif edit.source != segment.source:
            problems.append(
                f"{edit.where}: source {edit.source!r} differs from the segment file's {segment.source!r}; "
                "sources are read-only, undo the edit"
            )
        seen.add(edit.id)
    return problems


def _apply(edits: Iterable[_Edit], document: Document, force: bool) -> ImportReport:
    """Change the document's segments in place; human work stays unless force."""
    by_id = {segment.id: segment for segment in document.segments}
    report = ImportReport()
    for edit in edits:
        segment = by_id[edit.id]
        if edit.target == segment.target and edit.state is segment.state:
            continue
        lowers = _RANK[edit.state] < _RANK[segment.state]
        if segment.state.is_human and not force and (edit.target != segment.target or lowers):
            report.skipped_human.append(edit.id)
            continue
        segment.target, segment.state = edit.target, edit.state
        report.updated.append(edit.id)
    report.unchanged = len(document.segments) - len(report.updated) - len(report.skipped_human)
    return report


def _target_problem(where: str, target: str, state: ReviewState) -> str | None:
    if state is not ReviewState.NEW and not target.strip():
        return f"{where}: state {state} needs English in the target; add it or set the state to new"
    bad = _NOT_XML.search(target)
    if bad:
        return f"{where}: target holds control character U+{ord(bad.group()):04X}, which XML cannot store; remove it"
    return None


# --- CSV -------------------------------------------------------------------------------------------


def _read_csv(data: bytes, name: str) -> tuple[list[_Edit], list[str]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SegmentFileError(f"{name} byte {exc.start}: not UTF-8; save it as UTF-8 (Excel: 'CSV UTF-8')") from None
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
    return _Edit(unit_id, cells["source"], cells["target"], state, where)


# --- XLIFF -----------------------------------------------------------------------------------------


def _read_xliff(data: bytes, name: str) -> tuple[list[_Edit], list[str]]:
    # segfile.parse_xliff reads only our own layout (XLIFF 1.2, one group per block with a role);
    # CAT tools and translate-toolkit also write XLIFF 1.1 and units straight under <body>.
    root = parse_untrusted_xml(data, name, SegmentFileError, "re-export it")
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
        edit = _xliff_edit(unit, number, ns, problems)
        if edit is not None:
            edits.append(edit)
    if not edits and not problems:
        raise SegmentFileError(f"{name} has no <trans-unit>; nothing to import")
    return edits, problems


def _xliff_edit(unit: ET.Element, number: int, ns: str, problems: list[str]) -> _Edit | None:
    """The trans-unit as an edit, or None after adding its problem to problems."""
    unit_id = unit.get("id", "").rpartition(_TT_ID_SEPARATOR)[2]
    if not unit_id:
        problems.append(f"trans-unit {number}: no id; keep the exported ids as they are")
        return None
    where = f"trans-unit {unit_id!r}"
    source = unit.find(f"{ns}source")
    if source is None:
        problems.append(f"{where}: no <source>; keep the exported source")
        return None
    target = unit.find(f"{ns}target")
    text = "".join(target.itertext()) if target is not None else ""
    state_name = target.get("state") if target is not None else None
    if state_name is None:
        # Without a state, approved="yes" is the only word on review; any English counts as reviewed.
        approved = unit.get("approved") == "yes"
        state = ReviewState.NEW if not text else ReviewState.APPROVED if approved else ReviewState.REVIEWED
    elif state_name in XLIFF_STATES:
        # The state attribute wins over approved="yes": translate-toolkit and several CAT tools set
        # approved on any confirmed target, which is not a reviewer's sign-off.
        state = XLIFF_STATES[state_name]
    else:
        problems.append(f"{where}: state {state_name!r} is not one of {', '.join(sorted(XLIFF_STATES))}")
        return None
    problem = _target_problem(where, text, state)
    if problem:
        problems.append(problem)
        return None
    return _Edit(unit_id, "".join(source.itertext()), text, state, where)


_READERS: dict[str, Callable[[bytes, str], tuple[list[_Edit], list[str]]]] = {
    ".xlf": _read_xliff,
    ".xliff": _read_xliff,
    ".csv": _read_csv,
}
