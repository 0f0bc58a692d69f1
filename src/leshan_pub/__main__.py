"""`python -m leshan_pub` runs the CLI."""

from .cli import main

main()
