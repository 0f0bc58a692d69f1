"""Where a term belongs in the model's own draft: the words it replaces, chosen by the model's scores.

For each term the draft lacks, every way of putting the term in the draft (replacing zero to a few
whole words at any word start; at the very end, appended) is scored by the model, teacher-forced: the log-probability of every
draft token that is kept, given what now stands before it. The words whose removal the model minds
least, with the term in their place, are its own rendering of the term; the best candidate becomes
an Anchor for the constrained second pass. A model that never considered the term still wants to
write its rendering right after it; the second pass holds that token back, so the score of the
token after the term is taken, likewise, with the displaced token's probability removed.

Before scoring, the model is asked directly: its own renderings of the term's Chinese, translated
alone (n-best), and the glossary's forbidden renderings, are looked for in the draft as whole
words. A rendering found there is where the term goes, in the number (singular or plural) the draft
used. Scoring is the fallback when no rendering is found.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from ..terms import Term
from .constraints import Anchor, SegmentPlan, TargetVocab, _capitalised

MAX_REPLACED_WORDS = 4  # the longest rendering a term may displace, when the model's scores choose it
MAX_RENDERING_WORDS = 8  # a longer 'rendering' of a term translated alone is a sentence, not a rendering
# Words that never locate a rendering by themselves: a match must hold one word besides these.
_FUNCTION_WORDS = frozenset(
    "a an the of and or in on at to for by with from as is are was were be 's ' s , . ; : - ( ) \" “ ” ‘ ’".split()
)
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


def _words(pieces: Sequence[str], vocab: TargetVocab, ids: Sequence[int]) -> list[tuple[int, int, str]]:
    """(first token, end token, lower-cased text) of each word of ids: a word-start piece and the pieces glued to it."""
    words: list[tuple[int, int, str]] = []
    for j, (token, piece) in enumerate(zip(ids, pieces)):
        text = piece.replace("\u2581", "").lower()
        # A piece after punctuation begins a word of its own: '(lithium' is '(' and 'lithium'.
        after_punctuation = not vocab.ends_in_word(ids[j - 1]) and not vocab.is_word_marker(ids[j - 1]) if j else False
        if j == 0 or vocab.starts_word(token) or not words or after_punctuation:
            words.append((j, j + 1, text))
        else:
            first, _, before = words[-1]
            words[-1] = (first, j + 1, before + text)
    return [w for w in words if w[2]] if words else []


def _is_content_word(word: str) -> bool:
    """A word that can locate a rendering: two or more letters or digits, at least one Latin, not a function word."""
    return word not in _FUNCTION_WORDS and sum(c.isascii() and c.isalnum() for c in word) >= 2


def _same_word(draft_word: str, rendering_word: str, last: bool) -> tuple[bool, bool]:
    """(matches, plural): the words are equal, or, for the last word, the draft's is its plural."""
    if draft_word == rendering_word:
        return True, False
    if last and draft_word.isalpha() and rendering_word.isalpha():
        for plural in (rendering_word + "s", rendering_word + "es", rendering_word[:-1] + "ies"):
            if draft_word == plural:
                return True, True
        for plural in (draft_word + "s", draft_word + "es", draft_word[:-1] + "ies"):
            if rendering_word == plural:
                return True, False  # the rendering alone was plural; the draft's is singular
    return False, False


def locate_rendering(
    tokenizer: Any,
    vocab: TargetVocab,
    draft: Sequence[int],
    renderings: Sequence[str],
    taken: Sequence[tuple[int, int]],
    max_words: int = MAX_RENDERING_WORDS,
) -> tuple[int, int, bool] | None:
    """(first token, end token, plural) of the longest run of a rendering's words found in draft, or None.

    A run must hold at least half the rendering's words and one word that is not a function word;
    renderings earlier in the list win ties, and the first one found whole ends the search. A
    rendering of more than max_words words is a sentence the model made up, not a rendering. Spans
    in taken are not used again.
    """
    found_whole = False
    draft_words = _words(tokenizer.convert_ids_to_tokens(list(draft)), vocab, draft)
    best: tuple[int, int, int, bool] | None = None  # (-words matched, first, end, plural)
    for rendering in renderings:
        if found_whole:
            break  # an earlier (more likely) rendering was found whole
        ids = vocab.encode(rendering.strip().rstrip(".;,"))
        words = [w for _, _, w in _words(tokenizer.convert_ids_to_tokens(list(ids)), vocab, ids)]
        if words[:1] in (["the"], ["a"], ["an"]):
            words = words[1:]
        if not words or len(words) > max_words:
            continue
        whole = len(words)
        for length in range(len(words), max(1, (len(words) + 1) // 2) - 1, -1):
            if best is not None and -best[0] >= length:
                break
            for offset in range(len(words) - length + 1):
                run = words[offset : offset + length]
                if not any(_is_content_word(w) for w in run):
                    continue
                for k in range(len(draft_words) - length + 1):
                    plural = False
                    for n, word in enumerate(run):
                        same, is_plural = _same_word(draft_words[k + n][2], word, n == length - 1)
                        if not same:
                            break
                        plural = is_plural
                    else:
                        first, end = draft_words[k][0], draft_words[k + length - 1][1]
                        if end >= len(draft) or any(a < end and first < b for a, b in taken):
                            continue
                        if best is None or length > -best[0]:
                            best = (-length, first, end, plural)
                            found_whole = length == whole
                        break
    return None if best is None else best[1:]


def plural_form(term: Term) -> str | None:
    """The term's accepted plural, when the glossary lists one."""
    target = term.target.lower()
    plurals = {target + "s", target + "es", target[:-1] + "ies"}
    return next((form for form in term.accepted if form.lower() in plurals), None)


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
        ids = vocab.encode(_capitalised(text) if a == 0 else text)
        if not vocab.spellable(ids) or not vocab.starts_word(draft[a]):
            ids = ()  # the usual form; after an opening bracket, the processor's glued one
        taken.append((a, b))
        anchors.setdefault(i, []).append(Anchor(
            before=tuple(draft[max(0, a - CONTEXT) : a]), displaced=tuple(draft[a:b]), after=draft[b],
            rest=tuple(draft[b:]), spelling=ids, at=a,
        ))
    for i in unplaced:
        spelling = plan.spellings[i]
        candidates = _candidates(vocab, draft, lambda a: spelling.capitalised if a == 0 else spelling.primary)
        candidates = [c for c in candidates if not any(a < c[1] and c[0] < b or a == c[0] for a, b in taken)]
        # A draft that used its whole length leaves no room for a longer term: the model has no positions past it.
        candidates = [c for c in candidates if len(c[2]) <= model.config.max_position_embeddings]
        if not candidates:
            continue
        scores = _kept_log_probs(model, encoder_out, source_mask, candidates, start_token)
        a, b = candidates[int(scores.argmax())][:2]
        taken.append((a, b))
        anchors.setdefault(i, []).append(
            Anchor(
                before=tuple(draft[max(0, a - CONTEXT) : a]), displaced=tuple(draft[a:b]), after=draft[b],
                rest=tuple(draft[b:]), at=a,
            )
        )
    return anchors


def _kept_log_probs(
    model: Any,
    encoder_out: torch.Tensor,
    source_mask: torch.Tensor,
    candidates: list[_Candidate],
    start_token: int,
) -> torch.Tensor:
    """Per candidate: the summed log-probability of its kept tokens, teacher-forced after the start token."""
    count, length = len(candidates), max(len(c[2]) for c in candidates)
    device = encoder_out.device
    labels = torch.full((count, length), start_token, dtype=torch.long, device=device)
    weights = torch.zeros(count, length, device=device)
    held = torch.full((count, length), -1, dtype=torch.long, device=device)
    for n, (_, _, ids, keep, (position, token)) in enumerate(candidates):
        labels[n, : len(ids)] = torch.tensor(ids, device=device)
        weights[n, : len(ids)] = torch.tensor(keep, dtype=torch.float, device=device)
        if 0 <= position < len(ids):
            held[n, position] = token
    inputs = torch.cat([torch.full((count, 1), start_token, dtype=torch.long, device=device), labels[:, :-1]], dim=1)
    total = torch.zeros(count, device=device)
    for chunk in range(0, count, 64):  # bounded memory for long drafts
        part = slice(chunk, chunk + 64)
        rows = inputs[part].shape[0]
        output = model(
            encoder_outputs=(encoder_out.expand(rows, -1, -1),),
            attention_mask=source_mask.expand(rows, -1),
            decoder_input_ids=inputs[part],
        )
        all_log_probs = output.logits.log_softmax(-1)
        log_probs = all_log_probs.gather(-1, labels[part].unsqueeze(-1)).squeeze(-1)
        # Where a token is held back, the others share its probability: renormalise without it.
        withheld = all_log_probs.gather(-1, held[part].clamp(min=0).unsqueeze(-1)).squeeze(-1)
        renormalise = -torch.log1p(-withheld.exp().clamp(max=1 - 1e-6))
        log_probs = log_probs + torch.where(held[part] >= 0, renormalise, torch.zeros_like(renormalise))
        total[part] = (log_probs * weights[part]).sum(-1)
    return total
