"""TMX 1.4b read and written whole: every <tu> kept as the element it was read as (lxml, parsed safely)."""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from lxml import etree

from ..errors import TranslationMemoryError
from ..files import xml_fix

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
# TMX's inline elements that hold another tool's native codes (bold on, a field, a tab), not words.
CODES = ("bpt", "ept", "it", "ph", "ut")
# What a <header> says about all its units that a <tu> may say about itself (TMX 1.4b, section 3.2).
HEADER_FOR_UNITS = ("creationtool", "creationtoolversion", "datatype", "segtype", "o-tmf", "srclang", "o-encoding")
_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'
# No entity is expanded and nothing is fetched: a TMX comes from other people's tools.
_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True, remove_blank_text=False
)


@dataclass
class TmxFile:
    """A TMX file as read: its tree (header, root attributes and DOCTYPE as written) and its units in order.

    raw and body_end let new units be spliced in before </body> without writing the others anew;
    body_end is -1 when the file was not read from UTF-8 bytes holding one </body>.
    """

    tree: etree._ElementTree
    units: list[etree._Element] = field(default_factory=list)
    raw: bytes = b""
    body_end: int = -1

    @property
    def header(self) -> etree._Element | None:
        return self.tree.getroot().find("header")

    def header_value(self, name: str) -> str:
        """An attribute of the header ('' when there is no header or no such attribute)."""
        header = self.header
        return (header.get(name) or "") if header is not None else ""


def parse(data: bytes, name: str) -> TmxFile:
    """The TMX file in data; raise TranslationMemoryError with the position and the fix for bad XML,
    and for entity declarations (a DOCTYPE naming tmx14.dtd is fine: it is never fetched)."""
    try:
        root = etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as exc:
        line, column = exc.position
        before = data.decode("utf-8", errors="replace").split("\n")[line - 1][: max(0, column - 1)] if line else ""
        reason = _reason(exc)
        raise TranslationMemoryError(
            f"{name} line {line} column {column}: not well-formed XML ({reason}); {xml_fix(reason, before)}"
        ) from None
    tree = root.getroottree()
    dtd = tree.docinfo.internalDTD
    if dtd is not None and (list(dtd.iterentities()) or list(dtd.iterelements())):
        raise TranslationMemoryError(
            f"{name}: refused unsafe XML (a DOCTYPE declaring entities or elements); "
            "delete the [...] part of its <!DOCTYPE> line"
        )
    if root.tag != "tmx":
        raise TranslationMemoryError(f"{name}: root element is {root.tag!r}, not <tmx>; give a TMX file")
    body = root.find("body")
    units = list(body.iterfind("tu")) if body is not None else []
    body_end = -1
    encoding = (tree.docinfo.encoding or "UTF-8").upper()
    if encoding in ("UTF-8", "UTF8", "US-ASCII", "ASCII") and data.count(b"</body>") == 1:
        body_end = data.index(b"</body>")
    return TmxFile(tree, units, data, body_end)


def _reason(exc: etree.XMLSyntaxError) -> str:
    return str(exc.msg or exc).split(", line")[0].strip()


def new_file(header: dict[str, str]) -> TmxFile:
    """An empty TMX 1.4 file with the header's attributes."""
    root = etree.Element("tmx", {"version": "1.4"})
    etree.SubElement(root, "header", header)
    etree.SubElement(root, "body")
    return TmxFile(root.getroottree())


def render(tmx: TmxFile, added: Sequence[etree._Element] = ()) -> bytes:
    """The whole file as UTF-8 bytes: its units (as they now are) and then the added ones, indented as ours."""
    root = tmx.tree.getroot()
    body = root.find("body")
    if body is None:
        body = etree.SubElement(root, "body")
    if not tmx.raw:  # a new file: laid out as ours; units are never indented (mixed content would change)
        root.text, body.tail = "\n  ", "\n"
        for child in root[:-1]:
            child.tail = "\n  "
    for unit in added:
        body.append(unit)
    _indent_added(body, added)
    tmx.units.extend(added)
    doctype = tmx.tree.docinfo.doctype
    text = etree.tostring(tmx.tree, encoding="UTF-8", xml_declaration=False, doctype=doctype or None)
    data = _DECLARATION + text + b"\n"
    _written(tmx, data)
    return data


def _written(tmx: TmxFile, data: bytes) -> None:
    """Remember data as what the file now holds, so the next save can splice into it."""
    tmx.raw = data
    tmx.body_end = data.index(b"</body>") if data.count(b"</body>") == 1 else -1


def splice(tmx: TmxFile, added: Sequence[etree._Element]) -> bytes | None:
    """The file as read with the added units put in before </body>, the rest byte for byte as it was;
    None when the file cannot be spliced (not UTF-8, or no single </body>)."""
    if tmx.body_end < 0 or not added:
        return None
    line_start = tmx.raw.rfind(b"\n", 0, tmx.body_end) + 1
    if tmx.raw[line_start:tmx.body_end].strip():
        line_start = tmx.body_end  # </body> shares its line with other markup
    pieces = []
    for unit in added:
        pieces.append(b"    " + etree.tostring(unit, encoding="UTF-8", with_tail=False) + b"\n")
    body = tmx.tree.getroot().find("body")
    if body is not None:
        for unit in added:
            body.append(unit)
    tmx.units.extend(added)
    data = tmx.raw[:line_start] + b"".join(pieces) + tmx.raw[line_start:]
    _written(tmx, data)
    return data


def _indent_added(body: etree._Element, added: Sequence[etree._Element]) -> None:
    if not added:
        return
    children = list(body)
    first = len(children) - len(added)
    if first > 0:
        children[first - 1].tail = "\n    "
    else:
        body.text = "\n    "
    for unit in added[:-1]:
        unit.tail = "\n    "
    added[-1].tail = "\n  "


def text_of(seg: etree._Element | None) -> str:
    """A <seg>'s words without inline codes: the text of <hi> counts, the content of bpt/ept/it/ph/ut does
    not. A placeholder between two letters or digits (a tab, a field) leaves a space, not a join."""
    text = _text_of(seg)
    return _BETWEEN_WORDS.sub(" ", _PLACEHOLDER.sub("", text)) if "\x00" in text else text


_PLACEHOLDER = re.compile("\x00(?![A-Za-z0-9])|(?<![A-Za-z0-9])\x00")
_BETWEEN_WORDS = re.compile("\x00")


def _text_of(seg: etree._Element | None) -> str:
    if seg is None:
        return ""
    if not len(seg):
        return seg.text or ""  # most units: plain text, nothing to skip
    parts: list[str] = [seg.text or ""]
    for child in seg:
        tag = child.tag if isinstance(child.tag, str) else ""
        if tag == "hi":
            parts.append(_text_of(child))
        elif tag in ("ph", "it", "ut"):
            parts.append("\x00")  # a standalone code: where it stood may need a space
        parts.append(child.tail or "")
    return "".join(parts)


def shown_with_codes(seg: etree._Element | None) -> str:
    """A <seg>'s text with each inline code made visible: {1}…{/1} for bpt/ept, {ph}, {it} and {ut}."""
    if seg is None:
        return ""
    parts: list[str] = [seg.text or ""]
    for child in seg:
        tag = child.tag if isinstance(child.tag, str) else ""
        if tag == "hi":
            parts.append(shown_with_codes(child))
        elif tag == "bpt":
            parts.append("{" + (child.get("i") or "") + "}")
        elif tag == "ept":
            parts.append("{/" + (child.get("i") or "") + "}")
        elif tag in CODES:
            parts.append("{" + tag + (child.get("x") or child.get("i") or "") + "}")
        parts.append(child.tail or "")
    return "".join(parts)


def codes_in(seg: etree._Element | None) -> int:
    """How many inline codes a <seg> holds (at any depth)."""
    return 0 if seg is None or not len(seg) else sum(1 for e in seg.iter(*CODES))


@dataclass(frozen=True)
class Variant:
    """One <tuv> as read: its language as written, its <seg>, and its text without codes."""

    language: str
    seg: etree._Element | None
    text: str


def variants(unit: etree._Element) -> list[Variant]:
    """The unit's <tuv>s in order; the language is xml:lang (or TMX 1.1's lang) as written."""
    found = []
    for tuv in unit.iterchildren("tuv"):
        seg = next(tuv.iterchildren("seg"), None)
        found.append(Variant(tuv.get(XML_LANG) or tuv.get("lang") or "", seg, text_of(seg)))
    return found


def read_unit(unit: etree._Element) -> tuple[list[Variant], dict[str, str]]:
    """The unit's <tuv>s and <prop>s in one pass over its children (variants(unit), props(unit))."""
    found: list[Variant] = []
    properties: dict[str, str] = {}
    for child in unit:
        tag = child.tag
        if tag == "tuv":
            seg = next(child.iterchildren("seg"), None)
            found.append(Variant(child.get(XML_LANG) or child.get("lang") or "", seg, text_of(seg)))
        elif tag == "prop":
            properties.setdefault(child.get("type", ""), child.text or "")
    return found, properties


def props(unit: etree._Element) -> dict[str, str]:
    """The unit's <prop type=...> values (the first of each type)."""
    found: dict[str, str] = {}
    for prop in unit.iterchildren("prop"):
        found.setdefault(prop.get("type", ""), prop.text or "")
    return found


def set_prop(unit: etree._Element, kind: str, value: str) -> None:
    """Set the unit's <prop type=kind> (added before its first <tuv>, as TMX orders them); '' removes it."""
    existing = unit.find(f"prop[@type='{kind}']")
    if not value:
        if existing is not None:
            _remove(existing)
        return
    if existing is None:
        existing = etree.Element("prop", {"type": kind})
        _insert_before_variants(unit, existing)
    existing.text = value


def set_attribute(unit: etree._Element, name: str, value: str) -> None:
    """Set or ('' value) remove an attribute of the unit."""
    if value:
        unit.set(name, value)
    elif name in unit.attrib:
        del unit.attrib[name]


def adopt_header(tmx: TmxFile) -> None:
    """Put what the file's header says about all units onto each unit that does not say it itself:
    its attributes as <tu> attributes, its <prop>s and <note>s as the unit's own, as TMX allows.
    For units leaving their file (merged into another memory), so nothing the header said is lost."""
    header = tmx.header
    if header is None:
        return
    said = {name: header.get(name) for name in HEADER_FOR_UNITS if header.get(name)}
    extras = [child for child in header if isinstance(child.tag, str) and child.tag in ("prop", "note")]
    for unit in tmx.units:
        for name, value in said.items():
            if unit.get(name) is None:
                unit.set(name, value)
        for extra in extras:
            _insert_before_variants(unit, copy.deepcopy(extra))


def build_unit(
    attributes: dict[str, str], properties: Iterable[tuple[str, str]], texts: Iterable[tuple[str, str]]
) -> etree._Element:
    """A new <tu> with attributes, <prop>s (type, value; empty values left out) and one <tuv> per (language, text)."""
    unit = etree.Element("tu", {k: v for k, v in attributes.items() if v})
    for kind, value in properties:
        if value:
            etree.SubElement(unit, "prop", {"type": kind}).text = value
    for language, text in texts:
        tuv = etree.SubElement(unit, "tuv", {XML_LANG: language})
        etree.SubElement(tuv, "seg").text = text
    etree.indent(unit, space="  ", level=2)  # plain text in its <seg>s: indenting adds no white space there
    return unit


def canonical(unit: etree._Element) -> bytes:
    """The unit as canonical XML (C14N 1.0, no comments), without the white space after it."""
    shown = copy.deepcopy(unit)
    shown.tail = None
    return etree.tostring(shown, method="c14n")


def _insert_before_variants(unit: etree._Element, element: etree._Element) -> None:
    first = unit.find("tuv")
    if first is None:
        unit.append(element)
        return
    before = first.getprevious()
    indent = before.tail if before is not None else unit.text  # the new element takes the line first had
    first.addprevious(element)
    element.tail = indent


def _remove(element: etree._Element) -> None:
    parent = element.getparent()
    previous = element.getprevious()
    if element.tail and previous is not None:
        previous.tail = element.tail
    parent.remove(element)
