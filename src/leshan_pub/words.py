"""Where Chinese words end: rjieba's dictionary, glossary terms kept whole (PDF title breaks, long-run cuts)."""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache


class WordBreaks:
    """Word boundaries of Chinese text: rjieba (jieba's dictionary and HMM, in Rust; see
    docs/titles.md for the choice), never inside one of the given glossary terms."""

    def __init__(self, terms: Iterable[str] = ()) -> None:
        # Longest first, so a term inside a longer one is covered by the longer occurrence too.
        self.terms = tuple(sorted({t for t in terms if len(t) > 1}, key=lambda t: (-len(t), t)))

    def __call__(self, text: str) -> frozenset[int]:
        """Offsets in text (0 < k < len(text)) where one word ends and the next begins."""
        return _boundaries(text, self.terms)


@lru_cache(maxsize=1024)
def _boundaries(text: str, terms: tuple[str, ...]) -> frozenset[int]:
    import rjieba  # loads its dictionary (about 1 s) on first use: only publishing needs it

    ends: set[int] = set()
    position = 0
    for word in rjieba.cut(text, hmm=True):
        position += len(word)
        ends.add(position)
    ends.discard(len(text))
    for term in terms:
        start = text.find(term)
        while start >= 0:
            ends.difference_update(range(start + 1, start + len(term)))
            start = text.find(term, start + 1)
    return frozenset(ends)
