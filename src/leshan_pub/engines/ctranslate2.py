"""The CTranslate2 engine: the MarianMT model converted once and cached, decoded by CTranslate2, terms mended.

CTranslate2 has no logits processor, so glossary terms are enforced by a hybrid:

1. decode a batch with CTranslate2, asking for the cross-attention of the best hypothesis;
2. verify every segment with the tool's own verification (enforce.missing_terms);
3. for a segment that misses terms, find the model's own rendering of each in its output (its
   n-best translations of the term's Chinese alone, and the glossary's forbidden renderings:
   engines/placement.py), or else the words whose attention peaks inside the term's source
   pieces, and put the term's tokens there in place of the model's own words
   (term_repair="splice", the default); with term_repair="continue" CTranslate2 then decodes
   again after the last placed term, with the text up to it as target_prefix, so the rest of the
   sentence follows the term. CTranslate2 forces a prefix step by step under beam search, so that
   costs about one more full decode of each mended segment (scripts/bench_speed.py measures both);
4. verify again; whatever still misses (a prefix longer than the length limit, a forbidden
   rendering) goes to the transformers engine's constrained decoding, loaded only then.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import ctranslate2
from tqdm import tqdm

from ..errors import EngineError
from ..forms import term_forms
from ..quality.cut import english_cut_note, source_cut_note
from ..quality.enforce import MissReason, TermMiss, explain_misses, missing_terms
from ..terms import Term
from . import REPAIRS, Engine, EngineOptions, RepairCounts, Translation, check_options, model_sources
from .alignment import term_spans
from .batching import token_batches
from .ct2_model import (
    CudaUnusable,
    compute_type_for,
    convert,
    converted_folder,
    load_tokenizer,
    load_translator,
    max_positions,
    model_identity,
    resolve_device,
    source_folder,
    warn,
    write_vocabulary_map,
)
from .ct2_repair import CTranslate2Repair
from .models import model_revision
from .renderings import RENDERING_TOKENS, RENDERINGS, DraftContext, own_renderings
from .repair import Repaired, repair, term_records
from .spelling import SegmentPlan, TargetVocab, enforcement_signature, spell_term, unspellable_reason
from .vocabularies import separate_vocabularies

# Target tokens per scoring call: score_batch projects every token onto the whole vocabulary, and on
# a CPU one call over a large batch is slower than the same rows in cache-sized parts (bench_speed's
# segments, 128 reading rows of 40 tokens: 1024 tokens a call 3.78 s, 512 3.61, 256 3.51, 128 3.30).
_SCORED_TOKENS = {"cpu": 128, "cuda": 32768}


def load_ctranslate2(options: EngineOptions) -> Engine:
    """The CTranslate2 engine for options, or the transformers engine with a warning when CTranslate2
    cannot use the GPU asked for (or the GPU torch sees)."""
    if options.term_repair not in REPAIRS:
        raise EngineError(f"term_repair must be one of {', '.join(REPAIRS)}, got '{options.term_repair}'")
    device, index = resolve_device(options.device)
    try:
        if device == "cuda":
            try:
                return CTranslate2Engine(options, device, index)
            except CudaUnusable as exc:
                _need_transformers(f"ctranslate2 cannot run on CUDA here ({exc}); pass --device cpu, or")
                warn(f"ctranslate2 cannot run on CUDA here ({exc}); translating with the transformers engine "
                     "instead; install the CUDA 12 libraries ctranslate2 needs, or pass --device cpu")
                return _transformers(options)
        if options.device == "auto" and _torch_sees_cuda():  # torch is installed: so is the transformers engine
            warn("ctranslate2 sees no CUDA device but torch does (ctranslate2's wheel needs CUDA 12); translating "
                 "with the transformers engine on the GPU instead; pass --device cpu to use ctranslate2 on the CPU")
            return _transformers(options)
        return CTranslate2Engine(options, "cpu", 0)
    except _SeparateVocabularies:
        _need_transformers(f"{options.model} numbers its Chinese and English pieces apart (separate vocabularies), "
                           "which ctranslate2's converter cannot carry; to translate it")
        warn(f"{options.model} numbers its Chinese and English pieces apart (separate vocabularies), which "
             "ctranslate2's converter cannot carry; translating with the transformers engine instead")
        return _transformers(options)


class _SeparateVocabularies(Exception):
    """The model's source and target vocabularies differ; ctranslate2 converts Marian with one shared vocabulary."""


def _torch_sees_cuda() -> bool:
    """True when torch is installed and sees a CUDA GPU (this engine itself runs without torch)."""
    if importlib.util.find_spec("torch") is None:
        return False
    import torch

    return torch.cuda.is_available()


def _transformers_missing() -> list[str]:
    """The packages of the transformers engine that are not installed ([] when it can be loaded)."""
    return [name for name in ("torch", "transformers") if importlib.util.find_spec(name) is None]


def _need_transformers(why: str) -> None:
    """Raise EngineError, one line saying why and what to install, when the transformers engine is not installed."""
    missing = _transformers_missing()
    if missing:
        raise EngineError(f"{why} install the transformers engine ({' and '.join(missing)} not installed): "
                          "pip install 'leshan-pub[transformers]'")


def _transformers(options: EngineOptions) -> Engine:
    from .marian import MarianEngine

    # Precision names differ between the engines; the transformers engine picks its own.
    return MarianEngine(replace(options, precision="auto"))


# --- the engine -------------------------------------------------------------------------------------


@dataclass
class _Draft:
    """One batch's drafts: the source pieces, the length limit, each English (pieces), the
    cross-attention of each that lacks a term ([] for the others), and whether each still ran to the limit."""

    source_tokens: list[list[str]]
    max_new: int
    outputs: list[list[str]]
    attentions: list[list[list[float]]]
    cut: list[bool]


class CTranslate2Engine:
    """A MarianMT model converted for CTranslate2 (int8 on the CPU), with glossary terms mended after decoding."""

    name = "ctranslate2"

    def __init__(self, options: EngineOptions, device: str, device_index: int = 0) -> None:
        check_options(options)
        self.options = options
        self.model_id = options.model
        self.device = device
        self.compute_type = compute_type_for(options.precision, device)
        if device == "cuda" and ctranslate2.get_cuda_device_count() == 0:
            raise CudaUnusable("it sees no CUDA device")
        identity = model_identity(options.model)
        folder = converted_folder(identity, self.compute_type) if identity else None
        if folder is None or not (folder / "model.bin").is_file():
            # Not converted yet: load it the transformers way first, so a missing or broken model gets
            # the same message as with the transformers engine (and a hub model reaches the cache).
            _need_transformers(f"{options.model} is not converted for ctranslate2 ({self.compute_type}) yet; to convert it")
            from .marian_model import load_marian

            self.tokenizer, network = load_marian(options.model)
            del network
            if separate_vocabularies(self.tokenizer):
                raise _SeparateVocabularies
            identity = model_identity(options.model)
            folder = converted_folder(identity, self.compute_type)
            if not (folder / "model.bin").is_file():
                print(f"converting {options.model} for ctranslate2 ({self.compute_type}) ...", file=sys.stderr)
                convert(source_folder(options.model), folder, self.compute_type)
        else:
            self.tokenizer = load_tokenizer(options.model)
            if separate_vocabularies(self.tokenizer):
                raise _SeparateVocabularies  # a folder converted before this check was made
        self.model_revision = model_revision(options.model)
        self._english_only = write_vocabulary_map(folder, self.tokenizer)
        # _workers: the batches it decodes at once (cpu_workers)
        self.translator, self._workers = load_translator(folder, device, device_index, self.compute_type)
        self.converted = folder
        self.vocab = TargetVocab(self.tokenizer)
        positions = max_positions(options.model)
        self._source_limit = min(self.tokenizer.model_max_length, positions)
        self.target_limit = positions - 1  # the decoder start takes a position too
        self._fallback: Engine | None = None
        self._said_no_fallback = False  # the warning that the transformers engine is not there to mend the rest
        self.counts = RepairCounts()
        self._planned: dict[Term, Any] = {}  # each term's spellings (constraints.TermSpelling), made once
        self._rendered: dict[Term, list[str]] = {}  # the model's own renderings of each term, asked once
        self._learned: dict[Term, list[str]] = {}  # its renderings in the sentences drafted so far this run
        self._context = DraftContext()  # those drafts, by source (renderings.DraftContext)

    def check_terms(self, terms: Sequence[Term]) -> list[tuple[Term, str]]:
        """(term, reason) for each term the model's target vocabulary cannot spell; [] when all can."""
        return [(t, unspellable_reason(self.vocab, t)) for t in dict.fromkeys(terms) if not self._spellings(t)]

    def signature_settings(self) -> dict[str, str]:
        """As the transformers engine's, with the compute type CTranslate2 decodes in."""
        return {**enforcement_signature(self.options), "compute": self.compute_type}

    def translate(self, sources: Sequence[str], terms: Sequence[Sequence[Term]]) -> list[Translation]:
        """One Translation per source, in order; terms[i] lists sources[i]'s terms, once per occurrence."""
        if len(sources) != len(terms):
            raise ValueError(f"{len(sources)} sources but {len(terms)} term lists")
        sources = model_sources(sources, self.options)  # in the script the model is fed
        results = [Translation("", missing_terms("", t)) for t in terms]
        todo = [i for i, s in enumerate(sources) if s.strip()]
        lengths = [len(ids) for ids in self.tokenizer([sources[i] for i in todo])["input_ids"]] if todo else []
        batches = token_batches([min(n, self._source_limit) for n in lengths], self.options.batch_size,
                                self.options.batch_tokens)
        shown = self.options.progress and len(batches) > 1
        # Every draft first: how the model renders each term inside sentences is learned from all of
        # them and from the run's earlier drafts (renderings.DraftContext: the
        # pipeline sends chunks).
        drafts = [self._draft([sources[todo[i]] for i in batch], [list(terms[todo[i]]) for i in batch]) for batch in batches]
        self._learned = self._context.learn(
            [sources[todo[i]] for batch in batches for i in batch],
            [self._text(out) for draft in drafts for out in draft.outputs],
            [terms[todo[i]] for batch in batches for i in batch],
        )
        with tqdm(total=len(todo), unit="segment", desc="translating", file=sys.stderr, disable=not shown) as bar:
            for batch, draft in zip(batches, drafts):
                indexes = [todo[i] for i in batch]
                done = self._translate_batch([sources[i] for i in indexes], [list(terms[i]) for i in indexes],
                                             [lengths[i] > self._source_limit for i in batch], draft)
                for index, translation in zip(indexes, done):
                    results[index] = translation
                bar.update(len(batch))
        return results

    # --- one batch ------------------------------------------------------------------------------

    def _draft(self, sources: list[str], terms: list[list[Term]]) -> _Draft:
        """The model's own English for a batch of sources, their terms' forbidden renderings kept out."""
        encoded = self.tokenizer(sources, truncation=True, max_length=self._source_limit)["input_ids"]
        source_tokens = [self.tokenizer.convert_ids_to_tokens(ids) for ids in encoded]
        max_new = self._max_new_tokens(encoded, terms)
        results = list(self.decode(source_tokens, max_new, attention=any(terms), terms=terms))
        # A draft that ran to a derived limit is decoded again with twice the room: the limit follows
        # the source's length, and a model whose English takes more pieces than that is cut mid-word.
        roomier = min(2 * max_new, self.target_limit)
        again = [i for i, r in enumerate(results) if len(r.hypotheses[0]) >= max_new - 1]
        if again and roomier > max_new and not self.options.max_new_tokens:
            redone = self.decode([source_tokens[i] for i in again], roomier, attention=any(terms),
                                 terms=[terms[i] for i in again])
            for i, result in zip(again, redone):
                results[i] = result
            max_new = roomier
        outputs = [r.hypotheses[0] for r in results]
        # Every draft of a translate call is held until its repair: the cross-attention only of those the
        # repair reads (they lack a term it can spell).
        attentions = [
            r.attention[0] if r.attention and missing_terms(self._text(out), [t for t in ts if self._spellings(t)]) else []
            for r, out, ts in zip(results, outputs, terms)
        ]
        return _Draft(source_tokens, max_new, outputs, attentions, [len(out) >= max_new - 1 for out in outputs])

    def _translate_batch(self, sources: list[str], terms: list[list[Term]], truncated: list[bool], draft: _Draft) -> list[Translation]:
        """Where a draft of the sources lacks a term, repair it (engines/repair.py); what the repair could not
        mend goes to the transformers engine."""
        source_tokens, max_new, outputs = draft.source_tokens, draft.max_new, list(draft.outputs)
        drafts = [self._text(out) for out in outputs]
        self.counts.segments += len(sources)
        # A term the vocabulary cannot spell is noted, not chased: no engine can write it.
        wanted = [[t for t in ts if self._spellings(t)] for ts in terms]
        failing = [i for i, out in enumerate(outputs) if missing_terms(self._text(out), wanted[i])]
        mended: dict[int, Repaired] = {}
        if failing:
            self.counts.repaired += len(failing)
            done = self._repair(failing, source_tokens, outputs, draft.attentions, wanted, max_new)
            mended = dict(zip(failing, done))
            failing = [i for i in failing if missing_terms(self._text(outputs[i]), wanted[i])]
        texts = [self._text(out) for out in outputs]
        translations = [
            self._finish(text, ts, cut, drafted, mended.get(i), max_new if ran_out else 0)
            for i, (text, ts, cut, drafted, ran_out) in enumerate(zip(texts, terms, truncated, drafts, draft.cut))
        ]
        if failing and self._fallback is None and _transformers_missing():
            # A [ctranslate2]-only install: what the repair could not mend stays missing, recorded as missed
            # and flagged by QA, and the translation goes on; said once per run, with what would mend it.
            if not self._said_no_fallback:
                lack = "1 segment still lacks" if len(failing) == 1 else f"{len(failing)} segments still lack"
                warn(f"{lack} a glossary term after the repair (QA flags it); the "
                     "transformers engine's constrained decoding would place it: pip install 'leshan-pub[transformers]'")
                self._said_no_fallback = True
            return translations
        if failing:
            self.counts.fallback += len(failing)
            redone = self._fallback_engine().translate([sources[i] for i in failing], [terms[i] for i in failing])
            for i, translation in zip(failing, redone):
                translations[i] = replace(translations[i], text=translation.text,
                                          missing=missing_terms(translation.text, terms[i]), terms=translation.terms,
                                          fallback_used=translation.fallback_used)
        return translations

    def decode(
        self,
        source_tokens: list[list[str]],
        max_new: int,
        *,
        attention: bool,
        terms: list[list[Term]],
        prefixes: list[list[str]] | None = None,
        beams: int | None = None,
        kept_out: list[list[str]] | None = None,
    ) -> list[Any]:
        """kept_out: token sequences no row may write, on top of the terms' forbidden renderings."""
        suppressed = self.forbidden_tokens([t for ts in terms for t in ts]) + list(kept_out or [])
        return self.translator.translate_batch(
            source_tokens,
            target_prefix=prefixes,
            beam_size=beams or self.options.num_beams,
            # As in transformers, max_new counts the end token, which CTranslate2 leaves out of its limit.
            max_decoding_length=max_new - 1,
            return_attention=attention,
            suppress_sequences=suppressed or None,
            use_vmap=self._english_only,
            max_batch_size=self._part(len(source_tokens)),
        )

    def _part(self, count: int) -> int:
        """Rows per part, for count rows in as many parts as the translator decodes at once (cpu_workers)."""
        return -(-count // self._workers)

    def _max_new_tokens(self, encoded: list[list[int]], terms: list[list[Term]]) -> int:
        if self.options.max_new_tokens:
            return self.options.max_new_tokens
        # As the transformers engine: English takes more pieces than Chinese, and the terms come on top.
        need = max(sum(min((len(s) for s in self._spellings(t)), default=0) for t in ts) for ts in terms)
        return min(int(1.5 * max(map(len, encoded))) + 10 + need, self.target_limit)

    def _repair(
        self,
        failing: list[int],
        source_tokens: list[list[str]],
        outputs: list[list[str]],
        attentions: list[list[list[float]]],
        terms: list[list[Term]],
        max_new: int,
    ) -> list[Repaired]:
        """Mend outputs[i] for i in failing, in place, by the shared repair (engines/repair.py): each missing
        term in place of the model's own rendering of it (or of the words owed or aligned to its
        Chinese), decoded again after it with term_repair="continue". Returns how each was mended."""
        eos = self.tokenizer.eos_token_id
        drafts = [[*self.tokenizer.convert_tokens_to_ids(outputs[i]), eos] for i in failing]
        adapter = CTranslate2Repair(self, source_tokens, attentions, terms, max_new, dict(zip(failing, drafts)))
        done = repair(adapter, failing, drafts, [self._plan(terms[i]) for i in failing], self.options.term_repair,
                      self.options.placement)
        for i, result in zip(failing, done):
            if result.ids is not None:
                ids = result.ids[:-1] if result.ids[-1:] == [eos] else result.ids
                outputs[i] = self.tokenizer.convert_ids_to_tokens(ids)
        return done

    def owed(
        self, sources: list[list[str]], outputs: list[list[str]], plans: list[Any], terms: list[list[int]]
    ) -> list[dict[int, list[list[float]]]]:
        """Per segment, per term index, per missing occurrence: what each output token owes to the
        term's Chinese, its log-probability given the source less that given the source without the
        term's pieces (one scoring call for the whole batch)."""
        spans = [
            term_spans(source, [plan.spellings[k].term for k in ks]) for source, plan, ks in zip(sources, plans, terms)
        ]
        rows_source, rows_target = [], []
        for source, output, found in zip(sources, outputs, spans):
            rows_source += [source, *(source[:a] + source[b:] for a, b in (s for s in found if s))]
            rows_target += [output] * (1 + sum(1 for s in found if s))
        results = iter(self.score(rows_source, rows_target) if rows_source else [])
        owed: list[dict[int, list[list[float]]]] = []
        for output, ks, found in zip(outputs, terms, spans):
            whole = next(results).log_probs[: len(output)]
            per_term: dict[int, list[list[float]]] = {}
            for k, span in zip(ks, found):
                row = [w - m for w, m in zip(whole, next(results).log_probs)] if span else [0.0] * len(output)
                per_term.setdefault(k, []).append(row)
            owed.append(per_term)
        return owed

    def kept_scores(self, sources: list[list[str]], candidates: list[Any]) -> list[float]:
        """Per candidate placement (placement._candidates) in the draft of the source beside it: the
        summed log-probability of the draft tokens it keeps."""
        eos = self.tokenizer.eos_token_id
        targets = [self.tokenizer.convert_ids_to_tokens([t for t in ids if t != eos]) for _, _, ids, _, _ in candidates]
        results = self.score(sources, targets)
        return [
            sum(p for p, keep in zip(r.log_probs, kept) if keep) for r, (_, _, _, kept, _) in zip(results, candidates)
        ]

    def score(self, sources: list[list[str]], targets: list[list[str]]) -> list[Any]:
        """score_batch in parts of at most _SCORED_TOKENS target tokens, the results in order."""
        budget = _SCORED_TOKENS.get(self.device, _SCORED_TOKENS["cpu"])
        return self.translator.score_batch(sources, targets, max_batch_size=budget, batch_type="tokens")

    def _plan(self, terms: list[Term]) -> SegmentPlan:
        for term in terms:
            if term not in self._planned:
                self._planned[term] = spell_term(self.vocab, term)
        return SegmentPlan([s for t in terms if (s := self._planned[t]) is not None])

    def renderings(self, terms: list[Term]) -> dict[Term, list[str]]:
        """Per term: its forbidden renderings, and the model's n-best translations of its Chinese alone (cached)."""
        return own_renderings(self._rendered, terms, self._n_best, self.options.model_script)

    def learned_renderings(self, terms: list[Term]) -> dict[Term, list[str]]:
        """Per term: how the model renders it inside the sentences drafted so far this run (DraftContext)."""
        return {t: self._learned.get(t, []) for t in terms}

    def _n_best(self, sources: list[str]) -> list[list[str]]:
        results = self.translator.translate_batch(
            [self.tokenizer.convert_ids_to_tokens(ids) for ids in self.tokenizer(sources)["input_ids"]],
            beam_size=RENDERINGS, num_hypotheses=RENDERINGS, max_decoding_length=RENDERING_TOKENS,
            use_vmap=self._english_only, max_batch_size=self._part(len(sources)),
        )
        return [[self._text(hypothesis) for hypothesis in result.hypotheses] for result in results]

    def _spellings(self, term: Term) -> list[tuple[int, ...]]:
        """Word-start token ids of each accepted form the target vocabulary can write, approved form first."""
        return [ids for text in term_forms(term) if self.vocab.spellable(ids := self.vocab.encode(text))]

    def forbidden_tokens(self, terms: list[Term]) -> list[list[str]]:
        forms = {f for t in dict.fromkeys(terms) for text in t.forbidden for f in (text, text[:1].upper() + text[1:])}
        encoded = (self.vocab.encode(f) for f in sorted(forms))
        return [self.tokenizer.convert_ids_to_tokens(list(ids)) for ids in encoded if self.vocab.spellable(ids)]

    def _text(self, tokens: list[str]) -> str:
        return self.vocab.text(self.tokenizer.convert_tokens_to_ids(tokens))

    def _fallback_engine(self) -> Engine:
        if self._fallback is None:
            print("loading the transformers engine for segments ctranslate2 could not mend ...", file=sys.stderr)
            _need_transformers("ctranslate2 could not mend every glossary term; to mend the rest,")
            self._fallback = _transformers(replace(self.options, progress=False, device=_torch_device(self.device)))
        return self._fallback

    def _finish(
        self, text: str, terms: Sequence[Term], truncated: bool, draft: str = "", mended: Repaired | None = None,
        cut_at: int = 0,
    ) -> Translation:
        """cut_at: the length limit the draft ran to, 0 when it ended by itself."""
        notes = [unspellable_reason(self.vocab, t) for t in dict.fromkeys(terms) if not self._spellings(t)]
        if truncated:
            notes.append(source_cut_note(self._source_limit))
        if cut_at:
            notes.append(english_cut_note(cut_at))
        misses = explain_misses(text, terms, {
            t: [TermMiss(t, MissReason.UNSPELLABLE, unspellable_reason(self.vocab, t))] * terms.count(t)
            for t in dict.fromkeys(terms) if not self._spellings(t)
        })
        records = term_records(
            terms, draft or text, text, mended.anchors if mended else None, self._plan(list(terms)) if mended else None,
            misses, continued=bool(mended and mended.continued),
        )
        return Translation(text=text, missing=missing_terms(text, terms), notes=notes, terms=records)


def _torch_device(device: str) -> str:
    return "cuda" if device == "cuda" else "cpu"
