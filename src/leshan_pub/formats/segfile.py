"""The segment file: one XLIFF 1.2 file per document, beside its source, that translators review."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from .. import __version__
from ..atomic import write_bytes_atomic
from ..chars import NOT_XML
from ..dates import build_moment, iso_seconds
from ..document import Approval, Cell, Document, Mark, Match, Provenance, ReviewState, Role, Segment, TermMethod, TermRecord
from ..errors import LeshanPubError, ProvenanceError, SegmentFileError
from ..files import parse_untrusted_xml, read_input
from ..locking import DEFAULT_TIMEOUT, segment_file_lock
from ..provenance import Signature, attribute, parse_signature
from ..script import script_of
from .xliff import LP as _LP
from .xliff import XLIFF as _X
from .xliff import REVIEWER_NOTE, STATE_OUT, TERMS_NOTE, marked_text, read_match, read_unit, set_marked, unit_id_of

SUFFIX = ".zh-en.xlf"
_XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"
# How the unit's English was made (provenance.Signature): an attribute in our namespace on
# <trans-unit>, which XLIFF 1.2 allows and CAT tools carry through, unlike notes a translator edits.
_PROVENANCE = f"{_LP}provenance"
_TOOL_NOTE = "leshan-pub"
_TERM = f"{_LP}term"
_DRAFT = f"{_LP}draft"
_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'
# The segment file of a 50 MB article (read.MAX_ARTICLE_BYTES) with its English and markup fits;
# anything larger is no segment file and would cost gigabytes to parse.
MAX_SEGMENT_FILE_BYTES = 256 * 1024 * 1024


def document_name(source_path: Path) -> str:
    """The document's name: the file name without its suffixes ('leshan-2024.zh.txt' -> 'leshan-2024')."""
    name = source_path.name
    return name.split(".", 1)[0] if not name.startswith(".") else name


def segment_file_for(source_path: Path) -> Path:
    """Where a source article's segment file lives: beside the source, so reviewed work is committed with it."""
    return source_path.with_name(document_name(source_path) + SUFFIX)


def render_xliff(document: Document) -> bytes:
    """The document as XLIFF 1.2 bytes: one group per block, one trans-unit per segment, stable order."""
    root = ET.Element(f"{_X}xliff", {"version": "1.2"})
    file = ET.SubElement(
        root,
        f"{_X}file",
        {
            "original": document.original or f"{document.name}.zh.txt",
            "source-language": document.source_language,
            "target-language": document.target_language,
            "datatype": "plaintext",
            f"{_LP}script": document.script,  # zh-Hans, zh-Hant or mixed: what source-language cannot say
        },
    )
    header = ET.SubElement(file, f"{_X}header")
    prov = document.provenance
    ET.SubElement(
        header,
        f"{_X}tool",
        {"tool-id": "leshan-pub", "tool-name": "leshan-pub", "tool-version": prov.tool_version},
    )
    ET.SubElement(header, f"{_LP}provenance", {"document": document.name, **prov.as_dict()})
    body = ET.SubElement(file, f"{_X}body")
    inline: list[tuple[ET.Element, str, tuple[Mark, ...]]] = []
    for block in document.blocks():
        group = ET.SubElement(body, f"{_X}group", {"id": f"b{block[0].block:04d}", "restype": f"x-{block[0].role}"})
        for segment in block:
            group.append(_trans_unit(segment, inline))
    ET.indent(root, space="  ")
    # Emphasis goes in after indenting: indent would put white space into the marked-up text.
    for element, text, marks in inline:
        set_marked(element, text, marks)
    return (_DECLARATION + ET.tostring(root, encoding="unicode") + "\n").encode("utf-8")


def _xml_text(segment: Segment, field: str, text: str) -> str:
    bad = NOT_XML.search(text)
    if bad:
        raise SegmentFileError(
            f"segment {segment.id}: its {field} holds U+{ord(bad.group()):04X}, which XML cannot hold; remove it"
        )
    return text


def _trans_unit(segment: Segment, inline: list[tuple[ET.Element, str, tuple[Mark, ...]]]) -> ET.Element:
    attrs = {"id": segment.id, _XML_SPACE: "preserve"}
    if segment.state is ReviewState.APPROVED:
        attrs["approved"] = "yes"
        if segment.approval is not None:
            attrs[f"{_LP}approved-by"] = segment.approval.who
            attrs[f"{_LP}approved-at"] = segment.approval.when
    if segment.cell is not None:
        cell = segment.cell
        # resname is the context CAT tools show beside a unit (OmegaT, memoQ, Trados).
        attrs["resname"] = f"table {cell.table}, row {cell.row + 1}, column {cell.column + 1}"
        for name, value in (("table", cell.table), ("row", cell.row), ("column", cell.column)):
            attrs[f"{_LP}{name}"] = str(value)
        if cell.rows != 1:
            attrs[f"{_LP}rows"] = str(cell.rows)
        if cell.columns != 1:
            attrs[f"{_LP}columns"] = str(cell.columns)
        if cell.header:
            attrs[f"{_LP}header"] = "yes"
    signature = _unit_signature(segment.signature, segment.target)
    if signature is not None:
        attrs[_PROVENANCE] = str(signature)
    unit = ET.Element(f"{_X}trans-unit", attrs)
    source = ET.SubElement(unit, f"{_X}source")
    source.text = _xml_text(segment, "source", segment.source)
    target_attrs = {"state": STATE_OUT[segment.state]}
    qualifier = _state_qualifier(segment)
    if qualifier:
        target_attrs["state-qualifier"] = qualifier
    target = ET.SubElement(unit, f"{_X}target", target_attrs)
    target.text = _xml_text(segment, "English", segment.target)
    if segment.source_marks:
        inline.append((source, segment.source, segment.source_marks))
    if segment.target_marks:
        inline.append((target, segment.target, segment.target_marks))
    for note in segment.notes:
        ET.SubElement(unit, f"{_X}note", {"from": _TOOL_NOTE}).text = _xml_text(segment, "note", note)
    for comment in segment.comments:
        ET.SubElement(unit, f"{_X}note", {"from": REVIEWER_NOTE}).text = _xml_text(segment, "comment", comment)
    if segment.terms:
        ET.SubElement(unit, f"{_X}note", {"from": TERMS_NOTE}).text = _xml_text(
            segment, "term record", terms_note(segment.terms)
        )
    for match in segment.matches:
        # Where CAT tools look for translation-memory candidates (OmegaT, Okapi, memoQ, Trados).
        alt = ET.SubElement(unit, f"{_X}alt-trans", {"match-quality": str(match.score), "origin": match.origin})
        ET.SubElement(alt, f"{_X}source").text = _xml_text(segment, "match source", match.source)
        ET.SubElement(alt, f"{_X}target").text = _xml_text(segment, "match", match.target)
    # Our own elements come last, where XLIFF 1.2 lets a trans-unit hold elements of other namespaces.
    for record in segment.terms:
        attrs = {"source": record.source, "target": record.target, "method": str(record.method)}
        if record.detail:
            attrs["detail"] = record.detail
        ET.SubElement(unit, _TERM, {k: _xml_text(segment, "term record", v) for k, v in attrs.items()})
    if segment.draft is not None:
        draft = ET.SubElement(unit, _DRAFT, {"match-quality": str(segment.draft.score), "origin": segment.draft.origin})
        ET.SubElement(draft, f"{_X}source").text = _xml_text(segment, "draft source", segment.draft.source)
        ET.SubElement(draft, f"{_X}target").text = _xml_text(segment, "draft", segment.draft.target)
    return unit


def terms_note(records: tuple[TermRecord, ...]) -> str:
    """The term records as one line a reviewer reads in a CAT tool: '链主企业 → chain-leader enterprise (model); ...'."""
    parts = []
    for record in records:
        how = f"{record.method}: {record.detail}" if record.detail else str(record.method)
        parts.append(f"{record.source} → {record.target or '(missing)'} ({how})")
    return "terms: " + "; ".join(parts)


def _state_qualifier(segment: Segment) -> str:
    """XLIFF 1.2's word for where the English came from: mt-suggestion, fuzzy-match, leveraged-tm or exact-match."""
    if segment.is_fuzzy_draft:
        draft = segment.draft or segment.matches[0]
        return "leveraged-tm" if draft.score >= 100 else "fuzzy-match"
    if segment.state is ReviewState.MACHINE:
        return "mt-suggestion"
    if segment.matches and segment.matches[0].score >= 100 and segment.target == segment.matches[0].target:
        return "exact-match"
    return ""


def parse_xliff(data: bytes, name: str = "segment file") -> Document:
    """Parse our XLIFF 1.2 back into a Document; raise SegmentFileError naming the unit or position at fault."""
    root = parse_untrusted_xml(data, name, SegmentFileError)
    if root.tag != f"{_X}xliff":
        raise SegmentFileError(f"{name}: root element is {root.tag!r}, not an XLIFF 1.2 <xliff>; give a segment file")
    file = root.find(f"{_X}file")
    if file is None:
        raise SegmentFileError(f"{name}: no <file> element; the segment file is truncated")
    prov_el = file.find(f"{_X}header/{_LP}provenance")
    prov = prov_el.attrib if prov_el is not None else {}
    provenance = Provenance(
        tool_version=prov.get("tool-version", ""),
        segmenter_version=prov.get("segmenter-version", ""),
        model=prov.get("model", ""),
        model_revision=prov.get("model-revision", ""),
        glossary_sha256=prov.get("glossary-sha256", ""),
        english_changed=prov.get("english-changed", ""),
    )
    segments: list[Segment] = []
    seen: set[str] = set()
    for index, group in enumerate(file.iterfind(f"{_X}body/{_X}group")):
        role = _role_of(group, name)
        for unit in group.iterfind(f"{_X}trans-unit"):
            segment = _segment_of(unit, index, role, name)
            if segment.id in seen:
                raise SegmentFileError(f"{name}: trans-unit id {segment.id!r} appears twice; ids must be unique")
            seen.add(segment.id)
            segments.append(segment)
    return Document(
        name=prov.get("document") or Path(file.get("original", "document")).name.split(".", 1)[0],
        segments=segments,
        provenance=provenance,
        source_language=file.get("source-language", "zh-CN"),
        target_language=file.get("target-language", "en"),
        original=file.get("original", ""),
        script=script_of(file.get("source-language", "zh-CN"), file.get(f"{_LP}script", "")),
    )


def _role_of(group: ET.Element, name: str) -> Role:
    restype = group.get("restype", "")
    try:
        return Role(restype.removeprefix("x-"))
    except ValueError:
        valid = ", ".join(f"x-{r}" for r in Role)
        raise SegmentFileError(f"{name}: group {group.get('id')!r} has restype {restype!r}; use one of {valid}") from None


def _segment_of(unit: ET.Element, block: int, role: Role, name: str) -> Segment:
    try:
        read = read_unit(unit, _X, 0)
    except SegmentFileError as exc:
        raise SegmentFileError(f"{name}: {exc}") from None
    where = f"{name}: trans-unit {read.id!r}"
    return Segment.from_unit(
        read, block=block, role=role,
        signature=_read_signature(unit, read.target, name),
        terms=tuple(_term_record(element, where) for element in unit.iterfind(_TERM)),
        draft=_draft_of(unit.find(_DRAFT), read.source),
        cell=_cell_of(unit, where),
        approval=_approval_of(unit) if read.state is ReviewState.APPROVED else None,
    )


def _term_record(element: ET.Element, where: str) -> TermRecord:
    method = element.get("method", "")
    try:
        how = TermMethod(method)
    except ValueError:
        valid = ", ".join(TermMethod)
        raise SegmentFileError(f"{where}: lp:term method {method!r} is not one of {valid}; fix or delete it") from None
    return TermRecord(element.get("source", ""), element.get("target", ""), how, element.get("detail", ""))


def _draft_of(element: ET.Element | None, source: str) -> Match | None:
    return None if element is None else read_match(element, _X, source)


def _cell_of(unit: ET.Element, where: str) -> Cell | None:
    if unit.get(f"{_LP}table") is None:
        return None
    values: dict[str, int] = {}
    for name, default in (("table", None), ("row", None), ("column", None), ("rows", 1), ("columns", 1)):
        raw = unit.get(f"{_LP}{name}")
        try:
            values[name] = int(raw) if raw is not None else int(default)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise SegmentFileError(f"{where}: lp:{name} is {raw!r}, not a whole number; fix or delete it") from None
        if values[name] < (0 if name in ("row", "column") else 1):
            raise SegmentFileError(f"{where}: lp:{name} is {values[name]}, out of range; fix or delete it")
    return Cell(header=unit.get(f"{_LP}header") == "yes", **values)


def _approval_of(unit: ET.Element) -> Approval | None:
    who, when = unit.get(f"{_LP}approved-by"), unit.get(f"{_LP}approved-at")
    return Approval(who or "", when or "") if who or when else None


def _unit_signature(signature: Signature | None, english: str) -> Signature | None:
    """The signature a unit carries: None without English; a machine's English edited since is a person's."""
    return attribute(signature, english, __version__) if english.strip() else None


def _read_signature(unit: ET.Element, english: str, name: str) -> Signature | None:
    value = unit.get(_PROVENANCE)
    if value is None:
        return None
    try:
        return _unit_signature(parse_signature(value), english)
    except ProvenanceError as exc:
        raise SegmentFileError(
            f"{name}: trans-unit {unit.get('id')!r}: {exc}; fix or delete its lp:provenance attribute"
        ) from None


def read_segment_file(path: Path) -> Document:
    """Read a segment file; raise SegmentFileError when it is missing, unreadable, too large or malformed."""
    data = read_input(
        path, SegmentFileError, f"a segment file ({SUFFIX})",
        missing="run `leshan-pub segment SOURCE` first", max_bytes=MAX_SEGMENT_FILE_BYTES,
    )
    if len(data) > MAX_SEGMENT_FILE_BYTES:
        raise SegmentFileError(
            f"segment file {path} is over the {MAX_SEGMENT_FILE_BYTES // 1024 // 1024} MB a segment file may "
            "have (that of a 50 MB article); give the document's own .zh-en.xlf"
        )
    if not data.strip():
        raise SegmentFileError(f"segment file {path} is empty; restore it from git or run `leshan-pub segment SOURCE`")
    return parse_xliff(data, name=str(path))


def write_segment_file(path: Path, document: Document, lock_timeout: float = DEFAULT_TIMEOUT) -> None:
    """Write the segment file atomically (temporary file, then rename) under its lock.

    Raise SegmentFileError when another run holds the lock past lock_timeout seconds. A caller
    that reads, changes and writes the file holds segment_file_lock(path) around all three.

    When any segment's English differs from the file's, document.provenance.english_changed
    becomes the moment of writing (dates.build_moment: SOURCE_DATE_EPOCH when set), so published
    files can say when the English last changed; otherwise the file's record is kept.
    """
    with segment_file_lock(path, lock_timeout):
        stamp = _english_stamp(path, document)
        if stamp != document.provenance.english_changed:
            document.provenance = replace(document.provenance, english_changed=stamp)
        write_bytes_atomic(path, render_xliff(document))


def _english_stamp(path: Path, document: Document) -> str:
    """The english-changed stamp document should carry, given the segment file now at path."""
    english = [(s.id, s.target) for s in document.segments if s.target]
    previous = _english_of(path)
    if previous is not None and english == previous[0]:
        return previous[1] or document.provenance.english_changed
    if not english:
        return ""
    try:
        return iso_seconds(build_moment())
    except LeshanPubError:  # a malformed SOURCE_DATE_EPOCH: publishing says so; the English is kept
        return iso_seconds(datetime.now(UTC))


def _english_of(path: Path) -> tuple[list[tuple[str, str]], str] | None:
    """The segment file's English as (id, English) pairs and its english-changed stamp; None when
    there is no file or it cannot be read (its English then counts as new).

    Reads only ids and targets, not whole segments: every save of the review page compares them.
    """
    try:
        root = parse_untrusted_xml(path.read_bytes(), str(path), SegmentFileError) if path.is_file() else None
    except (OSError, SegmentFileError):
        return None
    if root is None:
        return None
    prov = root.find(f"{_X}file/{_X}header/{_LP}provenance")
    english = []
    for unit in root.iterfind(f"{_X}file/{_X}body/{_X}group/{_X}trans-unit"):
        target = unit.find(f"{_X}target")
        text = marked_text(target)[0] if target is not None else ""
        if text:
            english.append((unit_id_of(unit), text))
    return english, prov.get("english-changed", "") if prov is not None else ""


def keep_backup(path: Path) -> Path:
    """Copy path to '<name>.<UTC time>.bak' beside it, never over an earlier backup; return the copy."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    backup, number = path.with_name(f"{path.name}.{stamp}.bak"), 2
    while backup.exists():
        backup, number = path.with_name(f"{path.name}.{stamp}-{number}.bak"), number + 1
    write_bytes_atomic(backup, path.read_bytes())
    return backup
