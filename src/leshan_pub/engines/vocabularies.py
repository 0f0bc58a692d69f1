"""A Marian tokenizer's two vocabularies, read apart.

opus-mt-zh-en shares one vocabulary between its Chinese and its English. Some MarianMT models
(Tatoeba's among them) keep one per side: a piece then has one id on the source side and another
on the target side, and the tokenizer's own conversions read one side only (ids to tokens: the
target's; tokens to ids: the source's). Whoever turns ids into pieces says which side it means.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def separate_vocabularies(tokenizer: Any) -> bool:
    """True when the tokenizer's source and target sides number their pieces apart."""
    return bool(getattr(tokenizer, "separate_vocabs", False))


def english_ids(tokenizer: Any) -> list[int] | None:
    """The ids English is written in: every piece of the target SentencePiece model that the shared
    vocabulary holds, the end and unknown tokens, in order. None where that is every id the model
    writes (separate vocabularies: the target side is all of its output).

    opus-mt-zh-en's shared vocabulary holds its Chinese pieces too (spm32k on each side, 65,001
    ids), which its English never used in training and the tokenizer never writes in English.
    """
    if separate_vocabularies(tokenizer):
        return None
    processor, encoder = tokenizer.spm_target, tokenizer.encoder
    pieces = (processor.id_to_piece(i) for i in range(processor.get_piece_size()))
    ids = {encoder[p] for p in pieces if p in encoder} | {tokenizer.eos_token_id, tokenizer.unk_token_id}
    return sorted(ids) if len(ids) < len(tokenizer) else None


def target_size(tokenizer: Any) -> int:
    """How many ids the target side has: the width of the model's output scores."""
    if separate_vocabularies(tokenizer):
        return len(tokenizer.target_encoder)  # get_tgt_vocab() fails in transformers 5 (int keys)
    return len(tokenizer)


class SourcePieces:
    """The source side's pieces by id: what a source id spells, whatever the target side numbers."""

    def __init__(self, tokenizer: Any) -> None:
        table = tokenizer.get_src_vocab() if separate_vocabularies(tokenizer) else tokenizer.get_vocab()
        self._by_id = {i: piece for piece, i in table.items()}
        self._unknown = str(tokenizer.unk_token)

    def tokens(self, ids: Sequence[int]) -> list[str]:
        by_id, unknown = self._by_id, self._unknown
        return [by_id.get(i, unknown) for i in ids]
