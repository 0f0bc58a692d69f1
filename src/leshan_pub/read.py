"""Bytes to text: encodings, byte-order marks, line ends, and refusal of what is not an article."""

from __future__ import annotations

import codecs
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

from .chars import HAN, HAN_CHARACTER
from .errors import InputError
from .files import read_input

MAX_ARTICLE_BYTES = 50 * 1024 * 1024
ENCODING_CHOICES = "utf-8|gb18030|big5|utf-16"

# Line-like controls become line ends; other C0/C1 controls, U+FEFF left inside by joining files,
# and the noncharacters XML cannot hold are debris from copy-paste. Every other character the author
# wrote is kept as written (no NFKC).
_LINE_CONTROLS = re.compile("\r\n|[\r\x0b\x0c\x85\u2028\u2029]")
_STRAY_CONTROLS = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f\ufeff\ufffe\uffff]")
# UTF-32 first: its little-endian BOM begins with UTF-16's.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# GBK and GB2312 are subsets of GB18030: reading with GB18030 gives the same text and never fails
# on the characters Windows added.
_SUPERSETS = {"gbk": "gb18030", "gb2312": "gb18030"}
_LEGACY_CANDIDATES = ("gb18030", "big5", "utf_16")
# A decoding is an article when nearly all of its non-ASCII text is Chinese and common characters
# make up a real share of it: a wrong decoding of Chinese bytes gives rare characters, and a wrong
# decoding of other bytes gives few Chinese ones. Measured: the sample and test articles 1.0 and
# 0.54-0.87; a Big5 article read as GB18030 0.39 and 0.05 (GB18030 bytes rarely decode as Big5).
_MIN_CHINESE_SHARE = 0.8
_MIN_COMMON_SHARE = 0.25
_CHINESE_TEXT = re.compile(
    f"[{HAN}"  # ideographs
    "\u3000-\u303f\uff00-\uffef\u2010-\u206f\u00b7"  # CJK and full-width punctuation, dashes, quotes
    "\u2070-\u209f\u00b2\u00b3\u00b9\u00bc-\u00be\u2150-\u218f\u2460-\u24ff\u3200-\u33ff]"  # figures
)

# An article is Chinese when it has at least MIN_HAN_CHARACTERS Han characters and more of them than
# words in other scripts (a Chinese article quoting English names has far fewer words than Han
# characters; an English article quoting a Chinese name has far more). Kana mark Japanese and
# Hangul Korean, which share Han characters: refused too. The middle dot and prolonged sound mark
# (U+30FB, U+30FC) appear in Chinese text, so they do not count as kana.
MIN_HAN_CHARACTERS = 5
_MIN_KANA_SHARE = 0.2
_KANA = re.compile("[\u3040-\u309f\u30a0-\u30fa\u30fd-\u30ff\u31f0-\u31ff\uff66-\uff9d]")
_HANGUL = re.compile("[\u1100-\u11ff\u3130-\u318f\uac00-\ud7af]")
_OTHER_WORD = re.compile(r"[^\W\d_]+")


@dataclass(frozen=True)
class _Reading:
    """One candidate decoding of an article and how Chinese it looks."""

    encoding: str
    text: str
    ideographs: int
    common: int
    chinese_share: float

    @property
    def common_share(self) -> float:
        return self.common / self.ideographs if self.ideographs else 0.0

    @property
    def is_chinese(self) -> bool:
        return self.chinese_share >= _MIN_CHINESE_SHARE and self.common_share >= _MIN_COMMON_SHARE


@cache
def common_characters() -> frozenset[str]:
    """The most common Chinese characters, simplified and traditional, from data/common-hanzi.tsv."""
    text = resources.files("leshan_pub").joinpath("data", "common-hanzi.tsv").read_text(encoding="utf-8")
    rows = (line.split("\t") for line in text.splitlines() if line and not line.startswith("#"))
    return frozenset(ch for _rank, simplified, traditional in rows for ch in (simplified, traditional))


def _reading(encoding: str, text: str) -> _Reading:
    non_ascii = [ch for ch in text if not ch.isascii() and not ch.isspace()]
    chinese = sum(1 for ch in non_ascii if _CHINESE_TEXT.match(ch))
    ideographs = [ch for ch in non_ascii if HAN_CHARACTER.match(ch)]
    common = common_characters()
    return _Reading(
        encoding=encoding,
        text=text,
        ideographs=len(ideographs),
        common=sum(1 for ch in ideographs if ch in common),
        chinese_share=chinese / len(non_ascii) if non_ascii else 0.0,
    )


def detect_encoding(data: bytes, name: str = "article") -> str:
    """The encoding of article bytes: a BOM's, else UTF-8 when it decodes, else GB18030, Big5 or UTF-16.

    The legacy encodings are guessed only when the guess reads as Chinese; between GB18030 and
    Big5 the decoding with more common Chinese characters wins. Raise InputError for binary
    bytes and for bytes no candidate reads confidently.
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return encoding
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        return "utf-8"
    if b"\x00" in data:
        raise InputError(
            f"{name} looks binary (it holds NUL bytes); give a plain-text article, "
            "or pass --encoding utf-16 if it is UTF-16 without a byte-order mark"
        )
    chinese = [r for r in _legacy_readings(data) if r.is_chinese]
    chinese.sort(key=lambda r: r.common, reverse=True)
    if chinese and (len(chinese) == 1 or chinese[0].common > chinese[1].common):
        return chinese[0].encoding
    why = (
        f"{' and '.join(r.encoding for r in chinese)} read it equally well"
        if chinese
        else "not UTF-8, and no reading as GB18030, Big5 or UTF-16 looks like Chinese"
    )
    raise InputError(
        f"{name}: cannot tell its encoding ({why}); pass --encoding {ENCODING_CHOICES}, "
        "or check that it is a text file"
    )


def decode_spreadsheet(data: bytes) -> str:
    """The text of a table a spreadsheet saved (a glossary, a CSV of edits), in whatever Excel wrote:
    UTF-8 with or without a BOM, UTF-16 with a BOM ('Unicode Text'), or on a Chinese system GB18030
    or Big5, told apart as an article's encoding is, and for a few cells by which reading holds more
    common Chinese characters. Raise the UTF-8 UnicodeDecodeError when no encoding reads it as Chinese."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        try:
            encoding: str | None = detect_encoding(data, "spreadsheet")
        except InputError:
            encoding = None if b"\x00" in data else _likeliest_chinese_encoding(data)
        if encoding is None:
            raise exc from None
        try:
            return data.decode(encoding).removeprefix("\ufeff")
        except UnicodeDecodeError:
            raise exc from None


def _likeliest_chinese_encoding(data: bytes) -> str | None:
    """For short non-UTF-8 Chinese (a glossary's terms, too few for detect_encoding's shares): the
    legacy encoding whose reading holds the most common Chinese characters, or None on a tie or
    when no reading holds one."""
    readings = sorted(_legacy_readings(data), key=lambda r: r.common, reverse=True)
    if readings and readings[0].common and (len(readings) == 1 or readings[0].common > readings[1].common):
        return readings[0].encoding
    return None


def _legacy_readings(data: bytes) -> list[_Reading]:
    """Decodings of non-UTF-8 bytes: charset-normalizer's confident ones, else every strict one.

    charset-normalizer counts GB18030's four-byte sequences (superscripts, rare ideographs) as
    noise and can drop a good reading; the Chinese checks then decide alone.
    """
    import charset_normalizer  # only for files that are not UTF-8

    matches = charset_normalizer.from_bytes(data, cp_isolation=list(_LEGACY_CANDIDATES))
    readings = [_reading(codecs.lookup(match.encoding).name, str(match)) for match in matches]
    if any(r.is_chinese for r in readings):
        return readings
    strict: list[_Reading] = []
    for encoding in ("gb18030", "big5"):
        try:
            strict.append(_reading(encoding, data.decode(encoding)))
        except UnicodeDecodeError:
            continue
    return strict


def _codec(encoding: str) -> str:
    """The Python codec for an --encoding value; raise InputError for an unknown name."""
    try:
        name = codecs.lookup(encoding).name
    except LookupError:
        raise InputError(f"unknown encoding '{encoding}'; use one of {ENCODING_CHOICES.replace('|', ', ')}") from None
    return _SUPERSETS.get(name, name)


def normalise_text(text: str) -> str:
    """Text with LF line ends and without stray controls or BOMs; every other character is kept."""
    return _STRAY_CONTROLS.sub("", _LINE_CONTROLS.sub("\n", text))


SHOWN_POSITIONS = 5  # a report names this many places, then counts the rest


def control_report(text: str, name: str = "article") -> list[str]:
    """What normalise_text does to text's control characters, one line per kind of change, each with
    the characters, how many, and where (line:column, 1-based, in the text as read); [] when none.

    A leading BOM is the encoding's and never reported.
    """
    text = text.removeprefix("\ufeff")
    lines: list[str] = []
    for pattern, done in ((_STRAY_CONTROLS, "removed"), (re.compile("[\x0b\x0c\x85\u2028\u2029]"), "made line ends of")):
        found = [(m.start(), m.group()) for m in pattern.finditer(text)]
        if not found:
            continue
        kinds = Counter(ch for _, ch in found)
        named = ", ".join(f"{count} × U+{ord(ch):04X} {_control_name(ch)}" for ch, count in sorted(kinds.items()))
        places = ", ".join(_line_column(text, at) for at, _ in found[:SHOWN_POSITIONS])
        more = f" and {len(found) - SHOWN_POSITIONS} more" if len(found) > SHOWN_POSITIONS else ""
        lines.append(f"{name}: {done} {len(found)} control character(s) ({named}) at {places}{more}")
    return lines


def _control_name(ch: str) -> str:
    return unicodedata.name(ch, "") or _C0_NAMES.get(ord(ch), "control")


# unicodedata names no C0/C1 control; the ones pasted text brings most.
_C0_NAMES = {0x00: "NUL", 0x07: "BEL", 0x08: "BACKSPACE", 0x0B: "LINE TABULATION", 0x0C: "FORM FEED",
             0x1A: "SUBSTITUTE", 0x1B: "ESCAPE", 0x7F: "DELETE", 0x85: "NEXT LINE"}


def _line_column(text: str, at: int) -> str:
    line = text.count("\n", 0, at) + 1
    return f"line {line} column {at - (text.rfind(chr(10), 0, at) + 1) + 1}"


def decode_article(data: bytes, name: str = "article", encoding: str | None = None, notes: list[str] | None = None) -> str:
    """Decode article bytes to text with LF line ends; raise InputError when the bytes are no article.

    Without an explicit encoding, detect_encoding decides. The text never holds a character
    that XML 1.0 cannot store; the control characters taken out or made line ends are described
    in notes (control_report), when notes is given.
    """
    if len(data) > MAX_ARTICLE_BYTES:
        raise _too_large(name, len(data))
    if not data.strip():
        raise InputError(f"{name} is empty; give a Chinese article as a text file")
    codec = _codec(encoding) if encoding is not None else detect_encoding(data, name)
    try:
        text = data.decode(codec)
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{name} byte {exc.start}: not valid {encoding or codec}; "
            f"pass the encoding it was saved in, one of --encoding {ENCODING_CHOICES}"
        ) from None
    if notes is not None:
        notes += control_report(text.replace("\r\n", "\n").replace("\r", "\n"), name)
    text = normalise_text(text)
    if not text.strip():
        raise InputError(f"{name} holds only white space; give a Chinese article as a text file")
    return text


def _too_large(name: str, size: int) -> InputError:
    return InputError(
        f"{name} is {size / 1024 / 1024:.1f} MB; articles may be at most {MAX_ARTICLE_BYTES // 1024 // 1024} MB, "
        "split it into several articles"
    )


def read_article(path: Path, encoding: str | None = None) -> str:
    """Read an article file; raise InputError for a missing file, a folder, or undecodable bytes."""
    data = read_input(path, InputError, "the article's text file", max_bytes=MAX_ARTICLE_BYTES)
    return decode_article(data, name=str(path), encoding=encoding)


def require_chinese(text: str, name: str = "article") -> None:
    """Raise InputError when text is not a Chinese article: too few Han characters, Japanese, Korean,
    or mostly another language (see MIN_HAN_CHARACTERS)."""
    han = len(HAN_CHARACTER.findall(text))
    kana = len(_KANA.findall(text))
    hangul = len(_HANGUL.findall(text))
    others = len(_OTHER_WORD.findall(_HANGUL.sub(" ", _KANA.sub(" ", HAN_CHARACTER.sub(" ", text)))))
    if kana >= 5 and kana >= _MIN_KANA_SHARE * (han + kana):
        why = f"{kana} Japanese kana among {han + kana} characters: it looks Japanese"
    elif hangul > han:
        why = f"{hangul} Korean Hangul characters against {han} Han: it looks Korean"
    elif others > han:
        why = f"{others} words in other scripts against {han} Chinese characters"
    elif han < MIN_HAN_CHARACTERS:
        why = f"{han} Chinese characters; an article needs at least {MIN_HAN_CHARACTERS}"
    else:
        return
    raise InputError(
        f"{name} is not a Chinese article ({why}); leshan-pub translates Chinese (simplified or "
        "traditional) into English, so give it the Chinese text"
    )
