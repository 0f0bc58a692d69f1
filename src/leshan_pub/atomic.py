"""Atomic file writes: a temporary file in the same folder, fsync'd, then renamed into place."""

from __future__ import annotations

import contextlib
import errno
import glob
import os
import secrets
import stat
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from .errors import WriteError

# A temporary file this old was left by a run that was killed (SIGKILL, power loss): no live
# write takes an hour, so the next write to the same target removes it.
STALE_TEMP_SECONDS = 60 * 60
_TOKEN_BYTES = 4  # '.NAME.<8 hex digits>.tmp', the names publish gives its temporary files too


def temp_name_pattern(path: Path) -> str:
    """The glob that matches the temporary files of writes to path ('.NAME.*.tmp', hidden and beside it)."""
    return f"{glob.escape('.' + path.name)}.*.tmp"


def is_temp_of(candidate: Path, path: Path) -> bool:
    """True when candidate is a temporary file of a write to path: '.NAME.<8 hex digits>.tmp' beside it."""
    prefix, suffix = f".{path.name}.", ".tmp"
    name = candidate.name
    token = name[len(prefix) : -len(suffix)]
    return (
        candidate.parent == path.parent
        and name.startswith(prefix)
        and name.endswith(suffix)
        and len(token) == _TOKEN_BYTES * 2
        and all(c in "0123456789abcdef" for c in token)
    )


# Why a write failed, in the user's words, and what to do; by errno.
_WHY = {
    errno.ENOSPC: ("the disk is full", "free some space and run the command again"),
    errno.EDQUOT: ("the disk quota is used up", "free some space and run the command again"),
    errno.EROFS: ("the file system is read-only", "write to a folder on a writable disk"),
    errno.EACCES: ("permission denied", "make the file and its folder writable for you (ls -ld shows who may write)"),
    errno.EPERM: ("permission denied", "make the file and its folder writable for you (ls -ld shows who may write)"),
}


def write_failed(path: Path, exc: OSError) -> WriteError:
    """A WriteError naming path and why the write failed (disk full, read-only, permission), with the fix."""
    why, fix = _WHY.get(exc.errno or 0, (exc.strerror or str(exc), "fix that and run the command again"))
    kept = "it is left as it was" if path.exists() else "nothing was written"
    error = WriteError(f"cannot write {path}: {why}; {kept}; {fix}")
    error.errno = exc.errno
    return error


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Write data to path so that a crash leaves either the old file or the new one, never a part.

    The new file keeps the old one's permission bits (a new file gets the umask's); temporary
    files of earlier writes to path that a killed run left behind are removed once stale. A failed
    write (disk full, read-only, no permission) raises WriteError naming path and the reason, with
    the old file whole and no temporary file left.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        remove_stale_temps(path)
        fd, tmp = _create_temp(path)
    except OSError as exc:
        raise write_failed(path, exc) from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise write_failed(path, exc) from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_folder(path.parent)


def write_files_atomic(targets: Sequence[Path], writers: Sequence[Callable[[Path], None]]) -> None:
    """Have each writer write its target to a temporary file beside it (a writer that only takes a
    path: reportlab, python-docx); once every one has, rename them all into place. An error or a
    crash before the renames leaves every target as it was."""
    current = targets[0] if targets else Path()
    temps: list[Path] = []
    try:
        for target in targets:
            current = target
            target.parent.mkdir(parents=True, exist_ok=True)
            remove_stale_temps(target)  # left by a run killed mid-write
        for write, target in zip(writers, targets):
            current = target
            fd, tmp = _create_temp(target)
            os.close(fd)
            temps.append(tmp)
            write(tmp)
            with tmp.open("rb") as handle:  # on disk before it replaces a good file
                os.fsync(handle.fileno())
        for tmp, target in zip(temps, targets):
            current = target
            os.replace(tmp, target)
    except OSError as exc:
        raise write_failed(current, exc) from None
    finally:
        for tmp in temps:
            tmp.unlink(missing_ok=True)
    for folder in dict.fromkeys(target.parent for target in targets):
        _fsync_folder(folder)


def remove_stale_temps(path: Path, older_than: float = STALE_TEMP_SECONDS) -> list[Path]:
    """Remove temporary files of writes to path older than older_than seconds; return those removed."""
    removed: list[Path] = []
    cutoff = time.time() - older_than
    for temp in path.parent.glob(temp_name_pattern(path)):
        if not is_temp_of(temp, path):
            continue
        try:
            info = temp.lstat()
            if stat.S_ISREG(info.st_mode) and info.st_mtime < cutoff:
                temp.unlink()
                removed.append(temp)
        except FileNotFoundError:
            continue  # another run removed or renamed it first
    return removed


def _create_temp(path: Path) -> tuple[int, Path]:
    """A new temporary file beside path, open for writing, with the permissions path has or would get."""
    try:
        mode: int | None = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        mode = None  # 0o666 less the umask, as any file the user saves (mkstemp's 0o600 would hide it)
    while True:
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(_TOKEN_BYTES)}.tmp")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
        except FileExistsError:
            continue
        if mode is not None:
            os.chmod(tmp, mode)
        return fd, tmp


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable; folders cannot be opened for this on Windows."""
    if os.name != "posix":
        return
    # The new file is in place either way; some file systems refuse to sync a folder.
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
