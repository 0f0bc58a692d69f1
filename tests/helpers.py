"""Shared test helpers: paths of the repository's sample and test articles."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
GOLDEN = Path(__file__).resolve().parent / "golden"
SAMPLE = ROOT / "source" / "leshan-2024.zh.txt"
SAMPLE_SEGFILE = ROOT / "source" / "leshan-2024.zh-en.xlf"
GLOSSARY = ROOT / "glossary" / "leshan.tsv"
# The external checker, in ../shared beside the checkout (a worktree or a clone), never at a fixed path.
PUBCHECK = ROOT.parent / "shared" / "tools" / "pubcheck.py"
