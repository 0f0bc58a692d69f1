"""Titles and headings in the PDF break only between words, over lines of even width."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import GLOSSARY, SAMPLE_SEGFILE, broken_words
from leshan_pub.document import Document, Provenance, ReviewState, Role, Segment
from leshan_pub.formats.segfile import read_segment_file
from leshan_pub.glossary import load_glossary
from leshan_pub.publish import PublishOptions, publish, terms_used
from leshan_pub.publish.linebreak import break_balanced, break_lines
from leshan_pub.words import WordBreaks
from test_publish_linebreak import grid

SAMPLE_TITLE = "四川乐山：培育新质生产力，塑造发展新动能新优势"


@pytest.mark.parametrize(
    ("text", "width", "terms", "lines"),
    [
        # The case: 培育新质生产 / 力. The term stays whole and the breaks fall after clause marks.
        (SAMPLE_TITLE, 11, ["新质生产力"], ["四川乐山：", "培育新质生产力，", "塑造发展新动能新优势"]),
        # Greedy filling gives 战略性新兴产业培 / 育…: the break moves back to the word's start.
        ("战略性新兴产业培育壮大渐成规模", 8, [], ["战略性新兴产业", "培育壮大渐成规模"]),
        # A glossary term that rjieba cuts (核技术 / 应用) stays whole; three lines of even width.
        ("夹江核技术应用产业园迎来首张许可证", 9, ["核技术应用"], ["夹江核技术应用", "产业园迎来", "首张许可证"]),
        # Latin words and figures keep their own rules; greedy would give 照明产 / 业.
        ("2025年乐山LED照明产业产值突破100亿元", 10, [], ["2025年乐山LED照明", "产业产值突破100亿元"]),
        # It fits: one line.
        ("向新而行", 10, [], ["向新而行"]),
    ],
)
def test_titles_break_between_words(text: str, width: float, terms: list[str], lines: list[str]) -> None:
    assert break_balanced(text, width, grid, WordBreaks(terms)(text)) == lines


def test_balanced_lines_need_no_more_lines_than_greedy_and_lose_nothing() -> None:
    for text in (SAMPLE_TITLE, "一二三四五六七八九十一二三四五六七八九十一二三", "以质求变 优势传统产业蝶变升级"):
        for width in (5, 7, 9, 12):
            balanced = break_balanced(text, width, grid, WordBreaks()(text))
            assert "".join(balanced).replace(" ", "") == text.replace(" ", "")
            assert all(grid(line) <= width for line in balanced)
            assert len(balanced) <= len(break_lines(text, width, grid)) + 1


def test_a_word_wider_than_the_line_is_still_cut() -> None:
    assert break_balanced("中华人民共和国", 3, grid, WordBreaks(["中华人民共和国"])("中华人民共和国")) == ["中华人", "民共和", "国"]


HEADINGS = [
    (Role.TITLE, "夹江核技术应用产业园：培育新质生产力的医用同位素高地正在加速形成"),
    (Role.HEADING, "一、从实验室到病床：放射性药物产业链的乐山样本与全国经验"),
    (Role.PARAGRAPH, "夹江核技术应用产业园迎来首张甲级辐射安全许可证，标志着全球规模最大的医用同位素生产基地正式投运。"),
    (Role.HEADING, "二、链主企业带动上下游企业集聚发展的四条路径"),
]


def own_article() -> Document:
    segments = [Segment(f"s{i}", i, role, zh, "", ReviewState.NEW) for i, (role, zh) in enumerate(HEADINGS)]
    return Document("headings", segments, Provenance("0.1.0", "1"))


@pytest.mark.parametrize("layout", ["side-by-side", "interleaved"])
def test_no_title_or_heading_of_the_sample_or_our_article_breaks_inside_a_word(tmp_path: Path, layout: str) -> None:
    glossary = load_glossary(GLOSSARY)
    for document in (read_segment_file(SAMPLE_SEGFILE), own_article()):
        (pdf,) = publish(document, glossary, tmp_path / layout, ("pdf",), PublishOptions(layout=layout))
        headings = ["".join(s.source for s in b) for b in document.blocks() if b[0].role in (Role.TITLE, Role.HEADING)]
        terms = [t.source for t in terms_used(document, glossary)]
        assert broken_words(pdf, headings, terms) == []
