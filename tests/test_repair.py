"""The shared term repair (engines/repair.py): one source-span finder, no torch, and a record of how each term went in."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from leshan_pub.document import TermMethod
from leshan_pub.engines.alignment import term_spans
from leshan_pub.engines.repair import term_records
from leshan_pub.engines.spelling import Anchor
from leshan_pub.quality.enforce import MissReason, TermMiss
from leshan_pub.terms import Glossary, Term

LESHAN = Term("乐山", "Leshan")
BUDDHA = Term("大佛", "Giant Buddha")


@pytest.mark.parametrize(
    ("pieces", "span"),
    [
        (["▁今天", "，", "乐山", "的", "大", "佛", "</s>"], (2, 3)),
        (["▁今天", "，", "樂山", "的", "大", "佛", "</s>"], (2, 3)),  # traditional, one piece
        (["▁今天", "，", "樂", "山", "的", "大", "佛", "</s>"], (2, 4)),  # traditional, two pieces
        (["▁今天", "，", "ＬＥＳ", "的", "</s>"], None),  # no Chinese term at all
    ],
    ids=["simplified", "traditional", "traditional-two-pieces", "absent"],
)
def test_the_span_finder_finds_a_term_as_the_glossary_matcher_does(pieces, span):
    text = "".join(p.replace("\u2581", " ") for p in pieces[:-1])
    assert bool(Glossary([LESHAN]).find(text)) == (span is not None)  # the matcher and the finder agree
    assert term_spans(pieces, [LESHAN]) == [span]


def test_traditional_and_simplified_pieces_put_the_same_terms_in_the_same_places():
    simplified = ["▁", "乐山", "的", "大佛", "很", "古老", "。", "</s>"]
    traditional = ["▁", "樂山", "的", "大佛", "很", "古老", "。", "</s>"]
    terms = [LESHAN, BUDDHA]
    assert term_spans(traditional, terms) == term_spans(simplified, terms) == [(1, 2), (3, 4)]


def test_the_shared_repair_and_the_ctranslate2_engine_import_no_torch():
    code = (
        "import sys\n"
        "import leshan_pub.engines.repair, leshan_pub.engines.spelling, leshan_pub.engines.placement\n"
        "import leshan_pub.engines.judgement\n"
        "import leshan_pub.engines.ctranslate2, leshan_pub.engines.ct2_model, leshan_pub.engines.ct2_repair\n"
        "print(sorted(m for m in ('torch', 'transformers') if m in sys.modules))\n"
    )
    src = Path(__file__).resolve().parents[1] / "src"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={"PYTHONPATH": str(src), "PATH": "/usr/bin:/bin"})
    assert out.stdout.strip() == "[]"


def _anchor(method: str, detail: str = "") -> Anchor:
    return Anchor(before=(), displaced=(), after=0, at=0, method=method, detail=detail)


class _Plan:
    """The part of a SegmentPlan term_records reads: each spelling's term."""

    def __init__(self, terms: list[Term]) -> None:
        self.spellings = [type("S", (), {"term": t})() for t in terms]


def test_each_occurrence_says_how_it_went_in():
    terms = [LESHAN, BUDDHA, LESHAN]
    draft = "Leshan's big statue is next to the town."
    final = "Leshan's Giant Buddha is next to Leshan."
    anchors = {1: [_anchor("rewritten")], 0: [_anchor("placed", "its Chinese was not found")]}
    records = term_records(terms, draft, final, anchors, _Plan([LESHAN, BUDDHA]))
    assert [(r.source, r.method, r.detail) for r in records] == [
        ("乐山", TermMethod.MODEL, ""),
        ("大佛", TermMethod.REWRITTEN, ""),
        ("乐山", TermMethod.PLACED, "its Chinese was not found"),
    ]


def test_a_missed_occurrence_says_why_and_a_continued_one_says_so():
    miss = TermMiss(BUDDHA, MissReason.UNSPELLABLE, "the vocabulary lacks 'ï'")
    records = term_records([LESHAN, BUDDHA], "It is old.", "Leshan is old.", {0: [_anchor("spliced")]},
                           _Plan([LESHAN]), [miss], continued=True)
    assert [(r.method, r.target) for r in records] == [(TermMethod.CONTINUED, "Leshan"), (TermMethod.MISSED, "")]
    assert records[1].detail.startswith("unspellable")


def test_terms_written_by_constrained_decoding_are_continued_or_placed_by_the_last_resort():
    assert term_records([LESHAN], "It is old.", "Leshan is old.", {}, None, constrained=True)[0].method is TermMethod.CONTINUED
    last = term_records([LESHAN], "It is old.", "It is old Leshan.", {}, None, constrained=True, last_resort=True)
    assert last[0].method is TermMethod.PLACED and "last resort" in last[0].detail


# --- end to end: the records reach the segment file and `check --json` ---------------------------


@pytest.mark.parametrize("engine", ["transformers", "ctranslate2"])
def test_every_term_occurrence_says_how_it_went_in_in_the_segment_file_and_check_json(
    tmp_path, tiny_marian_dir, monkeypatch, engine
):
    import json

    from typer.testing import CliRunner

    from leshan_pub.cli import app
    from leshan_pub.engines import EngineOptions
    from leshan_pub.formats.segfile import read_segment_file, write_segment_file
    from leshan_pub.pipeline import engine_loader, segment_source, translate_document

    monkeypatch.setenv("LESHAN_PUB_CACHE_DIR", str(tmp_path / "cache"))
    article = tmp_path / "t.zh.txt"
    article.write_text("标题\n\n乐山的大佛很古老。乐山很美。\n", encoding="utf-8")
    (tmp_path / "g.tsv").write_text("source\ttarget\n乐山\tLeshan\n大佛\tGiant Buddha\n", encoding="utf-8")
    glossary = Glossary([Term("乐山", "Leshan"), Term("大佛", "Giant Buddha")])
    document, _ = segment_source(article, glossary)
    options = EngineOptions(model=str(tiny_marian_dir), progress=False, num_beams=2, device="cpu")
    translate_document(document, glossary, engine_loader(engine, options))
    segfile = tmp_path / "t.zh-en.xlf"
    write_segment_file(segfile, document)
    back = read_segment_file(segfile)
    wanted = {s.id: [h.term.source for h in glossary.find(s.source)] for s in back.segments}
    assert {s.id: [r.source for r in s.terms] for s in back.segments if s.terms} == {k: v for k, v in wanted.items() if v}
    for segment in back.segments:
        for record in segment.terms:  # a term in the English is recorded with how it got there, a miss as missed
            assert (record.method is TermMethod.MISSED) == (record.target == "")
    result = CliRunner().invoke(app, ["check", str(segfile), "-g", str(tmp_path / "g.tsv"), "--json"])
    report = json.loads(result.stdout)
    assert {k: [r["source"] for r in v] for k, v in report["terms"].items()} == {k: v for k, v in wanted.items() if v}
    assert sum(report["term_methods"].values()) == sum(map(len, wanted.values())) == 3


# --- the words around a spliced term agree with it -----------------------------------------------


@pytest.fixture(scope="module")
def vocab(tiny_marian_dir):
    from transformers import MarianTokenizer

    from leshan_pub.engines.spelling import TargetVocab

    return TargetVocab(MarianTokenizer.from_pretrained(tiny_marian_dir))


def _splice(vocab, draft: str, replaced: str, term: Term, occurrence: int = 0):
    """The draft with term spliced over the words replaced (the usual form chosen), and what changed."""
    from leshan_pub.engines.placement import splice
    from leshan_pub.engines.spelling import SegmentPlan, spell_term

    ids = [*vocab.encode(draft), vocab.eos_id]
    before, _, _ = draft.partition(replaced)
    at = len(vocab.encode(before.rstrip())) if before.strip() else 0
    end = len(vocab.encode((before + replaced).rstrip()))
    assert vocab.text(ids[at:end]).strip() == replaced  # the words the test means
    plan = SegmentPlan([spell_term(vocab, term)])
    anchor = Anchor(before=tuple(ids[max(0, at - 2) : at]), displaced=tuple(ids[at:end]), after=ids[end], at=at)
    changes: dict = {}
    out, _ = splice(vocab, ids, plan, {0: [anchor]}, changes)
    return vocab.text(out), [c for found in changes.values() for c in found]


BATTERY = Term("全钒液流电池", "vanadium flow battery")
LINE = Term("同位素生产线", "isotope production line")
STATUE = Term("乐山大佛", "Leshan Giant Buddha", invariable=True)
UNIT = Term("单元", "unit")
FORCES = Term("新质生产力", "new quality productive forces")


@pytest.mark.parametrize(
    ("draft", "replaced", "term", "english", "changed"),
    [
        # plural rendering: the plural term, and its verb stays as the model wrote it for a plural
        ("The vanadium accumulators are safe.", "vanadium accumulators", BATTERY,
         "The vanadium flow batteries are safe.", []),
        ("Vanadium accumulators are safe.", "Vanadium accumulators", BATTERY, "Vanadium flow batteries are safe.", []),
        # the article before the term fits its first sound
        ("Jiajiang has built a radiation facility.", "radiation facility", LINE,
         "Jiajiang has built an isotope production line.", ["'a' -> 'an'"]),
        ("It is an old factory.", "old factory", UNIT, "It is a unit.", ["'an' -> 'a'"]),
        ("An old factory stood here.", "old factory", UNIT, "A unit stood here.", ["'An' -> 'A'"]),
        # a name that has no plural: the verb that agreed with the plural rendering follows the name
        ("The two statues are old.", "two statues", STATUE, "The Leshan Giant Buddha is old.", ["'are' -> 'is'"]),
        ("These statues were carved.", "statues", STATUE, "This Leshan Giant Buddha was carved.",
         ["'These' -> 'This'", "'were' -> 'was'"]),
        # the draft's verb already disagreed with its own rendering: the term's number decides, not a swap
        ("New productivity are breathing new life.", "New productivity", FORCES,
         "New quality productive forces are breathing new life.", []),
        ("The two statues is old.", "two statues", STATUE, "The Leshan Giant Buddha is old.", []),
    ],
    ids=["plural", "plural-at-start", "a-to-an", "an-to-a", "capital-an", "name-verb", "name-determiner-verb",
         "verb-already-plural", "verb-already-singular"],
)
def test_the_words_next_to_a_spliced_term_agree_with_it(vocab, draft, replaced, term, english, changed):
    text, notes = _splice(vocab, draft, replaced, term)
    assert (text, notes) == (english, changed)


def test_a_record_names_the_form_the_term_stands_in():
    battery = Term("全钒液流电池", "vanadium flow battery")
    [record] = term_records([battery], "Vanadium accumulators are safe.", "Vanadium flow batteries are safe.",
                            {0: [_anchor("rewritten")]}, _Plan([battery]))
    assert (record.target, record.method) == ("Vanadium flow batteries", TermMethod.REWRITTEN)


class _Scripted:
    """A RepairModel whose answers are given: its renderings, its continuation, and its scores."""

    def __init__(self, vocab, renderings: dict, continued: str, prefers_continued: bool) -> None:
        self.vocab, self.tokenizer, self.max_length = vocab, vocab.tokenizer, 64
        self._renderings, self._continued, self._prefers = renderings, continued, prefers_continued
        self.asked: list[list[int]] = []

    def renderings(self, terms):
        return {t: self._renderings.get(t, []) for t in terms}

    def learned(self, terms):  # nothing learned from the document's drafts
        return {t: [] for t in terms}

    def read(self, rows, drafts, terms, plans):  # every term here is located by its rendering
        raise AssertionError("no term needs the model's reading")

    def decode_after(self, rows, prefixes):
        self.asked += prefixes
        return [[*self.vocab.encode(self._continued), self.vocab.eos_id] for _ in rows]

    def score(self, rows, english):  # (continued, spliced) pairs
        return [(1.0 if self._prefers else -1.0) * (-1) ** k for k in range(len(english))]


@pytest.mark.parametrize("prefers_continued", [True, False])
def test_continue_keeps_whichever_english_the_model_scores_higher(vocab, prefers_continued):
    from leshan_pub.engines.repair import repair
    from leshan_pub.engines.spelling import SegmentPlan, spell_term

    statue = Term("乐山大佛", "Leshan Giant Buddha", invariable=True)
    model = _Scripted(vocab, {statue: ["old statue"]}, "The Leshan Giant Buddha stands by the river.", prefers_continued)
    draft = [*vocab.encode("The old statue is tall."), vocab.eos_id]
    [mended] = repair(model, [0], [draft], [SegmentPlan([spell_term(vocab, statue)])], "continue")
    assert vocab.text(model.asked[0]).startswith("The Leshan Giant Buddha")  # everything up to the term is forced
    chosen = vocab.text(mended.ids)
    assert chosen == ("The Leshan Giant Buddha stands by the river." if prefers_continued else "The Leshan Giant Buddha is tall.")
    assert mended.continued is prefers_continued


class _Asked(Exception):
    pass


def test_the_model_reads_the_drafts_of_the_batch_rows_that_lack_a_term(vocab):
    """find_anchors asks the adapter to read by the batch's own rows (the adapter indexes its sources by
    them), not by the draft's place among the drafts repaired: else a batch where only some sentences
    lack a term reads another sentence's source."""
    from leshan_pub.engines.repair import find_anchors
    from leshan_pub.engines.spelling import SegmentPlan, spell_term

    class Reader(_Scripted):
        def read(self, rows, drafts, terms, plans):
            raise _Asked(rows, [vocab.text(d) for d in drafts])

    statue = Term("乐山大佛", "Leshan Giant Buddha", invariable=True)
    plan = SegmentPlan([spell_term(vocab, statue)])
    drafts = [[*vocab.encode(text), vocab.eos_id] for text in ("The Leshan Giant Buddha is tall.", "The old statue is tall.")]
    with pytest.raises(_Asked) as asked:  # no rendering of the term is known: the second draft is read
        find_anchors(Reader(vocab, {}, "", False), [3, 7], drafts, [plan, plan])
    assert asked.value.args == ([7], ["The old statue is tall."])


def test_a_learned_rendering_holds_where_the_words_after_it_keep_their_probability():
    from leshan_pub.engines.repair import REST_DROP, REST_TOKENS, rest_holds

    draft = [-0.1] * 10
    assert rest_holds(draft, [-0.1 - REST_DROP / 2] * 10)  # the model writes on as before
    assert not rest_holds(draft, [-0.1 - 2 * REST_DROP] * 10)  # the sentence broke after the term
    # Only the first REST_TOKENS words count: the sentence's far end is the model's memory, not the term's place.
    assert rest_holds(draft, [-0.1] * REST_TOKENS + [-9.0] * 4)
    assert not rest_holds(draft, [-9.0] * REST_TOKENS + [-0.1] * 4)
    assert rest_holds([], [])  # the rendering ended the sentence: nothing after it to judge by
