"""Target tokens/s of every engine and setting, with and without glossary enforcement, at opus-mt-zh-en's shape.

A random-weight model of opus-mt-zh-en's shape (vocab 65,001, 6+6 layers, d_model 512) decodes the
same segments (three glossary terms each) at a fixed output length, so every engine does the same
work. Baseline: transformers float32, beam 4, batch 32, no enforcement. Every row gives tokens/s
(the best round), its ratio to the baseline, the enforcement overhead within its engine and setting
(the median over rounds of the on/off ratio, the two runs of a round timed back to back), and term
success counted with the tool's own verification (enforce.missing_terms). The last line is
`speedup X.X`: the fastest engine's row with its default settings (no option changed but the batch of
32), enforcement on and term success 1.0, against the baseline; the line before it names the fastest
beam-4 row of any setting.
On a CUDA machine the GPU rows run too (their own baseline: transformers float32 beam 4 batch 32).
The transformers rows decode in float32 at the default precision; on a CPU with bfloat16 instructions
(AVX512-BF16, AMX) placement then reads drafts in bfloat16, and the "read in float32" row shows the
cost without that. The bfloat16 row runs only on such a CPU.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the test model builder lives with the tests
sys.path.insert(0, str(ROOT / "scripts"))

from bench_enforce import OPUS_SHAPE, OPUS_TARGET_PIECES, OPUS_VOCAB, segments  # noqa: E402
from conftest import build_tiny_marian  # noqa: E402

from leshan_pub.engines import Engine, EngineOptions, load_engine  # noqa: E402
from leshan_pub.engines.vocabularies import english_ids  # noqa: E402
from leshan_pub.quality.enforce import missing_terms  # noqa: E402
from leshan_pub.terms import Term  # noqa: E402


@dataclass(frozen=True)
class Setting:
    """One row of the table: an engine and the options that differ from the defaults."""

    label: str
    engine: str
    changes: dict[str, Any] = field(default_factory=dict)
    baseline: bool = False


CPU_SETTINGS = [
    Setting("transformers float32 beam 4 batch 32", "transformers", {}, baseline=True),
    Setting("transformers float32 beam 1 batch 32", "transformers", {"num_beams": 1}),
    Setting("transformers float32 beam 4, repair continue", "transformers", {"term_repair": "continue"}),
    Setting("transformers float32 beam 4, placement attention", "transformers", {"placement": "attention"}),
    # By default a CPU with bfloat16 instructions reads placement in bfloat16; this row reads it in float32.
    Setting("transformers float32 beam 4, read in float32", "transformers", {"precision": "float32"}),
    # Decoding in bfloat16 itself, where the CPU has the instructions (skipped elsewhere).
    Setting("transformers bfloat16 beam 4 batch 32", "transformers", {"precision": "bfloat16"}),
    Setting("ctranslate2 int8 beam 4 (splice)", "ctranslate2", {}),
    Setting("ctranslate2 int8 beam 4, placement attention", "ctranslate2", {"placement": "attention"}),
    Setting("ctranslate2 int8 beam 4, repair continue", "ctranslate2", {"term_repair": "continue"}),
    Setting("ctranslate2 int8 beam 1, placement attention", "ctranslate2", {"num_beams": 1, "placement": "attention"}),
]
GPU_SETTINGS = [
    Setting("cuda transformers float32 beam 4 batch 32", "transformers", {}, baseline=True),
    Setting("cuda transformers float32 beam 4 batch 256", "transformers", {"batch_size": 256}),
    Setting("cuda transformers float32 beam 4 batch 1024", "transformers", {"batch_size": 1024}),
    Setting("cuda transformers bfloat16 beam 4 batch 1024", "transformers", {"batch_size": 1024, "precision": "bfloat16"}),
    Setting("cuda transformers float32 beam 4 batch 256 compiled", "transformers", {"batch_size": 256, "compile": True}),
    Setting("cuda ctranslate2 float16 beam 4 batch 256", "ctranslate2", {"batch_size": 256}),
    Setting("cuda ctranslate2 int8_float16 beam 4 batch 1024", "ctranslate2", {"batch_size": 1024, "precision": "int8_float16"}),
]


class FixedLength:
    """Makes an engine draft exactly `length` tokens per segment (the end token included) and counts
    every token it decodes, re-decodes by the hybrid and the fallback included.

    Only the drafts are fixed: a repair that decodes again (a constrained pass, a target_prefix)
    keeps the engine's own limit, with at least as many tokens as a draft, and a splice may make a
    segment longer than `length`, as it would in use. The terms' renderings (n-best, terms alone)
    are left as the engine asks for them.
    """

    def __init__(self, engine: Engine, length: int) -> None:
        self.decoded = 0
        self.length = length
        self._wrap(engine)

    def _wrap(self, engine: Any) -> None:
        if engine.name == "transformers":
            from leshan_pub.engines.constraints import TermConstraintProcessor

            generate, pad = engine.model.generate, engine.model.config.pad_token_id

            from transformers import LogitsProcessorList

            ends = engine.model.generation_config.eos_token_id

            def fixed_generate(*args: Any, **kwargs: Any) -> Any:
                if kwargs.get("num_return_sequences", 1) == 1:  # a translation, not a term's renderings
                    processors = list(kwargs.get("logits_processor") or [])
                    if not any(isinstance(p, TermConstraintProcessor) for p in processors):
                        kwargs["max_new_tokens"] = self.length
                    minimum = min(self.length, kwargs["max_new_tokens"]) - 1  # + the end token
                    kwargs["logits_processor"] = LogitsProcessorList([*processors, _NoEndBefore(ends, minimum)])
                output = generate(*args, **kwargs)
                self.decoded += int((output[:, 1:] != pad).sum())
                return output

            engine.model.generate = fixed_generate
            return
        translate_batch = engine.translator.translate_batch

        def fixed_translate_batch(source: Any, **kwargs: Any) -> Any:
            if kwargs.get("num_hypotheses", 1) == 1:
                if kwargs.get("target_prefix") is None:
                    kwargs["max_decoding_length"] = self.length - 1  # CTranslate2 leaves the end token out
                kwargs["min_decoding_length"] = min(self.length - 1, kwargs["max_decoding_length"])
            results = translate_batch(source, **kwargs)
            self.decoded += sum(len(r.hypotheses[0]) + 1 for r in results)  # + the end token
            return results

        engine.translator = _Proxy(engine.translator, translate_batch=fixed_translate_batch)
        if getattr(engine, "_fallback", None) is not None:
            self._wrap(engine._fallback)
        original = engine._fallback_engine

        def fallback() -> Any:
            fresh = engine._fallback is None
            loaded = original()
            if fresh:
                self._wrap(loaded)
            return loaded

        engine._fallback_engine = fallback


class _NoEndBefore:
    """Bars the end token until `minimum` tokens are written, as min_new_tokens does, by writing its one
    column in place. min_new_tokens's processor rewrites the whole score matrix at every step (0.8 s of
    the baseline's 6.5 s in a profile), which CTranslate2's native min_decoding_length does not pay:
    that made the ratios between engines about 10% high."""

    def __init__(self, ends: int | list[int], minimum: int) -> None:
        self.ends = [ends] if isinstance(ends, int) else list(ends)
        self.minimum = minimum

    def __call__(self, input_ids: Any, scores: Any) -> Any:
        if input_ids.shape[1] - 1 < self.minimum:  # the decoder's start token, then the tokens written
            scores[:, self.ends] = float("-inf")
        return scores


class _Proxy:
    def __init__(self, target: Any, **overrides: Any) -> None:
        self._target, self._overrides = target, overrides

    def __getattr__(self, name: str) -> Any:
        return self._overrides.get(name) or getattr(self._target, name)


@dataclass
class Run:
    seconds: float
    delivered: int  # tokens in the translations handed back, end tokens included
    decoded: int  # tokens the engine decoded to get them
    placed: int
    wanted: int
    counts: Any = None


def timed(engine: Engine, meter: FixedLength, sources: list[str], terms: list[list[Term]]) -> Run:
    before = meter.decoded
    counts_before = _counts(engine)
    start = time.perf_counter()
    translations = engine.translate(sources, terms)
    seconds = time.perf_counter() - start
    wanted = sum(len(t) for t in terms)
    placed = wanted - sum(len(missing_terms(t.text, ts)) for t, ts in zip(translations, terms))
    return Run(seconds, meter.length * len(sources), meter.decoded - before, placed, wanted,
               _counts_delta(_counts(engine), counts_before))


def _counts(engine: Engine) -> tuple[int, ...] | None:
    counts = getattr(engine, "counts", None)
    return None if counts is None else (counts.repaired, counts.redecoded, counts.fallback)


def _counts_delta(after: tuple[int, ...] | None, before: tuple[int, ...] | None) -> tuple[int, ...] | None:
    return None if after is None or before is None else tuple(a - b for a, b in zip(after, before))


def cpu_model() -> str:
    """The CPU's model name and the instructions the engines' speed turns on (the ratios between
    engines differ from one CPU to another: torch's float32 gains from AVX-512 more than CTranslate2's int8)."""
    try:
        info = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        import platform

        return platform.processor() or "CPU"
    name = next((line.split(":", 1)[1].strip() for line in info.splitlines() if line.startswith("model name")), "CPU")
    flags = set(next((line.split(":", 1)[1].split() for line in info.splitlines() if line.startswith("flags")), []))
    shown = [label for flag, label in (("avx2", "AVX2"), ("avx512f", "AVX-512"), ("avx512_bf16", "AVX512-BF16"),
                                       ("avx512_vnni", "VNNI"), ("amx_tile", "AMX")) if flag in flags]
    return f"{name} ({', '.join(shown) or 'no AVX2'})"


def startup_figures(repeats: int) -> list[tuple[str, float]]:
    """Median wall time of a bare interpreter, `leshan-pub --help`, and a command that loads no engine."""
    python = sys.executable
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT / "src"), os.environ.get("PYTHONPATH")]))}
    commands = [
        ("python -c pass", [python, "-c", "pass"]),
        ("leshan-pub --help", [python, "-m", "leshan_pub", "--help"]),
        ("leshan-pub glossary list", [python, "-m", "leshan_pub", "glossary", "list", "-g", str(ROOT / "glossary" / "leshan.tsv")]),
        ("python -c 'import torch, transformers'", [python, "-c", "import torch, transformers.models.marian"]),
    ]
    figures = []
    for label, command in commands:
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            subprocess.run(command, env=env, capture_output=True, check=True)
            times.append(time.perf_counter() - start)
        figures.append((label, statistics.median(times)))
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--segments", type=int, default=64, help="segments per run (CPU; the GPU takes 32x more)")
    parser.add_argument("--length", type=int, default=40, help="target tokens per segment, end token included")
    parser.add_argument("--repeats", type=int, default=2, help="interleaved rounds; the best of them is shown")
    parser.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"),
                        help="auto: the CPU rows, and the GPU rows when CUDA is present; cpu: CPU only; cuda: GPU only")
    parser.add_argument("--model", type=Path, help="a saved model folder to use instead of building one")
    parser.add_argument("--rows", action="append", default=[], metavar="TEXT",
                        help="run only the rows whose label holds TEXT (repeatable); the baseline always runs")
    args = parser.parse_args()

    import torch

    if args.device == "cuda" and not torch.cuda.is_available():
        sys.exit("bench_speed: --device cuda, but torch sees no CUDA device")

    print("start-up (median of 5):")
    figures = startup_figures(5)
    bare = figures[0][1]
    for label, seconds in figures:
        print(f"  {label:<42} {seconds:6.3f} s  {seconds / bare:5.1f}x bare python")

    plan = [] if args.device == "cuda" else [("cpu", CPU_SETTINGS, args.segments)]
    if args.device != "cpu" and torch.cuda.is_available():
        plan.append(("cuda", GPU_SETTINGS, args.segments * 32))
    os.environ.setdefault("LESHAN_PUB_CACHE_DIR", tempfile.mkdtemp(prefix="bench-speed-cache-"))
    with tempfile.TemporaryDirectory() as scratch:
        folder = args.model or build_tiny_marian(
            Path(scratch) / "opus-shape", shape=OPUS_SHAPE, vocab_size=OPUS_VOCAB, target_pieces=OPUS_TARGET_PIECES
        )
        for device, settings, count in plan:
            chosen = [s for s in settings if s.baseline or not args.rows or any(t in s.label for t in args.rows)]
            bench_device(folder, device, chosen, count, args)


def bench_device(folder: Path, device: str, settings: list[Setting], count: int, args: argparse.Namespace) -> None:
    import torch

    sources, terms = segments(ROOT / "glossary" / "leshan.tsv", count)
    none: list[list[Term]] = [[] for _ in sources]
    engines: dict[str, tuple[Engine, FixedLength]] = {}
    for setting in settings:
        changes = {"batch_size": 32, "num_beams": 4, **setting.changes}
        options = EngineOptions(model=str(folder), device=device, progress=False, **changes)
        try:
            engine = load_engine(setting.engine, options)
            if engine.name != setting.engine:
                print(f"skipped {setting.label}: fell back to {engine.name}")
                continue
            # Warm-up (first-call allocations; on a GPU compilation, so a full batch) is not decoding speed.
            # On the CPU every segment is warmed with its terms, so that each term's renderings (asked of
            # the model once per term and run) are known before the first timed round, as in later ones.
            warm = changes["batch_size"] if device == "cuda" else len(sources)
            engine.translate(sources[:warm], terms[:warm])
            engine.translate(sources[:4], none[:4])
        except Exception as exc:  # a GPU row this machine cannot run: say so and go on
            print(f"skipped {setting.label}: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}")
            continue
        engines[setting.label] = (engine, FixedLength(engine, args.length))
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    gpu = f", {torch.cuda.get_device_name()}" if device == "cuda" else ""
    if not engines:
        print(f"\n{device}: no row could run")
        return
    tokenizer = next(iter(engines.values()))[0].tokenizer
    english = english_ids(tokenizer)
    side = f"English {len(english):,} of {len(tokenizer):,} ids" if english else f"{len(tokenizer):,} ids, all English"
    print(f"\n{device}{gpu}: {cpu_model()}, {cpus} CPUs, torch threads {torch.get_num_threads()}; {count} segments x "
          f"{args.length} target tokens, {sum(map(len, terms)) / len(terms):.1f} terms/segment; {side}; "
          f"best of {args.repeats}")
    runs: dict[tuple[str, bool], list[Run]] = {}
    for round_ in range(1, args.repeats + 1):  # interleaved, so drift in machine load hits every row alike
        for label, (engine, meter) in engines.items():
            for enforced in (False, True):
                run = timed(engine, meter, sources, terms if enforced else none)
                runs.setdefault((label, enforced), []).append(run)
                print(f"  round {round_}: {label}, terms {'on' if enforced else 'off'}: {run.seconds:.1f} s", flush=True)
        if round_ < args.repeats:  # a table after every round, so a run cut short still says something
            report(settings, engines, runs, final=False)
    report(settings, engines, runs)


def report(
    settings: list[Setting], engines: dict[str, Any], runs: dict[tuple[str, bool], list[Run]], final: bool = True
) -> None:
    def best(label: str, enforced: bool) -> Run:
        return min(runs[(label, enforced)], key=lambda r: r.seconds)

    def rate(run: Run) -> float:
        return run.delivered / run.seconds

    base_label = next(s.label for s in settings if s.baseline)
    if base_label not in engines:
        print("baseline could not run; no ratios")
        return
    baseline = rate(best(base_label, False))
    header = f"{'engine and setting':<48} {'terms':<5} {'tok/s':>8} {'x base':>7} {'overhead':>8} {'success':>8} {'decoded':>8}  repaired/redecoded/fallback"
    print(f"\n{header}")
    print("-" * len(header))
    fastest = ("", 0.0)
    defaults: dict[str, tuple[str, float]] = {}  # per engine, its row with default settings, enforced
    for setting in settings:
        if setting.label not in engines:
            continue
        # Each round times a row's two runs back to back: their ratio, round by round, cancels the drift
        # of a shared machine's load that a ratio of two bests does not.
        paired = [1 - rate(on) / rate(off) for off, on in zip(runs[(setting.label, False)], runs[(setting.label, True)])]
        for enforced in (False, True):
            run = best(setting.label, enforced)
            tps = rate(run)
            overhead = f"{statistics.median(paired):8.1%}" if enforced else " " * 8
            success = f"{run.placed / run.wanted:8.3f}" if run.wanted else "     n/a"
            counts = "/".join(map(str, run.counts)) if run.counts and enforced else ""
            print(f"{setting.label:<48} {'on' if enforced else 'off':<5} {tps:8.1f} {tps / baseline:7.2f} {overhead} "
                  f"{success} {run.decoded / run.delivered:8.2f}  {counts}")
            # The headline compares like with like: the baseline's beam size (greedy rows are shown, not counted).
            same_search = setting.changes.get("num_beams", 4) == 4
            if enforced and same_search and run.placed == run.wanted and tps > fastest[1]:
                fastest = (setting.label, tps)
            if enforced and not setting.changes and run.placed == run.wanted:
                defaults[setting.engine] = (setting.label, tps)
    print(f"fastest at beam 4 with enforcement on and term success 1.0: {fastest[0]} "
          f"({fastest[1] / baseline:.1f}x the baseline)")
    # The headline: the fastest engine with its default settings (beam 4, its default precision, repair
    # and placement), enforcement on, every term placed; a faster non-default row is shown above.
    label, tps = max(defaults.values(), key=lambda row: row[1], default=("", 0.0))
    print(f"fastest engine with its default settings: {label}")
    print(f"{'speedup' if final else 'speedup so far'} {tps / baseline:.1f}", flush=True)


if __name__ == "__main__":
    main()
