"""Tables and pictures in the published DOCX and PDF, read back as a reader's tools see them."""

from __future__ import annotations

import subprocess
import sys

import docx
import pdfplumber
import pymupdf
import pytest
from typer.testing import CliRunner

from articles import INVESTOR_CAPTION, INVESTOR_TABLE, investor_chinese, write_investor_docx
from leshan_pub.cli import app
from leshan_pub.formats.segfile import read_segment_file, write_segment_file
from leshan_pub.provenance import Origin
from leshan_pub.publish.tables import column_widths

runner = CliRunner()
PUBCHECK = "/work/shared/tools/pubcheck.py"
ENGLISH = {
    "指标": "Indicator", "同比增长（%）": "Growth year on year (%)", "地区生产总值（亿元）": "GDP (RMB 100 million)",
    "工业投资（亿元）": "Industrial investment (RMB 100 million)", "说明": "Note",
    INVESTOR_TABLE[3][1]: "Figures from the Leshan Bureau of Statistics; those for 2025 are estimates.",
}
RULE_ENGLISH = {(1, 1): "RMB 220.52 billion", (1, 4): "5.3%", (2, 3): "RMB 83.6 billion", (2, 4): "12.5%", (0, 1): "2023"}


def _invoke(*args: str) -> None:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output


@pytest.fixture(scope="module")
def published(tmp_path_factory, tiny_marian_dir):
    """The investor article built with the tiny model (side by side), then published interleaved too."""
    folder = tmp_path_factory.mktemp("investor")
    source = write_investor_docx(folder / "leshan.docx")
    _invoke("build", str(source), "--model", str(tiny_marian_dir), "--no-glossary", "--out", str(folder / "side"),
            "--beams", "1")
    # The tiny model writes nonsense; a translator's English in its place, as a reviewer would leave it.
    segfile = folder / "leshan.zh-en.xlf"
    document = read_segment_file(segfile)
    for segment in document.segments:
        if segment.signature is None or segment.signature.origin != Origin.RULE:
            segment.target = ENGLISH.get(segment.source, "Leshan kept growing in 2025.")
    write_segment_file(segfile, document)
    _invoke("publish", str(source), "--no-glossary", "--out", str(folder / "side"))
    _invoke("publish", str(source), "--no-glossary", "--out", str(folder / "inter"), "--layout", "interleaved")
    (folder / "source.txt").write_text(investor_chinese(), encoding="utf-8")
    return folder


def _grid_text(table) -> list[list[str]]:
    return [[cell.text.strip() for cell in row.cells] for row in table.rows]


def test_docx_side_by_side_sets_the_chinese_table_beside_the_english_one(published):
    word = docx.Document(str(published / "side" / "leshan.docx"))
    rows = [row for row in word.tables[0].rows if row.cells[0].tables]
    assert len(rows) == 1  # one row of the side-by-side table holds the article's table
    chinese, english = rows[0].cells[0].tables[0], rows[0].cells[1].tables[0]
    for table in (chinese, english):
        assert (len(table.rows), len(table.columns)) == (4, 5)
        assert table.cell(3, 1)._tc is table.cell(3, 4)._tc  # the merged cell spans four columns
        assert table.rows[0]._tr.trPr.find(docx.oxml.ns.qn("w:tblHeader")) is not None
    expected = [[text or INVESTOR_TABLE[r][1] for text in row] for r, row in enumerate(INVESTOR_TABLE)]
    assert _grid_text(chinese) == expected
    for (row, column), text in RULE_ENGLISH.items():
        assert english.cell(row, column).text == text


def test_docx_interleaved_sets_one_table_each_cell_chinese_then_english(published):
    word = docx.Document(str(published / "inter" / "leshan.docx"))
    table = next(t for t in word.tables if len(t.columns) == 5)
    assert len(table.rows) == 4
    assert [p.text for p in table.cell(2, 3).paragraphs] == ["836亿元", "RMB 83.6 billion"]
    assert table.cell(3, 1)._tc is table.cell(3, 2)._tc


@pytest.mark.parametrize("layout", ["side", "inter"])
def test_docx_picture_stands_where_it_stood_scaled_to_the_text_width(published, layout):
    word = docx.Document(str(published / layout / "leshan.docx"))
    section = word.sections[0]
    text_width = section.page_width - section.left_margin - section.right_margin
    (shape,) = word.inline_shapes
    assert 0 < shape.width <= text_width < docx.shared.Mm(300)  # the author's 300 mm, scaled down
    assert abs(shape.width / shape.height - 1) < 0.01  # its shape kept
    body = word.element.body.xpath(".//w:t/text() | .//wp:docPr/@descr")
    order = [i for i, text in enumerate(body) if text in ("836亿元", INVESTOR_CAPTION, "图为乐山高新区")]
    assert [body[i] for i in order][:3] == ["836亿元", INVESTOR_CAPTION, INVESTOR_CAPTION]  # table, picture, its alt row


def _left_tables(path):
    with pdfplumber.open(str(path)) as pdf:
        page = pdf.pages[0]
        left = page.crop((0, 0, page.width / 2, page.height))
        return [(t.bbox, [c for c in t.rows[0].cells], t.extract()) for t in left.find_tables()]


def test_pdf_table_has_the_shape_of_the_source_table_with_columns_sized_to_their_text(published):
    ((bbox, first_row, cells),) = _left_tables(published / "side" / "leshan.pdf")
    assert len(cells) == 4 and all(len(row) == 5 for row in cells)
    flat = [[(text or "").replace("\n", "") for text in row] for row in cells]
    assert flat[2][3] == "836亿元" and flat[0][4] == "同比增长（%）"
    assert flat[3][1] == INVESTOR_TABLE[3][1] and cells[3][2:] == [None, None, None]  # the merged cell
    widths = [c[2] - c[0] for c in first_row]
    assert widths[0] > widths[2]  # the long labels' column is wider than a column of figures


def test_pdf_english_table_holds_the_rule_english_beside_the_chinese(published):
    with pdfplumber.open(str(published / "side" / "leshan.pdf")) as pdf:
        page = pdf.pages[0]
        right = page.crop((page.width / 2, 0, page.width, page.height))
        (table,) = right.find_tables()
        cells = [[(text or "").replace("\n", " ") for text in row] for row in table.extract()]
    assert len(cells) == 4
    for (row, column), text in RULE_ENGLISH.items():
        assert cells[row][column] == text


@pytest.mark.parametrize("layout", ["side", "inter"])
def test_pdf_picture_is_drawn_within_the_frame_after_the_table(published, layout):
    document = pymupdf.open(str(published / layout / "leshan.pdf"))
    placed = [(page.number, info["bbox"]) for page in document for info in page.get_image_info()]
    assert len(placed) == 1
    number, (x0, y0, x1, y1) = placed[0]
    page = document[number]
    assert 56 <= x0 and x1 <= page.rect.width - 56  # inside the 20 mm margins
    caption = page.search_for(INVESTOR_CAPTION)
    assert caption and caption[0].y0 >= y1 - 1  # its alt text under it


@pytest.mark.parametrize("layout", ["side", "inter"])
def test_pubcheck_finds_no_lost_character_and_no_line_break_violation(published, layout):
    result = subprocess.run(
        [sys.executable, PUBCHECK, "pdf", str(published / layout / "leshan.pdf"), str(published / "source.txt")],
        capture_output=True, text=True, check=False,
    )
    assert "0 unembedded fonts, 0 lost characters, 0 line-break violations" in result.stdout, result.stdout
    assert result.returncode == 0


def test_side_by_side_tables_keep_their_rows_level(published):
    with pdfplumber.open(str(published / "side" / "leshan.pdf")) as pdf:
        page = pdf.pages[0]
        halves = [page.crop((0, 0, page.width / 2, page.height)), page.crop((page.width / 2, 0, page.width, page.height))]
        (left,), (right,) = (half.find_tables() for half in halves)
        assert [round(r.bbox[1], 1) for r in left.rows] == [round(r.bbox[1], 1) for r in right.rows]
        assert [round(r.bbox[3], 1) for r in left.rows] == [round(r.bbox[3], 1) for r in right.rows]


NO_LINE_START = set("，。、；：？！）》」』”’…—％")


def test_a_long_table_repeats_its_header_rows_on_every_page_and_breaks_cells_by_the_prose_rules(tmp_path):
    # Each row's first cell wraps, its commas falling at every phase of the line: a plain wrapper
    # would start some lines with '，'.
    rows = "\n".join(f"| 第{n}项指标名称{'乐' * (n % 3)}{'增长，' * 12} | {n * 10} | {n}.5% |" for n in range(1, 90))
    source = tmp_path / "long.md"
    source.write_text(f"# 长表\n\n| 指标 | 产值（亿元） | 增速 |\n|---|---|---|\n{rows}\n", encoding="utf-8")
    _invoke("segment", str(source))
    _invoke("publish", str(source), "--no-glossary", "--out", str(tmp_path / "out"))
    with pdfplumber.open(str(tmp_path / "out" / "long.pdf")) as pdf:
        assert len(pdf.pages) >= 3
        for page in pdf.pages:
            left = page.crop((0, 0, page.width / 2, page.height))
            (table,) = left.find_tables()
            assert [c.replace("\n", "") for c in table.extract()[0][:2]] == ["指标", "产值（亿元）"], page.page_number
        last = pdf.pages[-1].crop((0, 0, pdf.pages[-1].width / 2, pdf.pages[-1].height)).find_tables()[0].extract()
        assert last[-1][0].replace("\n", "").startswith("第89项指标名称")  # every row reached the page, in order
        starts = []
        for page in pdf.pages:
            lines: dict[int, list] = {}
            for ch in page.chars:
                if ch["x0"] < page.width / 2 and not ch["text"].isspace():
                    lines.setdefault(round(ch["top"]), []).append(ch)
            starts += [min(chars, key=lambda c: c["x0"])["text"] for chars in lines.values()]
        assert len(starts) > 200 and not [s for s in starts if s in NO_LINE_START]


def test_a_table_row_taller_than_a_page_is_set_across_the_page_not_lost(tmp_path):
    """Side by side, the two tables break between rows only: a row that cannot fit on a page under its
    header (a long note in a narrow column) used to stop publishing with reportlab's LayoutError."""
    note = "乐山市统计局数据，其中二〇二五年为预计数。" * 120
    source = tmp_path / "tall.md"
    source.write_text(f"# 高表\n\n| 指标 | 说明 |\n|---|---|\n| 地区生产总值 | {note} |\n| 工业投资 | 增长 |\n",
                      encoding="utf-8")
    _invoke("segment", str(source))
    _invoke("publish", str(source), "--no-glossary", "--out", str(tmp_path / "out"))
    with pdfplumber.open(str(tmp_path / "out" / "tall.pdf")) as pdf:
        text = "".join(page.extract_text() or "" for page in pdf.pages).replace("\n", "")
        assert len(pdf.pages) >= 2 and "工业投资" in text and text.count("预计数") == 120


@pytest.mark.parametrize(
    ("natural", "least", "available", "expected"),
    [
        ([10, 20], [5, 5], 60, [20, 40]),  # room to spare: shared in proportion
        ([50, 50], [10, 30], 60, [70 / 3, 110 / 3]),  # too wide: each its least, the rest by what it wants more
        ([50, 50, 50], [10, 80, 90], 60, [10, 25, 25]),  # not even the least fits: the widest cut to one width
    ],
)
def test_column_widths(natural, least, available, expected):
    assert column_widths(natural, least, available) == pytest.approx(expected)


def test_a_pack_carries_the_articles_tables_and_pictures(published):
    out = published / "pack" / "pack.pdf"
    _invoke("pack", str(published / "leshan.docx"), "--title", "乐山投资者资料", "--out", str(out))
    document = pymupdf.open(str(out))
    assert sum(len(page.get_image_info()) for page in document) == 1
    with pdfplumber.open(str(out)) as pdf:
        shapes = [
            [len(row) for row in t.extract()]
            for page in pdf.pages for t in page.crop((0, 0, page.width / 2, page.height)).find_tables()
        ]
    assert [5, 5, 5, 5] in shapes
    word = docx.Document(str(out.with_suffix(".docx")))
    assert len(word.inline_shapes) == 1
    nested = [t for table in word.tables for row in table.rows for cell in row.cells for t in cell.tables]
    assert {(len(t.rows), len(t.columns)) for t in nested} == {(4, 5)}


def test_a_table_too_wide_for_half_the_page_is_set_across_it(tmp_path):
    columns = 12
    head = "| 指标 | " + " | ".join(f"{2013 + c}年" for c in range(columns - 1)) + " |"
    body = "| 工业投资（亿元） | " + " | ".join(f"{600 + 10 * c}.5" for c in range(columns - 1)) + " |"
    source = tmp_path / "wide.md"
    source.write_text(f"# 十年数据\n\n{head}\n|{'---|' * columns}\n{body}\n\n下一步，乐山将继续培育新质生产力。\n", encoding="utf-8")
    _invoke("segment", str(source))
    _invoke("publish", str(source), "--no-glossary", "--out", str(tmp_path / "out"))
    with pdfplumber.open(str(tmp_path / "out" / "wide.pdf")) as pdf:
        page = pdf.pages[0]
        (table,) = [t for t in page.find_tables() if len(t.extract()[0]) == columns]
        assert table.bbox[2] - table.bbox[0] > page.width / 2  # across the page, not in its left half
        first, second = (c.replace("\n", "") for c in table.extract()[1][:2])
        assert first.startswith("工业投资（亿元）") and second.startswith("600.5")  # then each its English
    word = docx.Document(str(tmp_path / "out" / "wide.docx"))
    shapes = [(len(t.rows), len(t.columns)) for t in word.tables]
    assert shapes == [(2, 2), (2, columns), (2, 2)]  # side by side (head, title), the wide table, side by side again
    assert word.tables[2].rows[1].cells[0].text == "下一步，乐山将继续培育新质生产力。"


def test_a_picture_that_is_no_image_leaves_its_placeholder_row_and_publishes(tmp_path):
    (tmp_path / "broken.png").write_bytes(b"not a picture at all")
    source = tmp_path / "broken.md"
    source.write_text("# 图片测试\n\n正文一段，介绍情况。\n\n![](broken.png)\n", encoding="utf-8")
    _invoke("segment", str(source))
    _invoke("publish", str(source), "--no-glossary", "--out", str(tmp_path / "out"))
    word = docx.Document(str(tmp_path / "out" / "broken.docx"))
    assert len(word.inline_shapes) == 0
    assert any(row.cells[0].text == "〔图片〕" for row in word.tables[0].rows)  # said, not lost unseen
    pdf = pymupdf.open(str(tmp_path / "out" / "broken.pdf"))
    assert "〔图片〕" in "".join(page.get_text() for page in pdf)
