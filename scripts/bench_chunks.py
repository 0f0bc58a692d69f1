"""Placement when an article reaches the engine a chunk at a time, as the pipeline sends it.

The pipeline hands the engine 16 segments at a time (`--batch-size`), saving after each chunk. Renderings
are learned from the drafts of the run so far (engines/renderings.DraftContext), so a term once in each of
two chunks is still learned, whatever the placement. This script sends the memorised proxy's sentences
(tests/placement.py) in one call and in chunks, at beam 4 with the placement given (the default's by
default), and prints the placement figures of each and how many sentences get the English of
the one call.

    PYTHONPATH=src python scripts/bench_chunks.py [--chunks 16 8] [--engines ctranslate2 transformers]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the trained proxies live with the tests

from placement import measure, placement_cases, train_memorised_model  # noqa: E402

from leshan_pub.engines import EngineOptions, load_engine  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chunks", type=int, nargs="+", default=[16, 8], help="chunk sizes besides one call")
    parser.add_argument("--engines", nargs="+", default=["transformers", "ctranslate2"])
    parser.add_argument("--placement", default="owed", help="the placement mode (owed: the default)")
    parser.add_argument("--model-dir", type=Path, default=ROOT / "build" / "placement-model-memorised")
    args = parser.parse_args()
    cases = placement_cases()
    folder = train_memorised_model(args.model_dir, log=True)
    print("| engine | sent as | chrF | exact | wrong left | edge | same English as one call |")
    print("|---|---|---|---|---|---|---|")
    for name in args.engines:
        whole: list[str] = []
        for chunk in [len(cases), *args.chunks]:
            engine = load_engine(name, EngineOptions(model=str(folder), num_beams=4, progress=False, device="cpu",
                                                           placement=args.placement))
            out: list[str] = []
            for start in range(0, len(cases), chunk):
                part = cases[start : start + chunk]
                out += [t.text for t in engine.translate([c.source for c in part], [list(c.terms) for c in part])]
            whole = whole or out
            f = measure(out, cases)
            label = "one call" if chunk == len(cases) else f"chunks of {chunk}"
            same = sum(a == b for a, b in zip(whole, out))
            print(f"| {name} | {label} | {f.chrf:.1f} | {f.exact} | {f.wrong_left} | {f.edge} | {same}/{len(cases)} |",
                  flush=True)


if __name__ == "__main__":
    main()
