"""Placement by the model's judgement (engines/judgement.py, a step of the shared repair): which candidate
sentence is kept, when a place is uncertain (its term record), that the replaced words never stay beside
the term; and on a trained model that knows where a term goes but never writes it (tests/placement.py
memorised_pairs), what a reader sees.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from placement import PlacementCase, measure, placement_cases, train_memorised_model

from leshan_pub.document import TermMethod
from leshan_pub.engines import EngineOptions, load_engine
from leshan_pub.engines.judgement import UNCERTAIN, judge
from leshan_pub.engines.repair import term_records
from leshan_pub.quality.enforce import missing_terms
from leshan_pub.terms import Term

DRAFT = "Famous Tzukung lamps glow at night."


@pytest.fixture(scope="module")
def vocab(tiny_marian_dir):
    from transformers import MarianTokenizer

    from leshan_pub.engines.spelling import TargetVocab

    return TargetVocab(MarianTokenizer.from_pretrained(tiny_marian_dir))


class ScriptedJudge:
    """The judgement's side of a RepairModel: writes `rest` after any prefix (keeping out nothing itself)
    and scores sentences by `scores` (text -> nats)."""

    def __init__(self, vocab, rest: str, scores: dict[str, float]) -> None:
        self.vocab, self.tokenizer, self.max_length = vocab, vocab.tokenizer, 64
        self.rest, self.scores = rest, scores
        self.completed: list[tuple[list[int], tuple]] = []  # (prefix, kept-out sequences) per request

    def decode_after(self, rows, prefixes, kept_out=None, beams=None):
        self.completed += list(zip(prefixes, kept_out or [() for _ in prefixes]))
        return [[*p, *self.vocab.encode(self.rest), self.vocab.eos_id] for p in prefixes]

    def token_scores(self, rows, english):  # the sentence's score on its end token: the term's pieces score nothing
        return [[0.0] * (len(ids) - 1) + [self.scores.get(self.vocab.text(ids), -50.0)] for ids in english]


ZIGONG = Term("自贡", "Zigong")


def _judged(vocab, model: ScriptedJudge, draft: str = DRAFT):
    from leshan_pub.engines.spelling import Anchor, SegmentPlan, spell_term

    plan = SegmentPlan([spell_term(vocab, ZIGONG)])
    ids = [*vocab.encode(draft), vocab.eos_id]
    text = [vocab.text(ids[:j]) for j in range(len(ids))]
    at = next(j for j in range(len(ids)) if text[j] == "Famous")  # where 'Tzukung' begins: the owed words
    end = next(j for j in range(len(ids)) if text[j] == "Famous Tzukung")
    anchor = Anchor(before=(), displaced=tuple(ids[at:end]), after=ids[end], at=at)
    asked: list[list[int]] = []

    def place(judge_model, rows, current, plans):
        assert judge_model is model
        asked.append(rows)
        return [{0: [anchor]} for _ in rows], [[0] for _ in rows]

    result = judge(model, [0], [ids], [plan], place=place)[0]
    text = vocab.text(result.ids)
    [record] = term_records([ZIGONG], draft, text, result.anchors, plan)
    return text, result, record, asked


def test_the_sentence_the_model_scores_best_is_kept(vocab):
    model = ScriptedJudge(vocab, "lamps glow at night.", {
        "Famous Zigong lamps glow at night.": -3.0,  # the model's choice
        "Zigong lamps glow at night.": -9.0,
        "Famous lamps Zigong lamps glow at night.": -12.0,
    })
    text, result, record, asked = _judged(vocab, model)
    assert text == "Famous Zigong lamps glow at night."
    assert asked == [[0]]  # one round: the term is in, nothing is read again
    assert all("Zigong" in vocab.text(list(prefix)) for prefix, _ in model.completed)  # the term is forced, the rest written
    assert (record.method, record.detail) == (TermMethod.CONTINUED, "")


def test_a_place_no_better_than_the_next_is_kept_but_marked_uncertain(vocab):
    model = ScriptedJudge(vocab, "lamps glow at night.", {
        "Famous Zigong lamps glow at night.": -3.0,
        "Zigong lamps glow at night.": -3.4,  # within MARGIN of the best
    })
    text, result, record, _ = _judged(vocab, model)
    assert text == "Famous Zigong lamps glow at night."
    assert (record.method, record.detail) == (TermMethod.PLACED, UNCERTAIN)


def test_the_replaced_words_never_stay_beside_the_term(vocab):
    # The model likes best a sentence that keeps its own rendering after the term: never chosen.
    model = ScriptedJudge(vocab, "Tzukung lamps glow at night.", {
        "Famous Zigong Tzukung lamps glow at night.": -1.0,
        "Famous Zigong lamps glow at night.": -6.0,
    })
    text, _, _, _ = _judged(vocab, model)
    assert "Tzukung" not in text and "Zigong" in text
    assert model.completed and all(kept for _, kept in model.completed)  # kept out of every completion too


# --- on a trained model that knows where each term goes but never writes it --------------------------


@pytest.fixture(scope="session")
def memorised_model(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    cache = getattr(request.config, "cache", None)
    folder = cache.mkdir("memorised-model") if cache is not None else tmp_path_factory.mktemp("memorised-model")
    threads = torch.get_num_threads()
    try:
        return train_memorised_model(Path(folder))
    finally:
        torch.set_num_threads(threads)


@pytest.mark.parametrize("engine_name", ["transformers", "ctranslate2"])
def test_judged_terms_replace_the_models_rendering_more_often_than_the_owed_words_do(
    memorised_model, engine_name, tmp_path, monkeypatch
):
    """On a model that knows where each term goes but never writes it, so that its rendering of a term is
    never found: judgement gives more true sentences, fewer wrong renderings left and fewer terms pasted
    at an edge than the owed words do (measured at beam 4: exact 21 vs 3-7 of 63, wrong left 25-29 vs
    45-46, edge 7 vs 16-22; docs/placement.md). Every term is in, and an unclear place is flagged."""
    monkeypatch.setenv("LESHAN_PUB_CACHE_DIR", str(tmp_path))
    cases: list[PlacementCase] = placement_cases()
    figures = {}
    for placement in ("owed", "judgement"):
        engine = load_engine(engine_name, EngineOptions(
            model=str(memorised_model), num_beams=4, progress=False, device="cpu", placement=placement,
        ))
        results = engine.translate([c.source for c in cases], [list(c.terms) for c in cases])
        assert all(not missing_terms(r.text, list(c.terms)) for r, c in zip(results, cases))
        figures[placement] = measure([r.text for r in results], cases)
    owed, judged = figures["owed"], figures["judgement"]
    assert judged.exact >= owed.exact + 10  # the true English, word for word
    assert judged.wrong_left <= owed.wrong_left - 10  # the term took the rendering's place, not other words'
    assert judged.edge <= owed.edge - 5
    # Nothing pasted beside the rendering: the length comes nearer the true English's (chrF does not
    # rise with it on transformers: 85.2 vs 85.7, a term put in place of the wrong words costs as much).
    assert abs(judged.length_ratio - 1) < abs(owed.length_ratio - 1)
    # The terms went in by judgement, as their records say: continued, or placed with the place uncertain
    # (measured: 72 of 93 records on transformers; the rest are renderings found once a sentence was
    # written again, and the usual repair of the few drafts judgement could not mend).
    records = [r for result in results for r in result.terms]
    judged = [r for r in records if (r.method, r.detail) in ((TermMethod.CONTINUED, ""), (TermMethod.PLACED, UNCERTAIN))]
    assert len(judged) >= 0.6 * len(records)
