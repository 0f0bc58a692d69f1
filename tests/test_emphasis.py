"""Emphasis as marks beside the text: runs, placement in machine English, the segment file's <g> tags."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leshan_pub.document import Document, Emphasis, Mark, Provenance, ReviewState, Role, Segment
from leshan_pub.emphasis import UNPLACED_NOTE, clip, join, marks_of_runs, place_in_target, styled_runs
from leshan_pub.pipeline import merge_segments
from leshan_pub.formats.segfile import parse_xliff, render_xliff
from leshan_pub.terms import Glossary, Term

B, I = Emphasis.BOLD, Emphasis.ITALIC
GLOSSARY = Glossary([Term("链主企业", "chain-leader enterprise", ("chain-leader enterprises",)), Term("钒电池", "vanadium battery")])

marks = st.lists(
    st.builds(lambda a, b, s: Mark(min(a, b), max(a, b), s), st.integers(0, 12), st.integers(0, 12), st.sampled_from(Emphasis)),
    max_size=5,
)


@given(st.text(alphabet="乐山大佛ab ", min_size=1, max_size=12), marks)
def test_runs_and_marks_are_inverse(text, given_marks):
    runs = styled_runs(text, given_marks)
    assert "".join(piece for piece, _ in runs) == text
    again = marks_of_runs(runs)
    assert again[0] == text and styled_runs(*again) == runs


def test_join_moves_marks_and_clip_cuts_them_at_the_bounds():
    text, joined = join([("乐山大佛", (Mark(0, 2, B),)), ("是世界遗产", (Mark(1, 3, I),))])
    assert text == "乐山大佛是世界遗产" and joined == (Mark(0, 2, B), Mark(5, 7, I))
    assert clip(joined, 1, 6) == (Mark(0, 1, B), Mark(4, 5, I))


@pytest.mark.parametrize(
    ("source", "source_marks", "target", "placed", "unplaced"),
    [
        # a whole-sentence mark covers the whole English
        ("建设国家级酒业创新中心。", (Mark(0, 12, B),), "Build a national liquor innovation centre.", [(0, 42, B)], []),
        # a glossary term's mark lands on its English, wherever the model put it
        ("链主企业带动上下游。", (Mark(0, 4, B),), "Upstream firms follow the chain-leader enterprises.", [(26, 49, B)], []),
        # anything else is left to the translator, with a note saying what and where
        ("链主企业带动上下游。", (Mark(6, 9, I),), "The chain-leader enterprise leads upstream.", [], ["上下游"]),
        # a glossary term whose English the model left out cannot be placed either
        ("钒电池项目开工。", (Mark(0, 3, B),), "The project started.", [], ["钒电池"]),
    ],
)
def test_machine_english_gets_the_emphasis_it_can_place(source, source_marks, target, placed, unplaced):
    segment = Segment("s1", 0, Role.PARAGRAPH, source, target, source_marks=source_marks)
    got, notes = place_in_target(segment, GLOSSARY)
    assert [(m.start, m.end, m.style) for m in got] == placed
    assert notes == [UNPLACED_NOTE.format(style=I if "上下游" in n else B, text=n) for n in unplaced]


def test_segment_file_keeps_nested_emphasis_as_xliff_g_tags():
    segment = Segment(
        "s1", 0, Role.PARAGRAPH, "乐山大佛是世界最大的石刻佛像。", "The Leshan Giant Buddha is the largest.",
        ReviewState.REVIEWED, source_marks=(Mark(0, 4, B), Mark(2, 8, I)), target_marks=(Mark(4, 23, B),),
    )
    data = render_xliff(Document("x", [segment], Provenance("1", "1")))
    assert b'<g id="1" ctype="bold">' in data and b'ctype="italic"' in data
    assert parse_xliff(data).segments == [segment]


def test_translate_toolkit_reads_the_g_tags_as_inline_codes_around_the_text():
    xliff = pytest.importorskip("translate.storage.xliff")
    segment = Segment("s1", 0, Role.PARAGRAPH, "链主企业带动发展。", "Chain-leader enterprises lead.",
                      ReviewState.REVIEWED, source_marks=(Mark(0, 4, B),))
    store = xliff.xlifffile(render_xliff(Document("x", [segment], Provenance("1", "1"))))
    unit = store.units[0]
    assert "链主企业" in unit.source and unit.source.endswith("带动发展。")


def test_a_cat_tools_target_with_tags_and_native_codes_is_read_as_text():
    data = render_xliff(Document("x", [Segment("s1", 0, Role.PARAGRAPH, "链主企业。", "x", ReviewState.REVIEWED)], Provenance("1", "1")))
    data = data.replace(
        b'<target state="translated">x</target>',
        b'<target state="translated">The <g id="1" ctype="bold">chain leader</g><x id="9"/> leads <mrk mtype="term">now</mrk>.</target>',
    )
    segment = parse_xliff(data).segments[0]
    assert segment.target == "The chain leader leads now."
    assert segment.target_marks == (Mark(4, 16, B),)


def test_resegmenting_keeps_the_reviewed_english_emphasis():
    old = Document("x", [Segment("s1", 0, Role.PARAGRAPH, "链主企业。", "Leaders.", ReviewState.REVIEWED,
                                 source_marks=(Mark(0, 4, B),), target_marks=(Mark(0, 7, B),))], Provenance("1", "1"))
    fresh = [Segment("s1", 0, Role.PARAGRAPH, "链主企业。", source_marks=(Mark(0, 2, I),))]
    merged, _ = merge_segments(fresh, old)
    assert merged[0].target_marks == (Mark(0, 7, B),)
    assert merged[0].source_marks == (Mark(0, 2, I),)  # the source's emphasis is the article's, as edited


def test_cat_tool_round_trip_keeps_the_tags_the_translator_placed(tmp_path):
    from leshan_pub.formats.exchange import ExportFormat, export_document
    from leshan_pub.review import import_file
    from leshan_pub.formats.segfile import read_segment_file, write_segment_file

    segment = Segment("s1", 0, Role.PARAGRAPH, "链主企业带动发展。", "Leaders drive growth.", ReviewState.MACHINE,
                      source_marks=(Mark(0, 4, B),))
    segfile = tmp_path / "a.zh-en.xlf"
    write_segment_file(segfile, Document("a", [segment], Provenance("1", "1")))
    exported = export_document(read_segment_file(segfile), ExportFormat.XLIFF, GLOSSARY).decode("utf-8")
    assert '<source><g id="1" ctype="bold">链主企业</g>带动发展。</source>' in exported  # no white space slipped in
    edited = exported.replace(
        '<target state="needs-review-translation" state-qualifier="mt-suggestion">Leaders drive growth.</target>',
        '<target state="translated"><g id="1" ctype="bold">Chain-leader enterprises</g> drive growth.</target>',
    )
    (tmp_path / "back.xlf").write_text(edited, encoding="utf-8")
    import_file(tmp_path / "back.xlf", segfile)
    back = read_segment_file(segfile).segments[0]
    assert back.target == "Chain-leader enterprises drive growth." and back.state is ReviewState.REVIEWED
    assert back.target_marks == (Mark(0, 24, B),)
