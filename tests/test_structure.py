import pytest

from helpers import DATA, SAMPLE
from leshan_pub.document import Role
from leshan_pub.read import read_article
from leshan_pub.structure import parse_structure


def roles(text: str) -> list[tuple[Role, str]]:
    return [(b.role, b.text) for b in parse_structure(text)]


def test_sample_title_is_joined_from_its_two_lines():
    blocks = parse_structure(read_article(SAMPLE))
    titles = [b.text for b in blocks if b.role is Role.TITLE]
    assert titles == ["四川乐山：培育新质生产力，塑造发展新动能新优势"]


def test_sample_broken_paragraph_is_rejoined():
    blocks = parse_structure(read_article(SAMPLE))
    joined = [b for b in blocks if "其石墨化、负极材料一体化工序" in b.text]
    assert len(joined) == 1 and joined[0].role is Role.PARAGRAPH
    assert not any(b.text.startswith("材料一体化工序") for b in blocks)


def test_sample_headings_captions_and_credit():
    blocks = parse_structure(read_article(SAMPLE))
    by_role = {role: [b.text for b in blocks if b.role is role] for role in Role}
    assert by_role[Role.HEADING] == ["向新而行 新赛道产业加速成势", "以质求变 优势传统产业蝶变升级", "协同向优 工农文旅融合发展"]
    assert "希尔电子生产车间" in by_role[Role.CAPTION]
    assert "峨眉山市高桥镇威士忌酒庄工旅融合项目效果图" in by_role[Role.CAPTION]
    assert "大渡河、青衣江和岷江三江在乐山交汇" in by_role[Role.CAPTION]
    assert by_role[Role.CREDIT] == ["数据来源：中共乐山市委宣传部"]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("标题一行\n\n正文第一句很长很长很长很长很长很长很长很长很长很长很长很长很长很长很长很长很长很长很长。",
         [Role.TITLE, Role.PARAGRAPH]),
        ("主标题：\n副标题在这里\n\n正文。", [Role.TITLE, Role.PARAGRAPH]),
        ("标题\n\n一、第一部分\n正文。\n（二）第二部分\n正文。", [Role.TITLE, Role.HEADING, Role.PARAGRAPH, Role.HEADING, Role.PARAGRAPH]),
        ("标题\n\n正文。\n\n图为工人在车间作业\n\n正文。", [Role.TITLE, Role.PARAGRAPH, Role.CAPTION, Role.PARAGRAPH]),
        ("标题\n\n正文。\n\n（记者 王五 摄）", [Role.TITLE, Role.PARAGRAPH, Role.CREDIT]),
        ("标题\n\n正文。\n\n来源：新华社", [Role.TITLE, Role.PARAGRAPH, Role.CREDIT]),
        ("标题\n\n正文。\n\n\n\n厂区一角\n\n\n\n", [Role.TITLE, Role.PARAGRAPH, Role.CAPTION]),
        ("标题\n\n正文。\n\n小标题在此\n\n这是一段很长的正文，说明小标题后面紧跟的是正文段落，所以它是小标题而不是图片说明文字。",
         [Role.TITLE, Role.PARAGRAPH, Role.HEADING, Role.PARAGRAPH]),
        ("乐山绿色硅谷建设提速\n——记乐山市多晶硅产业链发展\n\n正文。", [Role.TITLE, Role.TITLE, Role.PARAGRAPH]),
        ("标题\n\n正文。\n\n主要指标如下：\n1.多晶硅产量：12.6万吨；\n2.单晶硅片产量：30GW。",
         [Role.TITLE, Role.PARAGRAPH, Role.PARAGRAPH, Role.PARAGRAPH, Role.PARAGRAPH]),
        ("标题\n\n正文。\n\n峨眉山月半轮秋，\n影入平羌江水流。\n夜发清溪向三峡，\n思君不见下渝州。",
         [Role.TITLE, Role.PARAGRAPH, Role.PARAGRAPH, Role.PARAGRAPH, Role.PARAGRAPH, Role.PARAGRAPH]),
        ("标题\n\n正文。\n\n——一段以破折号开头的正文里的短行\n\n正文。", [Role.TITLE, Role.PARAGRAPH, Role.HEADING, Role.PARAGRAPH]),
    ],
    ids=["plain", "split-title", "numbered-headings", "caption-prefix", "credit-photographer", "credit-source",
         "caption-by-image-gap", "heading-before-prose", "subtitle", "lead-in-to-a-list", "verse",
         "dash-line-away-from-the-title"],
)
def test_roles_of_hand_written_articles(text, expected):
    assert [role for role, _ in roles(text)] == expected


def test_an_interviews_reporter_turns_are_paragraphs_and_its_byline_a_credit():
    # 记者 opens a credit ("记者 王五 摄") and, in an interview, the reporter's questions.
    text = (
        "专访\n\n记者：“十四五”以来，乐山全钒液流电池产业发展情况如何？\n\n答：发展很快。\n\n"
        "记者：医用同位素方面呢？\n\n记者：请您具体谈谈链主企业在招商引资、技术攻关和人才培养这三个方面分别发挥了什么作用，效果怎样。\n\n"
        "答：好。\n\n（记者 王五 摄）\n\n记者：张三 李四"
    )
    assert [role for role, _ in roles(text)] == [
        Role.TITLE, Role.PARAGRAPH, Role.PARAGRAPH, Role.PARAGRAPH, Role.PARAGRAPH, Role.PARAGRAPH,
        Role.CREDIT, Role.CREDIT,
    ]


_LONG = "今年以来，乐山全市新开工钒电池项目12个，总投资超过100亿元，产业链上下游企业加快集聚。"


@pytest.mark.parametrize(("text", "expected"), [
    # A web page's dateline under the title: a credit, not a heading.
    (f"乐山钒电池产业加速崛起\n2024-03-15 08:30\u3000来源：四川日报\n\n{_LONG}", [Role.TITLE, Role.CREDIT, Role.PARAGRAPH]),
    (f"乐山钒电池产业加速崛起\n２０２４年０３月１５日\n\n{_LONG}", [Role.TITLE, Role.CREDIT, Role.PARAGRAPH]),
    (f"乐山钒电池产业加速崛起\n人民网\u30002024年03月15日\u3000来源：乐山日报\n\n{_LONG}", [Role.TITLE, Role.CREDIT, Role.PARAGRAPH]),
    # 原标题： and a publication time above the title are passed over: the title is the next line.
    (f"原标题：钒电池\n乐山钒电池产业加速崛起\n\n{_LONG}", [Role.CREDIT, Role.TITLE, Role.PARAGRAPH]),
    (f"發佈時間：2024-03-15\n樂山釩電池產業加速崛起\n\n{_LONG}", [Role.CREDIT, Role.TITLE, Role.PARAGRAPH]),
    # A timeline's dated entry is no dateline.
    (f"项目大事记\n\n2023年5月12日\u3000项目签约\n\n{_LONG}", [Role.TITLE, Role.HEADING, Role.PARAGRAPH]),
])
def test_a_web_pages_dateline_and_original_title_are_credits(text, expected):
    assert [role for role, _ in roles(text)] == expected


def test_rejoin_does_not_swallow_a_following_heading():
    long_line = "这是一个因为排版而没有写完的段落" * 4
    blocks = parse_structure(f"标题\n\n{long_line}\n\n一、下一部分\n\n正文。")
    assert [b.role for b in blocks] == [Role.TITLE, Role.PARAGRAPH, Role.HEADING, Role.PARAGRAPH]


def test_hand_written_article_with_hard_cases():
    blocks = parse_structure(read_article(DATA / "zigong-lantern.zh.txt"))
    got = [(b.role, b.text[:8]) for b in blocks]
    assert got[0] == (Role.TITLE, "自贡灯会走向世界")
    assert (Role.CAPTION, "（图为自贡彩灯大") in got
    assert (Role.HEADING, "一、创新驱动 老") in got
    assert (Role.CAPTION, "彩灯制作车间") in got
    assert got[-1] == (Role.CREDIT, "（记者 李明 摄")


def test_crlf_article_with_single_newlines():
    blocks = parse_structure(read_article(DATA / "chengdu-plain-crlf.zh.txt"))
    assert [b.role for b in blocks] == [Role.TITLE, Role.PARAGRAPH, Role.HEADING, Role.PARAGRAPH, Role.CAPTION, Role.CREDIT]


def test_blank_text_has_no_blocks():
    assert parse_structure("\n \n\u3000\n") == []
