"""The English forms that meet a glossary term: its accepted English and their regular plurals (lemminflect).

A term is met by its approved English or a variant as whole words, in any case (a term that begins
a sentence is capitalised) and before a possessive "'s"; an entry not marked invariable is also met
by its plural, 'vanadium flow batteries' for 'vanadium flow battery'. The plural is lemminflect's
(its dictionary, then its rules for unknown words), not a rule of ours; it is imported on first use.
"""

from __future__ import annotations

import functools

from .terms import Term

# What may stand around a word without being part of it: punctuation and quotes.
_EDGES = ".,;:!?\"'()[]“”‘’"


def _head(words: list[str]) -> int:
    """Index of the head noun of an English term's words: the last, or the one before the first 'of'."""
    return words.index("of") - 1 if "of" in words[1:] else len(words) - 1


@functools.lru_cache(maxsize=8192)
def _noun_plural(word: str) -> str | None:
    """lemminflect's plural of a noun in lower case (None when it has none, or word is already plural)."""
    from lemminflect import getInflection, getLemma

    lemmas = getLemma(word, upos="NOUN")
    if lemmas and lemmas[0] != word:
        return None  # already a plural ('wafers'), not a noun to make plural again
    found = getInflection(word, tag="NNS", inflect_oov=True)
    return found[0] if found and found[0] != word else None


@functools.lru_cache(maxsize=8192)
def _known_noun(word: str) -> bool:
    """True when lemminflect's dictionary has a plural for word (it is a noun it knows, not a name)."""
    from lemminflect import getInflection

    return bool(getInflection(word, tag="NNS", inflect_oov=False))


@functools.lru_cache(maxsize=8192)
def plural(english: str) -> str | None:
    """The regular plural of an English term (its head noun made plural), or None when it has none.

    The head is the last word, or the word before the first 'of' ('Bank of China' -> 'Banks of
    China'). A head that is not plain letters (an acronym with digits), an acronym, a capitalised word
    lemminflect does not know (a name), or a word that is already plural has no plural here.
    """
    words = english.split(" ")
    head = _head(words)
    word = words[head]
    if not word.isalpha() or len(word) < 2 or word.isupper():
        return None
    if word[:1].isupper() and not _known_noun(word.lower()):
        return None  # a capitalised word lemminflect does not know is a name: 'Leshan', 'Wutongqiao'
    made = _noun_plural(word.lower())
    if made is None:
        return None
    if word[:1].isupper():
        made = made[:1].upper() + made[1:]
    return " ".join([*words[:head], made, *words[head + 1 :]])


def is_plural(english: str) -> bool:
    """True when the English's head word is a plural noun (its lemma differs, and the lemma's plural is it)."""
    words = [w.strip(_EDGES) for w in english.split()]
    words = [w for w in words if w]
    if not words:
        return False
    word = words[_head(words)].lower()
    if not word.isalpha() or len(word) < 3:
        return False
    from lemminflect import getLemma

    lemmas = getLemma(word, upos="NOUN")
    return bool(lemmas) and lemmas[0] != word and _noun_plural(lemmas[0]) == word


@functools.lru_cache(maxsize=8192)
@functools.lru_cache(maxsize=4096)
def word_kinds(word: str) -> frozenset[str]:
    """The parts of speech English has the (lower-case) word as, by lemminflect's dictionary ('came': VERB;
    'lining': NOUN, VERB); empty for a word it does not know (a name, a romanisation)."""
    from lemminflect import getAllLemmas

    return frozenset(getAllLemmas(word))


def term_forms(term: Term) -> tuple[str, ...]:
    """Every English form that meets term: its accepted English, then (unless invariable) their plurals."""
    if term.invariable:
        return term.accepted
    plurals = (p for text in term.accepted if (p := plural(text)) is not None)
    return tuple(dict.fromkeys([*term.accepted, *plurals]))


def form_for(term: Term, plural_wanted: bool) -> str:
    """The term's English in the number wanted: its approved English, or its plural (never for an invariable one)."""
    if plural_wanted and not term.invariable:
        listed = [t for t in term.accepted if t.lower() == (plural(term.target) or "").lower()]
        return listed[0] if listed else plural(term.target) or term.target
    return term.target


@functools.lru_cache(maxsize=1)
def _inflect() -> object:
    import inflect  # its import takes seconds (typeguard): only when an article must be chosen

    return inflect.engine()


@functools.lru_cache(maxsize=8192)
def indefinite_article(english: str) -> str:
    """'a' or 'an', as inflect chooses it for the English that follows ('an isotope', 'a uranium mine')."""
    return str(_inflect().a(english)).split(" ", 1)[0].lower()  # type: ignore[attr-defined]
