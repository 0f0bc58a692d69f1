"""Locks that keep two leshan-pub runs from updating the same segment file at once."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import SoftFileLock, Timeout

from .errors import SegmentFileError

# Long enough for another run's read-check-write of a segment file; a run that translates
# while holding the lock takes longer, and the second run is told so instead of waiting on.
DEFAULT_TIMEOUT = 30.0
LOCK_SUFFIX = ".lock"

# One lock object per lock file in this process: it counts nested acquisitions per thread, so
# write_segment_file inside a locked update does not wait on its own caller.
_locks: dict[Path, SoftFileLock] = {}
_locks_guard = threading.Lock()


def lock_path_for(path: Path) -> Path:
    """The lock file of a segment file: '<segment file>.lock' beside it."""
    return path.with_name(path.name + LOCK_SUFFIX)


def _lock_for(path: Path) -> SoftFileLock:
    key = lock_path_for(path.absolute())
    with _locks_guard:
        if key not in _locks:
            _locks[key] = SoftFileLock(key)
        return _locks[key]


@contextmanager
def segment_file_lock(path: Path, timeout: float = DEFAULT_TIMEOUT) -> Iterator[None]:
    """Hold the segment file's lock for the block; raise SegmentFileError when another run holds it past timeout.

    The lock is the file '<segment file>.lock' itself, created exclusively and removed on
    release (Ctrl-C included), so nothing is left beside the segment file. One left by a killed
    run names its process; filelock takes it over once that process is gone from this machine
    (older filelock releases wait, and the message says which file to remove). Nested use in
    one thread is allowed.
    """
    lock = _lock_for(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        lock.acquire(timeout=timeout)
    except Timeout:
        raise SegmentFileError(
            f"another leshan-pub is writing {path}; wait for it or remove {lock_path_for(path)} "
            "if no other run is active"
        ) from None
    try:
        yield
    finally:
        lock.release()
