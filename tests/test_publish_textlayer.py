"""The PDF's text layer is the author's text: the Chinese column, read back by x-position with two
extractors, equals the source character for character on hard-case articles."""

from __future__ import annotations

import collections
from collections.abc import Callable
from pathlib import Path

import pdfplumber
import pymupdf
import pytest

from helpers import DATA
from leshan_pub.document import Document, Role
from leshan_pub.pipeline import segment_source
from leshan_pub.publish import PublishOptions, glossary_terms, page_labels, publish
from leshan_pub.publish.pdf import Geometry, PAGE_SIZES
from leshan_pub.terms import Glossary, Term
from test_publish_pdf import GLOSSARY as NUCLEAR_GLOSSARY
from test_publish_pdf import article as nuclear_article

TRADITIONAL_GLOSSARY = Glossary([
    Term("乐山", "Leshan"), Term("全钒液流电池", "vanadium flow battery"), Term("电堆", "cell stack"),
    Term("核素", "nuclide", ("nuclides",)), Term("新质生产力", "new quality productive forces"),
])


def _segmented(tmp: Path, source: Path) -> Document:
    copy = tmp / source.name
    copy.write_bytes(source.read_bytes())
    return segment_source(copy, None)[0]


# name -> (document builder, glossary): full-width digits and letters, superscripts (¹⁷⁷Lu ⁹⁰Y),
# nested quotes “‘…’” and 「『…』」, long paragraphs across pages, lists, captions, credits,
# traditional characters.
ARTICLES: dict[str, tuple[Callable[[Path], Document], Glossary | None]] = {
    "nuclear-medicine": (lambda tmp: nuclear_article(), NUCLEAR_GLOSSARY),
    "zigong-lantern": (lambda tmp: _segmented(tmp, DATA / "zigong-lantern.zh.txt"), None),
    "leshan-vanadium-traditional": (lambda tmp: _segmented(tmp, DATA / "leshan-vanadium.zh-hant.txt"), TRADITIONAL_GLOSSARY),
}


def expected_chinese_column(document: Document, glossary: Glossary | None) -> str:
    """What the left column prints, in order: title, edition label, blocks, glossary heading and terms."""
    labels = page_labels(document.script)
    blocks = document.blocks()
    titles = ["".join(s.source for s in b) for b in blocks if b[0].role is Role.TITLE]
    body = ["".join(s.source for s in b) for b in blocks if b[0].role is not Role.TITLE]
    terms = glossary_terms(document, glossary)  # by pinyin, the default
    appendix = [labels.glossary, labels.order("pinyin"), *(t.source for t in terms)] if terms else []
    return _visible("".join([*titles, labels.edition, *body, *appendix]))


def _visible(text: str) -> str:
    # Line ends replace the spaces they break at; every other character must come back as written.
    return "".join(ch for ch in text if not ch.isspace())


def _in_body(geometry: Geometry, top: float, bottom: float) -> bool:
    """Inside the text frame: not the running header, not the footer."""
    return top >= geometry.margin_top - 1 and bottom <= geometry.height - geometry.margin_bottom + 1


def pdfplumber_column(path: Path, geometry: Geometry) -> str:
    lines: dict[tuple[int, int], list[dict]] = collections.defaultdict(list)
    with pdfplumber.open(path) as pdf:
        for page in pdf.pages:
            for ch in page.chars:
                if ch["x0"] < page.width / 2 and _in_body(geometry, ch["top"], ch["bottom"]):
                    # By baseline, not top: a Vera letter (Š) has another ascent than the CJK font.
                    lines[(page.page_number, round(ch["matrix"][5]))].append(ch)
    # PDF y grows upwards: lines from the top of each page down.
    ordered = sorted(lines.items(), key=lambda item: (item[0][0], -item[0][1]))
    return _visible("".join("".join(c["text"] for c in sorted(chars, key=lambda c: c["x0"])) for _, chars in ordered))


def pymupdf_column(path: Path, geometry: Geometry) -> str:
    lines: dict[tuple[int, int], list[tuple[float, str]]] = collections.defaultdict(list)
    with pymupdf.open(path) as pdf:
        for number, page in enumerate(pdf):
            for block in page.get_text("rawdict")["blocks"]:
                for line in block.get("lines", []):
                    for span in line["spans"]:
                        for ch in span["chars"]:
                            x0, top, _, bottom = ch["bbox"]
                            if x0 < page.rect.width / 2 and _in_body(geometry, top, bottom):
                                lines[(number, round(ch["origin"][1]))].append((x0, ch["c"]))
    return _visible("".join("".join(c for _, c in sorted(chars)) for _, chars in sorted(lines.items())))


def _first_difference(got: str, want: str) -> str:
    at = next((i for i, (a, b) in enumerate(zip(got, want)) if a != b), min(len(got), len(want)))
    return f"first difference at {at}: PDF {got[max(0, at - 15) : at + 15]!r}, source {want[max(0, at - 15) : at + 15]!r}"


@pytest.fixture(scope="module", params=sorted(ARTICLES))
def published(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    make, glossary = ARTICLES[request.param]
    tmp = tmp_path_factory.mktemp(request.param)
    document = make(tmp)
    (path,) = publish(document, glossary, tmp / "out", ("pdf",), PublishOptions())
    return path, expected_chinese_column(document, glossary)


@pytest.mark.parametrize("extract", [pdfplumber_column, pymupdf_column], ids=["pdfplumber", "pymupdf"])
def test_chinese_column_text_equals_the_source_character_for_character(
    published: tuple[Path, str], extract: Callable[[Path, Geometry], str]
) -> None:
    path, want = published
    got = extract(path, Geometry(*PAGE_SIZES["A4"]))
    assert got == want, _first_difference(got, want)


def test_the_hard_cases_are_in_the_articles() -> None:
    """The comparison above means something only if the articles hold the hard cases."""
    nuclear = expected_chinese_column(nuclear_article(), NUCLEAR_GLOSSARY)
    traditional = (DATA / "leshan-vanadium.zh-hant.txt").read_text(encoding="utf-8")
    zigong = (DATA / "zigong-lantern.zh.txt").read_text(encoding="utf-8")
    for case in ("２０２５", "¹⁷⁷Lu", "⁹⁰Y", "“‘", "’”", "（一）", "图１", "Škoda"):
        assert case in nuclear, case
    for case in ("２０２７", "¹⁷⁷Lu", "「", "『", "“‘", "ＧＷｈ", "樂山", "（一）", "資料來源"):
        assert case in traditional, case
    for case in ("２０２５", "ＬＥＤ", "⁹⁰Y", "“我们常说‘灯在人在’，”", "（一）"):
        assert case in zigong, case


def test_superscripts_a_font_cannot_draw_still_copy_out_as_written(tmp_path: Path) -> None:
    """A user's font without digits: ¹⁷⁷ is drawn as raised Vera 177, marked with ActualText ¹⁷⁷."""
    from test_publish_fonts import tiny_font

    from leshan_pub.document import Provenance, ReviewState, Segment
    from leshan_pub.publish.pdf import FURNITURE
    from leshan_pub.script import Script

    source = "核素¹⁷⁷和⁹⁰。"
    labels = "".join(page_labels(Script.HANS).texts)
    font = tiny_font(tmp_path / "tiny.ttf", "".join(sorted({c for c in "".join(FURNITURE) + labels + source if ord(c) > 0x2FFF})))
    document = Document("tiny", [Segment("a", 0, Role.PARAGRAPH, source, "Nuclide.", ReviewState.APPROVED)], Provenance("0", "1"))
    (path,) = publish(document, None, tmp_path / "out", ("pdf",), PublishOptions(font=font))
    with pymupdf.open(path) as pdf:
        contents, text = pdf[0].read_contents(), pdf[0].get_text()
    assert b"/ActualText <FEFF00B920772077>" in contents  # ¹⁷⁷, around the raised 177
    assert source in text  # MuPDF reads ActualText; pdfminer (pdfplumber) does not
