"""Where enforced terms land, on a small MarianMT model trained to prefer a wrong rendering of every term.

Trains (or reuses) a model, translates its test sentences with and without glossary enforcement at
beams 1, 4 and 8 (transformers), and at beam 4 with the ctranslate2 engine and with term_repair
"continue", and prints, against the true references: whole-word term success, chrF, exact matches,
sentences with a term written twice, sentences still carrying the wrong rendering, the length ratio,
and how many sentences needed the last-resort placement.

--model placement: the model of tests/placement.py (63 sentences, each term also taught alone);
--model no-alone: the same without the terms alone, so it cannot say how it renders a term;
--model compositional: tests/compositional.py's template model, which reads its source but never
saw a term alone: every term is placed by the fallback (what the draft owes to the term's Chinese).
--model grammar: tests/grammar.py's grammar set, a model that prefers renderings of another number or
first sound; prints term success (forms counted), agreement errors and English as a reader accepts it,
for both engines at beam 4, each repair.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the model builder and the cases live with the tests

from compositional import compositional_data, train_compositional_model  # noqa: E402
from grammar import grammar_cases, measure_grammar, train_grammar_model  # noqa: E402
from placement import PlacementCase, measure, placement_cases, train_placement_model, wrong_renderings  # noqa: E402

from leshan_pub.engines import EngineOptions, load_engine  # noqa: E402
from leshan_pub.terms import Term  # noqa: E402

HEADER = ("engine", "beams", "enforced", "term success", "chrF", "exact", "term twice", "wrong left", "length", "last resort", "s")


def listed(case: PlacementCase) -> list[Term]:
    """The case's terms with the model's wrong rendering listed as forbidden, as a terminologist who knows it would."""
    wrong = wrong_renderings()
    return [replace(t, forbidden=(*t.forbidden, wrong[t.source][0])) for t in case.terms]


def run(
    folder: Path, cases: list[PlacementCase], beams: int, enforced: bool, forbid: bool = False,
    engine_name: str = "transformers", repair: str = "splice", placement: str = "owed", precision: str = "auto",
) -> tuple[str, ...]:
    engine = load_engine(engine_name, EngineOptions(
        model=str(folder), num_beams=beams, batch_size=16, progress=False, device="cpu", term_repair=repair,
        placement=placement, precision=precision if engine_name == "transformers" else "auto",
    ))
    start = time.perf_counter()
    terms = [(listed(c) if forbid else list(c.terms)) if enforced else [] for c in cases]
    results = engine.translate([c.source for c in cases], terms)
    elapsed = time.perf_counter() - start
    figures = measure([r.text for r in results], cases)
    n = figures.sentences
    return (
        engine_name + (", continue" if repair == "continue" else "") + (", attention" if placement == "attention" else ""),
        str(beams),
        ("yes, wrong listed" if forbid else "yes") if enforced else "no",
        f"{figures.term_success:.3f}",
        f"{figures.chrf:.1f}",
        f"{figures.exact}/{n}",
        f"{figures.twice}/{n}",
        f"{figures.wrong_left}/{n}",
        f"{figures.length_ratio:.2f}",
        f"{sum(r.fallback_used for r in results)}/{n}" if enforced else "-",
        f"{elapsed:.1f}",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model-dir", type=Path, default=ROOT / "build" / "placement-model")
    parser.add_argument("--beams", type=int, nargs="+", default=[1, 4, 8])
    parser.add_argument("--show", type=int, default=0, help="print this many enforced outputs at the first beam size")
    parser.add_argument("--model", choices=("placement", "no-alone", "compositional", "grammar"), default="placement",
                        help="which trained model to measure on (see above)")
    parser.add_argument("--precision", choices=("auto", "float32", "bfloat16"), default="auto",
                        help="the transformers engine's: float32 reads placement in float32 even on a CPU with "
                             "bfloat16 instructions, where auto reads it in bfloat16; bfloat16 decodes in it too "
                             "(on such a CPU only)")
    args = parser.parse_args()

    import torch

    torch.set_num_threads(1)
    start = time.perf_counter()
    if args.model == "grammar":
        grammar(args.model_dir.with_name("grammar-model"), start)
        return
    if args.model == "compositional":
        folder = train_compositional_model(args.model_dir.with_name("compositional-model"), log=True)
        cases = compositional_data()[1]
    else:
        no_alone = args.model == "no-alone"
        model_dir = args.model_dir.with_name(args.model_dir.name + "-no-alone") if no_alone else args.model_dir
        folder = train_placement_model(model_dir, log=True, alone=not no_alone)
        cases = placement_cases()
    terms = sum(len(c.terms) for c in cases)
    print(f"model {folder} ready in {time.perf_counter() - start:.0f} s; {len(cases)} sentences "
          f"({sum(c.origin == 'sample' for c in cases)} from the sample), {terms} term occurrences")
    import os
    import tempfile

    os.environ.setdefault("LESHAN_PUB_CACHE_DIR", tempfile.mkdtemp(prefix="bench-placement-cache-"))
    learned = load_engine("transformers", EngineOptions(model=str(folder), num_beams=4, progress=False, device="cpu"))
    plain = learned.translate([c.source for c in cases], [[] for _ in cases])
    print(f"learned: unenforced beam-4 output equals the taught (wrong-rendering) English for "
          f"{sum(r.text == c.taught for r, c in zip(plain, cases))}/{len(cases)} sentences")
    rows = [HEADER]
    for beams in args.beams:
        for enforced in (False, True):
            rows.append(run(folder, cases, beams, enforced, precision=args.precision))
    # The same, with each wrong rendering listed in the glossary as forbidden (found in the draft by name).
    rows.append(run(folder, cases, 4, True, forbid=True, precision=args.precision))
    # Decoding again after the placed terms, and the ctranslate2 engine (int8) at beam 4.
    rows.append(run(folder, cases, 4, True, repair="continue", precision=args.precision))
    rows.append(run(folder, cases, 4, False, engine_name="ctranslate2"))
    rows.append(run(folder, cases, 4, True, engine_name="ctranslate2"))
    # Cross-attention alone where the rendering is not found: cheaper, and what it costs in placement.
    rows.append(run(folder, cases, 4, True, placement="attention", precision=args.precision))
    rows.append(run(folder, cases, 4, True, engine_name="ctranslate2", placement="attention"))
    widths = [max(len(r[i]) for r in rows) for i in range(len(HEADER))]
    for k, row in enumerate(rows):
        print("| " + " | ".join(cell.ljust(w) for cell, w in zip(row, widths)) + " |")
        if k == 0:
            print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    if args.show:
        engine = load_engine(
            "transformers", EngineOptions(model=str(folder), num_beams=args.beams[0], progress=False, device="cpu")
        )
        for case, result in zip(cases[: args.show], engine.translate([c.source for c in cases[: args.show]],
                                                                      [list(c.terms) for c in cases[: args.show]])):
            print(f"\n  ref: {case.reference}\n  out: {result.text}")


def grammar(folder: Path, start: float) -> None:
    """The grammar set (tests/grammar.py) on both engines at beam 4: plain, then each repair."""
    import os
    import tempfile

    folder = train_grammar_model(folder)
    cases = grammar_cases()
    print(f"model {folder} ready in {time.perf_counter() - start:.0f} s; {len(cases)} sentences")
    os.environ.setdefault("LESHAN_PUB_CACHE_DIR", tempfile.mkdtemp(prefix="bench-placement-cache-"))
    header = ("engine", "enforced", "repair", "term success", "agreement errors", "as a reader accepts", "s")
    rows = [header]
    for name in ("transformers", "ctranslate2"):
        for enforced, repair in ((False, "splice"), (True, "splice"), (True, "continue")):
            engine = load_engine(name, EngineOptions(model=str(folder), num_beams=4, progress=False, device="cpu",
                                                     term_repair=repair))
            began = time.perf_counter()
            results = engine.translate([c.source for c in cases], [list(c.terms) if enforced else [] for c in cases])
            figures = measure_grammar([r.text for r in results], cases)
            rows.append((name, "yes" if enforced else "no", repair if enforced else "-", f"{figures.term_success:.2f}",
                         str(figures.agreement_errors), f"{figures.exact}/{figures.sentences}",
                         f"{time.perf_counter() - began:.1f}"))
            for result, case in zip(results, cases):
                if enforced and result.text != case.reference:
                    print(f"  {name} {repair}: {result.text!r} (a reader accepts {case.reference!r})")
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    for k, row in enumerate(rows):
        print("| " + " | ".join(cell.ljust(w) for cell, w in zip(row, widths)) + " |")
        if k == 0:
            print("|" + "|".join("-" * (w + 2) for w in widths) + "|")


if __name__ == "__main__":
    main()
