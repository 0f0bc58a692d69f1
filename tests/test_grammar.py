"""The grammar set on a model trained to prefer renderings of another number or first sound (tests/grammar.py).

Both engines at beam 4 must give each term in the form its sentence needs, with the marked article,
verb or determiner fitted to it, and lose or overwrite no word: the English a reader accepts.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import trained_in_cache
from grammar import grammar_cases, measure_grammar, train_grammar_model

from leshan_pub.engines import EngineOptions, load_engine

pytest.importorskip("ctranslate2")


@pytest.fixture(scope="session")
def grammar_model(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return trained_in_cache(request, tmp_path_factory, "grammar-model", train_grammar_model)


@pytest.fixture(scope="module")
def in_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("ct2-cache")


def _translate(folder: Path, engine: str, **options: object) -> list[str]:
    cases = grammar_cases()
    loaded = load_engine(engine, EngineOptions(model=str(folder), num_beams=4, progress=False, device="cpu", **options))
    return [t.text for t in loaded.translate([c.source for c in cases], [list(c.terms) for c in cases])]


def test_the_model_learned_the_wrong_number_and_sound(grammar_model):
    cases = grammar_cases()
    engine = load_engine("transformers", EngineOptions(model=str(grammar_model), num_beams=4, progress=False))
    plain = [t.text for t in engine.translate([c.source for c in cases], [[] for _ in cases])]
    assert sum(p == c.taught for p, c in zip(plain, cases)) >= len(cases) - 1
    assert measure_grammar(plain, cases).agreement_errors >= 6


@pytest.mark.parametrize("engine", ["transformers", "ctranslate2"])
def test_terms_take_the_form_and_the_agreeing_words_their_sentence_needs(grammar_model, in_cache, monkeypatch, engine):
    # Measured (scripts/bench_placement.py --model grammar, beam 4): transformers 17/17 as a reader
    # accepts; ctranslate2 16/17, the 17th an int8 slip in a word no term touches ('ex' for 'Leshan').
    monkeypatch.setenv("LESHAN_PUB_CACHE_DIR", str(in_cache))
    cases = grammar_cases()
    outputs = _translate(grammar_model, engine)
    figures = measure_grammar(outputs, cases)
    assert figures.term_success == 1.0
    assert figures.agreement_errors == 0, [(o, c.reference) for o, c in zip(outputs, cases) if o != c.reference]
    assert figures.exact >= len(cases) - 1
