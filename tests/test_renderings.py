"""How the model renders a term inside sentences, learned from its drafts of a document (engines/renderings.py)."""

from __future__ import annotations

from leshan_pub.engines import renderings
from leshan_pub.engines.renderings import DraftContext, learn_renderings
from leshan_pub.terms import Term

PANDA = Term("大熊猫", "giant panda")
ZIGONG = Term("自贡", "Zigong")
LANTERN = Term("彩灯", "lantern")

# Drafts of a model that writes 'big bear cat' for 大熊猫 in every sentence, but never alone.
DRAFTS = [
    ("The big bear cat is a national treasure of China.", [PANDA]),
    ("The base has raised more than two hundred big bear cats.", [PANDA]),
    ("Visitors queue to see the big bear cat eat bamboo.", [PANDA]),
    ("Tzukung is a city that grew up around salt.", [ZIGONG]),
    ("Every year the city of Tzukung is lit by coloured lamps.", [ZIGONG, LANTERN]),
    ("The national museum attracts large numbers of visitors.", []),
    ("Coloured lamps light up the whole city.", [LANTERN]),
]


def _learned(drafts=DRAFTS):
    return learn_renderings([text for text, _ in drafts], [terms for _, terms in drafts])


def test_the_run_of_words_that_stands_where_the_term_does_is_its_rendering():
    learned = _learned()
    # Singular or plural, the longest run that keeps to the sentences holding the term; 'national' and
    # 'visitors' stand elsewhere too, so they are not its rendering.
    assert learned[PANDA][0] == "big bear cat"
    assert learned[ZIGONG] == ["tzukung"]
    assert learned[LANTERN] == ["coloured lamp"]


def test_a_run_that_also_stands_in_other_sentences_is_not_a_rendering():
    # 'city' stands in both sentences with 自贡, but also in one without it: it is not how 自贡 is rendered.
    drafts = [*DRAFTS[:3], ("Zigong is a city that grew up around salt.", [ZIGONG]),
              ("Every year the city is lit by coloured lamps.", [ZIGONG, LANTERN]), *DRAFTS[5:],
              ("The city is quiet at night.", []), ("Chengdu is a big city.", [])]
    assert ZIGONG not in _learned(drafts)


def test_a_term_in_one_sentence_only_teaches_nothing():
    drafts = [("Tzukung is a city that grew up around salt.", [ZIGONG]), ("The base is in Chengdu.", [])]
    assert _learned(drafts) == {}


def test_a_run_that_two_terms_share_tells_neither_apart():
    # 自贡 and 彩灯 always together: 'coloured lamp' is as much 自贡's as 彩灯's; neither learns it.
    drafts = [("Tzukung coloured lamps glow.", [ZIGONG, LANTERN]), ("The coloured lamps of Tzukung.", [ZIGONG, LANTERN])]
    learned = _learned(drafts)
    assert all("coloured lamp" not in runs for runs in learned.values())


def test_a_term_once_in_each_of_two_chunks_is_learned_from_both():
    """The pipeline sends an article a chunk at a time; a term that stands once in each chunk is learned
    from the run's drafts so far, as it would be from one call holding both."""
    context = DraftContext()
    first, second = DRAFTS[:1] + DRAFTS[3:4], DRAFTS[1:2] + DRAFTS[5:6]
    learned = context.learn([f"source {k}" for k in range(2)], [t for t, _ in first], [ts for _, ts in first])
    assert PANDA not in learned  # one sentence is no evidence
    learned = context.learn([f"source {k}" for k in range(2, 4)], [t for t, _ in second], [ts for _, ts in second])
    assert learned[PANDA][0] == "big bear cat"


def test_a_sentence_drafted_again_counts_once():
    """A benchmark's rounds or a retranslation send the same sentence again: it is one sentence, not two."""
    context = DraftContext()
    text, terms = DRAFTS[0]
    assert PANDA not in context.learn(["大熊猫是国宝。"], [text], [terms])
    assert PANDA not in context.learn(["大熊猫是国宝。"], [text], [terms])


def test_the_context_keeps_only_the_latest_sentences(monkeypatch):
    monkeypatch.setattr(renderings, "LEARNED_CONTEXT", 2)
    context = DraftContext()
    for k, (text, terms) in enumerate(DRAFTS[:3]):
        context.learn([f"source {k}"], [text], [terms])
    context.learn(["other"], [DRAFTS[5][0]], [DRAFTS[5][1]])  # the oldest two go
    assert PANDA not in context.learn(["other 2"], [DRAFTS[6][0]], [DRAFTS[6][1]])


def test_on_real_english_learning_also_takes_words_that_only_share_the_terms_sentences():
    """Why a learned rendering is checked by the model before a term goes in its place: the sample's
    approved English, each glossary term deleted (a model that dropped it), still 'teaches' renderings
    from the words alone, every one false ('selected' for Jiajiang). The check is repair.rest_holds."""
    import re
    from pathlib import Path

    from leshan_pub.formats.segfile import read_segment_file
    from leshan_pub.forms import term_forms
    from leshan_pub.glossary import load_glossary

    root = Path(__file__).resolve().parents[1]
    document = read_segment_file(root / "source" / "leshan-2024.zh-en.xlf")
    glossary = load_glossary(root / "glossary" / "leshan.tsv")
    drafts, held = [], []
    for segment in document.segments:
        listed = [hit.term for hit in glossary.find(segment.source)]
        text = segment.target
        for term in listed:
            for form in sorted(term_forms(term), key=len, reverse=True):
                text = re.sub(rf"(?i)\b{re.escape(form)}\b", "", text)
        drafts.append(text)
        held.append(listed)
    learned = learn_renderings(drafts, held)
    assert learned, "nothing false learned from the words alone: the model's check has nothing to stop here"
    for term, runs in learned.items():  # none of them is a rendering of its term
        assert not any(word in term.target.lower() for run in runs for word in run.split()), (term, runs)
