"""Word's page and styles for the DOCX writers: page size and margins, the palette, the named paragraph
styles a user can restyle, and the East Asian font python-docx does not set."""

from __future__ import annotations

from docx.document import Document as WordDocument
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_TAB_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.section import Section
from docx.shared import Emu, Length, Mm, Pt, RGBColor
from docx.styles.style import ParagraphStyle

from ..document import Role
from ..paper import PAGE_SIZES

MARGIN = Mm(20)
CELL_MARGINS = Mm(4)  # Word's default left and right cell margins together (0.08 in each)
# Latin text of the English column: on every Windows and macOS machine, and its quotes are
# proportional (the CJK font's are full-width).
LATIN_FONT = "Arial"
# The PDF's palette: navy headings, near-black text, grey captions, red DRAFT notice, grey rules.
NAVY, INK = RGBColor(0x1B, 0x36, 0x5D), RGBColor(0x1D, 0x22, 0x29)
GREY, RED, RULE = RGBColor(0x5F, 0x66, 0x70), RGBColor(0xB3, 0x26, 0x1E), "C5CAD1"

CREDIT_STYLE, COLUMN_HEAD_STYLE, GLOSSARY_STYLE = "Credit", "Column Heading", "Glossary Entry"
CELL_STYLE, NOTE_STYLE = "Table Text", "Note"
ROLE_STYLES = {
    Role.TITLE: "Title",
    Role.HEADING: "Heading 1",
    Role.PARAGRAPH: "Normal",
    Role.CAPTION: "Caption",
    Role.CREDIT: CREDIT_STYLE,
    Role.LIST: "List Bullet",
    Role.CELL: CELL_STYLE,
    Role.NOTE: NOTE_STYLE,
}
SUBTITLE_STYLE = "Subtitle"  # a title block after the first: the subtitle under the title
NUMBERED_ITEM_STYLE = "List Paragraph"  # a list item that carries its own number: indented, no bullet
ENGLISH_STYLE = "English Text"  # the English under its Chinese in the interleaved layout


def set_page(section: Section, page_size: str) -> None:
    """Give section the page size (a key of paper.PAGE_SIZES) and the margins every DOCX has."""
    section.page_width, section.page_height = (Emu(round(points * 12700)) for points in PAGE_SIZES[page_size])
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, MARGIN)


def text_width(section: Section) -> Length:
    """The width between section's margins."""
    return Length(section.page_width - section.left_margin - section.right_margin)


def add_styles(word: WordDocument, family: str) -> None:
    """Role styles the user can restyle in Word; each carries the East Asian font as well as the Latin."""
    styles = word.styles
    for name in (CREDIT_STYLE, COLUMN_HEAD_STYLE, GLOSSARY_STYLE, CELL_STYLE, NOTE_STYLE, ENGLISH_STYLE):
        if name not in [s.name for s in styles]:
            styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH).base_style = styles["Normal"]
    specs = {
        # name: (size, bold, italic, colour, space before, space after, alignment)
        "Normal": (10, False, False, INK, 0, 4, None),
        "Title": (16, True, False, NAVY, 0, 6, None),
        SUBTITLE_STYLE: (12.5, True, False, NAVY, 0, 6, None),
        "Heading 1": (12.5, True, False, NAVY, 10, 4, None),
        "Caption": (9, False, True, GREY, 0, 4, None),
        CREDIT_STYLE: (8.5, False, False, GREY, 0, 4, WD_ALIGN_PARAGRAPH.RIGHT),
        COLUMN_HEAD_STYLE: (9, True, False, GREY, 0, 2, None),
        GLOSSARY_STYLE: (9.5, False, False, INK, 0, 2, None),
        CELL_STYLE: (9.5, False, False, INK, 0, 2, None),
        NOTE_STYLE: (8.5, False, False, GREY, 0, 3, None),
        "List Bullet": (10, False, False, INK, 0, 4, None),
        NUMBERED_ITEM_STYLE: (10, False, False, INK, 0, 4, None),
        ENGLISH_STYLE: (10, False, False, INK, 0, 8, None),
    }
    for name, (size, bold, italic, colour, before, after, align) in specs.items():
        style = styles[name]
        style.font.name, style.font.size = LATIN_FONT, Pt(size)
        style.font.bold, style.font.italic, style.font.color.rgb = bold, italic, colour
        east_asian_font(style.element.get_or_add_rPr(), family)
        fmt = style.paragraph_format
        fmt.space_before, fmt.space_after, fmt.line_spacing = Pt(before), Pt(after), 1.2
        if align is not None:
            fmt.alignment = align
    styles["Heading 1"].paragraph_format.keep_with_next = True
    _no_border(styles["Title"])
    tab = text_width(word.sections[0]) // 2
    styles[GLOSSARY_STYLE].paragraph_format.tab_stops.add_tab_stop(Length(tab), WD_TAB_ALIGNMENT.LEFT)


def east_asian_font(rpr: OxmlElement, family: str, hint: bool = False) -> None:
    """Set w:eastAsia on w:rFonts: python-docx's font.name fills only the Latin slots."""
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    fonts.set(qn("w:eastAsia"), family)
    if hint:
        # Quotes and dashes are shared by both scripts; the hint makes Word use the Chinese glyphs.
        fonts.set(qn("w:hint"), "eastAsia")


def _no_border(style: ParagraphStyle) -> None:
    """Drop the template's rule under Title: the table's hairlines already separate rows."""
    ppr = style.element.find(qn("w:pPr"))
    border = ppr.find(qn("w:pBdr")) if ppr is not None else None
    if border is not None:
        ppr.remove(border)
