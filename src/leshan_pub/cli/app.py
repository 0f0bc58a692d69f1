"""The leshan-pub command line's Typer apps, and how a command's errors reach the user: one line, an exit status."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

import typer

from ..errors import LeshanPubError

# Plain help (rich_markup_mode=None): typer's rich panels print `<bool>` after every flag.
app = typer.Typer(
    help="Translate Chinese articles into English under an enforced glossary and typeset them "
    "as side-by-side Chinese/English DOCX and PDF.",
    epilog="Each command finds its project by walking up from the article's folder to a leshan-pub.toml "
    "(`leshan-pub init` makes one); --project DIR names it instead. Options given on the command line "
    "win over the project's settings, which win over the defaults shown.",
    no_args_is_help=True,
    add_completion=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)
glossary_app = typer.Typer(
    help="Keep the terminology glossary: list, validate, add, remove, import, export.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(glossary_app, name="glossary")
memory_app = typer.Typer(help="Keep the translation memory (TMX): export, import, stats.", no_args_is_help=True)
app.add_typer(memory_app, name="memory")


def _version(value: bool) -> None:
    if value:
        from .. import __version__

        typer.echo(f"leshan-pub {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool, typer.Option("--version", help="Print the version and exit.", callback=_version, is_eager=True)
    ] = False,
) -> None:
    """Translate Chinese articles into English under an enforced glossary and typeset them as DOCX and PDF."""


class _QuietWhenReaderLeaves:
    """stdout that goes quiet when its reader closes the pipe (`leshan-pub status x | head -1`).

    The one place a closed pipe is handled: writes after the reader left go to /dev/null, so the
    command finishes as it would have and exits with its own status, without a traceback.
    """

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except BrokenPipeError:
            self._reader_left()
            return len(text)

    def flush(self) -> None:
        try:
            self._stream.flush()
        except BrokenPipeError:
            self._reader_left()

    def _reader_left(self) -> None:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, self._stream.fileno())
        os.close(devnull)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


F = TypeVar("F", bound=Callable[..., Any])


def reports_errors(command: F) -> F:
    """Turn a LeshanPubError into one line on stderr and exit status 1; anything else is a bug."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except LeshanPubError as exc:
            typer.echo(f"leshan-pub: error: {exc}", err=True)
            raise typer.Exit(1) from None
        except OSError as exc:
            # The disk, not the data: full, read-only, permissions. Say which file and why.
            where = f" {exc.filename}" if exc.filename else ""
            typer.echo(f"leshan-pub: error: cannot write or read{where}: {exc.strerror or exc}", err=True)
            raise typer.Exit(1) from None
        except KeyboardInterrupt as exc:
            said = str(exc) or "interrupted; files written so far are complete"
            typer.echo(f"leshan-pub: {said}", err=True)
            raise typer.Exit(130) from None

    return wrapper  # type: ignore[return-value]



def main() -> None:
    """Entry point of `leshan-pub` and `python -m leshan_pub`; a reader closing the pipe early is no error."""
    sys.stdout = _QuietWhenReaderLeaves(sys.stdout)  # type: ignore[assignment]
    app(prog_name="leshan-pub")
