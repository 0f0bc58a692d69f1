"""The segment file: one XLIFF 1.2 file per document, beside its source, that translators review."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

from .atomic import write_bytes_atomic
from .document import Document, Provenance, ReviewState, Role, Segment
from .errors import SegmentFileError
from .files import parse_untrusted_xml, read_input
from .locking import DEFAULT_TIMEOUT, segment_file_lock

XLIFF_NS = "urn:oasis:names:tc:xliff:document:1.2"
LP_NS = "urn:leshan-pub:segment-file:1"
SUFFIX = ".zh-en.xlf"
_X = f"{{{XLIFF_NS}}}"
_LP = f"{{{LP_NS}}}"
_XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"
_TOOL_NOTE = "leshan-pub"
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'
# The segment file of a 50 MB article (read.MAX_ARTICLE_BYTES) with its English and markup fits;
# anything larger is no segment file and would cost gigabytes to parse.
MAX_SEGMENT_FILE_BYTES = 256 * 1024 * 1024

# Our review states and XLIFF 1.2's state attribute: written one to one, read generously,
# since CAT tools write the other XLIFF states too.
_STATE_OUT = {
    ReviewState.NEW: "new",
    ReviewState.MACHINE: "needs-review-translation",
    ReviewState.REVIEWED: "translated",
    ReviewState.APPROVED: "final",
}
STATES_FROM_XLIFF = {
    "new": ReviewState.NEW,
    "needs-translation": ReviewState.NEW,
    "needs-adaptation": ReviewState.MACHINE,
    "needs-l10n": ReviewState.MACHINE,
    "needs-review-adaptation": ReviewState.MACHINE,
    "needs-review-l10n": ReviewState.MACHINE,
    "needs-review-translation": ReviewState.MACHINE,
    "translated": ReviewState.REVIEWED,
    "signed-off": ReviewState.APPROVED,
    "final": ReviewState.APPROVED,
}

ET.register_namespace("", XLIFF_NS)
ET.register_namespace("lp", LP_NS)


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
    for block in document.blocks():
        group = ET.SubElement(body, f"{_X}group", {"id": f"b{block[0].block:04d}", "restype": f"x-{block[0].role}"})
        for segment in block:
            group.append(_trans_unit(segment))
    ET.indent(root, space="  ")
    return (_DECLARATION + ET.tostring(root, encoding="unicode") + "\n").encode("utf-8")


def _xml_text(segment: Segment, field: str, text: str) -> str:
    bad = _NOT_XML.search(text)
    if bad:
        raise SegmentFileError(
            f"segment {segment.id}: its {field} holds U+{ord(bad.group()):04X}, which XML cannot hold; remove it"
        )
    return text


def _trans_unit(segment: Segment) -> ET.Element:
    attrs = {"id": segment.id, _XML_SPACE: "preserve"}
    if segment.state is ReviewState.APPROVED:
        attrs["approved"] = "yes"
    unit = ET.Element(f"{_X}trans-unit", attrs)
    ET.SubElement(unit, f"{_X}source").text = _xml_text(segment, "source", segment.source)
    target_attrs = {"state": _STATE_OUT[segment.state]}
    if segment.state is ReviewState.MACHINE:
        target_attrs["state-qualifier"] = "mt-suggestion"
    ET.SubElement(unit, f"{_X}target", target_attrs).text = _xml_text(segment, "English", segment.target)
    for note in segment.notes:
        ET.SubElement(unit, f"{_X}note", {"from": _TOOL_NOTE}).text = _xml_text(segment, "note", note)
    return unit


def parse_xliff(data: bytes, name: str = "segment file") -> Document:
    """Parse our XLIFF 1.2 back into a Document; raise SegmentFileError naming the unit or position at fault."""
    root = parse_untrusted_xml(data, name, SegmentFileError, "restore it from git or re-export")
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
    )


def _role_of(group: ET.Element, name: str) -> Role:
    restype = group.get("restype", "")
    try:
        return Role(restype.removeprefix("x-"))
    except ValueError:
        valid = ", ".join(f"x-{r}" for r in Role)
        raise SegmentFileError(f"{name}: group {group.get('id')!r} has restype {restype!r}; use one of {valid}") from None


def _segment_of(unit: ET.Element, block: int, role: Role, name: str) -> Segment:
    unit_id = unit.get("id")
    if not unit_id:
        raise SegmentFileError(f"{name}: a trans-unit has no id; restore the file from git or re-export it")
    source = unit.find(f"{_X}source")
    if source is None or not (source.text or "").strip():
        raise SegmentFileError(f"{name}: trans-unit {unit_id!r} has no source text")
    target = unit.find(f"{_X}target")
    text = (target.text or "") if target is not None else ""
    state_name = target.get("state", "new" if not text else "translated") if target is not None else "new"
    state = STATES_FROM_XLIFF.get(state_name)
    if state is None:
        raise SegmentFileError(
            f"{name}: trans-unit {unit_id!r} has state {state_name!r}; use one of {', '.join(sorted(STATES_FROM_XLIFF))}"
        )
    if unit.get("approved") == "yes":
        state = ReviewState.APPROVED
    if state is not ReviewState.NEW and not text.strip():
        raise SegmentFileError(f"{name}: trans-unit {unit_id!r} is {state} but its target is empty; add the English or set state=\"new\"")
    notes = [n.text or "" for n in unit.iterfind(f"{_X}note")]
    return Segment(id=unit_id, block=block, role=role, source=source.text or "", target=text, state=state, notes=notes)


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
    """
    data = render_xliff(document)
    with segment_file_lock(path, lock_timeout):
        write_bytes_atomic(path, data)
