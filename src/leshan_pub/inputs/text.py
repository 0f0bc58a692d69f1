"""Plain-text articles: decoded by read.py, structure found by the text rules of structure.py."""

from __future__ import annotations

from pathlib import Path

from ..errors import InputError
from ..files import read_input
from ..read import MAX_ARTICLE_BYTES, decode_article
from ..structure import parse_structure
from . import Article

_ZIP_MAGIC = b"PK\x03\x04"


def read_text(path: Path, encoding: str | None = None) -> Article:
    """A .txt article; a Word file renamed .txt is refused with the fix rather than read as bytes."""
    data = read_input(path, InputError, "the article's text file", max_bytes=MAX_ARTICLE_BYTES)
    if data.startswith(_ZIP_MAGIC):
        raise InputError(f"{path} is a zip file (a Word .docx?), not text; if it is a Word article, name it .docx")
    notes: list[str] = []
    text = decode_article(data, name=str(path), encoding=encoding, notes=notes)
    return Article(parse_structure(text), skipped=notes)
