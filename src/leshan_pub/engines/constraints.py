"""Glossary enforcement while decoding: a logits processor that makes every hypothesis spell its terms."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import torch
from transformers import LogitsProcessor

from ..quality.enforce import is_word_character
from ..terms import Term
from .vocabularies import target_size

# The enforcement behaviour recorded in each segment's provenance signature (enf:N); bump it
# whenever a change here can change the English a model writes under the same glossary.
# 2: draft-anchored placement, whole-word terms; 3: the model's own renderings located, the draft resumed;
# 4: the term spliced into the draft in place of its rendering (or the words that owe most to its Chinese);
# 5: a term that begins a later sentence of the segment is capitalised, as one that begins the first.
ENFORCEMENT_VERSION = "5"
# Openers after which SentencePiece spells the next word without its '▁' word-start marker.
_OPENERS = ("(", '"')
# What ends a sentence, what may close it after that, and what may open the next before its first word.
_SENTENCE_ENDS = frozenset(".!?…")
_CLOSERS = "\"'”’)）]」』"
_OPENING = frozenset("\"'“‘(（[「『")
# A finite floor for forced tokens, so that a row never ends up with no finite score at all.
_FORCED_FLOOR = -1e4


def enforcement_signature(options: Any) -> dict[str, str]:
    """What of an engine's options (EngineOptions) can change its English under one glossary, for provenance:
    beams, the length limit ('auto' when derived per batch), the enforcement version, the repair and placement."""
    limit = options.max_new_tokens
    return {
        "beams": str(options.num_beams), "maxlen": str(limit) if limit else "auto",
        "enf": ENFORCEMENT_VERSION, "repair": options.term_repair, "placement": options.placement,
    }


def capitalised(text: str) -> str:
    """text with its first letter in upper case, the rest as it is."""
    return text[:1].upper() + text[1:]


class TargetVocab:
    """The model's target-side vocabulary as enforcement needs it: spelling text, EOS, word edges."""

    def __init__(self, tokenizer: Any) -> None:
        self.tokenizer = tokenizer
        self.eos_id: int = tokenizer.eos_token_id
        self.unk_id: int = tokenizer.unk_token_id
        self._encoded: dict[str, tuple[int, ...]] = {}  # terms and renderings are spelled again for every segment

    def encode(self, text: str) -> tuple[int, ...]:
        """Target-side ids of text as SentencePiece spells it at a word start, without </s>."""
        ids = self._encoded.get(text)
        if ids is None:
            ids = self._encoded[text] = tuple(self.tokenizer(text_target=text, add_special_tokens=False)["input_ids"])
        return ids

    def text(self, ids: Sequence[int]) -> str:
        """The English the target ids spell, special tokens left out."""
        special = self._special
        return self.tokenizer.decode([i for i in ids if i not in special], skip_special_tokens=False)

    def spellable(self, ids: Sequence[int]) -> bool:
        return bool(ids) and self.unk_id not in ids

    @cached_property
    def _pieces(self) -> list[str]:
        """Every piece of the target vocabulary, by id (the tokenizer turns ids into target pieces)."""
        return self.tokenizer.convert_ids_to_tokens(list(range(target_size(self.tokenizer))))

    @cached_property
    def _ends_in_word(self) -> list[bool]:
        pieces = self._pieces
        return [bool(p) and (p[-1].isalnum() or is_word_character(p[-1])) for p in pieces]

    def ends_in_word(self, token: int) -> bool:
        """True when the piece ends in a letter, a digit or '_', so a term glued onto it would extend a word."""
        table = self._ends_in_word
        return token < len(table) and table[token]

    @cached_property
    def glue_mask(self) -> torch.Tensor:
        """[vocab] bool: pieces that begin with a Latin letter or digit, so they would lengthen the word before them."""
        pieces = self._pieces
        return torch.tensor([bool(p) and is_word_character(p[0]) for p in pieces])

    @cached_property
    def _starts_word(self) -> list[bool]:
        pieces = self._pieces
        return [not (p and is_word_character(p[0])) for p in pieces]

    def starts_word(self, token: int) -> bool:
        """True when the piece begins a new word ('▁' marker, punctuation) rather than lengthening the last one."""
        table = self._starts_word
        return token >= len(table) or table[token]

    @cached_property
    def _markers(self) -> frozenset[int]:
        pieces = self._pieces
        return frozenset(i for i, p in enumerate(pieces) if p == "\u2581")

    def is_word_marker(self, token: int) -> bool:
        """True for the bare '▁' piece, which SentencePiece puts before a word it spells from scratch."""
        return token in self._markers

    def starts_sentence(self, before: Sequence[int]) -> bool:
        """True when a word written after the ids `before` begins a sentence: nothing but opening
        quotes or brackets comes after the start (or a special token), or after the end of a sentence."""
        pieces, special = self._pieces, self._special
        for token in reversed(before):
            if token in special:
                return True
            text = pieces[token].replace("\u2581", "") if token < len(pieces) else ""
            if all(c in _OPENING for c in text):
                continue
            text = text.rstrip(_CLOSERS)
            if text:  # else a closing quote or bracket: what comes before it decides
                return text[-1] in _SENTENCE_ENDS
        return True

    @cached_property
    def _special(self) -> frozenset[int]:
        # By name: the tokenizer's special ids are the source side's, which a separate target vocabulary numbers apart.
        names = set(self.tokenizer.all_special_tokens)
        return frozenset(i for i, piece in enumerate(self._pieces) if piece in names)

    def unknown_characters(self, text: str) -> list[str]:
        """The characters of text the target vocabulary can only write as <unk>."""
        return [ch for ch in dict.fromkeys(text) if not ch.isspace() and self.unk_id in self.encode(ch)]


@dataclass(frozen=True)
class TermSpelling:
    """Every token sequence that writes one term, and the sequences enforcement steers towards or away from."""

    term: Term
    spellings: tuple[tuple[int, ...], ...]  # accepted forms, as-is and capitalised, word-start and glued
    free_start: tuple[bool, ...]  # True: starts with '▁', may begin anywhere; False: only after punctuation
    primary: tuple[int, ...]  # the approved English at a word start: the one placed mid-sentence
    capitalised: tuple[int, ...]  # placed at the start of the sentence
    forbidden: tuple[tuple[int, ...], ...]
    glued: tuple[int, ...] = ()  # the approved English right after an opening bracket or quote; () when none

    @cached_property
    def shortest(self) -> int:
        """Tokens the shortest word-start spelling needs: the budget kept free for one occurrence."""
        return min(len(s) for s, free in zip(self.spellings, self.free_start) if free)


def _glued(vocab: TargetVocab, form: str, ids: tuple[int, ...]) -> set[tuple[int, ...]]:
    """Spellings of form directly after an opening bracket or quote, where it carries no '▁'."""
    glued: set[tuple[int, ...]] = set()
    for opener in _OPENERS:
        opened, alone = vocab.encode(opener + form), vocab.encode(opener)
        if len(alone) == 1 and opened[:1] == alone:
            glued.add(opened[1:])
    if vocab.is_word_marker(ids[0]):  # '▁' alone, then the word: drop the marker
        glued.add(ids[1:])
    return {g for g in glued if vocab.spellable(g)} - {ids}


def spell_term(vocab: TargetVocab, term: Term) -> TermSpelling | None:
    """How term can be written in target tokens; None when no accepted form can be spelled."""
    free: dict[tuple[int, ...], bool] = {}
    for text in term.accepted:
        for form in dict.fromkeys((text, capitalised(text))):
            ids = vocab.encode(form)
            if not vocab.spellable(ids):
                continue
            free[ids] = True
            for glued in _glued(vocab, form, ids):
                free.setdefault(glued, False)
    word_start = [ids for ids, is_free in free.items() if is_free]
    if not word_start:
        return None
    primary = vocab.encode(term.target)
    primary = primary if vocab.spellable(primary) else word_start[0]
    upper = vocab.encode(capitalised(term.target))
    forbidden = {vocab.encode(f) for text in term.forbidden for f in (text, capitalised(text))}
    return TermSpelling(
        term=term,
        spellings=tuple(free),
        free_start=tuple(free.values()),
        primary=primary,
        capitalised=upper if vocab.spellable(upper) else primary,
        forbidden=tuple(f for f in forbidden if vocab.spellable(f)),
        glued=next((ids for ids, is_free in free.items() if not is_free), ()),
    )


def unspellable_reason(vocab: TargetVocab, term: Term) -> str:
    """Why the target vocabulary cannot write term: the characters it lacks."""
    chars = vocab.unknown_characters(" ".join(term.accepted))
    shown = ", ".join(f"'{c}' (U+{ord(c):04X})" for c in chars) or "some pieces"
    return (
        f"the model cannot write '{term.target}' for '{term.source}': its target vocabulary lacks {shown}; "
        "the term is not enforced, add a variant the model can spell"
    )


def unspellable_terms(tokenizer: Any, terms: Sequence[Term]) -> list[tuple[Term, str]]:
    """(term, reason) for every term none of whose accepted forms the target vocabulary can spell; [] when all can."""
    vocab = tokenizer if isinstance(tokenizer, TargetVocab) else TargetVocab(tokenizer)
    return [(t, unspellable_reason(vocab, t)) for t in dict.fromkeys(terms) if spell_term(vocab, t) is None]


# A hypothesis' progress on one term: occurrences done; partial matches (spelling, position of its next
# token); after an occurrence ends, the longer accepted spellings it may still grow into (None when no
# occurrence just ended); and whether it is halfway through such a growth (then it must go on).
_Progress = tuple[int, frozenset[tuple[int, int]], frozenset[tuple[int, int]] | None, bool]
_Progresses = tuple[_Progress, ...]


class SegmentPlan:
    """What one segment's hypotheses must contain: each term spelling and how many times.

    A hypothesis' state is a small int naming its progress on every term; states are interned and
    transitions memoised, because beams revisit the same states and most tokens touch no term.
    """

    initial = 0

    def __init__(self, terms: Sequence[TermSpelling]) -> None:
        counts = Counter(terms)
        self.spellings: tuple[TermSpelling, ...] = tuple(counts)
        self.counts: tuple[int, ...] = tuple(counts.values())
        self.forbidden = tuple({f for s in self.spellings for f in s.forbidden})
        self._tokens = frozenset(t for s in self.spellings for seq in s.spellings for t in seq)
        self._starts = [_first_tokens(s) for s in self.spellings]
        self._progresses: list[_Progresses] = []
        self._ids: dict[_Progresses, int] = {}
        self._idle: set[int] = set()  # states with no partial match: tokens outside every term keep them
        self._transitions: dict[tuple[int, int, bool], int] = {}
        self._intern(tuple((0, frozenset(), None, False) for _ in self.spellings))
        self._always_banned = frozenset(seq[0] for seq in self.forbidden if len(seq) == 1)
        self._forbidden_after: dict[int, list[tuple[tuple[int, ...], int]]] = {}  # keyed by the token before last
        for seq in self.forbidden:
            if len(seq) > 1:
                self._forbidden_after.setdefault(seq[-2], []).append((seq[:-1], seq[-1]))

    def __bool__(self) -> bool:
        return bool(self.spellings or self.forbidden)

    @property
    def tokens(self) -> frozenset[int]:
        """Every token some spelling of a term holds: no other token changes an idle state."""
        return self._tokens

    def idle(self, state: int) -> bool:
        """True when the state has no partial match and no term that may still grow: tokens outside every term keep it."""
        return state in self._idle

    def forbidden_triggers(self) -> tuple[bool, frozenset[int]]:
        """(some forbidden rendering is one token, the tokens after which a longer one may end): where to look for bans."""
        return bool(self._always_banned), frozenset(self._forbidden_after)

    def _intern(self, progresses: _Progresses) -> int:
        state = self._ids.get(progresses)
        if state is None:
            state = self._ids[progresses] = len(self._progresses)
            self._progresses.append(progresses)
            if not any(partials or grow is not None for _, partials, grow, _ in progresses):
                self._idle.add(state)
        return state

    @property
    def initial_need(self) -> int:
        """Tokens the terms need at least, before any is begun."""
        return sum(c * s.shortest for s, c in zip(self.spellings, self.counts))

    def unmet(self, state: int) -> list[int]:
        """Indexes of the terms the state has not written as often as the source needs."""
        return [i for i, progress in enumerate(self._progresses[state]) if progress[0] < self.counts[i]]

    def done(self, state: int, i: int) -> int:
        """How many occurrences of term i the state has written."""
        return self._progresses[state][i][0]

    def partials(self, state: int, i: int) -> frozenset[tuple[int, int]]:
        """Partial matches of term i: (spelling index, position of its next token)."""
        return self._progresses[state][i][1]

    def word_edge(self, state: int) -> tuple[bool, frozenset[int], bool]:
        """(a term just ended, the tokens that may still lengthen it into an accepted variant, it must go on)."""
        ended, allowed, must = False, set(), False
        for i, (_, _, grow, mid) in enumerate(self._progresses[state]):
            if grow is None:
                continue
            ended, must = True, must or mid
            allowed |= {self.spellings[i].spellings[s][p] for s, p in grow}
        return ended, frozenset(allowed), must

    def need(self, state: int, *, keep_partials: bool = True) -> int:
        """Tokens still needed to finish every term; partial matches shorten it unless keep_partials is False."""
        total = 0
        for i in self.unmet(state):
            done, partials, _, _ = self._progresses[state][i]
            shortest = self.spellings[i].shortest
            rest = [len(self.spellings[i].spellings[s]) - p for s, p in partials] if keep_partials else []
            total += (self.counts[i] - done - 1) * shortest + min([shortest, *rest])
        return total

    def advance(self, state: int, token: int, after_punctuation: bool) -> int:
        """The state after one more token; after_punctuation allows spellings that carry no '▁'."""
        if token not in self._tokens and state in self._idle:
            return state
        key = (state, token, after_punctuation)
        after = self._transitions.get(key)
        if after is None:
            progresses = self._progresses[state]
            after = self._intern(
                tuple(self._advance_one(i, progress, token, after_punctuation) for i, progress in enumerate(progresses))
            )
            self._transitions[key] = after
        return after

    def _advance_one(self, i: int, progress: _Progress, token: int, after_punctuation: bool) -> _Progress:
        done, partials, grow, _ = progress
        seqs = self.spellings[i].spellings
        if grow is not None:
            grown = {(s, p + 1) for s, p in grow if seqs[s][p] == token}
            if grown:  # the ended term goes on into a longer accepted spelling: still the same occurrence
                finished = any(p == len(seqs[s]) for s, p in grown)
                return done, frozenset(), frozenset((s, p) for s, p in grown if p < len(seqs[s])), not finished
            partials = frozenset()
        if done >= self.counts[i]:
            return done, frozenset(), None, False
        moved = {(s, p + 1) for s, p in partials if seqs[s][p] == token}
        moved |= {(s, 1) for s, free in self._starts[i].get(token, ()) if free or after_punctuation}
        ended = [p for s, p in moved if p == len(seqs[s])]
        if ended:
            # One occurrence completed; overlapping partials are the same occurrence, so they go too,
            # except longer spellings that hold it whole (a plural), which it may still grow into.
            longer = frozenset((s, p) for s, p in moved if max(ended) <= p < len(seqs[s]))
            return done + 1, frozenset(), longer, False
        return done, frozenset(moved), None, False

    def next_tokens(self, state: int, i: int, deepest_only: bool = False) -> set[int]:
        """Tokens that continue a partial match of term i (of its most advanced ones with deepest_only)."""
        seqs = self.spellings[i].spellings
        partials = self.partials(state, i)
        if deepest_only and partials:
            depth = max(p for _, p in partials)
            partials = frozenset((s, p) for s, p in partials if p == depth)
        return {seqs[s][p] for s, p in partials}

    def start_tokens(self, i: int) -> set[int]:
        """First tokens of term i's word-start spellings."""
        return {token for token, starts in self._starts[i].items() if any(free for _, free in starts)}

    def forbidden_next(self, written: Sequence[int]) -> set[int]:
        """Last tokens of forbidden renderings whose beginning `written` (the generated ids) ends with."""
        banned = set(self._always_banned)
        if written:
            for head, last in self._forbidden_after.get(written[-1], ()):
                if len(written) >= len(head) and tuple(written[-len(head) :]) == head:
                    banned.add(last)
        return banned

    def may_ban_after(self, token: int) -> bool:
        """False when no forbidden rendering can end right after token: the common, cheap case."""
        return bool(self._always_banned) or token in self._forbidden_after

    def blocked_by_forbidden(self, i: int) -> bool:
        """True when every word-start spelling of term i holds a forbidden rendering, whose ban then blocks it."""
        def holds(seq: tuple[int, ...], part: tuple[int, ...]) -> bool:
            return any(seq[k : k + len(part)] == part for k in range(len(seq) - len(part) + 1))

        spelling = self.spellings[i]
        starts = [seq for seq, free in zip(spelling.spellings, spelling.free_start) if free]
        return bool(self.forbidden) and all(any(holds(seq, f) for f in self.forbidden) for seq in starts)


def _first_tokens(spelling: TermSpelling) -> dict[int, tuple[tuple[int, bool], ...]]:
    """First token -> (spelling index, may start anywhere) for each spelling it begins."""
    starts: dict[int, list[tuple[int, bool]]] = {}
    for s, (seq, free) in enumerate(zip(spelling.spellings, spelling.free_start)):
        starts.setdefault(seq[0], []).append((s, free))
    return {token: tuple(v) for token, v in starts.items()}


@dataclass(frozen=True)
class _Steering:
    """What a row in a given state gets, whatever it has written (memoised per state)."""

    need_free: int  # tokens the unmet terms need if every partial match were dropped
    unmet: tuple[int, ...]
    bonus_tokens: tuple[int, ...]  # a term the model began by itself goes on
    bonuses: tuple[float, ...]
    continuing: frozenset[int]  # tokens that go on with a partial term: never banned as forbidden
    ended: bool  # a term just ended: a piece glued onto it would make a longer word
    may_lengthen: frozenset[int]  # pieces that lengthen it into an accepted variant
    must_lengthen: bool  # halfway into such a variant: only those pieces


@dataclass(frozen=True)
class Anchor:
    """Where a term goes, read off the model's own draft: the tokens before it, and the rendering it replaces.

    The term is begun when a hypothesis ends with `before` (or is at its first step, when `before` is
    empty) and the model is about to write the first token of `displaced` (or `after`, when the term
    is inserted rather than replacing anything).
    """

    before: tuple[int, ...]
    displaced: tuple[int, ...]
    after: int
    spelling: tuple[int, ...] = ()  # the form to write here (the plural, where the draft's rendering was); () for the usual
    at: int = -1  # where the displaced rendering begins in the draft; -1 when unknown

    def fits(self, recent: Sequence[int], step: int, top: int, position: int = -1) -> bool:
        """True when a hypothesis that ends with recent, at this step, wanting top, is at the anchor.

        position: how far into the draft a hypothesis that has kept to it (terms in place of the
        renderings aside) has come; -1 for one that left it, which is then judged by its last tokens.
        """
        if position >= 0 and self.at >= 0:
            return position == self.at
        if not self.before:
            return step == 0
        if step < len(self.before) or tuple(recent[-len(self.before) :]) != self.before:
            return False
        return top == (self.displaced[0] if self.displaced else self.after)


# The columns of the processor's placement table: one row per hypothesis, a _RowPlacement in tensor form.
_FORCING, _DISPLACED, _HOLD, _RESUMING, _SPELLING, _WRITTEN, _POSITION, _RESUME_AT = range(8)
# The columns of its state summary, per row: what of a row's SegmentPlan state the tensor path reads.
_IDLE, _UNMET, _NEED = range(3)


@dataclass
class _RowPlacement:
    """A hypothesis' placement in progress; inherited by the hypotheses that extend it."""

    forcing: int = -1  # term being written where the model reads its source, -1 when none
    displaced: int = -1  # the token the model wanted where the term went in: its own rendering begins so
    hold: int = 0  # steps the displaced token stays banned after the term is written
    resuming: bool = False  # a term replaced the model's rendering, and the row is steered back onto the draft
    spelling: tuple[int, ...] = ()  # the anchor's form of the term being written; () when the plan chooses
    written: int = 0  # tokens of spelling written so far
    position: int = 0  # the draft token this row is at, when it has kept to the draft; -1 once it left it
    resume_at: int = -1  # where in the draft the row goes on after the term being written; -1 when not at an anchor

    def to_row(self, spelling_id: int) -> list[int]:
        """The placement as a row of the table, its spelling given by the id the processor interned it under."""
        return [
            self.forcing, self.displaced, self.hold, int(self.resuming), spelling_id, self.written,
            self.position, self.resume_at,
        ]

    @classmethod
    def from_row(cls, row: Sequence[int], spellings: Sequence[tuple[int, ...]]) -> _RowPlacement:
        return cls(
            row[_FORCING], row[_DISPLACED], row[_HOLD], bool(row[_RESUMING]), spellings[row[_SPELLING]],
            row[_WRITTEN], row[_POSITION], row[_RESUME_AT],
        )


class _ScoreEdits:
    """Changes to a step's scores: gathered per row in Python for the rows steered there, as tensors
    for the rest, and applied to the scores at once."""

    def __init__(self, vocab: TargetVocab) -> None:
        self.vocab = vocab
        self.bias_rows: list[int] = []
        self.bias_tokens: list[int] = []
        self.bias_values: list[float] = []
        self.ban_rows: list[int] = []
        self.ban_tokens: list[int] = []
        self.glue_rows: list[int] = []
        self.glue_allowed: list[tuple[int, int]] = []
        self.forced: dict[int, list[int]] = {}
        self._tensor_bias: list[tuple[torch.Tensor, torch.Tensor, float]] = []
        self._tensor_bans: list[tuple[torch.Tensor, torch.Tensor]] = []

    def bias_all(self, rows: torch.Tensor, tokens: torch.Tensor, value: float) -> None:
        """Add value to the score of tokens[k] in rows[k], for every k (tensors on the scores' device)."""
        if rows.numel():
            self._tensor_bias.append((rows, tokens, value))

    def ban_all(self, rows: torch.Tensor, tokens: torch.Tensor) -> None:
        """Ban tokens[k] in rows[k], for every k (tensors on the scores' device)."""
        if rows.numel():
            self._tensor_bans.append((rows, tokens))

    def apply(self, scores: torch.Tensor, renormalise: bool) -> torch.Tensor:
        device = scores.device
        bias = [(torch.tensor(self.bias_rows, device=device, dtype=torch.long),
                 torch.tensor(self.bias_tokens, device=device, dtype=torch.long),
                 torch.tensor(self.bias_values, device=device, dtype=scores.dtype))] if self.bias_rows else []
        bias += [
            (rows, tokens, torch.full(rows.shape, value, dtype=scores.dtype, device=device))
            for rows, tokens, value in self._tensor_bias
        ]
        if bias:
            rows, tokens, values = (torch.cat(parts) for parts in zip(*bias))
            scores.index_put_((rows, tokens), values, accumulate=True)
            if renormalise:
                # Renormalised, a bonus reshapes the row's distribution instead of adding to the beam score.
                rows = torch.unique(rows)
                scores[rows] -= torch.logsumexp(scores[rows], dim=-1, keepdim=True)
        if self.glue_rows:
            # A piece that begins with a letter or digit would lengthen the term just written into another word.
            rows = torch.tensor(self.glue_rows, device=device)
            kept = None
            if self.glue_allowed:  # pieces that lengthen the term into an accepted variant stay as they were
                kept_rows, kept_cols = (torch.tensor(v, device=device) for v in zip(*self.glue_allowed))
                kept = scores[kept_rows, kept_cols].clone()
            scores[rows] = scores[rows].masked_fill(self.vocab.glue_mask.to(device), float("-inf"))
            if kept is not None:
                scores[kept_rows, kept_cols] = kept
        bans = [(torch.tensor(self.ban_rows, device=device, dtype=torch.long),
                 torch.tensor(self.ban_tokens, device=device, dtype=torch.long))] if self.ban_rows else []
        bans += self._tensor_bans
        if bans:
            rows, tokens = (torch.cat(parts) for parts in zip(*bans))
            scores[rows, tokens] = float("-inf")
        if self.forced:
            # A term written where the model reads its source costs its hypothesis nothing: the beam is
            # then judged by how the model goes on from it, not by how little it expected the term.
            pairs = [(row, token) for row, tokens in self.forced.items() for token in tokens]
            rows, cols = (torch.tensor(v, device=device) for v in zip(*pairs))
            scores[torch.tensor(list(self.forced), device=device)] = float("-inf")
            scores[rows, cols] = 0.0
        return scores


def _member(values: torch.Tensor, keys: torch.Tensor) -> torch.Tensor:
    """values' elements that are among keys (sorted, unique): a binary search, cheaper than torch.isin per step."""
    if not keys.numel():
        return torch.zeros_like(values, dtype=torch.bool)
    at = torch.searchsorted(keys, values).clamp(max=keys.numel() - 1)
    return keys[at] == values


class _BatchTables:
    """What the processor's tensor path looks rows up in, made once per decode on the scores' device:
    each row's segment, the drafts, the term tokens, and where anchors and forbidden renderings may fire."""

    def __init__(self, processor: TermConstraintProcessor, rows: int, width: int, device: torch.device) -> None:
        plans, drafts, beams = processor.plans, processor.drafts, processor.num_beams
        self.width = width
        self.row_item = torch.arange(rows, device=device) // beams
        self.has_plan = torch.tensor([bool(plans[r // beams]) for r in range(rows)], device=device)
        longest = max(map(len, drafts), default=0) + 1  # a column of -1 past the longest draft
        self.span = longest
        table = torch.full((len(drafts), longest), -1, dtype=torch.long)
        for k, draft in enumerate(drafts):
            table[k, : len(draft)] = torch.tensor(draft, dtype=torch.long)
        self.drafts = table.to(device)
        lengths = torch.tensor([len(d) for d in drafts], dtype=torch.long, device=device)
        self.draft_length = lengths[self.row_item]  # per row: its draft's length
        # Keys of (segment, token): the tokens of its terms, the token an anchor waits for (displaced or
        # next), and the last token before one that may end a forbidden rendering; and (segment, draft
        # position) of anchors.
        terms, wanted, positions, forbidden_after, always = [], [], [], [], []
        for k, (plan, anchors) in enumerate(zip(plans, processor.anchors)):
            terms.extend(k * width + t for t in plan.tokens)
            for anchor in (a for found in anchors.values() for a in found):
                wanted.append(k * width + (anchor.displaced[0] if anchor.displaced else anchor.after))
                if anchor.at >= 0:
                    positions.append(k * longest + anchor.at)
            single, after = plan.forbidden_triggers()
            always.append(single)
            forbidden_after.extend(k * width + t for t in after)
        self._terms = torch.tensor(sorted(set(terms)), dtype=torch.long, device=device)
        self._wanted = torch.tensor(sorted(set(wanted)), dtype=torch.long, device=device)
        self._positions = torch.tensor(sorted(set(positions)), dtype=torch.long, device=device)
        self._forbidden_after = torch.tensor(sorted(set(forbidden_after)), dtype=torch.long, device=device)
        self._always = torch.tensor(always, dtype=torch.bool, device=device)

    def holds_term_token(self, token: torch.Tensor) -> torch.Tensor:
        """Per row: is token one of its segment's term tokens (the only ones that change an idle state)?"""
        return _member(self.row_item * self.width + token, self._terms)

    def draft_token(self, position: torch.Tensor) -> torch.Tensor:
        """Per row: its draft's token at position; -1 past the draft's end or at -1."""
        at = position.clamp(0, self.span - 1)
        return torch.where(position >= 0, self.drafts[self.row_item, at], -1)

    def at_anchor(self, wanted: torch.Tensor, position: torch.Tensor) -> torch.Tensor:
        """Per row: may an anchor of its segment fit (the token it waits for is wanted, or the row is at its
        draft position)? A superset of Anchor.fits, which the rows it marks are then asked in Python."""
        waits = _member(self.row_item * self.width + wanted, self._wanted)
        return waits | (position >= 0) & _member(self.row_item * self.span + position, self._positions)

    def may_ban_after(self, last: torch.Tensor) -> torch.Tensor:
        """Per row: may a forbidden rendering of its segment end with the next token?"""
        return self._always[self.row_item] | _member(self.row_item * self.width + last, self._forbidden_after)


class TermConstraintProcessor(LogitsProcessor):
    """Writes every hypothesis' glossary terms where the model translates them (batch x beams rows).

    Each segment may come with the model's own draft and Anchors read off it (engines/placement.py).
    A row that has kept to the draft reaches an anchor at its draft position (a row that left the
    draft, when it ends with the anchor's context and the model is about to write its rendering):
    the term is written there instead, in the anchor's form, at no cost to the row's score, and the
    token the model wanted is held back for a few steps so it does not write its rendering as well.
    After the term the row is steered back onto the draft (resume_bonus on the draft's next token),
    and a row that writes it stays on the draft for the next anchor. A term the model begins
    by itself is continued. A finished term may not be glued into a longer word, except into an
    accepted variant. Forbidden renderings are banned. As last resorts, end-of-sentence is banned while
    a term is unmet (the term is written when the model wants to stop), and once the token budget
    only just holds the unmet terms only tokens that make progress on them are allowed; `fallbacks`
    records the hypotheses these touched, so the engine can say so.
    """

    def __init__(
        self,
        plans: Sequence[SegmentPlan],
        vocab: TargetVocab,
        *,
        num_beams: int,
        budget: int,
        prompt_length: int = 1,
        anchors: Sequence[dict[int, list[Anchor]]] | None = None,
        drafts: Sequence[Sequence[int]] | None = None,
        hold_steps: int = 3,
        continue_bonus: float = 8.0,
        resume_bonus: float = 20.0,
    ) -> None:
        self.plans = list(plans)
        self.vocab = vocab
        self.num_beams = num_beams
        self.budget = budget  # tokens the processor may plan with; the engine keeps one back for </s>
        self.prompt_length = prompt_length
        self.anchors = list(anchors) if anchors is not None else [{} for _ in self.plans]
        # The model's own drafts the anchors were read off (ids without the start token); () when none.
        self.drafts = [tuple(d) for d in drafts] if drafts is not None else [() for _ in self.plans]
        self.hold_steps = hold_steps
        self.continue_bonus = continue_bonus
        self.resume_bonus = resume_bonus
        self.calls = 0  # steps seen: tests check that generate really ran through the processor
        self.fallbacks: list[set[tuple[int, ...]]] = [set() for _ in self.plans]  # prefixes a last resort touched
        # Rows are steered by tensor operations over the batch, except those at an event (a row new
        # to the processor, a term being written, begun or just ended, an anchor or the end reached,
        # the last resort, a forbidden rendering that may end): those go through Python, one by one.
        # False steers every row in Python: the reference the tensor path is tested against.
        self.vectorised = True
        self.python_rows = 0  # rows steered in Python so far, of rows_seen
        self.rows_seen = 0
        self._steerings: list[dict[int, _Steering]] = [{} for _ in self.plans]  # per segment, by state
        self._batch: _BatchTables | None = None
        self._states: list[int] = []  # per row: its progress on its segment's terms (a SegmentPlan state)
        self._table = torch.zeros(0, 8, dtype=torch.long)  # per row: its _RowPlacement, columns _FORCING...
        self._state_rows = torch.zeros(0, 3, dtype=torch.long)  # per row: _IDLE, _UNMET, _NEED
        self._spellings: list[tuple[int, ...]] = [()]  # the anchors' forms in the table's _SPELLING column, by id
        self._spelling_ids: dict[tuple[int, ...], int] = {(): 0}
        self._previous_ids: torch.Tensor | None = None
        self._progress: dict[tuple[int, int, bool], list[int]] = {}  # last-resort tokens, this step
        # The last resort's candidate tokens and what each leaves to write, per segment state: for every step.
        self._needs: dict[tuple[int, int, bool], dict[int, int]] = {}
        self._window = max([2, *(len(f) for plan in self.plans for f in plan.forbidden)])

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        self.calls += 1
        step = input_ids.shape[1] - self.prompt_length
        batch = self._batch
        if batch is None or batch.row_item.numel() != input_ids.shape[0]:
            batch = self._batch = _BatchTables(self, input_ids.shape[0], scores.shape[-1], input_ids.device)
        parents = self._parents(input_ids) if step > 0 and self._previous_ids is not None else None
        python = self._advance(input_ids, step, parents)
        self._previous_ids = input_ids.clone()
        remaining = self.budget - step  # tokens left, the one chosen now included
        if remaining <= 0:
            return scores
        table, last = self._table, input_ids[:, -1]
        if step > 0:
            # The token written last step kept each row that is not writing a term on the draft, or took it off.
            position = table[:, _POSITION]
            on = (position < batch.draft_length) & (last == batch.draft_token(position))
            moving = (table[:, _FORCING] < 0) & (position >= 0)
            table[:, _POSITION] = torch.where(moving, torch.where(on, position + 1, -1), position)
        top = scores.argmax(-1)
        edits = _ScoreEdits(self.vocab)
        self._progress = {}
        if parents is not None and self.vectorised:
            python = self._steer_batch(python, step, remaining, last, top, edits) & batch.has_plan
        else:
            python = batch.has_plan.clone()
        self._steer_rows(python, input_ids, step, remaining, top, edits)
        # Only beam search adds scores up across steps; greedy and sampling need no renormalising.
        return edits.apply(scores, renormalise=self.num_beams > 1)

    def _parents(self, input_ids: torch.Tensor) -> torch.Tensor:
        """For each row, the row of the previous step it extends; -1 when none matches."""
        # Beam search reorders rows every step; the parent is the previous row whose ids are this
        # row's prefix, found on the device in one comparison instead of per-row Python keys.
        previous, current = self._previous_ids, input_ids[:, :-1]
        if previous.shape != current.shape:
            return torch.full((input_ids.shape[0],), -1, dtype=torch.long, device=input_ids.device)
        rows, length = current.shape
        beams = self.num_beams
        match = (current.view(-1, beams, 1, length) == previous.view(-1, 1, beams, length)).all(-1)
        local = match.int().argmax(-1)
        offset = torch.arange(0, rows, beams, device=input_ids.device).unsqueeze(1)
        return (local + offset).masked_fill(~match.any(-1), -1).flatten()

    def _advance(self, input_ids: torch.Tensor, step: int, parents: torch.Tensor | None) -> torch.Tensor:
        """Each row's state and placement after the token it wrote last, inherited from its parent.
        Only rows whose state the token may change are advanced in Python. Returns the mask of rows
        that must be steered in Python: new rows, and rows in the middle of a term or just after one."""
        if parents is None:
            return self._start(input_ids)
        device = input_ids.device
        known = parents >= 0
        inherited = parents.clamp(min=0)
        self._table = self._table[inherited]
        if not bool(known.all()):
            self._table[~known] = torch.tensor(_RowPlacement(position=-1).to_row(0), device=device)
        self._state_rows = self._state_rows[inherited]
        # A token outside its segment's terms leaves an idle state as it was.
        may_change = ~known | (self._state_rows[:, _IDLE] == 0) | self._batch.holds_term_token(input_ids[:, -1])
        changed = may_change.nonzero().flatten().tolist()
        plans, beams, previous, parent_of = self.plans, self.num_beams, self._states, parents.tolist()
        states = [previous[p] if p >= 0 else 0 for p in parent_of]
        if changed:
            ends_in_word = self.vocab.ends_in_word
            for row, (before, last) in zip(changed, input_ids[changed, -2:].tolist()):
                plan, parent = plans[row // beams], parent_of[row]
                if parent < 0:
                    states[row] = self._replay(plan, input_ids[row].tolist())
                else:
                    states[row] = plan.advance(previous[parent], last, step >= 2 and not ends_in_word(before))
            summaries = [self._summary(row // beams, states[row]) for row in changed]
            self._state_rows[changed] = torch.tensor(summaries, dtype=torch.long, device=device)
        self._states = states
        return ~known | (self._state_rows[:, _IDLE] == 0)

    def _start(self, input_ids: torch.Tensor) -> torch.Tensor:
        """Every row's state from all its ids, and a fresh placement (the first step); all rows go to Python."""
        rows, device, beams = input_ids.shape[0], input_ids.device, self.num_beams
        self._table = torch.tensor([_RowPlacement().to_row(0)], device=device).repeat(rows, 1)
        batch = self._batch
        self._table[:, _POSITION] = torch.where(batch.draft_length > 0, 0, -1)  # no draft: never on it
        self._states = [self._replay(self.plans[r // beams], ids) for r, ids in enumerate(input_ids.tolist())]
        summaries = [self._summary(r // beams, state) for r, state in enumerate(self._states)]
        self._state_rows = torch.tensor(summaries, dtype=torch.long, device=device).view(rows, 3)
        return torch.ones(rows, dtype=torch.bool, device=device)

    def _summary(self, item: int, state: int) -> tuple[int, int, int]:
        """(idle, some term unmet, tokens the unmet terms need without their partial matches) of a state."""
        steering = self._steering(item, state)
        return int(self.plans[item].idle(state)), int(bool(steering.unmet)), steering.need_free

    def _steer_batch(
        self, python: torch.Tensor, step: int, remaining: int, last: torch.Tensor, top: torch.Tensor, edits: _ScoreEdits
    ) -> torch.Tensor:
        """Steer every row at no event by tensor operations; returns the mask of rows left to Python (events)."""
        batch, table = self._batch, self._table
        unmet = self._state_rows[:, _UNMET] > 0
        position = table[:, _POSITION]
        on_draft = (position >= 0) & (position < batch.draft_length)
        at_draft = batch.draft_token(position)
        # A row resuming the draft is about to write the draft's next token, whatever the model's top.
        wanted = torch.where((table[:, _RESUMING] > 0) & on_draft, at_draft, top)
        events = (
            python
            | (table[:, _FORCING] >= 0)  # writing a term (its last token is a term token too; this does not rely on it)
            | unmet & (self._state_rows[:, _NEED] > remaining - 1)  # the last resort
            | unmet & ((top == self.vocab.eos_id) | batch.at_anchor(wanted, position))
            | batch.may_ban_after(last)
        )
        quiet = batch.has_plan & ~events
        # The rest of _steer for a row at no event: the displaced token held back, the draft resumed, no end while a term is unmet.
        hold = table[:, _HOLD]
        holding = quiet & (hold > 0)
        table[:, _HOLD] = torch.where(holding, hold - 1, hold)
        displaced = table[:, _DISPLACED]
        next_in_draft = torch.where(on_draft, at_draft, -1)
        held = holding & (displaced >= 0) & (displaced != self.vocab.eos_id) & (displaced != next_in_draft)
        edits.ban_all(held.nonzero().flatten(), displaced[held])
        resume = quiet & (table[:, _RESUMING] > 0) & on_draft
        edits.bias_all(resume.nonzero().flatten(), at_draft[resume], self.resume_bonus)
        ended = (quiet & unmet).nonzero().flatten()
        edits.ban_all(ended, torch.full_like(ended, self.vocab.eos_id))
        return events

    def _steer_rows(
        self, python: torch.Tensor, input_ids: torch.Tensor, step: int, remaining: int, top: torch.Tensor, edits: _ScoreEdits
    ) -> None:
        """Steer the rows of the mask in Python, one by one, and write their placements back to the table."""
        rows = python.nonzero().flatten()
        self.rows_seen += input_ids.shape[0]
        self.python_rows += rows.numel()
        if not rows.numel():
            return
        listed = rows.tolist()
        placements = [_RowPlacement.from_row(r, self._spellings) for r in self._table[rows].tolist()]
        ids = input_ids[rows].tolist()
        tops = top[rows].tolist()
        for row, placement, row_ids, wanted in zip(listed, placements, ids, tops):
            item = row // self.num_beams
            self._steer(self.plans[item], self._states[row], row_ids, row, step, remaining, wanted, placement, edits)
        self._table[rows] = torch.tensor(
            [p.to_row(self._spelling_id(p.spelling)) for p in placements],
            dtype=torch.long, device=self._table.device,
        )

    def _spelling_id(self, spelling: tuple[int, ...]) -> int:
        known = self._spelling_ids.get(spelling)
        if known is None:
            known = self._spelling_ids[spelling] = len(self._spellings)
            self._spellings.append(spelling)
        return known

    def _replay(self, plan: SegmentPlan, ids: list[int]) -> int:
        """A row's state computed from all its ids (first step, or a row whose parent is unknown)."""
        state = plan.initial
        for position in range(self.prompt_length, len(ids)):
            state = plan.advance(state, ids[position], self._after_punctuation(ids, position))
        return state

    def _after_punctuation(self, ids: Sequence[int], position: int) -> bool:
        return position > self.prompt_length and not self.vocab.ends_in_word(ids[position - 1])

    def _steer(
        self,
        plan: SegmentPlan,
        state: int,
        ids: list[int],
        row: int,
        step: int,
        remaining: int,
        top: int,
        placement: _RowPlacement,
        edits: _ScoreEdits,
    ) -> None:
        """Add this row's bans and bonuses, or its forced tokens; ids are all it has written."""
        item = row // self.num_beams
        steering = self._steering(item, state)
        recent = ids[-self._window :]
        after_punctuation = step >= 1 and not self.vocab.ends_in_word(recent[-1])
        draft = self.drafts[item]
        if steering.unmet and steering.need_free > remaining - 1:
            # Last resort: the budget only just holds the unmet terms.
            key = (item, state, after_punctuation)
            if key not in self._progress:  # the same for every row of the segment in this state, this step
                needs = self._needs.get(key)
                if needs is None:
                    needs = self._needs[key] = self._candidate_needs(plan, state, after_punctuation, steering.unmet)
                self._progress[key] = self._progress_tokens(needs, remaining)
            edits.forced[row] = self._progress[key]
            self.fallbacks[item].add(tuple(ids))
            return
        if placement.forcing >= 0:
            i = placement.forcing
            if placement.written < len(placement.spelling):
                edits.forced[row] = [placement.spelling[placement.written]]
                placement.written += 1
                return
            if not placement.spelling and i in steering.unmet and plan.partials(state, i):
                edits.forced[row] = sorted(plan.next_tokens(state, i, deepest_only=True))
                return
            placement.forcing, placement.hold = -1, self.hold_steps
            placement.position = placement.resume_at  # the draft goes on after the rendering the term replaced
            placement.resuming = placement.position >= 0
        if steering.must_lengthen:
            edits.forced[row] = sorted(steering.may_lengthen)
            return
        if steering.ended:
            edits.glue_rows.append(row)
            edits.glue_allowed.extend((row, t) for t in steering.may_lengthen)
        if placement.hold > 0:
            placement.hold -= 1
            # Held back, unless it is how the draft itself goes on after the rendering the term replaced.
            next_in_draft = draft[placement.position] if 0 <= placement.position < len(draft) else -1
            if placement.displaced >= 0 and placement.displaced not in (self.vocab.eos_id, next_in_draft):
                edits.ban_rows.append(row)
                edits.ban_tokens.append(placement.displaced)
        if steering.unmet and self._place(plan, state, steering, row, step, top, ids, placement, edits):
            return
        if placement.resuming and 0 <= placement.position < len(draft):
            # After a term written in place of the model's rendering, the model's own draft goes on:
            # a model that never saw the term in this sentence would otherwise lose its way after it.
            edits.bias_rows.append(row)
            edits.bias_tokens.append(draft[placement.position])
            edits.bias_values.append(self.resume_bonus)
        if steering.unmet:
            edits.bias_rows.extend([row] * len(steering.bonus_tokens))
            edits.bias_tokens.extend(steering.bonus_tokens)
            edits.bias_values.extend(steering.bonuses)
            edits.ban_rows.append(row)
            edits.ban_tokens.append(self.vocab.eos_id)
        self._ban_forbidden(plan, steering, recent, row, edits)

    @staticmethod
    def _ban_forbidden(plan: SegmentPlan, steering: _Steering, recent: list[int], row: int, edits: _ScoreEdits) -> None:
        # The start token never occurs in a forbidden rendering, so the window may include it.
        if plan.forbidden and plan.may_ban_after(recent[-1]):
            banned = plan.forbidden_next(recent) - steering.continuing
            edits.ban_rows.extend([row] * len(banned))
            edits.ban_tokens.extend(banned)

    def _place(
        self,
        plan: SegmentPlan,
        state: int,
        steering: _Steering,
        row: int,
        step: int,
        top: int,
        ids: list[int],
        placement: _RowPlacement,
        edits: _ScoreEdits,
    ) -> bool:
        """Begin writing an unmet term at its anchor in the model's draft (or when the model wants to stop); True when begun."""
        item = row // self.num_beams
        draft = self.drafts[item]
        recent = ids[-self._window :]
        # A row resuming the draft is about to write the draft's next token, whatever the model's top.
        on_draft = placement.resuming and 0 <= placement.position < len(draft)
        wanted = draft[placement.position] if on_draft else top
        inside_word = step > 0 and not self.vocab.starts_word(wanted) and self.vocab.ends_in_word(recent[-1])
        if any(plan.partials(state, i) for i in steering.unmet) or inside_word:
            return False  # the model is inside a word, or already writing a term
        chosen, displaced, anchor = -1, top, None
        for i in steering.unmet:
            anchor = next(
                (a for a in self.anchors[item].get(i, ()) if a.fits(recent, step, wanted, placement.position)), None
            )
            if anchor is not None:
                chosen, displaced = i, anchor.displaced[0] if anchor.displaced else -1
                break
        if chosen < 0 and top == self.vocab.eos_id:
            chosen = steering.unmet[0]  # last resort: the model wants to stop with a term unmet
            self.fallbacks[item].add(tuple(ids))
        if chosen < 0:
            return False
        spelling = plan.spellings[chosen]
        at_anchor = anchor is not None
        if spelling.glued and step > 0 and not self.vocab.ends_in_word(recent[-1]) and self.vocab.glue_mask[wanted]:
            seq = spelling.glued  # right after an opening bracket or quote, where no '▁' comes
        elif at_anchor and anchor.spelling:
            seq = anchor.spelling  # the form the draft's own rendering called for
        elif step == 0 or self.vocab.starts_sentence(recent):
            seq = spelling.capitalised
        else:
            seq = spelling.primary
        edits.forced[row] = [seq[0]]
        placement.forcing = chosen
        placement.displaced = displaced if displaced != seq[0] else -1
        placement.spelling, placement.written = (seq, 1) if at_anchor and anchor.spelling else ((), 0)
        placement.resuming = False
        placement.resume_at = anchor.at + len(anchor.displaced) if anchor is not None and anchor.at >= 0 else -1
        return True

    def _steering(self, item: int, state: int) -> _Steering:
        memo = self._steerings[item]
        steering = memo.get(state)
        if steering is None:
            plan = self.plans[item]
            unmet = plan.unmet(state)
            bonus = self._bonuses(plan, state, unmet)
            ended, may_lengthen, must = plan.word_edge(state)
            steering = _Steering(
                need_free=plan.need(state, keep_partials=False),
                unmet=tuple(unmet),
                bonus_tokens=tuple(bonus),
                bonuses=tuple(bonus.values()),
                continuing=frozenset(t for i in unmet for t in plan.next_tokens(state, i)),
                ended=ended,
                may_lengthen=may_lengthen,
                must_lengthen=must,
            )
            memo[state] = steering
        return steering

    def _bonuses(self, plan: SegmentPlan, state: int, unmet: list[int]) -> dict[int, float]:
        """Token -> bonus: the deepest partial term the model began by itself goes on."""
        # A bare '▁' begins many spellings; without a depth rule its shallow matches would tie with
        # (and interrupt) a term that is half written.
        deepest = max((p for i in unmet for _, p in plan.partials(state, i)), default=0)
        bonus: dict[int, float] = {}
        for i in unmet:
            spelling = plan.spellings[i]
            for s, p in plan.partials(state, i):
                if p == deepest:
                    bonus[spelling.spellings[s][p]] = self.continue_bonus
        return bonus

    @staticmethod
    def _candidate_needs(plan: SegmentPlan, state: int, after_punctuation: bool, unmet: Sequence[int]) -> dict[int, int]:
        """Token -> tokens the unmet terms still need after it, for each token that goes on with or begins one."""
        candidates: set[int] = set()
        for i in unmet:
            candidates |= plan.next_tokens(state, i) | plan.start_tokens(i)
        return {t: plan.need(plan.advance(state, t, after_punctuation)) for t in candidates}

    @staticmethod
    def _progress_tokens(needs: dict[int, int], remaining: int) -> list[int]:
        """Tokens after which the unmet terms still fit in the budget; the best ones when none do."""
        fitting = [t for t, n in needs.items() if n <= remaining - 1]
        return sorted(fitting) or [t for t, n in needs.items() if n == min(needs.values())]
