"""Cost of matching across scripts: Glossary.find and detect_script on the sample article, as ratios.

    PYTHONPATH=src python scripts/bench_matching.py

Prints seconds per pass with the script fold (today) and without it (the NFKC fold alone, as
before), their ratio, and detection's cost relative to reading the article's segments once.
"""

from __future__ import annotations

import time
from pathlib import Path
from unittest import mock

from leshan_pub import terms
from leshan_pub.glossary import load_glossary
from leshan_pub.read import read_article
from leshan_pub.script import detect_script, to_simplified

ROOT = Path(__file__).resolve().parent.parent


def best_of(runs: int, action) -> float:  # noqa: ANN001
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    text = read_article(ROOT / "source" / "leshan-2024.zh.txt")
    lines = [line for line in text.splitlines() if line.strip()]
    glossary = load_glossary(ROOT / "glossary" / "leshan.tsv")
    to_simplified(text)  # warm the character table, as a long run would have it
    folded = best_of(20, lambda: [glossary.find(line) for line in lines])
    with mock.patch.object(terms, "to_simplified", lambda t: (t, list(range(len(t))))):
        plain = terms.Glossary(glossary.terms)
        unfolded = best_of(20, lambda: [plain.find(line) for line in lines])
    detect = best_of(20, lambda: detect_script(text))
    print(f"Glossary.find over {len(lines)} lines ({len(text)} chars): {folded * 1000:.2f} ms with the script fold, "
          f"{unfolded * 1000:.2f} ms without; ratio {folded / unfolded:.2f}")
    print(f"detect_script on the article: {detect * 1000:.2f} ms ({detect / unfolded:.2f}x one unfolded find pass)")


if __name__ == "__main__":
    main()
