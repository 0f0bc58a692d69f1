"""Where a term goes when the draft holds no rendering of it: the model's own judgement of whole sentences.

A model may render a term in a sentence in a way it never writes for the term alone, so its rendering
is not found in the draft (engines/placement.py step 1). The cheap signals (what the draft's words
owe to the term's Chinese, the cross-attention) then say roughly where the term belongs, not exactly.
Here each of a few places near that signal becomes a candidate: the draft up to the place, the term,
and the rest written again by the model after that forced prefix, the draft's words that the signal
took for the rendering kept out of it (the rendering must not come back). The plain splice of the
signal is a candidate too. The model scores each whole sentence; the best one is kept. When the best
is not clearly better than the next (MARGIN), its place is marked uncertain for review.

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
    from .constraints import Anchor, SegmentPlan, TargetVocab

MARGIN = 1.0  # nats the best whole sentence must beat the next different one by, or its term's place is uncertain
NEIGHBOURS = 2  # word starts on either side of the signalled place tried as places too
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

    def score(self, requests: Sequence[tuple[int, Sequence[int]]]) -> list[float]:
        """Per (source row, English ids ending in </s>): the summed log-probability of the English."""
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


def word_starts(vocab: TargetVocab, draft: Sequence[int]) -> list[int]:
    """Positions in draft (ending in </s>) where a word begins, and its end token's (the term at the end)."""
    return [j for j, token in enumerate(draft[:-1]) if j == 0 or vocab.starts_word(token)] + [len(draft) - 1]


def candidate_places(vocab: TargetVocab, draft: Sequence[int], signalled: int, floor: int) -> list[int]:
    """The word starts of draft from floor on nearest the signalled place: it, and NEIGHBOURS either side."""
    starts = [a for a in word_starts(vocab, draft) if a >= floor]
    if not starts:
        return []
    nearest = min(range(len(starts)), key=lambda k: (abs(starts[k] - signalled), starts[k]))
    return starts[max(0, nearest - NEIGHBOURS) : nearest + NEIGHBOURS + 1]


def kept_out(vocab: TargetVocab, anchor: Anchor) -> tuple[int, ...]:
    """The draft's words the signal took for the term's rendering, when long enough to keep out safely; else ()."""
    letters = sum(c.isalpha() for c in vocab.text(list(anchor.displaced)))
    return tuple(anchor.displaced) if letters >= SHORTEST_KEPT_OUT else ()


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
) -> list[Judged]:
    """Each draft (ids ending in </s>) with its lacking terms put in: those whose rendering the engine's
    placement finds, in its place (splice); each other one where the model judges the whole sentence
    best (see the module docstring). Returns one Judged per draft, in order."""
    # The splice still lives beside the torch reading of placement.py; imported here, not at the top.
    from .placement import _usual, missing_occurrences, splice

    results = [Judged(list(d)) for d in drafts]
    floors = [0] * len(drafts)  # where the next judged term may go: after the ones judged already
    active = [n for n in range(len(drafts)) if missing_occurrences(vocab, drafts[n], plans[n])]
    for _ in range(1 + max((sum(p.counts) for p in plans), default=0)):
        if not active:
            break
        anchors, unplaced = place(active, [results[n].ids for n in active])
        requests: list[tuple[int, int, list[tuple[int, list[int]]], tuple[int, ...]]] = []
        for n, found, rest in zip(active, anchors, unplaced):
            current, plan = results[n].ids, plans[n]
            if not rest:  # every rendering found: the splice mends it
                results[n].ids = splice(vocab, current, plan, found)[0]
                continue
            # The leftmost unfound term is judged this round.
            i, anchor = min(((k, x) for k in dict.fromkeys(rest) for x in found.get(k, [])[-rest.count(k):]),
                            key=lambda kx: kx[1].at)
            # Terms whose rendering was found keep their places before the judged one's.
            located = {k: xs[: len(xs) - rest.count(k)] for k, xs in found.items()}
            out = kept_out(vocab, anchor)
            places: list[tuple[int, list[int]]] = []  # (where the judged term ends, a prefix or a whole sentence)
            for a in candidate_places(vocab, current, max(anchor.at, floors[n]), floors[n]):
                before = {k: [x for x in xs if x.at + len(x.displaced) <= a] for k, xs in located.items()}
                head = [*splice(vocab, [*current[:a], vocab.eos_id], plan, before)[0][:-1],
                        *_usual(vocab, current, plan, i, a)]
                places.append((len(head), head))
            if anchor.at >= floors[n]:  # the signal's own splice: the term in place of the words it took
                before = {k: [x for x in xs if x.at < anchor.at] for k, xs in located.items()}
                ids, tail = splice(vocab, current, plan, {**before, i: [anchor]})
                places.append((tail, ids))
            requests.append((n, i, places, out))
        completions = [
            Completion(n, tuple(ids), (out,) if out else ())
            for n, _, places, out in requests for _, ids in places if not _is_whole(ids, vocab)
        ]
        written = iter(judge_model.complete(completions) if completions else [])
        choices: list[tuple[int, int, list[tuple[int, list[int]]]]] = []
        for n, i, places, out in requests:
            whole = [(end, ids if _is_whole(ids, vocab) else next(written)) for end, ids in places]
            # Do no harm: never the term beside the words it replaced.
            clean = [(end, ids) for end, ids in whole if not holds(ids, out)] or whole
            choices.append((n, i, list({tuple(ids): (end, ids) for end, ids in clean}.values())))
        scores = iter(judge_model.score([(n, ids) for n, _, found in choices for _, ids in found]))
        for n, i, found in choices:
            ranked = sorted(((next(scores), end, ids) for end, ids in found), key=lambda s: -s[0])
            best, floors[n], results[n].ids = ranked[0]
            results[n].candidates += len(ranked)
            results[n].uncertain.setdefault(i, []).append(len(ranked) > 1 and best - ranked[1][0] < margin)
        active = [n for n in active if missing_occurrences(vocab, results[n].ids, plans[n])]
    return results


def _is_whole(ids: Sequence[int], vocab: TargetVocab) -> bool:
    """True for a whole sentence (ends in </s>), false for a prefix to complete."""
    return bool(ids) and ids[-1] == vocab.eos_id


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
