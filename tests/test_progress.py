"""Progress: one bar on a terminal, nothing when stderr is a pipe or a file."""

from __future__ import annotations

import io

from leshan_pub.progress import progress_bar


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_pipe_gets_no_bar() -> None:
    piped = io.StringIO()
    with progress_bar(500, "translating", piped) as bar:
        for _ in range(50):
            bar.update(10)
    assert piped.getvalue() == ""


def test_a_terminal_gets_one_bar_of_its_own() -> None:
    terminal = Terminal()
    with progress_bar(500, "translating", terminal) as bar:
        for _ in range(50):
            bar.update(10)
    shown = terminal.getvalue()
    # One line redrawn in place (carriage returns) and cleared at the end: no line left behind.
    assert "translating" in shown and "/500" in shown and "\n" not in shown and shown.endswith("\r")


def test_one_step_needs_no_bar() -> None:
    terminal = Terminal()
    with progress_bar(1, "translating", terminal) as bar:
        bar.update(1)
    assert terminal.getvalue() == ""
