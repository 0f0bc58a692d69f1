"""The DOCX writer: a two-column table, Chinese left and English right, styled by role for Word."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import docx
from docx.document import Document as WordDocument
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.section import Section
from docx.shared import Length, Pt
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph
from docx.text.run import Run

from .. import __version__
from ..document import Document, Emphasis, Picture, Role, Segment
from ..emphasis import styled_runs
from ..terms import Glossary, Term
from . import (
    GLOSSARY_ORDERS, UNTRANSLATED, Labels, PublishOptions, block_marked, block_text, glossary_terms, numbered_item,
    page_labels, provenance_text, review_notice, terms_used,
)
from .docx_styles import (
    CELL_MARGINS, CELL_STYLE, COLUMN_HEAD_STYLE, ENGLISH_STYLE, GLOSSARY_STYLE, GREY, NOTE_STYLE, NUMBERED_ITEM_STYLE,
    RED, ROLE_STYLES, RULE, SUBTITLE_STYLE, add_styles, east_asian_font, set_page, text_width,
)
from .docx_tables import add_picture, can_place, fill_grid, fits_half, nested_grid
from .fonts import family_name
from .tables import Grid, gather, stands_alone

LIMIT = 255  # python-docx refuses longer core properties
ZIP_EARLIEST = datetime(1980, 1, 1)
LANGUAGE_TAGS = {"en": "en-US", "zh": "zh-CN"}

# The Chinese halves of these are page labels in the article's script (publish.page_labels).
COLUMN_HEAD_EN, GLOSSARY_HEADING_EN = "English", "Glossary"


def write_docx(document: Document, glossary: Glossary | None, path: Path, options: PublishOptions) -> None:
    """Write document as a DOCX at path: one table row per block, a DRAFT header while unapproved."""
    word = docx.Document()
    family = family_name(options.font, document.script)
    labels = page_labels(document.script)
    language = document.source_language  # zh-TW for a traditional article: Word's East Asian language
    terms = glossary_terms(document, glossary, options.glossary_order)
    set_page(word.sections[0], options.page_size)
    add_styles(word, family)
    _properties(word, document, glossary, terms_used(document, glossary))  # keywords in order of first use
    _header_footer(word.sections[0], document, family)
    blocks = document.blocks()
    article_body(word, [b for b in blocks if b[0].role is Role.TITLE] + [b for b in blocks if b[0].role is not Role.TITLE],
                 family, options.layout, document.target_language, labels=labels, language=language,
                 pictures=document.pictures)
    glossary_section(word, terms, family, document.target_language, labels, language, options.glossary_order)
    save_docx(word, path, options.moment)


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
    width = text_width(word.sections[0])
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
        fill_grid(inner, grid, text_width(word.sections[0]), [chinese, english],
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
    east_asian_font(raw_xml(run).get_or_add_rPr(), family, hint=True)
    if italic_style:
        run.font.italic = False  # Chinese has no italic; a slanted CJK glyph is a printing error
    _language(run, language, east_asian=True)
    return run


def _emphasis_dots(run: Run) -> None:
    """Mark a Chinese run's emphasis as Chinese printers do: a dot under each character (w:em)."""
    run.font.italic = False
    rpr = raw_xml(run).get_or_add_rPr()
    em = OxmlElement("w:em")
    em.set(qn("w:val"), "dot")
    rpr.insert_element_before(em, "w:lang", "w:eastAsianLayout", "w:specVanish", "w:oMath")


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
    half = Length(text_width(word.sections[0]) // 2)
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
            if Emphasis.ITALIC in styles:
                _emphasis_dots(run)
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
    core.title = within_limit(f"{document.title} — {english}" if english else document.title)
    core.subject = f"Chinese–English bilingual edition ({document.source_language} → {document.target_language})"
    core.keywords = within_limit("; ".join(t.target for t in terms) or document.name, sep="; ")
    provenance = provenance_text(document, glossary)
    if len(provenance) > LIMIT:
        provenance = within_limit(provenance_text(document, glossary, short_hashes=True))
    core.comments = provenance
    core.author = core.last_modified_by = "leshan-pub"
    core.language = f"{document.source_language}, {document.target_language}"
    core.content_status = "Draft" if document.unapproved() else "Final"
    core.version = __version__


def save_docx(word: WordDocument, path: Path, moment: datetime | None) -> None:
    """Save word at path dated moment (created, modified, and every zip entry): the same moment and
    content give the same bytes, so SOURCE_DATE_EPOCH builds are reproducible.

    python-docx stamps zip entries with the local time of saving and keeps its template's dates.
    """
    moment = (moment or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0, tzinfo=None)
    core = word.core_properties
    core.created = core.modified = moment
    core.revision = 1
    buffer = io.BytesIO()
    word.save(buffer)
    stamp = max(moment, ZIP_EARLIEST).timetuple()[:6]  # zip dates start in 1980
    out = io.BytesIO()
    with zipfile.ZipFile(buffer) as unpacked, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as packed:
        for entry in unpacked.infolist():
            info = zipfile.ZipInfo(entry.filename, date_time=stamp)
            info.compress_type, info.external_attr = zipfile.ZIP_DEFLATED, 0o644 << 16
            packed.writestr(info, unpacked.read(entry.filename))
    path.write_bytes(out.getvalue())


def within_limit(text: str, sep: str = "") -> str:
    """text cut to the 255 characters a core property holds, at a separator when one is given."""
    if len(text) <= LIMIT:
        return text
    cut = text[: LIMIT - 1]
    if sep and sep in cut:
        return cut[: cut.rindex(sep)]
    return cut + "…"


def glossary_section(
    word: WordDocument, terms: list[Term], family: str, target_language: str, labels: Labels, language: str = "zh-CN",
    order: str = "pinyin",
) -> None:
    """The glossary terms the article uses, Chinese and English, as tabbed paragraphs after the table,
    in the order they come (publish.glossary_terms), named in a note above them.

    Paragraphs, not a table: a table row per term would count as a translated row.
    """
    if not terms:
        return
    heading = word.add_paragraph(style="Heading 1")
    chinese_run(heading, labels.glossary, family, language=language)
    english_run(heading, "  " + GLOSSARY_HEADING_EN, "en")
    note = word.add_paragraph(style=NOTE_STYLE)
    chinese_run(note, labels.order(order), family, language=language)
    english_run(note, "  " + GLOSSARY_ORDERS[order], target_language)
    for term in terms:
        entry = word.add_paragraph(style=GLOSSARY_STYLE)
        chinese_run(entry, term.source, family, language=language)
        english_run(entry, "\t" + term.target, target_language)
