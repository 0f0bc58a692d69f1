"""Word's automatic list numbers (numbering.xml), worked out as Word shows them: 1. 2. 3., 一、, （一）, ①.

Word keeps a numbered paragraph's number out of its text: the paragraph (or its style) names a list
(w:numPr: numId and level), and the list's definition says how that level counts and how its number
is written. The reader puts the number in front of the text, as the author sees it; a bulleted
level has no number.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from lxml import etree

_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_NS = {"w": _W}
_VAL = f"{{{_W}}}val"
_CHINESE_DIGITS = "零一二三四五六七八九"
_LEVELS = 9  # Word's list levels, 0-8
_CLOSED = frozenset("、．。：）】」』〕")  # Chinese marks that end a number: the text follows with no space
_PLACEHOLDER = re.compile(r"%([1-9])")  # %1: the number of level 1, in its own format
_ROMAN = ((1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"), (50, "L"), (40, "XL"),
          (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I"))


def _chinese(n: int) -> str:
    """一 … 九十九 (and the plain digits beyond): how Chinese counts list items."""
    if n < 10:
        return _CHINESE_DIGITS[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return ("" if tens == 1 else _CHINESE_DIGITS[tens]) + "十" + (_CHINESE_DIGITS[ones] if ones else "")
    return str(n)


def _letters(n: int) -> str:
    """a … z, aa … zz: Word repeats the letter past z."""
    return chr(ord("a") + (n - 1) % 26) * ((n - 1) // 26 + 1) if n > 0 else str(n)


def _roman(n: int) -> str:
    out = ""
    for value, numeral in _ROMAN:
        while n >= value:
            out, n = out + numeral, n - value
    return out.lower()


def _full_width(n: int) -> str:
    return str(n).translate({ord(d): ord(d) + 0xFEE0 for d in "0123456789"})


def _circled(n: int) -> str:
    return chr(0x2460 + n - 1) if 1 <= n <= 20 else str(n)


_FORMATS: dict[str, Callable[[int], str]] = {
    "decimal": str,
    "decimalZero": lambda n: f"{n:02d}",
    "decimalFullWidth": _full_width,
    "decimalFullWidth2": _full_width,
    "decimalEnclosedCircle": _circled,
    "decimalEnclosedCircleChinese": _circled,
    "decimalEnclosedParen": lambda n: chr(0x2474 + n - 1) if 1 <= n <= 20 else f"({n})",
    "lowerLetter": _letters,
    "upperLetter": lambda n: _letters(n).upper(),
    "lowerRoman": _roman,
    "upperRoman": lambda n: _roman(n).upper(),
    **{name: _chinese for name in (
        "chineseCounting", "chineseCountingThousand", "chineseLegalSimplified", "ideographTraditional",
        "taiwaneseCounting", "taiwaneseCountingThousand", "japaneseCounting",
    )},
}


class ListNumbers:
    """The number Word shows before each numbered paragraph, in document order (call number() in order)."""

    def __init__(self, numbering: etree._Element | None) -> None:
        self._levels: dict[tuple[str, int], tuple[str, str, int, bool]] = {}  # (numId, level) -> _level's
        self._abstract: dict[str, str] = {}  # numId -> abstractNumId
        self._restart: dict[tuple[str, int], int] = {}  # (numId, level) -> startOverride
        self._counters: dict[str, list[int | None]] = {}  # abstractNumId -> count per level (None: not begun)
        self._seen: set[str] = set()  # numIds met so far: a startOverride restarts the list at the first
        if numbering is None:
            return
        abstract = {a.get(f"{{{_W}}}abstractNumId"): a for a in numbering.findall(f"{{{_W}}}abstractNum")}
        for num in numbering.findall(f"{{{_W}}}num"):
            num_id = num.get(f"{{{_W}}}numId")
            ref = num.find(f"{{{_W}}}abstractNumId")
            if num_id is None or ref is None or ref.get(_VAL) not in abstract:
                continue
            self._abstract[num_id] = ref.get(_VAL, "")
            for lvl in abstract[ref.get(_VAL)].findall(f"{{{_W}}}lvl"):
                if (level := _int(lvl.get(f"{{{_W}}}ilvl"), -1)) >= 0:  # a level that names none is left out
                    self._levels[num_id, level] = _level(lvl)
            for override in num.findall(f"{{{_W}}}lvlOverride"):
                level = _int(override.get(f"{{{_W}}}ilvl"), 0)
                if (lvl := override.find(f"{{{_W}}}lvl")) is not None:
                    self._levels[num_id, level] = _level(lvl)
                if (start := override.find(f"{{{_W}}}startOverride")) is not None:
                    self._restart[num_id, level] = _int(start.get(_VAL), 1)

    def number(self, num_id: str, level: int) -> str:
        """The number of the next paragraph of list num_id at level, with the space that follows it where
        one does ("" for a bullet or an unknown list)."""
        if (num_id, level) not in self._levels or not 0 <= level < _LEVELS:
            return ""
        counters = self._counters.setdefault(self._abstract[num_id], [None] * _LEVELS)
        if num_id not in self._seen:  # a list that restarts the numbering it shares with others
            self._seen.add(num_id)
            for (nid, lvl), start in self._restart.items():
                if nid == num_id and lvl < len(counters):
                    counters[lvl] = start - 1
        current = counters[level]
        fmt, text, start, spaced = self._levels[num_id, level]
        counters[level] = start if current is None else current + 1
        for deeper in range(level + 1, len(counters)):
            counters[deeper] = None  # a deeper level starts again under each item of this one
        if fmt not in _FORMATS:
            return ""  # a bullet, "none", or a format not known here

        def value(match: re.Match[str]) -> str:
            k = int(match.group(1)) - 1
            kind, _, first, _ = self._levels.get((num_id, k), ("decimal", "", 1, True))
            count = counters[k] if k < len(counters) and counters[k] is not None else first
            return _FORMATS.get(kind, str)(count)

        return _separated(_PLACEHOLDER.sub(value, text), spaced)


def _level(lvl: etree._Element) -> tuple[str, str, int, bool]:
    """(number format, number text such as '%1.', first number, whether anything follows the number) of a w:lvl."""
    fmt = lvl.find(f"{{{_W}}}numFmt")
    text = lvl.find(f"{{{_W}}}lvlText")
    start = lvl.find(f"{{{_W}}}start")
    suffix = lvl.find(f"{{{_W}}}suff")
    return (
        fmt.get(_VAL, "decimal") if fmt is not None else "decimal",
        text.get(_VAL, "") if text is not None else "",
        _int(start.get(_VAL) if start is not None else None, 1),
        suffix is None or suffix.get(_VAL) != "nothing",  # a tab by default, or a space
    )


def _separated(number: str, spaced: bool) -> str:
    """The number as it goes before the text: a space where Word puts a tab or a space, except after
    a closing Chinese mark (一、 （1）) or a circled digit, where Chinese text follows at once."""
    if not number or not spaced or number[-1] in _CLOSED or "\u2460" <= number[-1] <= "\u249b":
        return number
    return number + " "


def _int(text: str | None, default: int) -> int:
    """An attribute's whole number; the default where it is missing or damaged."""
    try:
        return int(text) if text is not None else default
    except ValueError:
        return default


def paragraph_list(paragraph: etree._Element, style_numbering: Callable[[], tuple[str, int] | None]) -> tuple[str, int] | None:
    """(numId, level) of a w:p's list, from its own w:numPr or else its style's; None when not in a list."""
    num_pr = paragraph.find(f"{{{_W}}}pPr/{{{_W}}}numPr")
    if num_pr is None:
        return style_numbering()
    num_id = num_pr.find(f"{{{_W}}}numId")
    level = num_pr.find(f"{{{_W}}}ilvl")
    if num_id is None:  # a level alone: the style names the list
        found = style_numbering()
        return None if found is None else (found[0], _int(level.get(_VAL), found[1]) if level is not None else found[1])
    if num_id.get(_VAL, "0") == "0":
        return None  # numId 0 takes a style's numbering away
    return num_id.get(_VAL, "0"), _int(level.get(_VAL) if level is not None else None, 0)
