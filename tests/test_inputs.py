"""Source formats: Word and Markdown articles the tests write, read into blocks with roles, emphasis and a skipped report."""

from __future__ import annotations

import re
import shutil
import zipfile

import pytest
from typer.testing import CliRunner

from articles import (
    DOCX_EXPECTED, DOCX_MARKED, DOCX_SKIPPED, MARKDOWN_ARTICLE, MARKDOWN_EXPECTED, MARKDOWN_MARKED, MARKDOWN_SKIPPED,
    write_docx_article,
)
from helpers import SAMPLE
from leshan_pub.cli import app
from leshan_pub.document import Emphasis, Mark, Role
from leshan_pub.errors import InputError
from leshan_pub.inputs import read_source, supported_suffixes
from leshan_pub.read import read_article
from leshan_pub.formats.segfile import read_segment_file, segment_file_for
from leshan_pub.segment import segment_blocks
from leshan_pub.structure import parse_structure

runner = CliRunner()


@pytest.fixture(scope="module")
def docx_article(tmp_path_factory):
    return write_docx_article(tmp_path_factory.mktemp("docx") / "yibin.zh.docx")


@pytest.fixture
def markdown_article(tmp_path):
    path = tmp_path / "luzhou.md"
    path.write_text(MARKDOWN_ARTICLE, encoding="utf-8")
    return path


def marked_texts(blocks) -> set[tuple[str, Emphasis]]:
    return {(b.text[m.start : m.end], m.style) for b in blocks for m in b.marks}


# --- Word ---------------------------------------------------------------------------------------------


WORD_LISTS = """<w:numbering xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">
  <w:abstractNum w:abstractNumId="90">
    <w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="chineseCounting"/><w:lvlText w:val="%1、"/></w:lvl>
    <w:lvl w:ilvl="1"><w:start w:val="1"/><w:numFmt w:val="decimal"/><w:lvlText w:val="（%2）"/></w:lvl>
    <w:lvl w:ilvl="2"><w:start w:val="1"/><w:numFmt w:val="bullet"/><w:lvlText w:val="•"/></w:lvl>
    <w:lvl w:ilvl="3"><w:start w:val="1"/><w:numFmt w:val="chineseCounting"/><w:lvlText w:val="第%4章"/></w:lvl>
  </w:abstractNum>
  <w:num w:numId="40"><w:abstractNumId w:val="90"/></w:num>
  <w:num w:numId="41"><w:abstractNumId w:val="90"/><w:lvlOverride w:ilvl="0"><w:startOverride w:val="1"/></w:lvlOverride></w:num>
</w:numbering>"""


def test_word_list_numbers_are_read_as_word_shows_them(tmp_path):
    import docx
    from docx.opc.constants import RELATIONSHIP_TYPE as RT
    from docx.oxml import parse_xml
    from docx.oxml.ns import qn

    word = docx.Document()
    numbering = next(r.target_part for r in word.part.rels.values() if r.reltype == RT.NUMBERING).element
    ours = parse_xml(WORD_LISTS)  # added to the template's own lists (List Number's among them)
    numbering.find(qn("w:num")).addprevious(ours.find(qn("w:abstractNum")))
    for num in ours.findall(qn("w:num")):
        numbering.append(num)

    def item(text: str, num_id: str, level: int) -> None:
        paragraph = word.add_paragraph(text)
        num_pr = paragraph._p.get_or_add_pPr().get_or_add_numPr()
        num_pr.get_or_add_ilvl().val, num_pr.get_or_add_numId().val = level, int(num_id)

    word.add_paragraph("乐山产业发展报告", style="Title")
    item("总体要求", "40", 0)
    item("坚持创新驱动。", "40", 1)
    item("坚持绿色发展。", "40", 1)
    item("重点任务", "40", 0)
    item("壮大晶硅光伏产业。", "40", 1)  # under a new item of level 0, level 1 counts from 1 again
    item("全市企业超过两千家。", "40", 2)  # a bulleted level: no number
    item("保障措施", "41", 0)  # another list of the same definition, told to start again
    item("附则", "41", 3)  # a number that ends in a character: a space before the text, as Word's tab
    word.add_paragraph("推进多晶硅与白酒产业融合。", style="List Number")  # numbered by its style
    word.add_paragraph("建设国家级酒业创新中心。", style="List Number")
    path = tmp_path / "lists.zh.docx"
    word.save(path)
    assert [b.text for b in read_source(path).blocks][1:] == [
        "一、总体要求", "（1）坚持创新驱动。", "（2）坚持绿色发展。", "二、重点任务", "（1）壮大晶硅光伏产业。",
        "全市企业超过两千家。", "一、保障措施", "第一章 附则", "1. 推进多晶硅与白酒产业融合。", "2. 建设国家级酒业创新中心。",
    ]


def test_damaged_list_definitions_cost_the_numbers_not_the_article():
    from docx.oxml import parse_xml

    from leshan_pub.inputs.numbering import ListNumbers, paragraph_list

    damaged = WORD_LISTS.replace('w:ilvl="1"><w:start w:val="1"/>', 'w:ilvl="x"><w:start w:val="one"/>')
    lists = ListNumbers(parse_xml(damaged))
    assert lists.number("40", 0) == "一、"
    assert lists.number("40", 12) == lists.number("99", 0) == ""  # no such level, no such list
    item = parse_xml(
        '<w:p xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        '<w:pPr><w:numPr><w:ilvl w:val="?"/><w:numId w:val="40"/></w:numPr></w:pPr></w:p>'
    )
    assert paragraph_list(item, lambda: None) == ("40", 0)


def test_word_superscripts_and_subscripts_are_read_as_the_figures_they_are(tmp_path):
    import docx

    word = docx.Document()
    word.add_paragraph("乐山产业发展报告", style="Title")
    paragraph = word.add_paragraph("多晶硅产能达到10")
    for text, kind in (("5", "sup"), ("吨，园区3.2km", ""), ("2", "sup"), ("，", ""), ("177", "sup"), ("Lu与H", ""),
                       ("2", "sub"), ("O，排名第5", ""), ("th", "sup"), ("。", "")):
        run = paragraph.add_run(text)
        run.font.superscript, run.font.subscript = kind == "sup", kind == "sub"
    path = tmp_path / "raised.zh.docx"
    word.save(path)
    # 10 with a raised 5 is 10⁵, never the figure 105; letters have no raised form and stay as they are.
    assert read_source(path).blocks[1].text == "多晶硅产能达到10⁵吨，园区3.2km²，¹⁷⁷Lu与H₂O，排名第5th。"


def test_markdown_sup_and_sub_are_read_as_the_figures_they_are(tmp_path):
    path = tmp_path / "raised.md"
    path.write_text("# 标题文字很长\n\n产能达到10<sup>5</sup>吨，园区3.2km<SUP>2</SUP>，水为H<sub>2</sub>O，第5<sup>th</sup>名。\n",
                    encoding="utf-8")
    article = read_source(path)
    assert article.blocks[1].text == "产能达到10⁵吨，园区3.2km²，水为H₂O，第5th名。"
    assert not any("sup" in line or "sub" in line for line in article.skipped)  # carried, so not reported


def test_markdown_footnotes_are_notes_after_the_article_not_lost(tmp_path):
    """CommonMark reads '[^1]: 资料来源：乐山市统计局。' as a link definition: the footnote's Chinese vanished
    from the segment file, the English and the PDF, with nothing on stderr, and '^1' stood in the text."""
    path = tmp_path / "notes.md"
    path.write_text("# 乐山产业概况\n\n全市产值增长很快[^1]，投资也在增加[^src]。\n\n"
                    "[^1]: 资料来源：乐山市统计局。\n[^src]: 2025年为预计数。\n", encoding="utf-8")
    article = read_source(path)
    assert [(b.role, b.text) for b in article.blocks] == [
        (Role.TITLE, "乐山产业概况"), (Role.PARAGRAPH, "全市产值增长很快，投资也在增加。"),
        (Role.NOTE, "资料来源：乐山市统计局。"), (Role.NOTE, "2025年为预计数。"),
    ]
    assert any("2 footnote(s) are translated as notes after the article" in line for line in article.skipped)


def test_docx_article_gives_every_role_from_styles_and_the_text_rules(docx_article):
    article = read_source(docx_article)
    assert [(b.role, b.text) for b in article.blocks] == DOCX_EXPECTED
    assert {role for role, _ in DOCX_EXPECTED} == set(Role)  # the article covers every role


def test_docx_bold_and_italic_runs_become_marks_not_text(docx_article):
    blocks = read_source(docx_article).blocks
    assert marked_texts(blocks) == set(DOCX_MARKED)
    assert not any("*" in b.text for b in blocks)


def test_docx_reports_what_it_does_not_carry(docx_article):
    skipped = read_source(docx_article).skipped
    for what in DOCX_SKIPPED:
        assert any(what in line for line in skipped), (what, skipped)
    assert any("扫码关注宜宾发布" in line for line in skipped)  # the text box's text is named
    assert any("宜宾日报 内部资料" in line for line in skipped)  # and the header's


def test_docx_merged_cell_is_read_once(tmp_path):
    import docx

    word = docx.Document()
    table = word.add_table(rows=2, cols=3)
    table.cell(0, 0).merge(table.cell(0, 2)).text = "合并的表头"
    table.cell(1, 0).merge(table.cell(1, 1)).text = "纵横合并"
    table.cell(1, 2).text = "三"
    word.save(str(tmp_path / "t.docx"))
    assert [b.text for b in read_source(tmp_path / "t.docx").blocks] == ["合并的表头", "纵横合并", "三"]


def test_docx_without_title_style_finds_its_title_by_the_text_rules(tmp_path):
    import docx

    word = docx.Document()
    for text in ("四川乐山：", "培育新质生产力", "2024年，乐山市地区生产总值增长百分之六，工业投资保持两位数增长，新兴产业加速成势。"):
        word.add_paragraph(text)
    word.save(str(tmp_path / "plain.docx"))
    blocks = read_source(tmp_path / "plain.docx").blocks
    assert [(b.role, b.text) for b in blocks][:1] == [(Role.TITLE, "四川乐山：培育新质生产力")]
    assert blocks[1].role is Role.PARAGRAPH


def test_docx_is_read_not_refused_as_binary_and_names_its_segment_file(docx_article, tmp_path):
    source = tmp_path / docx_article.name
    shutil.copyfile(docx_article, source)
    result = runner.invoke(app, ["segment", str(source)])
    assert result.exit_code == 0, result.output
    assert segment_file_for(source).name == "yibin.zh-en.xlf"
    document = read_segment_file(tmp_path / "yibin.zh-en.xlf")
    assert {s.role for s in document.segments} == set(Role)
    assert "skipped: paragraph 17: text box" in result.stderr


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"PK\x03\x04 not really a zip", r"not a Word \.docx that can be read"),
        (b"", r"not a Word \.docx that can be read"),
    ],
)
def test_a_damaged_docx_is_one_line_and_exit_1(tmp_path, data, message):
    source = tmp_path / "bad.docx"
    source.write_bytes(data)
    result = runner.invoke(app, ["segment", str(source)])
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1
    assert re.search(message, result.stderr)
    assert not (tmp_path / "bad.zh-en.xlf").exists()


def test_a_word_file_named_txt_is_refused_with_the_fix(docx_article, tmp_path):
    source = tmp_path / "article.zh.txt"
    shutil.copyfile(docx_article, source)
    with pytest.raises(InputError, match=r"name it \.docx"):
        read_source(source)


def test_encoding_option_is_refused_for_docx(docx_article):
    with pytest.raises(InputError, match="--encoding applies to .txt and .md"):
        read_source(docx_article, encoding="gb18030")


# --- Markdown -----------------------------------------------------------------------------------------


def test_markdown_article_gives_headings_lists_cells_and_the_text_rules(markdown_article):
    article = read_source(markdown_article)
    assert [(b.role, b.text) for b in article.blocks] == MARKDOWN_EXPECTED


def test_an_ordered_list_keeps_its_numbers_and_a_bulleted_one_gets_none(tmp_path):
    path = tmp_path / "a.md"
    path.write_text(
        "# 标题文字很长\n\n3. 推进**智慧景区**建设；\n\n   第三项的第二段。\n4. 发展康养新业态。\n\n"
        "1) 打造精品线路。\n\n- 入境游客约１２万人次。\n",
        encoding="utf-8",
    )
    blocks = read_source(path).blocks
    assert [(b.role, b.text) for b in blocks[1:]] == [
        (Role.LIST, "3. 推进智慧景区建设；"),
        (Role.LIST, "第三项的第二段。"),  # the number goes before the item's first paragraph only
        (Role.LIST, "4. 发展康养新业态。"),
        (Role.LIST, "1) 打造精品线路。"),
        (Role.LIST, "入境游客约１２万人次。"),
    ]
    assert blocks[1].marks == (Mark(5, 9, Emphasis.BOLD),)  # moved past the number: still on 智慧景区


def test_markdown_markup_is_never_text(markdown_article):
    blocks = read_source(markdown_article).blocks
    for block in blocks:
        assert not any(token in block.text for token in ("#", "**", "*", "- ", "|", "](", "![")), block.text
    assert marked_texts(blocks) == set(MARKDOWN_MARKED)


def test_markdown_reports_code_html_links_and_images(markdown_article):
    skipped = read_source(markdown_article).skipped
    for what in MARKDOWN_SKIPPED:
        assert any(what in line for line in skipped), (what, skipped)


def test_emphasis_across_a_sentence_end_is_cut_at_it_never_the_sentence(tmp_path):
    path = tmp_path / "a.md"
    path.write_text("前一句话很长很长，**加粗开始。加粗结束**，后面还有文字。\n", encoding="utf-8")
    segments = segment_blocks(read_source(path).blocks)
    assert [s.source for s in segments] == ["前一句话很长很长，加粗开始。", "加粗结束，后面还有文字。"]
    assert segments[0].source_marks == (Mark(9, 14, Emphasis.BOLD),)
    assert segments[1].source_marks == (Mark(0, 4, Emphasis.BOLD),)


def test_markdown_segment_file_is_named_like_a_text_article(markdown_article):
    result = runner.invoke(app, ["segment", str(markdown_article)])
    assert result.exit_code == 0, result.output
    segfile = markdown_article.with_name("luzhou.zh-en.xlf")
    assert segfile.exists()
    document = read_segment_file(segfile)
    marked = {(s.source[m.start : m.end], m.style) for s in document.segments for m in s.source_marks}
    assert marked == set(MARKDOWN_MARKED)  # emphasis survives the segment file (XLIFF <g ctype>)
    assert 'ctype="bold">链主企业</g>' in segfile.read_text(encoding="utf-8")
    assert "skipped: line 26: code block is not translated" in result.stderr


def test_text_articles_read_as_before():
    article = read_source(SAMPLE)
    assert article.blocks == parse_structure(read_article(SAMPLE)) and article.skipped == []


@pytest.mark.parametrize(
    ("name", "advice"),
    [("a.doc", "save it from Word as .docx"), ("a.pdf", "copy its text"), ("a.zh", ""), ("README", "")],
)
def test_unsupported_formats_are_refused_with_the_list(tmp_path, name, advice):
    path = tmp_path / name
    path.write_text("乐山", encoding="utf-8")
    result = runner.invoke(app, ["segment", str(path)])
    assert result.exit_code == 1
    assert "are not supported; give one of " + ", ".join(supported_suffixes()) in result.stderr
    assert advice in result.stderr


def test_zip_is_a_docx_only_by_name(tmp_path):
    path = tmp_path / "a.docx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("hello.txt", "not a word file")
    with pytest.raises(InputError, match="not a Word .docx"):
        read_source(path)


def test_a_custom_style_takes_the_role_of_the_style_it_is_based_on(tmp_path):
    import docx
    from docx.enum.style import WD_STYLE_TYPE

    word = docx.Document()
    custom = word.styles.add_style("Article Section", WD_STYLE_TYPE.PARAGRAPH)
    custom.base_style = word.styles["Heading 2"]
    word.add_paragraph("乐山新闻", style="Title")
    word.add_paragraph("乐山大佛航拍图", style="Article Section")  # a caption by the text rules
    word.add_paragraph("2024年，乐山市工业投资保持两位数增长，新兴产业加速成势，新动能持续壮大。")
    word.save(str(tmp_path / "custom.docx"))
    assert [b.role for b in read_source(tmp_path / "custom.docx").blocks] == [Role.TITLE, Role.HEADING, Role.PARAGRAPH]


def test_word_and_markdown_subtitles_after_an_unstyled_title_join_the_title(tmp_path):
    import docx

    word = docx.Document()
    for text in ("乐山绿色硅谷建设提速", "——记乐山市多晶硅产业链发展", "主要指标如下：", "多晶硅产量12.6万吨。"):
        word.add_paragraph(text)
    word.save(str(tmp_path / "sub.docx"))
    (tmp_path / "sub.md").write_text("乐山绿色硅谷建设提速\n\n——记乐山市多晶硅产业链发展\n\n主要指标如下：\n\n多晶硅产量12.6万吨。\n", encoding="utf-8")
    for name in ("sub.docx", "sub.md"):
        roles = [b.role for b in read_source(tmp_path / name).blocks]
        assert roles == [Role.TITLE, Role.TITLE, Role.PARAGRAPH, Role.PARAGRAPH], name


# --- tables and pictures --------------------------------------------------------------------------------


def test_word_table_cells_keep_their_row_column_spans_and_header(tmp_path):
    from articles import write_investor_docx
    from leshan_pub.document import Cell

    blocks = read_source(write_investor_docx(tmp_path / "leshan.docx")).blocks
    cells = {b.text: b.cell for b in blocks if b.role is Role.CELL}
    assert len(cells) == 17  # 4x5 grid, one merged cell spanning four columns: 20 - 3
    assert cells["指标"] == Cell(1, 0, 0, header=True)
    assert cells["同比增长（%）"] == Cell(1, 0, 4, header=True)
    assert cells["836亿元"] == Cell(1, 2, 3)
    assert cells["数据来自乐山市统计局，2025年为预计数。"] == Cell(1, 3, 1, rows=1, columns=4)
    assert [b.role for b in blocks if b.cell is None and b.role is Role.CELL] == []


def test_word_vertical_merge_spans_rows_and_a_marked_header_row_wins(tmp_path):
    import docx
    from docx.oxml import OxmlElement
    from leshan_pub.document import Cell

    word = docx.Document()
    table = word.add_table(rows=3, cols=2)
    table.cell(0, 0).merge(table.cell(2, 0)).text = "纵向合并"
    table.cell(0, 1).text, table.cell(1, 1).text, table.cell(2, 1).text = "甲", "乙", "丙"
    table.rows[1]._tr.get_or_add_trPr().append(OxmlElement("w:tblHeader"))
    word.save(str(tmp_path / "t.docx"))
    cells = {b.text: b.cell for b in read_source(tmp_path / "t.docx").blocks}
    assert cells["纵向合并"] == Cell(1, 0, 0, rows=3)
    assert cells["乙"].header and not cells["甲"].header  # Word's repeated row, not the first, is the header


def test_word_picture_is_carried_with_the_size_word_shows(tmp_path):
    from articles import INVESTOR_CAPTION, tiny_png, write_investor_docx

    blocks = read_source(write_investor_docx(tmp_path / "leshan.docx")).blocks
    image = next(b for b in blocks if b.picture is not None)
    assert (image.role, image.text) == (Role.CAPTION, INVESTOR_CAPTION)
    assert image.picture.data == tiny_png() and image.picture.suffix == "png"
    assert round(image.picture.width) == round(300 / 25.4 * 72)  # 300 mm, as the author set it


CHART_RUN = """<w:r xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"
  xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006"
  xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"
  xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"
  xmlns:pic="http://schemas.openxmlformats.org/drawingml/2006/picture"
  xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">
<mc:AlternateContent><mc:Choice Requires="cx1"><w:drawing><wp:inline><wp:extent cx="3000000" cy="2000000"/>
<wp:docPr id="5" name="Chart 5" descr="产值走势图"/><a:graphic><a:graphicData uri="http://schemas.microsoft.com/office/drawing/2014/chartex">
</a:graphicData></a:graphic></wp:inline></w:drawing></mc:Choice>
<mc:Fallback>{fallback}</mc:Fallback></mc:AlternateContent></w:r>"""
FALLBACK_PICTURE = """<w:drawing><wp:inline><wp:extent cx="3000000" cy="2000000"/><wp:docPr id="6" name="Picture 6" descr="产值走势图"/>
<a:graphic><a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/picture"><pic:pic><pic:blipFill>
<a:blip r:embed="{rid}"/></pic:blipFill></pic:pic></a:graphicData></a:graphic></wp:inline></w:drawing>"""


@pytest.mark.parametrize("with_fallback", [True, False])
def test_word_chart_is_carried_as_its_fallback_picture_or_named(tmp_path, with_fallback):
    import docx
    from docx.oxml import parse_xml
    from articles import tiny_png

    word = docx.Document()
    word.add_paragraph("正文第一段，介绍产值情况。")
    (tmp_path / "chart.png").write_bytes(tiny_png())
    rid, _ = word.part.get_or_add_image(str(tmp_path / "chart.png"))
    fallback = FALLBACK_PICTURE.format(rid=rid) if with_fallback else ""
    word.add_paragraph()._p.append(parse_xml(CHART_RUN.format(fallback=fallback)))
    word.save(str(tmp_path / "chart.docx"))
    article = read_source(tmp_path / "chart.docx")
    pictures = [b for b in article.blocks if b.picture is not None]
    if with_fallback:
        assert [(b.text, b.picture.data) for b in pictures] == [("产值走势图", tiny_png())]
        assert any("chart is carried as the picture" in line for line in article.skipped)
    else:
        assert pictures == []
        assert any("chart" in line and "not carried" in line for line in article.skipped), article.skipped


def test_markdown_table_cells_and_local_pictures(tmp_path):
    from articles import tiny_png
    from leshan_pub.document import Cell

    (tmp_path / "gdp.png").write_bytes(tiny_png())
    path = tmp_path / "a.md"
    path.write_text(
        "# 乐山经济\n\n| 指标 | 2025年 |\n|---|---|\n| 产值（亿元） | 2480 |\n\n![高新区全景](gdp.png)\n\n"
        "![远程图片](https://example.com/x.png)\n", encoding="utf-8",
    )
    article = read_source(path)
    cells = {b.text: b.cell for b in article.blocks if b.role is Role.CELL}
    assert cells == {"指标": Cell(1, 0, 0, header=True), "2025年": Cell(1, 0, 1, header=True),
                     "产值（亿元）": Cell(1, 1, 0), "2480": Cell(1, 1, 1)}
    pictures = {b.text: b.picture for b in article.blocks if b.role is Role.CAPTION}
    assert pictures["高新区全景"].data == tiny_png()
    assert pictures["远程图片"] is None
    assert any("only local image files are carried" in line for line in article.skipped)


def test_segments_of_table_cells_carry_their_place_into_the_segment_file(tmp_path):
    from articles import write_investor_docx
    from leshan_pub.document import Cell

    source = write_investor_docx(tmp_path / "leshan.docx")
    result = runner.invoke(app, ["segment", str(source)])
    assert result.exit_code == 0, result.output
    text = (tmp_path / "leshan.zh-en.xlf").read_text(encoding="utf-8")
    assert 'resname="table 1, row 3, column 4"' in text  # what a CAT tool shows beside 836亿元
    cells = {s.source: s.cell for s in read_segment_file(tmp_path / "leshan.zh-en.xlf").segments}
    assert cells["836亿元"] == Cell(1, 2, 3)
    assert cells["数据来自乐山市统计局，2025年为预计数。"].columns == 4


def test_word_row_that_starts_late_keeps_its_cells_under_their_columns(tmp_path):
    import docx
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from leshan_pub.document import Cell

    word = docx.Document()
    table = word.add_table(rows=2, cols=3)
    for c, text in enumerate(("指标", "2024年", "2025年")):
        table.cell(0, c).text = text
    table.cell(1, 1).text, table.cell(1, 2).text = "620", "700"
    row = table.rows[1]._tr
    row.remove(row.tc_lst[0])  # the row starts at the second column, as Word writes w:gridBefore
    before = OxmlElement("w:gridBefore")
    before.set(qn("w:val"), "1")
    row.get_or_add_trPr().append(before)
    word.save(str(tmp_path / "t.docx"))
    cells = {b.text: b.cell for b in read_source(tmp_path / "t.docx").blocks}
    assert cells["620"] == Cell(1, 1, 1) and cells["700"] == Cell(1, 1, 2)


def test_a_table_nested_in_a_cell_is_read_as_a_table_of_its_own(tmp_path):
    import docx
    from leshan_pub.document import Cell
    from leshan_pub.publish.tables import Grid, gather
    from leshan_pub.segment import segment_blocks

    word = docx.Document()
    outer = word.add_table(rows=2, cols=2)
    outer.cell(0, 0).text, outer.cell(0, 1).text, outer.cell(1, 1).text = "甲", "乙", "丁"
    inner = outer.cell(1, 0).add_table(rows=1, cols=2)
    inner.cell(0, 0).text, inner.cell(0, 1).text = "内一", "内二"
    word.save(str(tmp_path / "t.docx"))
    blocks = read_source(tmp_path / "t.docx").blocks
    cells = {b.text: b.cell for b in blocks}
    assert cells["丁"] == Cell(1, 1, 1) and cells["内一"] == Cell(2, 0, 0)
    segments = segment_blocks(blocks)
    grids = [g for g in gather([[s] for s in segments]) if isinstance(g, Grid)]
    assert [(g.table, g.rows, g.columns) for g in grids] == [(1, 2, 2), (2, 1, 2)]  # the parent stays whole
