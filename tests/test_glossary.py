import csv
import dataclasses

import pytest

from helpers import GLOSSARY
from leshan_pub.errors import GlossaryError
from leshan_pub.glossary import (
    Glossary,
    Term,
    add_term,
    import_terms,
    load_glossary,
    parse_glossary,
    remove_term,
    save_glossary,
    validate_glossary,
    validate_glossary_text,
)
from leshan_pub.formats.termbase import read_terms

HEADER = "source\ttarget\ttarget_variants\tforbidden\tnote\n"


def glossary(*rows: str) -> Glossary:
    return Glossary(parse_glossary(HEADER + "".join(r + "\n" for r in rows)))


def test_project_glossary_loads_and_holds_the_briefs_terms():
    terms = {t.source: t.target for t in load_glossary(GLOSSARY).terms}
    assert terms["全钒液流电池"] == "vanadium flow battery"
    assert terms["医用同位素"] == "medical isotope"
    assert terms["链主企业"] == "chain-leader enterprise"
    for source in ("新质生产力", "多晶硅", "核技术应用", "放射性药物", "电堆", "晶硅光伏"):
        assert source in terms


@pytest.mark.parametrize(
    "text, expected",
    [
        ("全钒液流电池储能系统", ["全钒液流电池储能"]),
        ("全钒液流电池电堆", ["全钒液流电池", "电堆"]),
        ("医用同位素和医用同位素", ["医用同位素", "医用同位素"]),
        ("没有术语", []),
        ("ＰＶ与pv", ["PV", "PV"]),
    ],
    ids=["longest-first", "adjacent", "repeated", "none", "full-width-and-case"],
)
def test_find_is_leftmost_longest(text, expected):
    g = glossary(
        "全钒液流电池\tvanadium flow battery\t\t\t",
        "全钒液流电池储能\tvanadium flow battery energy storage\t\t\t",
        "电堆\tcell stack\t\t\t",
        "医用同位素\tmedical isotope\t\t\t",
        "PV\tphotovoltaics\t\t\t",
    )
    assert [h.term.source for h in g.find(text)] == expected


def test_find_reports_offsets_in_the_original_text():
    g = glossary("ＰＶ\tphotovoltaics\t\t\t")
    (hit,) = g.find("光伏PV板")
    assert (hit.start, hit.end) == (2, 4)


def test_variants_and_forbidden_are_lists():
    (term,) = parse_glossary(HEADER + "链主企业\tchain-leader enterprise\tchain-leader enterprises\tchain master|chain owner\tnote\n")
    assert term.accepted == ("chain-leader enterprise", "chain-leader enterprises")
    assert term.forbidden == ("chain master", "chain owner")


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "empty"),
        ("chinese\tenglish\n", r"line 1: header .* lacks \['source', 'target'\]"),
        ("source\ttarget\tcolour\n", "unknown column"),
        (HEADER + "链主企业\tchain-leader enterprise\t\t\t\n链主企业\tchain master\t\t\t\n",
         "line 3: source term '链主企业' has two targets"),
        (HEADER + "链主企业\t\t\t\t\n", "line 2: empty source or target"),
        (HEADER + "a\tb\t\t\t\textra\n", "line 2: 6 fields"),
        (HEADER + "a\tb\t\tb\t\n", "both accepted and forbidden"),
    ],
    ids=["empty", "wrong-header", "unknown-column", "two-targets", "empty-target", "stray-tab", "forbidden-accepted"],
)
def test_malformed_glossaries_name_the_line(text, message):
    with pytest.raises(GlossaryError, match=message):
        parse_glossary(text, name="g.tsv")


def test_csv_glossary_with_quotes(tmp_path):
    path = tmp_path / "g.csv"
    path.write_text('source,target,note\n多晶硅,polysilicon,"feedstock, for PV"\n', encoding="utf-8")
    (term,) = load_glossary(path).terms
    assert term == Term("多晶硅", "polysilicon", note="feedstock, for PV", line=2)


def test_glossary_hash_changes_with_the_file(tmp_path):
    path = tmp_path / "g.tsv"
    path.write_text(HEADER + "多晶硅\tpolysilicon\t\t\t\n", encoding="utf-8")
    first = load_glossary(path).sha256
    path.write_text(HEADER + "多晶硅\tpoly-Si\t\t\t\n", encoding="utf-8")
    assert load_glossary(path).sha256 != first


@pytest.mark.parametrize(("encoding", "terms"), [("gb18030", "多晶硅 竹纸"), ("big5", "多晶矽 竹紙"), ("utf-16", "多晶硅 竹纸")])
def test_a_glossary_excel_saved_in_a_chinese_encoding_is_read(tmp_path, encoding, terms):
    # Excel on a Chinese system saves plain CSV/TSV in the system's code page; 'Unicode Text' is UTF-16.
    first, second = terms.split()
    path = tmp_path / "g.tsv"
    path.write_bytes((HEADER + f"{first}\tpolysilicon\t\t\t\n{second}\tbamboo paper\t\t\t\n").encode(encoding))
    assert [(t.source, t.target) for t in load_glossary(path).terms] == [(first, "polysilicon"), (second, "bamboo paper")]


def test_a_csv_glossary_excel_saved_with_semicolons_is_read_imported_and_kept_so(tmp_path):
    """Excel in a European locale saves CSV with ';': the header 'source;target;...' was refused as
    lacking source and target, though it names both."""
    semicolons = "\ufeffsource;target;target_variants;forbidden\r\n大渡河;Dadu River;;Dadu He\r\n岷江;Min River;Minjiang;\r\n"
    path = tmp_path / "terms.csv"
    path.write_bytes(semicolons.encode("utf-8"))
    assert [(t.source, t.target, t.target_variants, t.forbidden) for t in load_glossary(path).terms] == [
        ("大渡河", "Dadu River", (), ("Dadu He",)), ("岷江", "Min River", ("Minjiang",), ())]
    assert validate_glossary(path) == []
    assert [t.target for t in read_terms(path)] == ["Dadu River", "Min River"]  # `glossary import terms.csv`
    import_terms(path, [Term("乐山", "Leshan")])  # `glossary add` into it: still one the spreadsheet opens
    assert path.read_bytes().decode("utf-8-sig").splitlines()[0] == "source;target;target_variants;forbidden"
    assert [t.target for t in load_glossary(path).terms] == ["Dadu River", "Min River", "Leshan"]


def test_a_glossary_in_no_encoding_that_reads_as_chinese_is_refused(tmp_path):
    path = tmp_path / "g.tsv"
    path.write_bytes(HEADER.encode() + b"\xe9\xff\tpolysilicon\t\t\t\n")
    with pytest.raises(GlossaryError, match="not UTF-8, and no other encoding reads it as Chinese"):
        load_glossary(path)


# --- validation: every problem, with its line --------------------------------------------------

VALID = "全钒液流电池\tvanadium flow battery\tvanadium flow batteries\tfull vanadium liquid flow battery\t\n"


@pytest.mark.parametrize(
    "rows, line, message, warning",
    [
        (["链主企业\tchain-leader enterprise\t\t\t", "链主企业\tchain master\t\t\t"], 3,
         "source term '链主企业' has two targets ('chain-leader enterprise' on line 2, 'chain master'); keep one", False),
        (["多晶硅\tpolysilicon\t\t\t", "多晶硅\tpolysilicon\t\t\t"], 3, "source term '多晶硅' repeats line 2; delete one", False),
        (["多晶硅\tpolysilicon\t\t\t", "多晶硅\tpolysilicon\tpoly-Si\t\t"], 3, "repeats line 2 with the same target; merge", False),
        (["\tpolysilicon\t\t\t"], 2, "empty source or target", False),
        (["多晶硅\t\t\t\t"], 2, "empty source or target", False),
        (["多晶硅\tpolysilicon\t\t\t\tstray"], 2, "6 fields but the header names 5; check for a stray tab", False),
        (["多晶硅\tpolysilicon\tpoly-Si||polysilicons\t\t"], 2, "empty entry in target_variants", True),
        (["多晶硅\tpolysilicon\tpoly-Si\tPoly-Si\t"], 2, "'Poly-Si' is both accepted and forbidden for '多晶硅'", False),
        (["新型储能\tnew-type energy storage\t\tnew energy storage\t", "新能源储能\tnew energy storage\t\t\t"], 2,
         "forbidden rendering 'new energy storage' of '新型储能' is accepted English of '新能源储能' (line 3)", True),
        ([VALID, "全钒液流电池储能\tall-vanadium storage\t\t\t"], 3,
         "conflicting English: '全钒液流电池储能' ('all-vanadium storage') contains '全钒液流电池' (line 2)", True),
    ],
    ids=["two-targets", "duplicate-row", "same-target-twice", "empty-source", "empty-target", "stray-field",
         "empty-variant", "forbidden-is-own-variant", "forbidden-is-another-target", "conflicting-english"],
)
def test_validate_names_each_problem_with_its_line(rows, line, message, warning):
    problems = validate_glossary_text(HEADER + "".join(r.rstrip("\n") + "\n" for r in rows))
    assert [(p.line, p.warning) for p in problems] == [(line, warning)]
    assert message in problems[0].message


@pytest.mark.parametrize(
    ("rows", "warned"),
    [
        # The official name inside which a description entry would turn the name into a description.
        (["高新技术产业\thigh-tech industries\thigh-tech industry\t\t",
          "国家高新技术产业开发区\tNational High-tech Industrial Development Zone\t\t\t"], True),
        (["高新技术产业\thigh-tech industries\thigh-tech industry\t\t",
          "国家高新技术产业开发区\tNational High-tech Industrial Development Zone\t\t\t"
          "Official name: 高新技术产业 inside it is not 'high-tech industries'."], False),
        # Whole words only: 'nuclide' inside 'radionuclide' is not the shorter entry's English.
        (["核素\tnuclide\tnuclides\t\t", "核素药物\tradionuclide drug\t\t\t"], True),
        (["核素\tradionuclide\tnuclide\t\t", "核素药物\tradionuclide drug\t\t\t"], False),
        # Hyphens and case do not count; a variant of either side may carry the agreement.
        (["高新技术产业\thigh-tech industries\thigh-tech industry\t\t", "高新技术产业园\tHigh Tech Industry Park\t\t\t"], False),
        (["全钒液流电池\tvanadium flow battery\t\t\t", "全钒液流电池储能\tVFB storage\tvanadium flow battery storage\t\t"], False),
    ],
    ids=["official-name-unexplained", "official-name-explained", "part-of-a-word", "whole-word", "hyphen-and-case",
         "via-variant"],
)
def test_conflicting_english_of_a_term_inside_another(rows, warned):
    problems = validate_glossary_text(HEADER + "".join(r + "\n" for r in rows))
    conflicts = [p for p in problems if "conflicting English" in p.message]
    assert bool(conflicts) is warned, problems
    assert all(p.warning and p.line == 3 for p in conflicts)


@pytest.mark.parametrize(
    ("text", "found"),
    [
        # The zone's official name wins; the same words outside a name are the description.
        ("在乐山国家高新技术产业开发区，高新技术产业营业收入突破", [("乐山", "Leshan"),
          ("国家高新技术产业开发区", "National High-tech Industrial Development Zone"),
          ("高新技术产业", "high-tech industries")]),
        ("峨眉山市高桥镇，背靠峨眉山", [("峨眉山市", "Emeishan City"), ("峨眉山", "Mount Emei")]),
        ("“以竹代塑”、“侯氏制碱法”与核素原料药", [("以竹代塑", "Bamboo as a Substitute for Plastic"),
          ("侯氏制碱法", "Hou's process"), ("核素", "radionuclide"), ("原料药", "active pharmaceutical ingredient")]),
        ("四川乐山夹江核技术应用产业园，夹江的核技术应用", [("乐山", "Leshan"),
          ("夹江核技术应用产业园", "Jiajiang Nuclear Technology Application Industrial Park"),
          ("夹江", "Jiajiang"), ("核技术应用", "nuclear technology application")]),
    ],
    ids=["official-name", "mountain-and-city", "initiative-process-radionuclide", "park-name"],
)
def test_the_shipped_glossary_matches_names_whole(text, found):
    assert [(h.term.source, h.term.target) for h in load_glossary(GLOSSARY).find(text)] == found


def test_the_shipped_glossary_validates_without_errors_or_warnings():
    assert validate_glossary(GLOSSARY) == []


@pytest.mark.parametrize(
    "header, message",
    [
        ("source\ttarget\tcolour\n", "unknown column(s) ['colour']"),
        ("source\ttarget\tnote\tnote\n", "column(s) ['note'] named twice"),
        ("chinese\tenglish\n", "lacks ['source', 'target']"),
        ("", "empty file"),
    ],
    ids=["unknown-column", "repeated-column", "wrong-header", "empty-file"],
)
def test_validate_reports_header_problems_on_line_1(header, message):
    (problem,) = validate_glossary_text(header + ("多晶硅\tpolysilicon\n" if header else ""))
    assert problem.line == 1 and message in problem.message and not problem.warning


def test_validate_collects_every_problem_not_only_the_first():
    text = HEADER + "多晶硅\t\t\t\t\n电堆\tcell stack\t\t\t\n电堆\telectric pile\t\t\t\na\tb\t\t\t\tx\n"
    assert [p.line for p in validate_glossary_text(text)] == [2, 4, 5]


def test_validate_reads_csv_with_a_bom_and_crlf():
    text = "\ufeffsource,target,note\r\n多晶硅,polysilicon,\"PV feedstock, Leshan\"\r\n多晶硅,poly-Si,\r\n"
    (problem,) = validate_glossary_text(text, delimiter=",")
    assert problem.line == 3 and "two targets" in problem.message


def test_validate_reports_broken_quoting_with_its_line():
    (problem,) = validate_glossary_text('source,target\n多晶硅,"polysilicon" x\n', delimiter=",")
    assert problem.line == 2 and "check the quoting" in problem.message


def test_project_glossary_validates_clean():
    assert validate_glossary(GLOSSARY) == []


def test_warnings_do_not_stop_a_glossary_loading(tmp_path):
    path = tmp_path / "g.tsv"
    path.write_text(HEADER + VALID + "全钒液流电池储能\tall-vanadium storage\t\t\t\n", encoding="utf-8")
    assert len(load_glossary(path)) == 2
    assert [p.describe("g.tsv") for p in validate_glossary(path)][0].startswith("g.tsv line 3: warning: conflicting")


def test_load_raises_on_the_first_error_by_line(tmp_path):
    path = tmp_path / "g.tsv"
    path.write_text(HEADER + "多晶硅\t\t\t\t\n电堆\tcell stack\t\t\t\n电堆\telectric pile\t\t\t\n", encoding="utf-8")
    with pytest.raises(GlossaryError, match=r"g\.tsv line 2: empty source or target"):
        load_glossary(path)


# --- source variants (traditional characters) -----------------------------------------------------

VARIANT_HEADER = "source\ttarget\ttarget_variants\tforbidden\tnote\tsource_variants\n"


@pytest.mark.parametrize(
    "text",
    ["全钒液流电池电堆", "全釩液流電池电堆", "全釩液流電池電堆"],
    ids=["simplified", "traditional", "traditional-everywhere"],
)
def test_traditional_variants_match_as_the_same_entry(text):
    g = Glossary(parse_glossary(
        VARIANT_HEADER
        + "全钒液流电池\tvanadium flow battery\t\t\t\t全釩液流電池\n"
        + "电堆\tcell stack\t\t\t\t電堆\n"
    ))
    assert [h.term.target for h in g.find(text)] == ["vanadium flow battery", "cell stack"]
    assert g.find(text)[0].term is g.terms[0]


def test_source_variant_of_another_entry_with_another_target_is_an_error():
    text = VARIANT_HEADER + "电堆\tcell stack\t\t\t\t\n电池堆\tbattery stack\t\t\t\t电堆\n"
    (problem,) = validate_glossary_text(text)
    assert problem.line == 3 and "source variant '电堆' of '电池堆' has two targets" in problem.message


def test_source_variant_equal_to_its_source_is_a_warning():
    (problem,) = validate_glossary_text(VARIANT_HEADER + "电堆\tcell stack\t\t\t\t电堆\n")
    assert problem.warning and "is the source term '电堆' itself" in problem.message


# --- writing and editing ----------------------------------------------------------------------------


def test_saving_the_project_glossary_reproduces_its_bytes(tmp_path):
    copy = tmp_path / "leshan.tsv"
    copy.write_bytes(GLOSSARY.read_bytes())
    saved = save_glossary(load_glossary(copy), copy)
    assert copy.read_bytes() == GLOSSARY.read_bytes()
    assert saved.sha256 == load_glossary(GLOSSARY).sha256


TRICKY = [
    Term("多晶硅", "polysilicon", ("poly-Si",), ("polycrystalline silicon",), 'PV feedstock, "Leshan"\nsecond line'),
    Term("全钒液流电池", "vanadium flow battery", source_variants=("全釩液流電池",)),
]


def test_csv_written_by_us_round_trips_as_a_spreadsheet_reads_it(tmp_path):
    path = tmp_path / "g.csv"
    save_glossary(TRICKY, path)
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbfsource,target,") and b"\r\n" in data
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert rows[0]["note"] == 'PV feedstock, "Leshan"\nsecond line'
    assert rows[1]["source_variants"] == "全釩液流電池"
    assert [dataclasses.replace(t, line=0) for t in load_glossary(path).terms] == TRICKY


def test_save_keeps_the_existing_column_order(tmp_path):
    path = tmp_path / "g.csv"
    path.write_text("Target,Source,Note\npolysilicon,多晶硅,feedstock\n", encoding="utf-8")
    save_glossary([Term("电堆", "cell stack", note="stack")], path)
    assert path.read_text(encoding="utf-8-sig").splitlines() == ["Target,Source,Note", "cell stack,电堆,stack"]


def test_save_refuses_an_invalid_glossary_and_leaves_the_file(tmp_path):
    path = tmp_path / "g.tsv"
    path.write_text(HEADER + "多晶硅\tpolysilicon\t\t\t\n", encoding="utf-8")
    before = path.read_bytes()
    with pytest.raises(GlossaryError, match="two targets"):
        save_glossary([Term("电堆", "cell stack"), Term("电堆", "electric pile")], path)
    assert path.read_bytes() == before


def test_glossary_hash_covers_every_field():
    base = Glossary([Term("电堆", "cell stack")]).sha256
    assert Glossary([Term("电堆", "cell stack", forbidden=("electric pile",))]).sha256 != base
    assert Glossary([Term("电堆", "cell stack", source_variants=("電堆",))]).sha256 != base


@pytest.fixture
def small_glossary(tmp_path):
    path = tmp_path / "g.tsv"
    path.write_text(HEADER + "多晶硅\tpolysilicon\t\t\tfeedstock\n电堆\tcell stack\t\telectric pile\t\n", encoding="utf-8")
    return path


def test_add_term_appends_and_changes_the_hash(small_glossary):
    before = load_glossary(small_glossary).sha256
    assert add_term(small_glossary, Term("双极板", "bipolar plate", ("bipolar plates",))) == []
    assert small_glossary.read_text(encoding="utf-8").endswith("双极板\tbipolar plate\tbipolar plates\t\t\n")
    assert load_glossary(small_glossary).sha256 != before


@pytest.mark.parametrize(
    "term, message",
    [
        (Term("电堆", "stack"), r"1 source term\(s\) already have an entry: '电堆' \(line 3: 'cell stack', new: 'stack'\); pass --replace"),
        # 電堆 is 电堆 in traditional characters: already the conflict, before the simplified variant
        (Term("电池堆", "battery stack", source_variants=("電堆", "电堆")), "after this edit line 4 would fail: source variant '電堆' of '电池堆' has two targets"),
        (Term("双极板", "bipolar plate", ("plate",), ("Plate",)), "'Plate' is both accepted and forbidden"),
    ],
    ids=["existing-source", "variant-of-existing-source", "forbidden-accepted"],
)
def test_add_term_refuses_conflicts_and_leaves_the_file(small_glossary, term, message):
    before = small_glossary.read_bytes()
    with pytest.raises(GlossaryError, match=message):
        add_term(small_glossary, term)
    assert small_glossary.read_bytes() == before


def test_add_term_with_replace_swaps_the_entry_in_place(small_glossary):
    add_term(small_glossary, Term("多晶硅", "poly-Si", note="short form"), replace=True)
    lines = small_glossary.read_text(encoding="utf-8").splitlines()
    assert lines[1] == "多晶硅\tpoly-Si\t\t\tshort form" and lines[2].startswith("电堆")


def test_add_term_returns_warnings_of_the_edited_glossary(small_glossary):
    (warning,) = add_term(small_glossary, Term("电堆组", "stack group"))
    assert warning.line == 4 and "conflicting English" in warning.message


def test_add_term_creates_a_missing_glossary(tmp_path):
    path = tmp_path / "new.csv"
    add_term(path, Term("多晶硅", "polysilicon"))
    assert load_glossary(path).terms == [Term("多晶硅", "polysilicon", line=2)]


def test_remove_term_deletes_only_that_entry(small_glossary):
    removed = remove_term(small_glossary, "多晶硅")
    assert removed.target == "polysilicon"
    assert small_glossary.read_text(encoding="utf-8") == HEADER + "电堆\tcell stack\t\telectric pile\t\n"


def test_remove_term_finds_an_entry_by_its_source_variant(tmp_path):
    path = tmp_path / "g.tsv"
    path.write_text(VARIANT_HEADER + "电堆\tcell stack\t\t\t\t電堆\n", encoding="utf-8")
    assert remove_term(path, "電堆").source == "电堆"
    assert load_glossary(path).terms == []


def test_remove_term_refuses_an_unknown_source(small_glossary):
    with pytest.raises(GlossaryError, match="has no entry for '双极板'"):
        remove_term(small_glossary, "双极板")


def test_a_failed_write_leaves_the_old_glossary_whole(small_glossary, monkeypatch):
    before = small_glossary.read_bytes()

    def crash(*args):
        raise OSError("disk full")

    monkeypatch.setattr("leshan_pub.atomic.os.replace", crash)
    with pytest.raises(OSError):
        add_term(small_glossary, Term("双极板", "bipolar plate"))
    assert small_glossary.read_bytes() == before
    assert [p.name for p in small_glossary.parent.iterdir()] == ["g.tsv"]


def test_import_terms_counts_added_replaced_and_unchanged(small_glossary):
    changes = import_terms(
        small_glossary,
        [Term("多晶硅", "polysilicon", note="feedstock"), Term("电堆", "stack"), Term("双极板", "bipolar plate")],
        replace=True,
    )
    assert (changes.added, changes.replaced, changes.unchanged) == (["双极板"], ["电堆"], 1)


def test_a_tsv_line_with_a_comma_instead_of_a_tab_says_there_is_no_tab():
    """It was reported as 'empty source or target' though both are there."""
    from leshan_pub.errors import GlossaryError
    from leshan_pub.glossary import parse_glossary

    with pytest.raises(GlossaryError) as error:
        parse_glossary("source\ttarget\n乐山\tLeshan\n清洁能源,clean energy\n", name="g.tsv")
    message = str(error.value)
    assert "line 3" in message and "no tab between source and target in '清洁能源,clean energy'" in message
    assert "empty source or target" not in message
