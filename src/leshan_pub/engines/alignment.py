"""Where the model is reading: its cross-attention over the source at each decoding step, and source-term token spans."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import torch

from ..terms import Glossary, Term


class AttentionProbe:
    """Captures one decoder layer's cross-attention for the newest target position, averaged over heads.

    After every decoder forward pass, `weights` holds a [rows, source_length] tensor (rows = batch x
    beams, in the order the logits processor sees them) that sums to 1 over the unpadded source.
    The weights are computed from the layer's own query and cached keys, so they are the same with
    eager, sdpa or any other attention kernel.
    """

    def __init__(self, model: Any, layer: int = -1) -> None:
        layers = model.get_decoder().layers
        self.module = layers[layer]
        self.weights: torch.Tensor | None = None
        self._source_mask: torch.Tensor | None = None  # [rows, source_length] bool, True on real tokens

    @contextmanager
    def watching(self, attention_mask: torch.Tensor, num_beams: int) -> Iterator[AttentionProbe]:
        """Capture attention during one generate call over sources with this encoder attention mask."""
        self._source_mask = attention_mask.bool().repeat_interleave(num_beams, dim=0)
        self.weights = None
        handle = self.module.encoder_attn.register_forward_hook(self._capture, with_kwargs=True)
        try:
            yield self
        finally:
            handle.remove()
            self._source_mask = None

    def _capture(self, module: Any, args: tuple, kwargs: dict, output: Any) -> None:
        hidden = args[0] if args else kwargs["hidden_states"]
        query = module.q_proj(hidden[:, -1:]).view(hidden.shape[0], 1, -1, module.head_dim).transpose(1, 2)
        keys = self._keys(module, kwargs)
        scores = torch.matmul(query, keys.transpose(2, 3)).squeeze(2) * module.scaling  # [rows, heads, source]
        mask = self._source_mask
        if mask is not None and mask.shape == (scores.shape[0], scores.shape[-1]):
            scores = scores.masked_fill(~mask[:, None, :], float("-inf"))
        self.weights = scores.float().softmax(-1).mean(1)

    @staticmethod
    def _keys(module: Any, kwargs: dict) -> torch.Tensor:
        cache = kwargs.get("cache", kwargs.get("past_key_values"))
        cross = getattr(cache, "cross_attention_cache", None)
        if cross is not None and cache.is_updated.get(module.layer_idx):
            return cross.layers[module.layer_idx].keys
        states = kwargs["key_value_states"]
        return module.k_proj(states).view(states.shape[0], states.shape[1], -1, module.head_dim).transpose(1, 2)


def source_spans(tokenizer: Any, source: str, terms: Sequence[Term]) -> list[tuple[Term, int, int]]:
    """(term, first token, end token) of every occurrence of terms in source, in source order.

    Token positions index the encoder input; a span found by counting the pieces of the text before
    and up to the term, so a piece that straddles the term's edge belongs to it.
    """
    spans: list[tuple[Term, int, int]] = []
    for hit in Glossary(list(dict.fromkeys(terms))).find(source):
        start = len(_pieces(tokenizer, source[: hit.start]))
        end = max(len(_pieces(tokenizer, source[: hit.end])), start + 1)
        spans.append((hit.term, start, end))
    return spans


def _pieces(tokenizer: Any, text: str) -> list[str]:
    return tokenizer.tokenize(text) if text else []
