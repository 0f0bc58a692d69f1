"""Glossary files (TSV or CSV): reading, validation and atomic edits; the term model is in terms.py."""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .atomic import write_bytes_atomic
from .errors import GlossaryError
from .files import read_input
from .read import decode_spreadsheet
from .terms import Glossary, Term, TermHit, nfkc_fold
from .terms import source_key as _key

__all__ = ["Glossary", "Term", "TermHit"]  # the term model, re-exported for callers that load files

REQUIRED_COLUMNS = ("source", "target")
OPTIONAL_COLUMNS = ("target_variants", "forbidden", "note", "source_variants", "invariable")
# The invariable column: a name or title met only as written, never by its plural (forms.term_forms).
_YES, _NO = ("yes", "true", "1", "x"), ("", "no", "false", "0")
COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
LIST_SEPARATOR = "|"
_LIST_COLUMNS = ("source_variants", "target_variants", "forbidden")
_BOM = "\ufeff"


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a glossary, at its 1-based line; a warning does not stop the glossary loading."""

    line: int
    message: str
    warning: bool = False

    def describe(self, name: str) -> str:
        """The problem on one line, for a person: 'g.tsv line 3: warning: ...'."""
        return f"{name} line {self.line}: {'warning: ' if self.warning else ''}{self.message}"


# --- reading and validation -----------------------------------------------------------------------


def _split_list(value: str) -> tuple[str, ...]:
    return tuple(v.strip() for v in value.split(LIST_SEPARATOR) if v.strip())


def _has_empty_item(value: str) -> bool:
    return bool(value.strip()) and any(not v.strip() for v in value.split(LIST_SEPARATOR))


def _read_header(header: list[str] | None, delimiter: str, problems: list[Problem]) -> list[str] | None:
    """The lower-cased column names, or None when the header is unusable (a problem says why)."""
    if header is None or not any(h.strip() for h in header):
        problems.append(Problem(1, f"empty file; it needs a header row: {delimiter.join(REQUIRED_COLUMNS)}"))
        return None
    columns = [h.strip().lower() for h in header]
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        problems.append(Problem(
            1,
            f"header {columns} lacks {missing}; the first row must name the columns {', '.join(COLUMNS)}",
        ))
        return None
    unknown = [c for c in columns if c not in COLUMNS]
    if unknown:
        problems.append(Problem(1, f"unknown column(s) {unknown}; known columns are {', '.join(COLUMNS)}"))
    repeated = sorted({c for c in columns if c and columns.count(c) > 1})
    if repeated:
        problems.append(Problem(1, f"column(s) {repeated} named twice; keep one of each"))
    return columns


def _read_row(row: list[str], columns: list[str], line: int, delimiter: str, problems: list[Problem]) -> Term | None:
    """The row as a Term, or None when it is blank or too broken to check further (a problem says why)."""
    if not any(cell.strip() for cell in row):
        return None
    if len(row) > len(columns):
        problems.append(Problem(
            line,
            f"{len(row)} fields but the header names {len(columns)}; "
            f"check for a stray {'tab' if delimiter == chr(9) else 'delimiter'}",
        ))
        return None
    if len(row) == 1 and len(columns) > 1:
        separator = "tab" if delimiter == "\t" else f"'{delimiter}'"
        problems.append(Problem(line, f"no {separator} between source and target in '{row[0].strip()}'; "
                                      f"separate the columns with a {separator}"))
        return None
    record: dict[str, str] = {}
    for column, cell in zip(columns, row):
        record.setdefault(column, cell.strip())
    source, target = record.get("source", ""), record.get("target", "")
    if not source or not target:
        problems.append(Problem(line, "empty source or target; fill both or delete the row"))
        return None
    for column in _LIST_COLUMNS:
        if _has_empty_item(record.get(column, "")):
            problems.append(Problem(
                line, f"empty entry in {column} '{record[column]}' of '{source}'; remove the extra '{LIST_SEPARATOR}'",
                warning=True,
            ))
    flag = record.get("invariable", "").lower()
    if flag not in _YES + _NO:
        problems.append(Problem(
            line, f"invariable '{record['invariable']}' of '{source}' is neither yes nor no; write yes for a name "
            "or title that has no plural, or leave it empty",
        ))
        return None
    return Term(
        source=source,
        target=target,
        target_variants=_split_list(record.get("target_variants", "")),
        forbidden=_split_list(record.get("forbidden", "")),
        note=record.get("note", ""),
        line=line,
        source_variants=_split_list(record.get("source_variants", "")),
        invariable=flag in _YES,
    )


def _read_table(text: str, delimiter: str) -> tuple[list[Term], list[Problem]]:
    """The terms of glossary text and every problem in it, in line order."""
    problems: list[Problem] = []
    terms: list[Term] = []
    rows = csv.reader(io.StringIO(text.removeprefix(_BOM)), delimiter=delimiter, strict=True)
    try:
        columns = _read_header(next(rows, None), delimiter, problems)
        if columns is None:
            return [], problems
        line = rows.line_num + 1
        for row in rows:
            term = _read_row(row, columns, line, delimiter, problems)
            if term is not None:
                terms.append(term)
            line = rows.line_num + 1
    except csv.Error as exc:
        problems.append(Problem(max(rows.line_num, 1), f"{exc}; check the quoting"))
    problems += [
        Problem(terms[index].line, message, warning)
        for index, message, warning in check_terms(terms, [f"line {t.line}" for t in terms])
    ]
    return terms, sorted(problems, key=lambda p: p.line)


def _english_key(text: str) -> str:
    """English compared loosely: case, hyphens and spacing do not count."""
    return " ".join(re.split(r"[\s\-‐–]+", text.casefold())).strip()


def _quoted(texts: Sequence[str]) -> str:
    return ", ".join(f"'{t}'" for t in texts)


def check_terms(terms: Sequence[Term], places: Sequence[str]) -> list[tuple[int, str, bool]]:
    """(index of the term at fault, message, is a warning) for every inconsistency among the terms.

    places[i] names where terms[i] lives ("line 4", "termEntry 'c4'") for messages that point at
    another entry. Found: a forbidden rendering that is accepted English of the same entry (error)
    or of another (warning); a source term twice, with one target (error: a duplicate) or two
    (error); a source variant equal to its own source (warning); a term inside a longer term whose
    English contains none of the shorter term's English (warning: conflicting English).
    """
    found: list[tuple[int, str, bool]] = []
    by_key: dict[str, int] = {}
    accepted_by: dict[str, list[int]] = {}
    for i, term in enumerate(terms):
        for english in term.accepted:
            accepted_by.setdefault(english.casefold(), []).append(i)
    for i, term in enumerate(terms):
        accepted = {a.casefold() for a in term.accepted}
        for rendering in term.forbidden:
            if rendering.casefold() in accepted:
                found.append((i, f"'{rendering}' is both accepted and forbidden for '{term.source}'; keep one", False))
            for j in accepted_by.get(rendering.casefold(), []):
                if j != i:
                    found.append((
                        i,
                        f"forbidden rendering '{rendering}' of '{term.source}' is accepted English of "
                        f"'{terms[j].source}' ({places[j]}); a segment holding both terms would be flagged, "
                        f"so drop it from forbidden or change the other entry",
                        True,
                    ))
        found += _check_sources(i, terms, places, by_key)
    found += _conflicting_english(terms, places)
    return found


def _check_sources(i: int, terms: Sequence[Term], places: Sequence[str], by_key: dict[str, int]) -> list[tuple[int, str, bool]]:
    """Duplicate and two-target problems of terms[i]'s sources against the terms before it; fills by_key."""
    term = terms[i]
    for n, source in enumerate(term.sources):
        key = _key(source)
        j = by_key.setdefault(key, i)
        if j == i and n and key == _key(term.source):
            if nfkc_fold(source, casefold=True)[0] == nfkc_fold(term.source, casefold=True)[0]:
                return [(i, f"source variant '{source}' is the source term '{term.source}' itself; remove it", True)]
            return [(i, f"source variant '{source}' is '{term.source}' in the other script, which matches "
                        "without being listed; remove it", True)]
        if j == i:
            continue
        other = terms[j]
        named = f"source variant '{source}' of '{term.source}'" if n else f"source term '{source}'"
        if other.target != term.target:
            return [(i, f"{named} has two targets ('{other.target}' on {places[j]}, '{term.target}'); keep one", False)]
        if _same_entry(other, term):
            return [(i, f"{named} repeats {places[j]}; delete one", False)]
        return [(i, f"{named} repeats {places[j]} with the same target; merge the two entries into one", False)]
    return []


def _contains_words(english: str, part: str) -> bool:
    """True when part stands in english as whole words (compared by _english_key): 'nuclide' is not in 'radionuclide'."""
    return re.search(rf"(?<![^\W_]){re.escape(_english_key(part))}(?![^\W_])", _english_key(english)) is not None


def _conflicting_english(terms: Sequence[Term], places: Sequence[str]) -> list[tuple[int, str, bool]]:
    """Warnings where a term's Chinese holds a shorter entry but its English holds none of that entry's English.

    Inside the longer term, leftmost-longest matching uses the longer entry, so the shorter one's English
    never appears there: right for an official name (国家高新技术产业开发区 inside which 高新技术产业 is
    not 'high-tech industries'), wrong by accident otherwise. English counts as whole words only; a
    longer entry whose note names the shorter Chinese term says why they differ, and is not warned about.
    """
    by_key: dict[str, int] = {}
    for i, term in enumerate(terms):
        for source in term.sources:
            by_key.setdefault(_key(source), i)
    found: list[tuple[int, str, bool]] = []
    for i, longer in enumerate(terms):
        inside: dict[int, None] = {}
        for source in longer.sources:
            key = _key(source)
            for start in range(len(key)):
                for end in range(start + 1, len(key) + 1):
                    j = by_key.get(key[start:end])
                    if j is not None and j != i and end - start < len(key):
                        inside[j] = None
        for j in inside:
            shorter = terms[j]
            agree = any(_contains_words(e, a) for a in shorter.accepted for e in longer.accepted)
            explained = any(source in longer.note for source in shorter.sources)
            if not agree and not explained:
                found.append((
                    i,
                    f"conflicting English: '{longer.source}' ('{longer.target}') contains '{shorter.source}' "
                    f"({places[j]}) but none of its English ({_quoted(shorter.accepted)}) as whole words; "
                    f"make the renderings agree, or if '{longer.source}' is a name that must differ, "
                    f"say why in its note, naming '{shorter.source}'",
                    True,
                ))
    return found


def validate_glossary_text(text: str, delimiter: str = "\t") -> list[Problem]:
    """Every problem in glossary text with a header row, in line order; [] when it is clean.

    Errors: no or wrong header, unknown or repeated columns, stray fields, empty source or target,
    a source term twice (duplicate row, or two targets), a forbidden rendering the same entry accepts,
    unreadable quoting. Warnings: empty list entries, a source variant equal to its source, a
    forbidden rendering another entry accepts, conflicting English of a term inside another term.
    """
    return _read_table(text.replace("\r\n", "\n"), delimiter)[1]


def parse_glossary(text: str, name: str = "glossary", delimiter: str = "\t") -> list[Term]:
    """Parse glossary text with a header row; raise GlossaryError naming the line of the first error.

    Warnings (see validate_glossary_text) do not stop it.
    """
    terms, problems = _read_table(text.replace("\r\n", "\n"), delimiter)
    errors = [p for p in problems if not p.warning]
    if errors:
        raise GlossaryError(errors[0].describe(name))
    return terms


def _delimiter(path: Path, text: str | None = None) -> str:
    """The separator of the glossary file at path: a tab for TSV; for CSV the one its header row uses
    (text, else the file as it is on disk): spreadsheets in some locales save CSV with semicolons."""
    if path.suffix.lower() != ".csv":
        return "\t"
    if text is None:
        try:
            text = path.read_bytes().decode("utf-8-sig", errors="replace")
        except OSError:
            text = ""
    first_line = text.removeprefix(_BOM).split("\n", 1)[0]
    return max((",", ";", "\t"), key=first_line.count)


def _read_text(path: Path) -> tuple[bytes, str]:
    """The glossary file's bytes and text (in any encoding a spreadsheet saves: read.decode_spreadsheet);
    GlossaryError when missing, unreadable or of no encoding that reads as Chinese."""
    data = read_input(path, GlossaryError, "a glossary file (.tsv or .csv)", missing="pass --glossary FILE or create it")
    try:
        text = decode_spreadsheet(data)
    except UnicodeDecodeError as exc:
        raise GlossaryError(
            f"glossary {path} byte {exc.start}: not UTF-8, and no other encoding reads it as Chinese; "
            "save it as UTF-8 (Excel: 'CSV UTF-8')"
        ) from None
    return data, text.replace("\r\n", "\n")


def load_glossary(path: Path) -> Glossary:
    """Read a .tsv or .csv glossary; raise GlossaryError when it is missing, unreadable or has an error."""
    data, text = _read_text(path)
    terms = parse_glossary(text, name=str(path), delimiter=_delimiter(path, text))
    return Glossary(terms, path=path, sha256=hashlib.sha256(data).hexdigest())


def load_glossaries(paths: Sequence[Path]) -> Glossary:
    """The glossary files merged into one, in order; GlossaryError for any file's error or a clash between files.

    One file loads as itself (its hash is the file's). Several: each source term may live in one
    file only (two files cannot both own its English); the hash covers every file's bytes, in order.
    """
    paths = list(dict.fromkeys(paths))
    if len(paths) == 1:
        return load_glossary(paths[0])
    loaded = [load_glossary(path) for path in paths]
    seen: dict[str, tuple[Path | None, Term]] = {}
    for glossary in loaded:
        for term in glossary.terms:
            for source in term.sources:
                other_path, other = seen.setdefault(_key(source), (glossary.path, term))
                if other is not term and other_path != glossary.path:
                    raise GlossaryError(
                        f"{glossary.path} line {term.line}: source term '{source}' is also in {other_path} "
                        f"line {other.line}; keep it in one glossary file"
                    )
    terms = [term for glossary in loaded for term in glossary.terms]
    digest = hashlib.sha256("\n".join(g.sha256 for g in loaded).encode()).hexdigest()
    return Glossary(terms, path=paths[0] if paths else None, sha256=digest)


def validate_glossary(path: Path) -> list[Problem]:
    """Every problem in the glossary file at path, in line order; [] when clean.

    Raises GlossaryError only when the file cannot be read as UTF-8 text at all.
    """
    text = _read_text(path)[1]
    return validate_glossary_text(text, _delimiter(path, text))


# --- writing and editing --------------------------------------------------------------------------


def _cell(term: Term, column: str) -> str:
    value = getattr(term, column)
    if isinstance(value, bool):
        return "yes" if value else ""
    return LIST_SEPARATOR.join(value) if isinstance(value, tuple) else value


def _columns_for(terms: Sequence[Term], header: Sequence[str] | None) -> list[str]:
    """The header to write: the existing one, then any column a term needs that it lacks."""
    names = list(header) if header else [c for c in COLUMNS if c != "source_variants"]
    have = {n.strip().lower() for n in names}
    for column in COLUMNS:
        if column not in have and any(_cell(t, column) for t in terms):
            names.append(column)
    return names


def render_glossary(
    terms: Sequence[Term], suffix: str, header: Sequence[str] | None = None, delimiter: str | None = None
) -> bytes:
    """The terms as the bytes of a glossary file of that suffix (.tsv, .csv), header row first.

    header keeps an existing file's column names and order, delimiter its separator (None: ',' for
    CSV, a tab for TSV). CSV gets a UTF-8 BOM and CRLF line ends, as spreadsheets write it; TSV is
    plain UTF-8 with LF.
    """
    csv_file = suffix.lower() == ".csv"
    names = _columns_for(terms, header)
    columns = [n.strip().lower() for n in names]
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter or ("," if csv_file else "\t"), lineterminator="\r\n" if csv_file else "\n")
    writer.writerow(names)
    for term in terms:
        writer.writerow([_cell(term, c) for c in columns])
    return ((_BOM if csv_file else "") + out.getvalue()).encode()


def _existing_header(path: Path) -> list[str] | None:
    """The column names of the glossary file at path as written there, or None when there is none."""
    try:
        first = path.read_bytes().decode("utf-8-sig").splitlines()[:1]
    except (OSError, UnicodeDecodeError):
        return None
    header = next(csv.reader(first, delimiter=_delimiter(path)), None)
    if not header or not {"source", "target"} <= {h.strip().lower() for h in header}:
        return None
    return [h.strip() for h in header]


def _check_suffix(path: Path) -> None:
    if path.suffix.lower() not in (".tsv", ".csv", ".txt"):
        raise GlossaryError(
            f"cannot write a glossary as '{path.suffix or path.name}'; name the file .tsv or .csv "
            f"(TBX goes through the termbase export)"
        )


def save_glossary(glossary: Glossary | Sequence[Term], path: Path) -> Glossary:
    """Write the terms to path (TSV, or CSV by suffix) atomically; return the glossary as now on disk.

    An existing file's header (names and order) is kept, with columns a term needs appended.
    The text is validated first: any error raises GlossaryError and leaves the file as it was.
    """
    _check_suffix(path)
    terms = glossary.terms if isinstance(glossary, Glossary) else list(glossary)
    delimiter = _delimiter(path)  # the file's own, kept
    data = render_glossary(terms, path.suffix, _existing_header(path), delimiter)
    written = parse_glossary(data.decode("utf-8-sig"), name=str(path), delimiter=delimiter)
    write_bytes_atomic(path, data)
    return Glossary(written, path=path, sha256=hashlib.sha256(data).hexdigest())


@dataclass
class TermChanges:
    """What an edit did to a glossary file: sources added and replaced, entries already there, warnings."""

    added: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    unchanged: int = 0
    warnings: list[Problem] = field(default_factory=list)


def _same_entry(a: Term, b: Term) -> bool:
    return dataclasses.replace(a, line=0) == dataclasses.replace(b, line=0)


def import_terms(path: Path, terms: Sequence[Term], replace: bool = False) -> TermChanges:
    """Merge terms into the glossary file at path (created when missing), validated, written atomically.

    A term whose source is already there with different content is refused unless replace,
    which swaps that entry in place; identical entries count as unchanged. Nothing is written when
    anything is refused or the merged glossary has an error (GlossaryError names it).
    """
    _check_suffix(path)
    current = load_glossary(path).terms if path.exists() else []
    merged = list(current)
    changes = TermChanges()
    position = {_key(t.source): i for i, t in enumerate(merged)}
    refused: list[str] = []
    for term in terms:
        i = position.get(_key(term.source))
        if i is None:
            position[_key(term.source)] = len(merged)
            merged.append(term)
            changes.added.append(term.source)
        elif _same_entry(merged[i], term):
            changes.unchanged += 1
        elif replace:
            merged[i] = dataclasses.replace(term, line=merged[i].line)
            changes.replaced.append(term.source)
        else:
            refused.append(f"'{term.source}' (line {merged[i].line}: '{merged[i].target}', new: '{term.target}')")
    if refused:
        more = f" and {len(refused) - 3} more" if len(refused) > 3 else ""
        raise GlossaryError(
            f"{path}: {len(refused)} source term(s) already have an entry: {', '.join(refused[:3])}{more}; "
            f"pass --replace to overwrite them"
        )
    delimiter = _delimiter(path)  # the file's own, kept
    data = render_glossary(merged, path.suffix, _existing_header(path), delimiter)
    _, problems = _read_table(data.decode("utf-8-sig").replace("\r\n", "\n"), delimiter)
    errors = [p for p in problems if not p.warning]
    if errors:
        raise GlossaryError(f"{path} unchanged; after this edit line {errors[0].line} would fail: {errors[0].message}")
    if changes.added or changes.replaced or not path.exists():
        write_bytes_atomic(path, data)
    changes.warnings = [p for p in problems if p.warning]
    return changes


def add_term(path: Path, term: Term, replace: bool = False) -> list[Problem]:
    """Add one entry to the glossary file at path (created when missing), validated, written atomically.

    A source already there is refused unless replace. Returns the warnings of the edited
    glossary ([] when none); raises GlossaryError, leaving the file as it was, on any error.
    """
    return import_terms(path, [term], replace).warnings


def remove_term(path: Path, source: str) -> Term:
    """Delete the entry whose source (or a source variant) is source from the file at path; return it.

    Written atomically; GlossaryError when the file has no such entry or cannot be read.
    """
    glossary = load_glossary(path)
    term = glossary.get(source)
    if term is None:
        raise GlossaryError(f"{path} has no entry for '{source}'; check the spelling against the glossary list")
    save_glossary([t for t in glossary.terms if t is not term], path)
    return term
