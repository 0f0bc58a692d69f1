"""Time `leshan-pub pack` on the test pack: the sample (approved) plus a Word and a Markdown article.

The two new articles are written by tests/articles.py and machine-translated once with a tiny
random-weight model (tests/conftest.py), as the tests do; then the pack (PDF and DOCX, and the PDF
alone) is built with an empty font cache once, and RUNS more times with fonts cached.

Usage: python scripts/bench_pack.py [RUNS]   (not a test: timings on shared machines are noisy)
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "tests")]

PACK = ["--title", "四川产业投资者资料", "--subtitle", "Sichuan industry investor pack", "--date", "2026-12-01"]


def prepare(work: Path) -> list[Path]:
    """The three articles with their segment files, in work."""
    from articles import MARKDOWN_ARTICLE, write_docx_article
    from conftest import build_tiny_marian

    from leshan_pub.engines import EngineOptions, load_engine
    from leshan_pub.glossary import load_glossary
    from leshan_pub.pipeline import segment_source, translate_file

    for name in ("leshan-2024.zh.txt", "leshan-2024.zh-en.xlf"):
        shutil.copy(ROOT / "source" / name, work / name)
    word = write_docx_article(work / "yibin.zh.docx")
    markdown = work / "luzhou.md"
    markdown.write_text(MARKDOWN_ARTICLE, encoding="utf-8")
    glossary = load_glossary(ROOT / "glossary" / "leshan.tsv")
    model = build_tiny_marian(work / "tiny-marian")
    engine = load_engine("transformers", EngineOptions(model=str(model), num_beams=1, max_new_tokens=60, progress=False))
    for source in (word, markdown):
        segment_source(source, glossary)
        translate_file(source, glossary, lambda: engine)
    return [work / "leshan-2024.zh.txt", word, markdown]


def run_pack(articles: list[Path], out: Path, env: dict[str, str], *extra: str) -> float:
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "leshan_pub", "pack", *map(str, articles), *PACK, "--out", str(out), *extra],
        check=True, env=env, cwd=ROOT, capture_output=True,
    )
    return time.perf_counter() - start


def main(runs: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        articles = prepare(work)
        env = {**os.environ, "LESHAN_PUB_CACHE_DIR": str(work / "cache"), "HF_HUB_OFFLINE": "1",
               "PYTHONPATH": str(ROOT / "src")}
        out = work / "out" / "pack.pdf"
        cold = run_pack(articles, out, env)
        both = [run_pack(articles, out, env) for _ in range(runs)]
        pdf = [run_pack(articles, out, env, "--format", "pdf") for _ in range(runs)]
        docx = [run_pack(articles, out, env, "--format", "docx") for _ in range(runs)]
        import pymupdf

        with pymupdf.open(out) as document:
            pages = len(document)
    segments = "3 articles (sample + Word + Markdown)"
    print(f"pack of {segments}, {pages} PDF pages")
    print(f"PDF + DOCX, empty font cache: {cold:.2f} s")
    for name, times in (("PDF + DOCX", both), ("PDF only", pdf), ("DOCX only", docx)):
        print(f"{name}, fonts cached: median {statistics.median(times):.2f} s over {runs} runs "
              f"(min {min(times):.2f}, max {max(times):.2f})")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
