"""Test articles in Word and Markdown, written by the tests themselves (python-docx writes the .docx)."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import docx
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.packuri import PackURI
from docx.opc.part import Part
from docx.oxml import parse_xml
from docx.shared import Mm

from leshan_pub.document import Emphasis, Role

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def tiny_png() -> bytes:
    """A 2x2 grey PNG."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"".join(b"\x00" + b"\x80\x80\x80" * 2 for _ in range(2))
    header = struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


# (role the reader must find, Chinese text) for every block of the Word article, in order.
DOCX_EXPECTED: list[tuple[Role, str]] = [
    (Role.TITLE, "宜宾：动力电池之都的新质生产力"),
    (Role.HEADING, "一、产业链加速成势"),
    (Role.PARAGRAPH, "2025年，宜宾动力电池产业产值突破2000亿元，链主企业带动上下游企业集聚发展。全市新增规上工业企业86家。"),
    (Role.CAPTION, "宜宾三江口航拍"),
    (Role.CAPTION, "图为宜宾三江口夜景"),
    (Role.HEADING, "（一）重点项目"),
    (Role.LIST, "钒电池储能项目总投资36.3亿元，年内开工。"),
    (Role.LIST, "1. 多晶硅扩产项目新增产能5万吨。"),  # Word's automatic number, as Word shows it
    (Role.HEADING, "二级小标题"),
    (Role.HEADING, "加粗的小标题"),
    (Role.CELL, "指标"),
    (Role.CELL, "2025年"),
    (Role.CELL, "产值（亿元）"),
    (Role.CELL, "2000"),
    (Role.PARAGRAPH, "下一步，宜宾将继续培育新质生产力。"),
    (Role.CAPTION, "〔图片〕"),
    (Role.CREDIT, "来源：宜宾日报"),
    (Role.NOTE, "数据来自宜宾市统计局2025年公报。"),
    (Role.NOTE, "本文为宜宾市投资促进局供稿。"),
]
DOCX_MARKED = ("链主企业", Emphasis.BOLD), ("上下游", Emphasis.ITALIC)
DOCX_SKIPPED = ("text box", "header", "comment", "footnote")  # its two pictures are carried, not skipped


def write_docx_article(path: Path) -> Path:
    """A Word article with every role: styled title, headings, captions, lists, a table with a merged
    cell, bold and italic runs, an image with alt text and one without, a footnote, a text box,
    a header and a comment (the last three to be reported, not lost)."""
    word = docx.Document()
    word.sections[0].header.paragraphs[0].text = "宜宾日报 内部资料"
    word.add_paragraph("宜宾：动力电池之都的新质生产力", style="Title")
    word.add_paragraph("一、产业链加速成势", style="Heading 1")
    body = word.add_paragraph("2025年，宜宾动力电池产业产值突破2000亿元，")
    body.add_run("链主企业").bold = True
    body.add_run("带动")
    body.add_run("上下游").italic = True
    body.add_run("企业集聚发展。全市新增规上工业企业86家。")
    _note_reference(body.add_run(), "footnote", 1)
    picture = word.add_paragraph().add_run().add_picture(str(_png(path)), width=Mm(20))
    picture._inline.docPr.set("descr", "宜宾三江口航拍")
    word.add_paragraph("图为宜宾三江口夜景", style="Caption")
    word.add_paragraph("（一）重点项目", style="Heading 2")
    word.add_paragraph("钒电池储能项目总投资36.3亿元，年内开工。", style="List Bullet")
    word.add_paragraph("多晶硅扩产项目新增产能5万吨。", style="List Number")
    word.add_paragraph("二级小标题", style="Heading 3")
    bold_heading = word.add_paragraph()
    bold_heading.add_run("加粗的小标题").bold = True
    table = word.add_table(rows=3, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "指标", "2025年"
    table.cell(1, 0).text, table.cell(1, 1).text = "产值（亿元）", "2000"
    table.cell(2, 0).merge(table.cell(2, 1))  # an empty merged row: read once, adds nothing
    closing = word.add_paragraph("下一步，宜宾将继续培育新质生产力。")
    _note_reference(closing.add_run(), "endnote", 1)  # the same number as the footnote: a separate note
    word.add_comment(closing.runs, text="核对数字", author="编辑")
    _text_box(word.add_paragraph(), "扫码关注宜宾发布")
    word.add_paragraph().add_run().add_picture(str(_png(path)), width=Mm(20))
    word.add_paragraph("来源：宜宾日报")
    _notes(word, "footnote", {1: "数据来自宜宾市统计局2025年公报。"})
    _notes(word, "endnote", {1: "本文为宜宾市投资促进局供稿。"})
    word.save(str(path))
    return path


def _png(path: Path) -> Path:
    image = path.with_name("pixel.png")
    image.write_bytes(tiny_png())
    return image


def _note_reference(run, kind: str, note_id: int) -> None:  # noqa: ANN001
    run._r.append(parse_xml(f'<w:{kind}Reference xmlns:w="{W}" w:id="{note_id}"/>'))


def _notes(word, kind: str, notes: dict[int, str]) -> None:  # noqa: ANN001
    """python-docx writes no footnotes or endnotes: add the part by hand, as Word lays it out."""
    items = "".join(
        f'<w:{kind} w:id="{i}"><w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:{kind}>' for i, text in notes.items()
    )
    xml = (
        f'<w:{kind}s xmlns:w="{W}">'
        f'<w:{kind} w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r></w:p></w:{kind}>'
        f'<w:{kind} w:type="continuationSeparator" w:id="0"><w:p><w:r><w:continuationSeparator/></w:r></w:p></w:{kind}>'
        f"{items}</w:{kind}s>"
    ).encode()
    content_type = f"application/vnd.openxmlformats-officedocument.wordprocessingml.{kind}s+xml"
    part = Part(PackURI(f"/word/{kind}s.xml"), content_type, xml, word.part.package)
    word.part.relate_to(part, RT.FOOTNOTES if kind == "footnote" else RT.ENDNOTES)


def _text_box(paragraph, text: str) -> None:  # noqa: ANN001
    """A VML text box, the form every Word version reads."""
    paragraph._p.append(parse_xml(
        f'<w:r xmlns:w="{W}" xmlns:v="urn:schemas-microsoft-com:vml"><w:pict><v:shape style="width:100pt;height:30pt">'
        f"<v:textbox><w:txbxContent><w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:txbxContent></v:textbox>"
        "</v:shape></w:pict></w:r>"
    ))


MARKDOWN_ARTICLE = """# 泸州：**白酒**产业的新质生产力

## 一、酒业转型

泸州白酒产业2025年营收突破1500亿元，**链主企业**带动*上下游*协同发展。
全市酒类企业超过2000家。

![泸州老窖窖池](jiaochi.jpg)

图为泸州老窖窖池

### 重点任务

- 推进多晶硅与白酒产业融合。
- **建设国家级酒业创新中心。**
1. 第一批项目已开工。

**加粗的小标题**

| 指标 | 2025年 |
|---|---|
| 营收（亿元） | 1500 |

> 泸州将继续培育新质生产力。

```
这段代码不翻译
```

<div>网页片段</div>

更多信息见[泸州发布](https://example.org)。

来源：泸州日报
"""

MARKDOWN_EXPECTED: list[tuple[Role, str]] = [
    (Role.TITLE, "泸州：白酒产业的新质生产力"),
    (Role.HEADING, "一、酒业转型"),
    (Role.PARAGRAPH, "泸州白酒产业2025年营收突破1500亿元，链主企业带动上下游协同发展。全市酒类企业超过2000家。"),
    (Role.CAPTION, "泸州老窖窖池"),
    (Role.CAPTION, "图为泸州老窖窖池"),
    (Role.HEADING, "重点任务"),
    (Role.LIST, "推进多晶硅与白酒产业融合。"),
    (Role.LIST, "建设国家级酒业创新中心。"),
    (Role.LIST, "1. 第一批项目已开工。"),  # an ordered list's number is the author's text
    (Role.HEADING, "加粗的小标题"),
    (Role.CELL, "指标"),
    (Role.CELL, "2025年"),
    (Role.CELL, "营收（亿元）"),
    (Role.CELL, "1500"),
    (Role.PARAGRAPH, "泸州将继续培育新质生产力。"),
    (Role.PARAGRAPH, "更多信息见泸州发布。"),
    (Role.CREDIT, "来源：泸州日报"),
]
MARKDOWN_MARKED = (
    ("白酒", Emphasis.BOLD), ("链主企业", Emphasis.BOLD), ("上下游", Emphasis.ITALIC), ("建设国家级酒业创新中心。", Emphasis.BOLD),
)
MARKDOWN_SKIPPED = ("code block", "HTML block", "link", "image 'jiaochi.jpg': cannot be read")


# The investor article: a heading, prose, a 4x5 table of figures with a merged cell, and a picture.
INVESTOR_TABLE = [
    ["指标", "2023年", "2024年", "2025年", "同比增长（%）"],
    ["地区生产总值（亿元）", "2205.2", "2356", "2480", "5.3"],
    ["工业投资（亿元）", "620", "700", "836亿元", "12.5%"],
    ["说明", "数据来自乐山市统计局，2025年为预计数。", None, None, None],  # None: merged into the cell before
]
INVESTOR_PROSE = "2025年，乐山市经济运行稳中有进，工业投资保持两位数增长，新兴产业加速成势。"
INVESTOR_CAPTION = "乐山高新区全景"


def write_investor_docx(path: Path) -> Path:
    """A Word article as investor-relations staff receive it: a title, a heading, prose, a 4x5 table
    with a header row, a merged cell, figures with units in the cells and in the row labels, and a
    picture far wider than the page (to be scaled down) with alt text and a caption."""
    word = docx.Document()
    word.add_paragraph("乐山经济运行情况", style="Title")
    word.add_paragraph("一、主要指标", style="Heading 1")
    word.add_paragraph(INVESTOR_PROSE)
    table = word.add_table(rows=4, cols=5)
    for r, row in enumerate(INVESTOR_TABLE):
        for c, text in enumerate(row):
            if text is not None:
                table.cell(r, c).text = text
    table.cell(3, 1).merge(table.cell(3, 4))
    table.cell(3, 1).text = INVESTOR_TABLE[3][1]  # merging joins the cells' paragraphs: one text again
    picture = word.add_paragraph().add_run().add_picture(str(_png(path)), width=Mm(300))
    picture._inline.docPr.set("descr", INVESTOR_CAPTION)
    word.add_paragraph("图为乐山高新区", style="Caption")
    word.add_paragraph("下一步，乐山将继续培育新质生产力。")
    word.save(str(path))
    return path


def investor_chinese() -> str:
    """Every Chinese character the investor article's reader must find in a published file."""
    cells = "".join(text for row in INVESTOR_TABLE for text in row if text)
    return "乐山经济运行情况一、主要指标" + INVESTOR_PROSE + cells + INVESTOR_CAPTION + "图为乐山高新区下一步，乐山将继续培育新质生产力。"
