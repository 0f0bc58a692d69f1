"""The PDF writer: reportlab pages with Chinese and English side by side (or interleaved)."""

from __future__ import annotations

import functools
import hashlib
import itertools
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from reportlab.lib.colors import HexColor
from reportlab.lib.units import mm
from reportlab.lib.utils import TimeStamp
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import BaseDocTemplate, CondPageBreak, Flowable, Frame, HRFlowable, PageTemplate, Paragraph

from ..document import Document, Emphasis, Mark, Role, Segment
from ..paper import PAGE_SIZES
from ..emphasis import shift, styled_runs
from ..script import Script
from ..terms import Glossary, Term
from . import (
    GLOSSARY_ORDERS, UNTRANSLATED, Labels, PublishOptions, block_marked, english_as_of, glossary_terms, numbered_item,
    page_labels, provenance_text, review_notice, terms_used,
)
from .fonts import Face, can_draw, outline, prepare_fonts
from .linebreak import NO_LINE_END
from ..words import WordBreaks
from .pdf_flowables import Bookmark, ChineseParagraph, SideBySide
from .pdf_shaping import Shaper, draw_runs
from .pdf_styles import (
    EDITION_STYLE, GLOSSARY_STYLE, GREY, LIST_BULLET, NAVY, RED, ROLE_STYLES, RULE, SUBTITLE_STYLES, WATERMARK,
    Geometry, TextStyle, paragraph_style,
)

# Page furniture, in the font subset like the text; the Chinese labels are in the article's
# script (publish.page_labels).
EDITION_EN = "Chinese–English bilingual edition"
GLOSSARY_EN = "Glossary"
PAGE_OF = "page {n} of {total}"
FURNITURE = (EDITION_EN, GLOSSARY_EN, UNTRANSLATED, PAGE_OF, "DRAFT — awaits review…", "•", " · ")
FURNITURE_SIZE = 7.5
WATERMARK_TEXT = "DRAFT"


class Typesetter:
    """Builds the story of flowables for one document in one layout."""

    def __init__(
        self, shaper: Shaper, geometry: Geometry, layout: str, labels: Labels | None = None, heading_level: int = 0,
        glossary_order: str = "pinyin",
    ) -> None:
        self.shaper, self.geometry, self.layout = shaper, geometry, layout
        self.glossary_order = glossary_order  # named above the glossary list; the terms come sorted
        self.labels = labels or page_labels(Script.HANS)
        self.breaks = WordBreaks()  # story() adds the glossary's terms
        self.heading_level = heading_level  # outline level of headings: 1 under each article of a pack
        self._keys = itertools.count(1)

    def chinese(self, text: str, style: TextStyle, marks: Sequence[Mark] = ()) -> ChineseParagraph:
        return ChineseParagraph(text, style, self.shaper, marks, self.breaks)

    def english(self, text: str, style: TextStyle, marks: Sequence[Mark] = ()) -> Paragraph:
        if not text:
            text, style, marks = UNTRANSLATED, ROLE_STYLES[Role.CAPTION][1], ()
        return Paragraph(self._english_markup(text, style, marks), paragraph_style(style, self.shaper))

    def _english_markup(self, text: str, style: TextStyle, marks: Sequence[Mark]) -> str:
        """Paragraph markup with emphasis in the bold or the italic face, each named by <font>; the
        fallback font's face follows the emphasis."""
        if not marks:
            return self.shaper.markup(text, style.face)
        out: list[str] = []
        for piece, styles in styled_runs(text, marks):
            face = "bold" if Emphasis.BOLD in styles else "italic" if Emphasis.ITALIC in styles else style.face
            chunk = self.shaper.markup(piece, face)
            out.append(chunk if face == style.face else f'<font name="{self.shaper.faces[face]}">{chunk}</font>')
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
        edition = " · ".join(filter(None, (EDITION_EN, english_as_of(document))))
        return story + self.row(self.labels.edition, edition, EDITION_STYLE, EDITION_STYLE, rule=False)

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
        note = ROLE_STYLES[Role.NOTE][0]
        story += self.row(self.labels.order(self.glossary_order), GLOSSARY_ORDERS[self.glossary_order], note, note, rule=False)
        for term in terms:
            story += self.row(term.source, term.target, GLOSSARY_STYLE, GLOSSARY_STYLE)
        return story

    def story(self, document: Document, terms: list[Term]) -> list[Flowable]:
        """The whole document: title block first, the blocks (tables and pictures in their place) in
        order, then the glossary appendix."""
        self.breaks = WordBreaks(t.source for t in terms)
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


class PagedCanvas(Canvas):
    """A canvas that, on save, defines each page's 'page X of Y' form now that Y is known."""

    def __init__(self, *args: object, furniture: Furniture, moment: datetime | None = None, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._furniture = furniture
        if moment is not None:
            self._doc._timeStamp = _timestamp(moment)
            # reportlab seeds the file's /ID with its own timestamp (SOURCE_DATE_EPOCH's, or 2000's):
            # seed it with the moment instead, so the ID follows the dates and nothing else outside.
            signature = hashlib.md5(b"a reportlab document", usedforsecurity=False)
            signature.update(ascii(self._doc._timeStamp.t).encode("ascii"))
            self._doc.signature = signature

    def save(self) -> None:
        total = self.getPageNumber() - 1
        for number in range(1, total + 1):
            self._furniture.page_form(self, number, total)
        super().save()


def _timestamp(moment: datetime) -> TimeStamp:
    """reportlab's timestamp for moment, in UTC: the PDF's CreationDate and ModDate.

    Invariant mode keeps everything else byte-stable but dates every file 2000-01-01 unless
    SOURCE_DATE_EPOCH is set; the build's own moment (publish.PublishOptions.moment) goes in instead.
    """
    stamp = TimeStamp(invariant=1)
    stamp.t = moment.timestamp()
    stamp.lt = time.gmtime(stamp.t)
    stamp.YMDhms = tuple(stamp.lt)[:6]
    stamp.dhh = stamp.dmm = 0
    stamp.tzname = "UTC"
    return stamp


def font_texts(document: Document, terms: list[Term], labels: Labels) -> list[tuple[str, str]]:
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
    terms = glossary_terms(document, glossary, options.glossary_order)
    labels = page_labels(document.script, lambda text: can_draw(options.font, text, document.script))
    shaper = Shaper(prepare_fonts(font_texts(document, terms, labels), options.font, script=document.script))
    width, height = PAGE_SIZES[options.page_size]
    geometry = Geometry(width, height)
    notice = review_notice(document)
    furniture = Furniture(shaper, geometry, document.title, document.english_title, notice)
    template = _template(path, document, glossary, terms_used(document, glossary), geometry, shaper, notice)
    frame = Frame(geometry.margin_x, geometry.margin_bottom, geometry.frame_width,
                  height - geometry.margin_top - geometry.margin_bottom, 0, 0, 0, 0, id="body")
    template.addPageTemplates([PageTemplate("page", [frame], onPage=furniture.on_page)])
    typesetter = Typesetter(shaper, geometry, options.layout, labels, glossary_order=options.glossary_order)
    story = typesetter.story(document, terms)
    template.build(story, canvasmaker=functools.partial(PagedCanvas, furniture=furniture, moment=options.moment))


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
