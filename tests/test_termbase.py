import dataclasses

import pytest
from translate.storage.tbx import tbxfile

from helpers import GLOSSARY
from leshan_pub.errors import GlossaryError
from leshan_pub.glossary import Glossary, Term, load_glossary
from leshan_pub.formats.termbase import export_tbx, import_tbx, read_terms, write_terms

TERMS = [
    Term(
        "全钒液流电池",
        "vanadium flow battery",
        ("vanadium flow batteries", "all-vanadium flow battery"),
        ("full vanadium liquid flow battery",),
        'VRFB; "all-vanadium" & <redox>',
        source_variants=("全釩液流電池",),
    ),
    Term("多晶硅", "polysilicon"),
]


def without_lines(terms):
    return [dataclasses.replace(t, line=0) for t in terms]


def test_tsv_to_tbx_to_terms_keeps_every_field_of_the_project_glossary():
    glossary = load_glossary(GLOSSARY)
    assert import_tbx(export_tbx(glossary)) == without_lines(glossary.terms)


def test_tbx_round_trip_keeps_variants_forbidden_notes_and_markup_characters():
    assert import_tbx(export_tbx(Glossary(TERMS))) == TERMS


def test_translate_toolkit_reads_our_tbx():
    store = tbxfile.parsestring(export_tbx(Glossary(TERMS)))
    battery, silicon = store.units
    assert (battery.source, battery.target) == ("全钒液流电池", "vanadium flow battery")
    assert (silicon.source, silicon.target) == ("多晶硅", "polysilicon")
    assert battery.getnotes() == TERMS[0].note
    assert [(t.text, t.deprecated) for t in battery.get_target_terms()] == [
        ("vanadium flow battery", False),
        ("vanadium flow batteries", False),
        ("all-vanadium flow battery", False),
        ("full vanadium liquid flow battery", True),
    ]
    assert [t.text for t in battery.get_source_terms()] == ["全钒液流电池", "全釩液流電池"]


def test_we_read_tbx_written_by_translate_toolkit():
    store = tbxfile(sourcelanguage="zh", targetlanguage="en")
    unit = store.addsourceunit("电堆")
    unit.settarget("cell stack", lang="en")
    unit.addnote("flow-battery stack")
    assert b"<!DOCTYPE" in bytes(store)
    assert import_tbx(bytes(store)) == [Term("电堆", "cell stack", note="flow-battery stack")]


def entry(body: str, entry_id: str = "e7") -> bytes:
    return (
        '<?xml version="1.0"?><martif type="TBX-Basic"><text><body>'
        f'<termEntry id="{entry_id}">{body}</termEntry>'
        "</body></text></martif>"
    ).encode()


ZH = '<langSet xml:lang="zh"><tig><term>电堆</term></tig></langSet>'
EN = '<langSet xml:lang="en"><tig><term>cell stack</term></tig></langSet>'


def test_tbx_status_decides_target_variant_and_forbidden():
    english = (
        '<langSet xml:lang="en-GB">'
        '<tig><term>stack</term><termNote type="administrativeStatus">admittedTerm-admn-sts</termNote></tig>'
        '<ntig><termGrp><term>cell   stack</term>'
        '<termNote type="administrativeStatus">preferredTerm-admn-sts</termNote></termGrp></ntig>'
        '<tig><term>electric pile</term><termNote type="administrativeStatus">supersededTerm-admn-sts</termNote></tig>'
        "</langSet>"
    )
    traditional = '<langSet xml:lang="zh-TW"><tig><term>電堆</term></tig></langSet>'
    (term,) = import_tbx(entry(ZH + traditional + english + '<descrip type="definition">the stack</descrip>'))
    assert term == Term("电堆", "cell stack", ("stack",), ("electric pile",), "the stack", source_variants=("電堆",))


def test_tbx3_concept_entries_are_read():
    data = (
        '<tbx xmlns="urn:iso:std:iso:30042:ed-2" type="TBX-Basic" style="dca"><text><body>'
        '<conceptEntry id="c1"><langSec xml:lang="zh"><termSec><term>多晶硅</term></termSec></langSec>'
        '<langSec xml:lang="en"><termSec><term>polysilicon</term></termSec></langSec></conceptEntry>'
        "</body></text></tbx>"
    ).encode()
    assert import_tbx(data) == [Term("多晶硅", "polysilicon")]


@pytest.mark.parametrize(
    "data, message",
    [
        (entry(EN), r"t\.tbx termEntry 'e7': no Chinese term"),
        (entry(ZH), r"termEntry 'e7': no English term"),
        (entry(ZH.replace("电堆", " ") + EN), r"termEntry 'e7': an empty <term> in the zh language set"),
        (entry(ZH + EN.replace("</term>", '</term><termNote type="administrativeStatus">best</termNote>')),
         r"termEntry 'e7': administrativeStatus 'best' of 'cell stack' is not one of"),
        (entry(ZH + EN.replace("cell stack", "cell|stack")), r"termEntry 'e7': 'cell\|stack' holds '\|'"),
        (entry(ZH + EN + '</termEntry><termEntry id="e8">' + ZH + EN.replace("cell stack", "pile")),
         r"termEntry 'e8': source term '电堆' has two targets \('cell stack' on termEntry 'e7', 'pile'\)"),
        (entry(ZH + EN, entry_id="").replace(b' id=""', b""), None),
        (b"<martif><text><body/></text></martif>", r"t\.tbx has no <termEntry>"),
        (b"<xliff/>", r"root element <xliff> is not TBX"),
        (b"<martif><text>", r"t\.tbx line 1 column 14: not well-formed XML"),
    ],
    ids=["no-chinese", "no-english", "empty-term", "unknown-status", "separator-in-term", "two-targets",
         "entry-without-id", "no-entries", "not-tbx", "not-well-formed"],
)
def test_bad_tbx_is_refused_naming_the_entry(data, message):
    if message is None:
        assert import_tbx(data, "t.tbx") == [Term("电堆", "cell stack")]
        return
    with pytest.raises(GlossaryError, match=message):
        import_tbx(data, "t.tbx")


@pytest.mark.parametrize(
    "data",
    [
        b'<?xml version="1.0"?><!DOCTYPE martif [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>'
        b"<martif><text><body><termEntry><note>&b;</note></termEntry></body></text></martif>",
        b'<?xml version="1.0"?><!DOCTYPE martif [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b"<martif><text><body><termEntry><note>&x;</note></termEntry></body></text></martif>",
    ],
    ids=["entity-expansion", "external-entity"],
)
def test_hostile_tbx_is_refused(data):
    with pytest.raises(GlossaryError, match="refused unsafe XML"):
        import_tbx(data, "t.tbx")


@pytest.mark.parametrize("suffix", [".tsv", ".csv", ".tbx"])
def test_write_then_read_terms_by_suffix(tmp_path, suffix):
    path = tmp_path / f"terms{suffix}"
    write_terms(TERMS, path)
    assert without_lines(read_terms(path)) == TERMS


def test_unknown_terminology_format_lists_the_known_ones(tmp_path):
    with pytest.raises(GlossaryError, match=r"unknown terminology format '\.xlsx'; use one of \.tsv, \.csv, \.tbx"):
        read_terms(tmp_path / "terms.xlsx")
