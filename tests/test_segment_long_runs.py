"""Text of any shape: runs without sentence punctuation are cut into pieces the model takes whole."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import GLOSSARY, SAMPLE
from leshan_pub.document import Block, Role
from leshan_pub.glossary import load_glossary
from leshan_pub.rules import load_rules
from leshan_pub.segment import segment_blocks, split_long

LIMIT = int(load_rules("segment")["piece_characters"])  # what a cut piece may hold
WHOLE = int(load_rules("segment")["max_characters"])  # what stays whole
NUMBERS = re.compile(r"[0-9０-９]+(?:[.,．][0-9０-９]+)*%?")


def unpunctuated(length: int) -> str:
    """The sample article with its punctuation and white space taken out, repeated to length."""
    body = re.sub(r"[。！？；，、：“”‘’（）《》—…\s.!?;,:]", "", SAMPLE.read_text(encoding="utf-8"))
    return (body * (length // len(body) + 1))[:length]


def spans_of(glossary):  # noqa: ANN001, ANN202
    return lambda text: [(hit.start, hit.end) for hit in glossary.find(text)]


def test_a_30000_character_run_becomes_segments_the_model_takes_whole() -> None:
    text = unpunctuated(30_000)
    glossary = load_glossary(GLOSSARY)
    segments = segment_blocks([Block(0, Role.PARAGRAPH, text, 1)], spans_of(glossary))
    assert "".join(s.source for s in segments) == text  # every character, in order, in some segment
    assert max(len(s.source) for s in segments) <= LIMIT
    assert len(segments) >= 30_000 // LIMIT
    for left, right in zip(segments, segments[1:]):
        joint = len(left.source)
        around = left.source + right.source
        for match in NUMBERS.finditer(around):
            assert not match.start() < joint < match.end(), f"number {match.group()} cut at the joint"
        for hit in glossary.find(around):
            assert not hit.start < joint < hit.end, f"term {hit.term.source} cut at the joint"


def test_a_long_title_is_cut_too() -> None:
    # A pasted table or OCR page often lands as the 'title' (the first line): its role keeps no run whole.
    segments = segment_blocks([Block(0, Role.TITLE, unpunctuated(1_000), 1)])
    assert max(len(s.source) for s in segments) <= LIMIT and "".join(s.source for s in segments) == unpunctuated(1_000)


@pytest.mark.parametrize(
    ("text", "first"),
    [
        # After the last clause mark that leaves a long enough piece.
        ("乐" * 50 + "，" + "山" * 300, "乐" * 50 + "，"),
        # Else after a space.
        ("乐" * 60 + " " + "山" * 300, "乐" * 60 + " "),
        # Else never inside a number: 123,456.78 moves whole to the next piece.
        ("乐" * 115 + "123,456.78" + "山" * 200, "乐" * 115),
        # Nor inside a Latin word.
        ("乐" * 116 + "Lutetium" + "山" * 200, "乐" * 116),
    ],
)
def test_where_a_long_run_is_cut(text: str, first: str) -> None:
    pieces = split_long(text)
    assert pieces[0] == first and "".join(pieces) == text


def test_a_glossary_term_across_the_limit_stays_whole() -> None:
    text = "乐" * 117 + "新质生产力" + "山" * 200
    pieces = split_long(text, lambda t: [(m.start(), m.end()) for m in re.finditer("新质生产力", t)])
    assert len(pieces[0]) <= 117 and pieces[1].lstrip("乐").startswith("新质生产力") and "".join(pieces) == text


def test_text_within_the_limit_is_untouched() -> None:
    text = "乐山，" * (WHOLE // 3)  # a long real sentence: within max_characters it stays one segment
    assert split_long(text) == [text]


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet="乐山新质生产力核医药12３.,， abcXYZ、：", min_size=0, max_size=700))
def test_pieces_join_back_and_fit(text: str) -> None:
    pieces = split_long(text)
    assert "".join(pieces) == text
    assert all(len(piece) <= LIMIT for piece in pieces)
