"""Where enforced terms land, on a small MarianMT model trained to prefer a wrong rendering of every term.

Trains (or reuses) a model, translates its test sentences with and without glossary enforcement at
beams 1, 4 and 8 (transformers), and at beam 4 with the ctranslate2 engine and with term_repair
"continue", and prints, against the true references: whole-word term success, chrF, exact matches,
sentences with a term written twice, sentences still carrying the wrong rendering, the length ratio,
and how many sentences needed the last-resort placement.

--model placement: the model of tests/placement.py (63 sentences, each term also taught alone);
--model no-alone: the same without the terms alone, so it cannot say how it renders a term;
--model compositional: tests/compositional.py's template model, which reads its source but never
saw a term alone: every term is placed by the fallback (what the draft owes to the term's Chinese);
--model memorised: a model that never saw a term alone and has memorised whole sentences, with the
true English learnt everywhere but on the term (tests/placement.py memorised_pairs): it knows where a
term goes but never writes it, the hard case for locating its rendering.
--model grammar: tests/grammar.py's grammar set, a model that prefers renderings of another number or
first sound; prints term success (forms counted), agreement errors and English as a reader accepts it,
for both engines at beam 4, each repair.

--table MODEL...: the placement table of docs/placement.md instead: per model, both engines at beam 4,
unenforced and every placement mode, with term success, chrF and exact sentences against the true
English, sentences with the wrong rendering left, sentences with a term at an edge where the true
English has it inside, and the time against unenforced decoding of the same engine (best of --repeat).
--traditional adds the same rows for the sources in traditional script (OpenCC s2t), which the models
never saw, once per --model-scripts value (the engine option model_script: zh-Hans, the default, feeds
the model the simplified form; as-written feeds the traditional text): measured against the same
engine's own unenforced English of that input with each term's wrong rendering swapped for the term
(what a perfect placement would give on that draft), and against the same engine's English for the
simplified sources in the same mode: "same place" counts the sentences where every term occurrence has
the same words before it, "same English" the sentences whose English is identical.
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
from placement import (  # noqa: E402
    PlacementCase, measure, placement_cases, train_memorised_model, train_placement_model, wrong_renderings,
)

from leshan_pub.engines import EngineOptions, load_engine  # noqa: E402
from leshan_pub.forms import indefinite_article  # noqa: E402
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


MODES = (  # (row name, enforced, term_repair, placement)
    ("unenforced", False, "splice", "owed"),
    ("owed (splice)", True, "splice", "owed"),
    ("attention", True, "splice", "attention"),
    ("continue", True, "continue", "owed"),
    ("judgement", True, "splice", "judgement"),
)
TABLE_HEADER = ("model", "engine", "mode", "term success", "chrF", "exact", "wrong left", "edge", "s", "x unenforced",
                "same place", "same English")


def words_before(text: str, term: Term) -> list[tuple[str, ...]]:
    """Per whole-word occurrence of term in text, the lower-cased words before it."""
    import re

    from leshan_pub.quality.enforce import term_spans

    return [tuple(re.findall(r"[a-z0-9]+", text[:a].lower())) for a, _ in term_spans(text, term)]


def same_place(text: str, simplified: str, terms: list[Term]) -> bool:
    """True when every occurrence of every term stands after the same words in text as in simplified."""
    return text == simplified or all(words_before(text, t) == words_before(simplified, t) for t in dict.fromkeys(terms))


def swapped(text: str, case: PlacementCase) -> str:
    """text with each whole-word wrong rendering of the case's terms replaced by the term (keeping a capital)."""
    import re

    wrong = wrong_renderings()
    for term in dict.fromkeys(case.terms):
        rendering = wrong[term.source][0]
        pattern = re.compile(rf"(?<![A-Za-z0-9]){re.escape(rendering)}(s?)(?![A-Za-z0-9])", re.IGNORECASE)
        text = pattern.sub(lambda m: (term.target[:1].upper() + term.target[1:] if m.group(0)[:1].isupper()
                                      else term.target) + m.group(1), text)
    return text


def trained(name: str, model_dir: Path) -> Path:
    """The folder of the trained model called name (trained here, or reused)."""
    if name == "memorised":
        return train_memorised_model(model_dir.with_name(model_dir.name + "-memorised"), log=True)
    if name == "no-alone":
        return train_placement_model(model_dir.with_name(model_dir.name + "-no-alone"), log=True, alone=False)
    return train_placement_model(model_dir, log=True)


def table(
    models: list[str], model_dir: Path, repeat: int, traditional: bool, mode_names: list[str] | None,
    model_scripts: list[str] | None = None, engines: list[str] | None = None,
) -> list[tuple[str, ...]]:
    """The rows of the placement table (see the module docstring)."""
    import opencc

    from leshan_pub.script import AS_WRITTEN, MODEL_SCRIPT_DEFAULT

    cases = placement_cases()
    scripts = [("", [c.source for c in cases], MODEL_SCRIPT_DEFAULT)]  # (row suffix, sources, model_script)
    if traditional:
        converted = [opencc.OpenCC("s2t").convert(c.source) for c in cases]
        for fed in model_scripts or [MODEL_SCRIPT_DEFAULT, AS_WRITTEN]:
            scripts.append((" (traditional" + (", as-written" if fed == AS_WRITTEN else "") + ")", converted, fed))
    rows = [TABLE_HEADER]
    for name in models:
        folder = trained(name, model_dir)
        for engine_name in engines or ("transformers", "ctranslate2"):
            simplified: dict[str, list[str]] = {}  # mode -> the English of the simplified sources
            for script, sources, fed in scripts:
                base = None
                truth = cases
                for mode, enforced, repair, placement in MODES:
                    if mode_names and mode not in mode_names and mode != "unenforced":
                        continue
                    engine = load_engine(engine_name, EngineOptions(
                        model=str(folder), num_beams=4, batch_size=16, progress=False, device="cpu",
                        term_repair=repair, placement=placement, model_script=fed,
                    ))
                    engine.translate(sources[:2], [list(c.terms) for c in cases[:2]])  # warm: the terms alone, caches
                    indefinite_article("term")  # warm: the first a/an fitted imports inflect, seconds once per process
                    times = []
                    for _ in range(repeat):
                        start = time.perf_counter()
                        results = engine.translate(sources, [list(c.terms) if enforced else [] for c in cases])
                        times.append(time.perf_counter() - start)
                    elapsed = min(times)
                    base = elapsed if not enforced else base
                    if script and not enforced:  # traditional: the model's own English, terms swapped in
                        truth = [replace(c, reference=swapped(r.text, c)) for c, r in zip(cases, results)]
                    f = measure([r.text for r in results], truth)
                    uncertain = sum(rec.detail == "uncertain place" for r in results for rec in r.terms)
                    n = f.sentences
                    texts = [r.text for r in results]
                    if not script:
                        simplified[mode] = texts
                        placed = same = "-"
                    else:  # against the simplified sources' English in the same mode
                        placed = f"{sum(same_place(t, s, list(c.terms)) for t, s, c in zip(texts, simplified[mode], cases))}/{n}" if enforced else "-"
                        same = f"{sum(t == s for t, s in zip(texts, simplified[mode]))}/{n}"
                    rows.append((
                        name + script, engine_name, mode + (f", {uncertain} uncertain" if uncertain else ""),
                        f"{f.term_success:.3f}", f"{f.chrf:.1f}", f"{f.exact}/{n}", f"{f.wrong_left}/{n}",
                        f"{f.edge}/{n}", f"{elapsed:.2f}", f"{elapsed / base:.2f}" if base else "-", placed, same,
                    ))
                    print(" | ".join(rows[-1]), flush=True)
    return rows


def print_rows(rows: list[tuple[str, ...]]) -> None:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for k, row in enumerate(rows):
        print("| " + " | ".join(cell.ljust(w) for cell, w in zip(row, widths)) + " |")
        if k == 0:
            print("|" + "|".join("-" * (w + 2) for w in widths) + "|")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--table", nargs="+", choices=("placement", "no-alone", "memorised"),
                        help="print the placement table for these models (see above)")
    parser.add_argument("--modes", nargs="+", choices=[m[0] for m in MODES], help="--table: only these modes")
    parser.add_argument("--engines", nargs="+", choices=("transformers", "ctranslate2"), help="--table: only these engines")
    parser.add_argument("--repeat", type=int, default=1, help="--table: timed runs per row, the fastest kept")
    parser.add_argument("--traditional", action="store_true",
                        help="--table and --model grammar: also the sources in traditional script")
    parser.add_argument("--model-scripts", nargs="+", choices=("zh-Hans", "as-written"),
                        help="--traditional: the model_script values to run the traditional rows with (default: both)")
    parser.add_argument("--model-dir", type=Path, default=ROOT / "build" / "placement-model")
    parser.add_argument("--beams", type=int, nargs="+", default=[1, 4, 8])
    parser.add_argument("--show", type=int, default=0, help="print this many enforced outputs at the first beam size")
    parser.add_argument("--model", choices=("placement", "no-alone", "compositional", "memorised", "grammar"),
                        default="placement",
                        help="which trained model to measure on (see above)")
    parser.add_argument("--precision", choices=("auto", "float32", "bfloat16"), default="auto",
                        help="the transformers engine's: float32 reads placement in float32 even on a CPU with "
                             "bfloat16 instructions, where auto reads it in bfloat16; bfloat16 decodes in it too "
                             "(on such a CPU only)")
    args = parser.parse_args()

    import os
    import tempfile

    import torch

    torch.set_num_threads(1)
    os.environ.setdefault("LESHAN_PUB_CACHE_DIR", tempfile.mkdtemp(prefix="bench-placement-cache-"))
    if args.table:
        print_rows(table(args.table, args.model_dir, args.repeat, args.traditional, args.modes, args.model_scripts,
                         args.engines))
        return
    start = time.perf_counter()
    if args.model == "grammar":
        grammar(args.model_dir.with_name("grammar-model"), start, args.traditional)
        return
    if args.model == "compositional":
        folder = train_compositional_model(args.model_dir.with_name("compositional-model"), log=True)
        cases = compositional_data()[1]
    else:
        folder = trained(args.model, args.model_dir)
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


def grammar(folder: Path, start: float, traditional: bool = False) -> None:
    """The grammar set (tests/grammar.py) on both engines at beam 4: plain, then each repair; with traditional,
    then the default repair on the sources in traditional script, fed as simplified and as written."""
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
    print_rows(rows)
    if traditional:
        grammar_traditional(folder, cases)


def grammar_traditional(folder: Path, cases: list) -> None:
    """The grammar set's sources in traditional script (OpenCC s2t), enforced (splice), per model_script,
    against the simplified sources' English of the same engine."""
    import opencc

    converted = [opencc.OpenCC("s2t").convert(c.source) for c in cases]
    header = ("engine", "input", "term success", "agreement errors", "as a reader accepts", "same English", "s")
    rows = [header]
    for name in ("transformers", "ctranslate2"):
        own: list[str] = []
        for label, sources, fed in (("simplified", [c.source for c in cases], "zh-Hans"),
                                    ("traditional", converted, "zh-Hans"), ("traditional, as-written", converted, "as-written")):
            engine = load_engine(name, EngineOptions(model=str(folder), num_beams=4, progress=False, device="cpu",
                                                     model_script=fed))
            began = time.perf_counter()
            texts = [r.text for r in engine.translate(sources, [list(c.terms) for c in cases])]
            own = own or texts
            figures = measure_grammar(texts, cases)
            rows.append((name, label, f"{figures.term_success:.2f}", str(figures.agreement_errors),
                         f"{figures.exact}/{figures.sentences}", f"{sum(t == o for t, o in zip(texts, own))}/{len(cases)}",
                         f"{time.perf_counter() - began:.1f}"))
    print_rows(rows)


if __name__ == "__main__":
    main()
