"""How the PDF sets text: its palette, each role's Chinese and English style, and the page's geometry."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING

from reportlab.lib.colors import HexColor
from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY, TA_LEFT, TA_RIGHT
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm

from ..document import Role

if TYPE_CHECKING:
    from .pdf_shaping import Shaper

INK, NAVY, GREY, RULE, RED, WATERMARK = "#1d2229", "#1b365d", "#5f6670", "#c5cad1", "#b3261e", "#f6e8e6"
EM_ASCENT = 0.88  # Noto Sans SC's ideographic em box runs from -0.12 to 0.88 em
MAX_JUSTIFY = 0.3  # widest letter-spacing (in em) a justified Chinese line may take
DOT_DROP, DOT_RADIUS = 0.24, 0.055  # emphasis dots: centre below the baseline and radius, in em
LATIN_QUOTES = frozenset("‘’“”")


@dataclass(frozen=True)
class TextStyle:
    """How one column of one role is set."""

    face: str = "regular"  # regular | bold | italic (English only: Chinese is never slanted)
    size: float = 10.0
    leading: float = 15.0
    colour: str = INK
    align: str = "left"  # left | justify | right | center
    space_before: float = 0.0  # above the row; dropped at the top of a page
    space_after: float = 6.0  # below the row, inside it, so the column rule runs on
    words: bool = False  # Chinese breaks only between words, lines balanced: titles and headings


# (Chinese, English) per role: Chinese ~10.5 pt and English ~10 pt, as in printed annual reports.
ROLE_STYLES: dict[Role, tuple[TextStyle, TextStyle]] = {
    Role.TITLE: (TextStyle("bold", 19, 28, NAVY, space_after=8, words=True), TextStyle("bold", 15.5, 20, NAVY)),
    Role.HEADING: (
        TextStyle("bold", 12.5, 19, NAVY, space_before=12, space_after=6, words=True),
        TextStyle("bold", 11.5, 15, NAVY),
    ),
    Role.PARAGRAPH: (TextStyle(size=10.5, leading=18, align="justify", space_after=8), TextStyle(size=10, leading=14.5)),
    Role.CAPTION: (TextStyle(size=9, leading=14, colour=GREY, space_after=8), TextStyle("italic", 9, 12.5, GREY)),
    Role.CREDIT: (
        TextStyle(size=8.5, leading=13, colour=GREY, align="right", space_before=4),
        TextStyle(size=8.5, leading=12, colour=GREY, align="right"),
    ),
    Role.LIST: (TextStyle(size=10.5, leading=18, space_after=6), TextStyle(size=10, leading=14.5)),
    Role.CELL: (TextStyle(size=9.5, leading=15, space_after=4), TextStyle(size=9.5, leading=13)),
    Role.NOTE: (TextStyle(size=8.5, leading=13, colour=GREY, space_after=4), TextStyle(size=8.5, leading=12, colour=GREY)),
}

# A title block after the first: the subtitle under the title (——记…).
SUBTITLE_STYLES = (TextStyle("bold", 14, 21, NAVY, space_after=8, words=True), TextStyle("bold", 12, 16, NAVY))
LIST_BULLET = "• "  # before each list item, in both columns
EDITION_STYLE = TextStyle(size=8.5, leading=12, colour=GREY, space_after=10)
GLOSSARY_STYLE = TextStyle(size=9.5, leading=14, space_after=2)


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


@functools.lru_cache(maxsize=64)
def _paragraph_style_cached(style: TextStyle, font: str) -> ParagraphStyle:
    alignment = {"left": TA_LEFT, "justify": TA_JUSTIFY, "right": TA_RIGHT, "center": TA_CENTER}[style.align]
    return ParagraphStyle(
        name=f"{style.face}-{style.size}-{style.align}", fontName=font, fontSize=style.size,
        leading=style.leading, textColor=HexColor(style.colour), alignment=alignment,
        allowOrphans=0, allowWidows=0, splitLongWords=1,
    )


def paragraph_style(style: TextStyle, shaper: Shaper) -> ParagraphStyle:
    """reportlab's paragraph style for style, in the face the shaper registered for it."""
    return _paragraph_style_cached(style, shaper.faces[style.face])
