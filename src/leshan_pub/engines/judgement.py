"""Where a term goes when the draft holds no rendering of it: the model's own judgement of whole sentences.

A model may render a term in a sentence in a way it never writes for the term alone, so its rendering
is not found in the draft (engines/placement.py step 1), and the cheap signals (what the draft's words
owe to the term's Chinese, the cross-attention) may point at the wrong words. Here the term is put in
place of every run of one to LONGEST whole words of the draft (and at the engine's own place), and the
model scores each whole sentence, leaving out the term's own pieces, which it never chose. At the
COMPLETED best starts the model also writes the rest of the sentence after the forced term, and the
words that place replaced are kept out of it. The best sentence that neither keeps the replaced words
beside the term nor glues a word onto it is kept. If it is not clearly better than the next one
(MARGIN), its place is marked uncertain for review.

One term is judged per round, left to right: the next round reads the chosen sentence afresh (the
engine's placement), and places only after the terms already judged, which it leaves as they are.
Only sentences whose rendering of a term was not found pay for it. Torch-free: the engine supplies
a Judge (decode after a forced prefix; score a whole English).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from ..document import TermRecord
    from ..terms import Term
    from .constraints import Anchor, SegmentPlan, TargetVocab

MARGIN = 1.0  # nats the best whole sentence must beat the next different one by, or its term's place is uncertain
COMPLETED = 3  # places (best by their splice's score) where the model writes the rest of the sentence after the term
LONGEST = 3  # the most draft words a term may replace, before 2 per word of the term
SHORTEST_KEPT_OUT = 4  # letters a rendering needs before it is kept out of completions (not "a", "the", "of")
UNCERTAIN = "uncertain place"  # the term record's detail when no place was clearly the model's choice


@dataclass(frozen=True)
class Completion:
    """One request to the model: write the rest of the English of source row after prefix."""

    row: int  # index of the source in the engine's batch
    prefix: tuple[int, ...]  # forced English ids, no start token
    kept_out: tuple[tuple[int, ...], ...]  # id sequences the rest may not write


class Judge(Protocol):
    """What an engine does for the judgement: decode after a forced prefix, and score given English."""

    def complete(self, requests: Sequence[Completion]) -> list[list[int]]:
        """Per request: the whole English ids (prefix first, ending in </s>)."""
        ...

    def score(self, requests: Sequence[tuple[int, Sequence[int]]]) -> list[list[float]]:
        """Per (source row, English ids ending in </s>): each token's log-probability, teacher-forced."""
        ...


# The engine's placement of a batch of drafts: per draft, the anchors of its lacking terms (plan index ->
# one Anchor per missing occurrence) and the plan indexes whose rendering was not found (one per occurrence).
Placer = Callable[[list[int], list[list[int]]], "tuple[list[dict[int, list[Anchor]]], list[list[int]]]"]


@dataclass
class Judged:
    """A draft after the judgement: its English ids, and per judged term (plan index) whether its place is uncertain."""

    ids: list[int]
    uncertain: dict[int, list[bool]] = field(default_factory=dict)
    candidates: int = 0  # whole sentences the model scored for it
    unplaceable: bool = False  # a term found no candidate place: left missing, for the engine's fallback


@dataclass
class _Place:
    """A candidate: the term from draft position `at` on, in place of draft[at:end] (spliced) or with the
    rest written by the model (completed, end = -1); `ids` the whole sentence once known."""

    at: int
    end: int
    head: list[int]  # the sentence up to and with the term
    ids: list[int]
    kept_out: tuple[int, ...] = ()
    score: float = 0.0


def word_starts(vocab: TargetVocab, draft: Sequence[int]) -> list[int]:
    """Positions in draft (ending in </s>) where a word begins, and its end token's (the term at the end)."""
    return [j for j, token in enumerate(draft[:-1]) if j == 0 or vocab.starts_word(token)] + [len(draft) - 1]


def kept_out(vocab: TargetVocab, words: Sequence[int]) -> tuple[int, ...]:
    """words (ids the term replaced) when long enough to keep out of a completion safely; else ()."""
    return tuple(words) if sum(c.isalpha() for c in vocab.text(list(words))) >= SHORTEST_KEPT_OUT else ()


def holds(ids: Sequence[int], words: Sequence[int]) -> bool:
    """True when words (ids) stand in ids as a run."""
    n = len(words)
    return n > 0 and any(list(ids[j : j + n]) == list(words) for j in range(len(ids) - n + 1))


def judge(
    vocab: TargetVocab,
    judge_model: Judge,
    drafts: list[list[int]],
    plans: list[SegmentPlan],
    place: Placer,
    margin: float = MARGIN,
    completed: int = COMPLETED,
) -> list[Judged]:
    """Each draft (ids ending in </s>) with its lacking terms put in: those whose rendering the engine's
    placement finds, in its place (splice); each other one where the model judges the whole sentence
    best (see the module docstring). Returns one Judged per draft, in order."""
    # The splice still lives beside the torch reading of placement.py; imported here, not at the top.
    from .placement import missing_occurrences, splice

    results = [Judged(list(d)) for d in drafts]
    floors = [0] * len(drafts)  # where the next judged term may go: after the ones judged already
    active = [n for n in range(len(drafts)) if missing_occurrences(vocab, drafts[n], plans[n])]
    for _ in range(2 * max((sum(p.counts) for p in plans), default=0) + 1):
        if not active:
            break
        anchors, unplaced = place(active, [results[n].ids for n in active])
        judged: list[tuple[int, int, list[_Place]]] = []
        for n, found, rest in zip(active, anchors, unplaced):
            current, plan = results[n].ids, plans[n]
            located = {k: xs[: len(xs) - rest.count(k)] for k, xs in found.items()}
            if any(located.values()):  # renderings found: the splice mends those first, then a new reading
                spliced, _ = splice(vocab, current, plan, located)
                before = sum(len(x.displaced) for xs in located.values() for x in xs if x.at < floors[n])
                floors[n] += sum(len(s) for s in _spelled(vocab, current, plan, located, floors[n])) - before
                results[n].ids = spliced
                continue
            # The leftmost unfound term is judged this round; its signal's place is a candidate whatever it scores.
            i, anchor = min(((k, x) for k in dict.fromkeys(rest) for x in found.get(k, [])), key=lambda kx: kx[1].at)
            judged.append((n, i, _spans(vocab, current, plan, i, floors[n], anchor)))
        if judged:
            _choose(vocab, judge_model, results, plans, judged, floors, margin, completed)
        active = [n for n in active if not results[n].unplaceable and missing_occurrences(vocab, results[n].ids, plans[n])]
    return results


def _spelled(vocab: TargetVocab, draft: Sequence[int], plan: SegmentPlan, anchors: dict[int, list[Anchor]], floor: int) -> list[tuple[int, ...]]:
    """The spellings splice writes for the anchors before floor."""
    from .placement import _usual

    return [x.spelling or _usual(vocab, draft, plan, k, x.at) for k, xs in anchors.items() for x in xs if x.at < floor]


def _spans(vocab: TargetVocab, draft: list[int], plan: SegmentPlan, i: int, floor: int, anchor: Anchor) -> list[_Place]:
    """Every splice of term i over one to LONGEST (or two per term word) whole words of draft from floor
    on, and the engine's own anchor (which may insert the term without replacing anything)."""
    from .placement import _usual

    starts = [a for a in word_starts(vocab, draft) if a >= floor]
    longest = max(LONGEST, 2 * len(plan.spellings[i].term.target.split()))
    places: list[_Place] = []
    for k, a in enumerate(starts[:-1]):
        head = [*draft[:a], *_usual(vocab, draft, plan, i, a)]
        for b in starts[k + 1 : k + 1 + longest]:
            # The draft lacks the term, so it replaces words of the draft, not punctuation alone.
            if any(c.isalnum() for c in vocab.text(draft[a:b])):
                places.append(_Place(a, b, head, [*head, *draft[b:]]))
    a, b = anchor.at, anchor.at + len(anchor.displaced)
    if a >= floor and not any(p.at == a and p.end == b for p in places):
        head = [*draft[:a], *_usual(vocab, draft, plan, i, a)]
        places.append(_Place(a, b, head, [*head, *draft[b:]]))
    return places


def _choose(
    vocab: TargetVocab, judge_model: Judge, results: list[Judged], plans: list[SegmentPlan],
    judged: list[tuple[int, int, list[_Place]]], floors: list[int], margin: float, completed: int,
) -> None:
    """Scores the spliced candidates, completes the best places, scores those, and keeps the best sentence."""
    spliced = [(n, p) for n, _, places in judged for p in places]
    for (n, p), values in zip(spliced, judge_model.score([(n, p.ids) for n, p in spliced])):
        p.score = _without_term(values, p)
    requests: list[tuple[int, _Place]] = []
    for n, _, places in judged:
        best: dict[int, _Place] = {}  # per start, its best splice: its words are taken for the rendering
        for p in sorted(places, key=lambda p: -p.score):
            best.setdefault(p.at, p)
        for p in list(best.values())[:completed]:
            requests.append((n, _Place(p.at, -1, p.head, [], kept_out(vocab, results[n].ids[p.at : p.end]))))
    written = judge_model.complete([Completion(n, tuple(p.head), (p.kept_out,) if p.kept_out else ()) for n, p in requests])
    for (_, p), ids in zip(requests, written):
        p.ids = ids
    for (n, p), values in zip(requests, judge_model.score([(n, p.ids) for n, p in requests])):
        p.score = _without_term(values, p)
    extra: dict[int, list[_Place]] = {}
    for n, p in requests:
        extra.setdefault(n, []).append(p)
    for n, i, places in judged:
        term = plans[n].spellings[i].term
        wanted = _count(vocab, results[n].ids, term) + 1
        # Do no harm: the term must stand whole (a completion may glue a word onto it), and never
        # beside the words it replaced.
        pool = [p for p in [*places, *extra.get(n, [])]
                if _count(vocab, p.ids, term) >= wanted and not holds(p.ids[len(p.head):], p.kept_out)]
        pool = pool or places
        if not pool:  # no place left after the terms judged already: the engine's fallback writes it
            results[n].unplaceable = True
            continue
        ranked = sorted({tuple(p.ids): p for p in pool}.values(), key=lambda p: -p.score)
        chosen = ranked[0]
        results[n].ids = chosen.ids
        results[n].candidates += len(places) + len(extra.get(n, []))
        results[n].uncertain.setdefault(i, []).append(len(ranked) > 1 and chosen.score - ranked[1].score < margin)
        floors[n] = len(chosen.head)


def _without_term(log_probs: Sequence[float], place: _Place) -> float:
    """The sentence's log-probability less its term's pieces: the model never chose those, wherever they
    stand; what tells the places apart is how likely the rest of the English is with the term there."""
    return float(sum(log_probs[: place.at]) + sum(log_probs[len(place.head) :]))


def _count(vocab: TargetVocab, ids: Sequence[int], term: Term) -> int:
    from ..quality.enforce import occurrences

    return occurrences(vocab.text(list(ids)), term)


def term_records(plan: SegmentPlan, judged: Judged) -> list[TermRecord]:
    """One record per judged term occurrence: placed with its place uncertain, or continued (the model
    wrote the sentence on after it)."""
    from ..document import TermMethod, TermRecord

    return [
        TermRecord(plan.spellings[i].term.source, plan.spellings[i].term.target,
                   TermMethod.PLACED if uncertain else TermMethod.CONTINUED, UNCERTAIN if uncertain else "")
        for i, flags in judged.uncertain.items()
        for uncertain in flags
    ]


def judgement_notes(records: Sequence[TermRecord]) -> list[str]:
    """The review note for each term whose place is uncertain."""
    return [
        f"glossary: '{r.source}' ('{r.target}') placed where the model judged it best, but no place was "
        f"clearly better than the next; check where it stands"
        for r in records
        if r.detail == UNCERTAIN
    ]
