"""Work done is kept: translate writes finished segments as it goes; Ctrl-C or a crash keeps them."""

import _thread
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import pytest

from helpers import ROOT
from leshan_pub.document import ReviewState
from leshan_pub.engines import EngineOptions, Translation, load_engine
from leshan_pub.pipeline import Interrupted, segment_source, translate_file
from leshan_pub.formats.segfile import read_segment_file, segment_file_for
from leshan_pub.terms import Term

NUMBERS = "一二三四五六七八九十"
HANDED_BACK = 0.005  # seconds: the least delay before a recorded call's Ctrl-C (see Recorder.translate)
# Many short sentences, so the model has many chunks to get through.
ARTICLE = "项目清单\n\n" + "".join(f"第{a}{b}个项目开工。" for a in NUMBERS[:3] for b in NUMBERS[:8]) + "\n"


class Recorder:
    """The real engine, noting what it finished; on its trigger_at-th call it sets off Ctrl-C.

    The interrupt lands a random fraction of one call's time later: in the pipeline's write of the
    finished chunk, or inside the next engine call. Timed from the engine's own pace, so it lands
    while there is work left on a fast machine and on a loaded one alike.
    """

    def __init__(self, engine: object, trigger_at: int = 0, fraction: float = 0.0) -> None:
        self.engine = engine
        self.asked: list[str] = []
        self.finished: dict[str, str] = {}
        self.calls = 0
        self.trigger_at, self.fraction = trigger_at, fraction
        self.timer: threading.Timer | None = None

    def __getattr__(self, name: str) -> object:
        return getattr(self.engine, name)

    def translate(self, sources: Sequence[str], terms: Sequence[Sequence[Term]]) -> list[Translation]:
        self.asked += list(sources)
        started = time.perf_counter()
        results = self.engine.translate(sources, terms)
        self.finished.update((s, r.text) for s, r in zip(sources, results, strict=True))
        self.calls += 1
        if self.calls == self.trigger_at:
            # At least HANDED_BACK later: an interrupt set off at once lands before this call has returned
            # its English to the pipeline (between the lines below), which the pipeline never received, so
            # "finished" here would be wrong; a millisecond sees it bound, in the pipeline's hands.
            delay = max(HANDED_BACK, (time.perf_counter() - started) * self.fraction)
            self.timer = threading.Timer(delay, _thread.interrupt_main)
            self.timer.start()
        return results


@pytest.fixture
def ctrl_c_raises():
    """Ctrl-C raises KeyboardInterrupt in this process for the test, even when pytest itself was started
    with SIGINT ignored (a background job, `nohup`): then Python installs no handler and a simulated
    interrupt does nothing."""
    before = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, before)


def _default_ctrl_c() -> None:
    """In the child before it starts: SIGINT back to its default, so Python installs its Ctrl-C handler
    whatever disposition the test run inherited."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _wait_for(timer: threading.Timer | None) -> None:
    """Wait for the timer to finish. On a loaded machine it may set off Ctrl-C only after the run's
    work was done: that interrupt lands here and is spent, not in the next run or in pytest."""
    if timer is None:
        return
    try:
        timer.join()
        _pending_signals_run()
    except KeyboardInterrupt:
        pass


def _pending_signals_run() -> None:
    """Nothing; calling a Python function is where the interpreter runs a pending signal handler."""


def machine_work(segfile: Path) -> dict[str, str]:
    return {s.source: s.target for s in read_segment_file(segfile).segments if s.state is ReviewState.MACHINE}


def test_interrupting_translate_at_random_moments_never_loses_a_finished_segment(tmp_path, tiny_marian_dir, ctrl_c_raises):
    article = tmp_path / "list.zh.txt"
    article.write_text(ARTICLE, encoding="utf-8")
    document, _ = segment_source(article, None)
    total = len(document.segments)
    segfile = segment_file_for(article)
    options = EngineOptions(model=str(tiny_marian_dir), num_beams=1, batch_size=2, max_new_tokens=6, progress=False)
    engine = load_engine("transformers", options)
    rng = random.Random(9)
    finished: dict[str, str] = {}
    interrupted = 0

    for run in range(10):
        before = machine_work(segfile)
        calls_left = -(-(total - len(before)) // 2)  # chunks of two segments
        if calls_left < 2:
            break
        # Set off after a random early call (so ten runs see several interrupts), a random part of a call later.
        recorder = Recorder(engine, trigger_at=rng.randint(1, max(1, calls_left // 3)), fraction=rng.uniform(0.0, 0.5))
        try:
            translate_file(segfile, None, lambda: recorder, chunk_size=2)
        except KeyboardInterrupt as exc:
            interrupted += 1
            assert isinstance(exc, Interrupted) or not recorder.asked, f"run {run}: a bare interrupt after work began"
        finally:
            _wait_for(recorder.timer)
        finished.update(recorder.finished)
        after = machine_work(segfile)
        # Nothing finished is lost: every segment the engine returned, in this run or before, is in the file.
        assert {s: finished[s] for s in finished} == {s: after[s] for s in finished}, f"run {run} lost work"
        assert set(before) <= set(after)  # nothing already kept was dropped
        assert not set(recorder.asked) & set(before), f"run {run} re-translated finished segments"

    assert interrupted >= 3  # the interrupts did land while there was work to do
    translate_file(segfile, None, lambda: Recorder(engine), chunk_size=2)  # a rerun finishes the rest
    final = machine_work(segfile)
    assert len(final) == total and all(final[s] == text for s, text in finished.items())


def test_ctrl_c_in_the_cli_keeps_finished_chunks_and_says_how_many(tmp_path, tiny_marian_dir):
    article = tmp_path / "list.zh.txt"
    article.write_text(ARTICLE, encoding="utf-8")
    segment_source(article, None)
    segfile = segment_file_for(article)
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "HF_HUB_OFFLINE": "1", "LESHAN_PUB_MEMORY": str(tmp_path / "m.tmx")}
    process = subprocess.Popen(
        [sys.executable, "-m", "leshan_pub", "translate", str(segfile), "--model", str(tiny_marian_dir),
         "--beams", "1", "--batch-size", "2"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path, preexec_fn=_default_ctrl_c,
    )
    seen = 0
    deadline = time.monotonic() + 300
    while seen == 0 and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
        try:
            seen = len(machine_work(segfile))  # the file is written after each chunk, while the run goes on
        except Exception:  # noqa: BLE001 - the file is replaced atomically, but a reader may race the lock
            seen = 0
    if process.poll() is not None:
        pytest.fail(f"translate ended before the first chunk was seen: {process.communicate()}")
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=120)

    kept = machine_work(segfile)
    assert process.returncode == 130, stderr
    assert f"interrupted: {len(kept)} segment(s) translated and kept" in stderr and "run the same command again" in stderr
    assert seen <= len(kept) < len(read_segment_file(segfile).segments)
    assert "Traceback" not in stderr


def test_an_interrupt_after_a_segment_is_applied_but_before_it_is_counted_counts_it_once(tmp_path, tiny_marian_dir, monkeypatch):
    """Ctrl-C can land between a segment's English going in and the chunk's count moving on: the handler
    applies that segment again, and the message must still count each segment kept once (a CI run once
    said 7 kept of a file holding 6)."""
    import leshan_pub.pipeline as pipeline

    article = tmp_path / "list.zh.txt"
    article.write_text(ARTICLE, encoding="utf-8")
    segment_source(article, None)
    segfile = segment_file_for(article)
    engine = load_engine("transformers", EngineOptions(model=str(tiny_marian_dir), num_beams=1, max_new_tokens=6, progress=False))
    real, calls = pipeline.machine_signature, [0]

    def interrupted_once(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls[0] += 1
        if calls[0] == 3:  # the third segment: its English is in, its count not yet moved on
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(pipeline, "machine_signature", interrupted_once)
    with pytest.raises(Interrupted) as stopped:
        translate_file(segfile, None, lambda: engine, chunk_size=4)

    kept = machine_work(segfile)
    assert len(kept) == 4  # the whole first chunk, its third segment applied again
    assert f"interrupted: {len(kept)} segment(s) translated and kept" in str(stopped.value)
