"""The DOCX writer: a two-column table, Chinese left and English right, styled by role for Word."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import docx
from docx.document import Document as WordDocument
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_TAB_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.section import Section
from docx.styles.style import ParagraphStyle
from docx.shared import Emu, Length, Mm, Pt, RGBColor
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph
from docx.text.run import Run

from .. import __version__
from ..document import Document, Emphasis, Picture, Role, Segment
from ..emphasis import styled_runs
from ..paper import PAGE_SIZES
from ..terms import Glossary, Term
from . import (
    UNTRANSLATED, Labels, PublishOptions, block_marked, block_text, numbered_item, page_labels, provenance_text, review_notice,
    terms_used,
)
from .docx_tables import add_picture, can_place, fill_grid, fits_half, nested_grid
from .fonts import family_name
from .tables import Grid, gather, stands_alone

MARGIN = Mm(20)
CELL_MARGINS = Mm(4)  # Word's default left and right cell margins together (0.08 in each)
# Latin text of the English column: on every Windows and macOS machine, and its quotes are
# proportional (the CJK font's are full-width).
LATIN_FONT = "Arial"
# The PDF's palette: navy headings, near-black text, grey captions, red DRAFT notice, grey rules.
NAVY, INK = RGBColor(0x1B, 0x36, 0x5D), RGBColor(0x1D, 0x22, 0x29)
GREY, RED, RULE = RGBColor(0x5F, 0x66, 0x70), RGBColor(0xB3, 0x26, 0x1E), "C5CAD1"
LIMIT = 255  # python-docx refuses longer core properties
LANGUAGE_TAGS = {"en": "en-US", "zh": "zh-CN"}

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
# The Chinese halves of these are page labels in the article's script (publish.page_labels).
COLUMN_HEAD_EN, GLOSSARY_HEADING_EN = "English", "Glossary"
ENGLISH_STYLE = "English Text"  # the English under its Chinese in the interleaved layout


def write_docx(document: Document, glossary: Glossary | None, path: Path, options: PublishOptions) -> None:
    """Write document as a DOCX at path: one table row per block, a DRAFT header while unapproved."""
    word = docx.Document()
    family = family_name(options.font, document.script)
    labels = page_labels(document.script)
    language = document.source_language  # zh-TW for a traditional article: Word's East Asian language
    terms = terms_used(document, glossary)
    _page(word.sections[0], options.page_size)
    _styles(word, family)
    _properties(word, document, glossary, terms)
    _header_footer(word.sections[0], document, family)
    blocks = document.blocks()
    article_body(word, [b for b in blocks if b[0].role is Role.TITLE] + [b for b in blocks if b[0].role is not Role.TITLE],
                 family, options.layout, document.target_language, labels=labels, language=language,
                 pictures=document.pictures)
    _glossary(word, terms, family, document.target_language, labels, language)
    word.save(str(path))


def article_body(
    word: WordDocument, blocks: Sequence[Sequence[Segment]], family: str, layout: str, target_language: str,
    role_styles: dict[Role, str] = ROLE_STYLES, labels: Labels | None = None, language: str = "zh-CN",
    titled: bool = False, pictures: dict[int, Picture] | None = None,
) -> None:
    """The blocks in layout: a two-column table (side by side), or each Chinese paragraph followed by its English.

    labels are the page labels in the article's script (simplified when None); language tags its Chinese runs.
    A title block after the first (after any, when titled says the title is already set) is a subtitle.
    The article's tables are Word tables (docx_tables), its pictures (by block index) set where they stood.
    """
    styles: dict[int, str] = {}
    for block in blocks:  # a title block after the first is its subtitle
        is_title = block[0].role is Role.TITLE
        styles[id(block)] = SUBTITLE_STYLE if is_title and titled else _style_name(block, role_styles)
        titled |= is_title
    table = None if layout == "interleaved" else _table(word, family, labels or page_labels(None), language)
    width = _text_width(word.sections[0])
    for item in gather(blocks):
        if isinstance(item, Grid):
            if _grid(word, table, item, family, target_language, language) and table is not None:
                table = _table(word, family, labels or page_labels(None), language)  # the rows after it
            continue
        picture = (pictures or {}).get(item[0].block)
        if picture is not None and _picture(word, table, picture, width, block_text(item)[0]) and stands_alone(item):
            continue  # a placeholder for a picture that is now set says nothing more
        if table is None:
            _interleaved_block(word, item, styles[id(item)], family, target_language, language)
        else:
            _block_row(table, item, styles[id(item)], family, target_language, language)


def _grid(word: WordDocument, table: Table | None, grid: Grid, family: str, target_language: str, language: str) -> bool:
    """An article's table: in a row of the side-by-side table, the Chinese table beside the English one;
    interleaved, or too wide for half the page, one table across the page whose cells hold the Chinese
    and then the English. True when it was set across the page (a side-by-side table must start again)."""

    def chinese(paragraph: Paragraph, block: Sequence[Segment], header: bool) -> None:
        _block_side(paragraph, block, family, target_language, language, english=False, bold=header)

    def english(paragraph: Paragraph, block: Sequence[Segment], header: bool) -> None:
        _block_side(paragraph, block, family, target_language, language, english=True, bold=header)

    if table is None or not fits_half(grid, Length(table.columns[0].width)):
        inner = word.add_table(rows=grid.rows, cols=grid.columns)
        fill_grid(inner, grid, _text_width(word.sections[0]), [chinese, english],
                  lambda c: [*c.chinese, *c.english], CELL_STYLE)
        word.add_paragraph()  # Word runs two tables one after another into one
        return True
    row = table.add_row()  # no cantSplit: a long table must break across pages
    half = table.columns[0].width
    for cell in row.cells:
        cell.width = half
    nested_grid(row.cells[0], grid, half, chinese, lambda c: c.chinese, CELL_STYLE)
    nested_grid(row.cells[1], grid, half, english, lambda c: c.english, CELL_STYLE)
    return False


def _picture(word: WordDocument, table: Table | None, picture: Picture, width: Length, description: str) -> bool:
    """The picture where it stood: across both columns of the side-by-side table, or between paragraphs.
    False when python-docx cannot read the picture (its bytes are not the PNG, JPEG, GIF or BMP they claim)."""
    if not can_place(picture):
        return False
    if table is None:
        add_picture(word.add_paragraph(), picture, width, description)
        return True
    row = table.add_row()
    raw_xml(row).get_or_add_trPr().append(OxmlElement("w:cantSplit"))
    cell = row.cells[0].merge(row.cells[1])
    add_picture(cell.paragraphs[0], picture, Length(width - CELL_MARGINS), description)
    return True


def _page(section: Section, page_size: str) -> None:
    section.page_width, section.page_height = (Emu(round(points * 12700)) for points in PAGE_SIZES[page_size])
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, MARGIN)


def _text_width(section: Section) -> Length:
    return Length(section.page_width - section.left_margin - section.right_margin)


# --- styles ---------------------------------------------------------------------------------------


def _styles(word: WordDocument, family: str) -> None:
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
        _east_asian_font(style.element.get_or_add_rPr(), family)
        fmt = style.paragraph_format
        fmt.space_before, fmt.space_after, fmt.line_spacing = Pt(before), Pt(after), 1.2
        if align is not None:
            fmt.alignment = align
    styles["Heading 1"].paragraph_format.keep_with_next = True
    _no_border(styles["Title"])
    tab = _text_width(word.sections[0]) // 2
    styles[GLOSSARY_STYLE].paragraph_format.tab_stops.add_tab_stop(Length(tab), WD_TAB_ALIGNMENT.LEFT)


def _east_asian_font(rpr: OxmlElement, family: str, hint: bool = False) -> None:
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


def raw_xml(part: Any) -> Any:
    """The WordprocessingML element behind a python-docx object (paragraph, run, table, row).

    python-docx has no public API for what this module also sets: language tags and East Asian
    fonts on runs, a header row repeated on each page, rows kept whole, table borders, outline
    levels and page-number fields. This is the one door to the raw XML, so that the rest of the
    module reads as python-docx's public API.
    """
    return part._element


# --- runs -----------------------------------------------------------------------------------------


def _language(run: Run, tag: str, east_asian: bool) -> None:
    lang = OxmlElement("w:lang")
    lang.set(qn("w:val"), tag)
    if east_asian:
        lang.set(qn("w:eastAsia"), tag)
    raw_xml(run).get_or_add_rPr().append(lang)


def chinese_run(
    paragraph: Paragraph, text: str, family: str, italic_style: bool = False, language: str = "zh-CN"
) -> Run:
    """A run of Chinese: the CJK family in every slot (digits and Latin inside it match), tagged
    with language (zh-CN, or zh-TW for traditional)."""
    run = paragraph.add_run(text)
    run.font.name = family
    _east_asian_font(raw_xml(run).get_or_add_rPr(), family, hint=True)
    if italic_style:
        run.font.italic = False  # Chinese has no italic; a slanted CJK glyph is a printing error
    _language(run, language, east_asian=True)
    return run


def english_run(paragraph: Paragraph, text: str, target_language: str) -> Run:
    """A run of English in the style's Latin font."""
    run = paragraph.add_run(text)
    _language(run, LANGUAGE_TAGS.get(target_language, target_language), east_asian=False)
    return run


# --- table ----------------------------------------------------------------------------------------


def _table(word: WordDocument, family: str, labels: Labels, language: str = "zh-CN") -> Table:
    """The two-column table with a header row that Word repeats on every page."""
    table = word.add_table(rows=0, cols=2)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    half = Length(_text_width(word.sections[0]) // 2)
    for column in table.columns:
        column.width = half
    _borders(table)
    zh_cell, en_cell = _row(table, half)
    chinese_run(zh_cell.paragraphs[0], labels.column, family, language=language)
    english_run(en_cell.paragraphs[0], COLUMN_HEAD_EN, "en")
    for cell in (zh_cell, en_cell):
        cell.paragraphs[0].style = word.styles[COLUMN_HEAD_STYLE]
    raw_xml(table.rows[0]).get_or_add_trPr().append(OxmlElement("w:tblHeader"))
    return table


def _row(table: Table, width: Length) -> tuple[_Cell, _Cell]:
    """A new row that Word never splits across pages."""
    row = table.add_row()
    raw_xml(row).get_or_add_trPr().append(OxmlElement("w:cantSplit"))
    for cell in row.cells:
        cell.width = width
    return row.cells[0], row.cells[1]


def _borders(table: Table) -> None:
    """Hairlines between rows and between the columns; no box around the table."""
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "bottom", "insideH", "insideV"):
        line = OxmlElement(f"w:{edge}")
        line.set(qn("w:val"), "single")
        line.set(qn("w:sz"), "4")
        line.set(qn("w:color"), RULE)
        borders.append(line)
    raw_xml(table).tblPr.append(borders)


def _block_row(
    table: Table, block: Sequence[Segment], style_name: str, family: str, target_language: str, language: str = "zh-CN",
) -> None:
    style = table.part.document.styles[style_name]
    zh_cell, en_cell = _row(table, table.columns[0].width)
    for cell in (zh_cell, en_cell):
        cell.paragraphs[0].style = style
    _block_text(zh_cell.paragraphs[0], en_cell.paragraphs[0], block, family, target_language, language)


def _interleaved_block(
    word: WordDocument, block: Sequence[Segment], style_name: str, family: str, target_language: str,
    language: str = "zh-CN",
) -> None:
    """The Chinese paragraph in its role's style, then the English; a heading keeps its English with it."""
    role = block[0].role
    zh_paragraph = word.add_paragraph(style=style_name)
    zh_paragraph.paragraph_format.keep_with_next = True
    zh_paragraph.paragraph_format.space_after = Pt(1)
    # Body English has a style of its own, so translators' readers can restyle it apart from the Chinese.
    en_paragraph = word.add_paragraph(style=ENGLISH_STYLE if role is Role.PARAGRAPH else style_name)
    if role in (Role.TITLE, Role.HEADING):
        _body_outline(en_paragraph)
    _block_text(zh_paragraph, en_paragraph, block, family, target_language, language)


def _style_name(block: Sequence[Segment], role_styles: dict[Role, str]) -> str:
    """The block's role style; a list item that carries its own number takes no bullet."""
    role = block[0].role
    if role is Role.LIST and numbered_item(block_text(block)[0]):
        return NUMBERED_ITEM_STYLE
    return role_styles[role]


def _body_outline(paragraph: Paragraph) -> None:
    """Take a heading's English out of the outline: Word's table of contents lists each heading once."""
    level = OxmlElement("w:outlineLvl")
    level.set(qn("w:val"), "9")  # 9 is body text
    raw_xml(paragraph).get_or_add_pPr().append(level)


def _block_text(zh_paragraph: Paragraph, en_paragraph: Paragraph, block: Sequence[Segment], family: str,
                target_language: str, language: str = "zh-CN") -> None:
    """A block's Chinese and English as runs, emphasis set as bold/italic (never italic Chinese)."""
    _block_side(zh_paragraph, block, family, target_language, language, english=False)
    _block_side(en_paragraph, block, family, target_language, language, english=True)


def _block_side(paragraph: Paragraph, block: Sequence[Segment], family: str, target_language: str, language: str,
                english: bool, bold: bool = False) -> None:
    """One side of a block as runs: its Chinese, or its English (grey '[not yet translated]' without one);
    bold sets every run bold (a table's header row)."""
    (zh, zh_marks), (en, en_marks) = block_marked(block)
    role = block[0].role
    if not english:
        for piece, styles in styled_runs(zh, zh_marks):
            run = chinese_run(paragraph, piece, family, italic_style=role is Role.CAPTION, language=language)
            if bold or Emphasis.BOLD in styles:
                run.font.bold = True
        return
    if not en:
        missing = english_run(paragraph, UNTRANSLATED, target_language)
        missing.font.color.rgb, missing.font.italic = GREY, True
        return
    for piece, styles in styled_runs(en, en_marks):
        run = english_run(paragraph, piece, target_language)
        if bold or Emphasis.BOLD in styles:
            run.font.bold = True
        if Emphasis.ITALIC in styles:
            run.font.italic = True


# --- header, footer, properties, glossary ---------------------------------------------------------


def _header_footer(section: Section, document: Document, family: str) -> None:
    """Header: the DRAFT notice while segments await review, else the title. Footer: page X of Y."""
    page_furniture(section, review_notice(document), document.title, document.english_title, family,
                   document.target_language, document.source_language)


def page_furniture(section: Section, notice: str, title: str, english_title: str, family: str,
                   target_language: str = "en", language: str = "zh-CN") -> None:
    """Header: notice (DRAFT) when given, else the title in both languages. Footer: page X of Y."""
    header = section.header.paragraphs[0]
    if notice:
        run = english_run(header, notice, "en")
        run.font.bold, run.font.color.rgb, run.font.size = True, RED, Pt(9)
    else:
        chinese_run(header, title, family, language=language).font.size = Pt(8)
        if english_title:
            english_run(header, "  " + english_title, target_language).font.size = Pt(8)
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    for piece in ("Page ", "PAGE", " of ", "NUMPAGES"):
        if piece.isupper():
            _field(footer, piece)
        else:
            english_run(footer, piece, "en").font.size = Pt(8)


def _field(paragraph: Paragraph, instruction: str) -> None:
    """A Word field (PAGE, NUMPAGES) that Word fills in when it lays out the pages."""
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), instruction)
    run = OxmlElement("w:r")
    rpr = OxmlElement("w:rPr")
    size = OxmlElement("w:sz")
    size.set(qn("w:val"), "16")
    rpr.append(size)
    text = OxmlElement("w:t")
    text.text = "1"
    run.append(rpr)
    run.append(text)
    field.append(run)
    raw_xml(paragraph).append(field)


def _properties(word: WordDocument, document: Document, glossary: Glossary | None, terms: list[Term]) -> None:
    """Title, subject, keywords, and the provenance (tool, model, glossary hash, review) in comments."""
    core = word.core_properties
    english = document.english_title
    core.title = _limit(f"{document.title} — {english}" if english else document.title)
    core.subject = f"Chinese–English bilingual edition ({document.source_language} → {document.target_language})"
    core.keywords = _limit("; ".join(t.target for t in terms) or document.name, sep="; ")
    provenance = provenance_text(document, glossary)
    if len(provenance) > LIMIT:
        provenance = _limit(provenance_text(document, glossary, short_hashes=True))
    core.comments = provenance
    core.author = core.last_modified_by = "leshan-pub"
    core.language = f"{document.source_language}, {document.target_language}"
    core.content_status = "Draft" if document.unapproved() else "Final"
    core.version = __version__


def _limit(text: str, sep: str = "") -> str:
    """text cut to the 255 characters a core property holds, at a separator when one is given."""
    if len(text) <= LIMIT:
        return text
    cut = text[: LIMIT - 1]
    if sep and sep in cut:
        return cut[: cut.rindex(sep)]
    return cut + "…"


def _glossary(
    word: WordDocument, terms: list[Term], family: str, target_language: str, labels: Labels, language: str = "zh-CN"
) -> None:
    """The glossary terms the article uses, Chinese and English, as tabbed paragraphs after the table.

    Paragraphs, not a table: a table row per term would count as a translated row.
    """
    if not terms:
        return
    heading = word.add_paragraph(style="Heading 1")
    chinese_run(heading, labels.glossary, family, language=language)
    english_run(heading, "  " + GLOSSARY_HEADING_EN, "en")
    for term in terms:
        entry = word.add_paragraph(style=GLOSSARY_STYLE)
        chinese_run(entry, term.source, family, language=language)
        english_run(entry, "\t" + term.target, target_language)
