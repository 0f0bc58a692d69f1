"""The PDF's flowables: a Chinese paragraph broken by kinsoku rules, two columns side by side, a bookmark."""

from __future__ import annotations

import itertools
import unicodedata
from collections.abc import Sequence

from reportlab.lib.colors import HexColor
from reportlab.platypus import Flowable, Paragraph

from ..document import Emphasis, Mark
from ..words import WordBreaks
from .linebreak import break_balanced, break_lines
from .pdf_shaping import Run, Shaper, draw_runs
from .pdf_styles import DOT_DROP, DOT_RADIUS, EM_ASCENT, MAX_JUSTIFY, RULE, TextStyle


class ChineseParagraph(Flowable):
    """A paragraph broken by linebreak.break_lines (kinsoku rules), justified, splittable across pages."""

    def __init__(
        self, text: str, style: TextStyle, shaper: Shaper, marks: Sequence[Mark] = (), breaks: WordBreaks | None = None
    ) -> None:
        super().__init__()
        self.text, self.style, self.shaper = text, style, shaper
        # Where words end, for a style that breaks only between words (glossary terms kept whole).
        self.breaks = (breaks or WordBreaks()) if style.words else None
        # Chinese has no italic: bold emphasis changes the face, italic emphasis is set as Chinese
        # printers do, with emphasis dots (着重号) under each character.
        self.bold = frozenset(i for m in marks if m.style is Emphasis.BOLD for i in range(m.start, m.end))
        self.dotted = frozenset(i for m in marks if m.style is Emphasis.ITALIC for i in range(m.start, m.end))
        self.starts: list[int] = []  # where each line starts in text, for the emphasised characters
        self.lines: list[str] | None = None
        self.last_full = False  # a part split off before a page end: its last line is justified too
        self._broken_for: float | None = None  # the width lines were broken for; None keeps them

    def _part(self, lines: list[str], last_full: bool) -> ChineseParagraph:
        part = ChineseParagraph(self.text, self.style, self.shaper, breaks=self.breaks)
        part.lines, part.last_full, part.bold, part.dotted = lines, last_full, self.bold, self.dotted
        return part

    def _measure(self, s: str) -> float:
        return self.shaper.width(s, self.style.face, self.style.size)

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        if self.lines is None or self._broken_for not in (None, availWidth):
            if self.breaks is not None:
                self.lines = break_balanced(self.text, availWidth, self._measure, self.breaks(self.text))
            else:
                self.lines = break_lines(self.text, availWidth, self._measure)
            self._broken_for = availWidth
            self.starts = _line_starts(self.text, self.lines) if self.bold or self.dotted else []
        self.width, self.height = availWidth, len(self.lines) * self.style.leading
        return self.width, self.height

    @property
    def first_baseline(self) -> float:
        """Distance from the top to the first baseline: the em box centred in the line."""
        return (self.style.leading - self.style.size) / 2 + EM_ASCENT * self.style.size

    def split(self, availWidth: float, availHeight: float) -> list[Flowable]:
        self.wrap(availWidth, availHeight)
        assert self.lines is not None
        fit = int((availHeight + 1e-6) // self.style.leading)
        if fit >= len(self.lines):
            return [self]
        if len(self.lines) - fit == 1 and fit > 2:
            fit -= 1  # no widow: carry one more line over
        if fit < min(2, len(self.lines)):
            return []  # no orphan: a lone first line goes to the next page
        head, tail = self._part(self.lines[:fit], last_full=True), self._part(self.lines[fit:], self.last_full)
        if self.starts:
            head.starts, tail.starts = self.starts[:fit], self.starts[fit:]
        return [head, tail]

    def draw(self) -> None:
        assert self.lines is not None
        style, canvas = self.style, self.canv
        canvas.setFillColor(HexColor(style.colour))
        for i, line in enumerate(self.lines):
            runs, natural = self._runs(line, self.starts[i] if i < len(self.starts) else None)
            y = self.height - i * style.leading - self.first_baseline
            last = i == len(self.lines) - 1 and not self.last_full
            x, space = _line_position(style, self.width, natural, len(line), justify=not last)
            draw_runs(canvas, x, y, runs, space)
            if self.dotted and i < len(self.starts):
                self._dots(line, self.starts[i], x, y, space)

    def _dots(self, line: str, start: int, x: float, y: float, space: float) -> None:
        """Emphasis dots under the line's italic-marked characters, not under punctuation or spaces."""
        size = self.style.size
        for k, ch in enumerate(line):
            face = "bold" if start + k in self.bold else self.style.face
            advance = self.shaper.width(ch, face, size)
            if start + k in self.dotted and unicodedata.category(ch)[0] in "LN":
                self.canv.circle(x + advance / 2, y - DOT_DROP * size, DOT_RADIUS * size, stroke=0, fill=1)
            x += advance + space


    def _runs(self, line: str, start: int | None) -> tuple[list[Run], float]:
        """The line's runs, its bold characters in the bold face, and its natural width."""
        style = self.style
        if start is None or not any(start + k in self.bold for k in range(len(line))):
            return self.shaper.runs(line, style.face, style.size), self._measure(line)
        runs: list[Run] = []
        width = 0.0
        for bold, group in itertools.groupby(range(len(line)), key=lambda k: start + k in self.bold):
            piece = "".join(line[k] for k in group)
            face = "bold" if bold else style.face
            runs += self.shaper.runs(piece, face, style.size)
            width += self.shaper.width(piece, face, style.size)
        return runs, width


def _line_starts(text: str, lines: Sequence[str]) -> list[int]:
    """Where each broken line starts in text (line breaking only drops spaces at the breaks)."""
    starts: list[int] = []
    position = 0
    for line in lines:
        found = text.find(line, position)
        starts.append(found if found >= 0 else position)
        position = (found if found >= 0 else position) + len(line)
    return starts


def _line_position(style: TextStyle, width: float, natural: float, count: int, justify: bool) -> tuple[float, float]:
    """Where a line starts and the letter-spacing that justifies it (0 when not justified)."""
    slack = max(0.0, width - natural)
    if style.align == "right":
        return slack, 0.0
    if style.align == "center":
        return slack / 2, 0.0
    if style.align == "justify" and justify and count > 1:
        space = slack / (count - 1)
        if space <= MAX_JUSTIFY * style.size:
            return 0.0, space
    return 0.0, 0.0


def _first_baseline(flowable: Flowable) -> float:
    if isinstance(flowable, ChineseParagraph):
        return flowable.first_baseline
    if isinstance(flowable, Paragraph):
        return flowable.style.fontSize
    return 0.0


class SideBySide(Flowable):
    """One row: Chinese column left, English right, first baselines level; splits across pages."""

    def __init__(
        self, left: list[Flowable], right: list[Flowable], gutter: float, rule: bool, space_after: float,
        space_before: float = 0.0,
    ) -> None:
        super().__init__()
        self.columns = (left, right)
        self.gutter, self.rule, self.space_after = gutter, rule, space_after
        self.spaceBefore = space_before
        self._heights: tuple[list[float], list[float]] = ([], [])

    def _offsets(self) -> tuple[float, float]:
        """Drop the column whose first baseline sits higher, so both baselines line up."""
        baselines = [_first_baseline(col[0]) if col else 0.0 for col in self.columns]
        top = max(baselines)
        return top - baselines[0], top - baselines[1]

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        self.column_width = (availWidth - self.gutter) / 2
        left, right = ([f.wrap(self.column_width, availHeight)[1] for f in col] for col in self.columns)
        self._heights = (left, right)
        offsets = self._offsets()
        self.width = availWidth
        self.height = max(o + sum(h) for o, h in zip(offsets, self._heights)) + self.space_after
        return self.width, self.height

    def split(self, availWidth: float, availHeight: float) -> list[Flowable]:
        self.wrap(availWidth, availHeight)
        offsets = self._offsets()
        parts = [_split_column(col, self.column_width, availHeight - o) for col, o in zip(self.columns, offsets)]
        if any(p is None for p in parts):
            return []
        (left1, left2), (right1, right2) = parts  # type: ignore[misc]
        if not left2 and not right2:  # only the space below did not fit
            return [SideBySide(left1, right1, self.gutter, self.rule, 0.0, self.spaceBefore)]
        return [
            SideBySide(left1, right1, self.gutter, self.rule, 0.0, self.spaceBefore),
            SideBySide(left2, right2, self.gutter, self.rule, self.space_after),
        ]

    def draw(self) -> None:
        lefts = (0.0, self.column_width + self.gutter)
        for x, column, heights, offset in zip(lefts, self.columns, self._heights, self._offsets()):
            y = self.height - offset
            for flowable, height in zip(column, heights):
                y -= height
                flowable.drawOn(self.canv, x, y)
        if self.rule:
            middle = self.column_width + self.gutter / 2
            self.canv.setStrokeColor(HexColor(RULE))
            self.canv.setLineWidth(0.4)
            self.canv.line(middle, 0, middle, self.height)


def _split_column(column: list[Flowable], width: float, height: float) -> tuple[list[Flowable], list[Flowable]] | None:
    """(what fits in height, the rest); None when content exists but not even its start fits."""
    used = 0.0
    for i, flowable in enumerate(column):
        _, h = flowable.wrap(width, height - used)
        if used + h <= height + 1e-6:
            used += h
            continue
        parts = flowable.split(width, height - used)
        if not parts:
            return (column[:i], column[i:]) if i else None
        return [*column[:i], parts[0]], [*parts[1:], *column[i + 1 :]]
    return column, []


class Bookmark(Flowable):
    """A zero-size mark that adds an outline entry pointing here."""

    def __init__(self, key: str, title: str, level: int = 0) -> None:
        super().__init__()
        self.key, self.title, self.level = key, title, level
        self.width = self.height = 0

    def draw(self) -> None:
        self.canv.bookmarkHorizontal(self.key, 0, 0)
        self.canv.addOutlineEntry(self.title, self.key, level=self.level, closed=False)
