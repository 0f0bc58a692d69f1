"""Where a term belongs in the model's own draft: the words of the draft it replaces.

First, the model's own renderings of the term (its n-best translations of the term's Chinese alone)
and the glossary's forbidden renderings are looked for in the draft (engines/renderings.py); one
found there is where the term goes, in the number the draft used. When none is found, every way of
putting the term in the draft (replacing one to a few whole words at any word start) is scored by
the model, teacher-forced: the log-probability of every draft token that is kept, given what now
stands before it. The words whose removal the model minds least, with the term in their place, are
taken as its rendering. A model that never considered the term still wants to write its rendering
right after it; the second pass holds that token back, so the score of the token after the term is
taken, likewise, with the displaced token's probability removed.

Each place becomes an Anchor for the constrained second pass (engines/constraints.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from .constraints import Anchor, SegmentPlan, TargetVocab, capitalised
from .renderings import locate_rendering, plural_form

MAX_REPLACED_WORDS = 4  # the longest rendering a term may displace, when the model's scores choose it
SCORED_AFTER = 4  # tokens after a placed term scored in its own context; the rest score as in the draft
CONTEXT = 2  # draft tokens before the term that tell the second pass it has come to the place


def _word_starts(vocab: TargetVocab, draft: Sequence[int]) -> list[int]:
    """Positions in draft where a word begins, and the end-of-sentence position (insertion at the end)."""
    starts = [j for j, token in enumerate(draft) if j == 0 or vocab.starts_word(token)]
    return starts if starts[-1] == len(draft) - 1 else [*starts, len(draft) - 1]


# One placement of a term in a draft: replaced span [start, end), the new ids, which of them are the
# draft's own (scored), and (position, token) held back right after the term (-1, -1 when none).
_Candidate = tuple[int, int, list[int], list[bool], tuple[int, int]]


def _candidates(vocab: TargetVocab, draft: list[int], spelling_at: Any) -> list[_Candidate]:
    """Every placement of the term over one to MAX_REPLACED_WORDS whole words of the draft (or before its end)."""
    starts = _word_starts(vocab, draft)
    found: list[_Candidate] = []
    for k, a in enumerate(starts):
        term = list(spelling_at(a))
        # The draft lacks the term, so some words of it are the model's own rendering: the term replaces
        # at least one word (a model that copes with anything inserted would otherwise take it anywhere).
        for b in starts[k + 1 : k + MAX_REPLACED_WORDS + 1]:
            ids = draft[:a] + term + draft[b:]
            kept = [True] * a + [False] * len(term) + [True] * (len(draft) - b)
            held = (a + len(term), draft[a]) if b > a and draft[a] != draft[b] else (-1, -1)
            found.append((a, b, ids, kept, held))
    return found


def draft_anchors(
    model: Any,
    vocab: TargetVocab,
    encoder_out: torch.Tensor,
    source_mask: torch.Tensor,
    draft: list[int],
    plan: SegmentPlan,
    terms: Sequence[int],
    start_token: int,
    renderings: dict[int, Sequence[str]] | None = None,
    tokenizer: Any = None,
) -> dict[int, list[Anchor]]:
    """Term index -> Anchors in the draft (ids without the start token, ending in </s>), for each of terms.

    renderings: per term index, the model's own renderings of it and its forbidden ones, looked for first.
    """
    anchors: dict[int, list[Anchor]] = {}
    taken: list[tuple[int, int]] = []
    unplaced: list[int] = []
    for i in terms:
        longest = max(MAX_REPLACED_WORDS, 2 * len(plan.spellings[i].term.target.split()))
        found = (
            locate_rendering(tokenizer, vocab, draft, (renderings or {}).get(i, ()), taken, longest)
            if tokenizer else None
        )
        if found is None:
            unplaced.append(i)
            continue
        a, b, plural = found
        term = plan.spellings[i].term
        form = plural_form(term) if plural else None
        text = form or term.target
        ids = vocab.encode(capitalised(text) if a == 0 else text)
        if not vocab.spellable(ids) or not vocab.starts_word(draft[a]):
            ids = ()  # the usual form; after an opening bracket, the processor's glued one
        taken.append((a, b))
        anchors.setdefault(i, []).append(_anchor(draft, a, b, ids))
    for i in unplaced:
        spelling = plan.spellings[i]
        candidates = _candidates(vocab, draft, lambda a: spelling.capitalised if a == 0 else spelling.primary)
        candidates = [c for c in candidates if not any(a < c[1] and c[0] < b or a == c[0] for a, b in taken)]
        # A draft that used its whole length leaves no room for a longer term: the model has no positions past it.
        candidates = [c for c in candidates if len(c[2]) <= model.config.max_position_embeddings]
        if not candidates:
            continue
        scores = _kept_log_probs(model, encoder_out, source_mask, candidates, start_token, draft)
        a, b = candidates[int(scores.argmax())][:2]
        taken.append((a, b))
        anchors.setdefault(i, []).append(_anchor(draft, a, b))
    return anchors


def _anchor(draft: Sequence[int], a: int, b: int, spelling: tuple[int, ...] = ()) -> Anchor:
    """The Anchor for a term in place of draft[a:b]."""
    return Anchor(
        before=tuple(draft[max(0, a - CONTEXT) : a]), displaced=tuple(draft[a:b]), after=draft[b],
        spelling=spelling, at=a,
    )


def _kept_log_probs(
    model: Any,
    encoder_out: torch.Tensor,
    source_mask: torch.Tensor,
    candidates: list[_Candidate],
    start_token: int,
    draft: Sequence[int],
) -> torch.Tensor:
    """Per candidate: the summed log-probability of its kept tokens, teacher-forced after the start token.

    Before the term a candidate is the draft, so those tokens score as in the draft (one pass for all).
    The SCORED_AFTER tokens after the term are scored in the candidate's own context: that is where
    the model minds what was replaced. Further on, tokens score as they do in the draft. So each
    candidate costs a pass only up to a few tokens past its term, and the vocabulary projection
    (most of a pass at 65,001 pieces) only at those few tokens.
    """
    device = encoder_out.device
    in_draft = _draft_log_probs(model, encoder_out, source_mask, draft, start_token)
    before = torch.cat([torch.zeros(1, device=device), in_draft.cumsum(0)])  # before[j]: sum over draft[:j]
    total = torch.zeros(len(candidates), device=device)
    for chunk in range(0, len(candidates), 64):  # bounded memory for long drafts
        part = candidates[chunk : chunk + 64]
        ends = [min(len(ids), a + len(ids) - len(draft) + (b - a) + SCORED_AFTER) for a, b, ids, _, _ in part]
        # Each candidate's term ends at t = a + (len(ids) - len(draft) + (b - a)); scored: [t, end).
        length = max(ends)
        labels = torch.full((len(part), length), start_token, dtype=torch.long, device=device)
        for n, (_, _, ids, _, _) in enumerate(part):
            labels[n, : ends[n]] = torch.tensor(ids[: ends[n]], device=device)
        inputs = torch.cat([torch.full((len(part), 1), start_token, dtype=torch.long, device=device), labels[:, :-1]], 1)
        hidden = model.model(
            encoder_outputs=(encoder_out.expand(len(part), -1, -1),),
            attention_mask=source_mask.expand(len(part), -1),
            decoder_input_ids=inputs,
        ).last_hidden_state
        rows, positions, wanted, held = [], [], [], []
        for n, (a, b, ids, _, (position, token)) in enumerate(part):
            term_end = a + len(ids) - len(draft) + (b - a)
            for p in range(term_end, ends[n]):
                rows.append(n)
                positions.append(p)
                wanted.append(ids[p])
                held.append(token if p == position else -1)
            scored = ends[n] - term_end
            total[chunk + n] = before[a] + in_draft[b + scored :].sum()
        if not rows:
            continue
        index = torch.tensor(rows, device=device)
        logits = model.lm_head(hidden[index, torch.tensor(positions, device=device)]) + model.final_logits_bias
        log_probs = logits.log_softmax(-1)
        picked = log_probs.gather(-1, torch.tensor(wanted, device=device).unsqueeze(-1)).squeeze(-1)
        # Where a token is held back, the others share its probability: renormalise without it.
        held_ids = torch.tensor(held, device=device)
        withheld = log_probs.gather(-1, held_ids.clamp(min=0).unsqueeze(-1)).squeeze(-1)
        renormalise = -torch.log1p(-withheld.exp().clamp(max=1 - 1e-6))
        picked = picked + torch.where(held_ids >= 0, renormalise, torch.zeros_like(renormalise))
        total[chunk : chunk + len(part)] += torch.zeros(len(part), device=device).index_add_(0, index, picked)
    return total


def _draft_log_probs(
    model: Any, encoder_out: torch.Tensor, source_mask: torch.Tensor, draft: Sequence[int], start_token: int
) -> torch.Tensor:
    """[len(draft)]: the log-probability of each draft token given the tokens before it."""
    device = encoder_out.device
    labels = torch.tensor([list(draft)], device=device)
    inputs = torch.cat([torch.full((1, 1), start_token, dtype=torch.long, device=device), labels[:, :-1]], 1)
    logits = model(encoder_outputs=(encoder_out,), attention_mask=source_mask, decoder_input_ids=inputs).logits
    return logits.log_softmax(-1).gather(-1, labels.unsqueeze(-1)).squeeze(-1)[0]
