"""XLIFF exports for CAT tools, and reading the XLIFF 1.x files CAT tools and translate-toolkit write back."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from ..document import Document
from ..errors import SegmentFileError
from ..files import parse_untrusted_xml
from ..terms import Glossary
from .rows import Edit, fingerprint, glossary_terms
from .segfile import render_xliff
from .tmx_entries import now_stamp
from .xliff import LP_NS, XLIFF_NS, read_unit

_GLOSSARY_NOTE = "glossary"
_XLIFF_1_NS = "urn:oasis:names:tc:xliff:document:1."
_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'
_BASE = f"{{{LP_NS}}}base"
_EXPORT_MARK = f"{{{LP_NS}}}export"
_PO_HEADER = "x-gettext-domain-header"  # the restype translate-toolkit gives a PO header's trans-unit


def _append_indented(parent: ET.Element, child: ET.Element) -> None:
    """Append child in the rendered file's indentation. Not ET.indent: it would put white space into
    <source>s and <target>s that open or close with an emphasis tag (<g ctype="bold">)."""
    last = parent[-1] if len(parent) else None
    parent.append(child)
    if last is not None:
        child.tail, last.tail = last.tail, parent.text


def export_xliff(document: Document, glossary: Glossary | None) -> bytes:
    """The document as the bytes of an XLIFF 1.2 export: the segment file's layout, an export mark, each unit's base."""
    root = ET.fromstring(render_xliff(document))  # our own XML, just rendered
    header = root.find(f"{{{XLIFF_NS}}}file/{{{XLIFF_NS}}}header")
    if header is not None:
        _append_indented(header, ET.Element(_EXPORT_MARK, {"exported": now_stamp()}))
    by_id = {segment.id: segment for segment in document.segments}
    for unit in root.iter(f"{{{XLIFF_NS}}}trans-unit"):
        segment = by_id[unit.get("id", "")]
        unit.set(_BASE, fingerprint(segment.state, segment.target))
        for term in glossary_terms(segment, glossary):
            note = ET.Element(f"{{{XLIFF_NS}}}note", {"from": _GLOSSARY_NOTE})
            note.text = f"{term.source} = {term.target}"
            _append_indented(unit, note)
    return (_DECLARATION + ET.tostring(root, encoding="unicode") + "\n").encode("utf-8")


def is_xliff_export(data: bytes, name: str) -> bool:
    """True when data is an XLIFF export of ours (its header holds the export mark)."""
    try:
        root = parse_untrusted_xml(data, name, SegmentFileError)
    except SegmentFileError:
        return False
    return root.find(f"{{{XLIFF_NS}}}file/{{{XLIFF_NS}}}header/{_EXPORT_MARK}") is not None


def read_xliff(data: bytes, name: str) -> tuple[list[Edit], list[str]]:
    """The trans-units of an XLIFF 1.x file as edits, and the problems of units that cannot be read."""
    # segfile.parse_xliff reads only our own layout (XLIFF 1.2, one group per block with a role);
    # CAT tools and translate-toolkit also write XLIFF 1.1 and units straight under <body>.
    root = parse_untrusted_xml(data, name, SegmentFileError)
    namespace, _, local = root.tag.rpartition("}")
    namespace = namespace.removeprefix("{")
    if local != "xliff" or (namespace and not namespace.startswith(_XLIFF_1_NS)):
        raise SegmentFileError(
            f"{name}: root element is {root.tag!r}, not XLIFF 1.x; export XLIFF 1.2 from the CAT tool"
        )
    ns = f"{{{namespace}}}" if namespace else ""
    edits: list[Edit] = []
    problems: list[str] = []
    for number, unit in enumerate(root.iter(f"{ns}trans-unit"), start=1):
        if unit.get("restype") == _PO_HEADER:
            continue  # po2xliff's copy of a PO file's header: no sentence of the article
        edit = _xliff_edit(unit, number, ns, problems)
        if edit is not None:
            edits.append(edit)
    if not edits and not problems:
        raise SegmentFileError(f"{name} has no <trans-unit>; nothing to import")
    return edits, problems


def _xliff_edit(unit: ET.Element, number: int, ns: str, problems: list[str]) -> Edit | None:
    """The trans-unit as an edit, or None after adding its problem to problems."""
    try:
        read = read_unit(unit, ns, number)  # the one XLIFF reading, with the segment file's approval rule
    except SegmentFileError as exc:
        problems.append(str(exc))
        return None
    return Edit.from_unit(read, where=f"trans-unit {read.id!r}", base=unit.get(_BASE, ""), carries_marks=True)

