"""Glossary files (TSV or CSV), their validation, and leftmost-longest term matching in the source."""

from __future__ import annotations

import csv
import hashlib
import io
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from .errors import GlossaryError

REQUIRED_COLUMNS = ("source", "target")
OPTIONAL_COLUMNS = ("target_variants", "forbidden", "note")
LIST_SEPARATOR = "|"


@dataclass(frozen=True)
class Term:
    """One glossary entry: the Chinese term, its approved English, accepted variants and forbidden renderings."""

    source: str
    target: str
    target_variants: tuple[str, ...] = ()
    forbidden: tuple[str, ...] = ()
    note: str = ""
    line: int = 0  # line in the glossary file, for messages

    @property
    def accepted(self) -> tuple[str, ...]:
        """The approved English first, then every variant that also counts as success."""
        return (self.target, *self.target_variants)


@dataclass(frozen=True)
class TermHit:
    """A glossary term found in a source text at [start, end)."""

    term: Term
    start: int
    end: int


def _fold(text: str) -> tuple[str, list[int]]:
    """NFKC-fold and casefold text character by character; return it with a map to original offsets.

    Full-width and half-width forms then match the same entry, and every folded
    character knows which original character it came from.
    """
    folded: list[str] = []
    origin: list[int] = []
    for i, ch in enumerate(text):
        for out in unicodedata.normalize("NFKC", ch).casefold():
            folded.append(out)
            origin.append(i)
    return "".join(folded), origin


class Glossary:
    """An ordered set of terms with a content hash; matching is leftmost-longest and non-overlapping."""

    def __init__(self, terms: list[Term], path: Path | None = None, sha256: str = "") -> None:
        self.terms = terms
        self.path = path
        self.sha256 = sha256 or hashlib.sha256(
            "\n".join(f"{t.source}\t{t.target}" for t in terms).encode()
        ).hexdigest()
        self._by_key: dict[str, Term] = {}
        for term in terms:
            self._by_key[_fold(term.source)[0]] = term
        self._lengths = sorted({len(k) for k in self._by_key}, reverse=True)

    def __len__(self) -> int:
        return len(self.terms)

    def find(self, text: str) -> list[TermHit]:
        """Every term occurrence in text, leftmost-longest, non-overlapping; [] when none."""
        folded, origin = _fold(text)
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

    def as_records(self) -> list[dict[str, object]]:
        """The entries as plain dicts (for JSON): source, target, target_variants, forbidden, note."""
        return [
            {
                "source": t.source,
                "target": t.target,
                "target_variants": list(t.target_variants),
                "forbidden": list(t.forbidden),
                "note": t.note,
            }
            for t in self.terms
        ]


def _split_list(value: str) -> tuple[str, ...]:
    return tuple(v.strip() for v in value.split(LIST_SEPARATOR) if v.strip())


def parse_glossary(text: str, name: str = "glossary", delimiter: str = "\t") -> list[Term]:
    """Parse glossary text with a header row; raise GlossaryError naming the line of the first problem."""
    rows = csv.reader(io.StringIO(text), delimiter=delimiter, strict=True)
    try:
        header = next(rows, None)
    except csv.Error as exc:
        raise GlossaryError(f"{name} line 1: {exc}; fix the header row") from None
    if header is None or not any(h.strip() for h in header):
        raise GlossaryError(f"{name} is empty; it needs a header row: {delimiter.join(REQUIRED_COLUMNS)}")
    columns = [h.strip().lower() for h in header]
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        raise GlossaryError(
            f"{name} line 1: header {columns} lacks {missing}; the first row must name the columns "
            f"{', '.join(REQUIRED_COLUMNS + OPTIONAL_COLUMNS)}"
        )
    unknown = [c for c in columns if c and c not in REQUIRED_COLUMNS + OPTIONAL_COLUMNS]
    if unknown:
        raise GlossaryError(
            f"{name} line 1: unknown column(s) {unknown}; known columns are "
            f"{', '.join(REQUIRED_COLUMNS + OPTIONAL_COLUMNS)}"
        )
    terms: list[Term] = []
    seen: dict[str, Term] = {}
    try:
        for row in rows:
            line = rows.line_num
            if not any(cell.strip() for cell in row):
                continue
            if len(row) > len(columns):
                raise GlossaryError(
                    f"{name} line {line}: {len(row)} fields but the header names {len(columns)}; "
                    f"check for a stray {'tab' if delimiter == chr(9) else 'delimiter'}"
                )
            record = dict(zip(columns, (cell.strip() for cell in row)))
            source, target = record.get("source", ""), record.get("target", "")
            if not source or not target:
                raise GlossaryError(f"{name} line {line}: empty source or target; fill both or delete the row")
            key = _fold(source)[0]
            if key in seen:
                other = seen[key]
                if other.target == target:
                    raise GlossaryError(
                        f"{name} line {line}: source term '{source}' repeats line {other.line}; delete one"
                    )
                raise GlossaryError(
                    f"{name} line {line}: source term '{source}' has two targets "
                    f"('{other.target}' on line {other.line}, '{target}'); keep one"
                )
            forbidden = _split_list(record.get("forbidden", ""))
            accepted = (target, *_split_list(record.get("target_variants", "")))
            clash = [f for f in forbidden if f.casefold() in (a.casefold() for a in accepted)]
            if clash:
                raise GlossaryError(
                    f"{name} line {line}: '{clash[0]}' is both accepted and forbidden for '{source}'; keep one"
                )
            term = Term(
                source=source,
                target=target,
                target_variants=accepted[1:],
                forbidden=forbidden,
                note=record.get("note", ""),
                line=line,
            )
            seen[key] = term
            terms.append(term)
    except csv.Error as exc:
        raise GlossaryError(f"{name} line {rows.line_num}: {exc}; check the quoting") from None
    return terms


def load_glossary(path: Path) -> Glossary:
    """Read a .tsv or .csv glossary; raise GlossaryError when it is missing, unreadable or malformed."""
    if path.is_dir():
        raise GlossaryError(f"{path} is a folder; give a glossary file (.tsv or .csv)")
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise GlossaryError(f"glossary {path} not found; pass --glossary FILE or create it") from None
    except OSError as exc:
        raise GlossaryError(f"cannot read glossary {path}: {exc.strerror}") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise GlossaryError(
            f"glossary {path} byte {exc.start}: not UTF-8; save it as UTF-8 (Excel: 'CSV UTF-8')"
        ) from None
    delimiter = "," if path.suffix.lower() == ".csv" else "\t"
    terms = parse_glossary(text.replace("\r\n", "\n"), name=str(path), delimiter=delimiter)
    return Glossary(terms, path=path, sha256=hashlib.sha256(data).hexdigest())
