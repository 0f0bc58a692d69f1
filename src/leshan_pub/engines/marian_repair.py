"""What the shared term repair (repair.RepairModel) asks of the transformers engine: drafts read, scored, decoded."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import torch
from transformers import LogitsProcessor, LogitsProcessorList

from .placement import SCORED_AFTER
from .repair import Candidate, DraftReading, EngineRenderings
from .spelling import SegmentPlan

if TYPE_CHECKING:
    from .marian import Decoded, MarianEngine

# Draft tokens read in one teacher-forced pass, to find what each owes to a term or to score where
# its rendering ends: a few MB on the CPU; on a GPU, where each pass costs its kernel launches, far more.
SCORED_TOKENS = {"cpu": 2048, "cuda": 32768}


class _ForcedPrefix(LogitsProcessor):
    """Forces each row's prefix (ids after the start token), token by token, then lets the model go on,
    keeping the row's kept-out sequences from being written (their last token is banned wherever the
    tokens before it were just written)."""

    def __init__(
        self, prefixes: Sequence[Sequence[int]], num_beams: int, kept_out: Sequence[Sequence[Sequence[int]]] | None = None
    ) -> None:
        self.prefixes = [list(p) for p in prefixes]
        self.num_beams = num_beams
        self.kept_out = [[list(x) for x in xs if x] for xs in kept_out] if kept_out else [[] for _ in prefixes]

    def __call__(self, input_ids: torch.Tensor, scores: torch.Tensor) -> torch.Tensor:
        step = input_ids.shape[1] - 1
        rows = [r for r in range(scores.shape[0]) if step < len(self.prefixes[r // self.num_beams])]
        if rows:
            tokens = torch.tensor([self.prefixes[r // self.num_beams][step] for r in rows], device=scores.device)
            index = torch.tensor(rows, device=scores.device)
            kept = scores[index, tokens]
            scores[index] = float("-inf")
            scores[index, tokens] = torch.where(torch.isfinite(kept), kept, torch.zeros_like(kept))
        for r in range(scores.shape[0]):
            if step < len(self.prefixes[r // self.num_beams]):
                continue
            for sequence in self.kept_out[r // self.num_beams]:
                head = sequence[:-1]
                if not head or input_ids[r, input_ids.shape[1] - len(head) :].tolist() == head:
                    scores[r, sequence[-1]] = float("-inf")
        return scores


class MarianRepair(EngineRenderings):
    """The transformers engine's side of the shared repair (repair.RepairModel), for one batch of drafts."""

    def __init__(self, engine: MarianEngine, sources: list[str], draft: Decoded) -> None:
        self.engine, self.sources, self.draft = engine, sources, draft
        self.vocab, self.tokenizer = engine.vocab, engine.tokenizer
        self.max_length = engine.options.max_new_tokens or engine.target_limit

    def read(self, rows: list[int], drafts: list[list[int]], terms: list[list[int]], plans: list[SegmentPlan]) -> DraftReading:
        engine = self.engine
        batch = engine.encode([self.sources[k] for k in rows])
        owed, states, aligned, pieces = engine.owed(
            batch, drafts, [[plan.spellings[i].term for i in ts] for ts, plan in zip(terms, plans)]
        )
        per_term: list[dict[int, list[list[float]]] | None] = [{} for _ in rows]
        for n, ts in enumerate(terms):
            for i, row in zip(ts, owed[n]):
                per_term[n].setdefault(i, []).append(row)  # type: ignore[union-attr]
        encoded: list[torch.Tensor] = []  # made only when some candidates are scored
        log_probs: dict[int, torch.Tensor] = {}  # likewise, per draft

        def score(requests: list[tuple[int, Candidate]]) -> list[float]:
            with torch.inference_mode(), engine.reading():
                if not encoded:
                    encoded.append(engine.model.get_encoder()(**batch).last_hidden_state)
                for n in {n for n, _ in requests} - log_probs.keys():
                    log_probs[n] = engine.draft_log_probs(states[n], drafts[n])
                return kept_log_probs(
                    engine.model, encoded[0], batch["attention_mask"], requests,
                    engine.model.config.decoder_start_token_id, drafts, log_probs,
                    SCORED_TOKENS.get(engine.device.type, SCORED_TOKENS["cpu"]),
                ).tolist()

        return DraftReading(per_term, aligned, pieces, score)

    def decode_after(
        self, rows: list[int], prefixes: list[list[int]],
        kept_out: list[tuple[tuple[int, ...], ...]] | None = None, beams: int | None = None,
    ) -> list[list[int]]:
        engine = self.engine
        options = engine.options
        beams = beams or options.num_beams
        engine.counts.redecoded += len(rows)
        limit = options.max_new_tokens or min(
            max(self.draft.max_new, *(len(p) + 2 for p in prefixes)), engine.target_limit
        )
        processors = LogitsProcessorList([_ForcedPrefix(prefixes, beams, kept_out)])
        with torch.inference_mode():
            output = engine.model.generate(
                **engine.encode([self.sources[k] for k in rows]), num_beams=beams,
                max_new_tokens=limit, logits_processor=processors, num_return_sequences=1,
            )
        pad, eos = engine.model.config.pad_token_id, self.vocab.eos_id
        written = [[t for t in row[1:] if t != pad] for row in output.tolist()]
        return [ids if ids[-1:] == [eos] else [*ids, eos] for ids in written]

    def token_scores(self, rows: list[int], english: list[list[int]]) -> list[list[float]]:
        engine = self.engine
        model = engine.model
        per_pass = max(1, SCORED_TOKENS.get(engine.device.type, SCORED_TOKENS["cpu"]) // max(map(len, english), default=1))
        scores: list[list[float]] = []
        for first in range(0, len(english), per_pass):
            part = english[first : first + per_pass]
            batch = engine.encode([self.sources[k] for k in rows[first : first + per_pass]])
            labels = torch.zeros((len(part), max(map(len, part))), dtype=torch.long)
            for n, ids in enumerate(part):
                labels[n, : len(ids)] = torch.tensor(ids)
            labels = labels.to(engine.device)
            start = torch.full_like(labels[:, :1], model.config.decoder_start_token_id)
            inputs = torch.cat([start, labels[:, :-1]], 1)
            with torch.inference_mode():
                logits = model(**batch, decoder_input_ids=inputs).logits.float().log_softmax(-1)
            picked = logits.gather(-1, labels[..., None])[..., 0].tolist()
            scores += [row[: len(ids)] for row, ids in zip(picked, part)]
        return scores

    def score(self, rows: list[int], english: list[list[int]]) -> list[float]:
        return [sum(values) / max(1, len(values)) for values in self.token_scores(rows, english)]


def kept_log_probs(
    model: Any,
    encoder_out: torch.Tensor,
    source_mask: torch.Tensor,
    requests: list[tuple[int, Candidate]],
    start_token: int,
    drafts: Sequence[Sequence[int]],
    in_drafts: Mapping[int, torch.Tensor],
    budget: int = 2048,
) -> torch.Tensor:
    """Per (draft index n, candidate) request: the summed log-probability of the candidate's kept
    tokens, teacher-forced after the start token, given source n (encoder_out[n], source_mask[n]).

    in_drafts[n]: each token of drafts[n]'s log-probability given the tokens before it. Before the
    term a candidate is the draft, so those tokens score as in the draft.
    The SCORED_AFTER tokens after the term are scored in the candidate's own context: that is where
    the model minds what was replaced. Further on, tokens score as they do in the draft. So each
    candidate costs a pass only up to a few tokens past its term, and the vocabulary projection
    (most of a pass at 65,001 pieces) only at those few tokens. Each pass takes as many candidates
    as fit in budget tokens (memory stays bounded for long drafts; a GPU takes large passes).
    """
    device = encoder_out.device
    sums = {n: torch.cat([torch.zeros(1, device=device), in_drafts[n].cumsum(0)]) for n in {n for n, _ in requests}}
    total = torch.zeros(len(requests), device=device)
    per_pass = max(1, budget // max(len(ids) for _, (_, _, ids, _, _) in requests)) if requests else 1
    for chunk in range(0, len(requests), per_pass):
        part = requests[chunk : chunk + per_pass]
        ends = [min(len(ids), a + len(ids) - len(drafts[n]) + (b - a) + SCORED_AFTER) for n, (a, b, ids, _, _) in part]
        # Each candidate's term ends at t = a + (len(ids) - len(draft) + (b - a)); scored: [t, end).
        length = max(ends)
        labels = torch.full((len(part), length), start_token, dtype=torch.long, device=device)
        for m, (_, (_, _, ids, _, _)) in enumerate(part):
            labels[m, : ends[m]] = torch.tensor(ids[: ends[m]], device=device)
        inputs = torch.cat([torch.full((len(part), 1), start_token, dtype=torch.long, device=device), labels[:, :-1]], 1)
        sources = torch.tensor([n for n, _ in part], device=device)
        hidden = model.model(
            encoder_outputs=(encoder_out[sources],),
            attention_mask=source_mask[sources],
            decoder_input_ids=inputs,
        ).last_hidden_state
        rows, positions, wanted, held = [], [], [], []
        for m, (n, (a, b, ids, _, (position, token))) in enumerate(part):
            term_end = a + len(ids) - len(drafts[n]) + (b - a)
            for p in range(term_end, ends[m]):
                rows.append(m)
                positions.append(p)
                wanted.append(ids[p])
                held.append(token if p == position else -1)
            scored = ends[m] - term_end
            total[chunk + m] = sums[n][a] + in_drafts[n][b + scored :].sum()
        if not rows:
            continue
        index = torch.tensor(rows, device=device)
        logits = model.lm_head(hidden[index, torch.tensor(positions, device=device)]) + model.final_logits_bias
        log_probs = logits.float().log_softmax(-1)  # a half-precision model's scores are summed in float32
        picked = log_probs.gather(-1, torch.tensor(wanted, device=device).unsqueeze(-1)).squeeze(-1)
        # Where a token is held back, the others share its probability: renormalise without it.
        held_ids = torch.tensor(held, device=device)
        withheld = log_probs.gather(-1, held_ids.clamp(min=0).unsqueeze(-1)).squeeze(-1)
        renormalise = -torch.log1p(-withheld.exp().clamp(max=1 - 1e-6))
        picked = picked + torch.where(held_ids >= 0, renormalise, torch.zeros_like(renormalise))
        total[chunk : chunk + len(part)] += torch.zeros(len(part), device=device).index_add_(0, index, picked)
    return total
