"""Where the model wrote a near miss of the glossary's term: its own words for it, sharing the term's.

A model that does not use the approved term often writes a neighbour of it, with some of its words:
'vanadium redox battery' for 'vanadium flow battery', 'all-factor efficiency' for 'total factor
productivity', 'industry hub' for 'industrial cluster', 'multicrystal silicon' for 'polysilicon'. The
draft's run of words that shares most of the term's words, widened over the words the term has before
and after the ones shared, is where the term goes. Sharing is by word: the same word (or its plural),
the end of the other ('silicon' of 'polysilicon'), or the same first five letters or more ('industry',
'industrial'), the shared part at least 60% of the longer word. A shared word must be a content word
of four letters or more. Found from the words alone, a near miss is checked by the model before a
term goes in its place (repair.rest_holds), as a rendering learned from the drafts is. Sharing is
strict on purpose ('internet' is not 'international', 'nation' not 'destination'): the check needs
words after the place, and a near miss that ends its sentence has only the full stop. Nothing here
needs torch.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence

from ..forms import word_kinds
from ..terms import Term
from .renderings import DraftWords, is_content_word

SHARED_LETTERS = 4  # a shorter word ('new', 'bus') is too common to say where a term stands
NEAR_MISSES = 3  # the near misses of one term the model is asked about, best first
COVER = 0.6  # how much of the longer word the shared part must be
STEM = 5  # words that begin with the same five letters are one word here ('industry', 'industrial')


def _shared(draft_word: str, term_word: str) -> bool:
    """True when the draft's word and the term's word are one word (see the module docstring)."""
    if len(draft_word) < SHARED_LETTERS or len(term_word) < SHARED_LETTERS or not is_content_word(draft_word):
        return False
    if draft_word == term_word or draft_word.rstrip("s") == term_word.rstrip("s"):
        return True
    short, long = sorted((draft_word, term_word), key=len)
    if len(short) >= STEM + 1 and long.endswith(short) and len(short) >= COVER * len(long):
        return True  # 'silicon' of 'polysilicon'; not 'nation' of 'destination'
    common = len(os.path.commonprefix([draft_word, term_word]))
    return common >= STEM and common >= COVER * len(long)  # 'industry', 'industrial'; not 'internet', 'international'


def _verb_only(word: str) -> bool:
    """True when English has the word as a verb and as nothing else ('came', 'upgrading'): no part of a name."""
    kinds = word_kinds(word)
    return bool(kinds) and kinds <= {"VERB", "AUX"}


def _glue(draft: Sequence[tuple[int, int, str]], j: int) -> bool:
    """True when draft word j only joins its neighbours: a hyphen, an apostrophe, the s after one."""
    text = draft[j][2]
    return text in ("-", "'", "\u2019") or (text == "s" and j > 0 and draft[j - 1][2] in ("'", "\u2019"))


def near_misses(
    read: DraftWords, term: Term, taken: Sequence[tuple[int, int]], limit: int = NEAR_MISSES
) -> list[tuple[int, int, bool]]:
    """(first token, end token, plural) of the draft's near misses of term (module docstring), best first,
    at most limit of them, none overlapping.

    A run holds draft words that share a word of the term, in the term's order and no further apart than
    the term is long and two words more; the runs that share more of the term's words come first, then the
    earlier. Each is widened by as many draft words as the term has before its first shared word and after
    its last, over content words only (a hyphen or a possessive joins two words into one; a mark, a figure,
    a function word, a verb or a span taken stops it). The plural is left to the anchor (is_plural of the
    words replaced).
    """
    words = [w for w in re.split(r"[\s\-]+", term.target.lower()) if w]
    draft = read.words
    if not words or not draft:
        return []
    free = [not any(a < end and first < b for a, b in taken) and end < read.length for first, end, _ in draft]
    pairs = [(j, m) for j, (_, _, text) in enumerate(draft) if free[j] for m, w in enumerate(words) if _shared(text, w)]
    reach = len(words) + 2
    runs: list[tuple[int, int, int, int, int]] = []  # (-shared, first draft word, last, first term word, last)
    for j, m in pairs:
        used, last_j, last_m = {m}, j, m
        for j2, m2 in pairs:
            if j2 > last_j and m2 > last_m and j2 - j < reach:
                used.add(m2)
                last_j, last_m = j2, m2
        runs.append((-len(used), j, last_j, m, last_m))
    glue = [_glue(draft, j) for j in range(len(draft))]

    def step(j: int, way: int) -> int | None:
        k = j + way
        while 0 <= k < len(draft) and glue[k]:
            k += way
        word = draft[k][2] if 0 <= k < len(draft) else ""
        return k if word and free[k] and is_content_word(word) and word.isalpha() and not _verb_only(word) else None

    found: list[tuple[int, int, bool]] = []
    spans: list[tuple[int, int]] = []
    for _, start, stop, m_first, m_last in sorted(runs):
        # The draft's first word only the end of the term's ('silicon' of 'polysilicon'): the word before
        # it is the rest ('multicrystal silicon').
        first, term_first = draft[start][2], words[m_first]
        m_first += int(len(term_first) > len(first) and term_first.endswith(first))
        for _ in range(m_first):  # the term's words before the first one shared
            if (k := step(start, -1)) is None:
                break
            start = k
        for _ in range(len(words) - 1 - m_last):  # and after the last
            if (k := step(stop, 1)) is None:
                break
            stop = k
        if any(not free[j] for j in range(start, stop + 1)) or any(a <= stop and start <= b for a, b in spans):
            continue
        spans.append((start, stop))
        found.append((draft[start][0], draft[stop][1], False))  # the number: rewritten_anchor reads it off the words
        if len(found) == limit:
            break
    return found
