"""The leshan-pub command line: thin typer commands that call the library and report."""

from __future__ import annotations

# Each module registers its commands on import, in the order --help lists them.
from . import articles, glossary, memory, review  # noqa: F401
from .app import app, main

__all__ = ["app", "main"]
