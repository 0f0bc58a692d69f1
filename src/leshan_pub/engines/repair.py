"""The repair of a draft that lacks glossary terms, written once for every engine, behind a small model interface.

A draft is the model's own English (ids without the start token, ending in </s>). For each draft:

1. what is owed: the term occurrences the draft lacks (placement.missing_occurrences);
2. where each goes: the model's own rendering of the term located in the draft (rewritten: how it
   renders the term alone, or inside the document's other sentences, renderings.learn_renderings), else
   the words that owe most to its Chinese, their end chosen by the model's score of the rest of
   the draft (spliced), else the words aligned to it (placement.py);
3. the candidates: the term spliced over those words, the words beside it fitted to it
   (placement.splice); with term_repair "continue", also the draft decoded again after the last
   placed term, with everything up to it forced;
4. the choice: of the spliced and the continued English, the one the model scores higher (mean
   log-probability per token, given the source).

With placement "judgement" (and term_repair "splice"), a term whose rendering step 2 does not find goes
where the model judges the whole sentence best instead (engines/judgement.py: the term forced after
every word boundary of the draft, the model writing the rest, each whole sentence scored); a draft
judgement cannot mend is repaired as above.

An engine takes part through RepairModel: it reads a batch of drafts (what each token owes to each
term's Chinese, the cross-attention alignment, and a scorer of candidate placements), gives its own
renderings of a term's Chinese alone, decodes after a forced prefix (with sequences kept out), and
scores a given English (per token, for judgement).
Nothing here needs torch.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..document import TermMethod, TermRecord
from ..quality.enforce import TermMiss, occurrences, term_spans
from ..terms import Term
from .near_miss import near_misses
from .placement import (
    Ends, located_anchors, missing_occurrences, note_changes, rewritten_anchor, splice, unlocated_anchors,
    usual_spelling,
)
from .renderings import DraftWords
from .spelling import Anchor, SegmentPlan, TargetVocab

# A candidate placement of a term in one draft (placement._candidates), scored by the engine.
Candidate = tuple[int, int, list[int], list[bool], tuple[int, int]]


@dataclass
class DraftReading:
    """What an engine read off a batch of drafts, teacher-forced, for placing the terms no rendering located.

    owed[n]: per term index (into the plan's spellings), one row per missing occurrence of how far each
    draft token's score falls without the term's Chinese; None where placement is by attention only.
    aligned[n]: per draft token, the source piece it attends to most; pieces[n]: the source's pieces.
    score: per (draft n, candidate), the summed log-probability of the draft tokens the candidate keeps.
    """

    owed: list[dict[int, list[list[float]]] | None]
    aligned: list[list[int]]
    pieces: list[list[str]]
    score: Callable[[list[tuple[int, Candidate]]], Sequence[float]]


class RepairModel(Protocol):
    """What an engine gives the repair, for one batch of drafts (each engine's file holds its adapter)."""

    vocab: TargetVocab
    tokenizer: Any
    max_length: int  # the most tokens a repaired English may have (the model's positions, or the user's limit)

    def renderings(self, terms: list[Term]) -> dict[Term, list[str]]:
        """Per term: its forbidden renderings, then the model's n-best translations of its Chinese alone."""
        ...

    def learned(self, terms: list[Term]) -> dict[Term, list[str]]:
        """Per term: how the model renders it inside the run's sentences (renderings.learn_renderings), [] for none."""
        ...

    def read(self, rows: list[int], drafts: list[list[int]], terms: list[list[int]], plans: list[SegmentPlan]) -> DraftReading:
        """Read drafts (of the batch's sources rows) for placing terms (indexes into plans' spellings)."""
        ...

    def decode_after(
        self, rows: list[int], prefixes: list[list[int]],
        kept_out: list[tuple[tuple[int, ...], ...]] | None = None, beams: int | None = None,
    ) -> list[list[int]]:
        """The batch's sources rows decoded again, each with its prefix (ids) forced first; ids ending in </s>.

        kept_out[n]: id sequences row n's rest may not write (the words a judged term replaced); beams:
        the beam size, None for the engine's own.
        """
        ...

    def token_scores(self, rows: list[int], english: list[list[int]]) -> list[list[float]]:
        """Per (source row, English ids ending in </s>): each token's log-probability, teacher-forced."""
        ...

    def score(self, rows: list[int], english: list[list[int]]) -> list[float]:
        """Per (source row, English ids ending in </s>): the model's mean log-probability of the English's tokens."""
        ...


class EngineRenderings:
    """The renderings part of RepairModel, asked of the adapter's engine (both engines keep them alike)."""

    engine: Any

    def renderings(self, terms: list[Term]) -> dict[Term, list[str]]:
        return self.engine.renderings(terms)

    def learned(self, terms: list[Term]) -> dict[Term, list[str]]:
        return self.engine.learned_renderings(terms)


@dataclass
class Repaired:
    """One draft's repair: the English ids (None when no repair fits the length limit) and how each term went in."""

    ids: list[int] | None
    anchors: dict[int, list[Anchor]] = field(default_factory=dict)
    continued: bool = False


def locate_renderings(
    model: RepairModel, rows: list[int], drafts: list[list[int]], plans: list[SegmentPlan]
) -> tuple[list[dict[int, list[Anchor]]], list[list[int]]]:
    """Per draft (of the batch's sources rows): where the model's own rendering of each term it lacks
    stands (step 2's first part, no reading of the draft); and the terms (plan indexes, one per
    occurrence) whose rendering it does not hold.

    Renderings learned from the run's drafts are looked for first, each kept only where the model, given
    the term in its place, still expects the draft's next words (rest_holds): words that merely share the
    term's sentences ('been', 'selected') are learned too, and are not its rendering. Then the pinyin of
    the term's Chinese, where the model wrote a name it did not know as its sounds ('Jia Jiang'); then
    its renderings of the term alone.
    """
    vocab = model.vocab
    lacking = [missing_occurrences(vocab, draft, plan) for draft, plan in zip(drafts, plans)]
    terms = [plan.spellings[i].term for plan, ids in zip(plans, lacking) for i in ids]
    learned = model.learned(terms)
    trials: list[tuple[int, dict[int, list[Anchor]]]] = []  # (draft, anchors at its learned renderings)
    for n, (draft, plan, ids) in enumerate(zip(drafts, plans, lacking)):
        wanted = {i: learned.get(plan.spellings[i].term, []) for i in ids}
        if any(wanted.values()):
            guessed, _ = located_anchors(vocab, model.tokenizer, draft, plan, ids, wanted, (), LEARNED_DETAIL)
            if guessed:
                trials.append((n, guessed))
    kept = _kept_learned(model, rows, drafts, plans, trials)
    renderings = model.renderings(terms)
    anchors: list[dict[int, list[Anchor]]] = []
    unplaced: list[list[int]] = []
    for n, (draft, plan, ids) in enumerate(zip(drafts, plans, lacking)):
        placed = kept.get(n, {})
        rest = list(ids)
        for i, xs in placed.items():
            for _ in xs:
                rest.remove(i)
        taken = [(x.at, x.at + len(x.displaced)) for xs in placed.values() for x in xs]
        # A name the model did not know, written as its sounds ('Baolelijia'), before its renderings alone.
        sounded, rest = located_anchors(vocab, model.tokenizer, draft, plan, rest, {}, taken, ROMANISED_DETAIL, True)
        taken += [(x.at, x.at + len(x.displaced)) for xs in sounded.values() for x in xs]
        found, still = located_anchors(
            vocab, model.tokenizer, draft, plan, rest, {i: renderings[plan.spellings[i].term] for i in rest}, taken
        )
        for i, xs in [*placed.items(), *sounded.items()]:
            found.setdefault(i, []).extend(xs)
        anchors.append(found)
        unplaced.append(still)
    # Last, a near miss of the term's own words ('vanadium redox battery'): the best the model agrees with.
    for n, i, anchor in _near_misses(model, rows, drafts, plans, anchors, unplaced):
        anchors[n].setdefault(i, []).append(anchor)
        unplaced[n].remove(i)
    # A learned rendering turned away beside another term's rendering is judged again with the terms
    # located since in their place: 'Multicrystal silicon and Solar panels are Loshan's' reads on with
    # 'PV modules' for 'Solar panels' only once 'Polysilicon' stands for 'Multicrystal silicon'.
    for n, i, anchor in _rejudged(model, rows, drafts, plans, trials, kept, anchors, unplaced):
        anchors[n].setdefault(i, []).append(anchor)
        unplaced[n].remove(i)
    return anchors, unplaced


def _rejudged(
    model: RepairModel, rows: list[int], drafts: list[list[int]], plans: list[SegmentPlan],
    trials: list[tuple[int, dict[int, list[Anchor]]]], kept: dict[int, dict[int, list[Anchor]]],
    anchors: list[dict[int, list[Anchor]]], unplaced: list[list[int]],
) -> list[tuple[int, int, Anchor]]:
    """(draft index, term index, anchor) for each learned rendering the first judgement turned away, of
    a term still unplaced, that the model takes for the term once the anchors located since stand in
    their places (_kept_each, all in one call); only in drafts where some term was located since."""
    retrials: list[tuple[int, dict[int, list[Anchor]]]] = []
    judged: list[list[tuple[int, Anchor]]] = []
    for n, guessed in trials:
        located = {id(x) for xs in kept.get(n, {}).values() for x in xs}
        context = [x for xs in anchors[n].values() for x in xs if id(x) not in located]
        if not context:
            continue
        taken = [(x.at, x.at + len(x.displaced)) for xs in anchors[n].values() for x in xs]
        wanted = list(unplaced[n])
        again: list[tuple[int, Anchor]] = []
        for i, xs in guessed.items():
            for x in xs:
                span = (x.at, x.at + len(x.displaced))
                if i in wanted and id(x) not in located and not any(a < span[1] and span[0] < b for a, b in taken):
                    wanted.remove(i)
                    taken.append(span)
                    again.append((i, x))
        if not again:
            continue
        trial: dict[int, list[Anchor]] = {i: list(xs) for i, xs in anchors[n].items()}
        for i, x in again:
            trial.setdefault(i, []).append(x)
        retrials.append((n, trial))
        judged.append(again)
    chosen: list[tuple[int, int, Anchor]] = []
    for (n, _), again, flags in zip(retrials, judged, _kept_each(model, rows, drafts, plans, retrials)):
        chosen += [(n, i, x) for i, x in again if flags[id(x)]]
    return chosen


def _near_misses(
    model: RepairModel, rows: list[int], drafts: list[list[int]], plans: list[SegmentPlan],
    anchors: list[dict[int, list[Anchor]]], unplaced: list[list[int]],
) -> list[tuple[int, int, Anchor]]:
    """(draft index, term index, anchor) for each term occurrence still unplaced whose near miss of its
    own words (near_miss.near_misses) the model agrees with (rest_holds): the best of them that it
    does, each checked on its own, all in one call; never two over the same words."""
    vocab = model.vocab
    trials: list[tuple[int, dict[int, list[Anchor]]]] = []
    asked: list[tuple[int, int, int]] = []  # per trial: (draft, term index, occurrence)
    for n, (draft, plan) in enumerate(zip(drafts, plans)):
        if not unplaced[n]:
            continue
        read = DraftWords(model.tokenizer, vocab, draft)
        taken = [(x.at, x.at + len(x.displaced)) for xs in anchors[n].values() for x in xs]
        for k, i in enumerate(unplaced[n]):
            term = plan.spellings[i].term
            for a, b, plural in near_misses(read, term, taken):
                trials.append((n, {i: [rewritten_anchor(vocab, draft, term, a, b, plural, NEAR_DETAIL)]}))
                asked.append((n, i, k))
    kept = _holding(model, rows, drafts, plans, trials)
    chosen: list[tuple[int, int, Anchor]] = []
    done: set[tuple[int, int]] = set()
    spans: dict[int, list[tuple[int, int]]] = {}
    for (n, i, k), (_, guessed), holds in zip(asked, trials, kept):
        anchor = guessed[i][0]
        span = (anchor.at, anchor.at + len(anchor.displaced))
        if not holds or (n, k) in done or any(a < span[1] and span[0] < b for a, b in spans.get(n, [])):
            continue
        done.add((n, k))
        spans.setdefault(n, []).append(span)
        chosen.append((n, i, anchor))
    return chosen


def _holding(
    model: RepairModel, rows: list[int], drafts: list[list[int]], plans: list[SegmentPlan],
    trials: list[tuple[int, dict[int, list[Anchor]]]],
) -> list[bool]:
    """Per trial (a draft index and anchors in it), whether the model agrees with all its anchors (_kept_each)."""
    return [all(flags.values()) for flags in _kept_each(model, rows, drafts, plans, trials)]


def _kept_learned(
    model: RepairModel, rows: list[int], drafts: list[list[int]], plans: list[SegmentPlan],
    trials: list[tuple[int, dict[int, list[Anchor]]]],
) -> dict[int, dict[int, list[Anchor]]]:
    """Of the anchors at learned renderings (per draft index), those the model agrees with (_kept_each)."""
    kept: dict[int, dict[int, list[Anchor]]] = {}
    for (n, guessed), flags in zip(trials, _kept_each(model, rows, drafts, plans, trials)):
        for i, xs in guessed.items():
            for x in xs:
                if flags[id(x)]:
                    kept.setdefault(n, {}).setdefault(i, []).append(x)
    return kept


def _kept_each(
    model: RepairModel, rows: list[int], drafts: list[list[int]], plans: list[SegmentPlan],
    trials: list[tuple[int, dict[int, list[Anchor]]]],
) -> list[dict[int, bool]]:
    """Per trial (a draft index and anchors in it), per anchor (by id): whether the model, given the terms
    in place of the words the anchors replace, still expects the draft's next words (rest_holds). Per
    trial, the draft and the draft with every anchor's term in place are teacher-forced, all in one call;
    the words compared are the draft's own after each anchor (other words replaced are not its words:
    after one term the model expects the next term, not the draft's rendering of it)."""
    if not trials:
        return []
    vocab = model.vocab
    english: list[list[int]] = []
    owners: list[int] = []
    shifted: list[dict[int, int]] = []  # per trial: each kept draft position's place in the spliced English
    ends: list[list[tuple[Anchor, int]]] = []  # per trial: (anchor, end of the words it replaces)
    for n, guessed in trials:
        draft = drafts[n]
        placed = sorted(((x.at, i, x) for i, xs in guessed.items() for x in xs), key=lambda p: p[0])
        spliced: list[int] = []
        where: dict[int, int] = {}
        done: list[tuple[Anchor, int]] = []
        at = 0
        for a, i, x in placed:
            for p in range(at, a):
                where[p] = len(spliced)
                spliced.append(draft[p])
            at = a + len(x.displaced)
            spliced += x.spelling or usual_spelling(vocab, draft, plans[n], i, a, at)
            done.append((x, at))
        # The words after the last anchor that are judged, and no more: teacher-forced, the rest changes nothing.
        cut = min(len(draft), at + REST_TOKENS)
        for p in range(at, cut):
            where[p] = len(spliced)
            spliced.append(draft[p])
        if len(spliced) > model.max_length:  # no room for the terms: the model cannot read it, nor can it stand
            done = [(x, -1) for x, _ in done]
            spliced = draft[:cut]
        english += [draft[:cut], spliced]
        owners += [rows[n], rows[n]]
        shifted.append(where)
        ends.append(done)
    scores = model.token_scores(owners, english)
    flags: list[dict[int, bool]] = []
    for k, (n, _) in enumerate(trials):
        own, spliced, where = scores[2 * k], scores[2 * k + 1], shifted[k]
        flags.append({})
        for x, end in ends[k]:
            if end < 0:
                flags[-1][id(x)] = False
                continue
            after = [p for p in range(end, len(drafts[n])) if p in where][:REST_TOKENS]  # the draft's own words
            flags[-1][id(x)] = rest_holds([own[p] for p in after], [spliced[where[p]] for p in after])
    return flags


LEARNED_DETAIL = "learned from the document's drafts"
ROMANISED_DETAIL = "the model wrote its Chinese as pinyin"
NEAR_DETAIL = "in place of the model's near miss of it"
REST_TOKENS = 6  # the draft tokens after a learned rendering that must keep their probability with the term in its place
REST_DROP = 0.5  # how far (nats, on average) they may fall; measured on the memorised proxy, see rest_holds


def rest_holds(before: Sequence[float], after: Sequence[float]) -> bool:
    """True when the draft's words after a learned rendering keep their log-probability with the term in
    its place: on average over the first REST_TOKENS of them, they fall by at most REST_DROP nats.

    before: the draft's own per-token log-probabilities from the end of the rendering; after: those of the
    same tokens with the term spliced in. A model that takes the term for those words writes on as before
    (on the memorised proxy, 72 of 75 learned renderings fall by under 0.1); a word that merely shares the
    term's sentences ('selected' for Jiajiang) leaves the sentence broken after the term, and its next
    words fall (the term in place of a random word of the same drafts: 57 of 75 fall by more than 0.5).
    """
    window = min(REST_TOKENS, len(before), len(after))
    if not window:
        return True
    return (sum(before[:window]) - sum(after[:window])) / window <= REST_DROP


def find_anchors(
    model: RepairModel, rows: list[int], drafts: list[list[int]], plans: list[SegmentPlan]
) -> tuple[list[dict[int, list[Anchor]]], list[list[int]]]:
    """Per draft (of the batch's sources rows): where each term it lacks goes (steps 1 and 2 of the module
    docstring); and the terms (plan indexes, one per occurrence) whose rendering it does not hold."""
    vocab = model.vocab
    anchors, unplaced = locate_renderings(model, rows, drafts, plans)
    read = [k for k, rest in enumerate(unplaced) if rest]
    if not read:
        return anchors, unplaced
    reading = model.read([rows[k] for k in read], [drafts[k] for k in read], [unplaced[k] for k in read],
                         [plans[k] for k in read])

    def place(n: int, found: dict[int, list[Anchor]], end: Any) -> None:
        k = read[n]
        unlocated_anchors(
            model.tokenizer, drafts[k], reading.pieces[n], reading.aligned[n], plans[k], unplaced[k], found,
            reading.owed[n], end,
        )

    Ends(vocab, [drafts[k] for k in read], [plans[k] for k in read], reading.score, model.max_length).run(
        [anchors[k] for k in read], place
    )
    return anchors, unplaced


def repair(
    model: RepairModel, rows: list[int], drafts: list[list[int]], plans: list[SegmentPlan], mode: str,
    placement: str = "owed",
) -> list[Repaired]:
    """Per draft (of the batch's sources rows): the terms it lacks put in (steps 1-4 of the module docstring).

    mode: "splice" keeps the draft's own words after each term; "continue" decodes again after the
    last placed term where the draft's own words follow it. placement "judgement" (with "splice"):
    the terms whose rendering is not found go where the model judges the sentence best.
    """
    if placement != "judgement" or mode != "splice":
        return _repaired(model, rows, drafts, plans, mode)
    from .judgement import judge

    results: list[Repaired | None] = []
    for judged, plan in zip(judge(model, rows, drafts, plans, locate_renderings), plans):
        whole = not judged.unplaceable and not missing_occurrences(model.vocab, judged.ids, plan)
        results.append(Repaired(judged.ids, judged.anchors) if whole and len(judged.ids) <= model.max_length else None)
    # A draft judgement could not mend (a term with no place left, or too long) is repaired as usual.
    rest = [n for n, r in enumerate(results) if r is None]
    if rest:
        for n, r in zip(rest, _repaired(model, [rows[n] for n in rest], [drafts[n] for n in rest], [plans[n] for n in rest], mode)):
            results[n] = r
    return [r for r in results if r is not None]


def _repaired(
    model: RepairModel, rows: list[int], drafts: list[list[int]], plans: list[SegmentPlan], mode: str
) -> list[Repaired]:
    """repair() without judgement: steps 1-4 of the module docstring."""
    anchors, _ = find_anchors(model, rows, drafts, plans)
    eos = model.vocab.eos_id
    results: list[Repaired] = []
    again: list[tuple[int, list[int]]] = []
    for n, (draft, plan, found) in enumerate(zip(drafts, plans, anchors)):
        changes: dict[tuple[int, int], list[str]] = {}
        ids, tail = splice(model.vocab, draft, plan, found, changes)
        note_changes(found, changes)
        words = len(ids) - (1 if ids[-1:] == [eos] else 0)
        if mode == "continue" and words - tail > 1:
            # Only the text up to the last term (and the next word's first piece: no glued word) is forced.
            if tail + 2 > model.max_length:
                results.append(Repaired(None, found))
                continue
            again.append((n, ids[: tail + 1]))
        results.append(Repaired(ids if len(ids) <= model.max_length else None, found))
    if again:
        decoded = model.decode_after([rows[n] for n, _ in again], [prefix for _, prefix in again])
        # Per sentence, the model's own score of both decides: the rest decoded again after the terms, or
        # the draft's own words kept (a model that never saw the term in this sentence may lose its way
        # after it; scripts/bench_placement.py --model grammar measures both).
        spliced = [results[n].ids for n, _ in again]
        pairs = [(n, ids, kept) for (n, _), ids, kept in zip(again, decoded, spliced) if kept is not None]
        scores = model.score([rows[n] for n, _, _ in pairs for _ in (0, 1)],
                             [english for _, ids, kept in pairs for english in (ids, kept)]) if pairs else []
        better = {n: scores[2 * k] > scores[2 * k + 1] for k, (n, _, _) in enumerate(pairs)}
        for (n, _), ids in zip(again, decoded):
            if better.get(n, True):
                results[n] = Repaired(ids, results[n].anchors, continued=True)
    return results


def term_records(
    terms: Sequence[Term],
    draft: str,
    final: str,
    anchors: dict[int, list[Anchor]] | None,
    plan: SegmentPlan | None,
    misses: Sequence[TermMiss] = (),
    continued: bool = False,
    constrained: bool = False,
    last_resort: bool = False,
) -> tuple[TermRecord, ...]:
    """How each occurrence of terms (in source order, repeats listed) went into final, the repaired draft.

    Occurrences the draft already held are the model's own; the rest are read off the anchors that
    placed them (rewritten, spliced, placed), or were written by constrained decoding (continued, or
    placed when its last resort had to act). An occurrence final lacks is missed, with its reason.
    """
    by_term: dict[Term, list[Anchor]] = {}
    if plan is not None and anchors:
        for i, found in anchors.items():
            by_term.setdefault(plan.spellings[i].term, []).extend(sorted(found, key=lambda a: a.at))
    in_draft = {t: occurrences(draft, t) for t in dict.fromkeys(terms)}
    in_final = {t: occurrences(final, t) for t in dict.fromkeys(terms)}
    # The form each occurrence stands in (a plural, a capital); offsets are the folded text's, the English's own when ASCII.
    written = {t: [final[a:b] if final.isascii() else t.target for a, b in term_spans(final, t)] for t in in_final}
    why = {}
    for miss in misses:
        why.setdefault(miss.term, []).append(miss)
    seen: dict[Term, int] = {}
    records: list[TermRecord] = []
    for term in terms:
        k = seen[term] = seen.get(term, -1) + 1
        if k >= in_final[term]:
            queue = why.get(term)
            detail = f"{queue[0].reason}: {queue[0].detail}" if queue else "not in the English"
            if queue:
                queue.pop(0)
            records.append(TermRecord(term.source, "", TermMethod.MISSED, detail))
            continue
        form = written[term][k]
        if k < in_draft[term]:
            records.append(TermRecord(term.source, form, TermMethod.MODEL))
            continue
        placed = by_term.get(term, [])
        anchor = placed[k - in_draft[term]] if k - in_draft[term] < len(placed) else None
        if constrained:
            method = TermMethod.PLACED if last_resort else TermMethod.CONTINUED
            detail = "last resort: written where the model wanted to stop" if last_resort else "decoded under the glossary"
        elif anchor is None:
            method, detail = TermMethod.PLACED, "no place found in the draft"
        else:
            method, detail = TermMethod(anchor.method or "spliced"), anchor.detail
            if continued and method is not TermMethod.PLACED:
                method = TermMethod.CONTINUED
        records.append(TermRecord(term.source, form, method, detail))
    return tuple(records)
