"""The exchange files a translator takes away and brings back: XLIFF 1.2 for CAT tools, CSV for spreadsheets.

Export, where an export may be written, and reading an edited file back as rows, by its suffix;
what an import does with those rows is the review workflow's (leshan_pub.review).
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from pathlib import Path

from ..document import Document
from ..errors import SegmentFileError
from ..files import read_input
from ..terms import Glossary
from .csvfile import export_csv, is_csv_export, read_csv
from .rows import Edit
from .xliff_export import export_xliff, is_xliff_export, read_xliff


class ExportFormat(StrEnum):
    """The files a translator can take away: XLIFF 1.2 for CAT tools, CSV for spreadsheets."""

    XLIFF = "xliff"
    CSV = "csv"



def export_document(document: Document, fmt: ExportFormat, glossary: Glossary | None = None) -> bytes:
    """The document as the bytes of an XLIFF 1.2 or CSV file; glossary hits become notes when a glossary is given."""
    return _EXPORTERS[ExportFormat(fmt)](document, glossary)


_EXPORTERS: dict[ExportFormat, Callable[[Document, Glossary | None], bytes]] = {
    ExportFormat.XLIFF: export_xliff,
    ExportFormat.CSV: export_csv,
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
    return is_csv_export(data) if fmt is ExportFormat.CSV else is_xliff_export(data, str(path))


def read_exchange_file(path: Path) -> tuple[list[Edit], list[str]]:
    """The rows of an edited export, read by its suffix (.xlf, .xliff, .csv), and the problems of rows
    that cannot be read. Raises SegmentFileError for a file of another kind, an empty or unreadable one."""
    reader = _READERS.get(path.suffix.lower())
    if reader is None and path.suffix.lower() == ".txt":
        raise SegmentFileError(
            f"{path}: cannot import a '.txt' file; if Excel saved it as 'Unicode Text', rename it to .csv and import "
            "that (it is read as UTF-16, tab-separated); otherwise give an .xlf, .xliff or .csv export"
        )
    if reader is None:
        raise SegmentFileError(f"{path}: cannot import a '{path.suffix}' file; give an .xlf, .xliff or .csv export")
    return reader(_read_import_bytes(path), str(path))


def _read_import_bytes(path: Path) -> bytes:
    data = read_input(path, SegmentFileError, "the exported .xlf or .csv file")
    if not data.strip():
        raise SegmentFileError(f"{path} is empty; nothing to import")
    return data


_READERS: dict[str, Callable[[bytes, str], tuple[list[Edit], list[str]]]] = {
    ".xlf": read_xliff,
    ".xliff": read_xliff,
    ".csv": read_csv,
}
