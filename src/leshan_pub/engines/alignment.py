"""Where glossary terms stand in the model's input: source token spans of term occurrences."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..terms import Glossary, Term


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
