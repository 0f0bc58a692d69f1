import codecs
import os
import random

import pytest

from helpers import DATA, SAMPLE
from leshan_pub.errors import InputError
from leshan_pub.read import (
    MAX_ARTICLE_BYTES,
    common_characters,
    decode_article,
    detect_encoding,
    read_article,
    require_chinese,
)
from leshan_pub.segment import segment_blocks
from leshan_pub.structure import parse_structure

TEXT = "乐山：培育新质生产力。\n第二段。\n"

# A traditional-character article, as a Taiwanese newspaper would print it: Big5 can hold all of it.
TRADITIONAL = """阿里山茶區：

高山茶的百年傳承

2024年春季，嘉義縣阿里山鄉的茶農迎來了近十年來最好的一次收成。

清晨五點，雲霧還沒有散去，採茶工人已經揹著竹簍走進茶園。「每一片葉子都要用手摘，機器會傷到嫩芽。」在這裡工作了三十多年的陳阿姨說。

阿里山茶區海拔在一千公尺以上，日夜溫差大，茶葉生長緩慢，因此滋味特別甘甜。近年來，當地鄉公所與農會合作，推動產銷履歷制度，讓消費者可以查詢每一批茶葉的來源。

二、從茶園到餐桌

除了傳統的烏龍茶，年輕一代的茶農也開始嘗試紅茶與冷泡茶，並透過網路銷售到海外市場。據統計，去年全鄉茶葉產值已經超過新臺幣二十億元。

（記者 林志明 攝影：王美玲）
"""

ENCODING_HINT = "--encoding utf-8|gb18030|big5|utf-16"


@pytest.mark.parametrize(
    "data",
    [
        TEXT.encode("utf-8"),
        codecs.BOM_UTF8 + TEXT.encode("utf-8"),
        TEXT.replace("\n", "\r\n").encode("utf-8"),
        TEXT.replace("\n", "\r").encode("utf-8"),
        TEXT.encode("utf-16"),  # with BOM
        codecs.BOM_UTF16_BE + TEXT.encode("utf-16-be"),
        TEXT.encode("utf-32"),  # with BOM
        TEXT.encode("gb18030"),
        TEXT.replace("\n", "\r\n").encode("gbk"),
    ],
    ids=["utf8", "utf8-bom", "crlf", "cr", "utf16-bom", "utf16be-bom", "utf32-bom", "gb18030", "gbk-crlf"],
)
def test_decode_gives_the_same_text_for_every_form(data):
    assert decode_article(data) == TEXT


def _segments(text: str) -> list[tuple[str, str, str]]:
    return [(s.id, s.role, s.source) for s in segment_blocks(parse_structure(text))]


def _article(name: str) -> str:
    if name == "traditional":
        return TRADITIONAL
    return (SAMPLE if name == "sample" else DATA / name).read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "article, encoding",
    [
        ("sample", "utf-8-sig"),
        ("sample", "utf-16"),
        ("sample", "gb18030"),
        ("zigong-lantern.zh.txt", "gb18030"),  # superscripts: GB18030's four-byte sequences
        ("chengdu-plain-crlf.zh.txt", "gbk"),
        ("traditional", "utf-8-sig"),
        ("traditional", "utf-16"),
        ("traditional", "gb18030"),
        ("traditional", "gbk"),
        ("traditional", "big5"),
    ],
)
def test_every_encoding_of_an_article_gives_the_segments_of_its_utf8_form(tmp_path, article, encoding):
    text = _article(article)
    path = tmp_path / "article.zh.txt"
    path.write_bytes(text.encode(encoding))
    assert _segments(read_article(path)) == _segments(read_article(_write(tmp_path / "utf8.zh.txt", text)))
    assert read_article(path) == text.replace("\r\n", "\n")


def _write(path, text: str):
    path.write_bytes(text.encode("utf-8"))
    return path


@pytest.mark.parametrize(
    "data, encoding",
    [
        ("乐山".encode("gb18030"), "gb18030"),  # two characters: the common ones decide
        ("臺灣夜市".encode("big5"), "big5"),
        (TRADITIONAL.encode("big5"), "big5"),
        (TRADITIONAL.encode("gb18030"), "gb18030"),
        (SAMPLE.read_text(encoding="utf-8").encode("gb18030"), "gb18030"),
        (TEXT.encode("utf-8"), "utf-8"),
    ],
)
def test_detect_tells_gb18030_from_big5(data, encoding):
    assert detect_encoding(data) == encoding


@pytest.mark.parametrize(
    "data",
    [
        "Café crème brûlée à la française, très délicieux.".encode("latin-1"),
        "日本語のテキストです。これはテストです。ひらがなとカタカナ。".encode("shift_jis"),
        "한국어 텍스트입니다. 이것은 테스트입니다.".encode("euc_kr"),
        "Привет, как дела? Это тестовый текст.".encode("cp1251"),
        bytes(random.Random(7).randrange(0x81, 0xFF) for _ in range(2000)),
    ],
    ids=["latin-1", "shift-jis", "euc-kr", "cp1251", "random-high-bytes"],
)
def test_undecidable_bytes_name_the_encoding_options(data):
    with pytest.raises(InputError, match=f"cannot tell its encoding .*{ENCODING_HINT}"):
        decode_article(data)


def test_explicit_encoding_overrides_detection():
    text = "阿里山高山茶。"
    assert decode_article(text.encode("big5"), encoding="big5") == text
    # The same bytes read as GB18030 give other characters: the user's word wins.
    assert decode_article(text.encode("big5"), encoding="gb18030") != text


def test_gbk_is_read_as_gb18030():
    text = "温度升到３０℃，€和¹⁷⁷Lu也在。"  # € and superscripts: GB18030 has them, strict GBK not all
    assert decode_article(text.encode("gb18030"), encoding="gbk") == text
    assert decode_article(text.encode("gb18030"), encoding="GB2312") == text


def test_explicit_encoding_that_does_not_fit_names_the_byte_and_the_options():
    with pytest.raises(InputError, match=f"byte 0: not valid utf-8; .*{ENCODING_HINT}"):
        decode_article(TEXT.encode("gb18030"), encoding="utf-8")


def test_decode_removes_stray_controls_but_keeps_the_authors_characters():
    text = "全角２０２５\x07年，¹⁷⁷核素\x1b。"
    assert decode_article(text.encode()) == "全角２０２５年，¹⁷⁷核素。"


def test_decode_never_normalises_what_the_author_wrote():
    # Each of these changes under NFKC; the reader keeps them as written.
    text = "①２０㎡ﬁ⁹⁰Ｙ　「」︰ｶﾞ\n"
    assert decode_article(text.encode()) == text


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("一。\x0b二。", "一。\n二。"),
        ("一。\x0c二。", "一。\n二。"),
        ("一。\u2028二。\u2029三。", "一。\n二。\n三。"),
        ("一。\ufeff二。", "一。二。"),  # a BOM left inside by joining two files
        ("一。\ufffe二。\uffff", "一。二。"),  # noncharacters XML cannot hold
        ("一。\x85二。", "一。\n二。"),
        ("一\t二。", "一\t二。"),
    ],
    ids=["vt", "ff", "line-para-separators", "inner-bom", "nonchars", "nel", "tab-kept"],
)
def test_decode_turns_line_controls_into_line_ends(raw, expected):
    assert decode_article(raw.encode()) == expected


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "empty"),
        (b"   \n\t\n", "empty"),
        ("\u3000\n".encode(), "white space"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00", "binary"),
        (b"\x01\x02\x03\x04\x7f\n", "white space"),
    ],
)
def test_decode_refuses_what_is_no_article_with_a_hint(data, message):
    with pytest.raises(InputError, match=message):
        decode_article(data)


def test_decode_names_an_unknown_encoding():
    with pytest.raises(InputError, match="unknown encoding 'klingon'; use one of utf-8, gb18030, big5, utf-16"):
        decode_article(b"abc", encoding="klingon")


def test_read_article_refuses_missing_files_and_folders(tmp_path):
    with pytest.raises(InputError, match="not found"):
        read_article(tmp_path / "nope.txt")
    with pytest.raises(InputError, match="is a folder"):
        read_article(tmp_path)


def test_read_article_refuses_an_article_over_the_size_limit_without_reading_it(tmp_path):
    huge = tmp_path / "huge.zh.txt"
    with huge.open("wb") as handle:
        handle.truncate(MAX_ARTICLE_BYTES + 1)  # sparse: no 50 MB of memory or disk
    with pytest.raises(InputError, match=r"is 50\.0 MB; articles may be at most 50 MB, split it"):
        read_article(huge)
    with pytest.raises(InputError, match="at most 50 MB"):
        decode_article(b"x" * (MAX_ARTICLE_BYTES + 1))


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_read_article_refuses_a_pipe_instead_of_waiting_on_it(tmp_path):
    pipe = tmp_path / "pipe.zh.txt"
    os.mkfifo(pipe)
    with pytest.raises(InputError, match="not a regular file"):
        read_article(pipe)


def test_common_characters_hold_both_scripts():
    common = common_characters()
    assert 500 < len(common) <= 1000
    assert {"的", "国", "國", "这", "這", "产", "產"} <= common


# --- not Chinese: refused instead of "translated" ------------------------------------------------

ENGLISH = "Wutongqiao reports growth\n\nThe district of Wutongqiao (乐山市五通桥区) in Leshan reported strong growth in polysilicon output this year.\n"
JAPANESE = "楽山市の観光\n\n楽山大仏は世界遺産に登録されており、毎年多くの観光客が訪れます。\n"
KOREAN = "러산시 관광\n\n러산 대불은 세계 문화유산으로 매년 많은 관광객이 찾는다 (乐山).\n"


@pytest.mark.parametrize(
    "text, why",
    [
        pytest.param(ENGLISH, r"1\d words in other scripts against 7 Chinese characters", id="english-quoting-a-name"),
        pytest.param(JAPANESE, r"Japanese kana .* looks Japanese", id="japanese"),
        pytest.param(KOREAN, r"Korean Hangul .* looks Korean", id="korean"),
        pytest.param("12345\n\n67890\n", r"0 Chinese characters", id="no-han-at-all"),
        pytest.param("乐山\n\nOK\n", r"2 Chinese characters; an article needs at least 5", id="too-little"),
    ],
)
def test_an_article_that_is_not_chinese_is_refused_with_the_reason(text, why):
    with pytest.raises(InputError, match=why):
        require_chinese(text, "a.txt")


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("乐山新闻\n\n乐山市与Tongwei Co., Ltd.、GCL Technology签约，GDP增长5.8%。\n", id="simplified-with-english-names"),
        pytest.param("樂山新聞\n\n樂山市釩電池產業鏈持續擴張，多晶矽產量創新高。\n", id="traditional"),
        pytest.param("乐山・峨眉山旅游\n\n景区游客量创新高。\n", id="katakana-middle-dot-in-a-chinese-name"),
        pytest.param("多晶硅扩产。\n", id="one-short-sentence"),
    ],
)
def test_chinese_articles_pass(text):
    require_chinese(text, "a.txt")


def test_segment_refuses_an_english_article_and_writes_nothing(tmp_path):
    from typer.testing import CliRunner

    from leshan_pub.cli import app

    article = tmp_path / "english.zh.txt"
    article.write_text(ENGLISH, encoding="utf-8")
    result = CliRunner().invoke(app, ["build", str(article), "--no-glossary", "--out", str(tmp_path / "o")])
    assert result.exit_code == 1 and result.stderr.count("\n") == 1
    assert "is not a Chinese article" in result.stderr and "Traceback" not in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["english.zh.txt"]


def test_control_characters_are_reported_with_where_and_what_was_done(tmp_path):
    from leshan_pub.inputs import read_source

    path = tmp_path / "pasted.zh.txt"
    path.write_bytes("乐山大佛\n\n乐山\x00大佛位于\x07四川\x0c乐山市\x00。\n".encode("utf-8"))
    article = read_source(path, None)
    assert "\x00" not in "".join(b.text for b in article.blocks)
    removed, lined = article.skipped
    assert "removed 3 control character(s) (2 × U+0000 NUL, 1 × U+0007 BEL)" in removed
    assert "line 3 column 3, line 3 column 8, line 3 column 15" in removed
    assert lined.endswith("made line ends of 1 control character(s) (1 × U+000C FORM FEED) at line 3 column 11")


def test_many_control_characters_are_one_line_with_a_count(tmp_path):
    from leshan_pub.read import control_report

    (line,) = control_report("乐山" + "\x00" * 400 + "大佛")
    assert "removed 400 control character(s)" in line and line.endswith("and 395 more")
