"""Placement by the model's judgement (engines/judgement.py, a step of the shared repair): which candidate
sentence is kept, when a place is uncertain (its term record), that the replaced words never stay beside
the term; and on a trained model that knows where a term goes but never writes it (tests/placement.py
memorised_pairs), what a reader sees.
"""

from __future__ import annotations


import pytest
from placement import PlacementCase, measure, placement_cases

from leshan_pub.document import TermMethod
from leshan_pub.engines import EngineOptions, load_engine
from leshan_pub.engines.judgement import UNCERTAIN, judge
from leshan_pub.engines.repair import NEAR_DETAIL, ROMANISED_DETAIL, term_records
from leshan_pub.quality.enforce import missing_terms
from leshan_pub.terms import Term

DRAFT = "Famous Tzukung lamps glow at night."


@pytest.fixture(scope="module")
def vocab(tiny_marian_dir):
    from transformers import MarianTokenizer

    from leshan_pub.engines.spelling import TargetVocab

    return TargetVocab(MarianTokenizer.from_pretrained(tiny_marian_dir))


class ScriptedJudge:
    """The judgement's side of a RepairModel: after a forced prefix writes rests[prefix text] (else `rest`),
    keeping out nothing itself. A sentence scores scores[text] on its end token, nothing on the others,
    except term[text] on each piece of 'Zigong' in it."""

    def __init__(self, vocab, rest: str, scores: dict[str, float], rests: dict[str, str] | None = None,
                 term: dict[str, float] | None = None) -> None:
        self.vocab, self.tokenizer, self.max_length = vocab, vocab.tokenizer, 64
        self.rest, self.scores, self.rests, self.term = rest, scores, rests or {}, term or {}
        self.completed: list[list[int]] = []  # the forced prefixes, one per completion asked for
        self.calls = 0  # decode_after calls

    def decode_after(self, rows, prefixes, kept_out=None, beams=None):
        self.completed += [list(p) for p in prefixes]
        self.calls += 1
        return [[*p, *self.vocab.encode(self.rests.get(self.vocab.text(p), self.rest)), self.vocab.eos_id]
                for p in prefixes]

    def token_scores(self, rows, english):
        scored = []
        for ids in english:
            text = self.vocab.text(ids)
            values = [0.0] * (len(ids) - 1) + [self.scores.get(text, -50.0)]
            for spelling in (self.vocab.encode("Zigong"), self.vocab.encode("zigong")):
                for j in range(len(ids) - len(spelling) + 1):
                    if tuple(ids[j : j + len(spelling)]) == spelling:
                        values[j : j + len(spelling)] = [self.term.get(text, 0.0)] * len(spelling)
            scored.append(values)
        return scored


ZIGONG = Term("自贡", "Zigong")


def _judged(vocab, model: ScriptedJudge, draft: str = DRAFT, rounds: list | None = None):
    from leshan_pub.engines.spelling import SegmentPlan, spell_term

    plan = SegmentPlan([spell_term(vocab, ZIGONG)])
    ids = [*vocab.encode(draft), vocab.eos_id]

    def locate(judge_model, rows, current, plans):  # no rendering of the term is found in the draft
        assert judge_model is model
        if rounds is not None:
            rounds.append([vocab.text(c) for c in current])
        return [{} for _ in current], [[0] for _ in current]

    result = judge(model, [0], [ids], [plan], locate)[0]
    text = vocab.text(result.ids)
    [record] = term_records([ZIGONG], draft, text, result.anchors, plan)
    return text, result, record


def test_the_sentence_the_model_scores_best_is_kept(vocab):
    model = ScriptedJudge(vocab, "lamps glow at night.", {
        "Famous Zigong lamps glow at night.": -3.0,  # the model's choice
        "Zigong lamps glow at night.": -9.0,
    })
    rounds: list = []
    text, result, record = _judged(vocab, model, rounds=rounds)
    assert text == "Famous Zigong lamps glow at night."
    assert rounds == [[DRAFT]]  # one round: the term is in, nothing is read again
    # The term forced after every word boundary of the draft, all in one call; the model writes the rest.
    heads = [vocab.text(p) for p in model.completed]
    assert model.calls == 1 and heads == ["Zigong", "Famous Zigong", "Famous Tzukung Zigong", "Famous Tzukung lamps Zigong",
                                          "Famous Tzukung lamps glow Zigong", "Famous Tzukung lamps glow at Zigong",
                                          "Famous Tzukung lamps glow at night Zigong"]
    assert (record.method, record.detail) == (TermMethod.CONTINUED, "")
    # Where it went: in place of the draft's 'Tzukung', the words the chosen completion did not keep.
    [anchor] = result.anchors[0]
    assert vocab.text(list(anchor.displaced)).strip() == "Tzukung"


def test_the_terms_own_pieces_count_in_a_sentences_score(vocab):
    # The rest of each sentence alone prefers the term at the start; with the term's own pieces, which the
    # model finds far less likely there, the whole sentence puts it in place of 'Tzukung'.
    model = ScriptedJudge(vocab, "lamps glow at night.", {
        "Famous Zigong lamps glow at night.": -3.0,
        "Zigong lamps glow at night.": -2.0,
    }, term={"Famous Zigong lamps glow at night.": -1.0, "Zigong lamps glow at night.": -5.0})
    text, _, _ = _judged(vocab, model)
    assert text == "Famous Zigong lamps glow at night."


def test_the_term_spliced_over_the_rendering_is_a_candidate_when_the_models_rest_goes_astray(vocab):
    # Forced after 'Famous', the model writes a rest of its own; the draft's own words after the rendering
    # it replaces are a candidate too.
    model = ScriptedJudge(vocab, "lamps glow at night.", {"Famous Zigong lamps glow at night.": -1.0},
                          rests={"Famous Zigong": "glow glow."})
    text, _, _ = _judged(vocab, model)
    assert text == "Famous Zigong lamps glow at night."
    assert "Famous Zigong" in [vocab.text(p) for p in model.completed]  # the model was asked there


def test_a_completion_that_stops_early_is_never_kept(vocab):
    # Stopping right after the term drops every word after it; with fewer tokens to lose, it would score
    # best. A term takes the place of a rendering, not of the sentence.
    short = vocab.text([*vocab.encode("Zigong"), *vocab.encode("."), vocab.eos_id])  # as the model writes it
    model = ScriptedJudge(vocab, "lamps glow at night.", {short: -0.5, "Famous Zigong lamps glow at night.": -3.0},
                          rests={"Zigong": "."})
    text, _, _ = _judged(vocab, model)
    assert text == "Famous Zigong lamps glow at night."


def test_a_place_no_better_than_the_next_is_kept_but_marked_uncertain(vocab):
    from leshan_pub.engines.judgement import MARGIN

    model = ScriptedJudge(vocab, "lamps glow at night.", {
        "Famous Zigong lamps glow at night.": -3.0,
        "Zigong lamps glow at night.": -3.0 - MARGIN / 2,  # within MARGIN of the best
    })
    text, _, record = _judged(vocab, model)
    assert text == "Famous Zigong lamps glow at night."
    assert (record.method, record.detail) == (TermMethod.PLACED, UNCERTAIN)


def test_a_completion_that_writes_the_replaced_rendering_again_is_never_kept(vocab):
    # The model likes best the sentences that keep its own rendering 'Tzukung': beside the term (nothing
    # replaced), or moved after it. Neither is kept; the term takes a rendering's place.
    model = ScriptedJudge(vocab, "lamps glow at night.", {
        "Famous Tzukung Zigong lamps glow at night.": -1.0,  # put beside it: replaced nothing
        "Famous Zigong lamps Tzukung glow at night.": -1.0,  # moved after the term
        "Zigong lamps glow at night.": -6.0,
    }, rests={"Famous Zigong": "lamps Tzukung glow at night."})
    text, _, _ = _judged(vocab, model)
    assert text == "Zigong lamps glow at night."


# --- on a trained model that knows where each term goes but never writes it --------------------------


@pytest.mark.parametrize("engine_name", ["transformers", "ctranslate2"])
def test_on_a_model_that_never_writes_a_term_alone_the_terms_take_its_renderings_places(
    memorised_model, engine_name, tmp_path, monkeypatch
):
    """On a model that knows where each term goes but never writes it, and renders no term alone the way
    it does in a sentence: its renderings are learned from its drafts of the 63 sentences, checked by the
    model (repair.rest_holds), and the terms put in their places, whatever the placement. The rest (terms
    held by one sentence only) go by the owed words (the default) or by the model's judgement.
    Measured at beam 4 (docs/placement.md): the default chrF 98.8-99.0, exact 57-58, no wrong rendering
    left, no term at an edge (learning nothing: chrF 85-86, exact 3-7)."""
    monkeypatch.setenv("LESHAN_PUB_CACHE_DIR", str(tmp_path))
    cases: list[PlacementCase] = placement_cases()
    figures, records = {}, {}
    for placement in ("owed", "judgement"):
        engine = load_engine(engine_name, EngineOptions(
            model=str(memorised_model), num_beams=4, progress=False, device="cpu", placement=placement,
        ))
        results = engine.translate([c.source for c in cases], [list(c.terms) for c in cases])
        assert all(not missing_terms(r.text, list(c.terms)) for r, c in zip(results, cases))
        figures[placement] = measure([r.text for r in results], cases)
        # A near miss the model does not take is left alone: 未来产业's sentence has 'industries' three
        # times, and the term goes in place of "tomorrow's industries" or not at all, never over the others.
        for case, result in zip(cases, results):
            if "traditional industries are giving rise to emerging industries" in case.reference:
                assert "traditional industries are giving rise to emerging industries" in result.text, result.text
            # Three terms in six words, each written wrongly ('Multicrystal silicon and Solar panels are
            # Loshan's leading products.'): the model takes none of the learned renderings alone, and
            # all of them once 'Polysilicon' stands for 'Multicrystal silicon' (repair._rejudged). Without
            # that: "PV module polysilicon Leshan is Loshan's…", or "Polysilicon PV module panels Leshan products."
            if placement == "owed" and case.source == "多晶硅和光伏组件是乐山的优势产品。":
                assert result.text == case.reference, result.text
            # A name held by one sentence, translated not romanised ('Five Bridges District'): nothing
            # locates it, and the owed words place it. Read as log-probabilities with the term's pieces
            # taken out of the source, on both engines; the transformers engine once read the draft's
            # logits with the pieces masked in place, and put the name over other words: "Five Bridges
            # District is Wutongqiao into hydrogen energy.", "… through the Muchuan."
            for kept in ("putting great effort into hydrogen energy", "through the bamboo industry"):
                if kept in case.reference:
                    assert kept in result.text, result.text
        records[placement] = [r for result in results for r in result.terms]
    owed, judged = figures["owed"], figures["judgement"]
    # Learned renderings, pinyin and near misses in the default: without them, chrF 85-86, 3-7 exact.
    assert owed.chrf >= 98 and owed.exact >= 54 and owed.wrong_left <= 1 and owed.edge == 0
    # Near misses of the term's own words ('vanadium redox battery' for 'vanadium flow battery'): the
    # terms held by one sentence, where nothing can be learned.
    near = {r.source for r in records["owed"] if r.detail == NEAR_DETAIL}
    assert {"全要素生产率", "全钒液流电池", "产业集群"} <= near
    # Names the model wrote as their sounds: 保乐力加 'Baolelijia' (held by one sentence: nothing to learn
    # from) and 峨眉山 'Emei Shan' (where the learned rendering was turned away).
    sounded = [r for r in records["owed"] if r.detail == ROMANISED_DETAIL]
    assert {r.source for r in sounded} == {"保乐力加", "峨眉山"}
    assert all(r.method is TermMethod.REWRITTEN for r in sounded)
    # The best sentence kept, not the worst; the term's pieces counted; the splices among the candidates.
    assert judged.chrf >= 97 and judged.exact >= 48 and judged.wrong_left <= 6 and judged.edge <= 2
    # Most terms went in by their rendering, learned or the model's own (rewritten); judgement's own
    # places are few, and their records say so: continued, or placed with the place uncertain.
    by_judgement = [r for r in records["judgement"] if (r.method, r.detail) in ((TermMethod.CONTINUED, ""), (TermMethod.PLACED, UNCERTAIN))]
    rewritten = [r for r in records["judgement"] if r.method is TermMethod.REWRITTEN]
    assert len(rewritten) >= 0.6 * len(records["judgement"]) and 1 <= len(by_judgement) <= 0.3 * len(records["judgement"])


@pytest.mark.parametrize("engine_name", ["transformers", "ctranslate2"])
def test_a_learned_rendering_is_used_only_where_the_model_takes_the_term_for_it(
    memorised_model, engine_name, tmp_path, monkeypatch
):
    """Renderings learned from the words of the drafts alone may be false: a word that merely shares the
    term's sentences. Each is checked by the model (repair.rest_holds): with the term in its place, the
    draft's next words must keep their probability. Here every term is 'learned' twice over, as the wrong
    rendering the model was taught (true) and as a word amid a sentence that holds it (false): the model
    keeps nearly all true ones and turns most false ones away, on both engines. A false one that ends its
    sentence leaves only the full stop to judge by, and passes: the check needs words after the place."""
    from leshan_pub.engines import repair as repair_module
    from placement import wrong_renderings

    monkeypatch.setenv("LESHAN_PUB_CACHE_DIR", str(tmp_path))
    cases = placement_cases()
    wrong = wrong_renderings()
    middle_words: dict[str, str] = {}  # per term's Chinese: a word amid the first sentence holding it
    for case in cases:
        words = [w for w in case.taught.rstrip(".;").split() if len(w) > 3 and w.isalpha()]
        for term in case.terms:
            others = [w for w in words if w.lower() not in wrong[term.source][0].lower()]
            if len(others) > 2:
                middle_words.setdefault(term.source, others[len(others) // 2].lower())
    engine = load_engine(engine_name, EngineOptions(model=str(memorised_model), num_beams=4, progress=False, device="cpu"))
    outcomes: dict[int, list[bool]] = {}  # per learned anchor (by id): [true rendering, kept]
    alive: list[object] = []  # the anchors, so no id is reused
    real, real_again = repair_module._kept_learned, repair_module._rejudged

    def watched(model, rows, drafts, plans, trials):
        kept = real(model, rows, drafts, plans, trials)
        for n, guessed in trials:
            for i, anchors in guessed.items():
                term = plans[n].spellings[i].term
                for anchor in anchors:
                    text = model.vocab.text(list(anchor.displaced)).lower()
                    alive.append(anchor)
                    outcomes[id(anchor)] = [wrong[term.source][0].lower() in text, anchor in kept.get(n, {}).get(i, [])]
        return kept

    def watched_again(*args):  # judged again beside the terms located since: kept too, where taken then
        chosen = real_again(*args)
        for _, _, anchor in chosen:
            outcomes[id(anchor)][1] = True
        return chosen

    monkeypatch.setattr(repair_module, "_kept_learned", watched)
    monkeypatch.setattr(repair_module, "_rejudged", watched_again)
    for learned in ({s: [w[0].lower()] for s, w in wrong.items()}, {s: [w] for s, w in middle_words.items()}):
        monkeypatch.setattr(engine, "learned_renderings", lambda terms, learned=learned: {t: learned.get(t.source, []) for t in terms})
        engine.translate([c.source for c in cases], [list(c.terms) for c in cases])
    true = [kept for is_true, kept in outcomes.values() if is_true]
    false = [kept for is_true, kept in outcomes.values() if not is_true]
    assert len(true) >= 20 and len(false) >= 10, (len(true), len(false))
    assert sum(true) >= 0.85 * len(true), f"true renderings kept: {sum(true)} of {len(true)}"
    assert sum(false) <= 0.35 * len(false), f"false renderings kept: {sum(false)} of {len(false)}"


@pytest.mark.parametrize("engine_name", ["transformers", "ctranslate2"])
def test_an_article_sent_in_chunks_gets_a_second_look_once_every_chunk_is_drafted(
    memorised_model, engine_name, tmp_path, monkeypatch
):
    """The pipeline sends 16 segments at a time (each chunk saved), and the engine learns renderings from
    the drafts of the run so far: a term that only a later chunk teaches went into an earlier chunk by
    the owed words. Once every chunk is done, those segments go to the engine once more
    (pipeline.translate_document). Measured on the memorised proxy (scripts/bench_chunks.py): chunks of
    16 leave a wrong rendering in 4-5 sentences without the second look, none with it, as one call."""
    from placement import placement_glossary

    from leshan_pub import __version__
    from leshan_pub.document import Document, Provenance, Role, Segment
    from leshan_pub.pipeline import _SECOND_LOOK, translate_document
    from leshan_pub.segment import segmenter_version

    monkeypatch.setenv("LESHAN_PUB_CACHE_DIR", str(tmp_path))
    cases = placement_cases()
    document = Document("chunks", [Segment(f"s{k}", k, Role.PARAGRAPH, c.source) for k, c in enumerate(cases)],
                        Provenance(__version__, segmenter_version()))
    options = EngineOptions(model=str(memorised_model), num_beams=4, progress=False, device="cpu")
    saved: list[int] = []
    weak: list[int] = []  # after each save: the first 48 segments whose terms went in by the owed words

    def save(d):
        saved.append(sum(bool(s.target) for s in d.segments))
        weak.append(sum(any(r.method in _SECOND_LOOK for r in s.terms) for s in d.segments[:48]))

    report = translate_document(document, placement_glossary(), lambda: load_engine(engine_name, options),
                                chunk_size=16, save=save)
    figures = measure([s.target for s in document.segments], cases)
    assert figures.term_success == 1.0 and figures.wrong_left <= 1 and figures.edge == 0, figures
    # Only the earlier chunks' segments whose terms went in by the owed words or the last resort, and of
    # those only the ones whose terms the engine learned more about since (a term held by one sentence
    # teaches nothing: 'Five Bridges' is placed as before); every chunk saved as it finished, and each look again.
    assert 0 < report.looked_again < weak[3] and report.translated == len(cases)
    assert saved[:4] == [16, 32, 48, 63] and len(saved) == 4 + -(-report.looked_again // 16)


def test_ctrl_c_during_the_second_look_keeps_every_segment_and_says_so(memorised_model, tmp_path, monkeypatch):
    """Every segment is translated and saved before the second look starts: an interrupt there keeps them
    all, with their first English where it was not looked at again, and the message says so (not 'run
    the same command again': the segments are machine-translated now, and a rerun leaves them be)."""
    from placement import placement_glossary

    from leshan_pub import __version__
    from leshan_pub.document import Document, Provenance, Role, Segment
    from leshan_pub.pipeline import Interrupted, translate_document
    from leshan_pub.segment import segmenter_version

    monkeypatch.setenv("LESHAN_PUB_CACHE_DIR", str(tmp_path))
    cases = placement_cases()
    document = Document("chunks", [Segment(f"s{k}", k, Role.PARAGRAPH, c.source) for k, c in enumerate(cases)],
                        Provenance(__version__, segmenter_version()))
    engine = load_engine("transformers", EngineOptions(model=str(memorised_model), num_beams=4, progress=False, device="cpu"))
    real, calls = engine.translate, [0]

    def translate(sources, terms):
        calls[0] += 1
        if calls[0] == 5:  # four chunks of 16 hold the 63 segments: the fifth call is the second look's
            raise KeyboardInterrupt
        return real(sources, terms)

    monkeypatch.setattr(engine, "translate", translate)
    saved: list[int] = []
    with pytest.raises(Interrupted) as stopped:
        translate_document(document, placement_glossary(), lambda: engine, chunk_size=16,
                           save=lambda d: saved.append(sum(bool(s.target) for s in d.segments)))
    assert str(stopped.value).startswith(f"interrupted during the second look: all {len(cases)} segment(s)")
    assert "run the same command" not in str(stopped.value)
    assert saved[-1] == len(cases) and all(s.target for s in document.segments)


def test_a_run_that_continues_one_cut_short_looks_again_at_the_segments_the_first_run_translated(
    memorised_model, tmp_path, monkeypatch
):
    """Ctrl-C after two chunks, then the same command again: the second run learns from the drafts of the
    segments left, and looks again at those the first run translated with the same settings whose terms
    went in by the owed words and that it has learned something about (a person's edit, or other
    settings, keep a segment out). It ends closer to a run never cut short, not equal to it: what only
    the first run's drafts taught is not learned again. Measured on the memorised proxy (ctranslate2):
    wrong renderings left 4 with the look back, 5 without it, 0 in a run never cut short."""
    from placement import placement_glossary

    from leshan_pub import __version__
    from leshan_pub.document import Document, Provenance, Role, Segment
    from leshan_pub.pipeline import Interrupted, translate_document
    from leshan_pub.segment import segmenter_version

    monkeypatch.setenv("LESHAN_PUB_CACHE_DIR", str(tmp_path))
    cases = placement_cases()
    glossary = placement_glossary()
    document = Document("resumed", [Segment(f"s{k}", k, Role.PARAGRAPH, c.source) for k, c in enumerate(cases)],
                        Provenance(__version__, segmenter_version()))
    options = EngineOptions(model=str(memorised_model), num_beams=4, progress=False, device="cpu")
    first = load_engine("ctranslate2", options)
    real, calls = first.translate, [0]

    def translate(sources, terms):
        calls[0] += 1
        if calls[0] == 3:
            raise KeyboardInterrupt
        return real(sources, terms)

    monkeypatch.setattr(first, "translate", translate)
    with pytest.raises(Interrupted):
        translate_document(document, glossary, lambda: first, chunk_size=16)
    assert sum(bool(s.target) for s in document.segments) == 32
    second = load_engine("ctranslate2", options)
    asked: list[str] = []
    again = second.translate

    def noted(sources, terms):
        asked.extend(sources)
        return again(sources, terms)

    monkeypatch.setattr(second, "translate", noted)
    report = translate_document(document, glossary, lambda: second, chunk_size=16)
    assert report.translated == len(cases) - 32
    looked_back = {c.source for c in cases[:32]} & set(asked)
    assert looked_back and report.looked_again >= len(looked_back)
    figures = measure([s.target for s in document.segments], cases)
    assert figures.term_success == 1.0 and figures.wrong_left <= 4, figures
