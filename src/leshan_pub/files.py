"""Reading the user's input files: one place for the folder, missing, unreadable and size checks."""

from __future__ import annotations

import stat
from pathlib import Path

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
