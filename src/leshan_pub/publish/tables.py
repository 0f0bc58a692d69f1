"""Tables as both writers set them: table-cell blocks gathered into grids, and column widths sized to their text."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from ..document import IMAGE_PLACEHOLDER, Cell, Role, Segment
from . import block_marked

Block = Sequence[Segment]
# What a line may not break inside: a run of Latin letters, digits and their signs (2205.2, 12.5%),
# or one other character (a Chinese character breaks anywhere its line-break rules allow).
_CHINESE_PIECES = re.compile(r"[!-~％]+|\S")


@dataclass
class GridCell:
    """One cell of a table: its place and spans, and its paragraphs (blocks) in order."""

    place: Cell
    blocks: list[Block] = field(default_factory=list)

    @property
    def chinese(self) -> list[str]:
        """The cell's Chinese, one string per paragraph."""
        return [block_marked(b)[0][0] for b in self.blocks]

    @property
    def english(self) -> list[str]:
        """The cell's English, one string per paragraph ('' where a paragraph has none yet)."""
        return [block_marked(b)[1][0] for b in self.blocks]


@dataclass
class Grid:
    """A table of the article: its cells by (row, column) of their top-left corner, and its size."""

    table: int
    cells: dict[tuple[int, int], GridCell] = field(default_factory=dict)

    @property
    def rows(self) -> int:
        return max(c.place.row + c.place.rows for c in self.cells.values())

    @property
    def columns(self) -> int:
        return max(c.place.column + c.place.columns for c in self.cells.values())

    @property
    def header_rows(self) -> int:
        """How many rows from the top are header rows (repeated on each page); 0 when the first is none."""
        count = 0
        while any(c.place.header and c.place.row == count for c in self.cells.values()):
            count += 1
        return count

    def covered(self) -> set[tuple[int, int]]:
        """Grid positions a merged cell covers other than its own corner (they hold nothing of their own)."""
        taken = set()
        for cell in self.cells.values():
            p = cell.place
            taken |= {(r, c) for r in range(p.row, p.row + p.rows) for c in range(p.column, p.column + p.columns)}
            taken.discard((p.row, p.column))
        return taken


def stands_alone(block: Block) -> bool:
    """True for an image block that is only the placeholder of a picture without alt text: where the
    picture is drawn, the placeholder row is not."""
    return "".join(s.source for s in block).strip() == IMAGE_PLACEHOLDER


def gather(blocks: Sequence[Block]) -> list[Block | Grid]:
    """The article's blocks in order, the table-cell blocks of each table gathered into one Grid where
    the table's first cell stands (a table nested in a cell follows its parent table).

    A cell block without a place (a segment file written before tables were kept) stays a block.
    """
    story: list[Block | Grid] = []
    grids: dict[int, Grid] = {}  # a table nested in a cell interrupts its parent's cells: both stay whole
    for block in blocks:
        place = block[0].cell if block[0].role is Role.CELL else None
        if place is None:
            story.append(block)
            continue
        grid = grids.get(place.table)
        if grid is None:
            grid = grids[place.table] = Grid(place.table)
            story.append(grid)
        grid.cells.setdefault((place.row, place.column), GridCell(place)).blocks.append(block)
    return story


def column_widths(natural: Sequence[float], least: Sequence[float], available: float) -> list[float]:
    """Widths for columns whose text wants natural width on one line and cannot go below least.

    All fit: each column gets its natural width and the room left is shared in proportion. They
    do not: each gets its least and the rest is shared by how much more it wants. Not even the
    least widths fit: the widest columns are cut down to one common width, so a column of short
    figures keeps its figures whole beside a column with one very long word.
    """
    natural = [max(n, l) for n, l in zip(natural, least)]
    if sum(natural) <= available:
        spare = available - sum(natural)
        total = sum(natural) or 1.0
        return [n + spare * n / total for n in natural]
    if sum(least) >= available:
        ordered = sorted(least)
        used = 0.0
        for i, width in enumerate(ordered):
            cap = (available - used) / (len(ordered) - i)
            if width >= cap:
                return [min(l, cap) for l in least]
            used += width
        return list(least)
    want = [n - l for n, l in zip(natural, least)]
    room = available - sum(least)
    return [l + room * w / (sum(want) or 1.0) for l, w in zip(least, want)]


def measure_columns(
    grid: Grid, texts: Callable[[GridCell], list[str]], width: Callable[[str], float], unbreakable: Callable[[str], list[str]],
) -> tuple[list[float], list[float]]:
    """(natural, least) width of each column from its cells' text; a merged cell spreads over its columns."""
    natural, least = [0.0] * grid.columns, [0.0] * grid.columns
    for cell in grid.cells.values():
        p = cell.place
        lines = texts(cell)
        # A merged cell's text wraps over the width its columns get; only its longest word holds them open.
        wants = max((width(t) for t in lines), default=0.0) if p.columns == 1 else 0.0
        floor = max((width(piece) for t in lines for piece in unbreakable(t)), default=0.0) / p.columns
        for column in range(p.column, p.column + p.columns):
            natural[column] = max(natural[column], wants)
            least[column] = max(least[column], floor)
    return natural, least


def fits(grid: Grid, width: float, measure: Callable[[str], float], pieces: Callable[[str], list[str]], padding: float) -> bool:
    """True when every column of grid keeps its longest figure or word whole within width (padding per column)."""
    _, least = measure_columns(grid, lambda c: c.chinese, measure, pieces)
    return sum(n + padding for n in least) <= width


def chinese_pieces(text: str) -> list[str]:
    """The stretches of Chinese text no line may break inside (figures, Latin words), and single characters."""
    return _CHINESE_PIECES.findall(text)


def english_pieces(text: str) -> list[str]:
    """The words of English text."""
    return text.split()
