"""Shared test helpers: paths of the repository's sample and test articles."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
GOLDEN = Path(__file__).resolve().parent / "golden"
SAMPLE = ROOT / "source" / "leshan-2024.zh.txt"
SAMPLE_SEGFILE = ROOT / "source" / "leshan-2024.zh-en.xlf"
GLOSSARY = ROOT / "glossary" / "leshan.tsv"


class GenerateSpy:
    """Wraps an engine model's generate: records each call's output ids, logits processors and length limit.

    Enforcement tests check the English against these ids, so text made up after decoding shows.
    """

    def __init__(self, engine: object) -> None:
        self.calls: list[tuple[object, list[object], int]] = []
        self.engine = engine
        model = engine.model  # type: ignore[attr-defined]
        real = model.generate

        def spy(*args: object, **kwargs: object) -> object:
            output = real(*args, **kwargs)
            self.calls.append((output, list(kwargs.get("logits_processor") or []), kwargs["max_new_tokens"]))
            return output

        model.generate = spy

    def check(self, texts: list[str], term_lists: list[list[object]]) -> None:
        """Assert: every call kept its length limit; each text with terms holds a spelling of each, and is
        either the decoded ids of a row generated under a TermConstraintProcessor that ran, or a row the
        model generated freely with only the terms' spellings put in (words of the row replaced by them)."""
        from leshan_pub.engines.constraints import TermConstraintProcessor
        from leshan_pub.forms import term_forms

        engine = self.engine
        assert self.calls, "generate was never called"
        constrained: dict[str, bool] = {}
        free: list[list[int]] = []
        pad = engine.model.config.pad_token_id  # type: ignore[attr-defined]
        for output, processors, max_new in self.calls:
            enforced = [p for p in processors if isinstance(p, TermConstraintProcessor)]
            assert len(enforced) <= 1
            ran = bool(enforced) and enforced[0].calls > 0  # generate really ran through it
            assert output.shape[1] - 1 <= max_new  # no more than the allowed new tokens
            for row in output.tolist():
                if enforced:
                    constrained[engine.tokenizer.decode(row, skip_special_tokens=True)] = ran  # type: ignore[attr-defined]
                else:
                    free.append([t for t in row[1:] if t != pad])
        for text, terms in zip(texts, term_lists):
            if not terms or constrained.get(text):
                continue
            words = _words(text)
            forms = [{tuple(_words(f)) for v in term_forms(t) for f in (v, v[:1].upper() + v[1:])} for t in terms]  # type: ignore[arg-type]
            assert all(_holds(words, group) for group in forms), f"a term is missing: {text!r}"
            every = {f for group in forms for f in group}
            drafts = [_words(engine.tokenizer.decode(row, skip_special_tokens=True)) for row in free]  # type: ignore[attr-defined]
            assert any(_spliced(words, draft, every) for draft in drafts), f"not the model's own English with terms put in: {text!r}"


def _words(text: str) -> list[str]:
    import re

    return re.findall(r"\w+|[^\w\s]", text)


def _holds(words: list[str], forms: set[tuple[str, ...]]) -> bool:
    return any(tuple(words[k : k + len(f)]) == f for f in forms for k in range(len(words) - len(f) + 1))


def _agrees(word: str, drafted: str) -> bool:
    """True when word is the draft's word, or the repair's agreement put it in its place ('a' -> 'an', 'are' -> 'is')."""
    from leshan_pub.engines.placement import NUMBER_PAIRS

    if word == drafted:
        return True
    pairs = {**NUMBER_PAIRS, "a": "an", "an": "a"}
    return pairs.get(drafted.lower()) == word.lower() and drafted[:1].isupper() == word[:1].isupper()


def _spliced(words: list[str], draft: list[str], forms: set[tuple[str, ...]], most_replaced: int = 12) -> bool:
    """True when words are the draft's with some runs of at most most_replaced words replaced by forms (or forms put in),
    and the words beside them fitted to them (_agrees).

    A punctuation mark counts as a word: a random model's drafts are dense with them ('% % % % esesntr'),
    and a six-word park name was seen to take the place of nine such words.
    """
    from functools import lru_cache

    @lru_cache(maxsize=None)
    def derive(i: int, j: int) -> bool:
        if i == len(words):
            return j == len(draft)
        if j < len(draft) and _agrees(words[i], draft[j]) and derive(i + 1, j + 1):
            return True
        return any(
            derive(i + len(form), j + skip)
            for form in forms if tuple(words[i : i + len(form)]) == form
            for skip in range(0, min(most_replaced, len(draft) - j) + 1)
        )

    return derive(0, 0)


def broken_words(pdf_path: Path, headings: list[str], terms: list[str], min_size: float = 12.0) -> list[str]:
    """Each place a heading of headings is broken inside a word on the PDF's pages, as 'before|after'.

    A word is what rjieba's dictionary cuts, and a glossary term of terms is one word. Headings are
    found as consecutive lines of the Chinese column set at min_size or larger, joined.
    """
    import pymupdf
    import rjieba

    lines: list[str] = []
    with pymupdf.open(pdf_path) as pdf:
        for page in pdf:
            middle = page.rect.width / 2
            for block in page.get_text("dict")["blocks"]:
                for line in block.get("lines", []):
                    spans = line["spans"]
                    if spans and spans[0]["size"] >= min_size and line["bbox"][0] < middle:
                        lines.append("".join(s["text"] for s in spans).replace(" ", ""))
    found: list[str] = []
    for heading in (h.replace(" ", "") for h in headings):
        ends, position = set(), 0
        for word in rjieba.cut(heading):
            position += len(word)
            ends.add(position)
        for term in terms:
            start = heading.find(term)
            while start >= 0:
                ends -= set(range(start + 1, start + len(term)))
                start = heading.find(term, start + 1)
        for i in range(len(lines)):
            joined, breaks = "", []
            for line in lines[i:]:
                joined += line
                breaks.append(len(joined))
                if len(joined) >= len(heading):
                    break
            if joined == heading:
                found += [f"{heading[:b]}|{heading[b:]}" for b in breaks[:-1] if b not in ends]
                break
        else:
            found.append(f"{heading} not found on the pages")
    return found


def trained_in_cache(request: Any, tmp_path_factory: Any, name: str, train: Callable[[Path], Path]) -> Path:
    """A trained proxy model kept in pytest's cache folder name (a temporary folder when the cache is
    off), trained by train(folder) or reused by it; torch's thread count is put back after training."""
    import torch

    cache = getattr(request.config, "cache", None)
    folder = cache.mkdir(name) if cache is not None else tmp_path_factory.mktemp(name)
    threads = torch.get_num_threads()
    try:
        return train(Path(folder))
    finally:
        torch.set_num_threads(threads)
