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


class GenerateSpy:
    """Wraps an engine model's generate: records each call's output ids, logits processors and length limit.

    Enforcement tests check the English against these ids, so text pasted in after decoding shows.
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
        """Assert: every call kept its length limit; each text is the decoded ids of some generated row, made
        under a TermConstraintProcessor that ran when the text has terms, and those ids hold a spelling of each."""
        from leshan_pub.engines.constraints import TermConstraintProcessor

        engine = self.engine
        assert self.calls, "generate was never called"
        rows: dict[str, tuple[list[int], bool]] = {}
        for output, processors, max_new in self.calls:
            enforced = [p for p in processors if isinstance(p, TermConstraintProcessor)]
            assert len(enforced) <= 1
            ran = bool(enforced) and enforced[0].calls > 0  # generate really ran through it
            assert output.shape[1] - 1 <= max_new  # no more than the allowed new tokens
            for row in output.tolist():
                rows[engine.tokenizer.decode(row, skip_special_tokens=True)] = (row, ran)  # type: ignore[attr-defined]
        for text, terms in zip(texts, term_lists):
            assert text in rows, f"English not produced by generate: {text!r}"
            ids, ran = rows[text]
            assert ran or not terms, f"English with terms not made under the processor: {text!r}"
            for term in terms:
                spellings = engine._spelling(term).spellings  # type: ignore[attr-defined]
                assert any(
                    tuple(ids[k : k + len(seq)]) == seq for seq in spellings for k in range(len(ids) - len(seq) + 1)
                ), (term, text)
