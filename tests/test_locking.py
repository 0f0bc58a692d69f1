"""The segment file lock, taken by real processes: the second run waits or is told who holds it."""

import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from leshan_pub.document import Document, Provenance, Role, Segment
from leshan_pub.errors import SegmentFileError
from leshan_pub.locking import lock_path_for, segment_file_lock
from leshan_pub.formats.segfile import read_segment_file, write_segment_file


def one_segment_document() -> Document:
    segment = Segment(id="s1", block=0, role=Role.PARAGRAPH, source="乐山。")
    return Document(name="demo", segments=[segment], provenance=Provenance("0.1.0", "1"), original="demo.zh.txt")


HOLDER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from leshan_pub.locking import segment_file_lock

    with segment_file_lock(Path(sys.argv[1])):
        print("held", flush=True)
        time.sleep(float(sys.argv[2]))
    """
)

# Read, change and write the segment file n times, each under the lock: no update may be lost.
UPDATER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from leshan_pub.locking import segment_file_lock
    from leshan_pub.formats.segfile import read_segment_file, write_segment_file

    path, who, n = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    for i in range(n):
        with segment_file_lock(path):
            document = read_segment_file(path)
            document.segments[0].notes.append(f"{who}-{i}")
            write_segment_file(path, document)
    """
)


def hold(path: Path, seconds: float) -> subprocess.Popen:
    """A separate process that holds path's lock for seconds, started once it holds it."""
    child = subprocess.Popen([sys.executable, "-c", HOLDER, str(path), str(seconds)], stdout=subprocess.PIPE, text=True)
    assert child.stdout.readline() == "held\n"
    return child


def test_second_process_is_told_which_run_holds_the_file(tmp_path):
    path = tmp_path / "demo.zh-en.xlf"
    write_segment_file(path, one_segment_document())
    before = path.read_bytes()
    holder = hold(path, 3)
    try:
        with pytest.raises(SegmentFileError) as caught:
            write_segment_file(path, Document("other", [], Provenance("0.1.0", "1")), lock_timeout=0.3)
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()
    assert str(caught.value) == (
        f"another leshan-pub is writing {path}; wait for it or remove {path}.lock if no other run is active"
    )
    assert path.read_bytes() == before


def test_second_process_waits_for_the_first_to_finish(tmp_path):
    path = tmp_path / "demo.zh-en.xlf"
    holder = hold(path, 1.0)
    started = time.monotonic()
    with segment_file_lock(path, timeout=20):
        waited = time.monotonic() - started
    holder.wait()
    holder.stdout.close()
    assert waited > 0.5


def test_two_processes_updating_one_file_lose_no_update(tmp_path):
    path = tmp_path / "demo.zh-en.xlf"
    write_segment_file(path, one_segment_document())
    runs = [subprocess.Popen([sys.executable, "-c", UPDATER, str(path), who, "25"]) for who in ("a", "b")]
    assert [run.wait(timeout=120) for run in runs] == [0, 0]
    notes = read_segment_file(path).segments[0].notes
    assert sorted(notes) == sorted(f"{who}-{i}" for who in "ab" for i in range(25))
    assert [n for n in notes if n.startswith("a")] == [f"a-{i}" for i in range(25)]  # each run's in order


def test_lock_of_a_killed_run_is_taken_over(tmp_path):
    path = tmp_path / "demo.zh-en.xlf"
    holder = hold(path, 60)
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    holder.stdout.close()
    assert lock_path_for(path).exists()  # what a kill -9 leaves
    with segment_file_lock(path, timeout=5):
        pass
    assert not lock_path_for(path).exists()


def test_nested_use_in_one_run_does_not_wait_on_itself_and_leaves_no_lock_file(tmp_path):
    path = tmp_path / "demo.zh-en.xlf"
    with segment_file_lock(path, timeout=0.5):
        write_segment_file(path, one_segment_document(), lock_timeout=0.5)
        assert lock_path_for(path).exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demo.zh-en.xlf"]


def test_ctrl_c_inside_the_lock_releases_it(tmp_path):
    path = tmp_path / "demo.zh-en.xlf"
    with pytest.raises(KeyboardInterrupt), segment_file_lock(path):
        raise KeyboardInterrupt
    assert not lock_path_for(path).exists()
    with segment_file_lock(path, timeout=0.1):
        pass
