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
    data: bytes, name: str, error: type[LeshanPubError], advice: str, forbid_dtd: bool = True
) -> ET.Element:
    """The root element of XML from outside; error names the position of bad XML, and refuses
    entities (and, with forbid_dtd, any DTD) so nothing is fetched or expanded."""
    try:
        return fromstring(data, forbid_dtd=forbid_dtd)
    except DefusedXmlException as exc:
        raise error(f"{name}: refused unsafe XML ({type(exc).__name__}); remove DTDs and entities") from None
    except ET.ParseError as exc:
        line, column = exc.position
        raise error(f"{name} line {line} column {column}: not well-formed XML; {advice}") from None
