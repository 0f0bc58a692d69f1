import os

import pytest

from helpers import GOLDEN, SAMPLE
from leshan_pub.document import Block, Role
from leshan_pub.read import read_article
from leshan_pub.segment import segment_blocks, split_sentences
from leshan_pub.structure import parse_structure


@pytest.mark.parametrize(
    "text, expected",
    [
        ("第一句。第二句！第三句？", ["第一句。", "第二句！", "第三句？"]),
        ("他说：“我们来了。”然后走了。", ["他说：“我们来了。”", "然后走了。"]),
        ("“我们常说‘灯在人在’，”老人说，“这是根。”", ["“我们常说‘灯在人在’，”老人说，“这是根。”"]),
        ("目标是“做强。”，继续。", ["目标是“做强。”，继续。"]),
        ("产值突破500亿元；力争用3—5年。", ["产值突破500亿元；", "力争用3—5年。"]),
        ("入选“旅游助力乡村振兴案例”……下一句。", ["入选“旅游助力乡村振兴案例”……", "下一句。"]),
        ("真的吗？！是的。", ["真的吗？！", "是的。"]),
        ("总投资36.3亿元。", ["总投资36.3亿元。"]),
        ("（简称“伟力得”）全钒液流电池。", ["（简称“伟力得”）全钒液流电池。"]),
        ("没有句号的尾巴", ["没有句号的尾巴"]),
        ("第一句。（注：括号内。）第二句。", ["第一句。", "（注：括号内。）", "第二句。"]),
    ],
)
def test_split_sentences(text, expected):
    assert split_sentences(text) == expected


def test_split_sentences_never_loses_a_character():
    text = read_article(SAMPLE)
    for block in parse_structure(text):
        assert "".join(split_sentences(block.text)) == block.text


def test_ids_are_stable_and_local_to_the_edited_sentence():
    blocks = [Block(0, Role.PARAGRAPH, "第一句。第二句。第三句。", 1)]
    edited = [Block(0, Role.PARAGRAPH, "第一句。第二句改了。第三句。", 1)]
    before = [s.id for s in segment_blocks(blocks)]
    assert before == [s.id for s in segment_blocks(blocks)]
    after = [s.id for s in segment_blocks(edited)]
    assert before[0] == after[0] and before[2] == after[2] and before[1] != after[1]


def test_repeated_sentences_get_distinct_ids():
    blocks = [Block(0, Role.PARAGRAPH, "好。好。好。", 1)]
    ids = [s.id for s in segment_blocks(blocks)]
    assert len(set(ids)) == 3 and ids[1] == ids[0] + "-2"


def test_headings_and_captions_are_not_split():
    blocks = [Block(0, Role.CAPTION, "图一。图二。", 1)]
    assert [s.source for s in segment_blocks(blocks)] == ["图一。图二。"]


def render_golden(path) -> str:
    segments = segment_blocks(parse_structure(read_article(path)))
    lines = ["id\tblock\trole\tsource"] + [f"{s.id}\t{s.block}\t{s.role}\t{s.source}" for s in segments]
    return "\n".join(lines) + "\n"


def test_sample_structure_and_segments_match_the_golden_file():
    """Regenerate with LESHAN_PUB_UPDATE_GOLDEN=1 after a deliberate rule change, and review the diff."""
    golden = GOLDEN / "leshan-2024.segments.tsv"
    got = render_golden(SAMPLE)
    if os.environ.get("LESHAN_PUB_UPDATE_GOLDEN"):
        golden.write_text(got, encoding="utf-8")
    assert got == golden.read_text(encoding="utf-8")
