"""The transformers engine's glossary enforcement while decoding: a logits processor that makes every hypothesis spell its terms."""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from transformers import LogitsProcessor

from .spelling import Anchor, SegmentPlan, TargetVocab

# A finite floor for forced tokens, so that a row never ends up with no finite score at all.
_FORCED_FLOOR = -1e4
_GLUE_MASKS: weakref.WeakKeyDictionary[TargetVocab, torch.Tensor] = weakref.WeakKeyDictionary()


def glue_mask(vocab: TargetVocab) -> torch.Tensor:
    """[vocab] bool: pieces that begin with a Latin letter or digit, so they would lengthen the word before them."""
    mask = _GLUE_MASKS.get(vocab)
    if mask is None:
        mask = _GLUE_MASKS[vocab] = torch.tensor(vocab.glue_starts)
    return mask


@dataclass(frozen=True)
class _Steering:
    """What a row in a given state gets, whatever it has written (memoised per state)."""

    need_free: int  # tokens the unmet terms need if every partial match were dropped
    unmet: tuple[int, ...]
    bonus_tokens: tuple[int, ...]  # a term the model began by itself goes on
    bonuses: tuple[float, ...]
    continuing: frozenset[int]  # tokens that go on with a partial term: never banned as forbidden
    ended: bool  # a term just ended: a piece glued onto it would make a longer word
    may_lengthen: frozenset[int]  # pieces that lengthen it into an accepted variant
    must_lengthen: bool  # halfway into such a variant: only those pieces


# The columns of the processor's placement table: one row per hypothesis, a _RowPlacement in tensor form.
_FORCING, _DISPLACED, _HOLD, _RESUMING, _SPELLING, _WRITTEN, _POSITION, _RESUME_AT = range(8)
# The columns of its state summary, per row: what of a row's SegmentPlan state the tensor path reads.
_IDLE, _UNMET, _NEED = range(3)


@dataclass
class _RowPlacement:
    """A hypothesis' placement in progress; inherited by the hypotheses that extend it."""

    forcing: int = -1  # term being written where the model reads its source, -1 when none
    displaced: int = -1  # the token the model wanted where the term went in: its own rendering begins so
    hold: int = 0  # steps the displaced token stays banned after the term is written
    resuming: bool = False  # a term replaced the model's rendering, and the row is steered back onto the draft
    spelling: tuple[int, ...] = ()  # the anchor's form of the term being written; () when the plan chooses
    written: int = 0  # tokens of spelling written so far
    position: int = 0  # the draft token this row is at, when it has kept to the draft; -1 once it left it
    resume_at: int = -1  # where in the draft the row goes on after the term being written; -1 when not at an anchor

    def to_row(self, spelling_id: int) -> list[int]:
        """The placement as a row of the table, its spelling given by the id the processor interned it under."""
        return [
            self.forcing, self.displaced, self.hold, int(self.resuming), spelling_id, self.written,
            self.position, self.resume_at,
        ]

    @classmethod
    def from_row(cls, row: Sequence[int], spellings: Sequence[tuple[int, ...]]) -> _RowPlacement:
        return cls(
            row[_FORCING], row[_DISPLACED], row[_HOLD], bool(row[_RESUMING]), spellings[row[_SPELLING]],
            row[_WRITTEN], row[_POSITION], row[_RESUME_AT],
        )


class _ScoreEdits:
    """Changes to a step's scores: gathered per row in Python for the rows steered there, as tensors
    for the rest, and applied to the scores at once."""

    def __init__(self, vocab: TargetVocab) -> None:
        self.vocab = vocab
        self.bias_rows: list[int] = []
        self.bias_tokens: list[int] = []
        self.bias_values: list[float] = []
        self.ban_rows: list[int] = []
        self.ban_tokens: list[int] = []
        self.glue_rows: list[int] = []
        self.glue_allowed: list[tuple[int, int]] = []
        self.forced: dict[int, list[int]] = {}
        self._tensor_bias: list[tuple[torch.Tensor, torch.Tensor, float]] = []
        self._tensor_bans: list[tuple[torch.Tensor, torch.Tensor]] = []

    def bias_all(self, rows: torch.Tensor, tokens: torch.Tensor, value: float) -> None:
        """Add value to the score of tokens[k] in rows[k], for every k (tensors on the scores' device)."""
        if rows.numel():
            self._tensor_bias.append((rows, tokens, value))

    def ban_all(self, rows: torch.Tensor, tokens: torch.Tensor) -> None:
        """Ban tokens[k] in rows[k], for every k (tensors on the scores' device)."""
        if rows.numel():
            self._tensor_bans.append((rows, tokens))

    def apply(self, scores: torch.Tensor, renormalise: bool) -> torch.Tensor:
        device = scores.device
        bias = [(torch.tensor(self.bias_rows, device=device, dtype=torch.long),
                 torch.tensor(self.bias_tokens, device=device, dtype=torch.long),
                 torch.tensor(self.bias_values, device=device, dtype=scores.dtype))] if self.bias_rows else []
        bias += [
            (rows, tokens, torch.full(rows.shape, value, dtype=scores.dtype, device=device))
            for rows, tokens, value in self._tensor_bias
        ]
        if bias:
            rows, tokens, values = (torch.cat(parts) for parts in zip(*bias))
            scores.index_put_((rows, tokens), values, accumulate=True)
            if renormalise:
                # Renormalised, a bonus reshapes the row's distribution instead of adding to the beam score.
                rows = torch.unique(rows)
                scores[rows] -= torch.logsumexp(scores[rows], dim=-1, keepdim=True)
        if self.glue_rows:
            # A piece that begins with a letter or digit would lengthen the term just written into another word.
            rows = torch.tensor(self.glue_rows, device=device)
            kept = None
            if self.glue_allowed:  # pieces that lengthen the term into an accepted variant stay as they were
                kept_rows, kept_cols = (torch.tensor(v, device=device) for v in zip(*self.glue_allowed))
                kept = scores[kept_rows, kept_cols].clone()
            scores[rows] = scores[rows].masked_fill(glue_mask(self.vocab).to(device), float("-inf"))
            if kept is not None:
                scores[kept_rows, kept_cols] = kept
        bans = [(torch.tensor(self.ban_rows, device=device, dtype=torch.long),
                 torch.tensor(self.ban_tokens, device=device, dtype=torch.long))] if self.ban_rows else []
        bans += self._tensor_bans
        if bans:
            rows, tokens = (torch.cat(parts) for parts in zip(*bans))
            scores[rows, tokens] = float("-inf")
        if self.forced:
            # A term written where the model reads its source costs its hypothesis nothing: the beam is
            # then judged by how the model goes on from it, not by how little it expected the term.
            pairs = [(row, token) for row, tokens in self.forced.items() for token in tokens]
            rows, cols = (torch.tensor(v, device=device) for v in zip(*pairs))
            scores[torch.tensor(list(self.forced), device=device)] = float("-inf")
            scores[rows, cols] = 0.0
        return scores


def _member(values: torch.Tensor, keys: torch.Tensor) -> torch.Tensor:
    """values' elements that are among keys (sorted, unique): a binary search, cheaper than torch.isin per step."""
    if not keys.numel():
        return torch.zeros_like(values, dtype=torch.bool)
    at = torch.searchsorted(keys, values).clamp(max=keys.numel() - 1)
    return keys[at] == values


class _BatchTables:
    """What the processor's tensor path looks rows up in, made once per decode on the scores' device:
    each row's segment, the drafts, the term tokens, and where anchors and forbidden renderings may fire."""

    def __init__(self, processor: TermConstraintProcessor, rows: int, width: int, device: torch.device) -> None:
        plans, drafts, beams = processor.plans, processor.drafts, processor.num_beams
        self.width = width
        self.row_item = torch.arange(rows, device=device) // beams
        self.has_plan = torch.tensor([bool(plans[r // beams]) for r in range(rows)], device=device)
        longest = max(map(len, drafts), default=0) + 1  # a column of -1 past the longest draft
        self.span = longest
        table = torch.full((len(drafts), longest), -1, dtype=torch.long)
        for k, draft in enumerate(drafts):
            table[k, : len(draft)] = torch.tensor(draft, dtype=torch.long)
        self.drafts = table.to(device)
        lengths = torch.tensor([len(d) for d in drafts], dtype=torch.long, device=device)
        self.draft_length = lengths[self.row_item]  # per row: its draft's length
        # Keys of (segment, token): the tokens of its terms, the token an anchor waits for (displaced or
        # next), and the last token before one that may end a forbidden rendering; and (segment, draft
        # position) of anchors.
        terms, wanted, positions, forbidden_after, always = [], [], [], [], []
        for k, (plan, anchors) in enumerate(zip(plans, processor.anchors)):
            terms.extend(k * width + t for t in plan.tokens)
            for anchor in (a for found in anchors.values() for a in found):
                wanted.append(k * width + (anchor.displaced[0] if anchor.displaced else anchor.after))
                if anchor.at >= 0:
                    positions.append(k * longest + anchor.at)
            single, after = plan.forbidden_triggers()
            always.append(single)
            forbidden_after.extend(k * width + t for t in after)
        self._terms = torch.tensor(sorted(set(terms)), dtype=torch.long, device=device)
        self._wanted = torch.tensor(sorted(set(wanted)), dtype=torch.long, device=device)
        self._positions = torch.tensor(sorted(set(positions)), dtype=torch.long, device=device)
        self._forbidden_after = torch.tensor(sorted(set(forbidden_after)), dtype=torch.long, device=device)
        self._always = torch.tensor(always, dtype=torch.bool, device=device)

    def holds_term_token(self, token: torch.Tensor) -> torch.Tensor:
        """Per row: is token one of its segment's term tokens (the only ones that change an idle state)?"""
        return _member(self.row_item * self.width + token, self._terms)

    def draft_token(self, position: torch.Tensor) -> torch.Tensor:
        """Per row: its draft's token at position; -1 past the draft's end or at -1."""
        at = position.clamp(0, self.span - 1)
        return torch.where(position >= 0, self.drafts[self.row_item, at], -1)

    def at_anchor(self, wanted: torch.Tensor, position: torch.Tensor) -> torch.Tensor:
        """Per row: may an anchor of its segment fit (the token it waits for is wanted, or the row is at its
        draft position)? A superset of Anchor.fits, which the rows it marks are then asked in Python."""
        waits = _member(self.row_item * self.width + wanted, self._wanted)
        return waits | (position >= 0) & _member(self.row_item * self.span + position, self._positions)

    def may_ban_after(self, last: torch.Tensor) -> torch.Tensor:
        """Per row: may a forbidden rendering of its segment end with the next token?"""
        return self._always[self.row_item] | _member(self.row_item * self.width + last, self._forbidden_after)


class TermConstraintProcessor(LogitsProcessor):
    """Writes every hypothesis' glossary terms where the model translates them (batch x beams rows).

    Each segment may come with the model's own draft and Anchors read off it (engines/placement.py).
    A row that has kept to the draft reaches an anchor at its draft position (a row that left the
    draft, when it ends with the anchor's context and the model is about to write its rendering):
    the term is written there instead, in the anchor's form, at no cost to the row's score, and the
    token the model wanted is held back for a few steps so it does not write its rendering as well.
    After the term the row is steered back onto the draft (resume_bonus on the draft's next token),
    and a row that writes it stays on the draft for the next anchor. A term the model begins
    by itself is continued. A finished term may not be glued into a longer word, except into an
    accepted variant. Forbidden renderings are banned. As last resorts, end-of-sentence is banned while
    a term is unmet (the term is written when the model wants to stop), and once the token budget
    only just holds the unmet terms only tokens that make progress on them are allowed; `fallbacks`
    records the hypotheses these touched, so the engine can say so.
    """

    def __init__(
        self,
        plans: Sequence[SegmentPlan],
        vocab: TargetVocab,
        *,
        num_beams: int,
        budget: int,
        prompt_length: int = 1,
        anchors: Sequence[dict[int, list[Anchor]]] | None = None,
        drafts: Sequence[Sequence[int]] | None = None,
        hold_steps: int = 3,
        continue_bonus: float = 8.0,
        resume_bonus: float = 20.0,
    ) -> None:
        self.plans = list(plans)
        self.vocab = vocab
        self.num_beams = num_beams
        self.budget = budget  # tokens the processor may plan with; the engine keeps one back for </s>
        self.prompt_length = prompt_length
        self.anchors = list(anchors) if anchors is not None else [{} for _ in self.plans]
        # The model's own drafts the anchors were read off (ids without the start token); () when none.
        self.drafts = [tuple(d) for d in drafts] if drafts is not None else [() for _ in self.plans]
        self.hold_steps = hold_steps
        self.continue_bonus = continue_bonus
        self.resume_bonus = resume_bonus
        self.calls = 0  # steps seen: tests check that generate really ran through the processor
        self.fallbacks: list[set[tuple[int, ...]]] = [set() for _ in self.plans]  # prefixes a last resort touched
        # Rows are steered by tensor operations over the batch, except those at an event (a row new
        # to the processor, a term being written, begun or just ended, an anchor or the end reached,
        # the last resort, a forbidden rendering that may end): those go through Python, one by one.
        # False steers every row in Python: the reference the tensor path is tested against.
        self.vectorised = True
        self.python_rows = 0  # rows steered in Python so far, of rows_seen
        self.rows_seen = 0
        self._steerings: list[dict[int, _Steering]] = [{} for _ in self.plans]  # per segment, by state
        self._batch: _BatchTables | None = None
        self._states: list[int] = []  # per row: its progress on its segment's terms (a SegmentPlan state)
        self._table = torch.zeros(0, 8, dtype=torch.long)  # per row: its _RowPlacement, columns _FORCING...
        self._state_rows = torch.zeros(0, 3, dtype=torch.long)  # per row: _IDLE, _UNMET, _NEED
        self._spellings: list[tuple[int, ...]] = [()]  # the anchors' forms in the table's _SPELLING column, by id
        self._spelling_ids: dict[tuple[int, ...], int] = {(): 0}
        self._previous_ids: torch.Tensor | None = None
        self._progress: dict[tuple[int, int, bool], list[int]] = {}  # last-resort tokens, this step
        # The last resort's candidate tokens and what each leaves to write, per segment state: for every step.
        self._needs: dict[tuple[int, int, bool], dict[int, int]] = {}
        self._window = max([2, *(len(f) for plan in self.plans for f in plan.forbidden)])

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        self.calls += 1
        step = input_ids.shape[1] - self.prompt_length
        batch = self._batch
        if batch is None or batch.row_item.numel() != input_ids.shape[0]:
            batch = self._batch = _BatchTables(self, input_ids.shape[0], scores.shape[-1], input_ids.device)
        parents = self._parents(input_ids) if step > 0 and self._previous_ids is not None else None
        python = self._advance(input_ids, step, parents)
        self._previous_ids = input_ids.clone()
        remaining = self.budget - step  # tokens left, the one chosen now included
        if remaining <= 0:
            return scores
        table, last = self._table, input_ids[:, -1]
        if step > 0:
            # The token written last step kept each row that is not writing a term on the draft, or took it off.
            position = table[:, _POSITION]
            on = (position < batch.draft_length) & (last == batch.draft_token(position))
            moving = (table[:, _FORCING] < 0) & (position >= 0)
            table[:, _POSITION] = torch.where(moving, torch.where(on, position + 1, -1), position)
        top = scores.argmax(-1)
        edits = _ScoreEdits(self.vocab)
        self._progress = {}
        if parents is not None and self.vectorised:
            python = self._steer_batch(python, step, remaining, last, top, edits) & batch.has_plan
        else:
            python = batch.has_plan.clone()
        self._steer_rows(python, input_ids, step, remaining, top, edits)
        # Only beam search adds scores up across steps; greedy and sampling need no renormalising.
        return edits.apply(scores, renormalise=self.num_beams > 1)

    def _parents(self, input_ids: torch.Tensor) -> torch.Tensor:
        """For each row, the row of the previous step it extends; -1 when none matches."""
        # Beam search reorders rows every step; the parent is the previous row whose ids are this
        # row's prefix, found on the device in one comparison instead of per-row Python keys.
        previous, current = self._previous_ids, input_ids[:, :-1]
        if previous.shape != current.shape:
            return torch.full((input_ids.shape[0],), -1, dtype=torch.long, device=input_ids.device)
        rows, length = current.shape
        beams = self.num_beams
        match = (current.view(-1, beams, 1, length) == previous.view(-1, 1, beams, length)).all(-1)
        local = match.int().argmax(-1)
        offset = torch.arange(0, rows, beams, device=input_ids.device).unsqueeze(1)
        return (local + offset).masked_fill(~match.any(-1), -1).flatten()

    def _advance(self, input_ids: torch.Tensor, step: int, parents: torch.Tensor | None) -> torch.Tensor:
        """Each row's state and placement after the token it wrote last, inherited from its parent.
        Only rows whose state the token may change are advanced in Python. Returns the mask of rows
        that must be steered in Python: new rows, and rows in the middle of a term or just after one."""
        if parents is None:
            return self._start(input_ids)
        device = input_ids.device
        known = parents >= 0
        inherited = parents.clamp(min=0)
        self._table = self._table[inherited]
        if not bool(known.all()):
            self._table[~known] = torch.tensor(_RowPlacement(position=-1).to_row(0), device=device)
        self._state_rows = self._state_rows[inherited]
        # A token outside its segment's terms leaves an idle state as it was.
        may_change = ~known | (self._state_rows[:, _IDLE] == 0) | self._batch.holds_term_token(input_ids[:, -1])
        changed = may_change.nonzero().flatten().tolist()
        plans, beams, previous, parent_of = self.plans, self.num_beams, self._states, parents.tolist()
        states = [previous[p] if p >= 0 else 0 for p in parent_of]
        if changed:
            ends_in_word = self.vocab.ends_in_word
            for row, (before, last) in zip(changed, input_ids[changed, -2:].tolist()):
                plan, parent = plans[row // beams], parent_of[row]
                if parent < 0:
                    states[row] = self._replay(plan, input_ids[row].tolist())
                else:
                    states[row] = plan.advance(previous[parent], last, step >= 2 and not ends_in_word(before))
            summaries = [self._summary(row // beams, states[row]) for row in changed]
            self._state_rows[changed] = torch.tensor(summaries, dtype=torch.long, device=device)
        self._states = states
        return ~known | (self._state_rows[:, _IDLE] == 0)

    def _start(self, input_ids: torch.Tensor) -> torch.Tensor:
        """Every row's state from all its ids, and a fresh placement (the first step); all rows go to Python."""
        rows, device, beams = input_ids.shape[0], input_ids.device, self.num_beams
        self._table = torch.tensor([_RowPlacement().to_row(0)], device=device).repeat(rows, 1)
        batch = self._batch
        self._table[:, _POSITION] = torch.where(batch.draft_length > 0, 0, -1)  # no draft: never on it
        self._states = [self._replay(self.plans[r // beams], ids) for r, ids in enumerate(input_ids.tolist())]
        summaries = [self._summary(r // beams, state) for r, state in enumerate(self._states)]
        self._state_rows = torch.tensor(summaries, dtype=torch.long, device=device).view(rows, 3)
        return torch.ones(rows, dtype=torch.bool, device=device)

    def _summary(self, item: int, state: int) -> tuple[int, int, int]:
        """(idle, some term unmet, tokens the unmet terms need without their partial matches) of a state."""
        steering = self._steering(item, state)
        return int(self.plans[item].idle(state)), int(bool(steering.unmet)), steering.need_free

    def _steer_batch(
        self, python: torch.Tensor, step: int, remaining: int, last: torch.Tensor, top: torch.Tensor, edits: _ScoreEdits
    ) -> torch.Tensor:
        """Steer every row at no event by tensor operations; returns the mask of rows left to Python (events)."""
        batch, table = self._batch, self._table
        unmet = self._state_rows[:, _UNMET] > 0
        position = table[:, _POSITION]
        on_draft = (position >= 0) & (position < batch.draft_length)
        at_draft = batch.draft_token(position)
        # A row resuming the draft is about to write the draft's next token, whatever the model's top.
        wanted = torch.where((table[:, _RESUMING] > 0) & on_draft, at_draft, top)
        events = (
            python
            | (table[:, _FORCING] >= 0)  # writing a term (its last token is a term token too; this does not rely on it)
            | unmet & (self._state_rows[:, _NEED] > remaining - 1)  # the last resort
            | unmet & ((top == self.vocab.eos_id) | batch.at_anchor(wanted, position))
            | batch.may_ban_after(last)
        )
        quiet = batch.has_plan & ~events
        # The rest of _steer for a row at no event: the displaced token held back, the draft resumed, no end while a term is unmet.
        hold = table[:, _HOLD]
        holding = quiet & (hold > 0)
        table[:, _HOLD] = torch.where(holding, hold - 1, hold)
        displaced = table[:, _DISPLACED]
        next_in_draft = torch.where(on_draft, at_draft, -1)
        held = holding & (displaced >= 0) & (displaced != self.vocab.eos_id) & (displaced != next_in_draft)
        edits.ban_all(held.nonzero().flatten(), displaced[held])
        resume = quiet & (table[:, _RESUMING] > 0) & on_draft
        edits.bias_all(resume.nonzero().flatten(), at_draft[resume], self.resume_bonus)
        ended = (quiet & unmet).nonzero().flatten()
        edits.ban_all(ended, torch.full_like(ended, self.vocab.eos_id))
        return events

    def _steer_rows(
        self, python: torch.Tensor, input_ids: torch.Tensor, step: int, remaining: int, top: torch.Tensor, edits: _ScoreEdits
    ) -> None:
        """Steer the rows of the mask in Python, one by one, and write their placements back to the table."""
        rows = python.nonzero().flatten()
        self.rows_seen += input_ids.shape[0]
        self.python_rows += rows.numel()
        if not rows.numel():
            return
        listed = rows.tolist()
        placements = [_RowPlacement.from_row(r, self._spellings) for r in self._table[rows].tolist()]
        ids = input_ids[rows].tolist()
        tops = top[rows].tolist()
        for row, placement, row_ids, wanted in zip(listed, placements, ids, tops):
            item = row // self.num_beams
            self._steer(self.plans[item], self._states[row], row_ids, row, step, remaining, wanted, placement, edits)
        self._table[rows] = torch.tensor(
            [p.to_row(self._spelling_id(p.spelling)) for p in placements],
            dtype=torch.long, device=self._table.device,
        )

    def _spelling_id(self, spelling: tuple[int, ...]) -> int:
        known = self._spelling_ids.get(spelling)
        if known is None:
            known = self._spelling_ids[spelling] = len(self._spellings)
            self._spellings.append(spelling)
        return known

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
        ids: list[int],
        row: int,
        step: int,
        remaining: int,
        top: int,
        placement: _RowPlacement,
        edits: _ScoreEdits,
    ) -> None:
        """Add this row's bans and bonuses, or its forced tokens; ids are all it has written."""
        item = row // self.num_beams
        steering = self._steering(item, state)
        recent = ids[-self._window :]
        after_punctuation = step >= 1 and not self.vocab.ends_in_word(recent[-1])
        draft = self.drafts[item]
        if steering.unmet and steering.need_free > remaining - 1:
            # Last resort: the budget only just holds the unmet terms.
            key = (item, state, after_punctuation)
            if key not in self._progress:  # the same for every row of the segment in this state, this step
                needs = self._needs.get(key)
                if needs is None:
                    needs = self._needs[key] = self._candidate_needs(plan, state, after_punctuation, steering.unmet)
                self._progress[key] = self._progress_tokens(needs, remaining)
            edits.forced[row] = self._progress[key]
            self.fallbacks[item].add(tuple(ids))
            return
        if placement.forcing >= 0:
            i = placement.forcing
            if placement.written < len(placement.spelling):
                edits.forced[row] = [placement.spelling[placement.written]]
                placement.written += 1
                return
            if not placement.spelling and i in steering.unmet and plan.partials(state, i):
                edits.forced[row] = sorted(plan.next_tokens(state, i, deepest_only=True))
                return
            placement.forcing, placement.hold = -1, self.hold_steps
            placement.position = placement.resume_at  # the draft goes on after the rendering the term replaced
            placement.resuming = placement.position >= 0
        if steering.must_lengthen:
            edits.forced[row] = sorted(steering.may_lengthen)
            return
        if steering.ended:
            edits.glue_rows.append(row)
            edits.glue_allowed.extend((row, t) for t in steering.may_lengthen)
        if placement.hold > 0:
            placement.hold -= 1
            # Held back, unless it is how the draft itself goes on after the rendering the term replaced.
            next_in_draft = draft[placement.position] if 0 <= placement.position < len(draft) else -1
            if placement.displaced >= 0 and placement.displaced not in (self.vocab.eos_id, next_in_draft):
                edits.ban_rows.append(row)
                edits.ban_tokens.append(placement.displaced)
        if steering.unmet and self._place(plan, state, steering, row, step, top, ids, placement, edits):
            return
        if placement.resuming and 0 <= placement.position < len(draft):
            # After a term written in place of the model's rendering, the model's own draft goes on:
            # a model that never saw the term in this sentence would otherwise lose its way after it.
            edits.bias_rows.append(row)
            edits.bias_tokens.append(draft[placement.position])
            edits.bias_values.append(self.resume_bonus)
        if steering.unmet:
            edits.bias_rows.extend([row] * len(steering.bonus_tokens))
            edits.bias_tokens.extend(steering.bonus_tokens)
            edits.bias_values.extend(steering.bonuses)
            edits.ban_rows.append(row)
            edits.ban_tokens.append(self.vocab.eos_id)
        self._ban_forbidden(plan, steering, recent, row, edits)

    @staticmethod
    def _ban_forbidden(plan: SegmentPlan, steering: _Steering, recent: list[int], row: int, edits: _ScoreEdits) -> None:
        # The start token never occurs in a forbidden rendering, so the window may include it.
        if plan.forbidden and plan.may_ban_after(recent[-1]):
            banned = plan.forbidden_next(recent) - steering.continuing
            edits.ban_rows.extend([row] * len(banned))
            edits.ban_tokens.extend(banned)

    def _place(
        self,
        plan: SegmentPlan,
        state: int,
        steering: _Steering,
        row: int,
        step: int,
        top: int,
        ids: list[int],
        placement: _RowPlacement,
        edits: _ScoreEdits,
    ) -> bool:
        """Begin writing an unmet term at its anchor in the model's draft (or when the model wants to stop); True when begun."""
        item = row // self.num_beams
        draft = self.drafts[item]
        recent = ids[-self._window :]
        # A row resuming the draft is about to write the draft's next token, whatever the model's top.
        on_draft = placement.resuming and 0 <= placement.position < len(draft)
        wanted = draft[placement.position] if on_draft else top
        inside_word = step > 0 and not self.vocab.starts_word(wanted) and self.vocab.ends_in_word(recent[-1])
        if any(plan.partials(state, i) for i in steering.unmet) or inside_word:
            return False  # the model is inside a word, or already writing a term
        chosen, displaced, anchor = -1, top, None
        for i in steering.unmet:
            anchor = next(
                (a for a in self.anchors[item].get(i, ()) if a.fits(recent, step, wanted, placement.position)), None
            )
            if anchor is not None:
                chosen, displaced = i, anchor.displaced[0] if anchor.displaced else -1
                break
        if chosen < 0 and top == self.vocab.eos_id:
            chosen = steering.unmet[0]  # last resort: the model wants to stop with a term unmet
            self.fallbacks[item].add(tuple(ids))
        if chosen < 0:
            return False
        spelling = plan.spellings[chosen]
        at_anchor = anchor is not None
        if spelling.glued and step > 0 and not self.vocab.ends_in_word(recent[-1]) and self.vocab.glue_starts[wanted]:
            seq = spelling.glued  # right after an opening bracket or quote, where no '▁' comes
        elif at_anchor and anchor.spelling:
            seq = anchor.spelling  # the form the draft's own rendering called for
        elif step == 0 or self.vocab.starts_sentence(recent):
            seq = spelling.capitalised
        else:
            seq = spelling.primary
        edits.forced[row] = [seq[0]]
        placement.forcing = chosen
        placement.displaced = displaced if displaced != seq[0] else -1
        placement.spelling, placement.written = (seq, 1) if at_anchor and anchor.spelling else ((), 0)
        placement.resuming = False
        placement.resume_at = anchor.at + len(anchor.displaced) if anchor is not None and anchor.at >= 0 else -1
        return True

    def _steering(self, item: int, state: int) -> _Steering:
        memo = self._steerings[item]
        steering = memo.get(state)
        if steering is None:
            plan = self.plans[item]
            unmet = plan.unmet(state)
            bonus = self._bonuses(plan, state, unmet)
            ended, may_lengthen, must = plan.word_edge(state)
            steering = _Steering(
                need_free=plan.need(state, keep_partials=False),
                unmet=tuple(unmet),
                bonus_tokens=tuple(bonus),
                bonuses=tuple(bonus.values()),
                continuing=frozenset(t for i in unmet for t in plan.next_tokens(state, i)),
                ended=ended,
                may_lengthen=may_lengthen,
                must_lengthen=must,
            )
            memo[state] = steering
        return steering

    def _bonuses(self, plan: SegmentPlan, state: int, unmet: list[int]) -> dict[int, float]:
        """Token -> bonus: the deepest partial term the model began by itself goes on."""
        # A bare '▁' begins many spellings; without a depth rule its shallow matches would tie with
        # (and interrupt) a term that is half written.
        deepest = max((p for i in unmet for _, p in plan.partials(state, i)), default=0)
        bonus: dict[int, float] = {}
        for i in unmet:
            spelling = plan.spellings[i]
            for s, p in plan.partials(state, i):
                if p == deepest:
                    bonus[spelling.spellings[s][p]] = self.continue_bonus
        return bonus

    @staticmethod
    def _candidate_needs(plan: SegmentPlan, state: int, after_punctuation: bool, unmet: Sequence[int]) -> dict[int, int]:
        """Token -> tokens the unmet terms still need after it, for each token that goes on with or begins one."""
        candidates: set[int] = set()
        for i in unmet:
            candidates |= plan.next_tokens(state, i) | plan.start_tokens(i)
        return {t: plan.need(plan.advance(state, t, after_punctuation)) for t in candidates}

    @staticmethod
    def _progress_tokens(needs: dict[int, int], remaining: int) -> list[int]:
        """Tokens after which the unmet terms still fit in the budget; the best ones when none do."""
        fitting = [t for t, n in needs.items() if n <= remaining - 1]
        return sorted(fitting) or [t for t, n in needs.items() if n == min(needs.values())]
