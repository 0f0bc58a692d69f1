"""Script detection and folding: simplified, traditional and mixed articles; matching across scripts."""

from __future__ import annotations

import pytest

from leshan_pub.errors import InputError
from leshan_pub.read import read_article
from leshan_pub.script import (
    AS_WRITTEN, MODEL_SCRIPT_DEFAULT, Script, detect_script, resolve_script, script_of, to_model_script, to_simplified,
)
from leshan_pub.terms import Glossary, Term
from helpers import DATA, GLOSSARY as PROJECT_GLOSSARY, SAMPLE

TRADITIONAL = DATA / "leshan-vanadium.zh-hant.txt"
# A simplified report that quotes a traditional-Chinese press release at length.
MIXED = (
    "乐山市经济和信息化局表示，全钒液流电池产业集群正在加快形成。"
    "台湾合作方在新闻稿中写道：「我們與樂山的合作將擴大至電堆、雙極板與儲能電站，預計明年投產。」"
)


@pytest.mark.parametrize(
    "path, script",
    [(SAMPLE, Script.HANS), (DATA / "zigong-lantern.zh.txt", Script.HANS),
     (DATA / "chengdu-plain-crlf.zh.txt", Script.HANS), (TRADITIONAL, Script.HANT)],
    ids=lambda v: getattr(v, "name", str(v)),
)
def test_articles_are_detected_in_their_script(path, script):
    assert detect_script(read_article(path)).script is script


@pytest.mark.parametrize(
    "text, script",
    [
        ("乐山的钒电池产业", Script.HANS),
        ("樂山的釩電池產業", Script.HANT),
        ("臺灣的颱風過後，後來的檯燈亮了", Script.HANT),  # 臺/颱/檯 all fold to 台
        ("乾隆年间的乐山", Script.HANS),  # 乾 is simplified too in 乾隆: phrase conversion keeps it
        ("台北的后里区，里面有乐山的钒矿", Script.HANS),  # 台/后/里 are traditional as well: no evidence
        ("台北的後里區，這裡的發展", Script.HANT),  # 台 is Hong Kong and Taiwan usage
        (MIXED, Script.MIXED),
        ("２０２５年，ＬＥＤ。", Script.HANS),  # nothing tells the scripts apart: the default
    ],
)
def test_detection_table(text, script):
    assert detect_script(text).script is script


def test_detection_counts_the_evidence():
    report = detect_script(read_article(TRADITIONAL))
    assert report.traditional > 100 and report.simplified < report.traditional * 0.05
    assert report.describe().startswith("zh-Hant (")


@pytest.mark.parametrize("choice, script", [("zh-Hans", Script.HANS), ("zh-Hant", Script.HANT), ("auto", Script.HANT)])
def test_a_user_may_force_the_script(choice, script):
    assert resolve_script("樂山的釩電池", choice).script is script


def test_an_unknown_forced_script_is_refused_with_the_choices():
    with pytest.raises(InputError, match="source script 'zh-TW' is not known; use one of auto, zh-Hans, zh-Hant"):
        resolve_script("樂山", "zh-TW")


@pytest.mark.parametrize(
    "tag, recorded, script",
    [("zh-CN", "", Script.HANS), ("zh-TW", "", Script.HANT), ("zh-HK", "", Script.HANT), ("zh-Hant-TW", "", Script.HANT),
     ("zh-CN", "mixed", Script.MIXED), ("zh-CN", "zh-Hant", Script.HANT)],
)
def test_script_of_a_segment_file(tag, recorded, script):
    assert script_of(tag, recorded) is script


@pytest.mark.parametrize(
    "traditional, simplified",
    [("樂山", "乐山"), ("釩", "钒"), ("電池", "电池"), ("臺", "台"), ("颱", "台"), ("檯", "台"), ("台", "台"),
     ("乾", "干"), ("幹", "干"), ("髮", "发"), ("發", "发"), ("後", "后"), ("裡", "里"), ("裏", "里"),
     ("衞", "卫"), ("衛", "卫"), ("爲", "为"), ("為", "为"), ("峯", "峰"), ("綫", "线"), ("啟", "启"),
     ("ＧＷｈ２０２５", "ＧＷｈ２０２５"), ("¹⁷⁷Lu", "¹⁷⁷Lu")],
)
def test_folding_is_character_by_character_and_keeps_offsets(traditional, simplified):
    folded, origin = to_simplified(traditional)
    assert folded == simplified
    assert origin == list(range(len(traditional)))


GLOSSARY = Glossary([
    Term("乐山", "Leshan"), Term("全钒液流电池", "vanadium flow battery"), Term("全钒液流电池储能", "vanadium flow battery energy storage"),
    Term("电堆", "cell stack"), Term("台风", "typhoon"), Term("臺灣", "Taiwan"), Term("多晶硅", "polysilicon", source_variants=("多晶矽",)),
])


@pytest.mark.parametrize(
    "text, found",
    [
        ("樂山的全釩液流電池", [("樂山", "乐山"), ("全釩液流電池", "全钒液流电池")]),
        ("乐山的全钒液流电池", [("乐山", "乐山"), ("全钒液流电池", "全钒液流电池")]),
        ("全釩液流電池儲能電站", [("全釩液流電池儲能", "全钒液流电池储能")]),  # leftmost-longest across scripts
        ("全钒液流電池儲能", [("全钒液流電池儲能", "全钒液流电池储能")]),  # mixed inside one term
        ("颱風過後", [("颱風", "台风")]),  # one-to-many: 颱 and 台 fold alike
        ("台湾和臺灣", [("台湾", "臺灣"), ("臺灣", "臺灣")]),  # a traditional entry finds simplified text
        ("樂山樂山", [("樂山", "乐山"), ("樂山", "乐山")]),
        ("在２０２５年，乐山電堆", [("乐山", "乐山"), ("電堆", "电堆")]),  # full-width text before: offsets hold
        ("多晶矽與多晶硅", [("多晶矽", "多晶硅"), ("多晶硅", "多晶硅")]),  # regional vocabulary: a source variant
        ("快乐山歌", [("乐山", "乐山")]),  # no word boundaries in Chinese: as before
        ("山乐", []),
    ],
)
def test_glossary_matches_across_scripts_with_the_authors_offsets(text, found):
    hits = GLOSSARY.find(text)
    assert [(text[h.start : h.end], h.term.source) for h in hits] == found


def test_glossary_get_finds_an_entry_by_its_traditional_spelling():
    assert GLOSSARY.get("全釩液流電池").target == "vanadium flow battery"


@pytest.mark.parametrize(
    "traditional, simplified",
    [("年產值突破３００億元", "年产值突破３００亿元"), ("一萬兩千人", "一万两千人"), ("兩條生產線", "两条生产线"),
     ("增長４２％", "增长４２％")],
)
def test_figures_of_traditional_text_read_as_the_simplified(traditional, simplified):
    from leshan_pub.quality.numbers import chinese_figures

    def seen(text):
        return [(f.text, f.values) for f in chinese_figures(text)]

    assert seen(traditional) and [v for _, v in seen(traditional)] == [v for _, v in seen(simplified)]
    assert all(text in traditional for text, _ in seen(traditional))  # the author's characters and offsets


def test_segment_records_a_forced_script_and_refuses_an_unknown_one(tmp_path):
    from typer.testing import CliRunner

    from leshan_pub.cli import app
    from leshan_pub.formats.segfile import read_segment_file, segment_file_for

    source = tmp_path / "article.zh.txt"
    source.write_text("山水之中，有人家。\n", encoding="utf-8")  # shared characters: detection says zh-Hans
    runner = CliRunner()
    assert runner.invoke(app, ["segment", str(source)]).exit_code == 0
    assert read_segment_file(segment_file_for(source)).script is Script.HANS
    result = runner.invoke(app, ["segment", str(source), "--source-script", "zh-Hant"])
    assert result.exit_code == 0 and "script zh-Hant (0 traditional, 0 simplified characters)" in result.output
    document = read_segment_file(segment_file_for(source))
    assert (document.script, document.source_language) == (Script.HANT, "zh-TW")
    bad = runner.invoke(app, ["segment", str(source), "--source-script", "traditional"])
    assert bad.exit_code == 1
    assert bad.output.strip().splitlines() == [
        "leshan-pub: error: source script 'traditional' is not known; use one of auto, zh-Hans, zh-Hant"]


# --- the script the model is fed (settings: model_script) ----------------------------------------------


@pytest.mark.parametrize(
    "text, fed",
    [
        ("樂山大佛是世界文化遺產。", "乐山大佛是世界文化遗产。"),
        ("乾隆年間，人們瞭解了頭髮的護理。", "乾隆年间，人们了解了头发的护理。"),  # phrases: 乾隆 kept, 瞭解 -> 了解
        ("鹽幫菜以麻辣著稱。", "盐帮菜以麻辣著称。"),  # 著称, not the character fold's 着称
        ("衞生與啟動，裡面", "卫生与启动，里面"),  # Hong Kong and Taiwan variants first
        ("乐山大佛是世界文化遗产。", "乐山大佛是世界文化遗产。"),  # simplified: as written
        ("他的成绩显著提高。", "他的成绩显著提高。"),  # t2s would write 显着: simplified text is left alone
        ("２０２５ GWh", "２０２５ GWh"),
        ("", ""),
    ],
)
def test_the_model_is_fed_traditional_text_as_simplified_phrases(text, fed):
    assert to_model_script(text) == fed
    assert to_model_script(text, AS_WRITTEN) == text
    assert MODEL_SCRIPT_DEFAULT == "zh-Hans"


def test_the_model_is_fed_the_simplified_article_unchanged_and_the_traditional_one_converted():
    simplified = read_article(SAMPLE)
    assert all(to_model_script(line) == line for line in simplified.splitlines())
    traditional = read_article(TRADITIONAL).splitlines()
    fed = [to_model_script(line) for line in traditional]
    assert sum(f != t for f, t in zip(fed, traditional)) >= 0.8 * sum(bool(t.strip()) for t in traditional)
    assert detect_script("\n".join(fed)).script is Script.HANS


def test_what_the_model_is_fed_holds_every_term_the_glossary_finds_in_the_authors_text():
    # The engines' span finder (engines/alignment.py) is the glossary matcher on what the model reads:
    # every term found in the traditional article must be found, in order, in its converted form.
    from leshan_pub.glossary import load_glossary

    glossary = load_glossary(PROJECT_GLOSSARY)
    found = 0
    for line in read_article(TRADITIONAL).splitlines():
        wanted = [hit.term for hit in glossary.find(line)]
        assert [hit.term for hit in Glossary(list(dict.fromkeys(wanted))).find(to_model_script(line))] == wanted, line
        found += len(wanted)
    assert found >= 20


def test_feeding_the_model_loads_each_opencc_dictionary_once():
    # Detection and conversion use six OpenCC configs between them; a cache smaller than that reloaded
    # dictionaries on every sentence (about 0.1 s each: the traditional proxy rows took 20x as long).
    from leshan_pub.script import _converter

    lines = read_article(TRADITIONAL).splitlines()
    [to_model_script(line) for line in lines]
    loaded = _converter.cache_info().misses
    [to_model_script(line) for line in lines + ["显著提高"]]
    assert _converter.cache_info().misses == loaded
