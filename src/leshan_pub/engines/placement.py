"""Where a term belongs in the model's own draft: the words of the draft it replaces.

1. The model's own renderings of the term (its n-best translations of the term's Chinese alone) and
   the glossary's forbidden renderings are looked for in the draft (engines/renderings.py); one
   found there is where the term goes, in the number the draft used (located_anchors).
2. Else the words of the draft that owe most to the term's Chinese: whose log-probabilities fall
   most when the term's pieces are taken out of the source (owed_span; the engine reads the falls).
   A rendering's later words owe more to its first word than to the source, so where it ends is
   scored by the model (Ends, every term of a batch in one pass): of one to MAX_REPLACED_WORDS words
   from its start, the run whose replacement by the term leaves the draft most probable per token
   kept, teacher-forced. A model that never considered the term still wants to write its
   rendering right after it; that token is held back, so the score of the token after the term is
   taken with its probability removed.
3. Else, for a term nothing owes to, the words the cross-attention aligns to its Chinese.

Each place is an Anchor: splice() writes the terms into the draft in place of those words, and the
constrained decoding (engines/constraints.py) can write them there instead.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from ..forms import form_for, indefinite_article, is_plural
from ..quality.enforce import missing_terms
from ..terms import Term
from ..quality.qa import CHANGED
from .alignment import WORD_MARK, starts_word, target_run, term_spans
from .spelling import Anchor, SegmentPlan, TargetVocab, capitalised
from .renderings import DraftWords, locate_rendering, locate_romanised

MAX_REPLACED_WORDS = 4  # the longest rendering a term may displace, when the model's scores choose its end
SCORED_AFTER = 4  # tokens after a placed term scored in its own context; the rest score as in the draft
OWED_FLOOR = 1.0  # how far a word's logit must fall without the term's Chinese to be taken for its rendering
CONTEXT = 2  # draft tokens before the term that tell the second pass it has come to the place


def _word_starts(vocab: TargetVocab, draft: Sequence[int]) -> list[int]:
    """Positions in draft where a word begins, and the end-of-sentence position (insertion at the end)."""
    starts = [j for j, token in enumerate(draft) if j == 0 or vocab.starts_word(token)]
    return starts if starts[-1] == len(draft) - 1 else [*starts, len(draft) - 1]


# One placement of a term in a draft: replaced span [start, end), the new ids, which of them are the
# draft's own (scored), and (position, token) held back right after the term (-1, -1 when none).
_Candidate = tuple[int, int, list[int], list[bool], tuple[int, int]]


def _candidates(vocab: TargetVocab, draft: list[int], spelling_at: Any, at: int = -1) -> list[_Candidate]:
    """Every placement of the term over one to MAX_REPLACED_WORDS whole words of the draft (or before its
    end); only those from draft position `at` where at >= 0. spelling_at(a, b): the term's ids in place
    of draft[a:b]."""
    starts = _word_starts(vocab, draft)
    found: list[_Candidate] = []
    for k, a in enumerate(starts):
        if at >= 0 and a != at:
            continue
        # The draft lacks the term, so some words of it are the model's own rendering: the term replaces
        # at least one word (a model that copes with anything inserted would otherwise take it anywhere).
        for b in starts[k + 1 : k + MAX_REPLACED_WORDS + 1]:
            term = list(spelling_at(a, b))  # in the number of the words it replaces
            ids = draft[:a] + term + draft[b:]
            kept = [True] * a + [False] * len(term) + [True] * (len(draft) - b)
            held = (a + len(term), draft[a]) if b > a and draft[a] != draft[b] else (-1, -1)
            found.append((a, b, ids, kept, held))
    return found


def located_anchors(
    vocab: TargetVocab,
    tokenizer: Any,
    draft: list[int],
    plan: SegmentPlan,
    terms: Sequence[int],
    renderings: dict[int, Sequence[str]],
    taken: Sequence[tuple[int, int]] = (),
    detail: str = "",
    romanised: bool = False,
) -> tuple[dict[int, list[Anchor]], list[int]]:
    """Anchors for the terms (indexes into plan.spellings, one per missing occurrence) whose rendering
    the draft (ids without the start token, ending in </s>) holds; and the terms not found there.

    renderings: per term index, the model's own renderings of it and its forbidden ones (or those
    learned from the document's drafts); taken: draft spans already placed; detail: the anchors' detail;
    romanised: look for the pinyin of each term's Chinese instead (renderings.locate_romanised).
    """
    anchors: dict[int, list[Anchor]] = {}
    taken = list(taken)
    unplaced: list[int] = []
    read = DraftWords(tokenizer, vocab, draft)
    for i in terms:
        longest = max(MAX_REPLACED_WORDS, 2 * len(plan.spellings[i].term.target.split()))
        term = plan.spellings[i].term
        if romanised:
            found = locate_romanised(read, term.sources, taken)
        else:
            found = locate_rendering(tokenizer, vocab, read, renderings.get(i, ()), taken, longest)
        if found is None:
            unplaced.append(i)
            continue
        a, b, plural = found
        taken.append((a, b))
        anchors.setdefault(i, []).append(rewritten_anchor(vocab, draft, term, a, b, plural, detail))
    return anchors, unplaced


def rewritten_anchor(
    vocab: TargetVocab, draft: Sequence[int], term: Term, a: int, b: int, plural: bool, detail: str = ""
) -> Anchor:
    """The anchor for term written over the model's rendering of it, draft[a:b]: in the form the rendering
    had there (plural where its words were), capitalised where a sentence begins."""
    text = form_for(term, plural or is_plural(vocab.text(draft[a:b])))
    ids = vocab.encode(capitalised(text) if vocab.starts_sentence(draft[:a]) else text)
    if not vocab.spellable(ids) or not vocab.starts_word(draft[a]):
        ids = ()  # the usual form; after an opening bracket, the processor's glued one
    return _anchor(draft, a, b, ids, "rewritten", detail)


def owed_span(tokens: Sequence[str], owed: Sequence[float], taken: Sequence[tuple[int, int]], longest: int) -> tuple[int, int] | None:
    """[start, end) of the whole words of a draft that owe most to a term's Chinese, or None when none does.

    tokens: the draft's pieces (its end token left out); owed: per piece, how far its logit (or its
    log-probability) falls when the term's Chinese is masked out of the source. A word owes the sum over
    its pieces less OWED_FLOOR; the words taken are the run of at most `longest` words, clear of the
    taken spans, whose sum is largest and positive.
    """
    words: list[tuple[int, int, float]] = []
    for j, piece in enumerate(tokens):
        if j == 0 or starts_word(piece):
            words.append((j, j + 1, owed[j]))
        else:
            first, _, total = words[-1]
            words[-1] = (first, j + 1, total + owed[j])
    best: tuple[float, int, int] | None = None
    for m, (a, _, _) in enumerate(words):
        total = 0.0
        for first, end, value in words[m : m + longest]:
            if any(x < end and first < y for x, y in taken):
                break
            total += value - OWED_FLOOR
            if total > 0 and (best is None or total > best[0]):
                best = (total, a, end)
    return None if best is None else (best[1], best[2])


def unlocated_anchors(
    tokenizer: Any,
    draft: list[int],
    source_tokens: Sequence[str],
    aligned: Sequence[int],
    plan: SegmentPlan,
    terms: Sequence[int],
    anchors: dict[int, list[Anchor]],
    owed: dict[int, list[Sequence[float]]] | None = None,
    end: Callable[[int, int, int, int], int] | None = None,
) -> None:
    """Adds to anchors (those of the located terms) one for each of terms, whose rendering was not
    located: at the words of the draft that owe most to the term's Chinese (owed_span, where owed is
    given), else at the words aligned to it by cross-attention; never over words already taken.

    The words that owe most are where the rendering begins; its later words owe more to the words
    before them than to the source, so end(i, start, owed_end, limit), where given, says where the
    words term i replaces end (Ends); owed_end is where the words that owe most end, and limit the
    start of the next span taken, or the draft's end token.

    owed: per term index, one row of owed_span's figures per missing occurrence, in terms' order.
    aligned: per draft token, the source piece it attends to most (engines/alignment.py).
    """
    output = tokenizer.convert_ids_to_tokens(list(draft[:-1]))  # the words; the end token stays where it is
    spans = term_spans(source_tokens, [plan.spellings[i].term for i in terms])
    taken = [(x.at, x.at + len(x.displaced)) for found in anchors.values() for x in found]
    seen: dict[int, int] = {}
    for i, span in zip(terms, spans):
        occurrence = seen[i] = seen.get(i, -1) + 1
        found = None
        if owed is not None:
            longest = max(MAX_REPLACED_WORDS, 2 * len(plan.spellings[i].term.target.split()))
            found = owed_span(output, owed[i][occurrence], taken, longest)
            if found is not None and end is not None:
                limit = min([x for x, _ in taken if x > found[0]] + [len(output)])
                found = (found[0], end(i, found[0], found[1], limit))
        method, detail = "spliced", ""
        if found is None:
            found = target_run(output, aligned, span)
            if span is None:
                method, detail = "placed", "its Chinese was not found among the model's input pieces"
            elif found[0] == found[1]:
                method, detail = "placed", "no word of the draft translates it; put beside the words after it"
        a, b = found
        if a == b and method == "spliced":
            method, detail = "placed", "no word of the draft owes to it; put beside the words after it"
        if a == b:
            a = b = _past_determiners(output, a)  # 'the Leshan big Buddha', never 'Leshan the big Buddha'
        taken.append((a, b))
        anchors.setdefault(i, []).append(_anchor(draft, a, b, (), method, detail))


_DETERMINERS = frozenset("a an the this that these those its their our his her".split())


def _past_determiners(output: Sequence[str], at: int) -> int:
    """Where a term inserted before output[at] goes so as not to part a determiner from its noun: after
    the determiners that begin there."""
    while at < len(output):
        end = at + 1 + (output[at] == WORD_MARK)  # a bare '▁' and the piece after it are one word
        while end < len(output) and not starts_word(output[end]):
            end += 1
        if "".join(output[at:end]).removeprefix(WORD_MARK).lower() not in _DETERMINERS:
            break
        at = end
    return at


def _anchor(
    draft: Sequence[int], a: int, b: int, spelling: tuple[int, ...] = (), method: str = "", detail: str = ""
) -> Anchor:
    """The Anchor for a term in place of draft[a:b], found by method (a document.TermMethod value)."""
    return Anchor(
        before=tuple(draft[max(0, a - CONTEXT) : a]), displaced=tuple(draft[a:b]), after=draft[b],
        spelling=spelling, at=a, method=method, detail=detail,
    )


# A verb or determiner whose number follows the noun it goes with: each form and the other number's.
NUMBER_PAIRS = {"is": "are", "are": "is", "was": "were", "were": "was", "has": "have", "have": "has",
                "this": "these", "these": "this", "that": "those", "those": "that"}
_ARTICLES = ("a", "an")


_PLURAL_FORMS = frozenset({"are", "were", "have", "these", "those"})


def _numbered(word: str, plural: bool) -> str:
    """word (lower-cased) in the number asked for, where it is one of NUMBER_PAIRS; else word as it is.
    The draft's own form may already disagree with the words it followed ('productivity are'): the term
    decides, not a swap."""
    low = word.lower()
    if low not in NUMBER_PAIRS:
        return low
    return low if (low in _PLURAL_FORMS) == plural else NUMBER_PAIRS[low]


def splice(
    vocab: TargetVocab, draft: Sequence[int], plan: SegmentPlan, anchors: dict[int, list[Anchor]],
    changes: dict[tuple[int, int], list[str]] | None = None,
) -> tuple[list[int], int]:
    """The draft with each anchored term written in place of the words it displaces, without decoding;
    and where the draft's own words after the last placed term (and the words fitted to it) begin.

    The words next to a term are fitted to it: 'a' or 'an' before it as its sound asks, and a verb or
    determiner beside it that agreed with the number of the words it displaced follows the term's number
    (NUMBER_PAIRS). What was changed is listed in changes[(term index, anchor.at)] ("'a' -> 'an'").
    """
    places = sorted(
        (anchor.at, anchor.at + len(anchor.displaced),
         anchor.spelling or usual_spelling(vocab, draft, plan, i, anchor.at, anchor.at + len(anchor.displaced)), i)
        for i, found in anchors.items()
        for anchor in found
        if anchor.at >= 0
    )
    out: list[int] = []
    position = 0
    for at, b, ids, i in places:
        a = max(at, position)
        out += list(draft[position:a])
        term = vocab.text(ids).strip()
        noted = changes.setdefault((i, at), []) if changes is not None else []
        many = is_plural(term)
        differs = b > a and many != is_plural(vocab.text(draft[a:b]))
        start = _last_word(vocab, out)
        before = vocab.text(out[start:]).strip() if start < len(out) else ""
        if before.lower() in _ARTICLES and not many:
            wanted = indefinite_article(term)
            if wanted != before.lower():
                out[start:] = _spelled_like(vocab, wanted, before)
                noted.append(f"'{before}' -> '{vocab.text(out[start:]).strip()}'")
        elif differs and _numbered(before, many) != before.lower():
            out[start:] = _spelled_like(vocab, _numbered(before, many), before)
            noted.append(f"'{before}' -> '{vocab.text(out[start:]).strip()}'")
        out += list(ids)
        position = max(a, b)
        if differs:
            end = _word_end(vocab, draft, position)
            after = vocab.text(draft[position:end]).strip()
            if _numbered(after, many) != after.lower():
                out += list(_spelled_like(vocab, _numbered(after, many), after))
                noted.append(f"'{after}' -> '{_numbered(after, many)}'")
                position = end
    tail = len(out)
    return out + list(draft[position:]), tail


def note_changes(anchors: dict[int, list[Anchor]], changes: dict[tuple[int, int], list[str]]) -> None:
    """Write what a splice changed next to each term into its anchor's detail ("changed 'a' -> 'an'")."""
    for i, found in anchors.items():
        for k, anchor in enumerate(found):
            if changes.get((i, anchor.at)):
                said = CHANGED + ", ".join(changes[i, anchor.at])
                found[k] = replace(anchor, detail=f"{said}; {anchor.detail}" if anchor.detail else said)


def _last_word(vocab: TargetVocab, ids: Sequence[int]) -> int:
    """Where the last word of ids begins (len(ids) when there is none)."""
    k = len(ids)
    while k > 0:
        k -= 1
        if vocab.starts_word(ids[k]) and not vocab.is_word_marker(ids[k - 1] if k else -1):
            return k
    return k if ids else 0


def _word_end(vocab: TargetVocab, draft: Sequence[int], start: int) -> int:
    """Where the word of draft beginning at start ends (a bare '▁' marker and the piece after it are one word)."""
    end = start + 1
    if start < len(draft) and vocab.is_word_marker(draft[start]):
        end += 1
    while end < len(draft) and not vocab.starts_word(draft[end]):
        end += 1
    return min(end, len(draft))


def _spelled_like(vocab: TargetVocab, word: str, like: str) -> list[int]:
    """word's ids at a word start, capitalised when like was."""
    return list(vocab.encode(capitalised(word) if like[:1].isupper() else word))


def missing_occurrences(vocab: TargetVocab, draft: Sequence[int], plan: SegmentPlan) -> list[int]:
    """Indexes into plan.spellings, one per occurrence of a term the draft lacks (a term twice in the
    source and once in the draft is listed once)."""
    text = vocab.text(draft)
    return [i for i, s in enumerate(plan.spellings) for _ in missing_terms(text, [s.term] * plan.counts[i])]


def usual_spelling(
    vocab: TargetVocab, draft: Sequence[int], plan: SegmentPlan, i: int, at: int, end: int = -1, plural: bool = False
) -> tuple[int, ...]:
    """The term's spelling in place of draft[at:end]: plural where those words are (the form the model's
    own rendering had) or where plural is asked for, capitalised where a sentence begins, glued after an
    opening bracket."""
    spelling = plan.spellings[i]
    many = bool(spelling.plural) and (plural or end > at and is_plural(vocab.text(draft[at:end])))
    if vocab.starts_sentence(draft[:at]) and (at == 0 or vocab.starts_word(draft[at])):
        return spelling.plural_capitalised if many and spelling.plural_capitalised else spelling.capitalised
    if at < len(draft) and not vocab.starts_word(draft[at]) and spelling.glued:
        return spelling.glued
    return spelling.plural if many else spelling.primary


class Ends:
    """Where the words each unlocated term replaces end (step 2 of the module docstring), for many
    terms in many drafts, their candidate placements scored together.

    place(n, anchors, end) runs unlocated_anchors for draft n with the end function given. It is run
    twice over the drafts: first on copies of the anchors, to learn from which draft positions the
    owed reading starts renderings (each run ends where the owed words end); then every candidate
    from those starts is scored in one call of score_many, and the second run chooses among the
    scores: of one to MAX_REPLACED_WORDS words from a start, the run whose replacement leaves the
    rest of the draft most probable per token kept. A start the first run did not foresee (an
    earlier choice made a later span shift) is scored when asked for.

    score_many: per (draft index, candidate placement), the summed log-probability of the draft tokens
    it keeps (kept_log_probs, or the engine's own scoring); max_length: the most tokens a candidate may have.
    """

    def __init__(
        self,
        vocab: TargetVocab,
        drafts: Sequence[list[int]],
        plans: Sequence[SegmentPlan],
        score_many: Callable[[list[tuple[int, _Candidate]]], Sequence[float]],
        max_length: int,
    ) -> None:
        self.vocab, self.drafts, self.plans = vocab, drafts, plans
        self.score_many, self.max_length = score_many, max_length
        self._scores: dict[tuple[int, int, int], list[tuple[int, float]]] = {}  # (draft, term, start) -> (end, score)

    def run(self, anchors: Sequence[dict[int, list[Anchor]]], place: Callable[[int, dict[int, list[Anchor]], Any], None]) -> None:
        """Adds the unlocated terms' anchors to anchors[n] for every draft n (see the class docstring)."""
        asked: list[tuple[int, int, int]] = []

        def foresee(n: int) -> Callable[[int, int, int, int], int]:
            def end(i: int, a: int, guess: int, limit: int) -> int:
                asked.append((n, i, a))
                return guess

            return end

        trials = [{i: list(v) for i, v in found.items()} for found in anchors]
        for n, trial in enumerate(trials):
            place(n, trial, foresee(n))
        self._score(list(dict.fromkeys(asked)))
        scored = {n for n, _, _ in asked}
        for n, (found, trial) in enumerate(zip(anchors, trials)):
            if n in scored:
                place(n, found, self._chooser(n))
            else:  # no end was asked for: the first run's anchors are the answer
                found.update(trial)

    def _chooser(self, n: int) -> Callable[[int, int, int, int], int]:
        def end(i: int, a: int, guess: int, limit: int) -> int:
            if (n, i, a) not in self._scores:
                self._score([(n, i, a)])
            ends = [(b, value) for b, value in self._scores[n, i, a] if b <= limit]
            if not ends:
                return a
            return ends[max(range(len(ends)), key=lambda m: ends[m][1])][0]

        return end

    def _score(self, keys: list[tuple[int, int, int]]) -> None:
        requests: list[tuple[int, _Candidate]] = []
        scored: list[tuple[int, int, int]] = []
        for n, i, a in keys:
            draft, plan = self.drafts[n], self.plans[n]
            spelled = _candidates(self.vocab, draft, lambda at, end: usual_spelling(self.vocab, draft, plan, i, at, end), a)
            found = [c for c in spelled if len(c[2]) <= self.max_length]
            self._scores[n, i, a] = [(c[1], 0.0) for c in found]
            if len(found) > 1:  # a single end needs no scores
                requests += [(n, c) for c in found]
                scored.append((n, i, a))
        values = iter(self.score_many(requests) if requests else ())
        # Per kept token: a sum favours the run that keeps fewest ('Sichuan opera and Leshan.' for
        # 'Chuan drama and Loshan are both important.', the rest dropped with 'Loshan').
        kept = iter([max(1, sum(c[3])) for _, c in requests])
        for key in scored:
            self._scores[key] = [(b, float(next(values)) / next(kept)) for b, _ in self._scores[key]]
