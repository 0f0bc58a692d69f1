"""Reading the user's input files: one place for the folder, missing, unreadable and size checks."""

from __future__ import annotations

import stat
import xml.etree.ElementTree as ET
from pathlib import Path

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from .errors import LeshanPubError


def read_input(
    path: Path,
    error: type[LeshanPubError],
    what: str,
    missing: str = "check the path",
    max_bytes: int | None = None,
) -> bytes:
    """The bytes of a regular file; raise error with a one-line message naming path otherwise.

    what names the expected file for messages ("the article's text file"); missing is the
    advice given when the file does not exist. A pipe or device could block or never end,
    so only regular files are read. With max_bytes, at most max_bytes + 1 bytes are read:
    the caller sees that the file is too large and says so in its own terms.
    """
    if path.is_dir():
        raise error(f"{path} is a folder; give {what}")
    try:
        if not stat.S_ISREG(path.stat().st_mode):
            raise error(f"{path} is not a regular file; give {what}")
        with path.open("rb") as handle:
            return handle.read() if max_bytes is None else handle.read(max_bytes + 1)
    except FileNotFoundError:
        raise error(f"{path} not found; {missing}") from None
    except OSError as exc:
        raise error(f"cannot read {path}: {exc.strerror}") from None


def parse_untrusted_xml(
    data: bytes, name: str, error: type[LeshanPubError], advice: str = "", forbid_dtd: bool = False
) -> ET.Element:
    """The root element of XML from outside; error names the position of bad XML and how to mend it
    there (advice, when given, is added), and refuses entity declarations (and, with forbid_dtd, any
    DTD) so nothing is fetched or expanded. A plain <!DOCTYPE name> or one naming a DTD file is read."""
    try:
        return fromstring(data, forbid_dtd=forbid_dtd)
    except DefusedXmlException as exc:
        raise error(
            f"{name}: refused unsafe XML ({type(exc).__name__}); delete the entity declarations "
            "(the [...] part of its <!DOCTYPE> line) and write each entity's text in its place"
        ) from None
    except ET.ParseError as exc:
        line, column = exc.position
        before = data.decode("utf-8", errors="replace").split("\n")[line - 1][:column] if line else ""
        reason = str(exc).split(":")[0]
        if reason.startswith("not well-formed ("):  # expat's 'not well-formed (invalid token)'
            reason = reason.removeprefix("not well-formed (").removesuffix(")")
        fix = xml_fix(reason, before) + (f"; {advice}" if advice else "")
        raise error(f"{name} line {line} column {column}: not well-formed XML ({reason}); {fix}") from None


# What the XML parsers (expat, libxml2) say, and how a person mends it in place, keeping every edit.
_CUT_SHORT = "the file ends too early: close the elements left open, or save it again from its tool"
_FIXES = (
    (("undefined entity", "not defined"),
     "write a literal & as &amp; (XML knows only &amp; &lt; &gt; &quot; &apos;; type other characters as they are)"),
    (("xmlParseEntityRef", "EntityRef"), "write a literal & as &amp;"),
    (("StartTag: invalid element name",), "write a literal < as &lt;"),
    (("mismatched tag", "tag mismatch"), "close each element where it opened: a tag there was deleted or mistyped"),
    (("no element found", "unclosed token", "Premature end of data", "EndTag"), _CUT_SHORT),
    (("junk after document element", "Extra content at the end"), "delete what follows the file's closing tag"),
    (("duplicate attribute", "Attribute", "redefined"), "keep one of the attributes that appear twice"),
)
_IN_PLACE = "mend it there in a text editor; the rest of your edits stay as they are"


def xml_fix(reason: str, before: str) -> str:
    """How to mend, in place, the XML error reason at the point whose line reads before up to it."""
    for keys, fix in _FIXES:
        if any(key in reason for key in keys):
            return f"{fix}; {_IN_PLACE}"
    if "invalid token" in reason:
        amp, lt = before.rfind("&"), before.rfind("<")
        if amp > max(before.rfind(";"), before.rfind(">")):
            return f"write a literal & as &amp;; {_IN_PLACE}"
        if lt > before.rfind(">"):
            return f"write a literal < as &lt;; {_IN_PLACE}"
    return _IN_PLACE
