"""A MarianMT model that reads its source: trained on template sentences, so that it must translate each slot.

The model of tests/placement.py learns its 63 sentences by heart: given the start of a sentence it
writes the rest, whatever the source says, so neither its attention nor masking its source shows
which words translate a term. Real models read their source. This one learns sentences built from
templates ("{X} and {Y} are both important.") whose slots hold glossary terms (always in a wrong
rendering, never alone) or plain fillers, in thousands of combinations, so it can only translate a
slot by reading it. Held-out combinations, with the true terms in the reference, measure where
enforcement puts a term when the model has a rendering of its own in the sentence.

Used by scripts/bench_placement.py --model compositional (training takes about four minutes).
"""

from __future__ import annotations

import hashlib
import json
import random
from pathlib import Path

from placement import PIECES, PLACEMENT_SHAPE, PlacementCase, placement_glossary, train_marian, wrong_renderings

from leshan_pub.terms import Term

# (Chinese, English) templates; {X} and {Y} are slots. English at a sentence start is capitalised.
TEMPLATES = (
    ("{X}很有名。", "{X} is famous."),
    ("我们参观了{X}。", "We visited {X}."),
    ("{X}和{Y}都很重要。", "{X} and {Y} are both important."),
    ("{X}在{Y}发展很快。", "{X} is growing fast in {Y}."),
    ("他们正在研究{X}。", "They are studying {X}."),
    ("政府支持{X}。", "The government supports {X}."),
    ("{X}是{Y}的名片。", "{X} is the calling card of {Y}."),
    ("关于{X}的新书出版了。", "A new book about {X} has been published."),
    ("很多年轻人喜欢{X}。", "Many young people like {X}."),
    ("今年{X}的产值增长了一成。", "This year the output of {X} grew by a tenth."),
    ("{Y}以{X}闻名。", "{Y} is known for {X}."),
    ("记者报道了{X}和{Y}。", "Reporters covered {X} and {Y}."),
)
# Plain fillers: words the model translates as they are, around the terms.
FILLERS = (
    ("成都", "Chengdu"), ("重庆", "Chongqing"), ("北京", "Beijing"), ("上海", "Shanghai"),
    ("绵阳", "Mianyang"), ("泸州", "Luzhou"), ("茶叶", "tea"), ("丝绸", "silk"), ("竹子", "bamboo"),
    ("钢铁", "steel"), ("旅游", "tourism"), ("教育", "education"), ("农业", "agriculture"),
    ("音乐", "music"), ("水稻", "rice"), ("火锅", "hotpot"), ("桥梁", "bridges"), ("港口", "ports"),
)

TRAIN_PAIRS = 2400
TEST_SENTENCES = 60
# The placement model's shape, wider (more words to keep apart) and with shorter sentences.
COMPOSITIONAL_SHAPE = {**PLACEMENT_SHAPE, "d_model": 128, "max_position_embeddings": 64}


def _terms() -> list[Term]:
    """The benchmark's terms that have a wrong rendering, one word form each (no plurals in templates)."""
    wrong = wrong_renderings()
    seen: dict[str, Term] = {}
    for term in placement_glossary().terms:
        if term.source in wrong and term.source not in seen and len(term.source) >= 2:
            seen[term.source] = term
    return list(seen.values())


def _fill(template: str, x: str, y: str) -> str:
    text = template.replace("{X}", x).replace("{Y}", y)
    return text[:1].upper() + text[1:]


def _sentence(rng: random.Random, slots: list[tuple[str, str, str, Term | None]]) -> tuple[str, str, str, list[Term]]:
    """(Chinese, true English, taught English, terms) of one random template filled from slots."""
    zh, en = rng.choice(TEMPLATES)
    x, y = rng.sample(slots, 2)
    used = [s[3] for s in (x, y) if s[3] is not None and ("{Y}" in zh or s is x)]
    return (
        zh.replace("{X}", x[0]).replace("{Y}", y[0]),
        _fill(en, x[1], y[1]),
        _fill(en, x[2], y[2]),
        used,
    )


def compositional_data(seed: int = 11) -> tuple[list[tuple[str, str]], list[PlacementCase]]:
    """Training pairs (every term in its wrong rendering) and held-out test cases, each with a term."""
    wrong = wrong_renderings()
    slots: list[tuple[str, str, str, Term | None]] = [(zh, en, en, None) for zh, en in FILLERS]
    slots += [(t.source, t.target, wrong[t.source][0], t) for t in _terms()]
    rng = random.Random(seed)
    cases: list[PlacementCase] = []
    held: set[str] = set()
    while len(cases) < TEST_SENTENCES:
        zh, true, taught, terms = _sentence(rng, slots)
        if terms and zh not in held:
            held.add(zh)
            cases.append(PlacementCase(zh, true, taught, tuple(terms), "compositional"))
    pairs: list[tuple[str, str]] = []
    while len(pairs) < TRAIN_PAIRS:
        zh, _, taught, _ = _sentence(rng, slots)
        if zh not in held:
            pairs.append((zh, taught))
    return pairs, cases


def train_compositional_model(folder: Path, epochs: int = 40, seed: int = 11, log: bool = False) -> Path:
    """Build and train the model into folder (reused when a finished one with the same inputs is there)."""
    pairs, cases = compositional_data(seed)
    chinese = [zh for zh, _ in pairs] + [c.source for c in cases]
    english = [en for _, en in pairs] + [c.reference for c in cases]
    content = json.dumps([pairs, COMPOSITIONAL_SHAPE, list(PIECES), epochs, seed], ensure_ascii=False)
    content += Path(__file__).read_text(encoding="utf-8") + (Path(__file__).parent / "placement.py").read_text(encoding="utf-8")
    fingerprint = hashlib.sha256(content.encode()).hexdigest()[:16]
    return train_marian(
        folder, pairs, (chinese, english), fingerprint, epochs=epochs, seed=seed, log=log, shape=COMPOSITIONAL_SHAPE
    )
