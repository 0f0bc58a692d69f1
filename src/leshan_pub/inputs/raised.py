"""Raised and lowered text set by formatting (Word's superscript runs, Markdown's <sup>): as the characters.

10 with a superscript 5 is 10⁵, not 105: read as plain text it would be a different figure. Digits,
signs and brackets have superscript and subscript characters, which the figure check reads (10⁵,
km², ¹⁷⁷Lu) and the PDF sets raised; other text (the "th" of 5th, a note marker [1]) has none and
stays as it is.
"""

from __future__ import annotations

_SUPER = str.maketrans("0123456789+-=()−", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾⁻")
_SUB = str.maketrans("0123456789+-=()−", "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎₋")
_FORMS = frozenset("0123456789+-=()−")


def raised(text: str, *, subscript: bool = False) -> str | None:
    """text in superscript (or subscript) characters; None when some character has no such form."""
    if not text or not all(c in _FORMS for c in text):
        return None
    return text.translate(_SUB if subscript else _SUPER)
