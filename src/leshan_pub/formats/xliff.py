"""XLIFF 1.2 trans-units read and written alike for the segment file and for CAT tools' files: review
states, inline emphasis, notes and memory matches."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from ..document import Emphasis, Mark, Match, ReviewState, Unit
from ..emphasis import marks_of_runs, styled_runs
from ..errors import SegmentFileError

XLIFF_NS = "urn:oasis:names:tc:xliff:document:1.2"
LP_NS = "urn:leshan-pub:segment-file:1"
XLIFF = f"{{{XLIFF_NS}}}"  # the namespace as ElementTree spells it in a tag
LP = f"{{{LP_NS}}}"
# A reviewer's comment is an XLIFF note from="reviewer"; how each term went in is also written as a
# note from="leshan-pub-terms" (what a CAT tool shows), rebuilt on every write from the <lp:term>s.
REVIEWER_NOTE = "reviewer"
TERMS_NOTE = "leshan-pub-terms"
# translate-toolkit writes a file-qualified id ('demo.zh.txt' + U+0004 + 's2') with this in place of U+0004.
_TT_ID_SEPARATOR = "__%04__"

# Our review states and XLIFF 1.2's state attribute: written one to one, read generously,
# since CAT tools write the other XLIFF states too.
STATE_OUT = {
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


def unit_id_of(unit: ET.Element) -> str:
    """The trans-unit's id, without the file name translate-toolkit puts before it; '' when it has none."""
    return unit.get("id", "").rpartition(_TT_ID_SEPARATOR)[2]


def set_marked(element: ET.Element, text: str, marks: tuple[Mark, ...]) -> None:
    """Fill element with text, emphasis as XLIFF 1.2 inline <g ctype="bold|italic"> (what CAT tools show as tags)."""
    element.text = ""
    last: ET.Element | None = None
    for number, (piece, styles) in enumerate(styled_runs(text, marks), start=1):
        if not styles:
            if last is None:
                element.text = (element.text or "") + piece
            else:
                last.tail = (last.tail or "") + piece
            continue
        outer = inner = None
        for depth, style in enumerate(sorted(styles)):
            g = ET.Element(f"{XLIFF}g", {"id": f"{number}" if not depth else f"{number}.{depth}", "ctype": str(style)})
            if inner is None:
                outer = g
            else:
                inner.append(g)
            inner = g
        assert outer is not None and inner is not None
        inner.text = piece
        element.append(outer)
        last = outer


def marked_text(element: ET.Element) -> tuple[str, tuple[Mark, ...]]:
    """The text of a <source> or <target> and its emphasis, from <g ctype="bold|italic"> inline tags.

    Text inside <g> and <mrk> is text; other inline elements (<x/>, <ph>, <bpt>...) hold native
    codes, not words, and are left out.
    """
    runs: list[tuple[str, frozenset[Emphasis]]] = []

    def walk(node: ET.Element, styles: frozenset[Emphasis]) -> None:
        if node.text:
            runs.append((node.text, styles))
        for child in node:
            local = child.tag.rpartition("}")[2]
            if local in ("g", "mrk"):
                ctype = child.get("ctype", "").removeprefix("x-")
                walk(child, styles | {Emphasis(ctype)} if ctype in set(Emphasis) else styles)
            if child.tail:
                runs.append((child.tail, styles))

    walk(element, frozenset())
    return marks_of_runs(runs)


def review_state(state_name: str | None, approved: str | None, has_text: bool) -> ReviewState | None:
    """The one approval rule, for segment files and imports alike; None for a state XLIFF 1.2 lacks.

    The state attribute decides: approved="yes" beside state="translated" is a CAT tool confirming a
    segment, not a reviewer's sign-off, so it stays reviewed; approved="no" takes sign-off back.
    Without a state attribute, approved="yes" is the only word on review: approved; any other
    English counts as reviewed, and no English as new.
    """
    if state_name is None:
        if not has_text:
            return ReviewState.NEW
        return ReviewState.APPROVED if approved == "yes" else ReviewState.REVIEWED
    state = STATES_FROM_XLIFF.get(state_name)
    if state is ReviewState.APPROVED and approved == "no":
        return ReviewState.REVIEWED
    return state


def read_unit(unit: ET.Element, ns: str, number: int) -> Unit:
    """The trans-unit as a Unit, from our segment file or a CAT tool's XLIFF: the one reading of both.

    ns is the XLIFF namespace ('{urn:...}' or ''); number names a unit without an id. Raise
    SegmentFileError naming the unit when it lacks an id or a source, has a state XLIFF 1.2 lacks,
    or is translated with an empty target. Unknown attributes and elements are ignored.
    """
    unit_id = unit_id_of(unit)
    if not unit_id:
        raise SegmentFileError(f"trans-unit {number}: no id; keep the exported ids as they are")
    source = unit.find(f"{ns}source")
    source_text, source_marks = marked_text(source) if source is not None else ("", ())
    if not source_text.strip():
        raise SegmentFileError(f"trans-unit {unit_id!r}: no source text; keep the exported source")
    target = unit.find(f"{ns}target")
    text, target_marks = marked_text(target) if target is not None else ("", ())
    state_name = target.get("state") if target is not None else None
    state = review_state(state_name, unit.get("approved"), bool(text))
    if state is None:
        raise SegmentFileError(
            f"trans-unit {unit_id!r}: state {state_name!r} is not one of {', '.join(sorted(STATES_FROM_XLIFF))}"
        )
    if state is not ReviewState.NEW and not text.strip():
        raise SegmentFileError(
            f"trans-unit {unit_id!r}: state {state} needs English but its target is empty; "
            "add the English or set the state to new"
        )
    notes, comments = [], []
    for note in unit.iterfind(f"{ns}note"):
        author = note.get("from")
        if author == TERMS_NOTE:
            continue  # written anew from the <lp:term> records
        (comments if author == REVIEWER_NOTE else notes).append(note.text or "")
    matches = [read_match(alt, ns, source_text) for alt in unit.iterfind(f"{ns}alt-trans")]
    return Unit(
        unit_id, source_text, text, state, notes, [m for m in matches if m is not None],
        source_marks=source_marks, target_marks=target_marks, comments=comments,
    )


def read_match(alt: ET.Element, ns: str, source: str) -> Match | None:
    """An <alt-trans> (or our <lp:draft>) as a memory match; None when it has no English. A missing
    <source> is the unit's own source; match-quality '87', '87%' or '87.4' reads as 87."""
    target = alt.find(f"{ns}target")
    if target is None or not "".join(target.itertext()).strip():
        return None
    alt_source = alt.find(f"{ns}source")
    quality = alt.get("match-quality", "").strip().rstrip("%")
    try:
        score = max(0, min(100, round(float(quality))))
    except ValueError:
        score = 0
    return Match(
        "".join(alt_source.itertext()) if alt_source is not None else source,
        "".join(target.itertext()), score, alt.get("origin", ""),
    )
