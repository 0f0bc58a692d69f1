"""Target tokens/s of the transformers engine with and without glossary enforcement, at opus-mt-zh-en's shape."""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the test model builder lives with the tests

from conftest import build_tiny_marian  # noqa: E402

from leshan_pub.engines import EngineOptions, load_engine  # noqa: E402
from leshan_pub.engines.marian import MarianEngine  # noqa: E402
from leshan_pub.glossary import Term, load_glossary  # noqa: E402

# opus-mt-zh-en: transformer-base, 6+6 layers, shared vocabulary of 65,001 pieces.
OPUS_SHAPE = {
    "d_model": 512,
    "encoder_layers": 6,
    "decoder_layers": 6,
    "encoder_attention_heads": 8,
    "decoder_attention_heads": 8,
    "encoder_ffn_dim": 2048,
    "decoder_ffn_dim": 2048,
    "max_position_embeddings": 512,
}
OPUS_VOCAB = 65001
# Of them, the pieces its English is written in: its model card gives SentencePiece "spm32k,spm32k"
# (32,000 pieces a side). Engines score only those (vocabularies.english_ids), so the benchmark
# model's English side is as large; the rest of its vocabulary is filler, as the Chinese is to the English.
OPUS_TARGET_PIECES = 32000
FILLER = "这是当地经济发展的重要方向，也是全市今后一个时期工作的重点和难点。"


SHORT_TERM_WORDS = 3  # the benchmarks' terms: three of them fit the fixed output length with any tokenizer


def segments(glossary_path: Path, count: int) -> tuple[list[str], list[list[Term]]]:
    """count Chinese sources, each holding three short glossary terms, and their terms.

    Only terms of at most SHORT_TERM_WORDS English words: three official names of ten words each
    cannot fit a fixed 40-token output, and a benchmark that counts them missing measures the limit,
    not the engine.
    """
    glossary = load_glossary(glossary_path)
    terms = [t for t in glossary.terms if len(t.target.split()) <= SHORT_TERM_WORDS]
    sources: list[str] = []
    for i in range(count):
        a, b, c = (terms[(3 * i + k) % len(terms)] for k in range(3))
        sources.append(f"{a.source}与{b.source}推动了{c.source}的发展，{FILLER}")
    return sources, [[hit.term for hit in glossary.find(s)] for s in sources]


def count_generated(engine: MarianEngine) -> Callable[[], int]:
    """Wrap the model's generate so it counts target tokens (not padding, not the start token)."""
    generate = engine.model.generate
    pad = engine.model.config.pad_token_id
    total = [0]

    def counting(*args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        output = generate(*args, **kwargs)
        total[0] += int((output[:, 1:] != pad).sum())
        return output

    engine.model.generate = counting  # type: ignore[method-assign]
    return lambda: total[0]


def timed_run(engine: MarianEngine, counted: Callable[[], int], sources: list[str], terms: list[list[Term]]) -> float:
    """One translate call: target tokens generated per second."""
    before, start = counted(), time.perf_counter()
    translations = engine.translate(sources, terms)
    elapsed = time.perf_counter() - start
    tokens = counted() - before
    wanted = sum(len(t) for t in terms)
    placed = wanted - sum(len(t.missing) for t in translations)
    kind = "with" if wanted else "without"
    print(f"  {kind} terms: {elapsed:6.2f} s, {tokens} tokens, terms placed {placed}/{wanted}")
    return tokens / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--beams", type=int, default=4)
    parser.add_argument("--max-new-tokens", type=int, default=40)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--device", default="auto")
    args = parser.parse_args()

    import torch

    torch.manual_seed(0)
    with tempfile.TemporaryDirectory() as scratch:
        folder = build_tiny_marian(
            Path(scratch) / "opus-shape", shape=OPUS_SHAPE, vocab_size=OPUS_VOCAB, target_pieces=OPUS_TARGET_PIECES
        )
        options = EngineOptions(
            model=str(folder),
            device=args.device,
            batch_size=args.batch_size,
            num_beams=args.beams,
            max_new_tokens=args.max_new_tokens,
            progress=False,
        )
        engine = load_engine("transformers", options)
    sources, terms = segments(ROOT / "glossary" / "leshan.tsv", args.batch_size)
    print(f"device {engine.device}, torch threads {torch.get_num_threads()}, batch {args.batch_size}, "
          f"beam {args.beams}, {args.max_new_tokens} new tokens, {sum(map(len, terms)) / len(terms):.1f} terms/segment")
    engine.translate(sources[:2], terms[:2])  # warm-up: first-call allocations are not decoding speed
    counted = count_generated(engine)
    plain: list[float] = []
    enforced: list[float] = []
    for _ in range(args.repeats):  # interleaved, so drift in machine load hits both alike
        plain.append(timed_run(engine, counted, sources, [[] for _ in sources]))
        enforced.append(timed_run(engine, counted, sources, terms))
    best_plain, best_enforced = max(plain), max(enforced)
    print(f"without terms {best_plain:.1f} tok/s, with terms {best_enforced:.1f} tok/s (best of {args.repeats}); "
          f"ratio with/without {best_enforced / best_plain:.3f}")

if __name__ == "__main__":
    main()
