"""The transformers engine's Judge (engines/judgement.py): decoding after a forced English prefix with
sequences kept out, and the model's score of a whole English."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from transformers import LogitsProcessor, LogitsProcessorList

from .judgement import Completion


class PrefixProcessor(LogitsProcessor):
    """Forces each row's prefix, then keeps its kept-out sequences from being written (their last token
    is banned wherever the tokens before it were just written)."""

    def __init__(self, requests: Sequence[Completion], num_beams: int) -> None:
        self.num_beams = num_beams
        longest = max(len(r.prefix) for r in requests)
        self.prefixes = torch.full((len(requests), max(longest, 1)), -1, dtype=torch.long)
        for n, request in enumerate(requests):
            self.prefixes[n, : len(request.prefix)] = torch.tensor(request.prefix, dtype=torch.long)
        self.lengths = torch.tensor([len(r.prefix) for r in requests])
        self.kept_out = [r.kept_out for r in requests]

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        step = input_ids.shape[1] - 1  # tokens written after the start token
        request = torch.arange(input_ids.shape[0]) // self.num_beams
        forced = step < self.lengths[request]
        if forced.any():
            rows = forced.nonzero().squeeze(-1).to(scores.device)
            tokens = self.prefixes[request[forced.cpu()], step].to(scores.device)
            kept = scores[rows, tokens]
            scores[rows] = float("-inf")
            scores[rows, tokens] = kept
        for row in (~forced).nonzero().squeeze(-1).tolist():
            for sequence in self.kept_out[row // self.num_beams]:
                head = list(sequence[:-1])
                if not head or input_ids[row, input_ids.shape[1] - len(head) :].tolist() == head:
                    scores[row, sequence[-1]] = float("-inf")
        return scores


class MarianJudge:
    """Judge for the sources of one batch, on a loaded MarianEngine's model."""

    def __init__(self, engine: Any, sources: list[str], max_new: int, beams: int, budget: int = 2048) -> None:
        self.engine, self.sources, self.max_new, self.beams, self.budget = engine, sources, max_new, beams, budget

    def complete(self, requests: Sequence[Completion]) -> list[list[int]]:
        """Per request, the prefix and what the model writes after it (ending in </s>)."""
        model = self.engine.model
        pad = model.config.pad_token_id
        out: list[list[int]] = []
        per_pass = max(1, self.budget // (self.max_new * self.beams))
        for start in range(0, len(requests), per_pass):
            part = list(requests[start : start + per_pass])
            batch = self.engine._encode([self.sources[r.row] for r in part])
            limit = min(max(self.max_new, max(len(r.prefix) for r in part) + 8), self.engine._target_limit)
            with torch.inference_mode():
                output = model.generate(
                    **batch, num_beams=self.beams, max_new_tokens=limit, num_return_sequences=1,
                    logits_processor=LogitsProcessorList([PrefixProcessor(part, self.beams)]),
                )
            for row in output.tolist():
                ids = [t for t in row[1:] if t != pad]
                out.append(ids if ids[-1:] == [self.engine.vocab.eos_id] else [*ids, self.engine.vocab.eos_id])
        return out

    def score(self, requests: Sequence[tuple[int, Sequence[int]]]) -> list[list[float]]:
        """Per (source row, English ids ending in </s>), each token's log-probability, teacher-forced."""
        model = self.engine.model
        start_token, pad = model.config.decoder_start_token_id, model.config.pad_token_id
        totals: list[list[float]] = []
        longest = max((len(ids) for _, ids in requests), default=1)
        per_pass = max(1, self.budget // longest)
        for first in range(0, len(requests), per_pass):
            part = list(requests[first : first + per_pass])
            batch = self.engine._encode([self.sources[n] for n, _ in part])
            width = max(len(ids) for _, ids in part)
            labels = torch.full((len(part), width), pad, dtype=torch.long)
            for m, (_, ids) in enumerate(part):
                labels[m, : len(ids)] = torch.tensor(list(ids))
            labels = labels.to(model.device)
            inputs = torch.cat([torch.full_like(labels[:, :1], start_token), labels[:, :-1]], 1)
            with torch.inference_mode():
                logits = model(**batch, decoder_input_ids=inputs).logits.float()
            picked = logits.log_softmax(-1).gather(-1, labels.unsqueeze(-1)).squeeze(-1)
            rows = picked.tolist()
            totals += [row[: len(ids)] for row, (_, ids) in zip(rows, part)]
        return totals
