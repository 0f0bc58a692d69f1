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
shared repair's find_anchors), and places only after the terms already judged, which it leaves as they
are. Only sentences whose rendering of a term was not found pay for it. A step of the shared repair
(engines/repair.py, placement "judgement"); torch-free: the engine's RepairModel decodes after a forced
prefix with sequences kept out, and scores a whole English per token.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..document import TermMethod
from ..quality.enforce import occurrences
from ..quality.qa import UNCERTAIN_PLACE
from .placement import _usual, missing_occurrences, splice
from .spelling import Anchor

if TYPE_CHECKING:
    from ..terms import Term
    from .repair import RepairModel
    from .spelling import SegmentPlan, TargetVocab

MARGIN = 1.0  # nats the best whole sentence must beat the next different one by, or its term's place is uncertain
COMPLETED = 3  # places (best by their splice's score) where the model writes the rest of the sentence after the term
LONGEST = 3  # the most draft words a term may replace, before 2 per word of the term
SHORTEST_KEPT_OUT = 4  # letters a rendering needs before it is kept out of completions (not "a", "the", "of")
UNCERTAIN = UNCERTAIN_PLACE  # the term record's detail when no place was clearly the model's choice
BEAMS = 1  # the beams that write each candidate place's rest of the sentence (both engines)

# The repair's placement of a batch of drafts (repair.find_anchors): per draft (of the batch's sources
# rows), the anchors of its lacking terms and the plan indexes whose rendering was not found.
Placer = Callable[
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
class _Place:
    """A candidate: the term from draft position `at` on, in place of draft[at:end] (spliced) or with the
    rest written by the model (completed, end = -1); `ids` the whole sentence once known."""

    at: int
    end: int
    head: list[int]  # the sentence up to and with the term
    ids: list[int]
    kept_out: tuple[int, ...] = ()
    score: float = 0.0
    replaced: tuple[int, ...] = ()  # the draft words the term took the place of


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
    model: RepairModel,
    rows: list[int],
    drafts: list[list[int]],
    plans: list[SegmentPlan],
    margin: float = MARGIN,
    completed: int = COMPLETED,
    place: Placer | None = None,
) -> list[Judged]:
    """Each draft (of the batch's sources rows; ids ending in </s>) with its lacking terms put in: those
    whose rendering the repair's placement finds, in its place (splice); each other one where the model
    judges the whole sentence best (see the module docstring). Returns one Judged per draft, in order.
    place: the placement, repair.find_anchors unless a test gives its own."""
    from .repair import _note_changes, find_anchors

    place = place or find_anchors
    vocab = model.vocab
    results = [Judged(list(d)) for d in drafts]
    floors = [0] * len(drafts)  # where the next judged term may go: after the ones judged already
    active = [n for n in range(len(drafts)) if missing_occurrences(vocab, drafts[n], plans[n])]
    for _ in range(2 * max((sum(p.counts) for p in plans), default=0) + 1):
        if not active:
            break
        anchors, unplaced = place(model, [rows[n] for n in active], [results[n].ids for n in active], [plans[n] for n in active])
        judged: list[tuple[int, int, list[_Place]]] = []
        for n, found, rest in zip(active, anchors, unplaced):
            current, plan = results[n].ids, plans[n]
            located = {k: xs[: len(xs) - rest.count(k)] for k, xs in found.items()}
            if any(located.values()):  # renderings found: the splice mends those first, then a new reading
                changes: dict[tuple[int, int], list[str]] = {}
                spliced, _ = splice(vocab, current, plan, located, changes)
                _note_changes(located, changes)
                before = sum(len(x.displaced) for xs in located.values() for x in xs if x.at < floors[n])
                floors[n] += sum(len(s) for s in _spelled(vocab, current, plan, located, floors[n])) - before
                results[n].ids = spliced
                for k, xs in located.items():
                    results[n].anchors.setdefault(k, []).extend(xs)
                continue
            # The leftmost unfound term is judged this round; its signal's place is a candidate whatever it scores.
            i, anchor = min(((k, x) for k in dict.fromkeys(rest) for x in found.get(k, [])), key=lambda kx: kx[1].at)
            judged.append((n, i, _spans(vocab, current, plan, i, floors[n], anchor)))
        if judged:
            _choose(model, rows, results, plans, judged, floors, margin, completed)
        active = [n for n in active if not results[n].unplaceable and missing_occurrences(vocab, results[n].ids, plans[n])]
    return results


def _spelled(vocab: TargetVocab, draft: Sequence[int], plan: SegmentPlan, anchors: dict[int, list[Anchor]], floor: int) -> list[tuple[int, ...]]:
    """The spellings splice writes for the anchors before floor."""
    return [
        x.spelling or _usual(vocab, draft, plan, k, x.at, x.at + len(x.displaced))
        for k, xs in anchors.items() for x in xs if x.at < floor
    ]


def _spans(vocab: TargetVocab, draft: list[int], plan: SegmentPlan, i: int, floor: int, anchor: Anchor) -> list[_Place]:
    """Every splice of term i over one to LONGEST (or two per term word) whole words of draft from floor
    on, and the engine's own anchor (which may insert the term without replacing anything). The term is
    spelled as splice spells it there (the plural where the words it replaces are plural)."""
    starts = [a for a in word_starts(vocab, draft) if a >= floor]
    longest = max(LONGEST, 2 * len(plan.spellings[i].term.target.split()))
    places: list[_Place] = []
    for k, a in enumerate(starts[:-1]):
        for b in starts[k + 1 : k + 1 + longest]:
            # The draft lacks the term, so it replaces words of the draft, not punctuation alone.
            if any(c.isalnum() for c in vocab.text(draft[a:b])):
                head = [*draft[:a], *_usual(vocab, draft, plan, i, a, b)]
                places.append(_Place(a, b, head, [*head, *draft[b:]], replaced=tuple(draft[a:b])))
    a, b = anchor.at, anchor.at + len(anchor.displaced)
    if a >= floor and not any(p.at == a and p.end == b for p in places):
        head = [*draft[:a], *_usual(vocab, draft, plan, i, a, b)]
        places.append(_Place(a, b, head, [*head, *draft[b:]], replaced=tuple(draft[a:b])))
    return places


def _choose(
    model: RepairModel, rows: list[int], results: list[Judged], plans: list[SegmentPlan],
    judged: list[tuple[int, int, list[_Place]]], floors: list[int], margin: float, completed: int,
) -> None:
    """Scores the spliced candidates, completes the best places, scores those, and keeps the best sentence."""
    vocab = model.vocab
    spliced = [(n, p) for n, _, places in judged for p in places]
    for (n, p), values in zip(spliced, model.token_scores([rows[n] for n, _ in spliced], [p.ids for _, p in spliced])):
        p.score = _without_term(values, p)
    requests: list[tuple[int, _Place]] = []
    for n, _, places in judged:
        best: dict[int, _Place] = {}  # per start, its best splice: its words are taken for the rendering
        for p in sorted(places, key=lambda p: -p.score):
            best.setdefault(p.at, p)
        for p in list(best.values())[:completed]:
            requests.append((n, _Place(p.at, -1, p.head, [], kept_out(vocab, p.replaced), replaced=p.replaced)))
    written = model.decode_after(
        [rows[n] for n, _ in requests], [p.head for _, p in requests],
        kept_out=[(p.kept_out,) if p.kept_out else () for _, p in requests], beams=BEAMS,
    ) if requests else []
    for (_, p), ids in zip(requests, written):
        p.ids = ids
    for (n, p), values in zip(requests, model.token_scores([rows[n] for n, _ in requests], [p.ids for _, p in requests])
                              if requests else []):
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
        if not pool:  # no place left after the terms judged already: the usual repair writes it
            results[n].unplaceable = True
            continue
        ranked = sorted({tuple(p.ids): p for p in pool}.values(), key=lambda p: -p.score)
        chosen = ranked[0]
        uncertain = len(ranked) > 1 and chosen.score - ranked[1].score < margin
        current = results[n].ids
        results[n].anchors.setdefault(i, []).append(Anchor(
            before=tuple(current[: chosen.at]), displaced=chosen.replaced,
            after=current[chosen.at + len(chosen.replaced)] if chosen.at + len(chosen.replaced) < len(current) else vocab.eos_id,
            spelling=tuple(chosen.head[chosen.at :]), at=chosen.at,
            method=str(TermMethod.PLACED if uncertain else TermMethod.CONTINUED), detail=UNCERTAIN if uncertain else "",
        ))
        results[n].ids = chosen.ids
        results[n].candidates += len(places) + len(extra.get(n, []))
        floors[n] = len(chosen.head)


def _without_term(log_probs: Sequence[float], place: _Place) -> float:
    """The sentence's log-probability less its term's pieces: the model never chose those, wherever they
    stand; what tells the places apart is how likely the rest of the English is with the term there."""
    return float(sum(log_probs[: place.at]) + sum(log_probs[len(place.head) :]))


def _count(vocab: TargetVocab, ids: Sequence[int], term: Term) -> int:
    return occurrences(vocab.text(list(ids)), term)
