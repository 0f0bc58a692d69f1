"""Figures in Chinese and English text as exact values, and the Chinese figures an English translation lacks."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction

from ..script import to_simplified
from ..terms import nfkc_fold


class FigureKind(StrEnum):
    """What a figure counts; a month of the year may be written in English as a name."""

    QUANTITY = "quantity"
    MONTH = "month"


@dataclass(frozen=True)
class Figure:
    """A figure as written at [start, end) of its text, with the exact values it stands for.

    alternatives are values it stands for only when read another way: 'a third' as the
    ordinal 3, the '300' of '300-500 million' as 300 million.
    """

    text: str
    start: int
    end: int
    values: frozenset[Fraction]
    kind: FigureKind = FigureKind.QUANTITY
    alternatives: frozenset[Fraction] = frozenset()

    def states(self, source: Figure, strictly: bool = False) -> bool:
        """True when this English figure states the Chinese source figure.

        Strictly: the same kind and a plain reading. Otherwise any reading, and a plain
        number may also state a month (2024-11-22), though a month name states only a month.
        """
        if strictly:
            return self.kind is source.kind and not self.values.isdisjoint(source.values)
        kinds_fit = self.kind is FigureKind.QUANTITY or source.kind is FigureKind.MONTH
        return kinds_fit and not (self.values | self.alternatives).isdisjoint(source.values)


# --- shared ---------------------------------------------------------------------------------------

_ARABIC = r"[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?|[0-9]+(?:\.[0-9]+)?"
_POWER_PREFIX = {"吉": 10**9, "G": 10**9, "兆": 10**6, "M": 10**6, "千": 10**3, "k": 10**3, "K": 10**3}
# Power units carry an SI prefix, so 5吉瓦 is compared as 5e9 watts: "5 GW" and "5,000 MW"
# state it, "5 MW" does not.
_EN_POWER_UNIT = re.compile(
    r"[\s-]*(?:(?P<symbol>[GMkK])Wh?\b|(?i:(?P<word>giga|mega|kilo)watt(?:s|-hours?)?)\b)"
)
_EN_PREFIX_WORD = {"giga": "G", "mega": "M", "kilo": "k"}


_SUPERSCRIPT = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻", "0123456789+-")
# Powers of ten, as science writes them: 10⁴, 1.5×10⁻³, 5 x 10^4 (full-width digits too). NFKC
# would fold 10⁴ into 104, so they are read before folding.
_DIGITS = "[0-9０-９]"
_POWER = re.compile(
    rf"(?:(?P<mantissa>{_DIGITS}+(?:[.．]{_DIGITS}+)?)\s*[×xX✕*·]\s*)?(?<![0-9０-９.．])(?:10|１０)"
    r"(?:(?P<superscript>[⁺⁻]?[⁰¹²³⁴⁵⁶⁷⁸⁹]+)|\^\s*(?P<caret>[+\-−]?[0-9]+))"
)
# Superscript digits right after a letter are a unit's power (m², km³, cm⁻¹): no figure. Elsewhere
# they stay figures: ¹⁷⁷Lu's mass number is one.
_UNIT_POWER = re.compile("(?<=[A-Za-zµμ])[⁺⁻]?[⁰¹²³⁴⁵⁶⁷⁸⁹]+")


def _powers_of_ten(text: str) -> tuple[list[Figure], str]:
    """The powers of ten in text as figures (1.5×10⁻³ is 0.0015), and text with them and the powers
    of units blanked out (offsets unchanged), for the rest of the reading."""
    figures = []
    for match in _POWER.finditer(text):
        exponent = int((match["superscript"] or match["caret"]).translate(_SUPERSCRIPT).replace("−", "-"))
        mantissa = Fraction(nfkc_fold(match["mantissa"])[0]) if match["mantissa"] else Fraction(1)
        value = mantissa * Fraction(10) ** exponent
        figures.append(Figure(match.group(0), match.start(), match.end(), frozenset({value})))
    return figures, _mask(_mask(text, _POWER), _UNIT_POWER)


def _figure(
    text: str,
    origin: list[int],
    start: int,
    end: int,
    values: set[Fraction],
    kind: FigureKind,
    alternatives: tuple[Fraction, ...] = (),
) -> Figure:
    """A Figure quoting the original text of the normalized span [start, end)."""
    first, last = origin[start], origin[end - 1] + 1
    return Figure(text[first:last], first, last, frozenset(values), kind, frozenset(alternatives) - values)


# --- Chinese --------------------------------------------------------------------------------------

_ZH_DIGIT = {
    "零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9,
}
_ZH_UNIT = {"十": 10, "百": 100, "千": 1000}
_ZH_BIG = {"万": 10**4, "亿": 10**8}
_ZH_MULTIPLIER_VALUE = {**_ZH_UNIT, **_ZH_BIG}
# 千瓦 is kilowatt, not a thousand watts written as a numeral: 5千瓦 must keep 千 for the unit.
_ZH_NUMERAL_CHAR = r"(?:[零〇一二两三四五六七八九十百万亿]|千(?!瓦))"
_ZH_MULTIPLIER = r"(?:[十百万亿]|千(?!瓦))"
_ZH_NUMBER = rf"(?:{_ARABIC}|{_ZH_NUMERAL_CHAR}+(?:点[零〇一二三四五六七八九]+)?)"
_ZH_FIGURE = re.compile(
    r"(?P<ordinal>第)?"
    rf"(?P<first>{_ZH_NUMBER})"
    rf"(?:\s*[-–—~至到]\s*(?P<second>{_ZH_NUMBER}))?"
    r"(?P<approx>[多余])?"
    rf"(?P<multiplier>{_ZH_MULTIPLIER}*)"
    r"(?:\s*(?P<unit>[吉兆千]瓦|[GMkK]W)(?:时|h)?)?"
    # The measure word is quoted with the figure, and 月 makes it a month.
    r"(?P<measure>公里|公斤|公顷|[%元年月日号个人项家吨升米台套座大倍次期届名位种条所户亩度])?"
)
# 十四五 is the 14th Five-Year Plan: the figure is 14, the 五 stands for 五年规划.
_ZH_PLAN = re.compile(r"十(?P<digit>[一二三四五六七八九])五")
# X分之Y is Y/X; 百分之五十 is 50%, so the English may give the fraction or the percentage. 1/3 is
# a fraction too, where the slash joins short numbers and no other slash or point goes on from them.
_ZH_FRACTION = re.compile(rf"(?P<denominator>{_ZH_NUMBER})分之(?P<numerator>{_ZH_NUMBER})")
_SLASH_FRACTION = r"(?<![0-9./])(?P<over>[0-9]{1,3})/(?P<under>[1-9][0-9]{0,2})(?![0-9./])"
_ZH_SLASH_FRACTION = re.compile(_SLASH_FRACTION)


def _is_proper(match: re.Match[str]) -> bool:
    """True for a fraction below one (1/3); 24/7 is "round the clock", two figures."""
    return int(match["over"]) < int(match["under"])
# 20世纪80年代 is the 1980s; 80年代 alone is the 1980s or the '80s (or the 2010s for 10年代).
_ZH_DECADE = re.compile(
    r"(?:(?P<century>[0-9]{2}|[一二]?十[一二三四五六七八九]?)世纪)?"
    r"(?<![0-9])(?P<decade>[1-9]0|[一二三四五六七八九]十)年代"
)
# The economy's sectors are named by number: 一产 (farming), 二产, 三产 (services), 第三产业,
# 一二三产业融合. The English names them (primary, tertiary, services), so no figure is asked for.
_ZH_SECTOR = re.compile(r"(?<![零〇一二两三四五六七八九十百千万亿0-9])第?[一二三](?:[、和及与]?第?[一二三])*(?=产)")
# Words whose numeral characters name no quantity the English must repeat (place names,
# idioms, chemical names); a word segmenter's dictionary would know them. Add a word here
# when the number check raises a false alarm on it.
NON_FIGURE_WORDS = (
    "四川", "三江", "三峡", "九寨沟", "六盘水", "十堰", "万州", "五粮液", "三角",
    "气象万千", "千兆", "十分", "十足", "五湖四海", "三农", "两岸", "两侧", "两者", "两边", "两端",
    "二氧化", "五氧化二", "三氧化二", "三星堆", "四姑娘山", "四上企业",
    # Holidays named by their date: 五一 is May Day, 十一 National Day, 双十一 Singles' Day.
    "五一节", "五一假", "五一劳动节", "五一小长假", "五一黄金周", "十一假", "十一长假", "十一黄金周", "双十一", "双十二",
)
# Four-character idioms whose numerals count nothing: 四通八达 is "well connected", 一举两得 "a
# double gain", 一年四季 "all year round".
IDIOMS = (
    "四通八达", "四面八方", "五湖四海", "五花八门", "五颜六色", "五彩缤纷", "一举两得", "两全其美", "独一无二",
    "一清二楚", "接二连三", "一穷二白", "一干二净", "十拿九稳", "十全十美", "九牛一毛", "九死一生", "三心二意",
    "三番五次", "三言两语", "三山五岳", "三生有幸", "七嘴八舌", "乱七八糟", "七零八落", "七上八下", "横七竖八",
    "丢三落四", "说三道四", "一五一十", "八仙过海", "四季如春", "一年四季", "千军万马", "万无一失",
)
_NON_FIGURE = re.compile("|".join(sorted((*NON_FIGURE_WORDS, *IDIOMS), key=len, reverse=True)))
# A lone 一 is nearly always "a/an" (一批, 一体化, 一流), a lone 百/千/万/亿 an idiom (百姓,
# 千家万户) and a lone 零 a word (零售 retail, 零部件 parts, 零下 below zero); 第一 is the ordinal
# "first" and counts.
_LONE_NON_FIGURES = "零一百千万亿"
# 数十, 几百, 十几: "dozens", "hundreds", "a dozen or so" carry no exact figure.
_VAGUE_NEIGHBOURS = "数几"
# A lone numeral right after a common surname, with no measure word after it, is a given name
# (张三, 李四、王五, 张三丰) or a weekday (周三), not a quantity. 于 and 万 are left out: 于三季度
# is "in the third quarter", and 万 is a numeral itself.
_SURNAMES = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵钱严覃武戴莫孔汤"
)
_NAME_NUMERALS = "二三四五六七八九"


def _zh_numeral(run: str) -> Fraction:
    """The value of a Chinese numeral run: 三千 -> 3000, 一百零五 -> 105, 十二万三千 -> 123000."""
    total = section = digit = 0
    for ch in run:
        if ch in _ZH_DIGIT:
            digit = _ZH_DIGIT[ch]
        elif ch in _ZH_UNIT:
            section += (digit or 1) * _ZH_UNIT[ch]
            digit = 0
        else:
            section += digit
            digit = 0
            if section == 0:  # 万亿: the later unit multiplies what came before
                total *= _ZH_BIG[ch]
            else:
                total += section * _ZH_BIG[ch]
                section = 0
    return Fraction(total + section + digit)


def _zh_number_values(text: str) -> list[Fraction]:
    """The values one Chinese number stands for; two for a pair like 三五 ("three to five")."""
    if text[0].isdigit():
        return [Fraction(text.replace(",", ""))]
    whole, _, decimals = text.partition("点")
    if decimals:
        return [_zh_numeral(whole) + Fraction("0." + "".join(str(_ZH_DIGIT[c]) for c in decimals))]
    if all(c in _ZH_DIGIT for c in whole) and len(whole) > 1:
        digits = [_ZH_DIGIT[c] for c in whole]
        if len(digits) == 2 and 0 < digits[0] < digits[1]:  # 三四个, 三五年: an approximate pair
            return [Fraction(d) for d in digits]
        return [Fraction(int("".join(map(str, digits))))]  # 二〇二四 -> 2024
    return [_zh_numeral(whole)]


def _product(chars: str, table: dict[str, int]) -> int:
    result = 1
    for ch in chars:
        result *= table[ch]
    return result


def _is_vague_or_idiom(text: str, match: re.Match[str]) -> bool:
    """True when the match is a lone numeral used as a word (一批, 百姓) or in a name (张三, 周三), or a
    vague count (数十, 十几)."""
    first = match["first"]
    start, end = match.span("first")[0], match.end()
    before = text[start - 1] if start else ""
    after = text[end] if end < len(text) else ""
    if not first[0].isdigit() and ((before and before in _VAGUE_NEIGHBOURS) or after == "几"):
        return True
    qualified = match["second"] or match["approx"] or match["multiplier"] or match["unit"]
    bare = len(first) == 1 and not qualified
    counts_anyway = match["ordinal"] or match["measure"] == "月"  # 第一 is "first", 一月 is January
    if bare and first in _NAME_NUMERALS and before in _SURNAMES and not match["measure"] and not counts_anyway:
        return True
    return bare and first in _LONE_NON_FIGURES and not counts_anyway


def _mask(text: str, pattern: re.Pattern[str], only: Callable[[re.Match[str]], bool] | None = None) -> str:
    """Text with every match of pattern (that `only` accepts) blanked out, offsets unchanged."""
    return pattern.sub(lambda m: "\0" * len(m.group(0)) if only is None or only(m) else m.group(0), text)


def _zh_special_figures(text: str, origin: list[int], normalized: str) -> list[Figure]:
    """Plan names (十四五), fractions (三分之一, 百分之五十, 1/3) and decades (80年代), which the general
    pattern would misread."""
    figures = []
    for match in _ZH_PLAN.finditer(normalized):
        value = {Fraction(10 + _ZH_DIGIT[match["digit"]])}
        figures.append(_figure(text, origin, *match.span(), value, FigureKind.QUANTITY))
    for match in _ZH_FRACTION.finditer(normalized):
        ratio = _zh_number_values(match["numerator"])[0] / _zh_number_values(match["denominator"])[0]
        figures.append(_figure(text, origin, *match.span(), {ratio, ratio * 100}, FigureKind.QUANTITY))
    for match in filter(_is_proper, _ZH_SLASH_FRACTION.finditer(normalized)):
        ratio = Fraction(int(match["over"]), int(match["under"]))
        figures.append(_figure(text, origin, *match.span(), {ratio}, FigureKind.QUANTITY))
    for match in _ZH_DECADE.finditer(normalized):
        decade = _zh_number_values(match["decade"])[0]
        if match["century"]:
            years = {(_zh_number_values(match["century"])[0] - 1) * 100 + decade}
        else:
            years = {decade, 1900 + decade, 2000 + decade}
        figures.append(_figure(text, origin, *match.span(), years, FigureKind.QUANTITY))
    return figures


def chinese_figures(text: str) -> list[Figure]:
    """Every figure in Chinese text, in order, with 万/亿 applied and ranges split into both ends; [] when none.

    Traditional text reads alike (億, 萬, 兩 as 亿, 万, 两); figures keep the author's offsets.
    """
    powers, rest = _powers_of_ten(text)
    folded, first = nfkc_fold(rest)
    normalized, back = to_simplified(folded)
    origin = [first[i] for i in back]
    figures = powers + _zh_special_figures(text, origin, normalized)
    masked = _mask(normalized, _ZH_SLASH_FRACTION, only=_is_proper)
    for pattern in (_ZH_PLAN, _ZH_FRACTION, _ZH_DECADE, _ZH_SECTOR, _NON_FIGURE):
        masked = _mask(masked, pattern)
    for match in _ZH_FIGURE.finditer(masked):
        if _is_vague_or_idiom(masked, match):
            continue
        scale = _product(match["multiplier"], _ZH_MULTIPLIER_VALUE)
        if match["unit"]:
            scale *= _POWER_PREFIX[match["unit"][0]]
        ends = [match["first"], *([match["second"]] if match["second"] else [])]
        values = [v * scale for end in ends for v in _zh_number_values(end)]
        is_month = match["measure"] == "月" and all(v.denominator == 1 and 1 <= v <= 12 for v in values)
        kind = FigureKind.MONTH if is_month else FigureKind.QUANTITY
        figures.extend(_figure(text, origin, *match.span(), {v}, kind) for v in values)
    return sorted(figures, key=lambda f: f.start)


# --- English --------------------------------------------------------------------------------------

_EN_UNITS = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen"
).split()
_EN_TENS = "twenty thirty forty fifty sixty seventy eighty ninety".split()
_EN_SCALE = {"hundred": 100, "thousand": 10**3, "million": 10**6, "billion": 10**9, "trillion": 10**12}
_EN_CARDINAL = {w: i for i, w in enumerate(_EN_UNITS)} | {w: 20 + 10 * i for i, w in enumerate(_EN_TENS)}
_EN_ORDINAL = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8,
    "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12,
    **{w + "th": _EN_CARDINAL[w] for w in _EN_UNITS[13:]},
    **{w[:-1] + "ieth": _EN_CARDINAL[w] for w in _EN_TENS},
    "hundredth": 100, "thousandth": 1000,
}
_EN_DENOMINATOR = {"half": 2, "halves": 2, "quarter": 4, "quarters": 4} | {
    form: v for w, v in _EN_ORDINAL.items() if 3 <= v <= 10 for form in (w, w + "s")
}
_EN_ABBREVIATED_SCALE = {"tn": 10**12, "bn": 10**9, "mn": 10**6}
_EN_MULTIPLE = {"doubl": 2, "tripl": 3, "quadrupl": 4}
_MONTHS = "January February March April May June July August September October November December".split()
_MONTH_NUMBER = {m: i + 1 for i, m in enumerate(_MONTHS)} | {m[:3]: i + 1 for i, m in enumerate(_MONTHS)}
_MONTH_NUMBER["Sept"] = 9


def _alternation(words: Iterable[str]) -> str:
    """A regex alternation, longest word first so 'fourteen' is not read as 'four'."""
    return "|".join(sorted(words, key=len, reverse=True))


_EN_WORD = (
    rf"(?:{_alternation([*_EN_CARDINAL, *_EN_ORDINAL, *_EN_SCALE])}"
    rf"|a(?=[\s-]+(?:{_alternation(_EN_SCALE)})\b))"
)
_EN_FIGURE = re.compile(
    # "a decade", "two decades", "the past decade": ten years a decade, as 十年 and 二十年 say it.
    rf"(?i:\b(?P<decades>{_alternation(_EN_CARDINAL)}|an?|[0-9]+)[\s-]+decades?\b)"
    r"|(?i:\b(?:the|this|that)\s+(?:past|last|previous|next|coming|following)\s+(?P<the_decade>decade)\b)"
    rf"|{_SLASH_FRACTION}"
    # "tripled" is 增长两倍 (grew by two times) as often as 三倍: the multiple, or the growth on top.
    r"|(?i:\b(?P<times>doubl|tripl|quadrupl)(?:ed|ing)\b)"
    # "half a billion" is 500 million; "half" alone is 1/2, or 50 (per cent).
    rf"|(?i:\b(?P<half>half)(?:[\s-]+an?)?(?:[\s-]+(?P<half_scale>{_alternation(_EN_SCALE)}))?\b)"
    rf"|(?i:\b(?P<fraction_count>{_alternation(_EN_CARDINAL)}|an?)[\s-]+"
    rf"(?P<fraction_part>{_alternation(_EN_DENOMINATOR)})\b)"
    rf"|(?P<digits>{_ARABIC})(?:st|nd|rd|th)?"
    rf"(?:[\s-]*(?P<scale>(?i:{_alternation(_EN_SCALE)})|tn|bn|mn)\b)?"
    rf"|(?i:\b(?P<words>{_EN_WORD}(?:(?:\s+and\s+|[\s-]+){_EN_WORD})*)\b)"
    r"|\b(?P<month>(?:January|February|March|April|May|June|July|August|September|October|November|December)\b"
    r"|(?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)(?:\.|(?=\s+[0-9])))"
    # Section numbers (二、 -> "II.", 第一部分 -> "Part I"); a lone I only where it cannot be the pronoun.
    r"|\b(?P<roman>(?=[IVX]{2})X{0,3}(?:IX|IV|V?I{0,3})|[VX]|I(?=[.)])|(?<=Part )I|(?<=Chapter )I)\b"
)
_ROMAN = {"I": 1, "V": 5, "X": 10}
_EN_WORD_TOKEN = re.compile(rf"(?i:\band\b|\b{_EN_WORD}\b)")
# "300-500 million", "three to five billion": the first end borrows the second's scale.
_EN_RANGE_JOIN = re.compile(r"\s*(?:[-–—]|to|and)\s*", re.IGNORECASE)


@dataclass
class _Reading:
    """One English number being read: its span, value, and the scale word it ended with (1 if none)."""

    start: int
    end: int
    value: Fraction
    scale: int = 1
    kind: FigureKind = FigureKind.QUANTITY
    alternatives: tuple[Fraction, ...] = ()


class _WordNumber:
    """Accumulates number words into values: 'two thousand five hundred' -> 2500, 'three and five' -> 3, 5."""

    def __init__(self) -> None:
        self.readings: list[_Reading] = []
        self._reset()

    def _reset(self) -> None:
        self.total = self.section = self.scale = 0
        self.last = ""  # the class of the last word: unit, tens, hundred, scale, or "" when empty
        self.start = self.end = 0

    def flush(self) -> None:
        if self.last:
            value = Fraction(self.total + self.section)
            self.readings.append(_Reading(self.start, self.end, value, self.scale or 1))
        self._reset()

    def add(self, word: str, start: int, end: int) -> None:
        lower = word.lower()
        ordinal = lower in _EN_ORDINAL
        value = _EN_ORDINAL[lower] if ordinal else _EN_SCALE.get(lower) or _EN_CARDINAL.get(lower, 1)
        kind = "hundred" if value == 100 else "scale" if value >= 1000 else "tens" if value >= 20 else "unit"
        if self._starts_new(kind, value):
            self.flush()
        if not self.last:
            self.start = start
        self._take(kind, value)
        self.end, self.last = end, kind
        if ordinal:  # an ordinal ends its number: "twenty-first", not "first five"
            self.flush()

    def _starts_new(self, kind: str, value: int) -> bool:
        if not self.last:
            return False
        if kind == "unit":
            return self.last == "unit" or (self.last == "tens" and value >= 10)
        if kind == "tens":
            return self.last in ("unit", "tens")
        if kind == "hundred":
            return self.last in ("hundred", "scale") or self.section >= 100
        return self.scale != 0 and value >= self.scale and self.section == 0

    def _take(self, kind: str, value: int) -> None:
        if kind in ("unit", "tens"):
            self.section += value
        elif kind == "hundred":
            self.section = (self.section or 1) * 100
        else:
            self.total += (self.section or 1) * value
            self.section, self.scale = 0, value


def _word_readings(words: str, offset: int) -> list[_Reading]:
    """The numbers in a run of number words; 'and' joins only after hundred or a scale word."""
    reader = _WordNumber()
    pending_and = False
    for token in _EN_WORD_TOKEN.finditer(words):
        if token.group(0).lower() == "and":
            pending_and = True
            continue
        if pending_and and reader.last not in ("hundred", "scale"):
            reader.flush()
        pending_and = False
        reader.add(token.group(0), offset + token.start(), offset + token.end())
    reader.flush()
    return reader.readings


def _fraction_reading(match: re.Match[str]) -> _Reading:
    """'two thirds' -> 2/3; a singular ordinal ('a third') may also be the ordinal itself (a third phase)."""
    count_word, part = match["fraction_count"].lower(), match["fraction_part"].lower()
    count = _EN_CARDINAL.get(count_word, 1)  # "a third", "an eighth"
    denominator = _EN_DENOMINATOR[part]
    value = Fraction(count, denominator)
    also = (Fraction(denominator),) if part in _EN_ORDINAL else ()
    return _Reading(match.start(), match.end(), value, alternatives=(*also, value * 100))  # a quarter: 25%


def _match_readings(match: re.Match[str]) -> list[_Reading]:
    if match["decades"]:
        word = match["decades"].lower()
        count = int(word) if word.isdigit() else _EN_CARDINAL.get(word, 1)
        also = (Fraction(count),) if count > 1 else ()  # "two decades" also says the 2 of a nearby 两
        return [_Reading(match.start(), match.end(), Fraction(10 * count), alternatives=also)]
    if match["the_decade"]:
        return [_Reading(match.start(), match.end(), Fraction(10))]
    if match["times"]:
        multiple = _EN_MULTIPLE[match["times"].lower()]
        return [_Reading(match.start(), match.end(), Fraction(multiple), alternatives=(Fraction(multiple - 1),))]
    if match["half"]:
        if match["half_scale"]:
            return [_Reading(match.start(), match.end(), Fraction(_EN_SCALE[match["half_scale"].lower()], 2))]
        return [_Reading(match.start(), match.end(), Fraction(1, 2), alternatives=(Fraction(50),))]
    if match["under"]:
        if not _is_proper(match):  # 24/7: two numbers
            over, under = match.span("over"), match.span("under")
            return [_Reading(*over, Fraction(int(match["over"]))), _Reading(*under, Fraction(int(match["under"])))]
        return [_Reading(match.start(), match.end(), Fraction(int(match["over"]), int(match["under"])))]
    if match["fraction_part"]:
        return [_fraction_reading(match)]
    if match["digits"]:
        scale_word = (match["scale"] or "").lower()
        scale = _EN_SCALE.get(scale_word) or _EN_ABBREVIATED_SCALE.get(scale_word, 1)
        value = Fraction(match["digits"].replace(",", "")) * scale
        return [_Reading(match.start(), match.end(), value, scale)]
    if match["words"]:
        return _word_readings(match["words"], match.start("words"))
    if match["roman"]:
        return [_Reading(match.start(), match.end(), Fraction(_roman_value(match["roman"])))]
    month = _MONTH_NUMBER[match["month"].rstrip(".")]
    return [_Reading(match.start(), match.end(), Fraction(month), kind=FigureKind.MONTH)]


def _roman_value(numeral: str) -> int:
    values = [_ROMAN[c] for c in numeral]
    return sum(-v if v < after else v for v, after in zip(values, [*values[1:], 0]))


def _apply_power_unit(text: str, reading: _Reading) -> None:
    unit = _EN_POWER_UNIT.match(text, reading.end)
    if unit and reading.kind is FigureKind.QUANTITY:
        prefix = unit["symbol"] or _EN_PREFIX_WORD[unit["word"].lower()]
        reading.value *= _POWER_PREFIX[prefix]
        reading.end = unit.end()


def _borrow_range_scale(text: str, readings: list[_Reading]) -> None:
    for first, second in zip(readings, readings[1:]):
        joined = _EN_RANGE_JOIN.fullmatch(text, first.end, second.start)
        if joined and first.scale == 1 and second.scale > 1:
            first.alternatives += (first.value * second.scale,)


def english_figures(text: str) -> list[Figure]:
    """Every figure in English text, in order: digits, number words, scales, fractions, month names; [] when none."""
    powers, rest = _powers_of_ten(text)
    normalized, origin = nfkc_fold(rest)
    readings = [r for match in _EN_FIGURE.finditer(normalized) for r in _match_readings(match)]
    for reading in readings:
        _apply_power_unit(normalized, reading)
    _borrow_range_scale(normalized, readings)
    figures = [_figure(text, origin, r.start, r.end, {r.value}, r.kind, r.alternatives) for r in readings]
    return sorted(powers + figures, key=lambda f: f.start)


# --- comparison -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class FigureComparison:
    """Chinese figures the English lacks, and English figures that no Chinese figure accounts for."""

    missing: tuple[Figure, ...]
    unused: tuple[Figure, ...]


def missing_figures(source: str, target: str, names: Iterable[tuple[int, int]] = ()) -> list[Figure]:
    """Chinese figures of source with no equal figure in the English target; [] when all match."""
    return list(compare_figures(source, target, names).missing)


def compare_figures(source: str, target: str, names: Iterable[tuple[int, int]] = ()) -> FigureComparison:
    """Match each Chinese figure of source to an equal English figure of target, each English figure used once.

    names are [start, end) spans of source (glossary terms such as 五通桥) whose numerals
    belong to a name; figures overlapping them are not asked for.
    """
    spans = list(names)
    wanted = [f for f in chinese_figures(source) if not any(f.start < e and s < f.end for s, e in spans)]
    offered = english_figures(target)
    owner: dict[int, int] = {}  # offered index -> wanted index: a maximum bipartite matching

    def claim(i: int, tried: set[int], strictly: bool) -> bool:
        for j, figure in enumerate(offered):
            if j in tried or not figure.states(wanted[i], strictly):
                continue
            tried.add(j)
            if j not in owner or claim(owner[j], tried, strictly):
                owner[j] = i
                return True
        return False

    # Plain readings first, so that when one figure is missing the report names it rather
    # than a neighbour that lost its English to a looser reading ('a third' read as 3).
    matched: set[int] = set()
    for strictly in (True, False):
        matched |= {i for i in range(len(wanted)) if i not in matched and claim(i, set(), strictly)}
    return FigureComparison(
        missing=tuple(figure for i, figure in enumerate(wanted) if i not in matched),
        unused=tuple(figure for j, figure in enumerate(offered) if j not in owner),
    )


def english_form(value: Fraction) -> str:
    """How English writes a value: '3.63 billion', '10 million', '950,000', '2.5'; repeating fractions to 4 digits."""
    for scale, word in ((10**12, "trillion"), (10**9, "billion"), (10**6, "million")):
        if value >= scale and _terminates(value / scale):
            return f"{_decimal(value / scale)} {word}"
    return _decimal(value)


def _terminates(value: Fraction) -> bool:
    denominator = value.denominator
    for prime in (2, 5):
        while denominator % prime == 0:
            denominator //= prime
    return denominator == 1


def _decimal(value: Fraction) -> str:
    if not _terminates(value):
        return f"{float(value):,.4g}"
    whole, rest = divmod(value, 1)
    digits = ""
    while rest:
        rest *= 10
        digit, rest = divmod(rest, 1)
        digits += str(digit)
    grouped = f"{whole:,}" if whole >= 10_000 else str(whole)  # 2025 reads as a year, not 2,025
    return grouped + (f".{digits}" if digits else "")
