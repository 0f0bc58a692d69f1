"""Atomic writes: old or new file after any crash, ordinary permissions, stale temporary files removed."""

import errno
import hashlib
import os
import random
import signal
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from leshan_pub import atomic
from leshan_pub.atomic import (
    STALE_TEMP_SECONDS,
    remove_stale_temps,
    temp_name_pattern,
    write_bytes_atomic,
    write_files_atomic,
)
from leshan_pub.errors import WriteError


def temps(path: Path) -> list[Path]:
    return sorted(path.parent.glob(temp_name_pattern(path)))


def test_write_replaces_the_file_and_leaves_no_temporary_file(tmp_path):
    target = tmp_path / "out" / "demo.zh-en.xlf"
    write_bytes_atomic(target, b"old")
    write_bytes_atomic(target, b"new")
    assert target.read_bytes() == b"new"
    assert [p.name for p in target.parent.iterdir()] == ["demo.zh-en.xlf"]


def test_new_file_gets_ordinary_permissions_and_an_old_one_keeps_its_own(tmp_path):
    fresh = tmp_path / "fresh.txt"
    write_bytes_atomic(fresh, b"x")
    umask = os.umask(0o022)
    os.umask(umask)
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o666 & ~umask
    kept = tmp_path / "kept.txt"
    kept.write_bytes(b"x")
    kept.chmod(0o640)
    write_bytes_atomic(kept, b"y")
    assert stat.S_IMODE(kept.stat().st_mode) == 0o640


class _InterruptedFile:
    """A file whose write stops half-way with Ctrl-C."""

    def __init__(self, handle):
        self.handle = handle

    def write(self, data: bytes) -> int:
        self.handle.write(data[: len(data) // 2])
        raise KeyboardInterrupt

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return self.handle.__exit__(*exc)


def test_ctrl_c_mid_write_keeps_the_old_file_and_removes_the_temporary_one(tmp_path, monkeypatch):
    target = tmp_path / "glossary.tsv"
    target.write_bytes(b"source\ttarget\n")
    real_fdopen = os.fdopen
    monkeypatch.setattr(atomic.os, "fdopen", lambda fd, mode: _InterruptedFile(real_fdopen(fd, mode)))
    with pytest.raises(KeyboardInterrupt):
        write_bytes_atomic(target, b"x" * 100_000)
    assert target.read_bytes() == b"source\ttarget\n"
    assert temps(target) == []


def test_stale_temporary_files_of_the_target_are_removed_at_the_next_write(tmp_path):
    target = tmp_path / "demo.zh-en.xlf"
    stale = tmp_path / ".demo.zh-en.xlf.0badf00d.tmp"
    fresh = tmp_path / ".demo.zh-en.xlf.1234abcd.tmp"  # maybe a live run's: left alone
    other = tmp_path / ".other.xlf.0badf00d.tmp"  # another target's: left alone
    for path in (stale, fresh, other):
        path.write_bytes(b"partial")
    hours_ago = time.time() - STALE_TEMP_SECONDS - 60
    os.utime(stale, (hours_ago, hours_ago))
    os.utime(other, (hours_ago, hours_ago))
    write_bytes_atomic(target, b"new")
    assert not stale.exists() and fresh.exists() and other.exists()
    assert remove_stale_temps(target, older_than=0) == [fresh]


# --- kill -9 at random moments ------------------------------------------------------------------

VERSION_BYTES = 4 * 1024 * 1024


def version(n: int) -> bytes:
    """Version n of the file: a header, 4 MiB of body, and a trailer with the body's hash."""
    body = bytes([n % 251]) * VERSION_BYTES
    return b"version %d\n" % n + body + b"\nsha256 " + hashlib.sha256(body).hexdigest().encode() + b"\n"


WRITER = textwrap.dedent(
    """
    import os, sys, time
    sys.path.insert(0, {tests!r})
    from leshan_pub import atomic
    from test_atomic import version

    real_fdopen = os.fdopen

    class Slow:
        # Writes in 64 KiB pieces with pauses, so a kill lands inside the write as often as around it.
        def __init__(self, handle):
            self.handle = handle
        def write(self, data):
            for start in range(0, len(data), 65536):
                self.handle.write(data[start : start + 65536])
                time.sleep(0.0003)
        def __getattr__(self, name):
            return getattr(self.handle, name)
        def __enter__(self):
            return self
        def __exit__(self, *exc):
            return self.handle.__exit__(*exc)

    atomic.os.fdopen = lambda fd, mode: Slow(real_fdopen(fd, mode))
    target, first = sys.argv[1], int(sys.argv[2])
    print("ready", flush=True)
    n = first
    while True:
        atomic.write_bytes_atomic(atomic.Path(target), version(n))
        n += 1
    """
)


def test_kill_at_any_moment_leaves_the_old_or_a_new_complete_file(tmp_path):
    target = tmp_path / "demo.zh-en.xlf"
    write_bytes_atomic(target, version(0))
    script = tmp_path / "writer.py"
    script.write_text(WRITER.format(tests=str(Path(__file__).parent)), encoding="utf-8")
    rng = random.Random(20241122)
    seen: list[int] = []
    kills = 25
    for kill in range(kills):
        before = int(target.read_bytes().split(b"\n", 1)[0].split()[1])
        child = subprocess.Popen([sys.executable, str(script), str(target), str(before + 1)], stdout=subprocess.PIPE)
        assert child.stdout.readline() == b"ready\n"
        # Every other kill comes at once, before the first rename can have happened.
        time.sleep(rng.uniform(0, 0.25) if kill % 2 else rng.uniform(0, 0.005))
        child.send_signal(signal.SIGKILL)
        child.wait()
        child.stdout.close()
        data = target.read_bytes()
        n = int(data.split(b"\n", 1)[0].split()[1])
        assert data == version(n), f"kill {kill}: the file is not a complete version"
        assert n >= before
        seen.append(n - before)
    left = temps(target)
    print(f"\n{kills} kills: {seen.count(0)} left the old file, {kills - seen.count(0)} a new complete one "
          f"(up to {max(seen)} writes later); {len(left)} temporary files left behind")
    assert 0 < seen.count(0) < kills, "the kills should land both before and after a rename"
    # A later write removes what the killed writers left once it is stale; until then it is ignored.
    hours_ago = time.time() - STALE_TEMP_SECONDS - 60
    for temp in left:
        os.utime(temp, (hours_ago, hours_ago))
    write_bytes_atomic(target, version(999))
    assert temps(target) == []
    assert target.read_bytes() == version(999)


def test_files_written_together_all_land_or_none_does(tmp_path):
    pdf, docx = tmp_path / "a.pdf", tmp_path / "a.docx"
    pdf.write_bytes(b"old pdf")
    docx.write_bytes(b"old docx")
    os.chmod(docx, 0o640)

    def broken(path: Path) -> None:
        path.write_bytes(b"half")
        raise RuntimeError("the DOCX writer failed")

    with pytest.raises(RuntimeError):
        write_files_atomic([pdf, docx], [lambda path: path.write_bytes(b"new pdf"), broken])
    assert (pdf.read_bytes(), docx.read_bytes()) == (b"old pdf", b"old docx")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.docx", "a.pdf"]  # no temporary file left

    write_files_atomic([pdf, docx], [lambda path: path.write_bytes(b"new pdf"), lambda path: path.write_bytes(b"new docx")])
    assert (pdf.read_bytes(), docx.read_bytes()) == (b"new pdf", b"new docx")
    assert stat.S_IMODE(docx.stat().st_mode) == 0o640  # a writer that opens the path keeps the old file's bits
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.docx", "a.pdf"]


# --- a write that fails: which file, why, and the old file whole (issue 27) ---------------------------


@pytest.mark.parametrize(
    "where, code, said",
    [
        ("write", errno.ENOSPC, "the disk is full; it is left as it was; free some space"),
        ("fsync", errno.ENOSPC, "the disk is full; it is left as it was; free some space"),
        ("fsync", errno.EDQUOT, "the disk quota is used up"),
        ("open", errno.EROFS, "the file system is read-only; it is left as it was"),
        ("open", errno.EACCES, "permission denied; it is left as it was"),
        ("replace", errno.EPERM, "permission denied"),
    ],
)
def test_a_failed_write_names_the_file_and_the_reason_and_keeps_the_old_file(tmp_path, monkeypatch, where, code, said):
    target = tmp_path / "memory.tmx"
    target.write_bytes(b"old and whole")

    def fail(*args, **kwargs):
        raise OSError(code, os.strerror(code))

    if where == "write":
        real_fdopen = os.fdopen

        class Full:
            def __init__(self, handle):
                self.handle = handle

            def write(self, data):
                self.handle.write(data[:10])
                fail()

            def __enter__(self):
                return self

            def __exit__(self, *exc):
                return self.handle.__exit__(*exc)

        monkeypatch.setattr(atomic.os, "fdopen", lambda fd, mode: Full(real_fdopen(fd, mode)))
    else:
        monkeypatch.setattr(atomic.os, where, fail)
    with pytest.raises(WriteError) as caught:
        write_bytes_atomic(target, b"new" * 1000)
    message = str(caught.value)
    assert message.startswith(f"cannot write {target}: ") and said in message and "\n" not in message
    monkeypatch.undo()
    assert target.read_bytes() == b"old and whole" and temps(target) == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into a read-only folder; the simulated EACCES covers it")
def test_a_read_only_folder_is_named_and_nothing_is_half_written(tmp_path):
    folder = tmp_path / "locked"
    folder.mkdir()
    target = folder / "a.zh-en.xlf"
    target.write_bytes(b"old")
    folder.chmod(0o555)
    try:
        with pytest.raises(WriteError, match=r"cannot write .*a\.zh-en\.xlf: permission denied"):
            write_bytes_atomic(target, b"new")
        assert target.read_bytes() == b"old"
    finally:
        folder.chmod(0o755)


def test_files_written_together_name_the_one_that_failed(tmp_path, monkeypatch):
    pdf, docx = tmp_path / "a.pdf", tmp_path / "a.docx"
    pdf.write_bytes(b"old pdf")
    docx.write_bytes(b"old docx")

    def full(path: Path) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(WriteError, match=r"cannot write .*a\.docx: the disk is full"):
        write_files_atomic([pdf, docx], [lambda path: path.write_bytes(b"new pdf"), full])
    assert (pdf.read_bytes(), docx.read_bytes()) == (b"old pdf", b"old docx")


def test_a_full_disk_during_a_command_names_the_file_and_leaves_the_segment_file_whole(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from leshan_pub.cli import app
    from test_review_workflow import Project

    project = Project(tmp_path, monkeypatch)
    project.segment()
    project.approve_all()
    before = project.segfile.read_bytes()

    def full(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(atomic.os, "fsync", full)
    result = CliRunner().invoke(app, ["segment", str(project.article)])
    assert result.exit_code == 1 and result.stderr.count("\n") == 1
    assert f"cannot write {project.memory}: the disk is full; " in result.stderr
    monkeypatch.undo()
    assert project.segfile.read_bytes() == before and temps(project.segfile) == [] and temps(project.memory) == []


@pytest.fixture
def small_disk(tmp_path):
    """A real 64 KiB file system (tmpfs) mounted in tmp_path; skipped where mounting is not allowed."""
    import shutil

    folder = tmp_path / "disk"
    folder.mkdir()
    if shutil.which("mount") is None or os.geteuid() != 0:
        pytest.skip("mounting a small file system needs root; the simulated errors cover it")
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(folder)], capture_output=True)
    if mounted.returncode:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=True)


def test_a_real_full_disk_and_a_real_read_only_disk_are_named_and_the_old_file_kept(small_disk):
    target = small_disk / "memory.tmx"
    target.write_bytes(b"old and whole" * 1000)  # 13 KB of 64
    with pytest.raises(WriteError, match=rf"cannot write {target}: the disk is full; it is left as it was"):
        write_bytes_atomic(target, b"new" * 40_000)  # 120 KB: no room beside the old file
    assert target.read_bytes() == b"old and whole" * 1000 and temps(target) == []

    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    with pytest.raises(WriteError, match=rf"cannot write {target}: the file system is read-only; it is left as it was"):
        write_bytes_atomic(target, b"new")
    assert target.read_bytes() == b"old and whole" * 1000
