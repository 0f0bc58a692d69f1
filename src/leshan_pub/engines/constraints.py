"""Glossary enforcement while decoding: a logits processor that makes every hypothesis spell its terms."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import torch
from transformers import LogitsProcessor

from ..terms import Term

# The enforcement behaviour recorded in each segment's provenance signature (enf:N); bump it
# whenever a change here can change the English a model writes under the same glossary.
ENFORCEMENT_VERSION = "1"
# Openers after which SentencePiece spells the next word without its '▁' word-start marker.
_OPENERS = ("(", '"')
# A finite floor for forced tokens, so that a row never ends up with no finite score at all.
_FORCED_FLOOR = -1e4


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


class TargetVocab:
    """The model's target-side vocabulary as enforcement needs it: spelling text, EOS, word edges."""

    def __init__(self, tokenizer: Any) -> None:
        self.tokenizer = tokenizer
        self.eos_id: int = tokenizer.eos_token_id
        self.unk_id: int = tokenizer.unk_token_id

    def encode(self, text: str) -> tuple[int, ...]:
        """Target-side ids of text as SentencePiece spells it at a word start, without </s>."""
        return tuple(self.tokenizer(text_target=text, add_special_tokens=False)["input_ids"])

    def spellable(self, ids: Sequence[int]) -> bool:
        return bool(ids) and self.unk_id not in ids

    @cached_property
    def _ends_in_word(self) -> list[bool]:
        pieces = self.tokenizer.convert_ids_to_tokens(list(range(len(self.tokenizer))))
        return [bool(p) and p[-1].isalnum() for p in pieces]

    def ends_in_word(self, token: int) -> bool:
        """True when the piece ends in a letter or digit, so a term glued onto it would extend a word."""
        table = self._ends_in_word
        return token < len(table) and table[token]

    def is_word_marker(self, token: int) -> bool:
        """True for the bare '▁' piece, which SentencePiece puts before a word it spells from scratch."""
        return self.tokenizer.convert_ids_to_tokens(token) == "\u2581"

    def unknown_characters(self, text: str) -> list[str]:
        """The characters of text the target vocabulary can only write as <unk>."""
        return [ch for ch in dict.fromkeys(text) if not ch.isspace() and self.unk_id in self.encode(ch)]


@dataclass(frozen=True)
class TermSpelling:
    """Every token sequence that writes one term, and the sequences enforcement steers towards or away from."""

    term: Term
    spellings: tuple[tuple[int, ...], ...]  # accepted forms, as-is and capitalised, word-start and glued
    free_start: tuple[bool, ...]  # True: starts with '▁', may begin anywhere; False: only after punctuation
    primary: tuple[int, ...]  # the approved English at a word start: the one biased mid-sentence
    capitalised: tuple[int, ...]  # biased at the start of the sentence
    forbidden: tuple[tuple[int, ...], ...]

    @cached_property
    def shortest(self) -> int:
        """Tokens the shortest word-start spelling needs: the budget kept free for one occurrence."""
        return min(len(s) for s, free in zip(self.spellings, self.free_start) if free)


def _glued(vocab: TargetVocab, form: str, ids: tuple[int, ...]) -> set[tuple[int, ...]]:
    """Spellings of form directly after an opening bracket or quote, where it carries no '▁'."""
    glued: set[tuple[int, ...]] = set()
    for opener in _OPENERS:
        opened, alone = vocab.encode(opener + form), vocab.encode(opener)
        if len(alone) == 1 and opened[:1] == alone:
            glued.add(opened[1:])
    if vocab.is_word_marker(ids[0]):  # '▁' alone, then the word: drop the marker
        glued.add(ids[1:])
    return {g for g in glued if vocab.spellable(g)} - {ids}


def spell_term(vocab: TargetVocab, term: Term) -> TermSpelling | None:
    """How term can be written in target tokens; None when no accepted form can be spelled."""
    free: dict[tuple[int, ...], bool] = {}
    for text in term.accepted:
        for form in dict.fromkeys((text, _capitalised(text))):
            ids = vocab.encode(form)
            if not vocab.spellable(ids):
                continue
            free[ids] = True
            for glued in _glued(vocab, form, ids):
                free.setdefault(glued, False)
    word_start = [ids for ids, is_free in free.items() if is_free]
    if not word_start:
        return None
    primary = vocab.encode(term.target)
    primary = primary if vocab.spellable(primary) else word_start[0]
    capitalised = vocab.encode(_capitalised(term.target))
    forbidden = {vocab.encode(f) for text in term.forbidden for f in (text, _capitalised(text))}
    return TermSpelling(
        term=term,
        spellings=tuple(free),
        free_start=tuple(free.values()),
        primary=primary,
        capitalised=capitalised if vocab.spellable(capitalised) else primary,
        forbidden=tuple(f for f in forbidden if vocab.spellable(f)),
    )


def unspellable_reason(vocab: TargetVocab, term: Term) -> str:
    """Why the target vocabulary cannot write term: the characters it lacks."""
    chars = vocab.unknown_characters(" ".join(term.accepted))
    shown = ", ".join(f"'{c}' (U+{ord(c):04X})" for c in chars) or "some pieces"
    return (
        f"the model cannot write '{term.target}' for '{term.source}': its target vocabulary lacks {shown}; "
        "the term is not enforced, add a variant the model can spell"
    )


def unspellable_terms(tokenizer: Any, terms: Sequence[Term]) -> list[tuple[Term, str]]:
    """(term, reason) for every term none of whose accepted forms the target vocabulary can spell; [] when all can."""
    vocab = tokenizer if isinstance(tokenizer, TargetVocab) else TargetVocab(tokenizer)
    return [(t, unspellable_reason(vocab, t)) for t in dict.fromkeys(terms) if spell_term(vocab, t) is None]


# A hypothesis' progress on one requirement: occurrences done, and partial matches (spelling, next position).
_Progress = tuple[int, frozenset[tuple[int, int]]]
_Progresses = tuple[_Progress, ...]


class SegmentPlan:
    """What one segment's hypotheses must contain: each term spelling and how many times.

    A hypothesis' state is a small int naming its progress on every term; states are interned and
    transitions memoised, because beams revisit the same states and most tokens touch no term.
    """

    initial = 0

    def __init__(self, terms: Sequence[TermSpelling]) -> None:
        counts = Counter(terms)
        self.spellings: tuple[TermSpelling, ...] = tuple(counts)
        self.counts: tuple[int, ...] = tuple(counts.values())
        self.forbidden = tuple({f for s in self.spellings for f in s.forbidden})
        self._tokens = frozenset(t for s in self.spellings for seq in s.spellings for t in seq)
        self._starts = [_first_tokens(s) for s in self.spellings]
        self._progresses: list[_Progresses] = []
        self._ids: dict[_Progresses, int] = {}
        self._idle: set[int] = set()  # states with no partial match: tokens outside every term keep them
        self._transitions: dict[tuple[int, int, bool], int] = {}
        self._intern(tuple((0, frozenset()) for _ in self.spellings))
        self._always_banned = frozenset(seq[0] for seq in self.forbidden if len(seq) == 1)
        self._forbidden_after: dict[int, list[tuple[tuple[int, ...], int]]] = {}  # keyed by the token before last
        for seq in self.forbidden:
            if len(seq) > 1:
                self._forbidden_after.setdefault(seq[-2], []).append((seq[:-1], seq[-1]))

    def __bool__(self) -> bool:
        return bool(self.spellings or self.forbidden)

    def _intern(self, progresses: _Progresses) -> int:
        state = self._ids.get(progresses)
        if state is None:
            state = self._ids[progresses] = len(self._progresses)
            self._progresses.append(progresses)
            if not any(partials for _, partials in progresses):
                self._idle.add(state)
        return state

    @property
    def initial_need(self) -> int:
        """Tokens the terms need at least, before any is begun."""
        return sum(c * s.shortest for s, c in zip(self.spellings, self.counts))

    def unmet(self, state: int) -> list[int]:
        """Indexes of the terms the state has not written as often as the source needs."""
        return [i for i, (done, _) in enumerate(self._progresses[state]) if done < self.counts[i]]

    def partials(self, state: int, i: int) -> frozenset[tuple[int, int]]:
        """Partial matches of term i: (spelling index, position of its next token)."""
        return self._progresses[state][i][1]

    def need(self, state: int, *, keep_partials: bool = True) -> int:
        """Tokens still needed to finish every term; partial matches shorten it unless keep_partials is False."""
        total = 0
        for i in self.unmet(state):
            done, partials = self._progresses[state][i]
            shortest = self.spellings[i].shortest
            rest = [len(self.spellings[i].spellings[s]) - p for s, p in partials] if keep_partials else []
            total += (self.counts[i] - done - 1) * shortest + min([shortest, *rest])
        return total

    def advance(self, state: int, token: int, after_punctuation: bool) -> int:
        """The state after one more token; after_punctuation allows spellings that carry no '▁'."""
        if token not in self._tokens and state in self._idle:
            return state
        key = (state, token, after_punctuation)
        after = self._transitions.get(key)
        if after is None:
            progresses = self._progresses[state]
            after = self._intern(
                tuple(self._advance_one(i, progress, token, after_punctuation) for i, progress in enumerate(progresses))
            )
            self._transitions[key] = after
        return after

    def _advance_one(self, i: int, progress: _Progress, token: int, after_punctuation: bool) -> _Progress:
        done, partials = progress
        if done >= self.counts[i]:
            return progress
        spelling = self.spellings[i]
        moved = {(s, p + 1) for s, p in partials if spelling.spellings[s][p] == token}
        moved |= {(s, 1) for s, free in self._starts[i].get(token, ()) if free or after_punctuation}
        if any(p == len(spelling.spellings[s]) for s, p in moved):
            # One occurrence completed; overlapping partials are the same occurrence, so they go too.
            return done + 1, frozenset()
        return done, frozenset(moved)

    def next_tokens(self, state: int, i: int) -> set[int]:
        """Tokens that continue a partial match of term i."""
        seqs = self.spellings[i].spellings
        return {seqs[s][p] for s, p in self.partials(state, i)}

    def start_tokens(self, i: int) -> set[int]:
        """First tokens of term i's word-start spellings."""
        return {token for token, starts in self._starts[i].items() if any(free for _, free in starts)}

    def forbidden_next(self, written: Sequence[int]) -> set[int]:
        """Last tokens of forbidden renderings whose beginning `written` (the generated ids) ends with."""
        banned = set(self._always_banned)
        if written:
            for head, last in self._forbidden_after.get(written[-1], ()):
                if len(written) >= len(head) and tuple(written[-len(head) :]) == head:
                    banned.add(last)
        return banned

    def may_ban_after(self, token: int) -> bool:
        """False when no forbidden rendering can end right after token: the common, cheap case."""
        return bool(self._always_banned) or token in self._forbidden_after


def _first_tokens(spelling: TermSpelling) -> dict[int, tuple[tuple[int, bool], ...]]:
    """First token -> (spelling index, may start anywhere) for each spelling it begins."""
    starts: dict[int, list[tuple[int, bool]]] = {}
    for s, (seq, free) in enumerate(zip(spelling.spellings, spelling.free_start)):
        starts.setdefault(seq[0], []).append((s, free))
    return {token: tuple(v) for token, v in starts.items()}


@dataclass(frozen=True)
class _Steering:
    """What a row in a given state gets when the budget is not tight (memoised per state)."""

    need_free: int  # tokens the unmet terms need if every partial match were dropped
    tokens: tuple[int, ...]  # tokens with a bonus
    bonuses: tuple[float, ...]
    ban_eos: bool
    continuing: frozenset[int]  # tokens that go on with a partial term: never banned as forbidden


class _ScoreEdits:
    """Changes to a step's scores, gathered per row in Python and applied to the tensor at once."""

    def __init__(self, renormalise: bool) -> None:
        self.renormalise = renormalise
        self.bias_rows: list[int] = []
        self.bias_tokens: list[int] = []
        self.bias_values: list[float] = []
        self.ban_rows: list[int] = []
        self.ban_tokens: list[int] = []
        self.forced: dict[int, list[int]] = {}

    def apply(self, scores: torch.Tensor) -> torch.Tensor:
        device = scores.device
        if self.bias_rows:
            index = (torch.tensor(self.bias_rows, device=device), torch.tensor(self.bias_tokens, device=device))
            values = torch.tensor(self.bias_values, device=device, dtype=scores.dtype)
            scores.index_put_(index, values, accumulate=True)
        if self.ban_rows:
            index = (torch.tensor(self.ban_rows, device=device), torch.tensor(self.ban_tokens, device=device))
            scores[index] = float("-inf")
        if self.renormalise and self.bias_rows:
            # Renormalised, a bonus reshapes the row's distribution instead of adding to the beam score;
            # otherwise beam search would prefer hypotheses that keep starting terms to collect bonuses.
            edited = sorted(set(self.bias_rows))
            if len(edited) == scores.shape[0]:
                scores -= torch.logsumexp(scores, dim=-1, keepdim=True)
            else:
                rows = torch.tensor(edited, device=device)
                scores[rows] -= torch.logsumexp(scores[rows], dim=-1, keepdim=True)
        # Forced rows keep the model's own scores for the allowed tokens: a forced placement should
        # cost its hypothesis what the model thinks of it, so that natural placements win the beam.
        if self.forced:
            pairs = [(row, token) for row, tokens in self.forced.items() for token in tokens]
            rows, cols = (torch.tensor(v, device=device) for v in zip(*pairs))
            kept = scores[rows, cols].clamp(min=_FORCED_FLOOR)
            scores[torch.tensor(list(self.forced), device=device)] = float("-inf")
            scores[rows, cols] = kept
        return scores


class TermConstraintProcessor(LogitsProcessor):
    """Steers every hypothesis (batch x beams rows) to contain its segment's terms before it may end.

    Per row it tracks which terms are done and which are partly written, then: continues a started
    term (continue_bonus), draws unmet terms in (start_bonus on their first token, so the model picks
    the place), bans end-of-sentence while a term is unmet, bans the last token of a forbidden
    rendering, and once the token budget only just holds the unmet terms, allows only tokens that
    make progress on them, so a term can always be finished before max_new_tokens.
    """

    def __init__(
        self,
        plans: Sequence[SegmentPlan],
        vocab: TargetVocab,
        *,
        num_beams: int,
        budget: int,
        prompt_length: int = 1,
        start_bonus: float = 4.0,
        continue_bonus: float = 8.0,
    ) -> None:
        self.plans = list(plans)
        self.vocab = vocab
        self.num_beams = num_beams
        self.budget = budget  # tokens the processor may plan with; the engine keeps one back for </s>
        self.prompt_length = prompt_length
        self.start_bonus = start_bonus
        self.continue_bonus = continue_bonus
        self._steerings: list[dict[int, _Steering]] = [{} for _ in self.plans]  # per segment, by state
        self._row_states: list[int] = []
        self._previous_ids: torch.Tensor | None = None
        # Tokens of each row the forbidden check and the word-edge check look back on.
        self._window = max([2, *(len(f) for plan in self.plans for f in plan.forbidden)])

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        step = input_ids.shape[1] - self.prompt_length
        if step == 0 or self._previous_ids is None:
            rows = input_ids.tolist()
            self._row_states = [self._replay(self.plans[row // self.num_beams], ids) for row, ids in enumerate(rows)]
        else:
            self._row_states = self._advanced_states(input_ids, step)
        self._previous_ids = input_ids.clone()
        remaining = self.budget - step  # tokens left, the one chosen now included
        if remaining <= 0:
            return scores
        window = input_ids[:, -self._window :].tolist()
        # Only beam search adds scores up across steps; greedy and sampling need no renormalising.
        edits = _ScoreEdits(renormalise=self.num_beams > 1)
        for row, state in enumerate(self._row_states):
            plan = self.plans[row // self.num_beams]
            if plan:
                self._steer(plan, state, window[row], row, step, remaining, edits)
        return edits.apply(scores)

    def _parents(self, input_ids: torch.Tensor) -> list[int]:
        """For each row, the row of the previous step it extends; -1 when none matches."""
        # Beam search reorders rows every step; the parent is the previous row whose ids are this
        # row's prefix, found on the device in one comparison instead of per-row Python keys.
        previous, current = self._previous_ids, input_ids[:, :-1]
        rows, length = current.shape
        beams = self.num_beams
        match = (current.view(-1, beams, 1, length) == previous.view(-1, 1, beams, length)).all(-1)
        local = match.int().argmax(-1)
        offset = torch.arange(0, rows, beams, device=input_ids.device).unsqueeze(1)
        return (local + offset).masked_fill(~match.any(-1), -1).flatten().tolist()

    def _advanced_states(self, input_ids: torch.Tensor, step: int) -> list[int]:
        tails = input_ids[:, -2:].tolist()
        ends_in_word = self.vocab.ends_in_word
        plans, beams, previous = self.plans, self.num_beams, self._row_states
        states: list[int] = []
        for row, parent in enumerate(self._parents(input_ids)):
            plan = plans[row // beams]
            if parent < 0:
                states.append(self._replay(plan, input_ids[row].tolist()))
                continue
            before, last = tails[row]
            states.append(plan.advance(previous[parent], last, step >= 2 and not ends_in_word(before)))
        return states

    def _replay(self, plan: SegmentPlan, ids: list[int]) -> int:
        """A row's state computed from all its ids (first step, or a row whose parent is unknown)."""
        state = plan.initial
        for position in range(self.prompt_length, len(ids)):
            state = plan.advance(state, ids[position], self._after_punctuation(ids, position))
        return state

    def _after_punctuation(self, ids: Sequence[int], position: int) -> bool:
        return position > self.prompt_length and not self.vocab.ends_in_word(ids[position - 1])

    def _steer(
        self,
        plan: SegmentPlan,
        state: int,
        recent: list[int],
        row: int,
        step: int,
        remaining: int,
        edits: _ScoreEdits,
    ) -> None:
        """Add this row's bonuses and bans, or its forced tokens; recent holds its last few ids."""
        steering = self._steering(row // self.num_beams, state, step == 0)
        if steering.ban_eos:
            if steering.need_free > remaining - 1:
                after_punctuation = step >= 1 and not self.vocab.ends_in_word(recent[-1])
                edits.forced[row] = self._progress_tokens(plan, state, after_punctuation, plan.unmet(state), remaining)
                return
            edits.bias_rows.extend([row] * len(steering.tokens))
            edits.bias_tokens.extend(steering.tokens)
            edits.bias_values.extend(steering.bonuses)
            edits.ban_rows.append(row)
            edits.ban_tokens.append(self.vocab.eos_id)
        # The start token never occurs in a forbidden rendering, so the window may include it.
        if plan.forbidden and plan.may_ban_after(recent[-1]):
            banned = plan.forbidden_next(recent) - steering.continuing
            edits.ban_rows.extend([row] * len(banned))
            edits.ban_tokens.extend(banned)

    def _steering(self, item: int, state: int, first_step: bool) -> _Steering:
        memo = self._steerings[item]
        key = -1 - state if first_step else state  # the first step also biases capitalised starts
        steering = memo.get(key)
        if steering is None:
            plan = self.plans[item]
            unmet = plan.unmet(state)
            bonus = self._bonuses(plan, state, unmet, first_step)
            steering = _Steering(
                need_free=plan.need(state, keep_partials=False),
                tokens=tuple(bonus),
                bonuses=tuple(bonus.values()),
                ban_eos=bool(unmet),
                continuing=frozenset(t for i in unmet for t in plan.next_tokens(state, i)),
            )
            memo[key] = steering
        return steering

    def _bonuses(self, plan: SegmentPlan, state: int, unmet: list[int], first_step: bool) -> dict[int, float]:
        """Token -> bonus: the deepest partial term goes on, the others are drawn in like fresh starts."""
        # A bare '▁' begins many spellings; without a depth rule its shallow matches would tie with
        # (and interrupt) a term that is half written.
        deepest = max((p for i in unmet for _, p in plan.partials(state, i)), default=0)
        bonus: dict[int, float] = {}
        for i in unmet:
            spelling = plan.spellings[i]
            if plan.partials(state, i):
                for s, p in plan.partials(state, i):
                    value = self.continue_bonus if p == deepest else self.start_bonus
                    token = spelling.spellings[s][p]
                    bonus[token] = max(bonus.get(token, value), value)
                continue
            starts = {spelling.primary[0], spelling.capitalised[0]} if first_step else {spelling.primary[0]}
            for token in starts:
                bonus.setdefault(token, self.start_bonus)
        return bonus

    def _progress_tokens(
        self, plan: SegmentPlan, state: int, after_punctuation: bool, unmet: list[int], remaining: int
    ) -> list[int]:
        """Tokens after which the unmet terms still fit in the budget; the best ones when none do."""
        candidates: set[int] = set()
        for i in unmet:
            candidates |= plan.next_tokens(state, i) | plan.start_tokens(i)
        need = {t: plan.need(plan.advance(state, t, after_punctuation)) for t in candidates}
        fitting = [t for t, n in need.items() if n <= remaining - 1]
        return sorted(fitting) or [t for t, n in need.items() if n == min(need.values())]
