"""The transformers engine: a MarianMT model from the hub or a folder, batched generation under glossary terms."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

import torch
from tqdm import tqdm
from transformers import LogitsProcessorList

from ..errors import EngineError
from ..quality.cut import english_cut_note, source_cut_note
from ..quality.enforce import MissReason, TermMiss, explain_misses, forbidden_in, missing_terms
from ..terms import Term
from . import EngineOptions, RepairCounts, Translation
from .alignment import cross_attention, source_spans, term_spans
from .batching import token_batches
from .constraints import TermConstraintProcessor
from .marian_model import cpu_computes_bfloat16, load_marian, resolve_device, write_english_only
from .marian_repair import SCORED_TOKENS, MarianRepair
from .renderings import RENDERING_TOKENS, RENDERINGS, DraftContext, own_renderings
from .repair import repair, term_records
from .spelling import (
    Anchor,
    SegmentPlan,
    TargetVocab,
    TermSpelling,
    enforcement_signature,
    spell_term,
    unspellable_reason,
)
from . import check_options as _check_options
from . import model_sources
from .models import model_revision
from .vocabularies import SourcePieces

# --precision for this engine -> torch dtype; auto is float32 (half precision measured slower on a GPU).
_PRECISIONS = {"auto": torch.float32, "float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16}
# Draft tokens projected onto the whole vocabulary at once when placement reads their log-probabilities.
PROJECTED_TOKENS = 256


def _dtype(precision: str, device: torch.device) -> torch.dtype:
    """The torch dtype for --precision; half precision on a GPU, and bfloat16 on a CPU that computes it."""
    dtype = _PRECISIONS.get(precision)
    if dtype is None:
        raise EngineError(
            f"precision '{precision}' is not one the transformers engine runs; use {', '.join(_PRECISIONS)}"
        )
    if device.type == "cuda" or dtype == torch.float32 or (dtype == torch.bfloat16 and cpu_computes_bfloat16()):
        return dtype
    if dtype == torch.bfloat16:
        raise EngineError(
            "precision 'bfloat16' needs a CUDA GPU or a CPU with bfloat16 instructions (AVX512-BF16 or AMX), "
            "which this one lacks; use auto (float32)"
        )
    raise EngineError(f"precision '{precision}' needs a CUDA GPU; on the CPU use auto (float32)")


def _take_out(ids: torch.Tensor, mask: torch.Tensor, span: tuple[int, int], pad: int) -> None:
    """Takes source pieces [span) out of one row of input ids and its attention mask, in place: the
    pieces after them move up, pads fill the end."""
    real = int(mask.sum())
    kept = torch.cat([ids[: span[0]], ids[span[1] : real]])
    ids.fill_(pad)
    ids[: len(kept)] = kept
    mask.zero_()
    mask[: len(kept)] = 1


def _chunks(items: list[int], size: Callable[[int], int], budget: int) -> Iterator[list[int]]:
    """items (longest first) in runs whose rows, padded to the run's first, hold at most budget tokens."""
    part: list[int] = []
    for item in items:
        if part and (len(part) + 1) * size(part[0]) > budget:
            yield part
            part = []
        part.append(item)
    if part:
        yield part


@dataclass
class Decoded:
    """One generate call's result: English, its ids (no start token, no padding), last-resort use, length
    limit, whether the model read each source whole (it was not cut at the model's input limit), and
    whether each English ran to the length limit unfinished."""

    texts: list[str]
    ids: list[list[int]]
    fallbacks: list[bool]
    max_new: int
    read: list[bool]
    cut: list[bool]


class MarianEngine:
    """A MarianMT model (opus-mt) run by transformers, with glossary terms enforced while decoding."""

    name = "transformers"

    def __init__(self, options: EngineOptions) -> None:
        _check_options(options)
        self.options = options
        self.model_id = options.model
        self.device = resolve_device(options.device)
        self.dtype = _dtype(options.precision, self.device)
        if options.compile and self.device.type != "cuda":
            raise EngineError("--compile speeds up decoding on a CUDA GPU only; drop it on the CPU")
        self.tokenizer, self.model = load_marian(options.model)
        self.model.to(self.device, dtype=self.dtype).eval()
        # The ids English is written in, the rest barred: placement's softmax is read over these alone.
        english = write_english_only(self.model, self.tokenizer)
        self._english = None if english is None else torch.tensor(english, device=self.device)
        self._projection: tuple[torch.Tensor, torch.Tensor, torch.Tensor] | None = None  # _english_projection
        if options.compile:
            # A static KV cache lets transformers compile the decoding step (it does so on CUDA).
            self.model.generation_config.cache_implementation = "static"
        self.model_revision = model_revision(options.model)
        # Placement reads each lacking draft again, teacher-forced. Under the default precision, a CPU
        # with bfloat16 instructions reads it in bfloat16, at about twice float32's speed (measured on
        # opus-mt's shape); what it reads is where a term goes, not the English the model writes.
        self.reads_in_bfloat16 = (
            options.precision == "auto" and self.device.type == "cpu" and cpu_computes_bfloat16()
        )
        self.vocab = TargetVocab(self.tokenizer)
        self._source_pieces = SourcePieces(self.tokenizer)
        self._spellings: dict[Term, TermSpelling | None] = {}
        self._rendered: dict[Term, list[str]] = {}  # the model's own renderings of each term, asked once
        self._learned: dict[Term, list[str]] = {}  # its renderings in the sentences drafted so far this run
        self._context = DraftContext()  # those drafts, by source (renderings.DraftContext)
        self.counts = RepairCounts()
        positions = self.model.config.max_position_embeddings
        self._source_limit = min(self.tokenizer.model_max_length, positions)
        self.target_limit = positions - 1  # the decoder start token takes a position too

    def check_terms(self, terms: Sequence[Term]) -> list[tuple[Term, str]]:
        """(term, reason) for each term the model's target vocabulary cannot spell; [] when all can."""
        return [(t, unspellable_reason(self.vocab, t)) for t in dict.fromkeys(terms) if self._spelling(t) is None]

    def signature_settings(self) -> dict[str, str]:
        """The options that shape this engine's English, for provenance (constraints.enforcement_signature),
        with the precision it decoded in and the one placement read in, where either is not float32."""
        settings = enforcement_signature(self.options)
        if self.dtype != torch.float32:
            settings["compute"] = str(self.dtype).removeprefix("torch.")
        if self.reads_in_bfloat16:
            settings["read"] = "bfloat16"
        return settings

    def translate(self, sources: Sequence[str], terms: Sequence[Sequence[Term]]) -> list[Translation]:
        """One Translation per source, in order; terms[i] lists sources[i]'s terms, once per occurrence."""
        if len(sources) != len(terms):
            raise ValueError(f"{len(sources)} sources but {len(terms)} term lists")
        sources = model_sources(sources, self.options)  # in the script the model is fed
        results = [Translation("", missing_terms("", t)) for t in terms]
        todo = [i for i, s in enumerate(sources) if s.strip()]
        batches = self._batches([sources[i] for i in todo])
        shown = self.options.progress and len(batches) > 1
        # Every draft first: how the model renders each term inside sentences is learned from all of
        # them and from the run's earlier drafts (renderings.DraftContext: the
        # pipeline sends chunks). One batch at a time: only its tensors are alive, so memory stays flat
        # as documents grow (a draft is its English and ids).
        drafts = [self._draft([sources[todo[i]] for i in batch], [terms[todo[i]] for i in batch]) for batch in batches]
        self._learned = self._context.learn(
            [sources[todo[i]] for batch in batches for i in batch],
            [text for draft in drafts for text in draft.texts], [terms[todo[i]] for batch in batches for i in batch],
        )
        with tqdm(total=len(todo), unit="segment", desc="translating", file=sys.stderr, disable=not shown) as bar:
            for batch, draft in zip(batches, drafts):
                indexes = [todo[i] for i in batch]
                done = self._translate_batch([sources[i] for i in indexes], [terms[i] for i in indexes], draft)
                for index, translation in zip(indexes, done):
                    results[index] = translation
                bar.update(len(batch))
        return results

    def _batches(self, sources: list[str]) -> list[list[int]]:
        """Positions in sources grouped longest first, by segment count and source-token budget."""
        lengths = [min(len(ids), self._source_limit) for ids in self.tokenizer(sources)["input_ids"]] if sources else []
        return token_batches(lengths, self.options.batch_size, self.options.batch_tokens)

    def _spelling(self, term: Term) -> TermSpelling | None:
        if term not in self._spellings:
            self._spellings[term] = spell_term(self.vocab, term)
        return self._spellings[term]

    def _plans(self, terms: list[Sequence[Term]]) -> list[SegmentPlan]:
        return [SegmentPlan([s for t in ts if (s := self._spelling(t)) is not None]) for ts in terms]

    def _draft(self, sources: list[str], terms: list[Sequence[Term]]) -> Decoded:
        """The model's own English for a batch of sources, their terms' forbidden renderings kept out."""
        plans = self._plans(terms)
        draft = self._generate(sources, plans, constrained=False)
        # A draft that ran to a derived limit is decoded again with twice the room: the limit follows
        # the source's length, and a model whose English takes more pieces than that is cut mid-word.
        roomier = min(2 * draft.max_new, self.target_limit)
        again = [j for j, cut in enumerate(draft.cut) if cut]
        if not again or roomier <= draft.max_new or self.options.max_new_tokens:
            return draft
        redone = self._generate([sources[j] for j in again], [plans[j] for j in again], constrained=False, room=roomier)
        for k, j in enumerate(again):
            draft.texts[j], draft.ids[j], draft.cut[j] = redone.texts[k], redone.ids[k], redone.cut[k]
        return replace(draft, max_new=roomier)

    def _translate_batch(self, sources: list[str], terms: list[Sequence[Term]], draft: Decoded) -> list[Translation]:
        """Where a draft of the sources lacks a term, repair it (engines/repair.py: the term in place of
        the model's rendering of it, spliced or decoded again after it); decode under constraints
        whatever the repair could not mend."""
        plans = self._plans(terms)
        self.counts.segments += len(sources)
        texts, fallbacks = list(draft.texts), [False] * len(sources)
        anchors: list[dict[int, list[Anchor]]] = [{} for _ in sources]
        continued, constrained = [False] * len(sources), [False] * len(sources)
        lacking = [j for j in range(len(sources)) if self._fails(texts[j], terms[j], plans[j])]
        if lacking:
            self.counts.repaired += len(lacking)
            adapter = MarianRepair(self, sources, draft)
            mended = repair(adapter, lacking, [draft.ids[j] for j in lacking], [plans[j] for j in lacking],
                            self.options.term_repair, self.options.placement)
            for j, result in zip(lacking, mended):
                anchors[j], continued[j] = result.anchors, result.continued
                if result.ids is not None:
                    texts[j] = self.vocab.text(result.ids)
            rewrite = [j for j in lacking if self._fails(texts[j], terms[j], plans[j])]
            if rewrite:
                self.counts.fallback += len(rewrite)
                final = self._generate(
                    [sources[j] for j in rewrite], [plans[j] for j in rewrite],
                    anchors=[anchors[j] for j in rewrite],
                    drafts=[draft.ids[j] for j in rewrite],
                )
                for k, j in enumerate(rewrite):
                    texts[j], fallbacks[j], constrained[j] = final.texts[k], final.fallbacks[k], True
        return [
            self._finish(sources[j], texts[j], terms[j], plans[j], fallbacks[j], draft.max_new, draft.read[j],
                         draft.texts[j], anchors[j], continued[j], constrained[j], draft.cut[j])
            for j in range(len(sources))
        ]

    @staticmethod
    def _fails(text: str, terms: Sequence[Term], plan: SegmentPlan) -> bool:
        """True when text lacks a term it can spell, or writes a forbidden rendering."""
        return bool(
            plan.spellings and missing_terms(text, [s.term for s in plan.spellings])
            or plan.forbidden and forbidden_in(text, terms)
        )

    def owed(
        self, batch: Any, drafts: list[list[int]], terms: list[list[Term]]
    ) -> tuple[list[list[list[float]]], list[torch.Tensor], list[list[int]], list[list[str]]]:
        """What each draft owes to each of its terms' Chinese, teacher-forced: per source of the encoded
        batch, per term occurrence, per draft token, how much its log-probability falls when the term's
        pieces are taken out of the source, as ctranslate2's reading (CTranslate2Engine.owed) reads it.
        With them, per source: the decoder's last states over the draft given the whole source (for
        draft_log_probs), the source piece each draft token attends to most, and the source's pieces.

        Log-probabilities, not the draft tokens' logits alone, and the pieces taken out, not masked in
        place (their neighbours then keep their positions): on the memorised proxy (docs/placement.md)
        the logits and the masking left a wrong rendering in 4 of 63 sentences, and put 五通桥's name over
        "putting great effort"; read as ctranslate2 reads, 1, as on ctranslate2.
        """
        mask = batch["attention_mask"]
        pieces, spans = [], []
        for k, ts in enumerate(terms):
            real = int(mask[k].sum())
            pieces.append(self._source_pieces.tokens(batch["input_ids"][k, :real].tolist()))
            spans.append(term_spans(pieces[k], ts))
        # One row per source (the whole of it) and one per term occurrence found among its pieces
        # (masked); with placement "attention", the whole rows only (for the alignment).
        masked = self.options.placement != "attention"  # judgement starts from the owed words
        rows = [(k, None) for k in range(len(drafts))] + [
            (k, span) for k in range(len(drafts)) for span in spans[k] if span and masked
        ]
        longest = max(map(len, drafts))
        labels = torch.full((len(drafts), longest), self.model.config.pad_token_id, dtype=torch.long)
        for k, draft in enumerate(drafts):
            labels[k, : len(draft)] = torch.tensor(draft)
        labels = labels.to(self.device)
        inputs = torch.cat([torch.full_like(labels[:, :1], self.model.config.decoder_start_token_id), labels[:, :-1]], 1)
        read = torch.zeros(len(rows), longest)
        whole: dict[int, torch.Tensor] = {}
        aligned: dict[int, list[int]] = {}
        # Rows of like draft length read together, each pass cut to its own longest draft and source.
        budget = SCORED_TOKENS.get(self.device.type, SCORED_TOKENS["cpu"])
        order = sorted(range(len(rows)), key=lambda r: len(drafts[rows[r][0]]), reverse=True)
        for part in _chunks(order, lambda r: len(drafts[rows[r][0]]), budget):
            index = torch.tensor([rows[r][0] for r in part], device=self.device)
            width = len(drafts[rows[part[0]][0]])
            reach = int(mask[index].sum(-1).max())  # the longest source among these rows
            part_ids = batch["input_ids"][index, :reach].clone()
            part_mask = mask[index, :reach].clone()
            for n, r in enumerate(part):
                if rows[r][1] is not None:
                    _take_out(part_ids[n], part_mask[n], rows[r][1], self.model.config.pad_token_id)
            with torch.inference_mode(), self.reading(), cross_attention(self.model, part_mask) as captured:
                hidden_source = self.model.get_encoder()(input_ids=part_ids, attention_mask=part_mask).last_hidden_state
                hidden = self.model.model.decoder(
                    input_ids=inputs[index, :width], encoder_hidden_states=hidden_source,
                    encoder_attention_mask=part_mask,
                ).last_hidden_state
                read[torch.tensor(part), :width] = self.token_log_probs(hidden, labels[index, :width]).cpu()
                # Each draft token's most attended source piece, the end token left out (-1 when none is left).
                columns = torch.arange(reach, device=part_mask.device)
                pieces_only = columns[None, :] < part_mask.sum(-1, keepdim=True) - 1
                attended = captured[-1].masked_fill(~pieces_only[:, None, :], -1.0).argmax(-1)
                attended = attended.masked_fill(~pieces_only.any(-1, keepdim=True), -1).tolist()
                for n, r in enumerate(part):
                    k = rows[r][0]
                    if r < len(drafts):  # a whole-source row: its states and alignment
                        whole[k] = hidden[n, : len(drafts[k])]
                        aligned[k] = attended[n][: len(drafts[k])]
        owed: list[list[list[float]]] = [[] for _ in drafts]
        rest = iter(range(len(drafts), len(rows)))
        for k, found in enumerate(spans):
            size = len(drafts[k]) - 1
            for span in found:  # a term not found among the pieces owes nothing: alignment places it
                n = next(rest) if span and masked else -1
                owed[k].append((read[k, :size] - read[n, :size]).tolist() if n >= 0 else [0.0] * size)
        return owed, [whole[k] for k in range(len(drafts))], [aligned[k] for k in range(len(drafts))], pieces

    def reading(self) -> contextlib.AbstractContextManager[Any]:
        """The precision placement reads drafts in: bfloat16 where reads_in_bfloat16, else the model's own."""
        if self.reads_in_bfloat16:
            return torch.autocast("cpu", dtype=torch.bfloat16)
        return contextlib.nullcontext()

    def draft_log_probs(self, states: torch.Tensor, draft: list[int]) -> torch.Tensor:
        """[len(draft)]: each draft token's log-probability, from the decoder's last states over the draft."""
        return self.token_log_probs(states, torch.tensor(draft, device=states.device))

    def _english_projection(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """The output projection's rows and biases of the ids English is written in, in float32, and each
        id's row among them (-1 when barred); made once (a copy of those rows: 62 MB at opus-mt's size)."""
        if self._projection is None:
            head, bias = self.model.lm_head.weight.detach(), self.model.final_logits_bias[0].detach()
            rows = self._english if self._english is not None else torch.arange(len(bias), device=bias.device)
            place = torch.full((len(bias),), -1, dtype=torch.long, device=bias.device)
            place[rows] = torch.arange(len(rows), device=bias.device)
            self._projection = (head[rows].float(), bias[rows].float(), place)
        return self._projection

    def token_log_probs(self, states: torch.Tensor, ids: torch.Tensor) -> torch.Tensor:
        """Each token of ids' log-probability, in float32, from the decoder's last states ([..., d_model],
        one per token of ids): projected PROJECTED_TOKENS at a time onto the ids English is written in
        (the others are barred: their probability is nothing), 31,999 of opus-mt's 65,001. The projection
        is float32 whatever precision the states were read in (outside autocast): the falls compared
        are a fraction of a nat."""
        weights, biases, place = self._english_projection()
        flat, wanted = states.reshape(-1, states.shape[-1]), place[ids.reshape(-1)]
        picked = torch.empty(len(wanted), dtype=torch.float32, device=states.device)
        for a in range(0, len(wanted), PROJECTED_TOKENS):
            with torch.autocast(states.device.type, enabled=False):
                logits = torch.nn.functional.linear(flat[a : a + PROJECTED_TOKENS].float(), weights) + biases
            columns = wanted[a : a + PROJECTED_TOKENS]
            own = logits.gather(-1, columns.clamp(min=0)[:, None])[:, 0]
            own = torch.where(columns >= 0, own, torch.full_like(own, float("-inf")))
            picked[a : a + PROJECTED_TOKENS] = own - logits.logsumexp(-1)
        return picked.view(ids.shape)

    def renderings(self, terms: list[Term]) -> dict[Term, list[str]]:
        """Per term: its forbidden renderings, and the model's n-best translations of its Chinese alone (cached)."""
        return own_renderings(self._rendered, terms, self._n_best, self.options.model_script)

    def learned_renderings(self, terms: list[Term]) -> dict[Term, list[str]]:
        """Per term: how the model renders it inside the sentences drafted so far this run (DraftContext)."""
        return {t: self._learned.get(t, []) for t in terms}

    def _n_best(self, sources: list[str]) -> list[list[str]]:
        count = RENDERINGS
        with torch.inference_mode():
            output = self.model.generate(
                **self.encode(sources), num_beams=count, num_return_sequences=count, max_new_tokens=RENDERING_TOKENS
            )
        texts = [self.vocab.text(row) for row in output.tolist()]
        return [texts[n * count : (n + 1) * count] for n in range(len(sources))]

    def encode(self, sources: list[str]) -> Any:
        return self.tokenizer(
            sources, return_tensors="pt", padding=True, truncation=True, max_length=self._source_limit
        ).to(self.device)

    def _generate(
        self,
        sources: list[str],
        plans: list[SegmentPlan],
        anchors: list[dict[int, list[Anchor]]] | None = None,
        drafts: list[list[int]] | None = None,
        constrained: bool = True,
        room: int | None = None,
    ) -> Decoded:
        """Decode a batch (under the plans when constrained): the English, its ids, whether a last
        resort shaped each, the length limit (room, else derived). Unconstrained, the length limit still
        leaves the terms room."""
        full = [len(ids) for ids in self.tokenizer(sources)["input_ids"]]
        batch = self.encode(sources)
        max_new = room or self.options.max_new_tokens or self._derived_max_new_tokens(full, plans)
        if drafts and not self.options.max_new_tokens:
            # The second pass rewrites its draft with the terms in: room for the whole draft, and the terms on top.
            longest = max(len(d) + plan.initial_need + 2 for d, plan in zip(drafts, plans))
            max_new = min(max(max_new, longest), self.target_limit)
        beams = self.options.num_beams
        processors = LogitsProcessorList()
        processor = None
        if constrained and any(plans):
            # One token is kept back from the plan: the model's forced </s> takes the last position.
            processor = TermConstraintProcessor(
                plans, self.vocab, num_beams=beams, budget=max_new - 1, anchors=anchors, drafts=drafts,
            )
            processors.append(processor)
        with torch.inference_mode():
            output = self.model.generate(
                **batch, num_beams=beams, max_new_tokens=max_new, logits_processor=processors, num_return_sequences=1
            )
        texts = [self.vocab.text(row) for row in output.tolist()]
        pad = self.model.config.pad_token_id
        rows = output.tolist()
        ids = [[t for t in row[1:] if t != pad] for row in rows]
        fallbacks = [
            processor is not None and any(tuple(row[: len(p)]) == p for p in processor.fallbacks[item])
            for item, row in enumerate(rows)
        ]
        # Cut: the row used every new token. Marian forces its end token into the last place
        # (forced_eos_token_id), so an English cut mid-word still ends with one.
        return Decoded(texts, ids, fallbacks, max_new, [n <= self._source_limit for n in full],
                       [len(row) >= max_new for row in ids])

    def _derived_max_new_tokens(self, source_lengths: list[int], plans: list[SegmentPlan]) -> int:
        # English takes more pieces than Chinese; the terms must fit on top of a normal-length sentence.
        wanted = max(int(1.5 * n) + 10 + plan.initial_need for n, plan in zip(source_lengths, plans))
        return min(wanted, self.target_limit)

    def _finish(
        self, source: str, text: str, terms: Sequence[Term], plan: SegmentPlan, fallback: bool, max_new: int,
        read: bool, draft: str = "", anchors: dict[int, list[Anchor]] | None = None, continued: bool = False,
        constrained: bool = False, cut: bool = False,
    ) -> Translation:
        """cut: the draft ran to the length limit, max_new, unfinished."""
        notes = [unspellable_reason(self.vocab, t) for t in dict.fromkeys(terms) if self._spelling(t) is None]
        if not read:
            notes.append(source_cut_note(self._source_limit))
        if cut:
            notes.append(english_cut_note(max_new))
        if fallback:
            notes.append(
                "glossary: a term was placed by the last resort (end of sentence banned or length budget "
                "exhausted), not where the model translates it; check where it stands"
            )
        misses = explain_misses(text, terms, self._miss_reasons(source, text, terms, plan, max_new, read))
        # Missing terms and forbidden renderings are the pipeline's verification to note, once.
        records = term_records(terms, draft or text, text, anchors, plan, misses, continued, constrained, fallback)
        return Translation(
            text=text, missing=[m.term for m in misses], notes=notes, misses=misses, fallback_used=fallback,
            terms=records,
        )

    def _miss_reasons(
        self, source: str, text: str, terms: Sequence[Term], plan: SegmentPlan, max_new: int, read: bool
    ) -> dict[Term, list[TermMiss]]:
        """Why each term of this segment could be missing, most specific reason first."""
        reasons: dict[Term, list[TermMiss]] = {}
        index = {s.term: i for i, s in enumerate(plan.spellings)}
        missing = missing_terms(text, terms)
        if not missing:
            return reasons
        cut = {t for t, start, _ in source_spans(self.tokenizer, source, terms) if start >= self._source_limit - 1}
        for term in dict.fromkeys(missing):
            i = index.get(term)
            if i is None:
                miss = TermMiss(term, MissReason.UNSPELLABLE, unspellable_reason(self.vocab, term))
            elif not read and term in cut:
                miss = TermMiss(term, MissReason.TRUNCATED, f"it lies past the model's {self._source_limit} input pieces")
            elif plan.blocked_by_forbidden(i):
                miss = TermMiss(term, MissReason.FORBIDDEN, "every spelling of it holds a forbidden rendering")
            elif plan.initial_need > max_new - 1:
                miss = TermMiss(
                    term, MissReason.LENGTH_LIMIT,
                    f"the limit of {max_new} new tokens cannot hold the terms' {plan.initial_need}; raise max_new_tokens",
                )
            else:
                miss = TermMiss(
                    term, MissReason.SEARCH, f"the search used its {max_new} new tokens without finishing the term"
                )
            reasons[term] = [miss] * terms.count(term)
        return reasons
