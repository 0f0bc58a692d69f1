"""Where the model's own rendering of a term stands in its draft, found by the words of the rendering.

The model is asked how it renders a term's Chinese alone (engines/marian.py); the glossary lists the
renderings it forbids. Either, found in the draft as whole words, is where the model translated the
term, and so where the term goes. Matching is by words, lower-cased, the last word singular or
plural, so 'lithium cell' finds 'lithium cells' and says the draft's rendering was plural.
"""

from __future__ import annotations

import difflib
import functools
import re
import weakref
from collections.abc import Callable, Sequence
from typing import Any

from ..forms import word_kinds
from ..script import to_model_script
from ..terms import Term
from .spelling import TargetVocab

RENDERINGS = 4  # the model's n-best translations of a term alone, looked for in its draft
RENDERING_TOKENS = 16  # a term's rendering is short; a longer output is not one
MAX_RENDERING_WORDS = 8  # a longer 'rendering' of a term translated alone is a sentence, not a rendering
PARTIAL_WORDS = 4  # a rendering of more words is found whole or not at all: half of a made-up sentence is no rendering
# Words that never locate a rendering by themselves: a match must hold one word besides these.
_FUNCTION_WORDS = frozenset(
    "a an the of and or in on at to for by with from as is are was were be 's ' s , . ; : - ( ) \" “ ” ‘ ’".split()
)
_ARTICLES = (["the"], ["a"], ["an"])

# A word of a token sequence: (first token, end token, lower-cased text).
_Word = tuple[int, int, str]


def _words(pieces: Sequence[str], vocab: TargetVocab, ids: Sequence[int]) -> list[_Word]:
    """(first token, end token, lower-cased text) of each word of ids: a word-start piece and the pieces glued to it."""
    words: list[_Word] = []
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


@functools.lru_cache(maxsize=8192)
def is_content_word(word: str) -> bool:
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


def _starts(at: dict[str, list[int]], word: str, last: bool) -> list[int]:
    """Where in the draft a run beginning with word may begin: the draft's words equal to it (or, when
    it is also the run's last word, its plural or singular), from at (each draft word's positions)."""
    if not last or not word.isalpha():
        return at.get(word, [])
    return sorted(k for other, places in at.items() if _same_word(other, word, True)[0] for k in places)


def _find_run(
    draft_words: Sequence[_Word],
    run: Sequence[str],
    taken: Sequence[tuple[int, int]],
    length: int,
    at: dict[str, list[int]],
) -> tuple[int, int, bool] | None:
    """(first word, end word, plural) of the first place the words of run stand in draft_words (indexes
    into it), outside the spans taken and before the draft's last token (its </s>); None when nowhere.
    at: the positions of each word of draft_words."""
    for k in _starts(at, run[0], len(run) == 1):
        if k + len(run) > len(draft_words):
            break
        plural = False
        for n, word in enumerate(run):
            same, plural = _same_word(draft_words[k + n][2], word, n == len(run) - 1)
            if not same:
                break
        else:
            first, end = draft_words[k][0], draft_words[k + len(run) - 1][1]
            if end < length and not any(a < end and first < b for a, b in taken):
                return k, k + len(run), plural
    return None


# Per vocabulary, each rendering's words: the same few renderings are looked for in every segment.
_RENDERING_WORDS: weakref.WeakKeyDictionary[TargetVocab, dict[str, list[str]]] = weakref.WeakKeyDictionary()


def _rendering_words(tokenizer: Any, vocab: TargetVocab, rendering: str) -> list[str]:
    """The lower-cased words of a rendering as the draft's words are read, a leading article dropped."""
    known = _RENDERING_WORDS.setdefault(vocab, {})
    if rendering not in known:
        ids = vocab.encode(rendering.strip().rstrip(".;,"))
        words = [w for _, _, w in _words(tokenizer.convert_ids_to_tokens(list(ids)), vocab, ids)]
        known[rendering] = words[1:] if words[:1] in _ARTICLES else words
    return known[rendering]


class DraftWords:
    """A draft read as words once, for looking up every missing term's renderings in it."""

    def __init__(self, tokenizer: Any, vocab: TargetVocab, draft: Sequence[int]) -> None:
        self.length = len(draft)
        pieces = tokenizer.convert_ids_to_tokens(list(draft))
        self.words = _words(pieces, vocab, draft)
        # Whether each word begins with a capital letter (its text above is lower-cased).
        self.capitals = ["".join(pieces[first:end]).lstrip("\u2581")[:1].isupper() for first, end, _ in self.words]
        self.at: dict[str, list[int]] = {}  # each word's positions among self.words
        for k, (_, _, word) in enumerate(self.words):
            self.at.setdefault(word, []).append(k)


def locate_rendering(
    tokenizer: Any,
    vocab: TargetVocab,
    draft: Sequence[int] | DraftWords,
    renderings: Sequence[str],
    taken: Sequence[tuple[int, int]],
    max_words: int = MAX_RENDERING_WORDS,
) -> tuple[int, int, bool] | None:
    """(first token, end token, plural) of the longest run of a rendering's words found in draft (its
    ids, or DraftWords read off them), or None.

    A run must hold at least half the rendering's words (all of them, past PARTIAL_WORDS words) and one
    word that is not a function word;
    renderings earlier in the list win ties, and the first one found whole ends the search. A
    rendering of more than max_words words is a sentence the model made up, not a rendering. Spans
    in taken are not used again.
    """
    found_whole = False
    read = draft if isinstance(draft, DraftWords) else DraftWords(tokenizer, vocab, draft)
    best: tuple[int, int, int, bool] | None = None  # (-words matched, first, end, plural)
    for rendering in renderings:
        if found_whole:
            break  # an earlier (more likely) rendering was found whole
        words = _rendering_words(tokenizer, vocab, rendering)
        if not words or len(words) > max_words:
            continue
        whole = len(words)
        shortest = max(1, (len(words) + 1) // 2) if len(words) <= PARTIAL_WORDS else len(words)
        for length in range(len(words), shortest - 1, -1):
            if best is not None and -best[0] >= length:
                break
            for offset in range(len(words) - length + 1):
                run = words[offset : offset + length]
                if not any(is_content_word(w) for w in run):
                    continue
                found = _find_run(read.words, run, taken, read.length, read.at)
                if found is not None and (best is None or length > -best[0]):
                    k, stop, plural = found
                    if length < whole:  # half of it: the rest may stand beside it, joined or capitalised
                        k, stop = _widened(read, k, stop, words[:offset], whole - offset - length, taken)
                    best = (-length, read.words[k][0], read.words[stop - 1][1], plural)
                    found_whole = length == whole
    return None if best is None else best[1:]


def _widened(
    read: DraftWords, k: int, stop: int, before: Sequence[str], after: int, taken: Sequence[tuple[int, int]]
) -> tuple[int, int]:
    """Words k..stop of a draft, where half of a rendering was found, widened over the draft words that
    stand for the rendering's other words: up to len(before) words before (`before`: the rendering's
    words before the half found) and `after` after, each joined to the run by a hyphen ('New-' of
    'New-quality productivity') or, beside a capitalised run, capitalised itself ('Jia' of 'Jia River'
    for 'Jiajiang River'); before the run, also a word that shares a stem with the rendering's word it
    stands for ('Multicrystal silicon' for 'polycrystalline silicon'; not 'two', 'its', 'Leshan' or
    'cheap silicon': a word that says something else). Never over a span taken."""
    words, capitals = read.words, read.capitals

    def free(j: int) -> bool:
        first, end, _ = words[j]
        return end < read.length and not any(a < end and first < b for a, b in taken)

    for wanted in reversed(before):
        j = k - 1
        if j >= 1 and words[j][2] == "-" and free(j - 1) and is_content_word(words[j - 1][2]):
            k = j - 1
        elif j >= 0 and capitals[k] and capitals[j] and free(j) and words[j][2].isalpha() and j > 0:
            k = j
        elif j >= 0 and free(j) and _same_stem(words[j][2], wanted):
            k = j  # the draft's own word for the rendering's ('Multicrystal' for 'polycrystalline')
        else:
            break
    for _ in range(after):
        j = stop
        if j + 1 < len(words) and words[j][2] == "-" and free(j + 1) and is_content_word(words[j + 1][2]):
            stop = j + 2
        elif j < len(words) and capitals[stop - 1] and capitals[j] and free(j) and words[j][2].isalpha():
            stop = j + 1
        else:
            break
    return k, stop


STEM_LETTERS = 5  # letters two words must share, in a row, to be one word's two spellings ('crystal')


def _same_stem(draft_word: str, rendering_word: str) -> bool:
    """True when a draft word and a rendering's word share a run of STEM_LETTERS letters or more, at least
    half of the shorter word: 'multicrystal' and 'polycrystalline' ('crystal'), not 'many' and
    'photovoltaic'. Both are lower-cased words of the draft and the rendering."""
    if not (draft_word.isalpha() and rendering_word.isalpha() and is_content_word(draft_word)):
        return False
    match = difflib.SequenceMatcher(None, draft_word, rendering_word, autojunk=False).find_longest_match()
    return match.size >= STEM_LETTERS and match.size >= 0.5 * min(len(draft_word), len(rendering_word))


ROMANISED_LETTERS = 5  # a shorter romanisation ('long' for 龙) is too often an English word


@functools.lru_cache(maxsize=4096)
def romanisations(chinese: str) -> tuple[str, ...]:
    """The letters of chinese in pinyin without tones ('baolelijia' for 保乐力加), where it is two Han
    characters or more and the letters are ROMANISED_LETTERS or more; else ()."""
    import unicodedata

    from pypinyin import lazy_pinyin  # a core dependency; its dictionary loads on first use

    if len(chinese) < 2 or not all("\u3400" <= c <= "\u9fff" or "\uf900" <= c <= "\ufaff" for c in chinese):
        return ()
    letters = "".join(lazy_pinyin(chinese, v_to_u=True))
    letters = "".join(c for c in unicodedata.normalize("NFKD", letters) if c.isascii() and c.isalpha()).lower()
    return (letters,) if len(letters) >= ROMANISED_LETTERS else ()


def locate_romanised(
    read: DraftWords, chinese: Sequence[str], taken: Sequence[tuple[int, int]], max_words: int = 4
) -> tuple[int, int, bool] | None:
    """(first token, end token, False) of the first run of one to max_words draft words, the first
    capitalised, whose letters spell the pinyin of one of chinese (romanisations): where the model did
    not know a name and wrote its sounds ('Baolelijia', 'Jia Jiang', 'Yi Bin'), that is its rendering of
    the term. None when none."""
    wanted = {letters for text in chinese for letters in romanisations(text)}
    if not wanted:
        return None
    words = read.words
    for k in range(len(words)):
        if not read.capitals[k]:
            continue
        letters = ""
        for n in range(k, min(len(words), k + max_words)):
            sound = "".join(c for c in words[n][2] if c.isascii() and c.isalpha())
            if not sound:  # a figure or a mark is no syllable: the run ends (or never starts) there
                break
            letters += sound
            if letters in wanted and not (n == k and word_kinds(sound)):  # 'Lining' is no 李宁
                first, end = words[k][0], words[n][1]
                if end < read.length and not any(a < end and first < b for a, b in taken):
                    return first, end, False
                break
            if not any(w.startswith(letters) for w in wanted):
                break
    return None


def own_renderings(
    known: dict[Term, list[str]], terms: Sequence[Term], n_best: Callable[[list[str]], list[list[str]]],
    model_script: str,
) -> dict[Term, list[str]]:
    """Per term: its forbidden renderings, then the model's own, asked once per term (known keeps them).

    n_best: the engine's RENDERINGS best translations of each Chinese text alone, fed in model_script
    (script.to_model_script), as the sentences are.
    """
    new = [t for t in dict.fromkeys(terms) if t not in known]
    if new:
        for term, texts in zip(new, n_best([to_model_script(t.source, model_script) for t in new])):
            known[term] = list(dict.fromkeys([*term.forbidden, *(text for text in texts if text.strip())]))
    return {t: known[t] for t in terms}


LEARNED_SENTENCES = 2  # a term's rendering is learned from at least this many drafts of sentences that hold it
LEARNED_DICE = 0.8  # how far a run of words must keep to the sentences that hold the term (Dice) to be its rendering
LEARNED_WORDS = 4  # the longest rendering learned


LEARNED_CONTEXT = 2000  # the most sentences an engine keeps drafts of to learn from (the latest)

class DraftContext:
    """The drafts an engine made in this run, by source sentence, to learn renderings from (learn_renderings).

    The pipeline hands an article to the engine a chunk at a time (so an interrupt keeps finished work),
    and a term may stand once in one chunk and once in another: learning from the drafts of the run so
    far, not of one call alone, sees both. Keyed by source, so a sentence translated again (a benchmark's
    rounds, a retranslation) counts once, with its latest draft; at most LEARNED_CONTEXT sentences.
    """

    def __init__(self) -> None:
        self._drafts: dict[str, tuple[str, tuple[Term, ...]]] = {}

    def learn(self, sources: Sequence[str], drafts: Sequence[str], terms: Sequence[Sequence[Term]]) -> dict[Term, list[str]]:
        """Add these drafts (of sources, holding terms), and learn from every draft kept.

        Learned from the words alone, a rendering may be false (a word that merely shares the term's
        sentences); the repair uses one only where the model agrees (repair.rest_holds)."""
        for source, draft, listed in zip(sources, drafts, terms, strict=True):
            self._drafts.pop(source, None)  # re-inserted: the latest stays last, the oldest go first
            self._drafts[source] = (draft, tuple(listed))
        while len(self._drafts) > LEARNED_CONTEXT:
            del self._drafts[next(iter(self._drafts))]
        kept = list(self._drafts.values())
        return learn_renderings([draft for draft, _ in kept], [listed for _, listed in kept])


def learn_renderings(drafts: Sequence[str], terms: Sequence[Sequence[Term]]) -> dict[Term, list[str]]:
    """Per term: how the model renders it inside sentences, learned from its drafts of a document.

    drafts[k] is the model's English for a source whose terms are terms[k]. A model may write a term in
    a sentence in a way it never writes for the term alone; it writes it that way in every sentence
    that holds the term. So the run of one to LEARNED_WORDS words (its first and last a content word,
    the last singular or plural) that stands in the drafts of the sentences holding the term, and
    seldom elsewhere, is its rendering: Dice of the two sets of sentences at least LEARNED_DICE, from at
    least LEARNED_SENTENCES sentences. Of runs as good, the longest. A run learned for two terms tells
    neither apart, and is dropped; so is one that holds the term itself. Returns only the terms learned.
    """
    runs = [_runs(text) for text in drafts]
    holding: dict[Term, set[int]] = {}
    for k, listed in enumerate(terms):
        for term in listed:
            holding.setdefault(term, set()).add(k)
    standing: dict[str, set[int]] = {}
    for k, found in enumerate(runs):
        for key in found:
            standing.setdefault(key, set()).add(k)
    learned: dict[Term, list[tuple[str, ...]]] = {}
    for term, sentences in holding.items():
        if len(sentences) < LEARNED_SENTENCES:
            continue
        own = term.target.lower()
        scored: dict[tuple[str, ...], float] = {}
        for key in {key for k in sentences for key in runs[k]}:
            both = len(standing[key] & sentences)
            dice = 2 * both / (len(standing[key]) + len(sentences))
            if both >= LEARNED_SENTENCES and dice >= LEARNED_DICE and own not in " ".join(key) and " ".join(key) not in own:
                scored[key] = dice
        if scored:
            best = max(scored, key=lambda key: (scored[key], len(key)))
            # The runs that hold the best one are kept too, longest first: where the draft has the whole
            # rendering ('calculation force'), the longest found is its place; elsewhere the best ('force').
            learned[term] = sorted((key for key in scored if _holds(key, best)), key=len, reverse=True)
    claimed: dict[tuple[str, ...], int] = {}
    for keys in learned.values():
        claimed[keys[-1]] = claimed.get(keys[-1], 0) + 1
    return {term: [" ".join(key) for key in keys] for term, keys in learned.items() if claimed[keys[-1]] == 1}


def _holds(run: tuple[str, ...], part: tuple[str, ...]) -> bool:
    return any(run[i : i + len(part)] == part for i in range(len(run) - len(part) + 1))


def _runs(text: str) -> set[tuple[str, ...]]:
    """The runs of one to LEARNED_WORDS words of text that may be a rendering: lower-cased, the last word
    without a plural 's', the first and the last a content word."""
    words = [w for w in re.findall(r"[\w'-]+", text.lower())]
    found: set[tuple[str, ...]] = set()
    for i, first in enumerate(words):
        if not is_content_word(first):
            continue
        for j in range(i + 1, min(len(words), i + LEARNED_WORDS) + 1):
            last = words[j - 1]
            if not is_content_word(last):
                continue
            if len(last) > 3 and last.endswith("s") and not last.endswith("ss"):
                last = last[:-1]
            found.add((*words[i : j - 1], last))
    return found
