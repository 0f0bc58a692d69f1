"""True italics in the PDF: English in Noto Sans Italic, Chinese emphasis as emphasis dots, nothing slanted."""

from __future__ import annotations

import re
from pathlib import Path

import docx
import pymupdf
import pytest
from docx.oxml.ns import qn

from leshan_pub.document import Document, Emphasis, Mark, Provenance, ReviewState, Role, Segment
from leshan_pub.publish import PublishOptions, publish

EMPHASISED = "上下游"
ZH = "链主企业带动上下游企业集聚发展。"
EN = "Chain-leader enterprises draw upstream and downstream firms together."


def article() -> Document:
    start = ZH.index(EMPHASISED)
    segments = [
        Segment("s0", 0, Role.TITLE, "宜宾动力电池产业", "Yibin’s power battery industry", ReviewState.APPROVED),
        Segment("s1", 1, Role.PARAGRAPH, ZH, EN, ReviewState.APPROVED,
                source_marks=(Mark(start, start + len(EMPHASISED), Emphasis.ITALIC),),
                target_marks=(Mark(EN.index("upstream"), EN.index(" firms"), Emphasis.ITALIC),)),
        Segment("s2", 2, Role.CAPTION, "图１　宜宾三江口", "Figure 1. Where the three rivers meet at Yibin (宜宾)", ReviewState.APPROVED),
    ]
    return Document("italics", segments, Provenance("0.1.0", "1"))


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    docx_path, pdf_path = publish(article(), None, tmp_path_factory.mktemp("italics"), ("docx", "pdf"), PublishOptions())
    return docx_path, pdf_path


def spans(path: Path) -> list[dict]:
    with pymupdf.open(path) as pdf:
        return [s for page in pdf for b in page.get_text("dict")["blocks"] for line in b.get("lines", []) for s in line["spans"]]


def test_english_italics_are_set_in_the_embedded_noto_sans_italic(outputs: tuple[Path, Path]) -> None:
    _, pdf_path = outputs
    found = spans(pdf_path)
    for word in ("upstream", "downstream", "Where", "rivers"):
        fonts = [s["font"] for s in found if word in s["text"]]
        assert fonts and all("NotoSans-Italic" in f for f in fonts), (word, fonts)
    assert all("Italic" not in s["font"] for s in found if "Chain-leader" in s["text"] or "firms" in s["text"])
    with pymupdf.open(pdf_path) as pdf:
        embedded = {font[3]: font[1] for page in pdf for font in page.get_fonts()}
    assert any("NotoSans-Italic" in name for name in embedded) and all(kind == "ttf" for kind in embedded.values())
    assert not any("oblique" in name.lower() for name in embedded)


def test_chinese_is_never_slanted(outputs: tuple[Path, Path]) -> None:
    _, pdf_path = outputs
    found = spans(pdf_path)
    for span in found:
        if re.search(r"[\u3400-\u9fff]", span["text"]):
            assert "Italic" not in span["font"], span
    # 宜宾 inside the italic English caption is drawn, upright, in the CJK font.
    assert any(s["text"].startswith("宜宾") and "NotoSansSC-Regular" in s["font"] for s in found)
    assert "at Yibin (宜宾)" in " ".join("".join(s["text"] for s in found).split())
    with pymupdf.open(pdf_path) as pdf:
        streams = b"".join(pdf.xref_stream(x) or b"" for page in pdf for x in page.get_contents())
    # No text matrix (Tm) or transform (cm) with a skew: nothing is drawn slanted.
    for a, b, c, d in re.findall(rb"([-\d.]+) ([-\d.]+) ([-\d.]+) ([-\d.]+) [-\d.]+ [-\d.]+ (?:Tm|cm)", streams):
        assert float(b) == 0 and float(c) == 0 or float(a) == float(d) and float(b) == -float(c), (a, b, c, d)


def test_chinese_emphasis_gets_emphasis_dots_under_each_character(outputs: tuple[Path, Path]) -> None:
    docx_path, pdf_path = outputs
    with pymupdf.open(pdf_path) as pdf:
        page = pdf[0]
        boxes = [page.search_for(ch)[0] for ch in EMPHASISED]
        plain = page.search_for("集聚")[0]
        dots = [d["rect"] for d in page.get_drawings() if d.get("fill") and d["rect"].width < 2 and d["rect"].height < 2]
    for box in boxes:
        under = [r for r in dots if box.x0 < (r.x0 + r.x1) / 2 < box.x1 and box.y1 - 4 < r.y0 < box.y1 + 4]
        assert len(under) == 1, f"one dot under each emphasised character, found {len(under)}"
    assert not [r for r in dots if plain.x0 < (r.x0 + r.x1) / 2 < plain.x1 and plain.y1 - 4 < r.y0 < plain.y1 + 4]
    word = docx.Document(str(docx_path))
    runs = [r for t in word.tables for row in t.rows for cell in row.cells for p in cell.paragraphs for r in p.runs]
    marked = next(r for r in runs if r.text == EMPHASISED)
    em = marked._r.rPr.find(qn("w:em"))
    assert em is not None and em.get(qn("w:val")) == "dot" and not marked.font.italic
    assert all(r._r.rPr is None or r._r.rPr.find(qn("w:em")) is None for r in runs if r.text != EMPHASISED)
