"""Time `leshan-pub build` on the sample: first run with an empty font cache, then the median of cached runs.

Usage: python scripts/bench_build.py [RUNS]   (not a test: timings on shared machines are noisy)
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_build(work: Path, env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "leshan_pub", "build", str(work / "leshan-2024.zh.txt"), "--out", str(work / "out")],
        check=True, env=env, cwd=ROOT, capture_output=True,
    )
    return time.perf_counter() - start


def main(runs: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for name in ("leshan-2024.zh.txt", "leshan-2024.zh-en.xlf"):
            shutil.copy(ROOT / "source" / name, work / name)
        env = {**os.environ, "LESHAN_PUB_CACHE_DIR": str(work / "cache"), "HF_HUB_OFFLINE": "1"}
        cold = run_build(work, env)
        warm = [run_build(work, env) for _ in range(runs)]
        help_start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "leshan_pub", "--help"], check=True, capture_output=True, cwd=ROOT)
        help_time = time.perf_counter() - help_start
    print(f"build, empty font cache: {cold:.2f} s")
    print(f"build, fonts cached: median {statistics.median(warm):.2f} s over {runs} runs "
          f"(min {min(warm):.2f}, max {max(warm):.2f})")
    print(f"leshan-pub --help: {help_time:.2f} s")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 7)
