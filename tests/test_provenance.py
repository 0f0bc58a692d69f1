"""Provenance signatures: format and parse, model names without local paths, per-segment attribution."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leshan_pub.document import Document, Provenance, ReviewState, Role, Segment
from leshan_pub.errors import ProvenanceError, SegmentFileError
from leshan_pub.provenance import (
    Origin,
    Signature,
    document_signature,
    machine_signature,
    parse_signature,
    public_model_name,
    text_hash,
)
from leshan_pub.formats.segfile import parse_xliff, render_xliff

SETTINGS = {"beams": "4", "maxlen": "auto", "enf": "1"}
GLOSS = "ab" * 32
COMMIT = "0123456789abcdef0123456789abcdef01234567"


def mt(english: str, model: str = "Helsinki-NLP/opus-mt-zh-en", revision: str = COMMIT, **settings: str) -> Signature:
    return machine_signature(Origin.MT, "transformers", model, revision, {**SETTINGS, **settings}, GLOSS, english, "0.1.0")


def test_signature_reads_like_sacrebleus_in_a_fixed_order():
    assert str(mt("Leshan.")) == (
        f"engine:transformers|model:Helsinki-NLP/opus-mt-zh-en@{COMMIT}|beams:4|maxlen:auto|enf:1"
        f"|gloss:{GLOSS[:12]}|origin:mt|text:{text_hash('Leshan.')}|v:0.1.0"
    )
    assert str(Signature(Origin.PERSON, version="0.1.0")) == "origin:person|v:0.1.0"


@pytest.mark.parametrize(
    "signature",
    [
        mt("Leshan."),
        mt("x", model="/home/me/models/a|b@c%d", revision=""),  # separators inside a folder name
        Signature(Origin.PERSON, version="0.1.0"),
        Signature(Origin.MEMORY, text="deadbeef", settings=(("match", "100"),)),
        Signature("mt=40+person=19", engine="transformers", glossary="none"),
    ],
)
def test_parse_gives_back_what_format_wrote(signature):
    assert parse_signature(signature.format()) == signature


values = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)


@given(
    origin=st.sampled_from([*Origin, "mt=3+person=1"]),
    engine=values, model=values, revision=values, glossary=values, text=values, version=values,
    settings=st.dictionaries(st.from_regex(r"[a-z][a-z0-9-]{0,6}", fullmatch=True).filter(
        lambda k: k not in {"engine", "model", "gloss", "origin", "text", "v"}), st.text(min_size=1, max_size=8), max_size=3),
)
def test_any_signature_survives_format_and_parse(origin, engine, model, revision, glossary, text, version, settings):
    # Separators ('|', ':', '@', '%') inside any value must not shift a field.
    signature = Signature(origin, engine, model, revision if model else "", tuple(settings.items()), glossary, text, version)
    assert parse_signature(signature.format()) == signature


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("engine:transformers", r"origin '\(missing\)'"),
        ("origin:robot", "origin 'robot'"),
        ("origin:mt|beams", "'beams' is not key:value"),
        ("origin:mt|beams:4|beams:8", "'beams' appears twice"),
        ("origin:mt|Beams:4", "not key:value"),
    ],
)
def test_a_damaged_signature_names_what_is_wrong(text, message):
    with pytest.raises(ProvenanceError, match=message):
        parse_signature(text)


@pytest.mark.parametrize(
    ("model", "published"),
    [
        ("Helsinki-NLP/opus-mt-zh-en", "Helsinki-NLP/opus-mt-zh-en"),
        ("/home/me/models/opus-x", "local:opus-x"),
        ("/home/me/models/opus-x/", "local:opus-x"),
        ("~/models/opus-x", "local:opus-x"),
        ("./opus-x", "local:opus-x"),
        ("C:\\Users\\me\\models\\opus-x", "local:opus-x"),
        ("/home/me/.cache/huggingface/hub/models--Helsinki-NLP--opus-mt-zh-en/snapshots/" + COMMIT,
         "Helsinki-NLP/opus-mt-zh-en"),
        ("", ""),
    ],
)
def test_published_model_names_carry_no_local_path(model, published):
    assert public_model_name(model) == published


def test_an_existing_relative_folder_is_local_even_when_it_looks_like_a_hub_id(tmp_path, monkeypatch):
    (tmp_path / "org" / "model").mkdir(parents=True)
    monkeypatch.chdir(tmp_path)
    assert public_model_name("org/model") == "local:model"


def test_machine_signature_publishes_the_folder_name_only():
    signature = mt("Leshan.", model="/home/me/secret/opus-x", revision="")
    assert signature.model == "local:opus-x" and "/home" not in str(signature) and "secret" not in str(signature)


def test_engine_settings_may_not_take_the_signatures_own_keys():
    with pytest.raises(ValueError, match="origin"):
        machine_signature(Origin.MT, "e", "m", "", {"origin": "x"}, None, "English", "0")


def test_document_signature_keeps_what_every_machine_segment_shares_and_counts_origins():
    person = Signature(Origin.PERSON, version="0.1.0")
    signature = document_signature([mt("a"), mt("b", beams="8"), person, None])
    assert signature.origin == "mt=2+person=1+unknown=1"
    assert dict(signature.settings) == {"beams": "mixed", "maxlen": "auto", "enf": "1"}
    assert (signature.model, signature.revision, signature.glossary) == ("Helsinki-NLP/opus-mt-zh-en", COMMIT, GLOSS[:12])
    assert signature.text == ""  # a document has no single English to hash
    assert document_signature([person, person]).format() == "origin:person|v:0.1.0"


# --- in the segment file -----------------------------------------------------------------------


def document(*segments: Segment) -> Document:
    return Document("demo", list(segments), Provenance("0.1.0", "1"), original="demo.zh.txt")


def test_each_trans_unit_carries_its_own_signature_through_the_segment_file():
    a = Segment("s1", 0, Role.PARAGRAPH, "乐山。", "Leshan.", ReviewState.MACHINE, signature=mt("Leshan."))
    b = Segment("s2", 0, Role.PARAGRAPH, "沐川。", "Muchuan.", ReviewState.APPROVED,
                signature=Signature(Origin.PERSON, version="0.1.0"))
    c = Segment("s3", 1, Role.CAPTION, "夹江", "")
    data = render_xliff(document(a, b, c))
    assert f'lp:provenance="{mt("Leshan.")}"'.encode() in data
    assert data.count(b"lp:provenance=") == 2  # no English, no provenance
    assert parse_xliff(data) == document(a, b, c)


def test_english_edited_after_the_machine_made_it_is_a_persons():
    segment = Segment("s1", 0, Role.PARAGRAPH, "乐山。", "Leshan.", ReviewState.MACHINE, signature=mt("Leshan."))
    edited = render_xliff(document(segment)).replace(b">Leshan.<", b">Leshan City.<")
    [back] = parse_xliff(edited).segments
    assert back.signature == Signature(Origin.PERSON, version=back.signature.version)
    segment.target = "Leshan City."  # an edit in memory (an import, say) is attributed when written
    [written] = parse_xliff(render_xliff(document(segment))).segments
    assert written.signature.origin == Origin.PERSON


def test_a_damaged_provenance_attribute_names_the_unit_and_what_to_do():
    segment = Segment("s1", 0, Role.PARAGRAPH, "乐山。", "Leshan.", ReviewState.MACHINE, signature=mt("Leshan."))
    data = render_xliff(document(segment)).replace(b"origin:mt", b"origin:robot")
    with pytest.raises(SegmentFileError, match=r"trans-unit 's1'.*origin 'robot'.*lp:provenance"):
        parse_xliff(data)


def test_translate_toolkit_still_reads_units_that_carry_a_signature():
    from translate.storage import xliff as tt_xliff

    segment = Segment("s1", 0, Role.PARAGRAPH, "乐山。", "Leshan.", ReviewState.MACHINE, signature=mt("Leshan."))
    [unit] = tt_xliff.xlifffile.parsestring(render_xliff(document(segment))).getunits()
    assert unit.target == "Leshan." and unit.source == "乐山。"


# --- in the pipeline, with a real (tiny) model ------------------------------------------------------


def test_translation_attributes_each_segment_and_retranslating_one_changes_only_it(tmp_path, tiny_marian_dir):
    from leshan_pub.engines import EngineOptions
    from leshan_pub.glossary import Glossary, Term
    from leshan_pub.pipeline import engine_loader, segment_source, translate_document

    article = tmp_path / "t.zh.txt"
    article.write_text("乐山新闻\n\n多晶硅扩产。电堆下线。\n\n夹江项目开工。\n", encoding="utf-8")
    glossary = Glossary([Term("多晶硅", "polysilicon"), Term("电堆", "cell stack")])
    doc, _ = segment_source(article, glossary)
    load = engine_loader("transformers", EngineOptions(model=str(tiny_marian_dir), num_beams=2, progress=False))
    translate_document(doc, glossary, load)
    first = {s.id: s.signature for s in doc.segments}
    for segment in doc.segments:
        signature = segment.signature
        assert signature.origin == Origin.MT and signature.engine == "transformers"
        assert signature.model == f"local:{Path(tiny_marian_dir).name}" and str(tiny_marian_dir) not in str(signature)
        assert dict(signature.settings)["beams"] == "2" and dict(signature.settings)["maxlen"] == "auto"
        assert signature.glossary == glossary.sha256[:12] and signature.matches(segment.target)
    assert doc.provenance.model == f"local:{Path(tiny_marian_dir).name}"

    # One segment back to new, translated at other settings: only it is re-attributed.
    again = doc.segments[2]
    again.state, again.target = ReviewState.NEW, ""
    load = engine_loader("transformers", EngineOptions(model=str(tiny_marian_dir), num_beams=1, max_new_tokens=40,
                                                       progress=False, precision="float32"))
    translate_document(doc, glossary, load)
    changed = {s.id for s in doc.segments if s.signature != first[s.id]}
    assert changed == {again.id}
    assert dict(again.signature.settings) == {
        "beams": "1", "maxlen": "40", "enf": dict(first[again.id].settings)["enf"], "repair": "splice", "placement": "owed"
    }


def test_import_of_a_translators_edit_makes_only_that_segment_a_persons(tmp_path):
    import csv
    import io

    from leshan_pub.formats.exchange import ExportFormat, export_document
    from leshan_pub.review import import_file
    from leshan_pub.formats.segfile import read_segment_file, write_segment_file

    segments = [
        Segment("p1", 0, Role.PARAGRAPH, "乐山。", "Leshan.", ReviewState.MACHINE, signature=mt("Leshan.")),
        Segment("p2", 0, Role.PARAGRAPH, "沐川。", "Muchuan.", ReviewState.MACHINE, signature=mt("Muchuan.")),
        Segment("p3", 0, Role.PARAGRAPH, "夹江。", ""),  # no English yet: a translator writes it
    ]
    segfile = tmp_path / "demo.zh-en.xlf"
    write_segment_file(segfile, document(*segments))
    rows = list(csv.DictReader(io.StringIO(export_document(document(*segments), ExportFormat.CSV).decode("utf-8-sig"))))
    rows[0]["state"] = "approved"  # approved as the model wrote it
    rows[1].update(target="Muchuan County.", state="reviewed")  # rewritten
    rows[2].update(target="Jiajiang.", state="reviewed")
    edited = tmp_path / "demo.csv"
    with edited.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, rows[0].keys())
        writer.writeheader()
        writer.writerows(rows)

    import_file(edited, segfile)

    p1, p2, p3 = read_segment_file(segfile).segments
    assert p1.state is ReviewState.APPROVED and p1.signature == mt("Leshan.")
    assert p2.signature.origin == Origin.PERSON and p2.signature.engine == ""
    assert p3.signature is not None and p3.signature.origin == Origin.PERSON


def test_resegmenting_keeps_each_kept_or_reused_segments_signature(tmp_path):
    from leshan_pub.pipeline import segment_source
    from leshan_pub.formats.segfile import read_segment_file, segment_file_for, write_segment_file

    article = tmp_path / "demo.zh.txt"
    article.write_text("标题\n\n第一句。第二句。\n", encoding="utf-8")
    segment_source(article, None)
    made = read_segment_file(segment_file_for(article))
    for segment in made.segments:
        segment.target, segment.state = f"EN {segment.source}", ReviewState.MACHINE
        segment.signature = mt(segment.target)
    write_segment_file(segment_file_for(article), made)
    article.write_text("标题\n\n第一句。第二句。\n\n第一句。\n", encoding="utf-8")  # a repeat, reused
    document, report = segment_source(article, None)
    assert report.kept == 3 and report.reused == 1
    assert [s.signature for s in document.segments] == [mt(f"EN {s.source}") for s in document.segments]
    assert read_segment_file(segment_file_for(article)).segments == document.segments


def test_english_from_the_memory_says_so_with_its_match_score():
    from leshan_pub.memory import MemoryEntry, TranslationMemory, leverage

    source = "2025年，乐山晶硅光伏产业产值增长6.8%。"
    english = "In 2025, the output value of Leshan's crystalline silicon photovoltaics industry grew by 6.8%."
    memory = TranslationMemory([MemoryEntry("s0", source, english, ReviewState.APPROVED, document="yibin",
                                            created="20260101T000000Z", changed="20260101T000000Z", who="tester")])
    exact = Segment("x", 0, Role.PARAGRAPH, source)
    fuzzy = Segment("y", 0, Role.PARAGRAPH, source.replace("6.8%", "7.1%"))
    kept = Segment("z", 0, Role.PARAGRAPH, source, "A person's English.", ReviewState.REVIEWED,
                   signature=Signature(Origin.PERSON, version="0.1.0"))
    leverage([exact, fuzzy, kept], memory, 75)
    assert exact.signature.origin == Origin.MEMORY and dict(exact.signature.settings) == {"match": "100"}
    assert fuzzy.signature.origin == Origin.MEMORY and 75 <= int(dict(fuzzy.signature.settings)["match"]) < 100
    assert exact.signature.matches(english) and kept.signature.origin == Origin.PERSON
    [back] = parse_xliff(render_xliff(document(exact))).segments
    assert back.signature == exact.signature
