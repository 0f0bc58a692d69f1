"""Measure what the translation memory gives back after small source edits to a fully approved article.

Every segment of tests/data/yibin-memory.zh.txt is approved (placeholder English, one per
sentence), then each of N edits of the kinds translators meet (full-width/half-width digits, an
added space, quote style, one figure changed, one character changed, two characters inserted)
is made to a fresh copy of the article and `segment` is run with the memory. For each edit the
changed sentence must come back with its old English, as an exact match (reviewed) or a fuzzy
match (a marked draft); anything else is lost work.

    PYTHONPATH=src python scripts/measure_memory.py [--edits 100] [--seed 9] [--threshold 75]
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from leshan_pub.document import ReviewState
from leshan_pub.memory import MemorySettings
from leshan_pub.pipeline import segment_source
from leshan_pub.formats.segfile import read_segment_file, segment_file_for, write_segment_file

ARTICLE = Path(__file__).resolve().parent.parent / "tests" / "data" / "yibin-memory.zh.txt"
_FULL = str.maketrans("0123456789", "０１２３４５６７８９")
_HALF = str.maketrans("０１２３４５６７８９", "0123456789")
_DIGITS = "0123456789０１２３４５６７８９"
_QUOTES = {"“": '"', "”": '"', "「": '"', "」": '"', '"': "“"}
_OTHER_CHARACTERS = "的了和在是有新大中年"


@dataclass(frozen=True)
class Edit:
    """One change to one sentence: its kind, the sentence before and after."""

    kind: str
    before: str
    after: str


@dataclass(frozen=True)
class Outcome:
    """What the memory gave back for one edit: exact, fuzzy or lost, with the match score."""

    edit: Edit
    result: str  # "exact", "fuzzy" or "lost"
    score: int  # 0 when lost


def _width(sentence: str, rng: random.Random) -> str | None:
    if not any(c in _DIGITS for c in sentence):
        return None
    full = any(c in "０１２３４５６７８９" for c in sentence)
    return sentence.translate(_HALF if full else _FULL)


def _space(sentence: str, rng: random.Random) -> str | None:
    if len(sentence) < 3:
        return None
    at = rng.randrange(1, len(sentence) - 1)
    return sentence[:at] + " " + sentence[at:]


def _quotes(sentence: str, rng: random.Random) -> str | None:
    if not any(c in _QUOTES for c in sentence):
        return None
    return "".join(_QUOTES.get(c, c) for c in sentence)


def _figure(sentence: str, rng: random.Random) -> str | None:
    places = [i for i, c in enumerate(sentence) if c in _DIGITS]
    if not places:
        return None
    at = rng.choice(places)
    digit = int(sentence[at].translate(_HALF))
    new = str((digit + rng.randrange(1, 10)) % 10)
    if sentence[at] in "０１２３４５６７８９":
        new = new.translate(_FULL)
    return sentence[:at] + new + sentence[at + 1 :]


def _character(sentence: str, rng: random.Random) -> str | None:
    places = [i for i, c in enumerate(sentence) if "\u4e00" <= c <= "\u9fff"]
    if not places:
        return None
    at = rng.choice(places)
    new = rng.choice([c for c in _OTHER_CHARACTERS if c != sentence[at]])
    return sentence[:at] + new + sentence[at + 1 :]


def _insert(sentence: str, rng: random.Random) -> str | None:
    if len(sentence) < 4:
        return None
    at = rng.randrange(1, len(sentence) - 1)
    return sentence[:at] + "已经" + sentence[at:]


EDIT_KINDS: dict[str, Callable[[str, random.Random], str | None]] = {
    "full-width/half-width digits": _width,
    "one added space": _space,
    "quote style": _quotes,
    "one figure changed": _figure,
    "one character changed": _character,
    "two characters inserted": _insert,
}


def make_edits(sentences: list[str], count: int, seed: int) -> list[Edit]:
    """count edits, kinds taken in turn, each on a random sentence it applies to."""
    rng = random.Random(seed)
    edits: list[Edit] = []
    kinds = list(EDIT_KINDS)
    while len(edits) < count:
        kind = kinds[len(edits) % len(kinds)]
        sentence = rng.choice(sentences)
        after = EDIT_KINDS[kind](sentence, rng)
        if after is not None and after != sentence:
            edits.append(Edit(kind, sentence, after))
    return edits


def approved_project(folder: Path, article: Path = ARTICLE) -> tuple[Path, MemorySettings, dict[str, str]]:
    """An article in folder with every segment approved and recorded in a memory there; returns the
    article, the memory settings and the approved English by source sentence."""
    source = folder / "article.zh.txt"
    shutil.copyfile(article, source)
    memory = MemorySettings(folder / "memory.tmx")
    document, _ = segment_source(source, None, memory=memory)
    for number, segment in enumerate(document.segments, 1):
        segment.target, segment.state = f"Approved English no. {number} ({len(segment.source)} characters)", ReviewState.APPROVED
    write_segment_file(segment_file_for(source), document)
    segment_source(source, None, memory=memory)  # records the approved work
    return source, memory, {s.source: s.target for s in document.segments}


def run_edit(edit: Edit, source: Path, memory: MemorySettings, english: dict[str, str], scratch: Path) -> Outcome:
    """Make the edit in a fresh copy of the approved project and see what comes back for it."""
    if scratch.exists():
        shutil.rmtree(scratch)
    scratch.mkdir()
    copy = scratch / source.name
    copy.write_text(source.read_text(encoding="utf-8").replace(edit.before, edit.after, 1), encoding="utf-8")
    shutil.copyfile(segment_file_for(source), segment_file_for(copy))
    document, _ = segment_source(copy, None, memory=memory)
    expected = english[edit.before]
    for segment in document.segments:
        if segment.source in english or segment.target != expected:
            continue
        if segment.state is ReviewState.REVIEWED and segment.matches and segment.matches[0].score == 100:
            return Outcome(edit, "exact", 100)
        if segment.is_fuzzy_draft:
            return Outcome(edit, "fuzzy", segment.matches[0].score)
    return Outcome(edit, "lost", 0)


def measure(count: int, seed: int, threshold: float) -> list[Outcome]:
    """The outcome of count edits on a fresh approved project."""
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        source, memory, english = approved_project(root)
        memory = MemorySettings(memory.path, threshold)
        sentences = [s.source for s in read_segment_file(segment_file_for(source)).segments]
        return [run_edit(edit, source, memory, english, root / "edited") for edit in make_edits(sentences, count, seed)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--edits", type=int, default=100)
    parser.add_argument("--seed", type=int, default=9)
    parser.add_argument("--threshold", type=float, default=75.0)
    args = parser.parse_args()
    outcomes = measure(args.edits, args.seed, args.threshold)

    print(f"{len(outcomes)} edits on {ARTICLE.name}, fuzzy threshold {args.threshold:g}%\n")
    print("| edit kind | edits | exact | fuzzy | lost | fuzzy scores (min / median / max) |")
    print("|---|---|---|---|---|---|")
    for kind in [*EDIT_KINDS, "all"]:
        mine = [o for o in outcomes if kind == "all" or o.edit.kind == kind]
        counts = Counter(o.result for o in mine)
        scores = sorted(o.score for o in mine if o.result == "fuzzy")
        spread = f"{scores[0]} / {scores[len(scores) // 2]} / {scores[-1]}" if scores else "-"
        print(f"| {kind} | {len(mine)} | {counts['exact']} | {counts['fuzzy']} | {counts['lost']} | {spread} |")
    buckets = Counter(min(o.score // 5 * 5, 95) for o in outcomes if o.result == "fuzzy")
    print("\n| fuzzy score | edits |")
    print("|---|---|")
    for low in sorted(buckets):
        print(f"| {low}-{low + 4}% | {buckets[low]} |")
    lost = [o for o in outcomes if o.result == "lost"]
    for outcome in lost:
        print(f"LOST [{outcome.edit.kind}] {outcome.edit.before!r} -> {outcome.edit.after!r}", file=sys.stderr)
    return 1 if lost else 0


if __name__ == "__main__":
    sys.exit(main())
