"""Source articles in every supported format: the registry of readers and `read_source`."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..document import IMAGE_PLACEHOLDER, Block  # noqa: F401 - the readers take the placeholder from here
from ..errors import InputError

# suffix -> "module:function"; a reader is imported only for its own format, so reading a text
# article never imports python-docx or markdown-it.
READERS: dict[str, str] = {
    ".txt": "leshan_pub.inputs.text:read_text",
    ".md": "leshan_pub.inputs.markdown:read_markdown",
    ".markdown": "leshan_pub.inputs.markdown:read_markdown",
    ".docx": "leshan_pub.inputs.docx:read_docx",
}
# Formats people try that have a supported form, and how to get it.
_ADVICE = {
    ".doc": "save it from Word as .docx",
    ".rtf": "save it from Word as .docx",
    ".odt": "save it as .docx",
    ".wps": "save it as .docx",
    ".pdf": "copy its text into a .txt file",
    ".html": "save it as .txt or convert it to .md",
    ".htm": "save it as .txt or convert it to .md",
}


@dataclass
class Article:
    """A source article as blocks with roles, and what its reader could not carry (one line each).

    skipped is empty when everything in the file became a block; otherwise each line names the
    content (a text box, a header, an image's picture) and where it was, so nothing is lost unseen.
    """

    blocks: list[Block]
    skipped: list[str] = field(default_factory=list)


Reader = Callable[[Path, "str | None"], Article]


def supported_suffixes() -> tuple[str, ...]:
    """The file name endings read_source accepts."""
    return tuple(READERS)


def reader_for(path: Path) -> Reader:
    """The reader for path's format; InputError listing the supported formats for any other."""
    suffix = path.suffix.lower()
    if suffix not in READERS:
        shown = f"'{suffix}'" if suffix else "no suffix"
        advice = f"; {_ADVICE[suffix]}" if suffix in _ADVICE else ""
        raise InputError(
            f"{path}: articles in {shown} are not supported; give one of {', '.join(READERS)}{advice}"
        )
    module, _, function = READERS[suffix].partition(":")
    return getattr(importlib.import_module(module), function)


def read_source(path: Path, encoding: str | None = None) -> Article:
    """The article at path as blocks with roles, by its suffix (.txt, .md, .markdown, .docx).

    encoding applies to text formats; a Word file carries its own. Raise InputError for an
    unsupported format, a missing or unreadable file, or content that is no article.
    """
    return reader_for(path)(path, encoding)
