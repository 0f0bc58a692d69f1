"""Emphasis, the list/cell/note roles and both layouts in the published DOCX and PDF, read back."""

from __future__ import annotations

import docx
import pymupdf
import pytest
from docx.oxml.ns import qn

from leshan_pub.document import Document, Emphasis, Mark, Provenance, ReviewState, Role, Segment
from leshan_pub.publish import PublishOptions, numbered_item, publish

B, I = Emphasis.BOLD, Emphasis.ITALIC
# (block, role, Chinese, Chinese marks, English, English marks)
ROWS = [
    (0, Role.TITLE, "泸州白酒", (), "Luzhou Liquor", ()),
    (1, Role.HEADING, "一、酒业转型", (), "1. The Liquor Industry Changes", ()),
    (2, Role.PARAGRAPH, "链主企业带动上下游协同发展。", (Mark(0, 4, B), Mark(6, 9, I)),
     "Chain-leader enterprises drive upstream and downstream firms.", (Mark(0, 24, B), Mark(44, 54, I))),
    (3, Role.LIST, "建设国家级酒业创新中心。", (), "Build a national liquor innovation centre.", ()),
    (4, Role.LIST, "2. 第一批项目已开工。", (), "2. The first projects have started.", ()),
    (5, Role.CELL, "营收（亿元）", (), "Revenue (100 million yuan)", ()),
    (6, Role.NOTE, "数据来自泸州市统计局。", (), "Data from the Luzhou statistics bureau.", ()),
]


def document() -> Document:
    segments = [
        Segment(f"s{b}", b, role, zh, en, ReviewState.APPROVED, source_marks=zm, target_marks=em)
        for b, role, zh, zm, en, em in ROWS
    ]
    return Document("luzhou", segments, Provenance("0.1.0", "1"))


@pytest.fixture(scope="module", params=["side-by-side", "interleaved"])
def published(request, tmp_path_factory):
    out = tmp_path_factory.mktemp(request.param)
    publish(document(), None, out, ("docx", "pdf"), PublishOptions(layout=request.param))
    return request.param, out / "luzhou.docx", out / "luzhou.pdf"


def docx_paragraphs(path):
    word = docx.Document(str(path))
    paragraphs = list(word.paragraphs)
    for table in word.tables:
        for row in table.rows:
            for cell in row.cells:
                paragraphs += cell.paragraphs
    return word, paragraphs


def runs_with(paragraphs, text):
    return [r for p in paragraphs for r in p.runs if r.text == text]


def test_docx_sets_bold_on_both_sides_and_italic_only_in_english(published):
    _, path, _ = published
    _, paragraphs = docx_paragraphs(path)
    assert [r.font.bold for r in runs_with(paragraphs, "链主企业")] == [True]
    assert [r.font.bold for r in runs_with(paragraphs, "Chain-leader enterprises")] == [True]
    assert [r.font.italic for r in runs_with(paragraphs, "downstream")] == [True]
    assert [bool(r.font.italic) for r in runs_with(paragraphs, "上下游")] == [False]  # Chinese has no italic
    assert all(not r.font.bold for r in runs_with(paragraphs, "带动"))


def test_docx_styles_the_new_roles(published):
    _, path, _ = published
    _, paragraphs = docx_paragraphs(path)
    style_of = {p.text: p.style.name for p in paragraphs}
    assert style_of["建设国家级酒业创新中心。"] == "List Bullet"
    assert style_of["2. 第一批项目已开工。"] == style_of["2. The first projects have started."] == "List Paragraph"
    assert style_of["营收（亿元）"] == "Table Text"
    assert style_of["数据来自泸州市统计局。"] == "Note"


def test_docx_layouts(published):
    layout, path, _ = published
    word, _ = docx_paragraphs(path)
    body = [p.text for p in word.paragraphs if p.text]
    if layout == "side-by-side":
        assert len(word.tables) == 1 and len(word.tables[0].rows) == 1 + len(ROWS)
        return
    assert word.tables == []
    pairs = [(zh, "".join(en for *_, en, _ in [r for r in ROWS if r[2] == zh])) for _, _, zh, _, _, _ in ROWS]
    for zh, en in pairs:  # each Chinese paragraph is followed by its English
        assert body[body.index(zh) + 1] == en
    heading_en = next(p for p in word.paragraphs if p.text == "1. The Liquor Industry Changes")
    assert heading_en._p.pPr.find(qn("w:outlineLvl")).get(qn("w:val")) == "9"  # one contents entry per heading


def spans(path):
    with pymupdf.open(path) as pdf:
        return [s for page in pdf for b in page.get_text("dict")["blocks"] for line in b.get("lines", []) for s in line["spans"]]


def test_pdf_draws_emphasis_in_the_bold_and_oblique_faces(published):
    _, _, path = published
    found = spans(path)
    fonts = {s["text"].strip(): s["font"] for s in found}
    assert "bold" in fonts["链主企业"].lower()
    assert not any(s["text"].strip().startswith("带动") and "bold" in s["font"].lower() for s in found)
    bold_english = [s for s in found if "Chain-leader" in s["text"]]
    assert bold_english and all("bold" in s["font"].lower() for s in bold_english)
    oblique = [s for s in found if "downstream" in s["text"]]
    assert oblique and all("oblique" in s["font"].lower() or "italic" in s["font"].lower() for s in oblique)


def test_pdf_lists_get_a_bullet_on_both_sides(published):
    _, _, path = published
    with pymupdf.open(path) as pdf:
        text = "".join(page.get_text() for page in pdf)
    assert "• 建设国家级酒业创新中心。" in text and "• Build a national" in text
    # An item that carries its own number shows it, with no bullet before it.
    assert "2. 第一批项目已开工。" in text and "2. The first projects" in text
    assert "• 2." not in text


@pytest.mark.parametrize("text", ["1. 推进", "2) 发展", "10．打造", "3、建设", "（一）推进", "(2) 发展", "③ 彩灯", "一、总体要求", "a) item"])
def test_a_list_item_with_its_own_number_is_numbered(text):
    assert numbered_item(text)


@pytest.mark.parametrize("text", ["1.5亿元的项目", "2024年开工", "第一批项目", "A股上市", "推进融合"])
def test_a_list_item_that_begins_with_a_figure_or_a_word_is_not(text):
    assert not numbered_item(text)
