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
from ..document import Cell, Emphasis, Picture, Role
from ..emphasis import marks_of_runs, shift, strip
from ..errors import InputError
from ..files import read_input
from ..read import MAX_ARTICLE_BYTES, normalise_text
from ..structure import AuthoredParagraph, parse_authored
from . import IMAGE_PLACEHOLDER, Article
from .numbering import ListNumbers, paragraph_list
from .raised import raised

_NS = {
    "w": "http://schemas.openxmlformats.org/wordprocessingml/2006/main",
    "wp": "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing",
    "mc": "http://schemas.openxmlformats.org/markup-compatibility/2006",
    "a": "http://schemas.openxmlformats.org/drawingml/2006/main",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
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
_HEADER_ROW = etree.XPath("./w:trPr/w:tblHeader", namespaces=_NS)
_EXTENT = etree.XPath("./wp:inline/wp:extent | ./wp:anchor/wp:extent", namespaces=_NS)
# A chart (or other drawing) Word stores with a picture for readers that cannot draw it.
_ALTERNATES = etree.XPath("./mc:AlternateContent", namespaces=_NS)
_CHART = etree.XPath(
    ".//a:graphicData[contains(@uri, '/chart') or contains(@uri, 'chartex')]", namespaces=_NS
)
_FALLBACK_BLIP = etree.XPath("./mc:Fallback//a:blip/@r:embed", namespaces=_NS)
_FALLBACK_DRAWING = etree.XPath("./mc:Fallback//w:drawing", namespaces=_NS)
_EMBEDDED = etree.XPath(".//a:blip/@r:embed", namespaces=_NS)
_PICTURE = etree.XPath(".//pic:pic", namespaces={"pic": "http://schemas.openxmlformats.org/drawingml/2006/picture"})
_EMU_PER_POINT = 12700
_DRAWABLE = frozenset(("png", "jpeg", "gif", "bmp"))  # what python-docx and reportlab both can place

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
    table cells with their place in the table, footnotes and endnotes as notes after the article,
    bold/italic as marks, and images as caption blocks (alt text or a placeholder) that carry the
    picture; a chart carries the picture Word stored beside it. Text boxes, headers, footers,
    comments and charts without a picture are listed in Article.skipped, never dropped unseen.
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
        self.tables = 0  # tables read so far: the next one is numbered tables + 1

    def item(self, item: Paragraph | Table, cell: Cell | None) -> None:
        if isinstance(item, Table):
            self.table(item)
        else:
            self.paragraph(item, cell)

    def table(self, table: Table) -> None:
        """A table's cells in reading order, each with its place, spans and header flag.

        python-docx gives a merged cell once per grid row and column it covers: it is read once,
        with the rows and columns it spans. Rows Word repeats on each page are the header; a
        table that marks none has its first row as header when it has more rows after it.
        """
        self.tables += 1
        number = self.tables
        places: dict[int, list[tuple[int, int]]] = {}
        cells: dict[int, object] = {}
        rows = table.rows
        for r, row in enumerate(rows):
            # A row may start later than the grid's first column (w:gridBefore): its cells stand further right.
            for c, cell in enumerate(row.cells, start=row.grid_cols_before):
                key = id(cell._tc)
                cells.setdefault(key, cell)
                places.setdefault(key, []).append((r, c))
        marked = {r for r, row in enumerate(rows) if any(h.get(f"{{{_NS['w']}}}val", "true") not in ("0", "false", "off")
                                                          for h in _HEADER_ROW(row._tr))}
        header = marked or ({0} if len(rows) > 1 else set())
        for key, cell in cells.items():
            spots = places[key]
            top, left = min(r for r, _ in spots), min(c for _, c in spots)
            place = Cell(
                number, top, left, rows=max(r for r, _ in spots) - top + 1, columns=max(c for _, c in spots) - left + 1,
                header=top in header,
            )
            for inner in cell.iter_inner_content():  # type: ignore[attr-defined]
                self.item(inner, place)

    def paragraph(self, paragraph: Paragraph, cell: Cell | None) -> None:
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
        role = Role.CELL if cell is not None else _style_role(paragraph.style)
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
            self.paragraphs.append(
                AuthoredParagraph(text, role, self.number, marks, blanks_before=self.blanks, cell=cell)
            )
            self.blanks = 0
        elif not images:
            self.blanks += 1
        for alt, picture in images:
            linked = picture is None
            if picture is not None and picture.suffix not in _DRAWABLE:
                self.skipped.append(
                    f"paragraph {self.number}: image {picture.name} is {picture.suffix.upper() or 'of no known type'}, "
                    "which the DOCX and PDF writers cannot set; only its alt text is carried: save it as PNG in Word"
                )
                picture = None
            # The image's block is its alt text (or a placeholder): the segment file keys the picture by it.
            self.paragraphs.append(
                AuthoredParagraph(alt or IMAGE_PLACEHOLDER, Role.CELL if cell else Role.CAPTION, self.number,
                                  blanks_before=self.blanks, cell=cell, picture=None if cell else picture)
            )
            self.blanks = 0
            if cell is not None:
                self.skipped.append(
                    f"paragraph {self.number}: image in table {cell.table} is set as its alt text in the cell; "
                    "move the picture out of the table if readers need to see it"
                )
            elif linked:
                self.skipped.append(
                    f"paragraph {self.number}: image ({'alt text' if alt else 'no alt text'}) is linked, not "
                    "embedded: only its alt text is carried; insert the picture into the document"
                )

    def _runs(self, paragraph: Paragraph) -> tuple[list[tuple[str, set[Emphasis]]], list[tuple[str, Picture | None]]]:
        """(text pieces with their emphasis, (alt text, picture) of each image) of a paragraph.

        The picture is None for an image linked from outside the file.
        """
        pieces: list[tuple[str, set[Emphasis]]] = []
        images: list[tuple[str, Picture | None]] = []
        for item in paragraph.iter_inner_content():
            for run in item.runs if isinstance(item, Hyperlink) else [item]:
                images += self._alternates(run)
                styles = _run_emphasis(run)
                lowered = bool(run.font.subscript)
                shifted = lowered or bool(run.font.superscript)
                for content in run.iter_inner_content():
                    if isinstance(content, str):
                        if shifted:  # 10 and a superscript 5 are 10⁵, not 105
                            content = raised(content, subscript=lowered) or content
                        pieces.append((_flatten(content, pieces[-1][0][-1:] if pieces else ""), styles))
                    elif isinstance(content, Drawing):
                        if content.has_picture or _linked_picture(content._element):
                            images.append((_alt_text(content), _picture(content._element, run.part)))
                        elif _CHART(content._element):
                            self.skipped.append(
                                f"paragraph {self.number}: chart {_preview(_alt_text(content))} has no picture "
                                "stored beside it and is not carried; paste it into Word as a picture to carry it"
                            )
                        elif not _TEXT_BOXES(content._element):
                            self.skipped.append(
                                f"paragraph {self.number}: a SmartArt or shape is not carried; "
                                "describe it in a caption if readers need it"
                            )
        return pieces, images

    def _alternates(self, run: Run) -> list[tuple[str, Picture | None]]:
        """Charts Word stores with a fallback picture (mc:AlternateContent): the picture, or a warning."""
        found: list[tuple[str, Picture | None]] = []
        for alternate in _ALTERNATES(_xml(run)):
            if not _CHART(alternate):
                continue
            drawings = _FALLBACK_DRAWING(alternate)
            picture = _picture(drawings[0], run.part) if drawings else None
            alt = next((_alt_text_of(d) for d in drawings if _alt_text_of(d)), "")
            if picture is None:
                self.skipped.append(
                    f"paragraph {self.number}: chart {_preview(alt)} has no picture stored beside it and is not "
                    "carried; paste it into Word as a picture to carry it"
                )
                continue
            self.skipped.append(f"paragraph {self.number}: chart is carried as the picture Word stored beside it")
            found.append((alt, picture))
        return found

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


def _linked_picture(drawing: etree._Element) -> bool:
    return bool(_PICTURE(drawing))


def _picture(drawing: etree._Element, part: object) -> Picture | None:
    """The embedded picture of a w:drawing with the size Word shows it at; None when it is linked or missing."""
    embedded = _EMBEDDED(drawing)
    related = getattr(part, "related_parts", {})
    if not embedded or embedded[0] not in related:
        return None
    target = related[embedded[0]]
    name = str(target.partname).rsplit("/", 1)[-1]
    suffix = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    width = height = 0.0
    for extent in _EXTENT(drawing):
        width = int(extent.get("cx", "0")) / _EMU_PER_POINT
        height = int(extent.get("cy", "0")) / _EMU_PER_POINT
    return Picture(target.blob, "jpeg" if suffix == "jpg" else suffix, width, height, name)


def _alt_text(drawing: object) -> str:
    return _alt_text_of(drawing._element)  # type: ignore[attr-defined]


def _alt_text_of(element: etree._Element) -> str:
    for properties in _ALT_TEXT(element):
        text = (properties.get("descr") or properties.get("title") or "").strip()
        if text:
            return normalise_text(text)
    return ""


def _preview(text: str) -> str:
    return repr(text[:30] + ("…" if len(text) > 30 else "")) if text else "(empty)"
