"""Spelling glossary terms in the model's target vocabulary, and what a segment's English must hold: no torch.

TargetVocab reads the target side of a MarianMT tokenizer (word edges, sentence starts); TermSpelling
lists every token sequence that writes a term; SegmentPlan tracks a hypothesis' progress on a
segment's terms; Anchor says where a term goes in the model's draft. Both engines' repair
(engines/repair.py) and the transformers engine's logits processor (engines/constraints.py) read them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from ..forms import form_for, term_forms
from ..quality.enforce import is_word_character
from ..script import MODEL_SCRIPT_DEFAULT
from ..terms import Term
from .vocabularies import target_size

# The enforcement behaviour recorded in each segment's provenance signature (enf:N); bump it
# whenever a change here can change the English a model writes under the same glossary.
# 2: draft-anchored placement, whole-word terms; 3: the model's own renderings located, the draft resumed;
# 4: the term spliced into the draft in place of its rendering (or the words that owe most to its Chinese);
# 5: a term that begins a later sentence of the segment is capitalised, as one that begins the first;
# 6: the plural where the model's rendering was, a/an and a verb/determiner fitted to the term, one repair.
# 7: the model's renderings of a term inside the sentences of a document, learned from its drafts, are located too.
# 8: learned renderings in every placement, each used where the model still expects the words after it.
ENFORCEMENT_VERSION = "9"
# Openers after which SentencePiece spells the next word without its '▁' word-start marker.
_OPENERS = ("(", '"')
# What ends a sentence, what may close it after that, and what may open the next before its first word.
_SENTENCE_ENDS = frozenset(".!?…")
_CLOSERS = "\"'”’)）]」』"
_OPENING = frozenset("\"'“‘(（[「『")


def enforcement_signature(options: Any) -> dict[str, str]:
    """What of an engine's options (EngineOptions) can change its English under one glossary, for provenance:
    beams, the length limit ('auto' when derived per batch), the enforcement version, the repair and placement,
    and the script the model is fed where it is not the default (model-script:as-written).

    The model script is left out at its default, as the precision is where it is float32: a simplified
    article reads the same under either value, so the signatures of articles made before the setting
    existed stay as they were (traditional ones were then fed as written, which is no longer the default).
    """
    limit = options.max_new_tokens
    settings = {
        "beams": str(options.num_beams), "maxlen": str(limit) if limit else "auto",
        "enf": ENFORCEMENT_VERSION, "repair": options.term_repair, "placement": options.placement,
    }
    if options.model_script != MODEL_SCRIPT_DEFAULT:
        settings["model-script"] = options.model_script
    return settings


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
    def glue_starts(self) -> list[bool]:
        """Per piece: True when it begins with a Latin letter or digit, so it would lengthen the word before it."""
        return [bool(p) and is_word_character(p[0]) for p in self._pieces]

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
    plural: tuple[int, ...] = ()  # the plural (forms.form_for) mid-sentence, where a plural rendering stood; () when none
    plural_capitalised: tuple[int, ...] = ()  # the plural at the start of a sentence; () when none

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
    for text in term_forms(term):  # the accepted English and, unless invariable, its plurals
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
    many = form_for(term, plural_wanted=True)
    plural = vocab.encode(many) if many != term.target else ()
    plural_upper = vocab.encode(capitalised(many)) if plural else ()
    return TermSpelling(
        term=term,
        spellings=tuple(free),
        free_start=tuple(free.values()),
        primary=primary,
        capitalised=upper if vocab.spellable(upper) else primary,
        forbidden=tuple(f for f in forbidden if vocab.spellable(f)),
        glued=next((ids for ids, is_free in free.items() if not is_free), ()),
        plural=plural if vocab.spellable(plural) else (),
        plural_capitalised=plural_upper if vocab.spellable(plural_upper) else (),
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
    method: str = ""  # how the place was found: a document.TermMethod value (rewritten, spliced, placed)
    detail: str = ""  # what a reviewer should know about the place ("source not found"), "" when nothing

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
