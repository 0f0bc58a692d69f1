"""Chinese line breaking with kinsoku rules: no closing mark starts a line, no opening mark ends one."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass

# Closing and trailing marks (CLREQ "行首禁则"); ASCII forms too, since Chinese text mixes them in.
NO_LINE_START: frozenset[str] = frozenset(
    "，。、；：？！）》」』”’…—％〕〉】〗〙〛］｝・·‰℃"
    "-‐‑–～〜／"  # connecting and separating marks (连接号, 分隔号)
    ",.;:?!)]}%"
)
# Opening marks (CLREQ "行尾禁则").
NO_LINE_END: frozenset[str] = frozenset("（《「『“‘〔〈【〖〘〚［｛([{")

# Inside a Latin word or number these keep the run together ("1,234.5", "don't", "U.S").
_WORD_JOINERS = frozenset(".,'’:/&_")
# Spaces that must not break ("No.\u00a07").
_NO_BREAK_SPACES = frozenset("\u00a0\u202f\u2007")

Measure = Callable[[str], float]


@dataclass(frozen=True)
class Atom:
    """An unbreakable piece of text (one Han character, one Latin word) and the space after it."""

    text: str
    space: str = ""


def is_word_char(ch: str) -> bool:
    """True for letters and digits set as part of a Latin word: not Han, kana or Hangul.

    Full-width digits (２０２５) count as word characters so a year never breaks.
    """
    category = unicodedata.category(ch)
    if category[0] == "M" or ch in _NO_BREAK_SPACES:
        return True
    if category[0] not in "LN":
        return False
    return unicodedata.east_asian_width(ch) != "W"


def atoms(text: str) -> list[Atom]:
    """Split text into atoms; runs of whitespace become one space after the atom before them."""
    return [atom for _, atom in _placed_atoms(text)]


def _placed_atoms(text: str) -> list[tuple[int, Atom]]:
    """atoms(text), each with the offset in text where it starts."""
    out: list[tuple[int, Atom]] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if _breaking_space(ch):
            while i < n and _breaking_space(text[i]):
                i += 1
            if out:
                out[-1] = (out[-1][0], Atom(out[-1][1].text, " "))
            continue
        j = _word_end(text, i) if is_word_char(ch) else i + 1
        out.append((i, Atom(text[i:j])))
        i = j
    return out


def word_atoms(text: str, boundaries: Iterable[int]) -> list[Atom]:
    """Atoms joined into words: two atoms stay together unless a space or a word boundary (an
    offset in text, as words.WordBreaks gives) lies between them."""
    ends = set(boundaries)
    out: list[Atom] = []
    for start, atom in _placed_atoms(text):
        if out and not out[-1].space and start not in ends:
            out[-1] = Atom(out[-1].text + atom.text, atom.space)
        else:
            out.append(atom)
    return out


def _breaking_space(ch: str) -> bool:
    """Whitespace a line may break at; the ideographic space U+3000 is set like a character."""
    return ch.isspace() and ch not in _NO_BREAK_SPACES and ch != "\u3000"


def _word_end(text: str, i: int) -> int:
    """End of the Latin word starting at i; a hyphen ends the word after itself, so it may break there."""
    n = len(text)
    j = i + 1
    while j < n:
        ch = text[j]
        if is_word_char(ch):
            j += 1
        elif ch in _WORD_JOINERS and j + 1 < n and is_word_char(text[j + 1]):
            j += 2
        elif ch == "-" and j + 1 < n and is_word_char(text[j + 1]):
            return j + 1
        else:
            break
    return j


def may_break(before: Atom, after: Atom) -> bool:
    """True when a line may end after `before` and the next one start with `after`."""
    return before.text[-1] not in NO_LINE_END and after.text[0] not in NO_LINE_START


def break_lines(text: str, width: float, measure: Measure) -> list[str]:
    """Lines of text no wider than width (measured by measure), obeying the kinsoku rules.

    A line that would break a rule gives characters to the next line instead (push-out). Only
    where no legal break fits does a closing mark hang past the edge (with any marks right after
    it), and a word wider than the line is cut. Spaces at line ends are dropped. Empty text gives [].
    """
    return [_join(line) for line in _fill(atoms(text), width, _cached(measure))]


def break_balanced(text: str, width: float, measure: Measure, boundaries: Iterable[int]) -> list[str]:
    """Lines for a title or heading: broken only between words (boundaries: offsets in text where a
    word ends) and at spaces, obeying the kinsoku rules, in as few lines as break_lines would
    need, and as even in width as those allow; a break after a clause mark (，：) is preferred.

    Only a word wider than the whole line is cut inside itself. Empty text gives [].
    """
    w = _cached(measure)
    words = word_atoms(text, boundaries)
    greedy = _fill(words, width, w)
    if len(greedy) < 2 or any(_too_wide([word], width, w) for word in words):
        return [_join(line) for line in greedy]
    best = _balance(words, len(greedy), width, w)
    return [_join(line) for line in (best or greedy)]


# Punctuation after which a title reads well broken: the clause ends there.
_CLAUSE_END = frozenset("，、；：。？！,;:?!—")
UNCLAUSED_BREAK = 0.1  # cost of a break that is not after a clause mark, in squared line widths


def _balance(words: list[Atom], count: int, width: float, w: Measure) -> list[list[Atom]] | None:
    """words in exactly count lines that fit width and break legally, minimising the sum of each
    line's squared share of the width (even lines) plus UNCLAUSED_BREAK per break not after a
    clause mark; None when no such breaking exists."""
    n = len(words)
    inf = float("inf")
    # best[k][j]: least cost of setting words[:j] in k lines; back[k][j]: where the last line starts.
    best = [[inf] * (n + 1) for _ in range(count + 1)]
    back = [[0] * (n + 1) for _ in range(count + 1)]
    best[0][0] = 0.0
    for k in range(1, count + 1):
        for j in range(1, n + 1):
            if j < n and not may_break(words[j - 1], words[j]):
                continue
            penalty = 0.0 if j == n or words[j - 1].text[-1] in _CLAUSE_END else UNCLAUSED_BREAK
            for i in range(j - 1, -1, -1):
                line_width = _width(words[i:j], w)
                if line_width > width + 1e-6:
                    break
                if best[k - 1][i] == inf:
                    continue
                cost = best[k - 1][i] + (line_width / width) ** 2 + penalty
                if cost < best[k][j] - 1e-12:
                    best[k][j], back[k][j] = cost, i
    if best[count][n] == inf:
        return None
    lines: list[list[Atom]] = []
    j = n
    for k in range(count, 0, -1):
        i = back[k][j]
        lines.append(words[i:j])
        j = i
    return lines[::-1]


def _cached(measure: Measure) -> Measure:
    cache: dict[str, float] = {}

    def w(s: str) -> float:
        if s not in cache:
            cache[s] = measure(s)
        return cache[s]

    return w


def _fill(units: list[Atom], width: float, w: Measure) -> list[list[Atom]]:
    """units set greedily into lines no wider than width, with push-out and hanging marks."""
    lines: list[list[Atom]] = []
    line: list[Atom] = []
    line_width = 0.0
    for atom in units:
        if not line and lines and atom.text[0] in NO_LINE_START:
            # The last line ended with a hanging mark (no legal break fitted): a run of closing marks
            # hangs with it rather than open the next line.
            lines[-1].append(atom)
            continue
        line.append(atom)
        line_width += w(atom.text) + (w(line[-2].space) if len(line) > 1 else 0.0)
        while line_width > width + 1e-6 and len(line) > 1 or _too_wide(line, width, w):
            head, line = _cut(line, width, w)
            lines.append(head)
            line_width = _width(line, w)
    if line:
        lines.append(line)
    return lines


def _too_wide(line: list[Atom], width: float, w: Measure) -> bool:
    """A single atom wider than the line (a long URL or number) must be cut."""
    return len(line) == 1 and len(line[0].text) > 1 and w(line[0].text) > width + 1e-6


def _cut(line: list[Atom], width: float, w: Measure) -> tuple[list[Atom], list[Atom]]:
    """Split an overflowing line into the part that stays and the part that moves on."""
    for k in range(len(line) - 1, 0, -1):
        if may_break(line[k - 1], line[k]) and _width(line[:k], w) <= width + 1e-6:
            return line[:k], line[k:]
    if _too_wide(line[:1], width, w):
        return _cut_word(line, width, w)
    if line[-1].text in NO_LINE_START:
        # No legal break fits: let the closing mark hang past the edge rather than open a line.
        return line, []
    return line[:-1], line[-1:]


def _cut_word(line: list[Atom], width: float, w: Measure) -> tuple[list[Atom], list[Atom]]:
    """Cut the first atom (wider than the line) at the last character that fits."""
    text = line[0].text
    k = 1
    while k < len(text) and w(text[: k + 1]) <= width + 1e-6:
        k += 1
    return [Atom(text[:k])], [Atom(text[k:], line[0].space), *line[1:]]


def _width(line: list[Atom], w: Measure) -> float:
    """Width of a line as set: every atom, the spaces between them, no space at the end."""
    if not line:
        return 0.0
    return sum(w(a.text) for a in line) + sum(w(a.space) for a in line[:-1] if a.space)


def _join(line: list[Atom]) -> str:
    return "".join(a.text + a.space for a in line).rstrip(" ")
