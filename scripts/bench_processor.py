"""What the glossary processor costs per decoding step as the batch grows: batches of 32, 256 and 1024.

The processor alone is timed (no model), on rows of beam search at opus-mt-zh-en's vocabulary
(65,001 pieces): each segment holds three glossary terms, and every step gets fresh random scores,
from which each row's next token is its best allowed one. Printed per batch: milliseconds per
step, microseconds per row and step, and that per-row cost against the batch-32 one. A cost that
stays flat per row grows with the batch like the model's own work on a CPU; on a GPU, where the
model's step time barely grows with the batch, it is what limits large batches.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the test model builder lives with the tests
sys.path.insert(0, str(ROOT / "scripts"))

from bench_enforce import OPUS_VOCAB, segments  # noqa: E402
from conftest import build_tiny_marian  # noqa: E402


def step_costs(vocab, plans, beams: int, steps: int, seed: int) -> list[float]:  # type: ignore[no-untyped-def]
    """Seconds the processor took at each step of one simulated decode."""
    import torch

    from leshan_pub.engines.constraints import TermConstraintProcessor

    generator = torch.Generator().manual_seed(seed)
    rows = len(plans) * beams
    processor = TermConstraintProcessor(plans, vocab, num_beams=beams, budget=steps + 8)
    ids = torch.full((rows, 1), vocab.tokenizer.pad_token_id, dtype=torch.long)
    width = len(vocab.tokenizer)
    costs: list[float] = []
    for _ in range(steps):
        scores = torch.randn(rows, width, generator=generator).log_softmax(-1)
        start = time.perf_counter()
        scores = processor(ids, scores)
        costs.append(time.perf_counter() - start)
        ids = torch.cat([ids, scores.argmax(-1, keepdim=True)], dim=1)
    return costs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--batches", type=int, nargs="+", default=[32, 256, 1024])
    parser.add_argument("--beams", type=int, default=4)
    parser.add_argument("--steps", type=int, default=24)
    args = parser.parse_args()

    import torch
    from transformers import MarianTokenizer

    from leshan_pub.engines.constraints import SegmentPlan, TargetVocab, spell_term

    torch.manual_seed(0)
    with tempfile.TemporaryDirectory() as scratch:
        folder = build_tiny_marian(Path(scratch) / "opus-vocab", vocab_size=OPUS_VOCAB)
        vocab = TargetVocab(MarianTokenizer.from_pretrained(folder))
    print(f"torch threads {torch.get_num_threads()}, beam {args.beams}, {args.steps} steps, "
          f"vocabulary {len(vocab.tokenizer)}, 3 terms per segment")
    print("| batch | rows | ms per step | µs per row and step | per row, × the first batch |")
    print("|---|---|---|---|---|")
    base = None
    for batch in args.batches:
        _, terms = segments(ROOT / "glossary" / "leshan.tsv", batch)
        plans = [SegmentPlan([s for t in ts if (s := spell_term(vocab, t)) is not None]) for ts in terms]
        costs = step_costs(vocab, plans, args.beams, args.steps, seed=batch)
        per_step = statistics.median(costs[1:])  # the first step replays every row from scratch
        per_row = per_step / (batch * args.beams)
        base = base or per_row
        print(f"| {batch} | {batch * args.beams} | {per_step * 1e3:.1f} | {per_row * 1e6:.1f} | {per_row / base:.2f} |")


if __name__ == "__main__":
    main()
