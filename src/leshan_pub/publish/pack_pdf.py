"""The pack PDF: cover, table of contents with page numbers, each article in the chosen layout, one glossary."""

from __future__ import annotations

import functools
import io
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from reportlab.lib.colors import HexColor
from reportlab.lib.units import mm
from reportlab.platypus import BaseDocTemplate, Flowable, Frame, HRFlowable, PageBreak, PageTemplate, Paragraph, Spacer

from ..document import Document, Pack, Role
from ..errors import PublishError
from ..paper import PAGE_SIZES
from ..terms import Glossary, Term
from . import PublishOptions, english_as_of, glossary_terms, pack_provenance_text, page_labels, pending_notice
from .pdf import EDITION_EN, FURNITURE, GLOSSARY_EN, Furniture, PagedCanvas, Typesetter, font_texts
from .pdf_flowables import Bookmark, ChineseParagraph
from .pdf_shaping import Shaper, draw_runs
from .pdf_styles import GREY, NAVY, RED, ROLE_STYLES, Geometry, TextStyle, paragraph_style
from .fonts import prepare_fonts
from ..words import WordBreaks

CONTENTS_ZH, CONTENTS_EN = "目录", "Contents"
GLOSSARY_ZH = page_labels(None).glossary  # a pack mixes articles; its own labels are simplified
COVER_TITLE = TextStyle("bold", 26, 36, NAVY, align="center", space_after=10, words=True)
COVER_SUBTITLE = TextStyle("regular", 15, 22, NAVY, align="center", space_after=18, words=True)
COVER_LINE = TextStyle("regular", 11, 17, GREY, align="center", space_after=4)
COVER_NOTICE = TextStyle("bold", 11, 17, RED, align="center", space_after=4)
TOC_ZH = TextStyle("regular", 10.5, 17, space_after=0, words=True)
TOC_EN = TextStyle("regular", 10, 14.5, space_after=0)
TOC_NUMBER = TextStyle("regular", 10, 14.5)
NUMBER_WIDTH = 12 * mm
MAX_PASSES = 4  # page numbers settle in two passes; more means the TOC keeps moving pages


class PageMark(Flowable):
    """A zero-size mark that records the page it lands on under its key."""

    def __init__(self, key: str, pages: dict[str, int]) -> None:
        super().__init__()
        self.key, self.pages = key, pages
        self.width = self.height = 0

    def draw(self) -> None:
        self.pages[self.key] = self.canv.getPageNumber()


class TocRow(Flowable):
    """One contents entry: Chinese title, English title, page number at the right edge; a link to the article."""

    def __init__(self, zh: ChineseParagraph, en: Paragraph, number: str, key: str, shaper: Shaper, gutter: float) -> None:
        super().__init__()
        self.zh, self.en, self.number, self.key, self.shaper, self.gutter = zh, en, number, key, shaper, gutter

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        self.column = (availWidth - NUMBER_WIDTH - self.gutter) / 2
        heights = (self.zh.wrap(self.column, availHeight)[1], self.en.wrap(self.column - self.gutter, availHeight)[1])
        self.heights = heights
        self.width, self.height = availWidth, max(heights) + 6
        return self.width, self.height

    def draw(self) -> None:
        top = self.height
        self.zh.drawOn(self.canv, 0, top - self.heights[0])
        self.en.drawOn(self.canv, self.column + self.gutter, top - self.heights[1] - 2)
        size = TOC_NUMBER.size
        width = self.shaper.width(self.number, "regular", size, english=True)
        self.canv.setFillColor(HexColor(NAVY))
        draw_runs(self.canv, self.width - width, top - self.zh.first_baseline,
                  self.shaper.runs(self.number, "regular", size, english=True))
        if self.key:
            self.canv.linkRect("", self.key, (0, 0, self.width, self.height), relative=1, thickness=0)


class PackTypesetter:
    """The story of a pack: cover, contents, articles (each from a new page), glossary."""

    def __init__(self, pack: Pack, shaper: Shaper, geometry: Geometry, layout: str, glossary_order: str = "pinyin") -> None:
        self.pack, self.shaper, self.geometry = pack, shaper, geometry
        self.articles = Typesetter(shaper, geometry, layout, heading_level=1, glossary_order=glossary_order)

    def story(self, terms: list[Term], numbers: dict[str, int], pages: dict[str, int]) -> list[Flowable]:
        """numbers: page of each entry from the previous pass (0 when unknown); pages: filled in while building."""
        self.articles.breaks = WordBreaks(t.source for t in terms)
        story = self.cover() + [PageBreak()] + self.contents(terms, numbers)
        for n, document in enumerate(self.pack.documents, start=1):
            story += [PageBreak(), *self.article(document, f"article-{n}", pages)]
        if terms:
            story += [PageBreak(), PageMark("glossary", pages), Bookmark("glossary", f"{GLOSSARY_ZH}  {GLOSSARY_EN}")]
            story += self.articles.glossary(terms)[2:]  # its own outline entry and page break are above
        return story

    def cover(self) -> list[Flowable]:
        pack = self.pack
        story: list[Flowable] = [Spacer(1, self.geometry.height * 0.22), Bookmark("cover", pack.title)]
        story.append(self._line(pack.title, COVER_TITLE))
        if pack.subtitle:
            story.append(self._line(pack.subtitle, COVER_SUBTITLE))
        story.append(HRFlowable(width="40%", thickness=0.8, color=HexColor(NAVY), spaceBefore=4, spaceAfter=16))
        for line in (pack.organisation, pack.date, EDITION_EN, english_as_of(pack.documents)):
            if line:
                story.append(self._line(line, COVER_LINE))
        notice = pending_notice(len(pack.unapproved()))
        if notice:
            story.append(self._line(notice, COVER_NOTICE))
        return story

    def _line(self, text: str, style: TextStyle) -> ChineseParagraph:
        paragraph = ChineseParagraph(text, style, self.shaper, breaks=self.articles.breaks)
        paragraph.spaceAfter = style.space_after
        return paragraph

    def contents(self, terms: list[Term], numbers: dict[str, int]) -> list[Flowable]:
        zh_style, en_style = ROLE_STYLES[Role.HEADING]
        story: list[Flowable] = [Bookmark("contents", f"{CONTENTS_ZH}  {CONTENTS_EN}")]
        story.append(self._toc_row(CONTENTS_ZH, CONTENTS_EN, "", "", zh_style, en_style))
        entries = [(f"article-{n}", d.title, d.english_title) for n, d in enumerate(self.pack.documents, start=1)]
        if terms:
            entries.append(("glossary", GLOSSARY_ZH, GLOSSARY_EN))
        for key, zh, en in entries:
            story.append(self._toc_row(zh, en or "—", str(numbers.get(key, 0)), key, TOC_ZH, TOC_EN))
        return story

    def _toc_row(self, zh: str, en: str, number: str, key: str, zh_style: TextStyle, en_style: TextStyle) -> TocRow:
        english = Paragraph(self.shaper.markup(en, en_style.face), paragraph_style(en_style, self.shaper))
        row = TocRow(ChineseParagraph(zh, zh_style, self.shaper, breaks=self.articles.breaks), english, number, key, self.shaper, self.geometry.gutter)
        row.spaceAfter = zh_style.space_after if not key else 0
        return row

    def article(self, document: Document, key: str, pages: dict[str, int]) -> list[Flowable]:
        zh_style, en_style = ROLE_STYLES[Role.TITLE]
        blocks = document.blocks()
        title = f"{document.title}  {document.english_title}".strip()
        story: list[Flowable] = [PageMark(key, pages), Bookmark(key, title)]
        titles = [b for b in blocks if b[0].role is Role.TITLE]
        if not titles:  # an article without a title block still gets its name at the top
            story += self.articles.row(document.title, document.english_title, zh_style, en_style, rule=False)
        story += self.articles.title_rows(titles)
        story.append(HRFlowable(width="100%", thickness=0.8, color=HexColor(NAVY), spaceBefore=2, spaceAfter=8))
        return story + self.articles.body(document, [b for b in blocks if b[0].role is not Role.TITLE])


def pack_texts(pack: Pack, terms: list[Term]) -> list[tuple[str, str]]:
    """Every text the pack PDF draws, so the font subset covers it."""
    texts: list[tuple[str, str]] = []
    for document in pack.documents:
        texts += [(f"{document.name}: {where}", text) for where, text in font_texts(document, [], page_labels(None))]
    texts += [(f"glossary line {t.line}", t.source + t.target) for t in terms]
    cover = (pack.title, pack.subtitle, pack.organisation, pack.date, CONTENTS_ZH, CONTENTS_EN, "0123456789—")
    texts += [("pack cover and contents", text) for text in cover + FURNITURE + page_labels(None).texts]
    return texts


def write_pack_pdf(pack: Pack, glossary: Glossary | None, path: Path, options: PublishOptions) -> None:
    """Typeset the pack as one PDF at path; the contents' page numbers are those the articles land on.

    Built twice (or until the numbers settle): the first pass finds the pages, the second prints them.
    """
    if not pack.documents:
        raise PublishError("a pack needs at least one article; give the articles to bind")
    terms = glossary_terms(pack.documents, glossary, options.glossary_order)
    shaper = Shaper(prepare_fonts(pack_texts(pack, terms), options.font))
    width, height = PAGE_SIZES[options.page_size]
    geometry = Geometry(width, height)
    notice = pending_notice(len(pack.unapproved()))
    furniture = Furniture(shaper, geometry, pack.title, pack.subtitle, notice)
    typesetter = PackTypesetter(pack, shaper, geometry, options.layout, options.glossary_order)
    numbers: dict[str, int] = {}
    for _ in range(MAX_PASSES):
        pages: dict[str, int] = {}
        story = typesetter.story(terms, numbers, pages)
        data = _build(pack, glossary, terms, geometry, shaper, furniture, story, options.moment)
        if pages == numbers:  # the contents printed the pages the articles landed on
            path.write_bytes(data)
            return
        numbers = pages
    raise PublishError(f"the contents' page numbers did not settle in {MAX_PASSES} passes; report this as a bug")


def _build(
    pack: Pack, glossary: Glossary | None, terms: Sequence[Term], geometry: Geometry,
    shaper: Shaper, furniture: Furniture, story: list[Flowable], moment: datetime | None = None,
) -> bytes:
    """The PDF of story, in memory: a pass whose page numbers prove wrong is never written."""
    target = io.BytesIO()
    title = f"{pack.title} — {pack.subtitle}" if pack.subtitle else pack.title
    template = BaseDocTemplate(
        target,
        pagesize=(geometry.width, geometry.height),
        invariant=1,
        title=title,
        subject=f"{EDITION_EN}: {len(pack.documents)} articles" + (f"; {furniture.notice}" if furniture.notice else ""),
        keywords=[t.target for t in terms] or [d.name for d in pack.documents],
        author=pack.organisation or "leshan-pub",
        creator=pack_provenance_text(pack, glossary),
        lang=pack.documents[0].source_language,
        initialFontName=shaper.faces["regular"],
        showBoundary=0,
    )
    frame = Frame(geometry.margin_x, geometry.margin_bottom, geometry.frame_width,
                  geometry.height - geometry.margin_top - geometry.margin_bottom, 0, 0, 0, 0, id="body")
    template.addPageTemplates([PageTemplate("page", [frame], onPage=furniture.on_page)])
    template.build(story, canvasmaker=functools.partial(PagedCanvas, furniture=furniture, moment=moment))
    return target.getvalue()
