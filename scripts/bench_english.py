"""English-only output against the whole vocabulary, on the trained placement models.

Both engines write English in the model's English pieces only (vocabularies.english_ids): the
transformers engine bars the rest through the output bias, ctranslate2 decodes under a vocabulary
map. This translates each trained model's test sentences both ways, with each engine, at beams 1
and 4, with and without the glossary, and counts the sentences whose English is the same; any that
differ are printed. A random model proves nothing here: its scores spread over every id.

    python scripts/bench_english.py placement compositional

Trains the models into build/ on first use (about two and four minutes of CPU), as
scripts/bench_placement.py does.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the trained models' builders and cases live with the tests

from compositional import compositional_data, train_compositional_model  # noqa: E402
from placement import placement_cases, train_placement_model  # noqa: E402

from leshan_pub.engines import EngineOptions, load_engine, marian  # noqa: E402


def english(folder: Path, cases: list, engine_name: str, english_only: bool, enforced: bool, beams: int) -> list[str]:
    """The engine's English for the cases; english_only=False decodes over the whole vocabulary."""
    saved = marian.write_english_only
    if not english_only:
        marian.write_english_only = lambda *args: None
    try:
        engine = load_engine(engine_name, EngineOptions(model=str(folder), num_beams=beams, progress=False, device="cpu"))
    finally:
        marian.write_english_only = saved
    if engine_name == "ctranslate2" and not english_only:
        engine._english_only = False  # type: ignore[attr-defined]
    terms = [list(c.terms) if enforced else [] for c in cases]
    return [t.text for t in engine.translate([c.source for c in cases], terms)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("models", nargs="+", choices=("placement", "compositional"))
    args = parser.parse_args()
    os.environ.setdefault("LESHAN_PUB_CACHE_DIR", tempfile.mkdtemp(prefix="bench-english-cache-"))
    for name in args.models:
        if name == "compositional":
            folder, cases = train_compositional_model(ROOT / "build" / "compositional-model"), compositional_data()[1]
        else:
            folder, cases = train_placement_model(ROOT / "build" / "placement-model", alone=True), placement_cases()
        for engine_name in ("transformers", "ctranslate2"):
            for beams in (1, 4):
                for enforced in (False, True):
                    only = english(folder, cases, engine_name, True, enforced, beams)
                    whole = english(folder, cases, engine_name, False, enforced, beams)
                    same = sum(a == b for a, b in zip(only, whole))
                    print(f"{name} {engine_name} beam {beams} {'glossary' if enforced else 'plain'}: "
                          f"{same}/{len(cases)} the same", flush=True)
                    for a, b in zip(only, whole):
                        if a != b:
                            print(f"  english only: {a}\n  whole vocab:  {b}")


if __name__ == "__main__":
    main()
