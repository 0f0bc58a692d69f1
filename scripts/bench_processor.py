"""What the glossary processor costs per decoding step as the batch grows: batches of 32, 256 and 1024.

The processor alone is timed (no model), on rows of beam search at opus-mt-zh-en's vocabulary
(65,001 pieces), each segment holding three glossary terms. Two kinds of decode:

- `draft`: as `--term-repair continue` decodes, each segment has a 40-token draft with an anchor
  for each term (the rendering it replaces); the simulated model prefers its draft's next token,
  so rows keep to their drafts, meet their anchors, write their terms and resume the draft.
- `none`: no draft and a tight length budget, as the last resort decodes: every row is steered
  to its terms by the processor alone, most of them in Python.

Every step gets fresh random scores, from which each row's next token is its best allowed one.
Printed per batch: milliseconds per step; what one argmax over the step's scores takes, for scale
(every processor reads them once; on a CPU at this vocabulary that pass alone is costly, on a GPU
it is not); the processor's Python over rows per step (states advanced, rows steered one by one),
per row, and that against the first batch's; and the share of row-steps steered in Python (the
rest by tensor operations over the whole batch). The Python is what a GPU waits for. A per-row cost that falls as the batch grows is what a GPU needs: there
the model's step time barely grows with the batch. `--device cuda` puts the scores and the
processor's tables on the GPU and times each part after the device has finished it.
"""

from __future__ import annotations

import argparse
import random
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

DRAFT = 40  # draft tokens per segment
AT = (5, 15, 25)  # where the three terms' anchors are in each draft
PREFERENCE = 10.0  # how much the simulated model prefers its draft's next token


def drafts_and_anchors(vocab, plans, seed: int):  # type: ignore[no-untyped-def]
    """A random draft per segment, of pieces that begin words and none of its terms', and an anchor per term
    displacing two of its tokens."""
    from leshan_pub.engines.spelling import Anchor

    rng = random.Random(seed)
    special = {vocab.eos_id, vocab.unk_id, vocab.tokenizer.pad_token_id}
    drafts, anchors = [], []
    for plan in plans:
        draft: list[int] = []
        while len(draft) < DRAFT:
            token = rng.randrange(len(vocab.tokenizer))
            if token not in plan.tokens and token not in special and vocab.starts_word(token):
                draft.append(token)
        drafts.append(draft)
        anchors.append({
            i: [Anchor(tuple(draft[at - 3 : at]), tuple(draft[at : at + 2]), draft[at + 2], at=at)]
            for i, at in zip(range(len(plan.spellings)), AT)
        })
    return drafts, anchors


def step_costs(vocab, plans, beams: int, kind: str, seed: int, device: str = "cpu") -> tuple[list[float], list[float], list[float], float]:  # type: ignore[no-untyped-def]
    """Seconds per step of one simulated decode: the processor's, one argmax's over the same scores (the
    least any processor pays to read them), and the processor's per-row Python (states advanced, rows
    steered one by one); and the share of row-steps steered in Python. On a GPU every clock is read
    after the device has finished its queued work, so each figure is the work's, not its launch's."""
    import torch

    def clock() -> float:
        if device != "cpu":
            torch.cuda.synchronize()
        return time.perf_counter()

    from leshan_pub.engines.constraints import _POSITION, TermConstraintProcessor

    generator = torch.Generator(device=device).manual_seed(seed)
    rows = len(plans) * beams
    if kind == "draft":
        drafts, anchors = drafts_and_anchors(vocab, plans, seed)
        steps = DRAFT + max(plan.initial_need for plan in plans) + 2
        processor = TermConstraintProcessor(plans, vocab, num_beams=beams, budget=steps - 1, anchors=anchors, drafts=drafts)
    else:
        steps = 24
        processor = TermConstraintProcessor(plans, vocab, num_beams=beams, budget=steps + 8)
    python: list[float] = []
    for name in ("_advance", "_steer_rows"):  # the processor's Python over rows, timed
        method = getattr(processor, name)

        def timed(*args, _method=method):  # type: ignore[no-untyped-def]
            start = clock()
            result = _method(*args)
            python.append(clock() - start)
            return result

        setattr(processor, name, timed)
    ids = torch.full((rows, 1), vocab.tokenizer.pad_token_id, dtype=torch.long, device=device)
    width = len(vocab.tokenizer)
    costs: list[float] = []
    reading: list[float] = []
    in_python: list[float] = []
    for step in range(steps):
        scores = torch.randn(rows, width, generator=generator, device=device).log_softmax(-1)
        if kind == "draft" and step > 0:
            # The draft token each row is at, after the token it wrote last: the model's preference.
            batch, table = processor._batch, processor._table
            position = table[:, _POSITION]
            position = torch.where(ids[:, -1] == batch.draft_token(position), position + 1, position)
            wanted = batch.draft_token(position)
            keep = (wanted >= 0).nonzero().flatten()
            scores[keep, wanted[keep]] += PREFERENCE
        start = clock()
        scores.argmax(-1)
        reading.append(clock() - start)
        python.clear()
        start = clock()
        scores = processor(ids, scores)
        costs.append(clock() - start)
        in_python.append(sum(python))
        ids = torch.cat([ids, scores.argmax(-1, keepdim=True)], dim=1)
    return costs, reading, in_python, processor.python_rows / max(processor.rows_seen, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batches", type=int, nargs="+", default=[32, 256, 1024])
    parser.add_argument("--beams", type=int, default=4)
    parser.add_argument("--kinds", nargs="+", default=["draft", "none"], choices=["draft", "none"])
    parser.add_argument("--device", default="cpu", help="cpu, or cuda (cuda:N): the scores and the processor's tables there")
    args = parser.parse_args()

    import torch
    from transformers import MarianTokenizer

    if args.device != "cpu" and not torch.cuda.is_available():
        sys.exit(f"bench_processor: --device {args.device}, but torch sees no CUDA device")

    from leshan_pub.engines.spelling import SegmentPlan, TargetVocab, spell_term

    torch.manual_seed(0)
    with tempfile.TemporaryDirectory() as scratch:
        folder = build_tiny_marian(Path(scratch) / "opus-vocab", vocab_size=OPUS_VOCAB)
        vocab = TargetVocab(MarianTokenizer.from_pretrained(folder))
    where = torch.cuda.get_device_name(torch.device(args.device)) if args.device.startswith("cuda") else "CPU"
    print(f"{where}, torch threads {torch.get_num_threads()}, beam {args.beams}, "
          f"vocabulary {len(vocab.tokenizer)}, 3 terms per segment")
    print("| decode | batch | rows | ms per step | one argmax over the scores, ms | Python over rows, ms | "
          "Python, µs per row | per row, × the first batch | rows in Python |")
    print("|---|---|---|---|---|---|---|---|---|")
    for kind in args.kinds:
        base = None
        for batch in args.batches:
            _, terms = segments(ROOT / "glossary" / "leshan.tsv", batch)
            plans = [SegmentPlan([s for t in ts if (s := spell_term(vocab, t)) is not None]) for ts in terms]
            costs, reading, in_python, python = step_costs(vocab, plans, args.beams, kind, seed=batch, device=args.device)
            # Means over steps (events bunch in some); the first step replays every row from scratch.
            per_step, read, loop = (statistics.fmean(x[1:]) for x in (costs, reading, in_python))
            per_row = loop / (batch * args.beams)
            base = base or per_row
            print(f"| {kind} | {batch} | {batch * args.beams} | {per_step * 1e3:.1f} | {read * 1e3:.1f} | "
                  f"{loop * 1e3:.1f} | {per_row * 1e6:.1f} | {per_row / base:.2f} | {python:.0%} |", flush=True)


if __name__ == "__main__":
    main()
