import pytest

from helpers import GLOSSARY
from leshan_pub.errors import GlossaryError
from leshan_pub.glossary import Glossary, Term, load_glossary, parse_glossary

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


def test_non_utf8_glossary_is_refused(tmp_path):
    path = tmp_path / "g.tsv"
    path.write_bytes((HEADER + "多晶硅\tpolysilicon\t\t\t\n").encode("gb18030"))
    with pytest.raises(GlossaryError, match="not UTF-8"):
        load_glossary(path)
