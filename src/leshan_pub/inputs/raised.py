"""Raised and lowered text set by formatting (Word's superscript runs, Markdown's <sup>): as the characters.

10 with a superscript 5 is 10⁵, not 105: read as plain text it would be a different figure. Digits,
signs and brackets have superscript and subscript characters, which the figure check reads (10⁵,
km², ¹⁷⁷Lu) and the PDF sets raised; other text (the "th" of 5th, a note marker [1]) has none and
stays as it is.
"""

from __future__ import annotations

import unicodedata



def _forms(tag: str) -> dict[int, int]:
    """Plain character -> its Unicode form whose decomposition is tag ('<super>' or '<sub>'), for digits, signs and brackets."""
    table: dict[int, int] = {}
    for code in [*range(0x2070, 0x20A0), 0xB9, 0xB2, 0xB3]:
        kind, _, plain = unicodedata.decomposition(chr(code)).partition(" ")
        if kind == tag and plain and chr(int(plain, 16)) in "0123456789+-=()\u2212":
            table[int(plain, 16)] = code
    return table


_SUPER, _SUB = _forms("<super>"), _forms("<sub>")
_SUPER[ord("-")], _SUB[ord("-")] = _SUPER[0x2212], _SUB[0x2212]  # a hyphen-minus is raised as the minus sign
_FORMS = frozenset(map(chr, _SUPER))


def raised(text: str, *, subscript: bool = False) -> str | None:
    """text in superscript (or subscript) characters; None when some character has no such form."""
    if not text or not all(c in _FORMS for c in text):
        return None
    return text.translate(_SUB if subscript else _SUPER)
