"""The PDF writer: reportlab pages with Chinese and English side by side (or interleaved)."""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib.colors import HexColor
from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY, TA_LEFT, TA_RIGHT
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.pdfgen.textobject import PDFTextObject
from reportlab.platypus import BaseDocTemplate, CondPageBreak, Flowable, Frame, HRFlowable, PageTemplate, Paragraph

from ..document import Document, Emphasis, Mark, Role, Segment
from ..paper import PAGE_SIZES
from ..emphasis import shift, styled_runs
from ..script import Script
from ..terms import Glossary, Term
from . import (
    UNTRANSLATED, Labels, PublishOptions, block_marked, numbered_item, page_labels, provenance_text, review_notice, terms_used,
)
from .fonts import SUB_RISE, SUPER_RISE, SUPER_SCALE, Face, FontSet, Route, can_draw, outline, prepare_fonts, script_shift
from .linebreak import NO_LINE_END, break_lines

INK, NAVY, GREY, RULE, RED, WATERMARK = "#1d2229", "#1b365d", "#5f6670", "#c5cad1", "#b3261e", "#f6e8e6"
EM_ASCENT = 0.88  # Noto Sans SC's ideographic em box runs from -0.12 to 0.88 em
WATERMARK_TEXT = "DRAFT"
MAX_JUSTIFY = 0.3  # widest letter-spacing (in em) a justified Chinese line may take
LATIN_QUOTES = frozenset("‘’“”")

# Page furniture, in the font subset like the text; the Chinese labels are in the article's
# script (publish.page_labels).
EDITION_EN = "Chinese–English bilingual edition"
GLOSSARY_EN = "Glossary"
PAGE_OF = "page {n} of {total}"
FURNITURE = (EDITION_EN, GLOSSARY_EN, UNTRANSLATED, PAGE_OF, "DRAFT — awaits review…", "•")


@dataclass(frozen=True)
class TextStyle:
    """How one column of one role is set."""

    face: str = "regular"  # regular | bold | oblique
    size: float = 10.0
    leading: float = 15.0
    colour: str = INK
    align: str = "left"  # left | justify | right | center
    space_before: float = 0.0  # above the row; dropped at the top of a page
    space_after: float = 6.0  # below the row, inside it, so the column rule runs on


# (Chinese, English) per role: Chinese ~10.5 pt and English ~10 pt, as in printed annual reports.
ROLE_STYLES: dict[Role, tuple[TextStyle, TextStyle]] = {
    Role.TITLE: (TextStyle("bold", 19, 28, NAVY, space_after=8), TextStyle("bold", 15.5, 20, NAVY)),
    Role.HEADING: (
        TextStyle("bold", 12.5, 19, NAVY, space_before=12, space_after=6),
        TextStyle("bold", 11.5, 15, NAVY),
    ),
    Role.PARAGRAPH: (TextStyle(size=10.5, leading=18, align="justify", space_after=8), TextStyle(size=10, leading=14.5)),
    Role.CAPTION: (TextStyle(size=9, leading=14, colour=GREY, space_after=8), TextStyle("oblique", 9, 12.5, GREY)),
    Role.CREDIT: (
        TextStyle(size=8.5, leading=13, colour=GREY, align="right", space_before=4),
        TextStyle(size=8.5, leading=12, colour=GREY, align="right"),
    ),
    Role.LIST: (TextStyle(size=10.5, leading=18, space_after=6), TextStyle(size=10, leading=14.5)),
    Role.CELL: (TextStyle(size=9.5, leading=15, space_after=4), TextStyle(size=9.5, leading=13)),
    Role.NOTE: (TextStyle(size=8.5, leading=13, colour=GREY, space_after=4), TextStyle(size=8.5, leading=12, colour=GREY)),
}

# A title block after the first: the subtitle under the title (——记…).
SUBTITLE_STYLES = (TextStyle("bold", 14, 21, NAVY, space_after=8), TextStyle("bold", 12, 16, NAVY))
LIST_BULLET = "• "  # before each list item, in both columns
EDITION_STYLE = TextStyle(size=8.5, leading=12, colour=GREY, space_after=10)
GLOSSARY_STYLE = TextStyle(size=9.5, leading=14, space_after=2)
FURNITURE_SIZE = 7.5


@dataclass(frozen=True)
class Geometry:
    """Page size, margins and the two columns; the gutter sits on the page's centre line."""

    width: float
    height: float
    margin_x: float = 20 * mm
    margin_top: float = 24 * mm
    margin_bottom: float = 22 * mm
    gutter: float = 8 * mm

    @property
    def frame_width(self) -> float:
        return self.width - 2 * self.margin_x

    @property
    def column_width(self) -> float:
        return (self.frame_width - self.gutter) / 2


@dataclass(frozen=True)
class Run:
    """Characters drawn in one font, size and baseline shift."""

    text: str
    font: str
    size: float
    rise: float = 0.0
    actual: str = ""  # the author's characters when text draws others (¹⁷⁷ drawn as raised 177); "" when text is


class Shaper:
    """Maps text to runs of registered fonts (fallback and shifted digits included) and measures it."""

    def __init__(self, fontset: FontSet) -> None:
        self.fontset = fontset
        self.faces = {
            face: _register(f"LeshanSans-{fontset.key}-{face}", getattr(fontset, face), fontset.key)
            for face in ("regular", "bold", "oblique")
        }
        # Vera draws what the CJK font lacks, and the quotes of English text: the CJK font has
        # only full-width ones ("China’ s").
        vera = fontset.fallback.path
        self.latin = {
            face: _register(f"LeshanFallback-{file[:-4]}", Face(vera.with_name(file)))
            for face, file in (("regular", "Vera.ttf"), ("bold", "VeraBd.ttf"), ("oblique", "VeraIt.ttf"))
        }
        # The other script's Noto font, subset to what the main one lacks (乐 in a traditional article).
        self.second = {
            face: _register(f"LeshanSecond-{fontset.key}-{face}", file, f"{fontset.key}-2")
            for face, file in zip(("regular", "bold", "oblique"), fontset.second)
        }
        pdfmetrics.registerFontFamily(
            self.faces["regular"], normal=self.faces["regular"], bold=self.faces["bold"],
            italic=self.faces["oblique"], boldItalic=self.faces["bold"],
        )
        self._widths: dict[tuple[str, float, str], float] = {}

    def route(self, ch: str, english: bool = False) -> tuple[Route | None, str]:
        """How ch is drawn and the character actually drawn; (None, " ") for whitespace.

        The character drawn is the author's: the prepared font draws superscripts (¹⁷⁷) and
        full-width digits (２０２５, set proportional) itself, so the text layer keeps them.
        Only where no glyph could be added is a superscript drawn as its shifted plain form.
        """
        if english and ch in LATIN_QUOTES and ch in self.fontset.fallback_covered:
            return Route.FALLBACK, ch
        if ch in self.fontset.covered:
            return Route.MAIN, ch
        if ch in self.fontset.second_covered:
            return Route.SECOND, ch
        shifted = script_shift(ch)
        if shifted is not None:
            return shifted
        if ch in self.fontset.fallback_covered:
            return Route.FALLBACK, ch
        return None, " "  # whitespace: prepare_fonts refused anything else

    def runs(self, text: str, face: str, size: float, english: bool = False) -> list[Run]:
        """text as runs of one font, size and rise each."""
        pieces = (self._piece(ch, face, size, english) for ch in text)
        runs = []
        for (font, run_size, rise, shifted), group in itertools.groupby(pieces, key=lambda p: p[2:]):
            drawn, actual = zip(*((p[0], p[1]) for p in group))
            runs.append(Run("".join(drawn), font, run_size, rise, "".join(actual) if shifted else ""))
        return runs

    def _piece(self, ch: str, face: str, size: float, english: bool) -> tuple[str, str, str, float, float, bool]:
        """(drawn, original, font, size, rise, drawn differently from the original)."""
        route, drawn = self.route(ch, english)
        if route is Route.SUPER or route is Route.SUB:
            font = self.faces[face] if drawn in self.fontset.covered else self.latin[face]
            rise = SUPER_RISE if route is Route.SUPER else SUB_RISE
            return drawn, ch, font, round(size * SUPER_SCALE, 3), round(size * rise, 3), True
        if route is Route.FALLBACK:
            return drawn, ch, self.latin[face], size, 0.0, False
        if route is Route.SECOND:
            return drawn, ch, self.second[face], size, 0.0, False
        return drawn, ch, self.faces[face], size, 0.0, False

    def width(self, text: str, face: str, size: float, english: bool = False) -> float:
        runs = self.runs(text, face, size, english)
        return sum(self._char_width(ch, run.font, run.size) for run in runs for ch in run.text)

    def _char_width(self, ch: str, font: str, size: float) -> float:
        key = (font, size, ch)
        if key not in self._widths:
            self._widths[key] = pdfmetrics.stringWidth(ch, font, size)
        return self._widths[key]

    def markup(self, text: str, face: str) -> str:
        """reportlab Paragraph markup for English text set in face.

        Shifted digits go in <super>/<sub>; characters the CJK font lacks, and the quotes it
        has only full-width, come from Vera.
        """
        out: list[str] = []
        routed = (self.route(ch, english=True) for ch in text)
        for route, group in itertools.groupby(routed, key=lambda r: r[0]):
            chunk = escape("".join(drawn for _, drawn in group))
            if route is Route.SUPER or route is Route.SUB:
                tag = "super" if route is Route.SUPER else "sub"
                out.append(f"<{tag}>{chunk}</{tag}>")
            elif route is Route.FALLBACK:
                out.append(f'<font name="{self.latin[face]}">{chunk}</font>')
            elif route is Route.SECOND:
                out.append(f'<font name="{self.second[face]}">{chunk}</font>')
            else:
                out.append(chunk)
        return "".join(out)


def _register(name: str, face: Face, subset_key: str = "") -> str:
    if name not in pdfmetrics.getRegisteredFontNames():
        font = TTFont(name, str(face.path), subfontIndex=face.subfont_index)
        # reportlab hands out the first font registered under a PostScript name for every later
        # one, and every subset of Noto Sans SC is "NotoSansSC-Regular": a second document in the
        # same process would draw with the first one's subset and lose characters. Unique names.
        if subset_key:
            font.face.name = font.face.name + b"-" + subset_key.encode("ascii")
        pdfmetrics.registerFont(font)
    return name


def draw_runs(canvas: Canvas, x: float, y: float, runs: Sequence[Run], char_space: float = 0.0) -> None:
    """Draw runs from (x, y) on one baseline, with char_space added after every character."""
    text = canvas.beginText(x, y)
    text.setCharSpace(char_space)
    for run in runs:
        text.setFont(run.font, run.size)
        text.setRise(run.rise)
        if run.actual:
            _marked_content(text, f"/Span <</ActualText <FEFF{run.actual.encode('utf-16-be').hex().upper()}>>> BDC")
        text.textOut(run.text)
        if run.actual:
            _marked_content(text, "EMC")
    canvas.drawText(text)


def _marked_content(text: PDFTextObject, operator: str) -> None:
    """Write a marked-content operator inside a text object.

    reportlab has no public call for it; an ActualText span makes copy, search and screen readers
    give the author's characters (¹⁷⁷) where the page draws others (raised 177).
    """
    text._code.append(operator)


class ChineseParagraph(Flowable):
    """A paragraph broken by linebreak.break_lines (kinsoku rules), justified, splittable across pages."""

    def __init__(self, text: str, style: TextStyle, shaper: Shaper, marks: Sequence[Mark] = ()) -> None:
        super().__init__()
        self.text, self.style, self.shaper = text, style, shaper
        # Chinese has no italic: only bold emphasis changes the face (see README, emphasis).
        self.bold = frozenset(i for m in marks if m.style is Emphasis.BOLD for i in range(m.start, m.end))
        self.starts: list[int] = []  # where each line starts in text, for the bold characters
        self.lines: list[str] | None = None
        self.last_full = False  # a part split off before a page end: its last line is justified too
        self._broken_for: float | None = None  # the width lines were broken for; None keeps them

    def _part(self, lines: list[str], last_full: bool) -> ChineseParagraph:
        part = ChineseParagraph(self.text, self.style, self.shaper)
        part.lines, part.last_full, part.bold = lines, last_full, self.bold
        return part

    def _measure(self, s: str) -> float:
        return self.shaper.width(s, self.style.face, self.style.size)

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        if self.lines is None or self._broken_for not in (None, availWidth):
            self.lines = break_lines(self.text, availWidth, self._measure)
            self._broken_for = availWidth
            self.starts = _line_starts(self.text, self.lines) if self.bold else []
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


class Typesetter:
    """Builds the story of flowables for one document in one layout."""

    def __init__(
        self, shaper: Shaper, geometry: Geometry, layout: str, labels: Labels | None = None, heading_level: int = 0
    ) -> None:
        self.shaper, self.geometry, self.layout = shaper, geometry, layout
        self.labels = labels or page_labels(Script.HANS)
        self.heading_level = heading_level  # outline level of headings: 1 under each article of a pack
        self._keys = itertools.count(1)

    def chinese(self, text: str, style: TextStyle, marks: Sequence[Mark] = ()) -> ChineseParagraph:
        return ChineseParagraph(text, style, self.shaper, marks)

    def english(self, text: str, style: TextStyle, marks: Sequence[Mark] = ()) -> Paragraph:
        if not text:
            text, style, marks = UNTRANSLATED, ROLE_STYLES[Role.CAPTION][1], ()
        return Paragraph(self._english_markup(text, style, marks), _paragraph_style(style, self.shaper))

    def _english_markup(self, text: str, style: TextStyle, marks: Sequence[Mark]) -> str:
        """Paragraph markup with emphasis as <b>/<i>; the fallback font's face follows the emphasis."""
        if not marks:
            return self.shaper.markup(text, style.face)
        out: list[str] = []
        for piece, styles in styled_runs(text, marks):
            face = "bold" if Emphasis.BOLD in styles else "oblique" if Emphasis.ITALIC in styles else style.face
            chunk = self.shaper.markup(piece, face)
            if Emphasis.ITALIC in styles:
                chunk = f"<i>{chunk}</i>"
            if Emphasis.BOLD in styles:
                chunk = f"<b>{chunk}</b>"
            out.append(chunk)
        return "".join(out)

    def row(
        self, zh: str, en: str, zh_style: TextStyle, en_style: TextStyle, rule: bool = True,
        zh_marks: Sequence[Mark] = (), en_marks: Sequence[Mark] = (),
    ) -> list[Flowable]:
        """One block as flowables: a side-by-side row, or Chinese then English across the page."""
        left, right = self.chinese(zh, zh_style, zh_marks), self.english(en, en_style, en_marks)
        if self.layout == "side-by-side":
            gutter = self.geometry.gutter
            return [SideBySide([left], [right], gutter, rule, zh_style.space_after, zh_style.space_before)]
        left.spaceBefore, left.spaceAfter = zh_style.space_before, 2
        right.spaceAfter = zh_style.space_after + 4
        return [left, right]

    def bookmark(self, zh: str, en: str, room: float) -> list[Flowable]:
        """An outline entry, after a page break when less than room is left (a heading never ends a page)."""
        title = f"{zh}  {en}".strip()
        return [CondPageBreak(room), Bookmark(f"h{next(self._keys)}", title, self.heading_level)]

    def block(self, block: Sequence[Segment]) -> list[Flowable]:
        (zh, zh_marks), (en, en_marks) = block_marked(block)
        role = block[0].role
        zh_style, en_style = ROLE_STYLES[role]
        story: list[Flowable] = []
        if role is Role.HEADING:
            story += self.bookmark(zh, en, 3 * zh_style.leading + 3 * ROLE_STYLES[Role.PARAGRAPH][0].leading)
        if role is Role.LIST and not numbered_item(zh):  # a numbered item shows its own number
            zh, zh_marks = LIST_BULLET + zh, shift(zh_marks, len(LIST_BULLET))
            if en:
                en, en_marks = LIST_BULLET + en, shift(en_marks, len(LIST_BULLET))
        return story + self.row(zh, en, zh_style, en_style, zh_marks=zh_marks, en_marks=en_marks)

    def title_block(self, document: Document, titles: list[Sequence[Segment]]) -> list[Flowable]:
        zh, en = document.title, document.english_title
        story: list[Flowable] = [Bookmark("title", f"{zh}  {en}".strip())] if titles else []
        story += self.title_rows(titles)
        story.append(HRFlowable(width="100%", thickness=0.8, color=HexColor(NAVY), spaceBefore=2, spaceAfter=5))
        return story + self.row(self.labels.edition, EDITION_EN, EDITION_STYLE, EDITION_STYLE, rule=False)

    def title_rows(self, titles: list[Sequence[Segment]]) -> list[Flowable]:
        """The title blocks as rows: the first in the title's style, any after it as the subtitle."""
        story: list[Flowable] = []
        for n, block in enumerate(titles):
            (zh, zh_marks), (en, en_marks) = block_marked(block)
            zh_style, en_style = ROLE_STYLES[Role.TITLE] if n == 0 else SUBTITLE_STYLES
            story += self.row(zh, en, zh_style, en_style, rule=False, zh_marks=zh_marks, en_marks=en_marks)
        return story

    def glossary(self, terms: list[Term]) -> list[Flowable]:
        if not terms:
            return []
        zh_style, en_style = ROLE_STYLES[Role.HEADING]
        story = self.bookmark(self.labels.glossary, GLOSSARY_EN, 6 * zh_style.leading)
        story += self.row(self.labels.glossary, GLOSSARY_EN, zh_style, en_style)
        for term in terms:
            story += self.row(term.source, term.target, GLOSSARY_STYLE, GLOSSARY_STYLE)
        return story

    def story(self, document: Document, terms: list[Term]) -> list[Flowable]:
        """The whole document: title block first, the blocks (tables and pictures in their place) in
        order, then the glossary appendix."""
        blocks = document.blocks()
        titles = [b for b in blocks if b[0].role is Role.TITLE]
        story = self.title_block(document, titles)
        story += self.body(document, [b for b in blocks if b[0].role is not Role.TITLE])
        return story + self.glossary(terms)

    def body(self, document: Document, blocks: Sequence[Sequence[Segment]]) -> list[Flowable]:
        """The blocks in order, the article's tables as tables and its pictures where they stood."""
        from .pdf_tables import grid_flowables, picture_flowables
        from .tables import Grid, gather, stands_alone

        story: list[Flowable] = []
        g = self.geometry
        for item in gather(blocks):
            if isinstance(item, Grid):
                story += grid_flowables(self, item)
                continue
            picture = document.pictures.get(item[0].block)
            drawn = picture_flowables(picture, g.frame_width, g.height - g.margin_top - g.margin_bottom) if picture else []
            story += drawn
            if drawn and stands_alone(item):
                continue  # a placeholder for a picture that is now drawn says nothing more
            story += self.block(item)
        return story


@functools.lru_cache(maxsize=64)
def _paragraph_style_cached(style: TextStyle, font: str) -> ParagraphStyle:
    alignment = {"left": TA_LEFT, "justify": TA_JUSTIFY, "right": TA_RIGHT, "center": TA_CENTER}[style.align]
    return ParagraphStyle(
        name=f"{style.face}-{style.size}-{style.align}", fontName=font, fontSize=style.size,
        leading=style.leading, textColor=HexColor(style.colour), alignment=alignment,
        allowOrphans=0, allowWidows=0, splitLongWords=1,
    )


def _paragraph_style(style: TextStyle, shaper: Shaper) -> ParagraphStyle:
    return _paragraph_style_cached(style, shaper.faces[style.face])


@dataclass(frozen=True)
class Furniture:
    """What every page carries: running header, footer with 'page X of Y', and the DRAFT marks."""

    shaper: Shaper
    geometry: Geometry
    title_zh: str
    title_en: str
    notice: str

    def on_page(self, canvas: Canvas, _doc: BaseDocTemplate) -> None:
        canvas.saveState()
        if self.notice:
            self._watermark(canvas)
        if canvas.getPageNumber() > 1:
            self._header(canvas)
        self._footer(canvas)
        canvas.restoreState()

    def _text(
        self, canvas: Canvas, x: float, y: float, text: str,
        face: str = "regular", colour: str = GREY, align: str = "left", english: bool = True,
    ) -> None:
        runs = self.shaper.runs(text, face, FURNITURE_SIZE, english)
        width = self.shaper.width(text, face, FURNITURE_SIZE, english)
        canvas.setFillColor(HexColor(colour))
        draw_runs(canvas, x - (width if align == "right" else 0), y, runs)

    def _fit(self, text: str, width: float) -> str:
        """text shortened with … to fit width, never ending on an opening mark."""
        if self.shaper.width(text, "regular", FURNITURE_SIZE) <= width:
            return text
        while text and (text[-1] in NO_LINE_END or self.shaper.width(text + "…", "regular", FURNITURE_SIZE) > width):
            text = text[:-1]
        return text + "…"

    def _header(self, canvas: Canvas) -> None:
        g = self.geometry
        y = g.height - g.margin_top + 8 * mm
        self._text(canvas, g.margin_x, y, self._fit(self.title_zh, g.column_width), english=False)
        self._text(canvas, g.width - g.margin_x, y, self._fit(self.title_en, g.column_width), align="right")
        canvas.setStrokeColor(HexColor(RULE))
        canvas.setLineWidth(0.4)
        canvas.line(g.margin_x, y - 2.5 * mm, g.width - g.margin_x, y - 2.5 * mm)

    def _footer(self, canvas: Canvas) -> None:
        g = self.geometry
        y = g.margin_bottom - 11 * mm
        canvas.setStrokeColor(HexColor(RULE))
        canvas.setLineWidth(0.4)
        canvas.line(g.margin_x, y + 4 * mm, g.width - g.margin_x, y + 4 * mm)
        if self.notice:
            self._text(canvas, g.margin_x, y, self.notice, "bold", RED)
        canvas.saveState()
        canvas.translate(g.width - g.margin_x, y)
        canvas.doForm(_page_form(canvas.getPageNumber()))  # filled in once the page count is known
        canvas.restoreState()

    def page_form(self, canvas: Canvas, number: int, total: int) -> None:
        """Define the form holding 'page number of total', right-aligned at its origin."""
        canvas.beginForm(_page_form(number), lowerx=-80 * mm, lowery=-3 * mm, upperx=0, uppery=5 * mm)
        self._text(canvas, 0, 0, PAGE_OF.format(n=number, total=total), align="right")
        canvas.endForm()

    def _watermark(self, canvas: Canvas) -> None:
        """DRAFT across the page as shapes, not text: copying a draft's text never picks it up."""
        g = self.geometry
        fontset = self.shaper.fontset
        # A user's CJK font may have no Latin letters; Vera Bold always has them.
        face = fontset.bold
        if not set(WATERMARK_TEXT) <= fontset.covered:
            face = Face(fontset.fallback.path.with_name("VeraBd.ttf"))
        operations, advance = _outline(face, WATERMARK_TEXT)
        size = 0.55 * (g.width**2 + g.height**2) ** 0.5 / advance
        canvas.saveState()
        canvas.translate(g.width / 2, g.height / 2)
        canvas.rotate(math.degrees(math.atan2(g.height, g.width)))
        canvas.scale(size, size)
        canvas.translate(-advance / 2, -0.35)
        path = canvas.beginPath()
        for name, points in operations:
            getattr(path, {"closePath": "close"}.get(name, name))(*points)
        canvas.setFillColor(HexColor(WATERMARK))
        canvas.drawPath(path, stroke=0, fill=1)
        canvas.restoreState()


@functools.lru_cache(maxsize=4)
def _outline(face: Face, text: str) -> tuple[list[tuple[str, tuple[float, ...]]], float]:
    return outline(face, text)


def _page_form(number: int) -> str:
    return f"LeshanPage{number}"


class _PagedCanvas(Canvas):
    """A canvas that, on save, defines each page's 'page X of Y' form now that Y is known."""

    def __init__(self, *args: object, furniture: Furniture, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._furniture = furniture

    def save(self) -> None:
        total = self.getPageNumber() - 1
        for number in range(1, total + 1):
            self._furniture.page_form(self, number, total)
        super().save()


def _texts(document: Document, terms: list[Term], labels: Labels) -> list[tuple[str, str]]:
    """Every text the PDF draws, as (where, text), so fonts cover them all."""
    texts = [(f"segment {s.id}", s.source + s.target) for s in document.segments]
    texts += [(f"glossary line {t.line}", t.source + t.target) for t in terms]
    texts += [("page furniture", text) for text in (*FURNITURE, *labels.texts)]
    return texts


def write_pdf(document: Document, glossary: Glossary | None, path: Path, options: PublishOptions) -> None:
    """Typeset document as a PDF at path: byte-identical for identical inputs (reportlab invariant mode).

    The font and the Chinese page labels follow the article's script (Noto Sans TC and 中英對照版
    for traditional).
    """
    terms = terms_used(document, glossary)
    labels = page_labels(document.script, lambda text: can_draw(options.font, text, document.script))
    shaper = Shaper(prepare_fonts(_texts(document, terms, labels), options.font, script=document.script))
    width, height = PAGE_SIZES[options.page_size]
    geometry = Geometry(width, height)
    notice = review_notice(document)
    furniture = Furniture(shaper, geometry, document.title, document.english_title, notice)
    template = _template(path, document, glossary, terms, geometry, shaper, notice)
    frame = Frame(geometry.margin_x, geometry.margin_bottom, geometry.frame_width,
                  height - geometry.margin_top - geometry.margin_bottom, 0, 0, 0, 0, id="body")
    template.addPageTemplates([PageTemplate("page", [frame], onPage=furniture.on_page)])
    story = Typesetter(shaper, geometry, options.layout, labels).story(document, terms)
    template.build(story, canvasmaker=functools.partial(_PagedCanvas, furniture=furniture))


def _template(
    path: Path, document: Document, glossary: Glossary | None, terms: list[Term],
    geometry: Geometry, shaper: Shaper, notice: str,
) -> BaseDocTemplate:
    """The document template with its metadata: title, subject, keywords, creator with provenance."""
    english = document.english_title
    return BaseDocTemplate(
        str(path),
        pagesize=(geometry.width, geometry.height),
        invariant=1,
        title=f"{document.title} — {english}" if english else document.title,
        subject=f"{EDITION_EN} ({document.source_language} → {document.target_language})"
        + (f"; {notice}" if notice else ""),
        keywords=[t.target for t in terms] or [document.name],
        author="leshan-pub",
        creator=provenance_text(document, glossary),
        lang=document.source_language,
        initialFontName=shaper.faces["regular"],  # otherwise every page references Helvetica
        showBoundary=0,
    )
