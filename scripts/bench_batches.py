"""Does enforcement cost more as batches grow? The enforced/unenforced ratio at batches of 32, 256 and 1024.

On a GPU the model's step time barely grows with the batch, so any per-row Python work done while
decoding is what limits large batches (on an H200 the old per-step processor ran at 0.47 of the
unconstrained speed at batch 256). A tiny random-weight model puts a CPU in the same regime: its
steps cost next to nothing, so whatever enforcement adds per row and step shows in full.

Every batch size translates the same segments (three glossary terms each, no rendering of them
found in a random model's drafts, so every segment takes the whole repair) at a fixed draft length.
Printed per repair: tokens/s with terms off and on, and their ratio, per batch size. A ratio that
stays flat as the batch grows is the aim; `splice` (the default) does no work per decoding step,
`continue` decodes again under the per-step processor.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the test model builder lives with the tests
sys.path.insert(0, str(ROOT / "scripts"))

from bench_enforce import segments  # noqa: E402
from bench_speed import FixedLength, timed  # noqa: E402
from conftest import build_tiny_marian  # noqa: E402

from leshan_pub.engines import EngineOptions, load_engine  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batches", type=int, nargs="+", default=[32, 256, 1024])
    parser.add_argument("--segments", type=int, default=1024, help="segments per run, the same at every batch size")
    parser.add_argument("--length", type=int, default=40, help="draft tokens per segment, end token included")
    parser.add_argument("--beams", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=2, help="runs per row; the best is shown")
    parser.add_argument("--repairs", nargs="+", default=["splice", "continue"])
    args = parser.parse_args()

    import torch

    sources, terms = segments(ROOT / "glossary" / "leshan.tsv", args.segments)
    none = [[] for _ in sources]
    print(f"tiny random-weight model, {args.segments} segments x {args.length} draft tokens, beam {args.beams}, "
          f"3 terms per segment, torch threads {torch.get_num_threads()}, best of {args.repeats}")
    print("| repair | batch | tok/s, terms off | tok/s, terms on | on / off | success |")
    print("|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as scratch:
        folder = build_tiny_marian(Path(scratch) / "tiny")
        for repair in args.repairs:
            for batch in args.batches:
                engine = load_engine("transformers", EngineOptions(
                    model=str(folder), device="cpu", progress=False, batch_size=batch, num_beams=args.beams,
                    term_repair=repair,
                ))
                meter = FixedLength(engine, args.length)
                engine.translate(sources[:8], terms[:8])  # warm-up: the terms' renderings are cached per engine
                runs = {enforced: [timed(engine, meter, sources, terms if enforced else none)
                                   for _ in range(args.repeats)] for enforced in (False, True)}
                off, on = (min(runs[e], key=lambda r: r.seconds) for e in (False, True))
                rate_off, rate_on = off.delivered / off.seconds, on.delivered / on.seconds
                print(f"| {repair} | {batch} | {rate_off:.0f} | {rate_on:.0f} | {rate_on / rate_off:.2f} | "
                      f"{on.placed / on.wanted:.3f} |", flush=True)


if __name__ == "__main__":
    main()
