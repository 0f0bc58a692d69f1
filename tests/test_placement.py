"""Where enforced terms land, on a small MarianMT model trained to prefer a wrong rendering of every term.

The model (tests/placement.py) is trained once per session, or reused from pytest's cache when its
inputs have not changed. The enforcement tests check the English against what generate produced
(helpers.GenerateSpy): each English is a row the model generated freely with only the terms'
spellings put in, or a row generated under the constraint processor, and no call passed its length
limit.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from helpers import GenerateSpy, trained_in_cache
from placement import PlacementCase, PlacementFigures, measure, placement_cases, train_placement_model

from leshan_pub.quality.enforce import missing_terms
from leshan_pub.engines import EngineOptions, Translation, load_engine
from leshan_pub.engines.marian import MarianEngine
from leshan_pub.terms import Term


@pytest.fixture(scope="session")
def placement_model(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return trained_in_cache(request, tmp_path_factory, "placement-model", train_placement_model)


@pytest.fixture(scope="session")
def cases() -> list[PlacementCase]:
    return placement_cases()


@pytest.fixture(scope="session")
def beam4(placement_model: Path, cases: list[PlacementCase]) -> tuple[list[Translation], list[Translation], GenerateSpy, MarianEngine]:
    """Enforced and unenforced beam-4 translations of every case, and the spy that saw the enforced run;
    in float32 throughout, whatever the CPU computes."""
    engine = load_engine("transformers", EngineOptions(
        model=str(placement_model), num_beams=4, batch_size=16, progress=False, precision="float32"
    ))
    plain = engine.translate([c.source for c in cases], [[] for _ in cases])
    spy = GenerateSpy(engine)
    enforced = engine.translate([c.source for c in cases], [list(c.terms) for c in cases])
    return plain, enforced, spy, engine


def test_model_learned_the_wrong_renderings(beam4, cases):
    plain = beam4[0]
    figures = measure([t.text for t in plain], cases)
    assert figures.term_success < 0.15  # only 'second' terms ever slip through
    assert figures.wrong_left >= 0.75 * len(cases)
    assert sum(t.text == c.taught for t, c in zip(plain, cases)) >= 0.75 * len(cases)


def test_enforced_english_is_what_generate_wrote_under_the_processor(beam4, cases):
    _, enforced, spy, _ = beam4
    spy.check([t.text for t in enforced], [list(c.terms) for c in cases])


@pytest.fixture(scope="session")
def figures(beam4, cases) -> tuple[PlacementFigures, PlacementFigures]:
    plain, enforced, _, _ = beam4
    return measure([t.text for t in plain], cases), measure([t.text for t in enforced], cases)


def test_every_term_is_placed_as_whole_words(beam4, cases, figures):
    assert figures[1].term_success == 1.0
    assert [(c.source, t.text) for c, t in zip(cases, beam4[1]) if missing_terms(t.text, list(c.terms))] == []


def test_enforcement_puts_the_term_where_the_model_renders_it(figures):
    plain, enforced = figures
    # Measured at beam 4 (scripts/bench_placement.py): chrF 99.2 vs 77.5, exact 58 vs 0 of 63, wrong
    # rendering left in 0 vs 57, no term twice, length 1.00. The targets, with a little room.
    n = enforced.sentences
    assert enforced.chrf >= 95 and enforced.chrf > plain.chrf + 15
    assert enforced.exact >= 0.8 * n
    assert enforced.wrong_left <= 0.05 * n
    assert enforced.twice == 0
    assert 0.95 <= enforced.length_ratio <= 1.05


def test_placement_read_in_bfloat16_puts_terms_where_float32_does(placement_model, cases, figures, monkeypatch):
    # On a CPU with bfloat16 instructions the default precision reads drafts in bfloat16 (at about
    # twice the speed); where the terms land must not move. Forced here, so every CPU checks it.
    from leshan_pub.engines import marian

    monkeypatch.setattr(marian, "cpu_computes_bfloat16", lambda: True)
    engine = load_engine("transformers", EngineOptions(model=str(placement_model), num_beams=4, batch_size=16, progress=False, device="cpu"))
    assert engine.reads_in_bfloat16
    enforced = engine.translate([c.source for c in cases], [list(c.terms) for c in cases])
    read = measure([t.text for t in enforced], cases)
    assert read.term_success == 1.0 and read.twice == 0
    assert read.exact >= figures[1].exact - 1 and read.chrf >= figures[1].chrf - 0.5
    assert read.wrong_left <= figures[1].wrong_left


def test_a_wrong_rendering_listed_as_forbidden_is_replaced_where_it_stands(beam4, cases):
    from dataclasses import replace

    from placement import wrong_renderings

    wrong = wrong_renderings()
    engine = beam4[3]
    listed = [[replace(t, forbidden=(wrong[t.source][0],)) for t in c.terms] for c in cases]
    spy = GenerateSpy(engine)
    results = engine.translate([c.source for c in cases], listed)
    spy.check([t.text for t in results], listed)
    figures = measure([t.text for t in results], cases)
    assert figures.term_success == 1.0 and figures.wrong_left == 0
    assert figures.chrf >= 95 and figures.exact >= 0.8 * figures.sentences


# --- locating the model's own rendering in its draft ------------------------------------------------


@pytest.fixture(scope="module")
def located(placement_model: Path):
    """locate_rendering on the trained model's vocabulary: (draft text, renderings) -> the words it would replace."""
    from transformers import MarianTokenizer

    from leshan_pub.engines.spelling import TargetVocab
    from leshan_pub.engines.renderings import locate_rendering

    tokenizer = MarianTokenizer.from_pretrained(placement_model)
    vocab = TargetVocab(tokenizer)

    def locate(draft: str, renderings: list[str], taken: tuple[tuple[int, int], ...] = ()) -> tuple[str, bool] | None:
        ids = [*vocab.encode(draft), vocab.eos_id]
        found = locate_rendering(tokenizer, vocab, ids, renderings, taken)
        return None if found is None else (tokenizer.decode(ids[found[0] : found[1]]).strip(), found[2])

    return locate


def test_the_rendering_is_found_as_whole_words_and_its_number_kept(located):
    assert located("Exports of lithium cells are growing fast.", ["lithium cell"]) == ("lithium cells", True)
    assert located("The lithium cell plant in Yi Bin has started production.", ["Yi Bin"]) == ("Yi Bin", False)
    # A word that merely begins like the rendering is not it.
    assert located("The Yibinese plant has started production.", ["Yi Bin", "Yibin"]) is None


def test_a_repeated_rendering_is_found_past_the_words_taken_and_in_either_number(located):
    draft = "Lithium cell output rose, and lithium cell exports rose too."
    first = located(draft, ["lithium cell"])
    assert first == ("Lithium cell", False)
    taken = ((0, 4),)  # the first 'Lithium cell' (and more) already holds a term
    assert located(draft, ["lithium cell"], taken) == ("lithium cell", False)
    # The rendering alone was plural, the draft's is singular: found, and the draft's number kept.
    assert located("The lithium cell plant has started production.", ["lithium cells"]) == ("lithium cell", False)


def test_the_models_first_rendering_wins_over_a_longer_later_one(located):
    # n-best order: 'Yi Bin' is what the model says; a later 'rendering' that runs on into the sentence loses.
    assert located("Yi Bin is the first city on the Yangtze River.", ["Yi Bin", "Yi Bin is the first"]) == ("Yi Bin", False)


def test_function_words_and_invented_sentences_locate_nothing(located):
    assert located("The city is on the river.", ["the", "of the"]) is None
    long = "the city is developing a hydrogen power industry and more"
    assert located("The city is developing a hydrogen power industry.", [long]) is None


def test_half_of_a_made_up_sentence_locates_nothing(located):
    # A term alone that the model turns into a sentence of five words or more: found whole, or not at all.
    made_up = "Hydrogen power is a clean source"
    assert located("The city is a clean source of jobs.", [made_up]) is None
    assert located("Hydrogen power is a clean source of jobs.", [made_up]) == ("Hydrogen power is a clean source", False)
    # A short rendering may still be found by half of its words ('calculation force' garbled to 'force').
    assert located("The force of the city grows.", ["calculation force"]) == ("force", False)


@pytest.fixture(scope="module")
def sounded(placement_model: Path):
    """locate_romanised on the trained model's vocabulary: (draft text, Chinese) -> the words it would replace."""
    from transformers import MarianTokenizer

    from leshan_pub.engines.renderings import DraftWords, locate_romanised
    from leshan_pub.engines.spelling import TargetVocab

    tokenizer = MarianTokenizer.from_pretrained(placement_model)
    vocab = TargetVocab(tokenizer)

    def locate(draft: str, chinese: str, taken: tuple[tuple[int, int], ...] = ()) -> str | None:
        ids = [*vocab.encode(draft), vocab.eos_id]
        found = locate_romanised(DraftWords(tokenizer, vocab, ids), [chinese], taken)
        return None if found is None else tokenizer.decode(ids[found[0] : found[1]]).strip()

    return locate


def test_a_name_the_model_wrote_as_its_sounds_is_its_rendering(sounded):
    from leshan_pub.engines.renderings import romanisations

    assert romanisations("保乐力加") == ("baolelijia",)
    assert romanisations("樂山") == ("leshan",)  # traditional characters read as they sound
    # One character ('long' for 龙 is an English word), too few letters, or not all Han: nothing to go by.
    assert romanisations("龙") == () and romanisations("西安") == () and romanisations("5G基站") == ()
    assert sounded("In 2023, Baolelijia renewed its agreement.", "保乐力加") == "Baolelijia"
    assert sounded("The lithium cell plant in Yi Bin has started production.", "宜宾") == "Yi Bin"
    # Only the whole sound, as whole words: a word that begins like it is not it.
    assert sounded("The Yibinese plant has started production.", "宜宾") is None
    assert sounded("Yi is a city.", "宜宾") is None
    assert sounded("The yi bin is full.", "宜宾") is None  # a name is written with a capital
    assert sounded("Lining the river are trees.", "李宁") is None  # an English word that spells it
    assert sounded("Visit Xichang now.", "西昌") == "Xichang"
    # A span already taken is not used again.
    assert sounded("Yi Bin and Yi Bin.", "宜宾", taken=((0, 3),)) == "Yi Bin"


def test_half_a_rendering_found_takes_the_joined_or_capitalised_words_beside_it(located):
    # The model's rendering alone was 'Jiajiang River'; its draft says 'Jia River': half found, 'Jia' with it.
    assert located("The factories in Jia River use new technology.", ["Jiajiang River"]) == ("Jia River", False)
    # A hyphen joins the word before: no 'New-' left beside the term.
    assert located("Fostering New-quality productivity to build", ["new quality productivity"]) == (
        "New-quality productivity", False)
    # A lower-case word beside it is not widened over ('the' is no part of a name).
    assert located("The factories in the River use new technology.", ["Jiajiang River"]) == ("River", False)
    # The draft's own word for the rendering's first, before the half found: one that shares its stem
    # ('Multicrystal' for 'polycrystalline'). A word that says something else stays the draft's: a verb,
    # a number, a determiner, a quantifier, an adjective of its own, a name (first in the sentence too).
    assert located("Multicrystal silicon and solar panels are made here.", ["polycrystalline silicon"]) == (
        "Multicrystal silicon", False)
    assert located("They sell cheap multicrystal silicon.", ["polycrystalline silicon"]) == ("multicrystal silicon", False)
    for draft in ("The plant makes silicon for panels.", "They sell Leshan silicon.", "They sell cheap silicon.",
                  "The plant in Leshan sells the silicon."):
        assert located(draft, ["polycrystalline silicon"]) == ("silicon", False), draft
    for draft in ("The city has two modules in stock.", "Its modules are cheap.", "It produces many modules.",
                  "Leshan modules are cheap."):
        assert located(draft, ["photovoltaic modules"]) == ("modules", False), draft


@pytest.fixture(scope="module")
def missed(placement_model: Path):
    """near_misses on the trained model's vocabulary: (draft text, term's English) -> the runs, best first."""
    from transformers import MarianTokenizer

    from leshan_pub.engines.near_miss import near_misses
    from leshan_pub.engines.renderings import DraftWords
    from leshan_pub.engines.spelling import TargetVocab

    tokenizer = MarianTokenizer.from_pretrained(placement_model)
    vocab = TargetVocab(tokenizer)

    def find(draft: str, target: str) -> list[str]:
        ids = [*vocab.encode(draft), vocab.eos_id]
        return [tokenizer.decode(ids[a:b]).strip() for a, b, _ in near_misses(DraftWords(tokenizer, vocab, ids), Term("术语", target), ())]

    return find


def test_a_near_miss_of_the_terms_words_is_where_it_goes(missed):
    assert missed("It will build an advanced vanadium redox battery manufacturing base.", "vanadium flow battery")[0] == (
        "vanadium redox battery")
    assert missed("the output value of vanadium battery storage exceeding 50 billion yuan;",
                  "vanadium flow battery energy storage")[0] == "vanadium battery storage"
    assert missed("raising all-factor efficiency.", "total factor productivity") == ["all-factor efficiency"]
    assert missed("Loshan's lithium cell industry hub is taking shape.", "industrial cluster") == ["industry hub"]
    # Every place the words stand, best first, none over another: the model says which it takes.
    assert missed("traditional industries are giving rise to emerging industries and spawning tomorrow's industries.",
                  "future industries") == ["traditional industries", "industries", "tomorrow's industries"]  # 'emerging': a verb
    assert missed("The city is on the river.", "industrial cluster") == []
    # Words that only begin alike, or a word that only ends like the term's, are not the term's words.
    assert missed("The internet company grew fast.", "international cooperation") == []
    assert missed("It is a destination for the nation.", "nation building") == ["nation"]
    # Never over a verb, and a possessive after the run stays the draft's.
    assert missed("The whole nation's tourists came.", "tourist destination") == ["tourists"]
    assert missed("The lithium battery's life is long.", "lithium-ion battery") == ["lithium battery"]
    assert missed("Multicrystal silicon and solar panels are made here.", "polysilicon") == ["Multicrystal silicon"]
    assert missed("The new bus is open.", "new bus station") == []  # 'new', 'bus': too short to tell


def test_a_span_already_taken_is_not_used_twice(located):
    draft = "key battery pile materials, battery piles and system integration"
    first = located(draft, ["battery pile"])
    assert first == ("battery pile", False)
    # The second occurrence, once the first is taken (tokens 0..4 cover 'key battery pile').
    assert located(draft, ["battery pile"], taken=((0, 5),)) == ("battery piles", True)


# --- the fallback: the words that owe most to a term's Chinese ------------------------------------


def test_the_words_that_owe_most_to_the_term_are_taken_whole():
    from leshan_pub.engines.placement import owed_span

    tokens = ["▁The", "▁mine", "▁sal", "t", "▁plant", "▁grew", "."]
    owed = [0.1, 3.0, 2.5, 0.4, 0.2, 0.0, 0.0]
    assert owed_span(tokens, owed, [], 4) == (1, 4)  # 'mine salt': both words owe more than the floor
    assert owed_span(tokens, [0.1, 3.0, 0.3, 0.2, 0.2, 0.0, 0.0], [], 4) == (1, 2)  # 'salt' owes too little
    assert owed_span(tokens, owed, [(1, 2)], 4) == (2, 4)  # 'mine' is another term's
    assert owed_span(tokens, [0.5] * 7, [], 4) is None  # nothing owes a nat: the model left the term out


def test_where_renderings_end_is_chosen_from_one_batch_of_scores(placement_model):
    """Ends: every draft's candidate ends are scored in one call, the best-scoring end within the
    limit is taken, and a start the first run did not foresee is scored when it is asked for."""
    from transformers import MarianTokenizer

    from leshan_pub.engines.spelling import SegmentPlan, TargetVocab, spell_term
    from leshan_pub.engines.placement import Ends
    from leshan_pub.terms import Term

    tokenizer = MarianTokenizer.from_pretrained(placement_model)
    vocab = TargetVocab(tokenizer)
    plan = SegmentPlan([spell_term(vocab, Term("自贡", "Zigong"))])
    drafts = [[*vocab.encode(text), vocab.eos_id] for text in ("The Tzu kung lamps are famous.", "Lamps of Tzu kung glow.")]
    starts = [[j for j, t in enumerate(d) if j == 0 or vocab.starts_word(t)] for d in drafts]
    calls: list[int] = []

    def score_many(requests):  # prefers the run of two words ('Tzu kung'), as a model that renders 自贡 so would
        calls.append(len(requests))
        return [-abs(sum(a <= j < b for j in starts[n]) - 2) for n, (a, b, _, _, _) in requests]

    first = [starts[0][1], starts[1][2]]  # where 'Tzu' begins in each draft
    chosen: dict[int, list[tuple[int, int]]] = {0: [], 1: []}

    def place(n, found, end):
        a = first[n]
        limit = len(drafts[n]) - 1
        b = end(0, a, starts[n][starts[n].index(a) + 1], limit)  # the owed words: 'Tzu' alone
        if found is anchors[n]:
            chosen[n].append((a, b))
            if n == 1:  # a start the first run never asked about: scored on demand
                chosen[n].append((0, end(0, 0, starts[n][1], limit)))

    anchors = [{}, {}]
    Ends(vocab, drafts, [plan, plan], score_many, 512).run(anchors, place)
    words = [tokenizer.convert_ids_to_tokens(d) for d in drafts]
    assert tokenizer.convert_tokens_to_string(words[0][slice(*chosen[0][0])]).strip() == "Tzu kung"
    assert tokenizer.convert_tokens_to_string(words[1][slice(*chosen[1][0])]).strip() == "Tzu kung"
    assert tokenizer.convert_tokens_to_string(words[1][slice(*chosen[1][1])]).strip() == "Lamps of"
    assert len(calls) == 2 and calls[0] == 8  # both drafts' four candidates at once, then the unforeseen start


def test_where_a_rendering_ends_is_judged_per_token_kept_not_by_a_sum(placement_model):
    """A sum of the kept tokens' log-probabilities favours the run that keeps fewest: with the rest of
    the draft mildly less likely after the term (-0.6 a token) and the full stop alone much less likely
    (-1.5), the sum drops 'are both important' with 'Loshan' ("Sichuan opera and Leshan."). Per token
    kept, the term replaces 'Loshan' alone."""
    from transformers import MarianTokenizer

    from leshan_pub.engines.placement import Ends
    from leshan_pub.engines.spelling import SegmentPlan, TargetVocab, spell_term
    from leshan_pub.terms import Term

    tokenizer = MarianTokenizer.from_pretrained(placement_model)
    vocab = TargetVocab(tokenizer)
    plan = SegmentPlan([spell_term(vocab, Term("乐山", "Leshan"))])
    draft = [*vocab.encode("Chuan drama and Loshan are both important."), vocab.eos_id]
    starts = [j for j, t in enumerate(draft) if j == 0 or vocab.starts_word(t)]
    words = [tokenizer.convert_tokens_to_string(tokenizer.convert_ids_to_tokens(draft[a:b])).strip()
             for a, b in zip(starts, starts[1:] + [len(draft) - 1])]
    at = starts[words.index("Loshan")]
    after_loshan = starts[words.index("are")]

    def score_many(requests):
        return [-0.1 * a - (0.6 if b == after_loshan else 1.5) * (len(draft) - b) for _, (a, b, _, _, _) in requests]

    chosen: list[tuple[int, int]] = []

    def place(n, found, end):
        b = end(0, at, after_loshan, len(draft) - 1)
        if found is anchors[n]:
            chosen.append((at, b))

    anchors = [{}]
    Ends(vocab, [draft], [plan], score_many, 512).run(anchors, place)
    assert tokenizer.convert_tokens_to_string(tokenizer.convert_ids_to_tokens(draft[slice(*chosen[0])])).strip() == "Loshan"


def test_a_splice_puts_each_term_in_place_of_its_words_and_keeps_the_rest(placement_model):
    from transformers import MarianTokenizer

    from leshan_pub.engines.spelling import Anchor, SegmentPlan, TargetVocab, spell_term
    from leshan_pub.engines.placement import splice
    from leshan_pub.terms import Term

    tokenizer = MarianTokenizer.from_pretrained(placement_model)
    vocab = TargetVocab(tokenizer)
    zigong, lantern = Term("自贡", "Zigong"), Term("彩灯", "lantern", target_variants=("lanterns",))
    plan = SegmentPlan([spell_term(vocab, zigong), spell_term(vocab, lantern)])
    draft = [*vocab.encode("Tzukung's coloured lamps are famous."), vocab.eos_id]
    words = [tokenizer.convert_ids_to_tokens(t) for t in draft]
    lamps = next(k for k, w in enumerate(words) if w == "▁co")
    end = words.index("▁", lamps)  # where ' are' begins: this vocabulary writes it as '▁' + 'are'
    anchors = {
        0: [Anchor(before=(), displaced=tuple(draft[:1]), after=draft[1], at=0)],
        1: [Anchor(before=(), displaced=tuple(draft[lamps:end]), after=draft[end], spelling=vocab.encode("lanterns"), at=lamps)],
    }
    ids, tail = splice(vocab, draft, plan, anchors)
    assert tokenizer.decode(ids, skip_special_tokens=True) == "Zigong's lanterns are famous."
    assert tokenizer.decode(ids[tail:], skip_special_tokens=True) == "are famous."


def test_candidates_are_scored_in_float32_when_the_model_runs_in_half_precision(tiny_marian_dir):
    # --precision bfloat16 (a GPU, or a CPU with the instructions) scores where a rendering ends with a
    # bfloat16 model: the sums must come out as float32, and near the float32 model's.
    from transformers import MarianMTModel, MarianTokenizer

    from leshan_pub.engines.spelling import TargetVocab
    from leshan_pub.engines.marian_repair import kept_log_probs
    from leshan_pub.engines.placement import _candidates

    tokenizer = MarianTokenizer.from_pretrained(tiny_marian_dir)
    vocab = TargetVocab(tokenizer)
    draft = [*vocab.encode("The lamps of the city are famous."), vocab.eos_id]
    term = vocab.encode("Zigong")
    candidates = _candidates(vocab, draft, lambda a, b: term)
    batch = tokenizer(["自贡的灯会很有名。"], return_tensors="pt")
    scores = {}
    for dtype in (torch.float32, torch.bfloat16):
        model = MarianMTModel.from_pretrained(tiny_marian_dir).to(dtype).eval()
        start = model.config.decoder_start_token_id
        with torch.inference_mode():
            encoded = model.get_encoder()(**batch).last_hidden_state
            states = model.model.decoder(
                input_ids=torch.tensor([[start, *draft[:-1]]]), encoder_hidden_states=encoded
            ).last_hidden_state[0]
            logits = (model.lm_head(states) + model.final_logits_bias[0]).float().log_softmax(-1)
            in_draft = logits.gather(-1, torch.tensor(draft)[:, None])[:, 0]
            scores[dtype] = kept_log_probs(
                model, encoded, batch["attention_mask"], [(0, c) for c in candidates], start, [draft], {0: in_draft}
            )
    assert scores[torch.bfloat16].dtype == torch.float32 and bool(torch.isfinite(scores[torch.bfloat16]).all())
    assert torch.allclose(scores[torch.bfloat16], scores[torch.float32], atol=0.5)


# --- traditional input (issue 25: "places each term where the simplified input does") --------------


@pytest.mark.parametrize("engine_name", ["transformers", "ctranslate2"])
def test_traditional_input_gets_the_english_of_its_simplified_form(
    beam4, placement_model, cases, tmp_path_factory, monkeypatch, engine_name
):
    """The same sentences in traditional script (OpenCC s2t), on the same model: each term where the
    simplified input puts it, because the model is fed the simplified form (model_script zh-Hans)."""
    import opencc

    traditional = [opencc.OpenCC("s2t").convert(c.source) for c in cases]
    assert sum(t != c.source for t, c in zip(traditional, cases)) >= 0.9 * len(cases)
    terms = [list(c.terms) for c in cases]
    if engine_name == "transformers":
        engine = load_engine("transformers", EngineOptions(
            model=str(placement_model), num_beams=4, batch_size=16, progress=False, precision="float32"
        ))
        simplified = beam4[1]  # the same options, on the simplified sources
    else:
        pytest.importorskip("ctranslate2")
        monkeypatch.setenv("LESHAN_PUB_CACHE_DIR", str(tmp_path_factory.mktemp("ct2-cache")))
        engine = load_engine("ctranslate2", EngineOptions(model=str(placement_model), num_beams=4, progress=False, device="cpu"))
        simplified = engine.translate([c.source for c in cases], terms)
    fed = engine.translate(traditional, terms)
    assert [t.text for t in fed] == [t.text for t in simplified]
    assert [t.terms for t in fed] == [t.terms for t in simplified]  # each term went in the same way
    if engine_name == "ctranslate2":
        # A glossary written in traditional script too: the terms alone are fed converted as well, so the
        # model's own rendering of each is found where the simplified run found it.
        from dataclasses import replace

        s2t = opencc.OpenCC("s2t").convert
        written = [[replace(t, source=s2t(t.source)) for t in ts] for ts in terms]
        fresh = load_engine("ctranslate2", EngineOptions(model=str(placement_model), num_beams=4, progress=False, device="cpu"))
        both = fresh.translate(traditional, written)
        assert [t.text for t in both] == [t.text for t in simplified]
        assert [[r.method for r in t.terms] for t in both] == [[r.method for r in t.terms] for t in simplified]
        # Why the setting exists: fed as written, the model reads traditional script badly and places the
        # terms elsewhere (docs/placement.md: a term at a sentence edge in 45 of 63 sentences).
        as_written = load_engine("ctranslate2", EngineOptions(
            model=str(placement_model), num_beams=4, progress=False, device="cpu", model_script="as-written"
        ))
        same = sum(a.text == s.text for a, s in zip(as_written.translate(traditional, terms), simplified))
        assert same < len(cases) / 2, same
