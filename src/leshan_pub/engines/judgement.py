"""Where a term goes when the draft holds no rendering of it: the model writes the sentence on after the term at every place, and judges.

A model may render a term in a sentence in a way it never writes for the term alone, so its rendering
is not found in the draft (engines/placement.py step 1), and the cheap signals (what the draft's words
owe to the term's Chinese, the cross-attention) may point at the wrong words. Here the term is forced
after every word boundary of the draft (the draft's words before it, the term, then the model writes
the rest at beam 1: one batched decode for every place of every sentence), and also spliced over every
run of one to MAX_REPLACED_WORDS words; the model scores each whole sentence, teacher-forced, summed
(sentence_score). Never kept: a completion that replaced no word of the draft, or writes a word it
replaced again after the term (the term goes in a rendering's place, not beside it); one that drops
more words than a rendering has (stops_early: a short sentence has fewer tokens to lose). If the kept
sentence is not clearly better than the next (MARGIN), its place is marked uncertain for review.

One term per sentence is judged per round, in source order: the next round reads the chosen sentence
afresh (renderings only: the repair's locator, repair.locate_renderings) and may put the next term
anywhere its candidate keeps the terms already in. Only sentences whose rendering of a term was not
found pay for it. A step of the shared repair (engines/repair.py, placement "judgement"); torch-free:
the engine's RepairModel decodes after a forced prefix, and scores a whole English per token.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..document import TermMethod
from ..forms import is_plural
from ..quality.enforce import occurrences
from ..quality.qa import UNCERTAIN_PLACE
from .placement import MAX_REPLACED_WORDS, missing_occurrences, note_changes, splice, usual_spelling
from .spelling import Anchor

if TYPE_CHECKING:
    from ..terms import Term
    from .repair import RepairModel
    from .spelling import SegmentPlan, TargetVocab

MARGIN = 1.0  # nats the best whole sentence must beat the next different one by, or its term's place is uncertain
SHORTEST_KEPT_OUT = 4  # letters a replaced word needs before writing it again after the term drops a completion (not "a", "the")
UNCERTAIN = UNCERTAIN_PLACE  # the term record's detail when no place was clearly the model's choice
BEAMS = 1  # the beams that write each place's rest of the sentence (both engines)

# The repair's location of renderings in a batch of drafts (repair.locate_renderings): per draft, the
# anchors of the terms whose rendering it found, and the plan indexes whose rendering it did not find.
Locator = Callable[
    ["RepairModel", list[int], list[list[int]], "list[SegmentPlan]"],
    "tuple[list[dict[int, list[Anchor]]], list[list[int]]]",
]


@dataclass
class Judged:
    """A draft after the judgement: its English ids, and per term (plan index) the anchors that put it in:
    those located by rendering (spliced), and the judged ones, method "continued", or "placed" with detail
    UNCERTAIN where no place was clearly the model's choice (read by repair.term_records)."""

    ids: list[int]
    anchors: dict[int, list[Anchor]] = field(default_factory=dict)
    candidates: int = 0  # whole sentences the model scored for it
    unplaceable: bool = False  # a term found no candidate place: left missing, for the usual repair


@dataclass
class Place:
    """A candidate: the term at draft position `at` (head: the sentence up to and with it), and the whole
    sentence (ids): the rest written by the model after the forced head, or the draft's own words after the
    words it replaces (a splice); and the model's score of it (sentence_score)."""

    at: int
    head: list[int]
    ids: list[int] = field(default_factory=list)
    score: float = 0.0


def word_starts(vocab: TargetVocab, draft: Sequence[int]) -> list[int]:
    """Positions in draft (ending in </s>) where a word begins: the places a term may be forced at."""
    return [j for j, token in enumerate(draft[:-1]) if j == 0 or vocab.starts_word(token)]


def holds(ids: Sequence[int], words: Sequence[int]) -> bool:
    """True when words (ids) stand in ids as a run."""
    n = len(words)
    return n > 0 and any(list(ids[j : j + n]) == list(words) for j in range(len(ids) - n + 1))


def replaced_words(draft: Sequence[int], place: Place) -> tuple[tuple[int, ...], list[int]]:
    """The draft words after place.at that its completion did not keep (the longest run at the end they
    share is kept), and the completion's own words before that run."""
    tail, rest = list(draft[place.at :]), place.ids[len(place.head) :]
    shared = 0
    while shared < min(len(tail), len(rest)) and tail[-1 - shared] == rest[-1 - shared]:
        shared += 1
    return tuple(tail[: len(tail) - shared]), rest[: len(rest) - shared]


def repeats_rendering(vocab: TargetVocab, draft: Sequence[int], place: Place) -> bool:
    """True when the completion put the term beside a rendering instead of in its place: it replaced no
    word of the draft, or it writes a word it replaced (SHORTEST_KEPT_OUT letters or more) again."""
    replaced, written = replaced_words(draft, place)
    words = _words(vocab.text(list(replaced)))
    if not words:
        return True
    again = set(_words(vocab.text(written)))
    return any(w in again for w in words if sum(c.isalpha() for c in w) >= SHORTEST_KEPT_OUT)


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


def stops_early(vocab: TargetVocab, draft: Sequence[int], plan: SegmentPlan, i: int, place: Place) -> bool:
    """True when the completion drops more of the draft's words than a rendering of the term could have:
    more words replaced than written, by over MAX_REPLACED_WORDS (or two per word of the term). Such a sentence is
    short, and a short sentence has fewer tokens to lose log-probability on."""
    replaced, written = replaced_words(draft, place)
    longest = max(MAX_REPLACED_WORDS, 2 * len(plan.spellings[i].term.target.split()))
    return len(_words(vocab.text(list(replaced)))) - len(_words(vocab.text(written))) > longest


def sentence_score(values: Sequence[float], place: Place) -> float:
    """The model's score of the whole sentence: its tokens' log-probabilities, summed, the term's own
    pieces too (where the model expects its own rendering they cost most, and that tells places apart).
    A sentence that stops early gains by having fewer tokens: stops_early keeps those out."""
    return float(sum(values))


def judge(
    model: RepairModel,
    rows: list[int],
    drafts: list[list[int]],
    plans: list[SegmentPlan],
    locate: Locator,
    margin: float = MARGIN,
) -> list[Judged]:
    """Each draft (of the batch's sources rows; ids ending in </s>) with its lacking terms put in: those
    whose rendering the repair finds, in its place (splice); each other one where the model judges the
    whole sentence best (see the module docstring). Returns one Judged per draft, in order.
    locate: where renderings stand (repair.locate_renderings; a test gives its own)."""
    vocab = model.vocab
    results = [Judged(list(d)) for d in drafts]
    active = [n for n in range(len(drafts)) if missing_occurrences(vocab, drafts[n], plans[n])]
    for _ in range(2 * max((sum(p.counts) for p in plans), default=0) + 1):
        if not active:
            break
        found, unfound = locate(model, [rows[n] for n in active], [results[n].ids for n in active], [plans[n] for n in active])
        judged: list[tuple[int, int, list[Place]]] = []
        for n, located, rest in zip(active, found, unfound):
            if any(located.values()):  # renderings found: the splice mends those first, then a new reading
                changes: dict[tuple[int, int], list[str]] = {}
                results[n].ids, _ = splice(vocab, results[n].ids, plans[n], located, changes)
                note_changes(located, changes)
                for k, xs in located.items():
                    results[n].anchors.setdefault(k, []).extend(xs)
                continue
            i = rest[0]
            places = _places(vocab, results[n].ids, plans[n], i)
            judged.append((n, i, [p for p in places if len(p.ids or p.head) < model.max_length]))
        if judged:
            _choose(model, rows, results, plans, judged, margin)
        active = [n for n in active if not results[n].unplaceable and missing_occurrences(vocab, results[n].ids, plans[n])]
    return results


def _places(vocab: TargetVocab, draft: list[int], plan: SegmentPlan, i: int) -> list[Place]:
    """Term i's candidate places in draft: forced after every word boundary, the rest for the model to
    write (ids empty); and spliced over every run of one to MAX_REPLACED_WORDS words, the draft's own words
    after it (ids whole), which the model's rest at the true place may miss when it goes astray."""
    starts = word_starts(vocab, draft)
    places = [Place(a, [*draft[:a], *usual_spelling(vocab, draft, plan, i, a)]) for a in starts]
    ends = [*starts, len(draft) - 1]
    for k, a in enumerate(starts):
        for b in ends[k + 1 : k + 1 + MAX_REPLACED_WORDS]:
            head = [*draft[:a], *usual_spelling(vocab, draft, plan, i, a, b)]
            places.append(Place(a, head, [*head, *draft[b:]]))
    return places


def _choose(
    model: RepairModel, rows: list[int], results: list[Judged], plans: list[SegmentPlan],
    judged: list[tuple[int, int, list[Place]]], margin: float,
) -> None:
    """Completes every forced place of every judged term in one call, scores the sentences (completed and
    spliced) in one call, and keeps the best of those that put the term in a rendering's place."""
    vocab = model.vocab
    requests = [(n, p) for n, _, places in judged for p in places if not p.ids]  # the splices are whole already
    written = model.decode_after([rows[n] for n, _ in requests], [p.head for _, p in requests], beams=BEAMS) \
        if requests else []
    for (_, p), ids in zip(requests, written):
        p.ids = ids[: model.max_length]
    # Only sentences that keep every term in and put the new one whole are scored.
    kept: list[tuple[int, Place]] = []
    pools: dict[int, list[Place]] = {}
    for n, i, places in judged:
        current, plan = results[n].ids, plans[n]
        wanted = [_count(vocab, current, s.term) + (k == i) for k, s in enumerate(plan.spellings)]
        pools[n] = []
        for p in places:
            if p.ids[-1:] == [vocab.eos_id] and all(_count(vocab, p.ids, s.term) >= w for s, w in zip(plan.spellings, wanted)) \
                    and not repeats_rendering(vocab, current, p) and not stops_early(vocab, current, plan, i, p):
                pools[n].append(p)
                kept.append((n, p))
    scores = model.token_scores([rows[n] for n, _ in kept], [p.ids for _, p in kept]) if kept else []
    for (_, p), values in zip(kept, scores):
        p.score = sentence_score(values, p)
    for n, i, places in judged:
        results[n].candidates += len(places)
        if not pools[n]:  # no place keeps the terms whole: the usual repair writes it
            results[n].unplaceable = True
            continue
        ranked = sorted({tuple(p.ids): p for p in pools[n]}.values(), key=lambda p: -p.score)
        chosen = ranked[0]
        uncertain = len(ranked) > 1 and chosen.score - ranked[1].score < margin
        current = results[n].ids
        replaced, _ = replaced_words(current, chosen)
        ids, spelling = _in_number(vocab, current, plans[n], i, chosen, replaced)
        end = chosen.at + len(replaced)
        results[n].anchors.setdefault(i, []).append(Anchor(
            before=tuple(current[: chosen.at]), displaced=replaced,
            after=current[end] if end < len(current) else vocab.eos_id, spelling=spelling, at=chosen.at,
            method=str(TermMethod.PLACED if uncertain else TermMethod.CONTINUED), detail=UNCERTAIN if uncertain else "",
        ))
        results[n].ids = ids


def _in_number(
    vocab: TargetVocab, draft: Sequence[int], plan: SegmentPlan, i: int, place: Place, replaced: Sequence[int]
) -> tuple[list[int], tuple[int, ...]]:
    """The chosen sentence with the term in the number of the words it replaced (the model's own rendering
    was plural there: so are the words the model wrote around it), and the term's spelling in it."""
    spelling, rest = tuple(place.head[place.at :]), place.ids[len(place.head) :]
    plural = usual_spelling(vocab, draft, plan, i, place.at, plural=True)
    glued = rest[:1] != [vocab.eos_id] and not vocab.starts_word(rest[0]) and vocab.text(rest[:1])[:1].isalpha()
    if plural == spelling or glued or not is_plural(vocab.text(list(replaced))):  # glued: the model wrote its own ending
        return place.ids, spelling
    return [*place.head[: place.at], *plural, *place.ids[len(place.head) :]], plural


def _count(vocab: TargetVocab, ids: Sequence[int], term: Term) -> int:
    return occurrences(vocab.text(list(ids)), term)
