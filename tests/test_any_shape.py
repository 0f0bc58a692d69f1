"""From outside: a 30,000-character text without punctuation builds whole, in segments the model takes,
with a short stderr (the issue's Done-when, with the tiny test model)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import ROOT
from leshan_pub.formats.segfile import read_segment_file
from test_segment_long_runs import unpunctuated


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, tiny_marian_dir: Path) -> tuple[Path, str, str]:
    folder = tmp_path_factory.mktemp("ocr")
    text = unpunctuated(30_000)
    text = text[:1000] + "\x00" + text[1000:]  # OCR debris: reported, not silently dropped
    source = folder / "ocr.zh.txt"
    source.write_text(text, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "HF_HUB_OFFLINE": "1"}
    run = subprocess.run(
        [sys.executable, "-m", "leshan_pub", "build", str(source), "--model", str(tiny_marian_dir), "--no-glossary",
         "--beams", "1", "--batch-size", "64", "-f", "docx", "-o", str(folder / "out")],
        capture_output=True, text=True, env=env, timeout=1800,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    return source, text, run.stderr


def test_every_character_is_in_some_segment_and_none_is_over_the_model_limit(built, tiny_marian_dir: Path) -> None:
    from transformers import AutoConfig, MarianTokenizer

    source, text, _ = built
    document = read_segment_file(source.with_name("ocr.zh-en.xlf"))
    assert "".join(s.source for s in document.segments) == text.replace("\x00", "")
    tokenizer = MarianTokenizer.from_pretrained(tiny_marian_dir)
    limit = min(tokenizer.model_max_length, AutoConfig.from_pretrained(tiny_marian_dir).max_position_embeddings)
    longest = max(len(tokenizer(s.source)["input_ids"]) for s in document.segments)
    assert longest <= limit, f"a segment of {longest} pieces; the model reads {limit}"
    assert all(s.target for s in document.segments)
    assert not [s.id for s in document.segments if any("not translated" in note for note in s.notes)]


def test_stderr_stays_short_and_says_what_was_done_with_the_control_character(built) -> None:
    _, _, stderr = built
    lines = [line for line in re.split(r"[\r\n]", stderr) if line.strip()]
    assert len(lines) < 20, "\n".join(lines)
    assert "Loading weights" not in stderr and "[transformers]" not in stderr and "it/s" not in stderr
    assert any("removed 1 control character(s) (1 × U+0000 NUL) at line 1 column 1001" in line for line in lines)
