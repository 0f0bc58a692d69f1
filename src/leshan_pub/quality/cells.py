"""Table cells of figures, units, dates or codes: their English made by rule, never by the model."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction

from ..document import Role, Segment
from .numbers import english_form
from ..rules import load_rules
from ..script import to_simplified
from ..terms import nfkc_fold

_NUMBER = r"[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?|[0-9]+(?:\.[0-9]+)?"
_SIGN = r"[+\-−]?"
_AMOUNT = re.compile(rf"(?P<sign>{_SIGN})(?P<number>{_NUMBER})\s*(?P<unit>\S*)")
_MONTHS = "January February March April May June July August September October November December".split()
_QUARTER = {"一": 1, "二": 2, "三": 3, "四": 4, "1": 1, "2": 2, "3": 3, "4": 4}
# Dates and periods as Chinese tables write them -> how English writes them.
_DATES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"(?P<y>\d{4})年"), "{y}"),
    (re.compile(r"(?P<y>\d{4})年度"), "{y}"),
    (re.compile(r"(?P<y>\d{4})年(?P<m>\d{1,2})月"), "{month} {y}"),
    (re.compile(r"(?P<y>\d{4})年(?P<m>\d{1,2})月(?P<d>\d{1,2})日"), "{d} {month} {y}"),
    (re.compile(r"(?P<m>\d{1,2})月"), "{month}"),
    (re.compile(r"(?P<y>\d{4})\s*[-–—~至到]\s*(?P<z>\d{4})年?"), "{y}–{z}"),
    (re.compile(r"(?P<y>\d{4})年?(?:第)?(?P<q>[一二三四1-4])季度"), "Q{q} {y}"),
    (re.compile(r"(?P<y>\d{4})年?(?P<h>上|下)半年"), "H{h} {y}"),
    (re.compile(r"(?P<y>\d{4})[-./](?P<m>\d{1,2})[-./](?P<d>\d{1,2})"), "{y}-{m:02d}-{d:02d}"),
)
# A cell that says nothing: a dash or 'none'.
_EMPTY = {"—": "—", "–": "–", "-": "–", "——": "—", "/": "–", "－": "–", "无": "none", "N/A": "N/A", "n/a": "n/a"}
# Letters, digits and signs only: a stock code, a model number, an English word: written as it is.
_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9 .,:;/#&()_+\-]*")
_UNIT_NOTE = re.compile(r"单位\s*[：:]\s*(?P<unit>[^\s，,；;、）)]+)")
_BRACKETED_UNIT = re.compile(r"[（(](?:单位\s*[：:]\s*)?(?P<unit>[^（）()]+)[）)]\s*$")


@dataclass(frozen=True)
class RuleEnglish:
    """English a rule made for a cell, and the reading it came from, for the reviewer's note."""

    english: str
    reading: str  # "836 with the unit 亿元 of the column header", "a date", "a code written as it is"

    def note(self) -> str:
        return f"rule: figures carried by rule, not by the model ({self.reading}); check and approve"


def _read(text: str) -> str:
    """text as the rules read it: width folded, traditional as simplified (億元 is 亿元, 單位 is 单位)."""
    return to_simplified(nfkc_fold(text.strip())[0])[0]


def units() -> dict[str, tuple[int, str]]:
    """Chinese unit -> (factor, English pattern with {} for the amount), from data/units.toml."""
    return {unit: (int(factor), pattern) for unit, (factor, pattern) in load_rules("units")["units"].items()}


def unit_of(header: str) -> str:
    """The unit a header cell states ('单位：亿元', '产值（亿元）', '增速(%)', traditional '投資（億元）' as 亿元), or ''
    when it states none the rules know."""
    folded = _read(header)
    found = _UNIT_NOTE.search(folded) or _BRACKETED_UNIT.search(folded)
    unit = found["unit"].strip() if found else ""
    return unit if unit in units() else ""


def rule_english(text: str, unit: str = "") -> RuleEnglish | None:
    """The English of a cell that is only a figure, a unit, a date or a code; None for anything
    the model must translate. unit applies to a bare number (the unit of its column or row)."""
    folded = _read(text).replace("−", "-")
    if not folded:
        return None
    if folded in _EMPTY:
        return RuleEnglish(_EMPTY[folded], "a cell with no figure")
    for pattern, english in _DATES:
        if match := pattern.fullmatch(folded):
            return _date(match, english)
    amount = _AMOUNT.fullmatch(folded)
    if amount is not None and (not amount["unit"] or amount["unit"] in units()):
        written = amount["unit"]
        used = written or unit
        if not used:
            return RuleEnglish(amount["sign"] + amount["number"], "a bare number, written as it is")
        factor, pattern = units()[used]
        value = Fraction(amount["number"].replace(",", "")) * factor
        shown = english_form(value) if factor > 1 else amount["number"]
        where = "its own unit" if written else "the unit of its column or row header"
        return RuleEnglish(amount["sign"] + pattern.format(shown), f"{amount['number']} in {used}, {where}")
    if _CODE.fullmatch(folded) and not folded.isdigit():
        return RuleEnglish(text.strip(), "letters and digits, written as they are")
    return None


def _date(match: re.Match[str], english: str) -> RuleEnglish | None:
    parts = match.groupdict()
    month = int(parts["m"]) if parts.get("m") else 0
    if parts.get("m") and not 1 <= month <= 12:
        return None
    values: dict[str, object] = {
        "y": parts.get("y"), "z": parts.get("z"), "month": _MONTHS[month - 1] if month else "",
        "m": month, "d": int(parts["d"]) if parts.get("d") else 0,
        "q": _QUARTER.get(parts.get("q") or "", 0), "h": {"上": 1, "下": 2}.get(parts.get("h") or "", 0),
    }
    return RuleEnglish(english.format(**values), "a date or period")


def cell_units(segments: Iterable[Segment]) -> dict[str, str]:
    """segment id -> the unit its cell's bare numbers are in: its column's header cell, else the first
    cell of its row, else a '单位：…' cell of its table; cells with no such unit are left out."""
    cells = [s for s in segments if s.role is Role.CELL and s.cell is not None]
    found: dict[str, str] = {}
    for segment in cells:
        place = segment.cell
        assert place is not None
        same_table = [s for s in cells if s.cell is not None and s.cell.table == place.table and s is not segment]
        headers = [
            s for s in same_table
            if s.cell.header and s.cell.column <= place.column < s.cell.column + s.cell.columns  # type: ignore[union-attr]
        ]
        row_label = [s for s in same_table if s.cell.column == 0 and s.cell.row <= place.row < s.cell.row + s.cell.rows]  # type: ignore[union-attr]
        notes = [s for s in same_table if _UNIT_NOTE.fullmatch(_read(s.source))]
        for candidates in (headers if not place.header else [], row_label if place.column else [], notes):
            unit = next((u for s in candidates if (u := unit_of(s.source))), "")
            if unit:
                found[segment.id] = unit
                break
    return found


def with_unit(source: str, unit: str) -> str:
    """source with unit after it when source is a bare number (what the cell means), else source."""
    bare = _AMOUNT.fullmatch(_read(source))
    return source.strip() + unit if unit and bare is not None and not bare["unit"] else source
