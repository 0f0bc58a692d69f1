"""TMX units as memory entries: a Unit with the <tu> it came from, written back changed only where it changed."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from .. import __version__
from ..document import ReviewState, Unit
from . import tmx

SOURCE_LANGUAGE = "zh-CN"
TARGET_LANGUAGE = "en"
_DATE = "%Y%m%dT%H%M%SZ"  # TMX 1.4b's date form
_OUR_TOOL = "leshan-pub"
_CHINESE = "zh"  # the primary language subtag of every Chinese variant (zh-CN, zh-TW, zh-Hans...)
_HUMAN_STATES = {str(state): state for state in ReviewState if state.is_human}
_OURS = ("x-state", "x-document", "x-segment-id")  # the <prop>s we keep on a unit


def now_stamp() -> str:
    """The current UTC time in TMX's form (20261201T164633Z)."""
    return datetime.now(UTC).strftime(_DATE)


@dataclass(kw_only=True)
class MemoryEntry(Unit):
    """One translation a person made: a unit (its id that of the segment it came from, "" when unknown),
    the document it came from, and when and by whom."""

    state: ReviewState = field(default=ReviewState.REVIEWED, kw_only=False)  # a memory holds people's work
    document: str = ""
    created: str = ""  # TMX dates, UTC; "" when unknown
    changed: str = ""
    who: str = ""  # "" when unknown
    # The <tu> the entry was read from, kept whole (inline codes, notes, props, tuid, languages as
    # written) and written back as read; None for an entry made here. read_as is what the entry
    # said when read, so only what changed since is written into the unit.
    tu: Any = field(default=None, compare=False, repr=False)
    read_as: tuple[str, ...] | None = field(default=None, compare=False, repr=False)
    languages: tuple[str, str] | None = field(default=None, compare=False)  # (source, target) as written
    tool: str = field(default="", compare=False)  # the tool that made it (creationtool); "" when unknown
    codes: int = field(default=0, compare=False)  # how many inline codes its English holds in the unit

    @property
    def origin(self) -> str:
        """'document/segment id', or whichever of the two is known."""
        return "/".join(p for p in (self.document, self.id) if p)


def entries_of(file: tmx.TmxFile, merged: bool = False) -> list[MemoryEntry]:
    """The entries of file's units that hold Chinese and English (the others stay in the file as written).
    merged: the units are leaving their file for another memory, so what its header said goes onto each."""
    if merged:
        tmx.adopt_header(file)
    header_tool = file.header_value("creationtool")
    entries: list[MemoryEntry] = []
    for unit in file.units:
        found, props = tmx.read_unit(unit)
        # Chinese and English, whichever srclang says (*all*, en-US for an English-to-Chinese memory).
        source = next((v for v in found if v.language.partition("-")[0].lower() == _CHINESE), None)
        target = next((v for v in found if v.language.partition("-")[0].lower() == TARGET_LANGUAGE), None)
        if source is None or target is None or not source.text.strip() or not target.text.strip():
            continue  # kept in the file all the same, as written
        # A memory holds only people's work: any other state read is reviewed.
        state = _HUMAN_STATES.get(props.get("x-state", ""), ReviewState.REVIEWED)
        entry = MemoryEntry(
            props.get("x-segment-id", ""), source.text, target.text, state, document=props.get("x-document", ""),
            created=unit.get("creationdate", ""),
            changed=unit.get("changedate", "") or unit.get("creationdate", ""),
            who=unit.get("changeid", "") or unit.get("creationid", ""),
            tu=unit, languages=(source.language, target.language),
            tool=unit.get("creationtool") or header_tool, codes=tmx.codes_in(target.seg),
        )
        entry.read_as = _snapshot(entry)
        entries.append(entry)
    return entries


def render_entries(file: tmx.TmxFile, entries: Sequence[MemoryEntry], source_language: str) -> bytes:
    """file as TMX bytes with entries written into it: the units of entries read from file updated in
    place (only what changed), then a unit for each entry new to it (made here, or merged from another
    file). When no unit read changed, the new ones are spliced in and the rest is copied byte for byte."""
    in_file = {id(unit) for unit in file.units}
    added = []
    for entry in entries:
        if entry.tu is not None and id(entry.tu) in in_file:
            continue
        if entry.tu is None:
            entry.tu, entry.read_as = _new_unit(entry, source_language), _snapshot(entry)
        else:
            _sync(entry)  # a unit merged from another file, as it came, with what changed since
        added.append(entry.tu)
    changed = [e for e in entries if id(e.tu) in in_file and e.read_as != _snapshot(e)]
    if not changed:
        spliced = tmx.splice(file, added)
        if spliced is not None:
            return spliced
    for entry in changed:
        _sync(entry)
    return tmx.render(file, added)


def english_with_codes(entry: MemoryEntry) -> str:
    """The entry's English as its unit holds it, inline codes shown ({1}…{/1}); '' when it has none."""
    if not entry.codes:
        return ""
    english = next((v for v in tmx.variants(entry.tu) if v.text == entry.target), None)
    return tmx.shown_with_codes(english.seg) if english is not None else ""


def new_memory_file(source_language: str) -> tmx.TmxFile:
    """An empty TMX 1.4 file with our header, for a memory that has none yet."""
    return tmx.new_file({
        "creationtool": _OUR_TOOL, "creationtoolversion": __version__, "segtype": "sentence",
        "o-tmf": _OUR_TOOL, "adminlang": "en", "srclang": source_language, "datatype": "plaintext",
    })


def _snapshot(entry: MemoryEntry) -> tuple[str, ...]:
    return (str(entry.state), entry.document, entry.id, entry.created, entry.changed, entry.who)


def _new_unit(entry: MemoryEntry, source_language: str) -> object:
    """A <tu> for an entry made here: our tool, a tuid from its Chinese and English, state and origin as props."""
    tuid = "lp-" + hashlib.sha1(f"{entry.source}\u0000{entry.target}".encode()).hexdigest()[:12]
    attributes = {
        "tuid": tuid, "creationtool": _OUR_TOOL, "creationtoolversion": __version__,
        "creationdate": entry.created, "changedate": entry.changed, "creationid": entry.who, "changeid": entry.who,
    }
    properties = (("x-state", str(entry.state)), ("x-document", entry.document), ("x-segment-id", entry.id))
    languages = entry.languages or (source_language, TARGET_LANGUAGE)
    return tmx.build_unit(attributes, properties, zip(languages, (entry.source, entry.target)))


def _sync(entry: MemoryEntry) -> None:
    """Write into the entry's unit what changed since it was read, and only that: the rest stays as written."""
    then, now = entry.read_as, _snapshot(entry)
    if then is None:  # made here: its unit was written from the entry
        return
    if then == now:
        return
    for kind, before, after in zip(_OURS, then[:3], now[:3]):
        if before != after:
            tmx.set_prop(entry.tu, kind, after)
    for names, before, after in ((("creationdate",), then[3], now[3]), (("changedate",), then[4], now[4]),
                                 (("changeid",), then[5], now[5])):
        if before != after:
            tmx.set_attribute(entry.tu, names[0], after)
    entry.read_as = now
