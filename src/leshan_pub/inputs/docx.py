"""Word articles (.docx) through python-docx: roles from paragraph styles, tables, emphasis, footnotes, and a report of what is not carried."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path

import docx
from docx.document import Document as WordDocument
from docx.drawing import Drawing
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.exceptions import PackageNotFoundError
from docx.oxml.parser import parse_xml
from docx.styles.style import BaseStyle
from docx.table import Table
from docx.text.hyperlink import Hyperlink
from docx.text.paragraph import Paragraph
from docx.text.run import Run
from lxml import etree

from ..chars import UNSPACED_CHARACTER
from ..document import Emphasis, Role
from ..emphasis import marks_of_runs, shift, strip
from ..errors import InputError
from ..files import read_input
from ..read import MAX_ARTICLE_BYTES, normalise_text
from ..structure import AuthoredParagraph, parse_authored
from . import Article
from .numbering import ListNumbers, paragraph_list
from .raised import raised

IMAGE_PLACEHOLDER = "〔图片〕"
_NS = {
    "w": "http://schemas.openxmlformats.org/wordprocessingml/2006/main",
    "wp": "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing",
    "mc": "http://schemas.openxmlformats.org/markup-compatibility/2006",
}
# Text boxes appear twice in a paragraph: as DrawingML and, for old Word, as a VML fallback.
_TEXT_BOXES = etree.XPath(".//w:txbxContent[not(ancestor::mc:Fallback)]", namespaces=_NS)
_BOX_TEXT = etree.XPath(".//w:t/text()", namespaces=_NS)
_NUMBERED = etree.XPath("./w:pPr/w:numPr", namespaces=_NS)
_NOTE_REFERENCES = etree.XPath(".//w:footnoteReference | .//w:endnoteReference", namespaces=_NS)
_ALT_TEXT = etree.XPath("./wp:inline/wp:docPr | ./wp:anchor/wp:docPr", namespaces=_NS)
_NOTES = etree.XPath("./w:footnote | ./w:endnote", namespaces=_NS)
_NOTE_PARAGRAPHS = etree.XPath(".//w:p", namespaces=_NS)
_SPACES = re.compile(r"[\t\n\u000b]+")

# Word's built-in style names (stored in English whatever the user's language) -> role; a style
# based on one of these takes its role.
_STYLE_ROLES: dict[str, Role] = {
    "Title": Role.TITLE,
    "Subtitle": Role.TITLE,
    "Caption": Role.CAPTION,
    **{f"Heading {n}": Role.HEADING for n in range(1, 10)},
    "List Paragraph": Role.LIST,
    **{f"List{kind}{n}": Role.LIST for kind in ("", " Bullet", " Number", " Continue") for n in ("", " 2", " 3", " 4", " 5")},
}


def _xml(proxy: Paragraph | Run) -> etree._Element:
    """The XML under a python-docx object: it has no API for text boxes, numbering or note marks."""
    return proxy._element


def read_docx(path: Path, encoding: str | None = None) -> Article:
    """A Word article: paragraphs with roles from their styles (the text rules where none is set),
    table cells, footnotes and endnotes as notes after the article, bold/italic as marks, and
    images as caption blocks. Text boxes, headers, footers and comments are listed in
    Article.skipped, never dropped unseen.
    """
    if encoding is not None:
        raise InputError(f"{path}: --encoding applies to .txt and .md articles; a .docx carries its own, leave it out")
    data = read_input(path, InputError, "a Word article (.docx)", max_bytes=MAX_ARTICLE_BYTES)
    if len(data) > MAX_ARTICLE_BYTES:
        raise InputError(f"{path} is over {MAX_ARTICLE_BYTES // 1024 // 1024} MB; split it into several articles")
    word = _open(path, data)
    reader = _Reader(ListNumbers(_numbering(word)))
    for item in word.iter_inner_content():
        reader.item(item, None)
    reader.notes(word)
    reader.furniture(word)
    blocks = parse_authored(reader.paragraphs)
    if not blocks:
        raise InputError(f"{path} has no text to translate; give a Chinese article")
    return Article(blocks, reader.skipped)


def _open(path: Path, data: bytes) -> WordDocument:
    """The Word document in data; InputError for bytes that are no .docx (not a zip, parts missing, bad XML)."""
    try:
        return docx.Document(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError, etree.XMLSyntaxError, PackageNotFoundError) as exc:
        raise InputError(
            f"{path} is not a Word .docx that can be read ({type(exc).__name__}: {str(exc)[:80]}); "
            "open it in Word and save it again as .docx"
        ) from None


def _numbering(word: WordDocument) -> etree._Element | None:
    """The document's list definitions (numbering.xml), or None when it has none."""
    for rel in word.part.rels.values():
        if not rel.is_external and rel.reltype == RT.NUMBERING:
            try:
                return parse_xml(rel.target_part.blob)
            except etree.XMLSyntaxError:
                return None  # damaged: the paragraphs are read without their numbers
    return None


def _style_chain(style: BaseStyle | None) -> Iterator[BaseStyle]:
    """A paragraph style, then each style it is based on, nearest first."""
    seen = 0
    while style is not None and seen < 20:  # a loop of base styles in a damaged file ends here
        yield style
        style, seen = style.base_style, seen + 1


def _style_list(style: BaseStyle | None) -> tuple[str, int] | None:
    """(numId, level) of the list a paragraph style (or a style it is based on) numbers its paragraphs in."""
    for each in _style_chain(style):
        if each.element.find(f"{{{_NS['w']}}}pPr/{{{_NS['w']}}}numPr") is not None:
            return paragraph_list(each.element, lambda: None)
    return None


def _style_role(style: BaseStyle | None) -> Role | None:
    """The role of a paragraph style or of the nearest style it is based on; None for none."""
    return next((_STYLE_ROLES[s.name] for s in _style_chain(style) if s.name in _STYLE_ROLES), None)


class _Reader:
    """Collects authored paragraphs and the skipped-content report while walking a document."""

    def __init__(self, lists: ListNumbers) -> None:
        self.lists = lists  # Word's automatic numbers, counted in document order
        self.paragraphs: list[AuthoredParagraph] = []
        self.skipped: list[str] = []
        self.number = 0  # paragraph number, for messages
        self.blanks = 0  # empty paragraphs since the last one with text
        self.note_order: list[tuple[str, str]] = []  # ("footnote" | "endnote", id): the two number apart

    def item(self, item: Paragraph | Table, cell_role: Role | None) -> None:
        if isinstance(item, Table):
            # python-docx gives a merged cell once per grid column and row it spans: read it once.
            seen: list[object] = []
            for row in item.rows:
                for cell in row.cells:
                    if cell in seen:
                        continue
                    seen.append(cell)
                    for inner in cell.iter_inner_content():
                        self.item(inner, Role.CELL)
            return
        self.paragraph(item, cell_role)

    def paragraph(self, paragraph: Paragraph, cell_role: Role | None) -> None:
        self.number += 1
        element = _xml(paragraph)
        for box in _TEXT_BOXES(element):
            text = "".join(_BOX_TEXT(box)).strip()
            self.skipped.append(
                f"paragraph {self.number}: text box {_preview(text)} is not translated; "
                "move its text into the body if it should be"
            )
        for reference in _NOTE_REFERENCES(element):
            key = (etree.QName(reference).localname.removesuffix("Reference"), reference.get(f"{{{_NS['w']}}}id", ""))
            if key not in self.note_order:
                self.note_order.append(key)
        role = cell_role or _style_role(paragraph.style)
        if role is None and _NUMBERED(element):
            role = Role.LIST
        runs, images = self._runs(paragraph)
        text, marks = strip(*marks_of_runs(runs))
        in_list = paragraph_list(element, lambda: _style_list(paragraph.style))
        number = self.lists.number(*in_list) if in_list is not None else ""  # an empty item counts too
        if number and text:  # the number Word shows is the author's text, as in a plain-text list
            text, marks = number + text, shift(marks, len(number))
        if role in (Role.TITLE, Role.HEADING):
            marks = ()  # the style is already bold: a heading's emphasis is the heading
        if text:
            self.paragraphs.append(AuthoredParagraph(text, role, self.number, marks, blanks_before=self.blanks))
            self.blanks = 0
        elif not images:
            self.blanks += 1
        for alt in images:
            self.paragraphs.append(
                AuthoredParagraph(alt or IMAGE_PLACEHOLDER, Role.CAPTION, self.number, blanks_before=self.blanks)
            )
            self.blanks = 0
            self.skipped.append(
                f"paragraph {self.number}: image ({'alt text' if alt else 'no alt text'}) is set as a caption; "
                "the picture itself is not carried into the DOCX or PDF"
            )

    def _runs(self, paragraph: Paragraph) -> tuple[list[tuple[str, set[Emphasis]]], list[str]]:
        """(text pieces with their emphasis, alt texts of the pictures) of a paragraph."""
        pieces: list[tuple[str, set[Emphasis]]] = []
        images: list[str] = []
        for item in paragraph.iter_inner_content():
            for run in item.runs if isinstance(item, Hyperlink) else [item]:
                styles = _run_emphasis(run)
                lowered = bool(run.font.subscript)
                shifted = lowered or bool(run.font.superscript)
                for content in run.iter_inner_content():
                    if isinstance(content, str):
                        if shifted:  # 10 and a superscript 5 are 10⁵, not 105
                            content = raised(content, subscript=lowered) or content
                        pieces.append((_flatten(content, pieces[-1][0][-1:] if pieces else ""), styles))
                    elif isinstance(content, Drawing):
                        if content.has_picture:
                            images.append(_alt_text(content))
                        elif not _TEXT_BOXES(content._element):
                            self.skipped.append(
                                f"paragraph {self.number}: a chart, SmartArt or shape is not carried; "
                                "describe it in a caption if readers need it"
                            )
        return pieces, images

    def notes(self, word: WordDocument) -> None:
        """Footnotes and endnotes, in the order the text refers to them, as notes after the article."""
        notes: dict[tuple[str, str], list[str]] = {}
        for rel in word.part.rels.values():
            if rel.is_external or rel.reltype not in (RT.FOOTNOTES, RT.ENDNOTES):
                continue
            root = parse_xml(rel.target_part.blob)
            for note in _NOTES(root):
                if note.get(f"{{{_NS['w']}}}type") in ("separator", "continuationSeparator", "continuationNotice"):
                    continue
                texts = ["".join(p.xpath(".//w:t/text()")).strip() for p in _NOTE_PARAGRAPHS(note)]
                key = (etree.QName(note).localname, note.get(f"{{{_NS['w']}}}id", ""))
                notes[key] = [t for t in texts if t]
        ordered = [i for i in self.note_order if i in notes] + [i for i in notes if i not in self.note_order]
        count = 0
        for note_id in ordered:
            for text in notes[note_id]:
                self.paragraphs.append(AuthoredParagraph(normalise_text(text), Role.NOTE, self.number + 1))
            count += bool(notes[note_id])
        if count:
            self.skipped.append(
                f"{count} footnote(s)/endnote(s) are translated as notes after the article; "
                "their reference numbers in the text are not kept"
            )

    def furniture(self, word: WordDocument) -> None:
        """Headers, footers and comments are not translated: say so when they hold text."""
        seen: set[str] = set()
        for number, section in enumerate(word.sections, start=1):
            for where in ("header", "first_page_header", "even_page_header", "footer", "first_page_footer", "even_page_footer"):
                part = getattr(section, where)
                if part.is_linked_to_previous and number > 1:
                    continue
                text = " ".join(p.text.strip() for p in part.paragraphs if p.text.strip())
                if text and text not in seen:
                    seen.add(text)
                    kind = where.rsplit("_", 1)[-1]
                    self.skipped.append(f"section {number} {kind} {_preview(text)} is not translated")
        comments = len(word.comments)
        if comments:
            self.skipped.append(f"{comments} comment(s) are not translated")


def _run_emphasis(run: Run) -> set[Emphasis]:
    styles: set[Emphasis] = set()
    style_name = run.style.name if run.style is not None else ""
    if run.bold or style_name in ("Strong", "Intense Emphasis"):
        styles.add(Emphasis.BOLD)
    if run.italic or style_name in ("Emphasis", "Intense Emphasis"):
        styles.add(Emphasis.ITALIC)
    return styles


def _flatten(text: str, previous: str) -> str:
    """Tabs and line breaks inside a paragraph: nothing between Chinese characters, one space elsewhere.

    previous is the character before text in the paragraph ("" at its start).
    """

    def space(match: re.Match[str]) -> str:
        left = text[match.start() - 1] if match.start() else previous
        right = text[match.end() : match.end() + 1]
        return "" if (UNSPACED_CHARACTER.match(left or "") and UNSPACED_CHARACTER.match(right or "")) else " "

    return _SPACES.sub(space, text)


def _alt_text(drawing: object) -> str:
    for properties in _ALT_TEXT(drawing._element):  # type: ignore[attr-defined]
        text = (properties.get("descr") or properties.get("title") or "").strip()
        if text:
            return normalise_text(text)
    return ""


def _preview(text: str) -> str:
    return repr(text[:30] + ("…" if len(text) > 30 else "")) if text else "(empty)"
