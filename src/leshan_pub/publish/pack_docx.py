"""The pack DOCX: cover, a Word table-of-contents field, each article in the chosen layout, one glossary."""

from __future__ import annotations

from pathlib import Path

import docx
from docx.document import Document as WordDocument
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Pt
from docx.text.paragraph import Paragraph

from .. import __version__
from ..document import Pack, Role
from ..terms import Glossary
from . import PublishOptions, english_as_of, glossary_terms, pack_provenance_text, page_labels, pending_notice
from .docx import (
    LIMIT, article_body, chinese_run, english_run, glossary_section, page_furniture, raw_xml, save_docx, within_limit,
)
from .docx_styles import GREY, LATIN_FONT, NAVY, RED, ROLE_STYLES, add_styles, east_asian_font, set_page
from .fonts import family_name

CONTENTS_ZH, CONTENTS_EN = "目录", "Contents"
EDITION_EN = "Chinese–English bilingual edition"
# Word lists Heading 1 paragraphs (each article's title, the glossary) in the contents; the
# headings inside an article move one level down so the contents name articles only.
TOC_INSTRUCTION = r' TOC \o "1-1" \h \z \u '
PACK_ROLE_STYLES = {**ROLE_STYLES, Role.HEADING: "Heading 2"}
TOC_HINT = "Word fills in the page numbers: right-click here and choose Update Field (or press F9)."


def write_pack_docx(pack: Pack, glossary: Glossary | None, path: Path, options: PublishOptions) -> None:
    """Write the pack as one DOCX at path: cover page, contents field, articles, merged glossary."""
    word = docx.Document()
    family = family_name(options.font)
    terms = glossary_terms(pack.documents, glossary, options.glossary_order)
    section = word.sections[0]
    set_page(section, options.page_size)
    add_styles(word, family)
    _heading_2(word, family)
    _properties(word, pack, glossary, [t.target for t in terms])
    notice = pending_notice(len(pack.unapproved()))
    page_furniture(section, notice, pack.title, pack.subtitle, family)
    section.different_first_page_header_footer = True  # the cover carries no header
    _cover(word, pack, notice, family)
    _contents(word, pack, bool(terms), family)
    for document in pack.documents:
        heading = word.add_paragraph(style="Heading 1")
        heading.paragraph_format.page_break_before = True
        chinese_run(heading, document.title, family)
        if document.english_title:
            heading.add_run().add_break()
            english_run(heading, document.english_title, document.target_language)
        blocks = document.blocks()
        subtitles = [b for b in blocks if b[0].role is Role.TITLE][1:]  # the title itself is the heading above
        blocks = subtitles + [b for b in blocks if b[0].role is not Role.TITLE]
        article_body(word, blocks, family, options.layout, document.target_language, PACK_ROLE_STYLES, titled=True,
                     pictures=document.pictures)
    if terms:
        word.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
        language = pack.documents[0].target_language if pack.documents else "en"
        glossary_section(word, terms, family, language, page_labels(None), order=options.glossary_order)
    _update_fields_on_open(word)
    save_docx(word, path, options.moment)


def _heading_2(word: WordDocument, family: str) -> None:
    """Heading 2 in the look Heading 1 has in a single article (navy, bold, kept with the next row)."""
    style = word.styles["Heading 2"]
    style.font.name, style.font.size, style.font.bold, style.font.italic = LATIN_FONT, Pt(12), True, False
    style.font.color.rgb = NAVY
    east_asian_font(style.element.get_or_add_rPr(), family)
    style.paragraph_format.keep_with_next = True


def _cover(word: WordDocument, pack: Pack, notice: str, family: str) -> None:
    """Title, subtitle, organisation, date, edition and the DRAFT notice, centred on the first page."""
    spacer = word.add_paragraph()
    spacer.paragraph_format.space_before = Pt(180)
    title = word.add_paragraph(style="Title")
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    chinese_run(title, pack.title, family).font.size = Pt(26)
    lines = [(pack.subtitle, 15, NAVY), (pack.organisation, 11, GREY), (pack.date, 11, GREY), (EDITION_EN, 10, GREY),
             (english_as_of(pack.documents), 10, GREY)]
    if notice:
        lines.append((notice, 11, RED))
    for text, size, colour in lines:
        if not text:
            continue
        paragraph = word.add_paragraph()
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        run = chinese_run(paragraph, text, family)
        run.font.size, run.font.color.rgb = Pt(size), colour
        run.font.bold = colour is RED


def _contents(word: WordDocument, pack: Pack, glossary: bool, family: str) -> None:
    """The contents heading and a TOC field, filled with the entries (page numbers come from Word)."""
    heading = word.add_paragraph(style="Title")
    heading.paragraph_format.page_break_before = True
    chinese_run(heading, CONTENTS_ZH, family)
    english_run(heading, "  " + CONTENTS_EN, "en")
    entries = [f"{d.title}  {d.english_title}".strip() for d in pack.documents]
    if glossary:
        entries.append("术语表  Glossary")
    paragraphs = [word.add_paragraph() for _ in entries] or [word.add_paragraph()]
    _field_char(paragraphs[0], "begin")
    _instruction(paragraphs[0], TOC_INSTRUCTION)
    _field_char(paragraphs[0], "separate")
    for paragraph, entry in zip(paragraphs, entries):
        chinese_run(paragraph, entry, family)
    _field_char(paragraphs[-1], "end")
    hint = english_run(word.add_paragraph(), TOC_HINT, "en")
    hint.font.size, hint.font.color.rgb, hint.font.italic = Pt(8), GREY, True


def _field_char(paragraph: Paragraph, kind: str) -> None:
    """A w:fldChar run: Word's complex field (begin, separate, end) may span several paragraphs."""
    run = OxmlElement("w:r")
    char = OxmlElement("w:fldChar")
    char.set(qn("w:fldCharType"), kind)
    if kind == "begin":
        char.set(qn("w:dirty"), "true")  # computed again when the document is opened
    run.append(char)
    raw_xml(paragraph).append(run)


def _instruction(paragraph: Paragraph, text: str) -> None:
    run = OxmlElement("w:r")
    instruction = OxmlElement("w:instrText")
    instruction.set(qn("xml:space"), "preserve")
    instruction.text = text
    run.append(instruction)
    raw_xml(paragraph).append(run)


def _update_fields_on_open(word: WordDocument) -> None:
    """Ask Word to update fields (the contents' page numbers) when the file is opened."""
    update = OxmlElement("w:updateFields")
    update.set(qn("w:val"), "true")
    word.settings.element.append(update)


def _properties(word: WordDocument, pack: Pack, glossary: Glossary | None, keywords: list[str]) -> None:
    core = word.core_properties
    core.title = within_limit(f"{pack.title} — {pack.subtitle}" if pack.subtitle else pack.title)
    core.subject = within_limit(f"{EDITION_EN}: " + ", ".join(d.name for d in pack.documents))
    core.keywords = within_limit("; ".join(keywords) or pack.title, sep="; ")
    core.comments = within_limit(pack_provenance_text(pack, glossary))
    core.author = core.last_modified_by = pack.organisation[:LIMIT] or "leshan-pub"
    core.content_status = "Draft" if pack.unapproved() else "Final"
    core.version = __version__
