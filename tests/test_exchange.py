import csv
import io
from collections.abc import Callable
from pathlib import Path

import pytest
from translate.storage import xliff as tt_xliff

from leshan_pub.document import Document, Provenance, ReviewState, Role, Segment
from leshan_pub.errors import SegmentFileError
from leshan_pub.formats.csvfile import CSV_COLUMNS
from leshan_pub.formats.exchange import ExportFormat, export_document
from leshan_pub.formats.rows import fingerprint
from leshan_pub.review import ImportRefused, import_file
from leshan_pub.glossary import Glossary, Term
from leshan_pub.formats.segfile import parse_xliff, read_segment_file, write_segment_file

A, R, M, N = ReviewState.APPROVED, ReviewState.REVIEWED, ReviewState.MACHINE, ReviewState.NEW


def tiny_document() -> Document:
    segments = [
        Segment("t1", 0, Role.TITLE, "乐山：新动能", "Leshan: new drivers", A),
        Segment("p1", 1, Role.PARAGRAPH, "第一句，有逗号。", "First, with a comma.", R, ["checked figures"]),
        Segment("p2", 1, Role.PARAGRAPH, "第二句。", "MT output", M),
        Segment("c1", 2, Role.CAPTION, "希尔电子生产车间", "", N),
        Segment("s1", 3, Role.CREDIT, "数据来源：某部门", "Source: a department", A),
    ]
    return Document("demo", segments, Provenance("0.1.0", "1", model="opus-mt-zh-en"), original="demo.zh.txt")


GLOSSARY = Glossary([Term("希尔电子", "Hill Electronics"), Term("乐山", "Leshan")])


@pytest.fixture
def segfile(tmp_path: Path) -> Path:
    path = tmp_path / "demo.zh-en.xlf"
    write_segment_file(path, tiny_document())
    return path


def work(path: Path) -> dict[str, tuple[str, ReviewState]]:
    return {s.id: (s.target, s.state) for s in read_segment_file(path).segments}


def exported_rows() -> list[dict[str, str]]:
    text = export_document(tiny_document(), ExportFormat.CSV).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text, newline="")))


def spreadsheet_csv(
    rows: list[dict[str, str]], columns=CSV_COLUMNS, encoding="utf-8-sig", lineterminator="\r\n", delimiter=","
) -> bytes:
    """What a spreadsheet saves: minimal quoting, its own line ends and separator."""
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, columns, lineterminator=lineterminator, delimiter=delimiter, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def tt_units(store: tt_xliff.xlifffile) -> dict[str, tt_xliff.xliffunit]:
    return {u.getid().split("\x04")[-1]: u for u in store.getunits()}  # translate-toolkit qualifies ids by file


# --- export ----------------------------------------------------------------------------------------


def test_xliff_export_without_glossary_is_the_segment_file_with_fingerprints():
    data = export_document(tiny_document(), ExportFormat.XLIFF)
    assert parse_xliff(data) == tiny_document()
    assert data.count(b"lp:base=") == 5 and b"<lp:export " in data


def test_xliff_export_carries_glossary_hits_as_notes_translate_toolkit_reads():
    data = export_document(tiny_document(), ExportFormat.XLIFF, GLOSSARY)
    units = tt_units(tt_xliff.xlifffile.parsestring(data))
    assert units["c1"].getnotes("glossary") == "希尔电子 = Hill Electronics"
    assert units["t1"].getnotes("glossary") == "乐山 = Leshan"
    assert units["p1"].getnotes("leshan-pub") == "checked figures" and not units["p1"].getnotes("glossary")
    assert units["t1"].isapproved() and units["t1"].target == "Leshan: new drivers"
    assert parse_xliff(data).segments[3].notes == ["希尔电子 = Hill Electronics"]  # still a segment file


def test_csv_export_is_a_utf8_table_excel_opens():
    data = export_document(tiny_document(), ExportFormat.CSV, GLOSSARY)
    assert data.startswith(b"\xef\xbb\xbf" + b'"id","role","state","source","target","notes","matches","base"\r\n')
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert [row[:7] for row in rows[1:]] == [
        ["t1", "title", "approved", "乐山：新动能", "Leshan: new drivers", "glossary: 乐山 = Leshan", ""],
        ["p1", "paragraph", "reviewed", "第一句，有逗号。", "First, with a comma.", "checked figures", ""],
        ["p2", "paragraph", "machine-translated", "第二句。", "MT output", "", ""],
        ["c1", "caption", "new", "希尔电子生产车间", "", "glossary: 希尔电子 = Hill Electronics", ""],
        ["s1", "credit", "approved", "数据来源：某部门", "Source: a department", "", ""],
    ]
    assert [row[7] for row in rows[1:]] == [fingerprint(s.state, s.target) for s in tiny_document().segments]


def test_csv_export_keeps_commas_quotes_and_line_breaks_in_one_cell():
    document = tiny_document()
    document.segments[2].target = 'He said "yes", twice,\nthen left，再见'
    document.segments[2].notes = ["one", "two"]
    text = export_document(document, ExportFormat.CSV).decode("utf-8-sig")
    row = list(csv.reader(io.StringIO(text, newline="")))[3]
    assert row[4] == 'He said "yes", twice,\nthen left，再见' and row[5] == "one\ntwo"


# --- round trips -----------------------------------------------------------------------------------


def _set_target(text: str) -> Callable[[tt_xliff.xliffunit], None]:
    def edit(unit: tt_xliff.xliffunit) -> None:
        unit.target = text

    return edit


def _sign_off(unit: tt_xliff.xliffunit) -> None:
    unit.set_state_n(unit.S_SIGNED_OFF)


def _post_edit_and_sign_off(unit: tt_xliff.xliffunit) -> None:
    unit.target = "The second sentence."
    unit.set_state_n(unit.S_SIGNED_OFF)


def _needs_review(unit: tt_xliff.xliffunit) -> None:
    unit.target = "Draft"
    unit.set_state_n(unit.S_NEEDS_REVIEW)


@pytest.mark.parametrize(
    "unit_id, edit, expected",
    [
        ("c1", _set_target("Hill Electronics workshop"), ("Hill Electronics workshop", R)),
        ("p2", _post_edit_and_sign_off, ("The second sentence.", A)),
        ("p1", _sign_off, ("First, with a comma.", A)),
        ("c1", _needs_review, ("Draft", R)),  # new English is a person's work, whatever the state says
    ],
    ids=["translate-new", "post-edit-and-sign-off", "approve-reviewed", "draft-needs-review"],
)
def test_xliff_round_trip_through_translate_toolkit_shows_the_edit(tmp_path, segfile, unit_id, edit, expected):
    store = tt_xliff.xlifffile.parsestring(export_document(tiny_document(), ExportFormat.XLIFF, GLOSSARY))
    edit(tt_units(store)[unit_id])
    exported = tmp_path / "demo.export.xlf"
    exported.write_bytes(bytes(store))
    before = work(segfile)

    report = import_file(exported, segfile)

    assert report.updated == [unit_id] and report.unchanged == 4 and not report.refused
    assert work(segfile) == {**before, unit_id: expected}
    assert read_segment_file(segfile).segments[3].notes == []  # glossary notes are not imported


def test_xliff_written_from_scratch_by_translate_toolkit_imports(tmp_path, segfile):
    store = tt_xliff.xlifffile()  # XLIFF 1.1, units straight under <body>, no groups
    for unit_id, source, target in [("demo.zh.txt\x04p2", "第二句。", "Second."), ("c1", "希尔电子生产车间", "Workshop")]:
        unit = store.addsourceunit(source)
        unit.setid(unit_id)
        unit.target = target
    exported = tmp_path / "from-tool.xliff"
    exported.write_bytes(bytes(store))
    assert b"urn:oasis:names:tc:xliff:document:1.1" in exported.read_bytes()

    report = import_file(exported, segfile)

    assert sorted(report.updated) == ["c1", "p2"]
    assert work(segfile)["p2"] == ("Second.", R) and work(segfile)["c1"] == ("Workshop", R)


@pytest.mark.parametrize(
    "encoding, lineterminator, delimiter",
    [("utf-8-sig", "\r\n", ","), ("utf-8", "\n", ","), ("utf-8-sig", "\r\n", ";"), ("utf-8", "\r\n", "\t")],
    ids=["excel-utf8-crlf", "plain-lf", "excel-semicolon-locale", "tab-separated"],
)
def test_csv_round_trip_as_a_spreadsheet_saves_it(tmp_path, segfile, encoding, lineterminator, delimiter):
    rows = exported_rows()
    rows[2].update(target='Second, "quoted"\nand broken，再见', state="reviewed")
    rows[3].update(target="Hill Electronics workshop", state="Machine-Translated ")
    rows[1].update(state="approved")
    exported = tmp_path / "demo.csv"
    exported.write_bytes(spreadsheet_csv(rows, encoding=encoding, lineterminator=lineterminator, delimiter=delimiter))

    report = import_file(exported, segfile)

    assert report.updated == ["p1", "p2", "c1"] and report.unchanged == 2
    assert work(segfile) == {
        "t1": ("Leshan: new drivers", A),
        "p1": ("First, with a comma.", A),
        "p2": ('Second, "quoted"\nand broken，再见', R),
        "c1": ("Hill Electronics workshop", R),  # corrected English left 'machine-translated' is human work
        "s1": ("Source: a department", A),
    }


def test_partial_import_leaves_missing_segments_as_they_are(tmp_path, segfile):
    rows = [dict(exported_rows()[2], target="Second.")]
    exported = tmp_path / "demo.csv"
    exported.write_bytes(spreadsheet_csv(rows, columns=("id", "state", "source", "target")))

    report = import_file(exported, segfile)

    assert report.updated == ["p2"] and report.unchanged == 4
    assert work(segfile)["p2"] == ("Second.", R) and work(segfile)["p1"] == ("First, with a comma.", R)


def test_good_import_keeps_a_backup_of_the_previous_file(tmp_path, segfile):
    previous = segfile.read_bytes()
    rows = exported_rows()
    rows[3].update(target="Workshop", state="reviewed")
    exported = tmp_path / "demo.csv"
    exported.write_bytes(spreadsheet_csv(rows))

    report = import_file(exported, segfile)

    assert report.backup.parent == tmp_path and report.backup.name.startswith("demo.zh-en.xlf.20")
    assert report.backup.name.endswith(".bak") and report.backup.read_bytes() == previous

    rows = [dict(r, base=fingerprint(*reversed(work(segfile)[r["id"]]))) for r in rows]  # a fresh export
    rows[3].update(target="Workshop floor")
    exported.write_bytes(spreadsheet_csv(rows))
    second = import_file(exported, segfile)
    assert second.backup != report.backup and report.backup.read_bytes() == previous  # kept, never overwritten
    assert len(list(tmp_path.glob("demo.zh-en.xlf.*.bak"))) == 2


@pytest.mark.parametrize("fmt, name", [(ExportFormat.XLIFF, "demo.xlf"), (ExportFormat.CSV, "demo.csv")])
def test_import_of_an_unedited_export_writes_nothing(tmp_path, segfile, fmt, name):
    previous = segfile.read_bytes()
    exported = tmp_path / name
    exported.write_bytes(export_document(tiny_document(), fmt, GLOSSARY))

    report = import_file(exported, segfile)
    assert (report.updated, report.unchanged, report.backup, report.refused) == ([], 5, None, [])
    assert segfile.read_bytes() == previous and not list(segfile.parent.glob("*.bak"))


# --- human work ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "unit_id, target, state, force, expected",
    [
        ("t1", "Leshan: other words", A, False, None),
        ("t1", None, R, False, None),
        ("t1", None, M, True, M),
        ("t1", "Leshan: other words", A, True, A),
        ("p1", None, A, False, A),
        ("p1", "First, reworded.", R, False, R),
        ("p1", "First, reworded.", A, False, A),
        ("p1", None, M, False, None),
        ("p2", "Second.", M, False, R),
        ("p2", "Second.", A, False, A),
        ("p2", "", N, False, "same"),
        ("c1", "Workshop", R, False, R),
        ("c1", "Workshop", N, False, R),
    ],
    ids=[
        "approved-target-changed",
        "approved-lowered-to-reviewed",
        "approved-lowered-with-force",
        "approved-target-changed-with-force",
        "reviewed-raised-to-approved",
        "reviewed-corrected",
        "reviewed-corrected-and-approved",
        "reviewed-lowered-to-machine",
        "machine-post-edited-but-left-machine",
        "machine-post-edited-and-approved",
        "machine-emptied",
        "new-translated-and-reviewed",
        "new-translated-left-new",
    ],
)
def test_import_rules_protect_approved_work_and_take_human_edits(tmp_path, segfile, unit_id, target, state, force, expected):
    before = work(segfile)
    previous = segfile.read_bytes()
    rows = exported_rows()
    row = next(r for r in rows if r["id"] == unit_id)
    row.update(state=state, target=before[unit_id][0] if target is None else target)
    exported = tmp_path / "demo.csv"
    exported.write_bytes(spreadsheet_csv(rows))

    if expected is None:
        with pytest.raises(ImportRefused) as refused:
            import_file(exported, segfile, force=force)
        assert [r.id for r in refused.value.refused] == [unit_id] and "--force" in str(refused.value)
        assert segfile.read_bytes() == previous
    elif expected == "same":
        report = import_file(exported, segfile, force=force)
        assert not report.updated and segfile.read_bytes() == previous
    else:
        report = import_file(exported, segfile, force=force)
        assert report.updated == [unit_id] and work(segfile) == {**before, unit_id: (row["target"], expected)}


# --- refused imports -------------------------------------------------------------------------------


def _rows(change: Callable[[list[dict[str, str]]], object]) -> bytes:
    rows = exported_rows()
    change(rows)
    return spreadsheet_csv(rows)


CSV_HEADER = ",".join(CSV_COLUMNS).encode()


@pytest.mark.parametrize(
    "data, message",
    [
        (_rows(lambda r: r.append(dict(r[2], id="zz9"))), "line 7 (id 'zz9'): its sentence is that of 'p2', which another row edits"),
        (_rows(lambda r: r.append(dict(r[1]))), "line 7 (id 'p1'): id appears more than once"),
        (_rows(lambda r: r[1].update(source="第一句有逗号。")), "p1: source '第一句有逗号。' differs"),
        (_rows(lambda r: r[2].update(state="done")), "line 4 (id 'p2'): state 'done' is not one of new, machine"),
        (_rows(lambda r: r[2].update(state="")), "line 4 (id 'p2'): state '' is not one of"),
        (_rows(lambda r: r[2].update(target=" ")), "line 4 (id 'p2'): state machine-translated needs English"),
        (_rows(lambda r: r[3].update(target="Work\x0bshop")), "line 5 (id 'c1'): target holds control character U+000B"),
        (_rows(lambda r: r[3].update(id="")), "line 5: the id is empty"),
        (_rows(lambda r: [row.update(id=row["id"] + "x", source=row["source"] + "。") for row in r]),
         "it is an export of another document"),
        (CSV_HEADER + b"\r\np2,paragraph,new,x,y,z,m,b,extra\r\n", "line 2: 9 cells but the header names 8"),
        (CSV_HEADER + b'\r\np2,paragraph,new,x,"two\r\nlines",\r\nc1,caption,new,"unclosed\r\nmore\r\n', "line 4: unexpected"),
        (b"id,source,target\r\np2,x,y\r\n", "line 1: header lacks ['state']"),
        (CSV_HEADER + b",comment\r\n", "line 1: header has unknown ['comment']"),
        (CSV_HEADER + b"\r\n", "has a header but no rows"),
        (CSV_HEADER + "\r\np2,paragraph,new,第二句。,Caf\u00e9,,,\r\n".encode("latin-1", "replace"),
         "not UTF-8, and no other encoding reads it as Chinese"),
        (b"  \r\n", "is empty"),
    ],
    ids=[
        "renumbered-row-twice",
        "duplicate-id",
        "changed-source",
        "illegal-state",
        "empty-state",
        "empty-target-not-new",
        "control-character",
        "empty-id",
        "another-document",
        "extra-cell",
        "unclosed-quote",
        "missing-column",
        "unknown-column",
        "no-rows",
        "neither-utf8-nor-gb18030",
        "empty-file",
    ],
)
def test_invalid_csv_import_is_refused_and_leaves_the_segment_file_untouched(tmp_path, segfile, data, message):
    previous = segfile.read_bytes()
    exported = tmp_path / "demo.csv"
    exported.write_bytes(data)

    with pytest.raises(SegmentFileError) as refused:
        import_file(exported, segfile, force=True)

    assert message in str(refused.value)
    assert segfile.read_bytes() == previous and not segfile.with_name(segfile.name + ".bak").exists()


def _xliff(old: bytes, new: bytes) -> bytes:
    data = export_document(tiny_document(), ExportFormat.XLIFF)
    assert old in data
    return data.replace(old, new, 1)


BILLION_LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
    b'<xliff xmlns="urn:oasis:names:tc:xliff:document:1.2" version="1.2"><file><body>'
    b'<trans-unit id="p2"><source>&lol3;</source></trans-unit></body></file></xliff>'
)
EXTERNAL_ENTITY = (
    b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
    b'<xliff xmlns="urn:oasis:names:tc:xliff:document:1.2" version="1.2"><file><body>'
    b'<trans-unit id="p2"><source>x</source><target state="translated">&e;</target></trans-unit>'
    b"</body></file></xliff>"
)


@pytest.mark.parametrize(
    "data, message",
    [
        (_xliff("第二句。</source>".encode(), "第一句，有逗号。</source>".encode()), "p2: source '第一句，有逗号。' differs"),
        (_xliff(b'id="c1"', b'id="p1"'), "trans-unit 'p1': id appears more than once"),
        (_xliff("第二句。".encode(), "第2句。".encode()), "p2: source '第2句。' differs"),
        (_xliff(b'state="translated"', b'state="done"'), "trans-unit 'p1': state 'done' is not one of final"),
        (_xliff(b">MT output<", b"><"), "trans-unit 'p2': state machine-translated needs English"),
        (_xliff(b' id="c1"', b""), "trans-unit 4: no id"),
        (_xliff(b"</xliff>", b""), "not well-formed XML"),
        (b"<html><body/></html>", "not XLIFF 1.x"),
        (b'<xliff xmlns="urn:oasis:names:tc:xliff:document:2.0" version="2.0"/>', "not XLIFF 1.x"),
        (b'<xliff xmlns="urn:oasis:names:tc:xliff:document:1.2" version="1.2"/>', "no <trans-unit>"),
        (EXTERNAL_ENTITY, "refused unsafe XML"),
        (BILLION_LAUGHS, "refused unsafe XML"),
    ],
    ids=[
        "source-of-another-segment",
        "duplicate-id",
        "changed-source",
        "illegal-state",
        "empty-target-not-new",
        "unit-without-id",
        "truncated",
        "not-xliff",
        "xliff-2",
        "no-units",
        "external-entity",
        "billion-laughs",
    ],
)
def test_invalid_xliff_import_is_refused_and_leaves_the_segment_file_untouched(tmp_path, segfile, data, message):
    previous = segfile.read_bytes()
    exported = tmp_path / "demo.xlf"
    exported.write_bytes(data)

    with pytest.raises(SegmentFileError) as refused:
        import_file(exported, segfile, force=True)

    assert message in str(refused.value)
    assert segfile.read_bytes() == previous and not segfile.with_name(segfile.name + ".bak").exists()


def test_every_problem_in_a_file_is_named_at_once(tmp_path, segfile):
    rows = exported_rows()
    rows[0].update(target='A title\nover two lines, "quoted"')  # a cell spanning lines moves the rows below
    rows[1].update(state="done")
    rows[4].update(id="zz9", source="作者改过的句子。", target="Source: the department, edited")
    exported = tmp_path / "demo.csv"
    exported.write_bytes(spreadsheet_csv(rows))

    with pytest.raises(SegmentFileError) as refused:
        import_file(exported, segfile)

    message = str(refused.value)
    assert "nothing imported, 1 problem(s)" in message and "line 4 (id 'p1'): state 'done'" in message
    rows[1].update(state="reviewed")
    exported.write_bytes(spreadsheet_csv(rows))
    with pytest.raises(ImportRefused) as refused:
        import_file(exported, segfile)
    assert [r.id for r in refused.value.refused] == ["t1", "zz9"]  # approved English changed; unknown id


@pytest.mark.parametrize(
    "name, message",
    [("demo.txt", "cannot import a '.txt' file"), ("missing.csv", "not found")],
)
def test_import_file_of_unknown_kind_or_missing_is_refused(tmp_path, segfile, name, message):
    if name.endswith(".txt"):
        (tmp_path / name).write_text("p2\tSecond.", encoding="utf-8")
    with pytest.raises(SegmentFileError, match=message):
        import_file(tmp_path / name, segfile)


# --- files whose ids a tool renumbered -------------------------------------------------------------


def test_a_file_renumbered_through_po_by_translate_toolkit_imports_by_sentence(tmp_path, segfile):
    """xliff2po, a translator's edit in the PO file, po2xliff: the ids come back as 1, 2, 3 and a PO header unit."""
    from translate.convert import po2xliff, xliff2po
    from translate.storage import po as tt_po

    exported = tmp_path / "demo.xlf"
    exported.write_bytes(export_document(tiny_document(), ExportFormat.XLIFF))
    as_po, back = tmp_path / "demo.po", tmp_path / "demo.back.xlf"
    with exported.open("rb") as source, as_po.open("wb") as target:
        xliff2po.convertxliff(source, target, None)
    store = tt_po.pofile.parsefile(str(as_po))
    [caption] = [u for u in store.units if u.source == "希尔电子生产车间"]
    caption.target = "Hill Electronics workshop"
    caption.markfuzzy(False)
    as_po.write_bytes(bytes(store))
    with as_po.open("rb") as source, back.open("wb") as target:
        po2xliff.convertpo(source, target, None)
    renumbered = tt_xliff.xlifffile.parsefile(str(back))
    assert "c1" not in {u.getid() for u in renumbered.units}  # the tools lost our ids

    report = import_file(back, segfile)

    assert report.updated == ["c1"] and report.refused == [] and report.by_sentence == len(tiny_document().segments)
    assert work(segfile)["c1"] == ("Hill Electronics workshop", ReviewState.REVIEWED)
    assert {k: v for k, v in work(segfile).items() if k != "c1"} == {
        s.id: (s.target, s.state) for s in tiny_document().segments if s.id != "c1"
    }


def test_a_renumbered_row_whose_sentence_stands_twice_is_refused(tmp_path):
    segments = [
        Segment("a1", 0, Role.PARAGRAPH, "同一句话。", "", ReviewState.NEW),
        Segment("a2", 1, Role.PARAGRAPH, "同一句话。", "", ReviewState.NEW),
        Segment("a3", 2, Role.PARAGRAPH, "另一句话。", "", ReviewState.NEW),
    ]
    path = tmp_path / "twice.zh-en.xlf"
    write_segment_file(path, Document("twice", segments, Provenance("0.1.0", "1")))
    rows = [{"id": "9", "role": "paragraph", "state": "reviewed", "source": "同一句话。", "target": "The same sentence."},
            {"id": "10", "role": "paragraph", "state": "reviewed", "source": "另一句话。", "target": "Another one."}]
    edited = tmp_path / "twice.csv"
    edited.write_bytes(spreadsheet_csv(rows))

    with pytest.raises(ImportRefused) as refused:
        import_file(edited, path)
    assert [r.id for r in refused.value.refused] == ["9"]
    assert "its sentence stands there more than once" in refused.value.refused[0].reason

    report = import_file(edited, path, partial=True)
    assert report.updated == ["a3"] and report.by_sentence == 1


@pytest.mark.parametrize("encoding", ["gb18030", "utf-16", "utf-8"], ids=["excel-chinese-csv", "excel-unicode-text", "utf8-no-bom"])
def test_a_spreadsheet_saved_in_excels_other_encodings_imports(tmp_path, segfile, encoding):
    rows = exported_rows()
    rows[3].update(target="希尔电子 workshop (Hill Electronics)", state="reviewed")  # c1, the caption
    edited = tmp_path / "demo.csv"
    delimiter = "\t" if encoding == "utf-16" else ","  # Excel's 'Unicode Text' is tab-separated UTF-16
    edited.write_bytes(spreadsheet_csv(rows, encoding=encoding, delimiter=delimiter))

    report = import_file(edited, segfile)

    assert report.updated == ["c1"]
    assert work(segfile)["c1"] == ("希尔电子 workshop (Hill Electronics)", ReviewState.REVIEWED)


# --- save_segment: one reviewer's edit by the import rules ----------------------------------------------------

def test_save_segment_applies_a_reviewers_approval_and_records_who(segfile, tmp_path):
    from leshan_pub.review import save_segment
    from leshan_pub.memory import MemorySettings, read_memory

    report = save_segment(segfile, "p2", "The second sentence.", A, fingerprint(M, "MT output"),
                          MemorySettings(tmp_path / "tm.tmx"), approver="Rita")
    assert report.updated == ["p2"] and report.remembered == 1
    stored = read_segment_file(segfile).segments[2]
    assert (stored.target, stored.state, stored.approval.who) == ("The second sentence.", A, "Rita")
    assert len(read_memory(tmp_path / "tm.tmx")) == 1


def test_save_segment_refuses_what_import_refuses(segfile):
    from leshan_pub.review import save_segment

    before = segfile.read_bytes()
    with pytest.raises(ImportRefused, match="changing approved work needs --force"):
        save_segment(segfile, "t1", "Leshan: fresh drivers", A, fingerprint(A, "Leshan: new drivers"))
    with pytest.raises(ImportRefused, match="changed in demo.zh-en.xlf since your export"):
        save_segment(segfile, "p1", "First sentence.", R, fingerprint(M, "what the page saw"))
    with pytest.raises(SegmentFileError, match="state approved needs English"):
        save_segment(segfile, "c1", "", A, fingerprint(N, ""))
    assert segfile.read_bytes() == before


# --- approvals an import brings pass approve's own rule ---------------------------------------------


def _signed_off_with_a_term_missing(tmp_path: Path, fmt: ExportFormat) -> Path:
    """An export where the translator marked p1 (clean) and c1 ('Workshop': 希尔电子 left out) approved."""
    if fmt is ExportFormat.XLIFF:
        store = tt_xliff.xlifffile.parsestring(export_document(tiny_document(), fmt, GLOSSARY))
        _sign_off(tt_units(store)["p1"])
        _set_target("Workshop")(tt_units(store)["c1"])
        _sign_off(tt_units(store)["c1"])
        exported = tmp_path / "demo.export.xlf"
        exported.write_bytes(bytes(store))
        assert exported.read_bytes().count(b'state="final"') >= 2
        return exported
    rows = exported_rows()
    rows[1].update(state="approved")
    rows[3].update(target="Workshop", state="approved")
    exported = tmp_path / "demo.csv"
    exported.write_bytes(spreadsheet_csv(rows))
    return exported


@pytest.mark.parametrize("fmt", [ExportFormat.XLIFF, ExportFormat.CSV])
def test_an_imported_approval_with_qa_errors_comes_back_reviewed_and_a_clean_one_records_who(
    tmp_path, segfile, fmt, monkeypatch
):
    monkeypatch.setenv("LESHAN_PUB_TRANSLATOR", "Li Wei")
    report = import_file(_signed_off_with_a_term_missing(tmp_path, fmt), segfile, glossary=GLOSSARY)

    assert work(segfile)["c1"] == ("Workshop", R) and work(segfile)["p1"] == ("First, with a comma.", A)
    assert [r.id for r in report.not_approved] == ["c1"] and "term-missing" in report.not_approved[0].reason
    segments = {s.id: s for s in read_segment_file(segfile).segments}
    assert segments["c1"].approval is None
    assert segments["p1"].approval is not None and segments["p1"].approval.who == "Li Wei"
    assert segments["p1"].approval.when.startswith("20") and segments["p1"].approval.when.endswith("Z")


def test_import_on_the_command_line_names_each_held_back_approval_in_one_line(tmp_path, segfile, monkeypatch):
    from typer.testing import CliRunner

    from leshan_pub.cli import app

    monkeypatch.setenv("LESHAN_PUB_TRANSLATOR", "Li Wei")
    glossary = tmp_path / "g.tsv"
    glossary.write_text("source\ttarget\n希尔电子\tHill Electronics\n乐山\tLeshan\n", encoding="utf-8")
    exported = _signed_off_with_a_term_missing(tmp_path, ExportFormat.CSV)
    result = CliRunner().invoke(app, ["import", str(exported), str(segfile), "--glossary", str(glossary)])
    assert result.exit_code == 0, result.output
    held = [line for line in result.stderr.splitlines() if "c1" in line]
    assert len(held) == 1 and "not approved" in held[0] and "term-missing" in held[0]
    assert f"leshan-pub approve {segfile} c1 --ignore-qa" in held[0]
    assert work(segfile)["c1"] == ("Workshop", R)


@pytest.mark.parametrize("state", ["machine-translated", "reviewed", "approved"])
def test_importing_the_same_file_twice_changes_nothing_the_second_time(tmp_path, segfile, state):
    """The second import once refused the row: 'changed in ... since your export (now reviewed: ...)'."""
    rows = exported_rows()
    rows[2].update(target="Twice imported", state=state)
    exported = tmp_path / "demo.csv"
    exported.write_bytes(spreadsheet_csv(rows))
    first = import_file(exported, segfile)
    after_first = segfile.read_bytes()

    second = import_file(exported, segfile)

    assert first.updated == ["p2"] and (second.updated, second.refused, second.unchanged) == ([], [], 5)
    assert segfile.read_bytes() == after_first
    rows[2].update(target="Edited again")  # the same old export, with new English over the newer work: a conflict
    exported.write_bytes(spreadsheet_csv(rows))
    with pytest.raises(ImportRefused, match="since your export"):
        import_file(exported, segfile)


def test_a_held_back_approval_imported_again_is_held_back_again_and_exits_0(tmp_path, segfile, monkeypatch):
    monkeypatch.setenv("LESHAN_PUB_TRANSLATOR", "Li Wei")
    exported = _signed_off_with_a_term_missing(tmp_path, ExportFormat.XLIFF)
    import_file(exported, segfile, glossary=GLOSSARY)
    after_first = segfile.read_bytes()

    second = import_file(exported, segfile, glossary=GLOSSARY)

    assert (second.updated, second.refused, [r.id for r in second.not_approved]) == ([], [], ["c1"])
    assert segfile.read_bytes() == after_first


def test_import_counts_add_up_to_the_segments_when_rows_are_refused(tmp_path, segfile):
    """'updated 0, unchanged 4, refused 4' for a 4-row file: refused segments were counted unchanged too."""
    rows = [dict(r, target=r["target"] + " (edited)") for r in exported_rows() if r["id"] != "c1"]
    for row in rows:
        row["source"] += "改"  # sources are read-only: every row is refused
    exported = tmp_path / "demo.csv"
    exported.write_bytes(spreadsheet_csv(rows))

    report = import_file(exported, segfile, partial=True)

    assert (len(report.updated), report.unchanged, len(report.refused)) == (0, 1, 4)
    assert len(report.updated) + report.unchanged + len(report.refused) == len(tiny_document().segments)


def test_excels_unicode_text_txt_is_refused_with_rename_to_csv_and_imports_once_renamed(tmp_path, segfile):
    rows = exported_rows()
    rows[3].update(target="Hill Electronics workshop", state="reviewed")
    saved = tmp_path / "demo.txt"  # Excel's 'Unicode Text': UTF-16 with a BOM, tab-separated
    saved.write_bytes(spreadsheet_csv(rows, encoding="utf-16", delimiter="\t"))
    with pytest.raises(SegmentFileError, match=r"rename it to \.csv.*UTF-16, tab-separated"):
        import_file(saved, segfile)

    report = import_file(saved.rename(tmp_path / "demo.csv"), segfile)

    assert report.updated == ["c1"] and work(segfile)["c1"] == ("Hill Electronics workshop", R)


@pytest.mark.parametrize("fmt", [ExportFormat.XLIFF, ExportFormat.CSV])
def test_an_export_replaces_an_earlier_export_but_no_other_file_without_force(tmp_path: Path, fmt: ExportFormat) -> None:
    from leshan_pub.formats.exchange import check_export_target

    earlier = tmp_path / f"earlier.{fmt}"
    earlier.write_bytes(export_document(tiny_document(), fmt))
    check_export_target(earlier, fmt, {}, force=False)  # an earlier export of this kind may be replaced

    segment_file = tmp_path / "doc.xlf"
    write_segment_file(segment_file, tiny_document())  # XLIFF, but no export: a translator's own file
    other = tmp_path / f"notes.{fmt}"
    other.write_bytes(segment_file.read_bytes() if fmt is ExportFormat.XLIFF else b"a,b\r\n1,2\r\n")
    for target in (other, segment_file):
        with pytest.raises(SegmentFileError, match="choose another file name"):
            check_export_target(target, fmt, {"the segment file": segment_file}, force=False)
    check_export_target(other, fmt, {}, force=True)


# --- term records follow the person's English ------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "xliff"])
def test_a_persons_new_english_drops_the_engines_term_records(tmp_path, fmt):
    """How the engine spliced or placed a term says nothing about English a person wrote: the CAT tool's note,
    `status` and `check --json` would otherwise tell a reviewer the last resort placed a term they typed."""
    from leshan_pub.document import TermMethod, TermRecord

    document = tiny_document()
    document.segments[3] = Segment(
        "c1", 2, Role.CAPTION, "希尔电子生产车间", "Hill Electronics workshop floor", M,
        terms=(TermRecord("希尔电子", "Hill Electronics", TermMethod.PLACED, "no word of the draft translates it"),),
    )
    document.segments[2].terms = (TermRecord("乐山", "Leshan", TermMethod.SPLICED),)  # p2: 第二句 has no 乐山
    path = tmp_path / "demo.zh-en.xlf"
    write_segment_file(path, document)
    exported = tmp_path / f"review.{'csv' if fmt == 'csv' else 'xlf'}"
    exported.write_bytes(export_document(read_segment_file(path), ExportFormat(fmt)))
    text = exported.read_bytes().decode("utf-8-sig")
    text = text.replace("Hill Electronics workshop floor", "The production floor of HILL ELECTRONICS")
    text = text.replace("MT output", "The second sentence.")
    exported.write_bytes(text.encode("utf-8-sig" if fmt == "csv" else "utf-8"))
    import_file(exported, path, glossary=GLOSSARY)
    stored = {s.id: s for s in read_segment_file(path).segments}
    assert stored["c1"].terms == (TermRecord("希尔电子", "Hill Electronics", TermMethod.PERSON),)
    assert stored["p2"].terms == (TermRecord("乐山", "", TermMethod.MISSED, "not in the English a person wrote"),)
    assert "placed" not in path.read_text(encoding="utf-8")


@pytest.mark.parametrize("edited, draft_kept", [(True, False), (False, True)])
def test_a_memory_draft_a_person_rewrote_is_no_longer_called_a_draft(tmp_path, edited, draft_kept):
    """The segment file (lp:draft) and the review page ('drafted from a 96% memory match') keep naming the
    match only while the English is the match's; a reviewer's own sentence was not drafted from it."""
    from leshan_pub.document import Match

    match = Match("第二句话。", "The second sentence, old.", 96, "demo/p9")
    document = tiny_document()
    document.segments[2].target, document.segments[2].draft = match.target, match
    document.segments[2].matches = [match]
    path = tmp_path / "demo.zh-en.xlf"
    write_segment_file(path, document)
    rows = list(csv.DictReader(io.StringIO(export_document(document, ExportFormat.CSV).decode("utf-8-sig"), newline="")))
    rows[2].update(target="The second sentence." if edited else match.target, state="reviewed")
    (tmp_path / "review.csv").write_bytes(spreadsheet_csv(rows))
    import_file(tmp_path / "review.csv", path)
    stored = read_segment_file(path).segments[2]
    assert stored.state is R
    assert (stored.draft == match) is draft_kept
    assert ("lp:draft" in path.read_text(encoding="utf-8")) is draft_kept


@pytest.mark.parametrize("english, targets", [
    ("Two vanadium batteries and a vanadium battery.", ["vanadium batteries", "vanadium battery"]),
    ("A vanadium flow cell.", ["vanadium flow cell"]),  # an accepted variant, as written
    ("Nothing here.", [""]),
])
def test_person_terms_record_the_form_the_person_wrote(english, targets):
    from leshan_pub.document import TermMethod, TermRecord
    from leshan_pub.review import person_terms

    glossary = Glossary([Term("钒电池", "vanadium battery", ("vanadium flow cell",))])
    records = tuple(TermRecord("钒电池", "Vanadium battery", TermMethod.SPLICED) for _ in targets)
    made = person_terms(records, english, glossary)
    assert [r.target for r in made] == targets
    assert [r.method for r in made] == [TermMethod.PERSON if t else TermMethod.MISSED for t in targets]


@pytest.mark.parametrize("fmt", ["csv", "xliff"])
def test_an_unedited_row_of_a_sentence_the_author_changed_brings_nothing_and_refuses_nothing(tmp_path, segfile, fmt):
    """A translator who edited one row of an export, while the author changed another sentence, had the
    whole import refused over the row they never touched ('your English goes into the memory': it did not)."""
    exported = tmp_path / f"review.{'csv' if fmt == 'csv' else 'xlf'}"
    exported.write_bytes(export_document(read_segment_file(segfile), ExportFormat(fmt)))
    document = read_segment_file(segfile)
    document.segments[2] = Segment("p2b", 1, Role.PARAGRAPH, "第二句改了。", "", N)  # the author, meanwhile
    write_segment_file(segfile, document)
    text = exported.read_bytes().decode("utf-8-sig").replace("First, with a comma.", "First, with one comma.")
    exported.write_bytes(text.encode("utf-8"))
    report = import_file(exported, segfile)
    assert report.updated == ["p1"] and report.refused == []
    assert work(segfile)["p1"] == ("First, with one comma.", R)


def test_an_edited_row_of_a_sentence_the_author_changed_is_still_refused(tmp_path, segfile):
    rows = exported_rows()
    rows[2]["target"] = "The second sentence, by hand."
    (tmp_path / "review.csv").write_bytes(spreadsheet_csv(rows))
    document = read_segment_file(segfile)
    document.segments[2] = Segment("p2b", 1, Role.PARAGRAPH, "第二句改了。", "", N)
    write_segment_file(segfile, document)
    with pytest.raises(ImportRefused, match="p2: the author changed this sentence"):
        import_file(tmp_path / "review.csv", segfile)


@pytest.mark.parametrize("state", [M, A])
def test_a_figure_cell_left_untranslated_in_omegat_keeps_its_english(tmp_path, state):
    """OmegaT writes the source text for a segment nobody translated. For '836' under 产值（亿元） that copy
    replaced 'RMB 83.6 billion' as a person's reviewed English (or refused the whole import when approved)."""
    import shutil

    from leshan_pub.document import Cell
    from leshan_pub.formats.omegat import export_project, source_file, target_file

    document = tiny_document()
    document.segments.append(Segment("k1", 4, Role.CELL, "836", "RMB 83.6 billion", state, cell=Cell(1, 1, 1)))
    path = tmp_path / "demo.zh-en.xlf"
    write_segment_file(path, document)
    folder = tmp_path / "omegat"
    export_project(read_segment_file(path), folder)
    shutil.copyfile(source_file(folder, "demo"), target_file(folder, "demo"))  # nothing translated in OmegaT
    before = path.read_bytes()
    report = import_file(target_file(folder, "demo"), path)
    assert report.updated == [] and report.refused == [] and path.read_bytes() == before
    assert work(path)["k1"] == ("RMB 83.6 billion", state)


def test_a_pretty_printed_xliff_from_another_tool_brings_its_english_without_the_layout(tmp_path, segfile):
    """Without xml:space="preserve", a tool's indentation around a target is layout: it came back as the
    English ('\\n          The second sentence.\\n        '), into the segment file and the memory."""
    from leshan_pub.memory import MemorySettings, read_memory

    (tmp_path / "pretty.xlf").write_text(
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<xliff version="1.2" xmlns="urn:oasis:names:tc:xliff:document:1.2">\n'
        ' <file original="demo.zh.txt" source-language="zh-CN" target-language="en" datatype="plaintext">\n'
        '  <body>\n'
        '   <trans-unit id="p2">\n'
        '    <source>\n      第二句。\n    </source>\n'
        '    <target state="translated">\n      The second sentence.\n    </target>\n'
        '   </trans-unit>\n'
        '  </body>\n'
        ' </file>\n'
        '</xliff>\n', encoding="utf-8")
    report = import_file(tmp_path / "pretty.xlf", segfile, memory=MemorySettings(tmp_path / "tm.tmx"))
    assert report.updated == ["p2"] and report.refused == []
    assert work(segfile)["p2"] == ("The second sentence.", R)
    assert [e.target for e in read_memory(tmp_path / "tm.tmx").entries] == ["The second sentence."]
