from pathlib import Path

import pytest
from translate.storage import tmx as tt_tmx

from leshan_pub.document import Match, ReviewState, Role, Segment
from leshan_pub.errors import TranslationMemoryError
from leshan_pub.memory import (
    MemoryEntry,
    MemorySettings,
    TranslationMemory,
    leverage,
    match_key,
    memory_path,
    parse_tmx,
    read_memory,
    record_segments,
    render_tmx,
)
from leshan_pub.formats.segfile import parse_xliff, render_xliff
from leshan_pub.document import Document, Provenance

A, R, M, N = ReviewState.APPROVED, ReviewState.REVIEWED, ReviewState.MACHINE, ReviewState.NEW

OLD = "２０２５年前三季度，宜宾市地区生产总值达到2865.4亿元，同比增长6.8%，被称为“动力电池之都”。"
OLD_EN = "In the first three quarters of 2025, Yibin's GDP reached 286.54 billion yuan, up 6.8%."


def memory_with(*pairs: tuple[str, str], document: str = "yibin", changed: str = "20260101T000000Z") -> TranslationMemory:
    return TranslationMemory(
        MemoryEntry(f"s{i}", source, target, A, document=document,
                    created=changed, changed=changed, who="tester") for i, (source, target) in enumerate(pairs)
    )


@pytest.mark.parametrize(
    "edited, kind",
    [
        (OLD, "exact"),
        (OLD.replace("２０２５", "2025"), "exact"),  # full-width digits -> ASCII
        (OLD.replace("宜宾市", "宜宾 市"), "exact"),  # one added space
        (OLD.replace("“", '"').replace("”", '"'), "exact"),  # curly -> straight quotes
        (OLD.replace("“", "「").replace("”", "」"), "exact"),  # Chinese corner quotes
        (OLD.replace("，", ","), "exact"),  # full-width comma -> ASCII
        (OLD.replace("6.8%", "6.9%"), "fuzzy"),  # one figure
        (OLD.replace("前三季度", "前两个季度"), "fuzzy"),  # a short phrase
        (OLD.replace("，被称为“动力电池之都”", ""), "fuzzy"),  # a clause dropped
    ],
    ids=["same", "full-width-digits", "added-space", "straight-quotes", "corner-quotes", "ascii-comma",
         "one-figure", "one-phrase", "clause-dropped"],
)
def test_each_small_edit_recovers_the_old_english(edited, kind):
    found = memory_with((OLD, OLD_EN)).matches(edited, threshold=75)
    assert found and found[0].target == OLD_EN and found[0].origin == "yibin/s0"
    assert (found[0].score == 100) is (kind == "exact")
    assert found[0].score >= 75


@pytest.mark.parametrize(
    "unrelated",
    [
        "宜宾港集装箱吞吐量首次突破150万标箱。",
        "来源：宜宾市统计局",
        "2025年前三季度，乐山市接待游客3200万人次，旅游收入同比增长12%。",
        "动力电池之都",
    ],
)
def test_unrelated_sentences_do_not_match(unrelated):
    assert memory_with((OLD, OLD_EN)).matches(unrelated, threshold=75) == []


def test_threshold_is_configurable():
    edited = OLD.replace("，被称为“动力电池之都”", "")
    score = memory_with((OLD, OLD_EN)).matches(edited, threshold=1)[0].score
    assert memory_with((OLD, OLD_EN)).matches(edited, threshold=score + 1) == []


def test_match_key_folds_width_space_quotes_and_case():
    assert match_key(" ＡＢＣ　１２３ “x” ‘y’ 「z」 ") == match_key('abc123"x"\'y\'"z"') == 'abc123"x"\'y\'"z"'


def test_same_sentence_with_two_english_versions_offers_the_newest_first():
    memory = TranslationMemory([
        MemoryEntry("s1", OLD, "older English", A, document="d",
                    created="20250101T000000Z", changed="20250101T000000Z"),
        MemoryEntry("s1", OLD, "newer English", R, document="d",
                    created="20260101T000000Z", changed="20260101T000000Z"),
    ])
    assert [m.target for m in memory.matches(OLD)] == ["newer English", "older English"]


# --- TMX ---------------------------------------------------------------------------------------------


def test_tmx_we_write_is_read_by_translate_toolkit():
    memory = memory_with((OLD, OLD_EN), ("彩灯 & <车间>", "Lantern workshop & <floor>"))
    store = tt_tmx.tmxfile.parsestring(render_tmx(memory))
    units = store.getunits()
    assert [(u.source, u.target) for u in units] == [(OLD, OLD_EN), ("彩灯 & <车间>", "Lantern workshop & <floor>")]
    data = render_tmx(memory)
    assert b'<tmx version="1.4">' in data and b'srclang="zh-CN"' in data and b'xml:lang="en"' in data
    assert b'<prop type="x-state">approved</prop>' in data and b'changeid="tester"' in data


def test_tmx_written_by_translate_toolkit_is_read_as_reviewed_work():
    store = tt_tmx.tmxfile(sourcelanguage="zh-CN", targetlanguage="en")
    store.addtranslation(OLD, "zh-CN", OLD_EN, "en")
    entries = parse_tmx(bytes(store))
    assert [(e.source, e.target, e.state) for e in entries] == [(OLD, OLD_EN, R)]


def test_tmx_round_trip_keeps_every_field():
    memory = memory_with((OLD, OLD_EN))
    assert parse_tmx(render_tmx(memory)) == memory.entries


@pytest.mark.parametrize(
    "data, message",
    [
        (b"<tmx", "not well-formed"),
        (b"<html/>", "not <tmx>"),
        (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><tmx>&e;</tmx>', "unsafe XML"),
    ],
)
def test_bad_tmx_is_refused_with_a_reason(tmp_path, data, message):
    path = tmp_path / "memory.tmx"
    path.write_bytes(data)
    with pytest.raises(TranslationMemoryError, match=message):
        read_memory(path)


def test_merge_never_displaces_newer_english_and_reports_the_conflict():
    memory = TranslationMemory([MemoryEntry("s1", OLD, "newer", A, document="d",
                                            created="20260101T000000Z", changed="20260101T000000Z")])
    report = memory.merge([MemoryEntry("s1", OLD, "older", A, document="d",
                                       created="20240101T000000Z", changed="20240101T000000Z")])
    assert report.added == 1 and len(report.conflicts) == 1 and "kept 'newer'" in report.conflicts[0]
    assert memory.matches(OLD)[0].target == "newer"


# --- where the memory lives, and what goes in ------------------------------------------------------


def test_memory_lives_beside_the_glossary_unless_told(tmp_path, monkeypatch):
    monkeypatch.delenv("LESHAN_PUB_MEMORY", raising=False)
    default = Path("glossary/leshan.tsv")
    assert memory_path(None, None, default) == Path("glossary/memory.tmx")
    assert memory_path(None, tmp_path / "terms" / "g.tsv", default) == tmp_path / "terms" / "memory.tmx"
    assert memory_path(tmp_path / "mine.tmx", tmp_path / "g.tsv", default) == tmp_path / "mine.tmx"
    monkeypatch.setenv("LESHAN_PUB_MEMORY", str(tmp_path / "env.tmx"))
    assert memory_path(None, tmp_path / "g.tsv", default) == tmp_path / "env.tmx"


def test_record_keeps_only_human_work_and_writes_nothing_when_nothing_changed(tmp_path, monkeypatch):
    monkeypatch.setenv("LESHAN_PUB_TRANSLATOR", "Li Wei")
    settings = MemorySettings(tmp_path / "memory.tmx")
    segments = [
        Segment("a", 0, Role.PARAGRAPH, "第一句。", "First.", A),
        Segment("b", 0, Role.PARAGRAPH, "第二句。", "Second.", R),
        Segment("c", 0, Role.PARAGRAPH, "第三句。", "MT", M),
        Segment("d", 0, Role.PARAGRAPH, "第四句。", "", N),
    ]
    assert record_segments(settings, segments, "doc") == 2
    entries = read_memory(settings.path).entries
    assert [(e.source, e.state, e.document, e.id, e.who) for e in entries] == [
        ("第一句。", A, "doc", "a", "Li Wei"), ("第二句。", R, "doc", "b", "Li Wei")
    ]
    assert all(e.changed.endswith("Z") and len(e.changed) == 16 for e in entries)
    before = settings.path.read_bytes()
    assert record_segments(settings, segments, "doc") == 0 and settings.path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["memory.tmx"]  # atomic: no temporary or lock left


def test_leverage_fills_new_segments_exact_as_reviewed_and_fuzzy_as_a_marked_draft():
    memory = memory_with((OLD, OLD_EN))
    segments = [
        Segment("x", 0, Role.PARAGRAPH, OLD.replace("２０２５", "2025"), state=N),
        Segment("y", 0, Role.PARAGRAPH, OLD.replace("6.8%", "7.1%"), state=N),
        Segment("z", 0, Role.PARAGRAPH, "无关的句子。", state=N),
        Segment("w", 0, Role.PARAGRAPH, OLD, "Someone's own English", R),
    ]
    report = leverage(segments, memory, 75)
    exact, fuzzy, none, human = segments
    assert (report.exact, report.fuzzy) == (1, 1)
    assert (exact.target, exact.state, exact.notes) == (OLD_EN, R, ["exact match from yibin/s0"])
    assert (fuzzy.target, fuzzy.state) == (OLD_EN, M) and fuzzy.is_fuzzy_draft
    assert fuzzy.notes[0].startswith("fuzzy match 9") and fuzzy.notes[0].endswith("% from yibin/s0")
    assert (none.target, none.state) == ("", N) and (human.target, human.state) == ("Someone's own English", R)


def test_candidates_travel_as_xliff_alt_trans_with_quality_and_origin():
    segment = Segment("y", 0, Role.PARAGRAPH, OLD.replace("6.8%", "7.1%"), state=N)
    leverage([segment], memory_with((OLD, OLD_EN)), 75)
    document = Document("doc", [segment], Provenance("0", "1"))
    data = render_xliff(document)
    assert b'state-qualifier="fuzzy-match"' in data and b'origin="yibin/s0"' in data
    assert f'match-quality="{segment.matches[0].score}"'.encode() in data
    back = parse_xliff(data).segments[0]
    assert back.matches == [Match(OLD, OLD_EN, segment.matches[0].score, "yibin/s0")] and back.is_fuzzy_draft


# --- the memory commands -------------------------------------------------------------------------------


def test_memory_commands_import_export_and_count(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from helpers import SAMPLE_SEGFILE
    from leshan_pub.cli import app

    runner = CliRunner()
    memory = tmp_path / "memory.tmx"
    monkeypatch.setenv("LESHAN_PUB_TRANSLATOR", "Li Wei")
    added = runner.invoke(app, ["memory", "import", str(SAMPLE_SEGFILE), "--memory", str(memory)])
    assert added.exit_code == 0 and "59 added, 0 updated, 0 unchanged, 0 conflicts" in added.stdout
    again = runner.invoke(app, ["memory", "import", str(SAMPLE_SEGFILE), "--memory", str(memory)])
    assert "0 added, 0 updated, 59 unchanged" in again.stdout

    exported = tmp_path / "for-another-tool.tmx"
    assert runner.invoke(app, ["memory", "export", str(exported), "--memory", str(memory)]).exit_code == 0
    units = tt_tmx.tmxfile.parsestring(exported.read_bytes()).getunits()
    assert len(units) == 59 and all(u.source and u.target for u in units)

    stats = runner.invoke(app, ["memory", "stats", "--memory", str(memory)])
    assert "59 entries" in stats.stdout and "approved             59" in stats.stdout and "Li Wei (59)" in stats.stdout

    hostile = tmp_path / "hostile.tmx"
    hostile.write_bytes(b'<?xml version="1.0"?><!DOCTYPE tmx [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><tmx>&b;</tmx>')
    before = memory.read_bytes()
    refused = runner.invoke(app, ["memory", "import", str(hostile), "--memory", str(memory)])
    assert refused.exit_code == 1 and refused.stderr.count("\n") == 1 and "unsafe XML" in refused.stderr
    assert memory.read_bytes() == before


def test_reusing_approved_english_as_an_exact_match_keeps_it_approved_in_the_memory():
    memory = memory_with((OLD, OLD_EN))
    reused = Segment("x", 0, Role.PARAGRAPH, OLD.replace("２０２５", "2025"), OLD_EN, R)
    assert memory.record([reused], "other-document") == 0
    assert [(e.state, e.document) for e in memory.entries] == [(A, "yibin")]
