"""Bytes to text: encodings, byte-order marks, line ends, and refusal of what is not an article."""

from __future__ import annotations

import codecs
import re
from pathlib import Path

from .errors import InputError

# C0/C1 controls other than tab and newline are debris from copy-paste; the author's text is kept.
_STRAY_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


def decode_article(data: bytes, name: str = "article", encoding: str | None = None) -> str:
    """Decode article bytes to text with LF line ends; raise InputError when the bytes are no article.

    Without an explicit encoding: a BOM decides, else UTF-8 must decode strictly.
    """
    if not data.strip():
        raise InputError(f"{name} is empty; give a Chinese article as a text file")
    if encoding is None:
        encoding = next((enc for bom, enc in _BOMS if data.startswith(bom)), None)
        if encoding is None and b"\x00" in data:
            raise InputError(f"{name} looks binary (it holds NUL bytes); give a plain-text article")
    try:
        text = data.decode(encoding or "utf-8")
    except LookupError:
        raise InputError(f"unknown encoding '{encoding}'; use a Python codec name such as gb18030 or big5") from None
    except UnicodeDecodeError as exc:
        hint = "pass --encoding gb18030 (or big5) if it came from an older Windows machine"
        raise InputError(f"{name} byte {exc.start}: not valid {encoding or 'UTF-8'}; {hint}") from None
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    text = _STRAY_CONTROLS.sub("", text)
    if not text.strip():
        raise InputError(f"{name} holds only white space; give a Chinese article as a text file")
    return text


def read_article(path: Path, encoding: str | None = None) -> str:
    """Read an article file; raise InputError for a missing file, a folder, or undecodable bytes."""
    if path.is_dir():
        raise InputError(f"{path} is a folder; give the article's text file")
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{path} not found; check the path") from None
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from None
    return decode_article(data, name=str(path), encoding=encoding)
