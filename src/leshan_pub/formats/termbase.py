"""Terminology exchange: TBX-Basic export and import, and glossary files read or written by suffix."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from pathlib import Path

from ..atomic import write_bytes_atomic
from ..errors import GlossaryError
from ..files import parse_untrusted_xml, read_input
from ..glossary import LIST_SEPARATOR, Glossary, Term, check_terms, load_glossary, save_glossary

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
SOURCE_LANGUAGE = "zh"
TARGET_LANGUAGE = "en"
PREFERRED = "preferredTerm-admn-sts"
ADMITTED = "admittedTerm-admn-sts"
DEPRECATED = "deprecatedTerm-admn-sts"

# administrativeStatus values (TBX-Basic's four, full TBX's others, translate-toolkit's short forms)
# by what they make of a term: the approved English, a variant, or a forbidden rendering.
_STATUS = {
    "preferred": PREFERRED, "standardized": PREFERRED, "legal": PREFERRED, "regulated": PREFERRED,
    "admitted": ADMITTED,
    "deprecated": DEPRECATED, "superseded": DEPRECATED, "notrecommended": DEPRECATED, "obsolete": DEPRECATED,
}
_ENTRY_TAGS = ("termEntry", "conceptEntry")  # TBX 2 (martif) and TBX 3
_LANGUAGE_TAGS = ("langSet", "langSec")
_TERM_TAGS = ("tig", "ntig", "termSec")
PROPER_NOUN = "properNoun"


# --- export --------------------------------------------------------------------------------------


def _tig(parent: ET.Element, text: str, status: str, proper: bool = False) -> None:
    tig = ET.SubElement(parent, "tig")
    ET.SubElement(tig, "term").text = text
    note = ET.SubElement(tig, "termNote", type="administrativeStatus")
    note.text = status
    if proper:  # TBX-Basic's part of speech for a name: how an invariable entry travels
        ET.SubElement(tig, "termNote", type="partOfSpeech").text = PROPER_NOUN


def export_tbx(glossary: Glossary | Sequence[Term]) -> bytes:
    """The glossary as a TBX-Basic file (UTF-8), one termEntry per entry, in glossary order.

    Chinese (xml:lang="zh"): the source as preferred term, source variants as admitted terms.
    English (xml:lang="en"): the target as preferred term, variants admitted, forbidden renderings
    deprecated. The note becomes the entry's <note>. An invariable entry's English is a properNoun
    (termNote partOfSpeech), which import reads back as invariable. Entry ids are c1, c2 ... in order.
    """
    terms = glossary.terms if isinstance(glossary, Glossary) else list(glossary)
    name = glossary.path.name if isinstance(glossary, Glossary) and glossary.path else "glossary"
    root = ET.Element("martif", {"type": "TBX-Basic", XML_LANG: SOURCE_LANGUAGE})
    header = ET.SubElement(root, "martifHeader")
    ET.SubElement(ET.SubElement(ET.SubElement(header, "fileDesc"), "sourceDesc"), "p").text = (
        f"leshan-pub glossary {name}"
    )
    ET.SubElement(ET.SubElement(header, "encodingDesc"), "p", type="XCSURI").text = "TBXBasicXCSV02.xcs"
    body = ET.SubElement(ET.SubElement(root, "text"), "body")
    for number, term in enumerate(terms, 1):
        entry = ET.SubElement(body, "termEntry", id=f"c{number}")
        if term.note:
            ET.SubElement(entry, "note").text = term.note
        chinese = ET.SubElement(entry, "langSet", {XML_LANG: SOURCE_LANGUAGE})
        _tig(chinese, term.source, PREFERRED)
        for variant in term.source_variants:
            _tig(chinese, variant, ADMITTED)
        english = ET.SubElement(entry, "langSet", {XML_LANG: TARGET_LANGUAGE})
        _tig(english, term.target, PREFERRED, proper=term.invariable)
        for variant in term.target_variants:
            _tig(english, variant, ADMITTED)
        for rendering in term.forbidden:
            _tig(english, rendering, DEPRECATED)
    ET.indent(root)
    return ET.tostring(root, encoding="UTF-8", xml_declaration=True) + b"\n"


# --- import --------------------------------------------------------------------------------------


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _children(element: ET.Element, names: tuple[str, ...]) -> list[ET.Element]:
    return [child for child in element if _local(child.tag) in names]


def _parse(data: bytes, name: str) -> ET.Element:
    # translate-toolkit writes a DOCTYPE into TBX; entities stay refused.
    root = parse_untrusted_xml(data, name, GlossaryError)
    if _local(root.tag) not in ("martif", "tbx"):
        raise GlossaryError(f"{name}: root element <{_local(root.tag)}> is not TBX (<martif> or <tbx>); give a TBX file")
    return root


class _EntryReader:
    """Reads one termEntry into a Term; every problem names the entry."""

    def __init__(self, entry: ET.Element, name: str, place: str) -> None:
        self.entry = entry
        self.where = f"{name} {place}"

    def fail(self, message: str) -> GlossaryError:
        return GlossaryError(f"{self.where}: {message}")

    def status(self, container: ET.Element, text: str) -> str | None:
        for note in container.iter():
            if _local(note.tag) == "termNote" and note.get("type") == "administrativeStatus":
                value = (note.text or "").strip()
                key = value.lower().replace("-admn-sts", "").replace("admnsts", "").removesuffix("term")
                if key not in _STATUS:
                    raise self.fail(
                        f"administrativeStatus '{value}' of '{text}' is not one of {PREFERRED}, {ADMITTED}, "
                        f"{DEPRECATED}, supersededTerm-admn-sts; correct it"
                    )
                return _STATUS[key]
        return None

    def terms(self, language: str) -> list[tuple[str, str | None]]:
        """(text, status) of every term in the entry's language sets for language (zh, zh-TW ...)."""
        found: list[tuple[str, str | None]] = []
        for langset in _children(self.entry, _LANGUAGE_TAGS):
            lang = (langset.get(XML_LANG) or langset.get("lang") or "").replace("_", "-")
            if lang.split("-")[0].lower() != language:
                continue
            for container in _children(langset, _TERM_TAGS):
                element = next((e for e in container.iter() if _local(e.tag) == "term"), None)
                text = " ".join("".join(element.itertext()).split()) if element is not None else ""
                if not text:
                    raise self.fail(f"an empty <term> in the {lang} language set; fill it or delete it")
                if LIST_SEPARATOR in text:
                    raise self.fail(
                        f"'{text}' holds '{LIST_SEPARATOR}', which glossary files use between variants; remove it"
                    )
                found.append((text, self.status(container, text)))
        return found

    def term(self) -> Term:
        chinese = [(t, s) for t, s in self.terms(SOURCE_LANGUAGE) if s != DEPRECATED]  # old Chinese need not match
        english = self.terms(TARGET_LANGUAGE)
        usable = [(t, s) for t, s in english if s != DEPRECATED]
        if not chinese:
            raise self.fail(f'no Chinese term (langSet xml:lang="{SOURCE_LANGUAGE}"); add one or delete the entry')
        if not usable:
            raise self.fail(f'no English term (langSet xml:lang="{TARGET_LANGUAGE}") that is not deprecated; add one')
        source = next((t for t, s in chinese if s == PREFERRED), chinese[0][0])
        target = next((t for t, s in usable if s == PREFERRED), usable[0][0])
        notes = [
            (e.text or "").strip()
            for e in self.entry.iter()
            if _local(e.tag) == "note" or (_local(e.tag) == "descrip" and e.get("type") == "definition")
        ]
        return Term(
            source=source,
            target=target,
            target_variants=tuple(dict.fromkeys(t for t, _ in usable if t != target)),
            forbidden=tuple(dict.fromkeys(t for t, s in english if s == DEPRECATED)),
            note=" ".join(dict.fromkeys(n for n in notes if n)),
            source_variants=tuple(dict.fromkeys(t for t, _ in chinese if t != source)),
            invariable=self.proper(),
        )

    def proper(self) -> bool:
        """True when an English term of the entry is marked a proper noun (termNote partOfSpeech)."""
        return any(
            _local(note.tag) == "termNote" and note.get("type") == "partOfSpeech"
            and (note.text or "").strip() == PROPER_NOUN
            for langset in _children(self.entry, _LANGUAGE_TAGS)
            if (langset.get(XML_LANG) or langset.get("lang") or "").split("-")[0].lower() == TARGET_LANGUAGE
            for note in langset.iter()
        )


def import_tbx(data: bytes, name: str = "TBX") -> list[Term]:
    """The entries of a TBX file (TBX-Basic, or TBX 3 with conceptEntry) as Terms, in file order.

    Chinese comes from language sets zh, zh-CN, zh-TW ... (the preferred term is the source, the
    others source variants); English from en, en-GB ... (preferred: target, admitted or unmarked:
    variants, deprecated or superseded: forbidden). Notes and definitions become the note; line is 0.
    Raises GlossaryError naming the termEntry at fault, and refuses DTD entities and external
    references (defusedxml).
    """
    root = _parse(data, name)
    entries = [element for element in root.iter() if _local(element.tag) in _ENTRY_TAGS]
    if not entries:
        raise GlossaryError(f"{name} has no <termEntry>; nothing to import")
    places = [
        f"termEntry '{entry.get('id')}'" if entry.get("id") else f"termEntry #{number}"
        for number, entry in enumerate(entries, 1)
    ]
    terms = [_EntryReader(entry, name, place).term() for entry, place in zip(entries, places)]
    errors = [(index, message) for index, message, warning in check_terms(terms, places) if not warning]
    if errors:
        index, message = min(errors)
        raise GlossaryError(f"{name} {places[index]}: {message}")
    return terms


# --- files by suffix -----------------------------------------------------------------------------


def _read_tbx(path: Path) -> list[Term]:
    return import_tbx(read_input(path, GlossaryError, "a TBX file"), str(path))


def _write_tbx(glossary: Glossary | Sequence[Term], path: Path) -> None:
    write_bytes_atomic(path, export_tbx(glossary))


def _read_table(path: Path) -> list[Term]:
    return load_glossary(path).terms


def _write_table(glossary: Glossary | Sequence[Term], path: Path) -> None:
    save_glossary(glossary, path)


# suffix -> (reader, writer); the one place a terminology format is registered.
FORMATS: dict[str, tuple[Callable[[Path], list[Term]], Callable[[Glossary | Sequence[Term], Path], None]]] = {
    ".tsv": (_read_table, _write_table),
    ".csv": (_read_table, _write_table),
    ".tbx": (_read_tbx, _write_tbx),
}


def _format(path: Path) -> tuple[Callable[[Path], list[Term]], Callable[[Glossary | Sequence[Term], Path], None]]:
    try:
        return FORMATS[path.suffix.lower()]
    except KeyError:
        raise GlossaryError(
            f"{path}: unknown terminology format '{path.suffix}'; use one of {', '.join(FORMATS)}"
        ) from None


def read_terms(path: Path) -> list[Term]:
    """The entries of a terminology file (.tsv, .csv or .tbx, by suffix); GlossaryError on any error."""
    return _format(path)[0](path)


def write_terms(glossary: Glossary | Sequence[Term], path: Path) -> None:
    """Write the entries to path as .tsv, .csv or .tbx (by suffix), atomically; validated first for TSV/CSV."""
    _format(path)[1](glossary, path)
