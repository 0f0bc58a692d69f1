"""CPU seconds (user + sys, median of 7 runs) of everyday commands against a bare `python -c pass`.

Run from anywhere: python scripts/bench_startup.py [SRC]  (SRC: a source tree to time instead of this one's)
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNS = 7


def cpu_seconds(command: list[str], env: dict[str, str]) -> float:
    """Median CPU time of the command's process (user + sys), so other load on the machine counts less."""
    times = []
    for _ in range(RUNS):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd="/")
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        times.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(times)


def main() -> None:
    src = sys.argv[1] if len(sys.argv) > 1 else str(ROOT / "src")
    env = {**os.environ, "PYTHONPATH": src, "HF_HUB_OFFLINE": "1"}
    sample = str(ROOT / "source" / "leshan-2024.zh.txt")
    bare = cpu_seconds([sys.executable, "-c", "pass"], env)
    print(f"| command | CPU s | x bare python ({bare:.3f} s) |\n|---|---|---|")
    for args in (["--version"], ["--help"], ["status", sample], ["check", sample, "--json"]):
        seconds = cpu_seconds([sys.executable, "-m", "leshan_pub", *args], env)
        shown = " ".join(a if a != sample else "SAMPLE" for a in args)
        print(f"| `leshan-pub {shown}` | {seconds:.3f} | {seconds / bare:.1f} |")


if __name__ == "__main__":
    main()
