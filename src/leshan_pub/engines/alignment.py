"""Where glossary terms stand in the model's input, and which words of its output translate them.

Both engines read the same alignment: the last decoder layer's cross-attention, averaged over its
heads (an opus-mt model was not trained with an alignment head, and the average aligns better).
Each output piece is aligned to the source piece it attends to most; a term's Chinese is rendered
by the first run of output pieces aligned inside its source pieces.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from ..terms import Glossary, Term, match_fold, source_key

WORD_MARK = "\u2581"  # SentencePiece's word-start marker
# The most pieces of the model's own words one term replaces: a rendering of a glossary term is a few words.
MAX_RUN = 8


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


def term_spans(source: Sequence[str], terms: Sequence[Term]) -> list[tuple[int, int] | None]:
    """For each term (repeats in order), the [start, end) source pieces its Chinese occupies, found as the
    glossary matcher finds it (樂山 for 乐山); None when not found."""
    pieces = source[:-1] if source and source[-1] == "</s>" else source
    text, starts = "", []
    for piece in pieces:
        starts.append(len(text))
        text += piece.replace(WORD_MARK, " ")
    # The glossary matcher's own fold (terms.match_fold): width, case, and traditional to simplified.
    folded, origin = match_fold(text)
    owner = [bisect.bisect_right(starts, origin[k]) - 1 for k in range(len(folded))]  # piece of each character
    used: set[tuple[int, int]] = set()
    spans: list[tuple[int, int] | None] = []
    for term in terms:
        found = None
        for key in sorted({source_key(s) for s in term.sources}, key=len, reverse=True):
            at = folded.find(key)
            while at != -1:
                span = (owner[at], owner[at + len(key) - 1] + 1)
                if span not in used:
                    found = span
                    break
                at = folded.find(key, at + 1)
            if found:
                break
        if found:
            used.add(found)
        spans.append(found)
    return spans


def aligned_positions(attention: Sequence[Sequence[float]], source_pieces: int) -> list[int]:
    """Per output piece, the source piece (of the first source_pieces, the end token left out) it attends to most."""
    return [max(range(len(r)), key=r.__getitem__) if (r := row[:source_pieces]) else -1 for row in attention]


def starts_word(piece: str) -> bool:
    """True when the piece does not continue the previous piece's word (a new word or punctuation)."""
    return piece.startswith(WORD_MARK) or not piece[:1].isalnum()


def target_run(output: Sequence[str], aligned: Sequence[int], span: tuple[int, int] | None) -> tuple[int, int]:
    """[start, end) of the words in output that translate span (empty where the model dropped it),
    widened to whole words so the term neither glues onto a word nor leaves half of one."""
    if span is None:  # the Chinese was not found among the pieces: add the term at the end, before a full stop
        start = end = len(output) - 1 if output and not output[-1].lstrip(WORD_MARK)[:1].isalnum() else len(output)
    else:
        inside = {t for t, s in enumerate(aligned[: len(output)]) if span[0] <= s < span[1]}
        if inside:
            start = end = min(inside)
            # The first run of consecutive aligned positions; diffuse attention must not swallow the sentence.
            while end < len(output) and end in inside and end - start < MAX_RUN:
                end += 1
        else:  # dropped: insert it before the first word that translates later Chinese
            start = end = next((t for t, s in enumerate(aligned[: len(output)]) if s >= span[1]), len(output))
    while 0 < start < len(output) and not starts_word(output[start]):
        start -= 1
    end = max(end, start)
    while end < len(output) and not starts_word(output[end]):
        end += 1
    return start, end


@contextmanager
def cross_attention(model: Any, source_mask: Any) -> Iterator[list[Any]]:
    """Collects the last decoder layer's cross-attention, averaged over heads, of every decoder pass run inside.

    Each entry is [batch, target, source]. Computed from the layer's own projections, since the
    fast attention kernels do not hand their weights back; source_mask ([batch, source], 1 = real
    piece) keeps padding out.
    """
    import torch

    layer = model.model.decoder.layers[-1].encoder_attn
    captured: list[Any] = []

    def hook(module: Any, args: tuple[Any, ...], kwargs: dict[str, Any], output: Any) -> None:
        hidden = args[0] if args else kwargs["hidden_states"]
        keys = kwargs["key_value_states"]
        batch, length, _ = hidden.shape
        query = module.q_proj(hidden).view(batch, length, -1, module.head_dim).transpose(1, 2)
        key = module.k_proj(keys).view(batch, keys.shape[1], -1, module.head_dim).transpose(1, 2)
        scores = (query @ key.transpose(-1, -2)) * module.scaling
        scores = scores.masked_fill(~source_mask.bool()[:, None, None, :], torch.finfo(scores.dtype).min)
        captured.append(scores.softmax(-1).mean(1))

    handle = layer.register_forward_hook(hook, with_kwargs=True)
    try:
        yield captured
    finally:
        handle.remove()
