import pytest
from translate.storage import xliff as tt_xliff

from helpers import SAMPLE_SEGFILE
from leshan_pub.document import Document, Provenance, ReviewState, Role, Segment
from leshan_pub.errors import SegmentFileError
from leshan_pub.provenance import Origin
from leshan_pub.formats.segfile import (
    document_name,
    parse_xliff,
    read_segment_file,
    render_xliff,
    segment_file_for,
    write_segment_file,
)


def sample_document() -> Document:
    segments = [
        Segment("s1", 0, Role.TITLE, "四川乐山：培育新质生产力", "Leshan, Sichuan", ReviewState.APPROVED),
        Segment("s2", 1, Role.PARAGRAPH, "第一句。", "First & <second>.", ReviewState.REVIEWED, ["checked figures"]),
        Segment("s3", 1, Role.PARAGRAPH, "第二句。", "MT output", ReviewState.MACHINE, ["glossary: x"]),
        Segment("s4", 2, Role.CAPTION, "希尔电子生产车间", "", ReviewState.NEW),
        Segment("s5", 3, Role.CREDIT, "数据来源：某部门", "Source: a department", ReviewState.APPROVED),
    ]
    prov = Provenance("0.1.0", "1", model="Helsinki-NLP/opus-mt-zh-en", model_revision="abc", glossary_sha256="f00")
    return Document("demo", segments, prov, original="demo.zh.txt")


def test_round_trip_keeps_every_field():
    doc = sample_document()
    back = parse_xliff(render_xliff(doc))
    assert back == doc


def test_rendering_is_deterministic_and_one_unit_per_line_block():
    first = render_xliff(sample_document())
    assert first == render_xliff(sample_document())
    assert first.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n')
    assert first.count(b"\n") > 20  # pretty-printed, so diffs show the changed unit only


def test_translate_toolkit_reads_states_and_text():
    store = tt_xliff.xlifffile.parsestring(render_xliff(sample_document()))
    units = {u.getid().split("\x04")[-1]: u for u in store.getunits()}  # ids are file-qualified
    assert units["s1"].target == "Leshan, Sichuan" and units["s1"].isapproved()
    assert units["s2"].target == "First & <second>."
    assert units["s3"].get_state_n() < units["s2"].get_state_n() < units["s1"].get_state_n()
    assert not units["s3"].isapproved() and not units["s4"].target
    assert units["s4"].source == "希尔电子生产车间"


def test_committed_sample_segment_file_is_fully_approved():
    doc = read_segment_file(SAMPLE_SEGFILE)
    assert len(doc.segments) > 50
    assert all(s.state is ReviewState.APPROVED and s.target.strip() for s in doc.segments)
    # The project wrote and reviewed this English; no segment may claim the model made it.
    assert {s.signature.origin for s in doc.segments} == {Origin.PERSON}
    assert doc.title == "四川乐山：培育新质生产力，塑造发展新动能新优势"


@pytest.mark.parametrize(
    "data, message",
    [
        (b"<xliff", "not well-formed"),
        (b"<html/>", "not an XLIFF"),
        (
            b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
            b'<xliff xmlns="urn:oasis:names:tc:xliff:document:1.2">&e;</xliff>',
            "unsafe XML",
        ),
        (b'<xliff xmlns="urn:oasis:names:tc:xliff:document:1.2" version="1.2"/>', "no <file>"),
    ],
    ids=["truncated", "wrong-root", "external-entity", "no-file"],
)
def test_malformed_files_are_refused_with_a_reason(data, message):
    with pytest.raises(SegmentFileError, match=message):
        parse_xliff(data)


def _mutate(old: bytes, new: bytes) -> bytes:
    data = render_xliff(sample_document())
    assert old in data
    return data.replace(old, new, 1)


@pytest.mark.parametrize(
    "old, new, message",
    [
        (b'id="s2"', b'id="s1"', "appears twice"),
        (b'state="translated"', b'state="done"', "state 'done'"),
        (b'restype="x-caption"', b'restype="x-figure"', "restype 'x-figure'"),
        (b"First &amp; &lt;second&gt;.", b"", "target is empty"),
    ],
    ids=["duplicate-id", "illegal-state", "unknown-role", "empty-reviewed-target"],
)
def test_invalid_units_are_named(old, new, message):
    with pytest.raises(SegmentFileError, match=message):
        parse_xliff(_mutate(old, new))


def test_write_is_atomic_and_leaves_no_temporary_files(tmp_path):
    path = tmp_path / "demo.zh-en.xlf"
    write_segment_file(path, sample_document())
    assert [p.name for p in tmp_path.iterdir()] == ["demo.zh-en.xlf"]
    assert read_segment_file(path) == sample_document()


@pytest.mark.parametrize(
    "name, expected",
    [("leshan-2024.zh.txt", "leshan-2024"), ("article.txt", "article"), ("a.b.c", "a")],
)
def test_document_name_and_segment_file_location(tmp_path, name, expected):
    assert document_name(tmp_path / name) == expected
    assert segment_file_for(tmp_path / name) == tmp_path / f"{expected}.zh-en.xlf"


def test_missing_and_empty_segment_files(tmp_path):
    with pytest.raises(SegmentFileError, match="run `leshan-pub segment"):
        read_segment_file(tmp_path / "x.zh-en.xlf")
    (tmp_path / "e.zh-en.xlf").write_bytes(b"")
    with pytest.raises(SegmentFileError, match="is empty"):
        read_segment_file(tmp_path / "e.zh-en.xlf")


def test_writing_a_character_xml_cannot_hold_is_refused_naming_the_segment(tmp_path):
    doc = sample_document()
    doc.segments[1].target = "bad\x07bell"
    with pytest.raises(SegmentFileError, match="segment s2: its English holds U\\+0007"):
        write_segment_file(tmp_path / "x.zh-en.xlf", doc)
    assert not (tmp_path / "x.zh-en.xlf").exists()


# --- one approval rule for the segment file and for imports ---------------------------------------------

_STATES = [None, "new", "needs-review-translation", "translated", "signed-off", "final"]
_APPROVED = [None, "yes", "no"]
_EXPECTED = {  # (state attribute, approved attribute) -> review state, for a unit with English
    **{(None, a): ReviewState.REVIEWED for a in _APPROVED},
    (None, "yes"): ReviewState.APPROVED,
    **{("new", a): ReviewState.NEW for a in _APPROVED},
    **{("needs-review-translation", a): ReviewState.MACHINE for a in _APPROVED},
    **{("translated", a): ReviewState.REVIEWED for a in _APPROVED},  # approved="yes" is a CAT tool's confirmation
    **{(s, a): ReviewState.APPROVED for s in ("signed-off", "final") for a in (None, "yes")},
    **{(s, "no"): ReviewState.REVIEWED for s in ("signed-off", "final")},
}


def _unit_xliff(state: str | None, approved: str | None) -> bytes:
    unit_attrs = f' approved="{approved}"' if approved else ""
    target_attrs = f' state="{state}"' if state else ""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<xliff xmlns="urn:oasis:names:tc:xliff:document:1.2" version="1.2">'
        '<file original="demo.zh.txt" source-language="zh-CN" target-language="en" datatype="plaintext"><body>'
        f'<group id="b0000" restype="x-paragraph"><trans-unit id="s1"{unit_attrs}><source>第一句。</source>'
        f"<target{target_attrs}>First.</target></trans-unit></group></body></file></xliff>"
    ).encode()


@pytest.mark.parametrize("approved", _APPROVED, ids=lambda a: f"approved={a}")
@pytest.mark.parametrize("state", _STATES, ids=lambda s: f"state={s}")
def test_segment_file_and_import_read_state_and_approved_alike(tmp_path, state, approved):
    from leshan_pub.formats.exchange import import_file

    expected = _EXPECTED[(state, approved)]
    assert parse_xliff(_unit_xliff(state, approved)).segments[0].state is expected

    segfile = tmp_path / "demo.zh-en.xlf"
    untranslated = parse_xliff(_unit_xliff("new", None))  # the same English, not yet reviewed
    write_segment_file(segfile, untranslated)
    exported = tmp_path / "from-tool.xlf"
    exported.write_bytes(_unit_xliff(state, approved))
    import_file(exported, segfile)
    assert read_segment_file(segfile).segments[0].state is expected


def document_with_every_unit_field() -> Document:
    from leshan_pub.document import Approval, Cell, Match, TermMethod, TermRecord

    segments = [
        Segment(
            "s1", 0, Role.PARAGRAPH, "全钒液流电池很安全。", "Vanadium flow batteries are safe.", ReviewState.MACHINE,
            terms=(
                TermRecord("全钒液流电池", "Vanadium flow batteries", TermMethod.REWRITTEN, "verb is -> are"),
                TermRecord("乐山", "", TermMethod.MISSED, "not spellable"),
            ),
        ),
        Segment(
            "s2", 1, Role.PARAGRAPH, "乐山有大佛。", "Leshan has a Buddha.", ReviewState.MACHINE,
            matches=[Match("乐山有大佛！", "Leshan has a Buddha.", 87, "old/s9")],
            draft=Match("乐山有大佛！", "Leshan has a Buddha.", 87, "old/s9"),
        ),
        Segment(
            "s3", 2, Role.CELL, "836亿元", "RMB 83.6 billion", ReviewState.APPROVED,
            cell=Cell(1, 2, 3, rows=2, columns=1, header=False),
            approval=Approval("li.hua", "2026-12-06T10:00:00Z"),
            comments=["figure checked against the annual report"],
        ),
        Segment("s4", 3, Role.CELL, "产值", "Output", ReviewState.REVIEWED, cell=Cell(1, 0, 0, header=True)),
    ]
    return Document("demo", segments, Provenance("0.1.0", "1"), original="demo.zh.txt")


def test_round_trip_keeps_term_records_drafts_cells_approvals_and_comments():
    doc = document_with_every_unit_field()
    assert parse_xliff(render_xliff(doc)) == doc
    # Written twice, the generated terms note is not read back as a note of its own.
    assert render_xliff(parse_xliff(render_xliff(doc))) == render_xliff(doc)


def test_unit_fields_show_where_cat_tools_look():
    store = tt_xliff.xlifffile.parsestring(render_xliff(document_with_every_unit_field()))
    units = {u.getid().split("\x04")[-1]: u for u in store.getunits()}
    assert "Vanadium flow batteries (rewritten: verb is -> are)" in units["s1"].getnotes()
    assert "乐山 → (missing) (missed: not spellable)" in units["s1"].getnotes()
    assert "figure checked against the annual report" in units["s3"].getnotes()
    xml = render_xliff(document_with_every_unit_field()).decode()
    assert 'state-qualifier="fuzzy-match"' in xml
    assert 'resname="table 1, row 3, column 4"' in xml


def test_a_draft_edited_by_a_person_is_no_longer_a_memory_draft():
    doc = document_with_every_unit_field()
    assert doc.segments[1].is_fuzzy_draft
    doc.segments[1].target = "Leshan has a giant Buddha."
    assert not doc.segments[1].is_fuzzy_draft


@pytest.mark.parametrize(
    "attribute, message",
    [('lp:row="x"', "lp:row is 'x'"), ('lp:table="0"', "lp:table is 0")],
)
def test_a_malformed_cell_position_is_named(attribute, message):
    xml = render_xliff(document_with_every_unit_field()).decode()
    xml = xml.replace('lp:row="0"', attribute, 1) if "row" in attribute else xml.replace('lp:table="1"', attribute, 1)
    with pytest.raises(SegmentFileError, match=message):
        parse_xliff(xml.encode())


# --- friendly reading of what people's tools write (issue 27) -------------------------------------------


def test_a_plain_doctype_is_read_and_entity_declarations_are_still_refused():
    data = SAMPLE_SEGFILE.read_bytes()
    first_line_end = data.index(b"\n") + 1
    with_doctype = data[:first_line_end] + b"<!DOCTYPE xliff>\n" + data[first_line_end:]
    assert parse_xliff(with_doctype).segments == parse_xliff(data).segments
    named = data[:first_line_end] + b'<!DOCTYPE xliff PUBLIC "-//XLIFF//DTD XLIFF//EN" "xliff.dtd">\n' + data[first_line_end:]
    assert len(parse_xliff(named).segments) == len(parse_xliff(data).segments)  # named, never fetched
    declared = data[:first_line_end] + b'<!DOCTYPE xliff [<!ENTITY co "Leshan">]>\n' + data[first_line_end:]
    with pytest.raises(SegmentFileError, match=r"refused unsafe XML .*delete the entity declarations"):
        parse_xliff(declared)


@pytest.mark.parametrize(
    "broken, fix",
    [
        (lambda t: t.replace("</target>", " R & D</target>", 1), "write a literal & as &amp;"),
        (lambda t: t.replace("</target>", " AT&T</target>", 1), "write a literal & as &amp;"),
        (lambda t: t.replace("</target>", " &nbsp;</target>", 1), "write a literal & as &amp;"),
        (lambda t: t.replace("</target>", " x < y</target>", 1), "write a literal < as &lt;"),
        (lambda t: t.replace("</target>", "</targt>", 1), "close each element where it opened"),
        (lambda t: t[: len(t) // 2], "the file ends too early"),
    ],
    ids=["ampersand", "ampersand-word", "html-entity", "less-than", "mistyped-tag", "cut-short"],
)
def test_a_parse_error_says_how_to_mend_it_in_place(tmp_path, broken, fix):
    from typer.testing import CliRunner

    from leshan_pub.cli import app

    edited = tmp_path / "a.zh-en.xlf"
    edited.write_text(broken(SAMPLE_SEGFILE.read_text(encoding="utf-8")), encoding="utf-8")
    result = CliRunner().invoke(app, ["status", str(edited)])
    assert result.exit_code == 1 and result.stderr.count("\n") == 1
    assert f"{edited} line " in result.stderr and fix in result.stderr
    assert "git" not in result.stderr and "re-export" not in result.stderr and "the rest of your edits stay" in result.stderr
