"""Peak memory while translating 1,000 and 10,000 segments with the tiny test model, per engine.

Each size runs in its own process. Memory that grows with the document beyond the translations
themselves would mean batches are held; flat means segments stream through one batch at a time.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_CHILD = """
import json, resource, sys, time, tracemalloc
from leshan_pub.engines import EngineOptions, load_engine
from leshan_pub.terms import Term
folder, engine_name, count, traced = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4] == "1"
engine = load_engine(engine_name, EngineOptions(model=folder, device="cpu", batch_size=16, num_beams=1,
                                                max_new_tokens=8, progress=False))
term = Term("乐山", "Leshan")
sources = [f"乐山第{i}段，沐川县竹资源丰富。" for i in range(count)]
terms = [[term] if i % 3 == 0 else [] for i in range(count)]
engine.translate(sources[:32], terms[:32])  # warm-up: first-call allocations
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
if traced:  # Python allocations only; it slows the run several times
    tracemalloc.start()
start = time.perf_counter()
translations = engine.translate(sources, terms)
seconds = time.perf_counter() - start
traced_peak = tracemalloc.get_traced_memory()[1] if traced else 0
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
kept = sum(len(t.text.encode()) for t in translations)
print(json.dumps({"rss_before_kb": before, "rss_peak_kb": after, "python_peak_kb": traced_peak // 1024,
                  "text_kb": kept // 1024, "seconds": seconds,
                  "missing": sum(len(t.missing) for t in translations)}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--engines", default="transformers,ctranslate2")
    parser.add_argument("--tracemalloc", action="store_true", help="also the peak of Python allocations (slow)")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "tests"))
    from conftest import build_tiny_marian

    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "HF_HUB_OFFLINE": "1"}
    with tempfile.TemporaryDirectory() as scratch:
        folder = build_tiny_marian(Path(scratch) / "tiny")
        env.setdefault("LESHAN_PUB_CACHE_DIR", str(Path(scratch) / "cache"))
        print(f"{'engine':<14} {'segments':>8} {'seconds':>8} {'RSS before':>11} {'RSS peak':>9} {'growth':>8} "
              f"{'python peak':>12} {'English kept':>13} {'missing':>8}")
        for engine in args.engines.split(","):
            for size in args.sizes.split(","):
                out = subprocess.run([sys.executable, "-c", _CHILD, str(folder), engine, size, "1" if args.tracemalloc else "0"], env=env,
                                     capture_output=True, text=True, check=True)
                r = json.loads(out.stdout.strip().splitlines()[-1])
                growth = r["rss_peak_kb"] - r["rss_before_kb"]
                print(f"{engine:<14} {int(size):>8} {r['seconds']:8.1f} {r['rss_before_kb'] / 1024:9.1f}MB "
                      f"{r['rss_peak_kb'] / 1024:7.1f}MB {growth / 1024:6.1f}MB {r['python_peak_kb'] / 1024:10.1f}MB "
                      f"{r['text_kb'] / 1024:11.1f}MB {r['missing']:>8}")


if __name__ == "__main__":
    main()
