"""The one unit: a segment, an import row and a memory entry are each a Unit, and read the same fields alike."""

from dataclasses import fields

from leshan_pub.document import Document, Emphasis, Mark, Match, Provenance, ReviewState, Role, Segment, Unit
from leshan_pub.formats.csvfile import export_csv, read_csv
from leshan_pub.formats.segfile import parse_xliff, render_xliff
from leshan_pub.formats.xliff_export import export_xliff, read_xliff
from leshan_pub.memory import human_entries, parse_tmx, render_tmx

A, R, M, N = ReviewState.APPROVED, ReviewState.REVIEWED, ReviewState.MACHINE, ReviewState.NEW
BOLD = Emphasis.BOLD


def document() -> Document:
    segments = [
        Segment("t1", 0, Role.TITLE, "乐山：新动能", "Leshan: new drivers", A),
        Segment("p1", 1, Role.PARAGRAPH, "链主企业带动发展。", "Chain-leader enterprises drive growth.", R,
                ["checked figures"], source_marks=(Mark(0, 4, BOLD),), target_marks=(Mark(0, 25, BOLD),),
                comments=["is 'drive' right?"]),
        Segment("p2", 1, Role.PARAGRAPH, "第二句。", "Second sentence.", M,
                matches=[Match("第二句话。", "The second sentence.", 88, "old/p7")]),
        Segment("c1", 2, Role.CAPTION, "希尔电子生产车间", "", N),
    ]
    return Document("demo", segments, Provenance("0.1.0", "1"), original="demo.zh.txt")


def unit_fields(unit: Unit) -> dict[str, object]:
    return {f.name: getattr(unit, f.name) for f in fields(Unit)}


def test_a_segment_is_made_id_block_role_source_as_before():
    # Over eighty callers pass a segment's fields by position; the unit it now is must not reorder them.
    segment = Segment("s1", 3, Role.HEADING, "乐山", "Leshan", R, ["a note"], [], None)
    assert (segment.id, segment.block, segment.role, segment.source, segment.target) == ("s1", 3, Role.HEADING, "乐山", "Leshan")
    assert (segment.state, segment.notes, segment.signature) == (R, ["a note"], None)


def test_a_unit_becomes_a_segment_with_every_field_it_holds():
    unit = Unit("s2", "第一句。", "First.", R, ["note"], [Match("第一句", "First", 90, "d/s1")],
                source_marks=(Mark(0, 1, BOLD),), target_marks=(Mark(0, 5, BOLD),), comments=["ok?"])
    segment = Segment.from_unit(unit, block=4, role=Role.CAPTION)
    assert unit_fields(segment) == unit_fields(unit)
    assert (segment.block, segment.role) == (4, Role.CAPTION)


def test_the_segment_file_and_an_xliff_import_read_a_trans_unit_alike():
    doc = document()
    segments = parse_xliff(render_xliff(doc)).segments
    rows, problems = read_xliff(export_xliff(doc, None), "demo.xlf")
    assert problems == []
    for segment, row in zip(segments, rows, strict=True):
        assert unit_fields(row) == unit_fields(segment)
    assert unit_fields(segments[1]) == unit_fields(doc.segments[1])  # marks, notes, comments, all kept


def test_a_csv_row_is_the_same_unit_less_what_a_spreadsheet_cannot_carry():
    doc = document()
    rows, problems = read_csv(export_csv(doc, None), "demo.csv")
    assert problems == []
    assert [(r.id, r.source, r.target, r.state) for r in rows] == [(s.id, s.source, s.target, s.state) for s in doc.segments]
    assert not any(row.carries_marks for row in rows)  # its English keeps no emphasis: a CSV cannot say


def test_a_memory_entry_keeps_the_id_of_the_segment_it_came_from_through_tmx():
    entries = human_entries(document().segments, "demo", who="Li Wei")
    back = parse_tmx(render_tmx(entries))
    assert [(e.id, e.source, e.target, e.state, e.origin) for e in back] == [
        ("t1", "乐山：新动能", "Leshan: new drivers", A, "demo/t1"),
        ("p1", "链主企业带动发展。", "Chain-leader enterprises drive growth.", R, "demo/p1"),
    ]
