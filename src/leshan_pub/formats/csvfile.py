"""CSV exports for spreadsheets, and reading them back in Excel's encodings and separators."""

from __future__ import annotations

import csv
import io

from ..document import Document, ReviewState
from ..errors import SegmentFileError
from ..read import decode_spreadsheet
from ..terms import Glossary
from .rows import Edit, fingerprint, glossary_terms, target_problem

CSV_COLUMNS = ("id", "role", "state", "source", "target", "notes", "matches", "base")
OLD_CSV_COLUMNS = CSV_COLUMNS[:6]  # exports before memory matches and base fingerprints
_CSV_REQUIRED = ("id", "state", "source", "target")


def export_csv(document: Document, glossary: Glossary | None) -> bytes:
    """The document as the bytes of a CSV export (UTF-8 with a BOM, every cell quoted)."""
    buffer = io.StringIO()
    # Every cell quoted and CRLF rows as RFC 4180 has them; the BOM makes Excel read UTF-8, not the ANSI code page.
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for segment in document.segments:
        notes = [*segment.notes, *(f"glossary: {t.source} = {t.target}" for t in glossary_terms(segment, glossary))]
        matches = "\n".join(f"{m.score}% {m.origin}: {m.target}" for m in segment.matches)
        writer.writerow([
            segment.id, segment.role, segment.state, segment.source, segment.target, "\n".join(notes), matches,
            fingerprint(segment.state, segment.target),
        ])
    return buffer.getvalue().encode("utf-8-sig")


def is_csv_export(data: bytes) -> bool:
    """True when data opens with the header row of a CSV export, this one's or an older one's."""
    first = data.decode("utf-8-sig", errors="replace").split("\n", 1)[0]
    header = tuple(next(csv.reader([first]), []))
    return header in (CSV_COLUMNS, OLD_CSV_COLUMNS)


def read_csv(data: bytes, name: str) -> tuple[list[Edit], list[str]]:
    """The rows of a CSV file as edits, and the problems of rows that cannot be read (line by line)."""
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
    edits: list[Edit] = []
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


def _csv_edit(row: list[str], columns: list[str], line: int, problems: list[str]) -> Edit | None:
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
    problem = target_problem(where, cells["target"], state)
    if problem:
        problems.append(problem)
        return None
    return Edit(unit_id, cells["source"], cells["target"], state, where=where, base=cells.get("base", "").strip())
