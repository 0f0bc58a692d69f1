"""The term model: Term, TermHit and leftmost-longest matching of glossary terms in Chinese text.

Matching ignores full-width/half-width forms and simplified/traditional script (樂山 finds 乐山's
entry). Engines, verification and QA share these; reading and editing glossary files is glossary.py's job.
"""

from __future__ import annotations

import functools
import hashlib
import json
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from .script import to_simplified


@dataclass(frozen=True)
class Term:
    """One glossary entry: the Chinese term, its approved English, accepted variants and forbidden renderings.

    source_variants are other Chinese forms that match as the same entry: regional vocabulary
    (多晶矽 for 多晶硅), not the traditional spelling, which matches without being listed.
    """

    source: str
    target: str
    target_variants: tuple[str, ...] = ()
    forbidden: tuple[str, ...] = ()
    note: str = ""
    line: int = 0  # line in the glossary file, for messages; 0 when the term did not come from one
    source_variants: tuple[str, ...] = field(default=(), kw_only=True)
    # Names and titles: met only as written, never by a plural (forms.term_forms); a glossary column.
    invariable: bool = field(default=False, kw_only=True)

    @property
    def accepted(self) -> tuple[str, ...]:
        """The approved English first, then every variant that also counts as success."""
        return (self.target, *self.target_variants)

    @property
    def sources(self) -> tuple[str, ...]:
        """The Chinese term first, then every source variant that matches as the same entry."""
        return (self.source, *self.source_variants)

    def as_record(self) -> dict[str, object]:
        """The entry as a plain dict (for JSON): source, target, target_variants, forbidden, note, source_variants."""
        return {
            "source": self.source,
            "target": self.target,
            "target_variants": list(self.target_variants),
            "forbidden": list(self.forbidden),
            "note": self.note,
            "source_variants": list(self.source_variants),
        } | ({"invariable": True} if self.invariable else {})  # absent when false: hashes of older glossaries stay


@dataclass(frozen=True)
class TermHit:
    """A glossary term found in a source text at [start, end)."""

    term: Term
    start: int
    end: int


def nfkc_fold(text: str, casefold: bool = False) -> tuple[str, list[int]]:
    """NFKC-normalise text character by character (and casefold it when asked); return it with a map
    from each output character to the offset of the original character it came from.

    Full-width and half-width forms, and superscript digits, then compare alike while every
    character still knows where it stood in the author's text.
    """
    if text.isascii():  # the common English case: NFKC keeps it, and casefolding is lower-casing
        return (text.lower() if casefold else text), list(range(len(text)))
    folded: list[str] = []
    origin: list[int] = []
    for i, ch in enumerate(text):
        for out in _fold_character(ch, casefold):
            folded.append(out)
            origin.append(i)
    return "".join(folded), origin


@functools.lru_cache(maxsize=8192)
def _fold_character(ch: str, casefold: bool) -> str:
    normal = unicodedata.normalize("NFKC", ch)
    return normal.casefold() if casefold else normal


def match_fold(text: str) -> tuple[str, list[int]]:
    """text as glossary matching sees it (NFKC, casefolded, folded to simplified characters), with
    the offset in text of every character of the result."""
    folded, origin = nfkc_fold(text, casefold=True)
    simplified, back = to_simplified(folded)
    return simplified, [origin[i] for i in back]


@functools.lru_cache(maxsize=8192)  # the same terms are matched in every segment
def source_key(source: str) -> str:
    """The form a Chinese source term is matched by: 樂山, 乐山 and full-width forms alike."""
    return match_fold(source)[0]


class Glossary:
    """An ordered set of terms with a content hash; matching is leftmost-longest and non-overlapping.

    sha256 is the hash of the file's bytes when the glossary was read from one; otherwise a hash of
    the terms' content, so any change to any field changes it.
    """

    def __init__(self, terms: list[Term], path: Path | None = None, sha256: str = "") -> None:
        self.terms = terms
        self.path = path
        self.sha256 = sha256 or hashlib.sha256(
            json.dumps([t.as_record() for t in terms], ensure_ascii=False, sort_keys=True).encode()
        ).hexdigest()
        self._by_key: dict[str, Term] = {}
        for term in terms:
            for source in term.sources:
                self._by_key[source_key(source)] = term
        self._lengths = sorted({len(k) for k in self._by_key}, reverse=True)

    def __len__(self) -> int:
        return len(self.terms)

    def find(self, text: str) -> list[TermHit]:
        """Every term occurrence in text, leftmost-longest, non-overlapping; [] when none.

        Offsets are the author's: hit.start and hit.end index text itself, whatever its script.
        """
        folded, origin = match_fold(text)
        hits: list[TermHit] = []
        i = 0
        while i < len(folded):
            for length in self._lengths:
                if i + length > len(folded):
                    continue
                term = self._by_key.get(folded[i : i + length])
                if term is not None:
                    end = i + length
                    hits.append(TermHit(term, origin[i], origin[end - 1] + 1))
                    i = end
                    break
            else:
                i += 1
        return hits

    def get(self, source: str) -> Term | None:
        """The entry whose source or source variant is source (full-width, case folded), or None."""
        return self._by_key.get(source_key(source))

    def as_records(self) -> list[dict[str, object]]:
        """The entries as plain dicts (for JSON), in glossary order."""
        return [t.as_record() for t in self.terms]
