"""The paper sizes articles and packs are typeset on, in PostScript points (1/72 inch)."""

from __future__ import annotations

_MM = 72.0 / 2.54 * 0.1  # one millimetre, computed as reportlab computes it, so its A4 is this A4 to the bit

# Name -> (width, height), portrait.
PAGE_SIZES: dict[str, tuple[float, float]] = {
    "A4": (210 * _MM, 297 * _MM),
    "Letter": (8.5 * 72, 11 * 72),
}
DEFAULT_PAGE_SIZE = "A4"
