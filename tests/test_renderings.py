"""How the model renders a term inside sentences, learned from its drafts of a document (engines/renderings.py)."""

from __future__ import annotations

from leshan_pub.engines.renderings import learn_renderings
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
