"""The PDF's tables and pictures: reportlab Tables whose cells break Chinese as prose does, and images scaled to the frame."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from reportlab.lib.colors import HexColor
from reportlab.lib.utils import ImageReader
from reportlab.platypus import Flowable, Image, Spacer, Table, TableStyle

from ..document import Picture, Role
from .pdf_flowables import SideBySide
from .pdf_styles import ROLE_STYLES
from .tables import Grid, GridCell, chinese_pieces, column_widths, english_pieces, fits, measure_columns

if TYPE_CHECKING:
    from .pdf import Typesetter

PADDING = 3.0  # points inside each cell, on every side
HEADER_FILL = "#eef1f5"
RULE = "#c5cad1"
PICTURE_HEIGHT = 0.7  # a picture takes at most this share of the frame's height
PIXEL = 0.75  # points per pixel at 96 dpi, for a picture that states no size of its own


def grid_flowables(typesetter: Typesetter, grid: Grid) -> list[Flowable]:
    """The table as the layout sets it: the Chinese table beside the English one (side by side), their
    rows of equal height so they break across pages together; or one table whose cells hold both
    (interleaved, and a table too wide for half the page)."""
    zh_style, en_style = ROLE_STYLES[Role.CELL]
    geometry = typesetter.geometry
    shaper = typesetter.shaper

    def chinese(cell: GridCell, header: bool) -> list[Flowable]:
        style = replace(zh_style, face="bold") if header else zh_style
        return [typesetter.chinese(text, style) for text in cell.chinese]

    def english(cell: GridCell, header: bool) -> list[Flowable]:
        style = replace(en_style, face="bold") if header else en_style
        return [typesetter.english(text, style) for text in cell.english]

    zh_width = lambda text: shaper.width(text, "bold", zh_style.size)  # noqa: E731 - bold is the widest face
    en_width = lambda text: shaper.width(text, "bold", en_style.size, english=True)  # noqa: E731
    font = shaper.faces["regular"]
    hang = shaper.width("一", "regular", zh_style.size)  # a closing mark hangs on its line: room for one
    width = (geometry.frame_width - geometry.gutter) / 2
    # A table whose columns cannot all keep their figures and words whole in half the page is set across it.
    frame_height = geometry.height - geometry.margin_top - geometry.margin_bottom
    left = heights = None
    if typesetter.layout == "side-by-side" and fits(grid, width, zh_width, chinese_pieces, 2 * PADDING + hang):
        left = _table(grid, width, chinese, lambda c: c.chinese, zh_width, chinese_pieces, hang, font)
        right = _table(grid, width, english, lambda c: c.english, en_width, english_pieces, 0.0, font)
        heights = [max(a, b) for a, b in zip(_row_heights(left, width), _row_heights(right, width))]
    # Two tables of levelled rows break across pages together only between rows: a row that does not
    # fit on a page under the repeated header rows (a long note in a narrow column) would stop the
    # PDF, so that table is set across the page too.
    if left is not None and heights is not None and _tallest_page(heights, grid.header_rows) <= 0.95 * frame_height:
        left = _table(grid, width, chinese, lambda c: c.chinese, zh_width, chinese_pieces, hang, font, heights)
        right = _table(grid, width, english, lambda c: c.english, en_width, english_pieces, 0.0, font, heights)
        return [SideBySide([left], [right], geometry.gutter, True, zh_style.space_after + 4)]

    def both(cell: GridCell, header: bool) -> list[Flowable]:
        return [*chinese(cell, header), *english(cell, header)]

    table = _table(
        grid, geometry.frame_width, both, lambda c: [*c.chinese, *c.english],
        lambda text: max(zh_width(text), en_width(text)), lambda text: chinese_pieces(text) + english_pieces(text), hang, font,
    )
    return [table, Spacer(0, zh_style.space_after + 4)]


def _table(
    grid: Grid, width: float, contents: Callable[[GridCell, bool], list[Flowable]], texts: Callable[[GridCell], list[str]],
    measure: Callable[[str], float], pieces: Callable[[str], list[str]], hang: float, font: str,
    heights: list[float] | None = None,
) -> Table:
    """A reportlab Table of the grid at width, columns sized to their text, header rows repeated."""
    data: list[list[object]] = [["" for _ in range(grid.columns)] for _ in range(grid.rows)]
    commands: list[tuple[object, ...]] = [
        ("GRID", (0, 0), (-1, -1), 0.4, HexColor(RULE)),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("FONTNAME", (0, 0), (-1, -1), font),  # for empty cells too: the PDF then names no unembedded Helvetica
        *((side, (0, 0), (-1, -1), PADDING) for side in ("LEFTPADDING", "RIGHTPADDING", "TOPPADDING", "BOTTOMPADDING")),
    ]
    header = grid.header_rows
    if header:
        commands.append(("BACKGROUND", (0, 0), (-1, header - 1), HexColor(HEADER_FILL)))
    for (row, column), cell in grid.cells.items():
        data[row][column] = contents(cell, cell.place.header)
        place = cell.place
        if place.rows > 1 or place.columns > 1:
            commands.append(("SPAN", (column, row), (column + place.columns - 1, row + place.rows - 1)))
    natural, least = measure_columns(grid, texts, measure, pieces)
    padded = [n + 2 * PADDING + hang for n in natural], [n + 2 * PADDING + hang for n in least]
    table = Table(
        data, colWidths=column_widths(*padded, width), rowHeights=heights, repeatRows=header, style=TableStyle(commands),
        hAlign="LEFT", splitInRow=1,  # a row taller than the page goes on over the next
    )
    return table


def _tallest_page(heights: list[float], header: int) -> float:
    """The height a page needs for the tallest body row under the header rows repeated above it."""
    return sum(heights[:header]) + max(heights[header:], default=0.0)


def _row_heights(table: Table, width: float) -> list[float]:
    table.wrap(width, 1e6)
    return list(table._rowHeights)  # reportlab keeps the heights it found only here


def picture_flowables(picture: Picture, width: float, height: float) -> list[Flowable]:
    """The picture centred, at the size its author set, scaled down to fit width and a share of height;
    [] when reportlab cannot read it (the reader already named formats it cannot carry)."""
    try:
        natural = ImageReader(io.BytesIO(picture.data)).getSize()
    except (OSError, ValueError):  # Pillow cannot decode it (UnidentifiedImageError is an OSError)
        return []
    w = picture.width or natural[0] * PIXEL
    h = picture.height or natural[1] * PIXEL
    scale = min(1.0, width / w, PICTURE_HEIGHT * height / h)
    image = Image(io.BytesIO(picture.data), width=w * scale, height=h * scale)
    image.hAlign = "CENTER"
    return [Spacer(0, 4), image, Spacer(0, 4)]
