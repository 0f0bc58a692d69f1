import codecs

import pytest

from leshan_pub.errors import InputError
from leshan_pub.read import decode_article, read_article

TEXT = "乐山：培育新质生产力。\n第二段。\n"


@pytest.mark.parametrize(
    "data",
    [
        TEXT.encode("utf-8"),
        codecs.BOM_UTF8 + TEXT.encode("utf-8"),
        TEXT.replace("\n", "\r\n").encode("utf-8"),
        TEXT.replace("\n", "\r").encode("utf-8"),
        TEXT.encode("utf-16"),  # with BOM
    ],
    ids=["utf8", "utf8-bom", "crlf", "cr", "utf16-bom"],
)
def test_decode_gives_the_same_text_for_every_form(data):
    assert decode_article(data) == TEXT


def test_decode_with_explicit_encoding_reads_gb18030():
    assert decode_article(TEXT.encode("gb18030"), encoding="gb18030") == TEXT


def test_decode_removes_stray_controls_but_keeps_the_authors_characters():
    text = "全角２０２５\x07年，¹⁷⁷核素\x1b。"
    assert decode_article(text.encode()) == "全角２０２５年，¹⁷⁷核素。"


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "empty"),
        (b"   \n\t\n", "empty"),
        ("\u3000\n".encode(), "white space"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00", "binary"),
        (TEXT.encode("gb18030"), "--encoding gb18030"),
    ],
)
def test_decode_refuses_what_is_no_article_with_a_hint(data, message):
    with pytest.raises(InputError, match=message):
        decode_article(data)


def test_decode_names_an_unknown_encoding():
    with pytest.raises(InputError, match="unknown encoding 'klingon'"):
        decode_article(b"abc", encoding="klingon")


def test_read_article_refuses_missing_files_and_folders(tmp_path):
    with pytest.raises(InputError, match="not found"):
        read_article(tmp_path / "nope.txt")
    with pytest.raises(InputError, match="is a folder"):
        read_article(tmp_path)
