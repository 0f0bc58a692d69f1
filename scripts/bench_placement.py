"""Where enforced terms land, on a small MarianMT model trained to prefer a wrong rendering of every term.

Trains (or reuses) the model of tests/placement.py, translates its sentences with and without glossary
enforcement at beams 1, 4 and 8, and prints, against the true references: whole-word term success,
chrF, exact matches, sentences with a term written twice, sentences still carrying the wrong rendering,
the length ratio, and how many sentences needed the last-resort placement.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the model builder and the cases live with the tests

from placement import PlacementCase, measure, placement_cases, train_placement_model, wrong_renderings  # noqa: E402

from leshan_pub.engines import EngineOptions, load_engine  # noqa: E402
from leshan_pub.terms import Term  # noqa: E402

HEADER = ("beams", "enforced", "term success", "chrF", "exact", "term twice", "wrong left", "length", "last resort", "s")


def listed(case: PlacementCase) -> list[Term]:
    """The case's terms with the model's wrong rendering listed as forbidden, as a terminologist who knows it would."""
    wrong = wrong_renderings()
    return [replace(t, forbidden=(*t.forbidden, wrong[t.source][0])) for t in case.terms]


def run(folder: Path, cases: list[PlacementCase], beams: int, enforced: bool, forbid: bool = False) -> tuple[str, ...]:
    engine = load_engine(
        "transformers", EngineOptions(model=str(folder), num_beams=beams, batch_size=16, progress=False, device="cpu")
    )
    start = time.perf_counter()
    terms = [(listed(c) if forbid else list(c.terms)) if enforced else [] for c in cases]
    results = engine.translate([c.source for c in cases], terms)
    elapsed = time.perf_counter() - start
    figures = measure([r.text for r in results], cases)
    n = figures.sentences
    return (
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
    args = parser.parse_args()

    import torch

    torch.set_num_threads(1)
    start = time.perf_counter()
    folder = train_placement_model(args.model_dir, log=True)
    cases = placement_cases()
    terms = sum(len(c.terms) for c in cases)
    print(f"model {folder} ready in {time.perf_counter() - start:.0f} s; {len(cases)} sentences "
          f"({sum(c.origin == 'sample' for c in cases)} from the sample), {terms} term occurrences")
    learned = load_engine("transformers", EngineOptions(model=str(folder), num_beams=4, progress=False, device="cpu"))
    plain = learned.translate([c.source for c in cases], [[] for _ in cases])
    print(f"learned: unenforced beam-4 output equals the taught (wrong-rendering) English for "
          f"{sum(r.text == c.taught for r, c in zip(plain, cases))}/{len(cases)} sentences")
    rows = [HEADER]
    for beams in args.beams:
        for enforced in (False, True):
            rows.append(run(folder, cases, beams, enforced))
    # The same, with each wrong rendering listed in the glossary as forbidden (found in the draft by name).
    rows.append(run(folder, cases, 4, True, forbid=True))
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


if __name__ == "__main__":
    main()
