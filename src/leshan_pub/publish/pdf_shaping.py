"""Text as runs of fonts for the PDF: which face draws each character (fallbacks, shifted figures), measured and drawn."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.pdfgen.textobject import PDFTextObject

from .fonts import SUB_RISE, SUPER_RISE, SUPER_SCALE, Face, FontSet, Route, script_shift
from .pdf_styles import LATIN_QUOTES


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
            for face in ("regular", "bold", "italic")
        }
        # Vera draws what the CJK font lacks, and the quotes of English text: the CJK font has
        # only full-width ones ("China’ s").
        vera = fontset.fallback.path
        self.latin = {
            face: _register(f"LeshanFallback-{file[:-4]}", Face(vera.with_name(file)))
            for face, file in (("regular", "Vera.ttf"), ("bold", "VeraBd.ttf"), ("italic", "VeraIt.ttf"))
        }
        # The other script's Noto font, subset to what the main one lacks (乐 in a traditional article).
        self.second = {
            face: _register(f"LeshanSecond-{fontset.key}-{face}", file, f"{fontset.key}-2")
            for face, file in zip(("regular", "bold"), fontset.second)
        }
        pdfmetrics.registerFontFamily(
            self.faces["regular"], normal=self.faces["regular"], bold=self.faces["bold"],
            italic=self.faces["italic"], boldItalic=self.faces["bold"],
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
        if face == "italic":
            if ch in self.fontset.italic_covered:
                return ch, ch, self.faces["italic"], size, 0.0, False
            face = "regular"  # what the italic lacks (Chinese above all) is set upright
        route, drawn = self.route(ch, english)
        if route is Route.SUPER or route is Route.SUB:
            font = self.faces[face] if drawn in self.fontset.covered else self.latin[face]
            rise = SUPER_RISE if route is Route.SUPER else SUB_RISE
            return drawn, ch, font, round(size * SUPER_SCALE, 3), round(size * rise, 3), True
        if route is Route.FALLBACK:
            return drawn, ch, self.latin[face], size, 0.0, False
        if route is Route.SECOND:
            return drawn, ch, self.second.get(face, self.second["regular"]), size, 0.0, False
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
        """reportlab Paragraph markup for English text set in face, inside a paragraph or <font> in face.

        Shifted digits go in <super>/<sub>; characters the CJK font lacks, and the quotes it
        has only full-width, come from Vera. In the italic face, what the italic font lacks
        (Chinese above all) is set upright in the regular face: no CJK glyph is ever slanted.
        """
        if face == "italic":
            return "".join(
                escape(chunk) if italic else f'<font name="{self.faces["regular"]}">{self.markup(chunk, "regular")}</font>'
                for italic, chunk in _groups(text, lambda ch: ch in self.fontset.italic_covered or ch.isspace())
            )
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


def _groups(text: str, key: Callable[[str], bool]) -> list[tuple[bool, str]]:
    """text as runs of characters with the same key, each with it."""
    return [(k, "".join(group)) for k, group in itertools.groupby(text, key=key)]


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
