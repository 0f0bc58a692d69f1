"""The DOCX's tables and pictures: Word tables of Chinese and English cells, and images scaled to the text width."""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence

from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.image.exceptions import UnrecognizedImageError
from docx.image.image import Image as DocxImage
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Emu, Length, Pt
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph

from ..document import Picture, Segment
from .tables import Grid, GridCell, chinese_pieces, column_widths, english_pieces, fits, measure_columns

HEADER_FILL = "EEF1F5"
CELL_MARGIN = Pt(3)
CELL_SIZE = 9.5  # points: the Table Text style's size

# Writes one side (the Chinese or the English) of a block into a paragraph; the flag sets it bold (a header row).
Writer = Callable[[Paragraph, Sequence[Segment], bool], None]


def _approximate_width(text: str) -> float:
    """Points text takes at the cell size: a full-width character an em, a Latin one about half."""
    return sum(CELL_SIZE if ord(ch) >= 0x2E80 else 0.55 * CELL_SIZE for ch in text)


def fits_half(grid: Grid, width: Length) -> bool:
    """True when the grid's Chinese keeps its figures and words whole in a column of the side-by-side table."""
    return fits(grid, Length(width).pt, _approximate_width, chinese_pieces, 2 * CELL_MARGIN.pt + CELL_SIZE / 2)


def fill_grid(table: Table, grid: Grid, width: Length, sides: Sequence[Writer], texts: Callable[[GridCell], list[str]],
              style: str) -> None:
    """Fill a table made with grid.rows x grid.columns: merged cells merged, each cell's blocks written
    by each writer in sides (Chinese, English, or both one after the other), header rows bold and
    repeated on each page, columns sized to their text."""
    table.autofit = False
    table.alignment = WD_TABLE_ALIGNMENT.LEFT
    natural, least = measure_columns(grid, texts, _approximate_width, lambda t: chinese_pieces(t) + english_pieces(t))
    margin = 2 * CELL_MARGIN.pt + CELL_SIZE / 2
    widths = column_widths([n + margin for n in natural], [n + margin for n in least], Length(width).pt)
    for column, points in zip(table.columns, widths):
        column.width = Pt(points)
        for cell in column.cells:
            cell.width = Pt(points)
    for row in range(grid.header_rows):
        _raw(table.rows[row]).get_or_add_trPr().append(OxmlElement("w:tblHeader"))
    for (row, column), content in grid.cells.items():
        place = content.place
        cell = table.cell(row, column)
        if place.rows > 1 or place.columns > 1:
            cell = cell.merge(table.cell(row + place.rows - 1, column + place.columns - 1))
        _write_cell(cell, content, sides, style, place.header)
    _grid_borders(table)


def _write_cell(cell: _Cell, content: GridCell, sides: Sequence[Writer], style: str, header: bool) -> None:
    paragraphs = list(cell.paragraphs)
    first = True
    for side in sides:
        for block in content.blocks:
            paragraph = paragraphs.pop(0) if first and paragraphs else cell.add_paragraph()
            first = False
            paragraph.style = cell.part.document.styles[style]
            side(paragraph, block, header)
    for extra in paragraphs:  # a merge leaves one empty paragraph per merged cell behind
        _raw(extra).getparent().remove(_raw(extra))
    if header:
        shading = OxmlElement("w:shd")
        shading.set(qn("w:val"), "clear")
        shading.set(qn("w:fill"), HEADER_FILL)
        cell._tc.get_or_add_tcPr().append(shading)


def _grid_borders(table: Table) -> None:
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        line = OxmlElement(f"w:{edge}")
        line.set(qn("w:val"), "single")
        line.set(qn("w:sz"), "4")
        line.set(qn("w:color"), "C5CAD1")
        borders.append(line)
    _raw(table).tblPr.append(borders)


def nested_grid(cell: _Cell, grid: Grid, width: Length, side: Writer, texts: Callable[[GridCell], list[str]],
                style: str) -> Table:
    """The grid as a table inside a cell of the side-by-side table (its only content), one language."""
    table = cell.add_table(rows=grid.rows, cols=grid.columns)
    lead = cell.paragraphs[0]
    if not lead.text and not lead.runs:
        _raw(lead).getparent().remove(_raw(lead))  # Word needs a paragraph after a table, not before it
    fill_grid(table, grid, width, [side], texts, style)
    return table


def can_place(picture: Picture) -> bool:
    """True when python-docx reads the picture's bytes as an image it can place."""
    try:
        DocxImage.from_blob(picture.data)
    except UnrecognizedImageError:
        return False
    return True


def add_picture(paragraph: Paragraph, picture: Picture, width: Length, description: str) -> None:
    """The picture in its own centred paragraph, at the size its author set, scaled down to width."""
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    shape = paragraph.add_run().add_picture(io.BytesIO(picture.data))
    if picture.width and picture.height:
        shape.width, shape.height = Emu(round(picture.width * 12700)), Emu(round(picture.height * 12700))
    if shape.width > width:
        shape.height = Emu(round(shape.height * width / shape.width))
        shape.width = Emu(int(width))
    shape._inline.docPr.set("descr", description)


def _raw(part: object) -> object:
    """The XML under a python-docx object (see docx.raw_xml): python-docx has no API for header rows."""
    return part._element  # type: ignore[attr-defined]
