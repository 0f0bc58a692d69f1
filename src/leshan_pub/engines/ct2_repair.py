"""What the shared term repair (repair.RepairModel) asks of the CTranslate2 engine: drafts read, scored, decoded."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..terms import Term
from .alignment import aligned_positions
from .repair import Candidate, DraftReading, EngineRenderings
from .spelling import SegmentPlan

if TYPE_CHECKING:
    from .ctranslate2 import CTranslate2Engine


class CTranslate2Repair(EngineRenderings):
    """The CTranslate2 engine's side of the shared repair (repair.RepairModel), for one batch of drafts."""

    def __init__(
        self, engine: CTranslate2Engine, source_tokens: list[list[str]], attentions: list[list[list[float]]],
        terms: list[list[Term]], max_new: int, drafts: dict[int, list[int]] | None = None,
    ) -> None:
        self.engine, self.source_tokens, self.attentions, self.terms = engine, source_tokens, attentions, terms
        self.drafts = drafts or {}  # per row, the draft the attentions are of (a draft judgement wrote again has none)
        self.vocab, self.tokenizer, self.max_new = engine.vocab, engine.tokenizer, max_new
        self.max_length = engine.options.max_new_tokens or engine.target_limit

    def read(self, rows: list[int], drafts: list[list[int]], terms: list[list[int]], plans: list[SegmentPlan]) -> DraftReading:
        engine = self.engine
        sources = [self.source_tokens[k] for k in rows]
        outputs = [self.tokenizer.convert_ids_to_tokens(draft[:-1]) for draft in drafts]
        owed: list[dict[int, list[list[float]]] | None] = (
            list(engine.owed(sources, outputs, plans, terms)) if engine.options.placement != "attention" else [None] * len(rows)
        )
        # A draft judgement wrote again has no decoding attention: the owed words place its terms.
        aligned = [
            aligned_positions(self.attentions[k], len(self.source_tokens[k]) - 1)
            if self.drafts.get(k, draft) == draft else []
            for k, draft in zip(rows, drafts)
        ]

        def score(requests: list[tuple[int, Candidate]]) -> list[float]:
            return engine.kept_scores([sources[n] for n, _ in requests], [c for _, c in requests])

        return DraftReading(owed, aligned, sources, score)

    def decode_after(
        self, rows: list[int], prefixes: list[list[int]],
        kept_out: list[tuple[tuple[int, ...], ...]] | None = None, beams: int | None = None,
    ) -> list[list[int]]:
        engine = self.engine
        engine.counts.redecoded += len(rows)
        limit = self.max_new if engine.options.max_new_tokens else \
            min(max(self.max_new, *(len(p) + 2 for p in prefixes)), engine.target_limit)
        kept_out = kept_out or [() for _ in rows]
        # suppress_sequences holds for a whole call: rows that keep out the same sequences (their terms'
        # forbidden renderings, and the words given) decode together, in one call.
        groups: dict[tuple[Any, ...], list[int]] = {}
        for n, (k, kept) in enumerate(zip(rows, kept_out)):
            barred = tuple(tuple(x) for x in engine.forbidden_tokens(self.terms[k]))
            groups.setdefault((barred, tuple(kept)), []).append(n)
        eos = self.tokenizer.eos_token_id
        out: list[list[int]] = [[] for _ in rows]
        for (_, kept), ns in groups.items():
            results = engine.decode(
                [self.source_tokens[rows[n]] for n in ns], limit, attention=False, terms=[self.terms[rows[n]] for n in ns],
                prefixes=[self.tokenizer.convert_ids_to_tokens(prefixes[n]) for n in ns], beams=beams,
                kept_out=[self.tokenizer.convert_ids_to_tokens(list(x)) for x in kept],
            )
            for n, r in zip(ns, results):
                out[n] = [*self.tokenizer.convert_tokens_to_ids(r.hypotheses[0]), eos]
        return out

    def token_scores(self, rows: list[int], english: list[list[int]]) -> list[list[float]]:
        eos = self.tokenizer.eos_token_id
        targets = [self.tokenizer.convert_ids_to_tokens([t for t in ids if t != eos]) for ids in english]
        return [list(r.log_probs) for r in self.engine.score([self.source_tokens[k] for k in rows], targets)]

    def score(self, rows: list[int], english: list[list[int]]) -> list[float]:
        return [sum(values) / max(1, len(values)) for values in self.token_scores(rows, english)]
