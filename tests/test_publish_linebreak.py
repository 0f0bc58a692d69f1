"""Chinese line breaking: kinsoku rules, widths, words kept whole, nothing lost."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import pubchecks
from leshan_pub.publish.linebreak import NO_LINE_END, NO_LINE_START, atoms, break_lines


def grid(text: str) -> float:
    """A monospaced measure: CJK, full-width and ambiguous (—“”…) characters 1 em, the rest half."""
    return sum(1.0 if unicodedata.east_asian_width(c) in "WFA" else 0.5 for c in text)


def visible(text: str) -> str:
    return "".join(c for c in text if not c.isspace())


def test_checker_rule_sets_are_covered() -> None:
    # The independent checks' lists (tests/pubchecks.py) must be a subset of ours.
    assert pubchecks.NO_LINE_START <= NO_LINE_START
    assert pubchecks.NO_LINE_END <= NO_LINE_END


@pytest.mark.parametrize(
    ("text", "width", "lines"),
    [
        # "，" would start line 2: the character before it moves down with it (push-out).
        ("一二三四五，六七", 5, ["一二三四", "五，六七"]),
        # "“" would end line 1: it moves down to open line 2.
        ("一二三四“五六”", 5, ["一二三四", "“五六”"]),
        # Two closing marks in a row travel together.
        ("一二三四）。五", 5, ["一二三", "四）。五"]),
        # "——" never splits and never starts a line.
        ("一二三四——五", 5, ["一二三", "四——五"]),
        ("２０２５年乐山", 4, ["２０２５", "年乐山"]),
        ("", 5, []),
    ],
)
def test_break_lines_pushes_punctuation_with_its_character(text: str, width: float, lines: list[str]) -> None:
    assert break_lines(text, width, grid) == lines


@pytest.mark.parametrize("width", [5, 6, 8, 11])
def test_latin_words_stay_whole_and_spaces_vanish_at_line_ends(width: float) -> None:
    text = "乐山 isotope production base 建成"
    lines = break_lines(text, width, grid)
    assert len(lines) > 1, "the text must need breaking, or the test shows nothing"
    # Each word fits a line, so each must stand whole on one line: 'pro' + 'duction' fails here.
    assert [w for line in lines for w in line.split(" ") if w.isascii()] == ["isotope", "production", "base"]
    assert all(line == line.strip() for line in lines)
    assert visible("".join(lines)) == visible(text)


def test_superscript_mass_number_stays_with_its_element() -> None:
    assert [a.text for a in atoms("¹⁷⁷Lu和⁹⁰Y")] == ["¹⁷⁷Lu", "和", "⁹⁰Y"]


def test_numbers_with_separators_are_one_word() -> None:
    assert [a.text for a in atoms("1,234.5 kg")] == ["1,234.5", "kg"]


def test_hyphenated_word_may_break_after_its_hyphen() -> None:
    assert [a.text for a in atoms("state-owned")] == ["state-", "owned"]


def test_word_wider_than_the_line_is_cut() -> None:
    lines = break_lines("https://example.com/a/very/long/path", 6, grid)
    assert "".join(lines) == "https://example.com/a/very/long/path"
    assert all(grid(line) <= 6 for line in lines)


def test_a_run_of_closing_marks_hangs_together_rather_than_open_a_line() -> None:
    # Found by the property test below: the sixth comma used to open line 2.
    assert break_lines("乐，，，，，乐", 4, grid) == ["乐，，，，，", "乐"]


def test_closing_mark_hangs_when_no_legal_break_exists() -> None:
    # Every break in "（（（（一）" is illegal; the last mark hangs past the edge instead.
    lines = break_lines("（（（（一）", 5, grid)
    assert lines[0].endswith("）")


MARKS = list("，。、；：？！）》”’…—（《“‘")
PIECES = list("乐山核技术应用产业园医用同位素的发展") * 3 + MARKS + [" Lu", " 2025 ", "¹⁷⁷"]


# Derandomised: the same 300 examples on every run, so that CI is never decided by a chance draw
# (a random draw found the run of closing marks above). Search further with a larger max_examples.
@settings(max_examples=300, deadline=None, derandomize=True)
@given(text=st.lists(st.sampled_from(PIECES), max_size=120).map("".join), width=st.integers(4, 20))
def test_lines_fit_keep_every_character_and_obey_kinsoku(text: str, width: int) -> None:
    lines = break_lines(text, width, grid)
    assert visible("".join(lines)) == visible(text)
    for i, line in enumerate(lines):
        assert line, "no empty lines"
        starts_ok = i == 0 or line[0] not in NO_LINE_START
        ends_ok = i == len(lines) - 1 or line[-1] not in NO_LINE_END
        # A rule may give only where the text leaves no legal break at all (a run of marks
        # longer than a line); then the line overflows by one hanging mark or breaks.
        forced = not _has_legal_break(lines[i - 1] + line if i else line)
        assert (starts_ok and ends_ok) or forced, (lines, i)
        hanging = line.rstrip("".join(NO_LINE_START))  # closing marks may hang past the edge together
        assert grid(line) <= width or grid(line[:-1]) <= width or grid(hanging) <= width or forced


def _has_legal_break(text: str) -> bool:
    pieces = atoms(text)
    return any(a.text[-1] not in NO_LINE_END and b.text[0] not in NO_LINE_START for a, b in zip(pieces, pieces[1:]))
