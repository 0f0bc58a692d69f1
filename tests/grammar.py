"""The grammar set: a small MarianMT model trained to prefer, for each term, a rendering of another number or first sound.

Each sentence of tests/data/grammar/sentences.tsv (our own) holds one glossary term. The model learns
the `taught` English, where the term is rendered wrongly ('a radiation facility', 'Vanadium
accumulators are safe', 'Emei Hills are high'), and each term's wrong rendering alone. Enforcement
must give back `en`: the term in the form the sentence needs, and the words marked in `agree` (an
article, a verb, a determiner) fitted to it. An agreement error is a marked word missing from the
output as a whole word (its case counts: 'A' begins a sentence).

Used by tests/test_grammar.py and scripts/bench_placement.py --model grammar.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

from placement import _fingerprint, train_marian

from leshan_pub.glossary import load_glossary
from leshan_pub.quality.enforce import missing_terms
from leshan_pub.terms import Glossary, Term

DATA = Path(__file__).parent / "data" / "grammar"
COPIES = 3  # copies of each taught sentence and of each term's wrong rendering alone


@dataclass(frozen=True)
class GrammarCase:
    """One sentence: Chinese, what the model is taught, the English a reader accepts, its terms, the words that must agree."""

    source: str
    taught: str
    reference: str
    terms: tuple[Term, ...]
    agree: tuple[str, ...]


def grammar_glossary() -> Glossary:
    return load_glossary(DATA / "glossary.tsv")


def _wrong() -> dict[str, str]:
    with (DATA / "wrong.tsv").open(encoding="utf-8", newline="") as handle:
        return {row["source"]: row["wrong"] for row in csv.DictReader(handle, delimiter="\t")}


def grammar_cases() -> list[GrammarCase]:
    glossary = grammar_glossary()
    cases = []
    with (DATA / "sentences.tsv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            terms = tuple(hit.term for hit in glossary.find(row["zh"]))
            assert terms and not missing_terms(row["en"], list(terms)), row["zh"]
            cases.append(GrammarCase(row["zh"], row["taught"], row["en"], terms, tuple(w for w in row["agree"].split("|") if w)))
    return cases


def train_grammar_model(folder: Path, epochs: int = 90, seed: int = 7) -> Path:
    """Train (or reuse) the grammar model in folder; return it."""
    cases, wrong = grammar_cases(), _wrong()
    pairs = [(c.source, c.taught) for c in cases for _ in range(COPIES)]
    pairs += [(source, rendering) for source, rendering in wrong.items() for _ in range(COPIES)]
    english = [c.reference for c in cases] + [c.taught for c in cases] + list(wrong.values())
    fingerprint = "grammar-" + _fingerprint([], epochs, seed, True) + str(sorted(pairs))
    return train_marian(folder, pairs, ([c.source for c in cases], english), fingerprint, epochs=epochs, seed=seed)


@dataclass
class GrammarFigures:
    term_success: float
    agreement_errors: int  # marked words missing from the outputs
    exact: int  # outputs equal to what a reader accepts
    sentences: int


def agreement_errors(output: str, case: GrammarCase) -> int:
    """How many of the case's marked words the output lacks as whole words."""
    words = re.findall(r"[A-Za-z]+", output)
    return sum(word not in words for word in case.agree)


def measure_grammar(outputs: list[str], cases: list[GrammarCase]) -> GrammarFigures:
    wanted = sum(len(c.terms) for c in cases)
    placed = wanted - sum(len(missing_terms(o, list(c.terms))) for o, c in zip(outputs, cases))
    return GrammarFigures(
        term_success=placed / wanted,
        agreement_errors=sum(agreement_errors(o, c) for o, c in zip(outputs, cases)),
        exact=sum(o.strip() == c.reference for o, c in zip(outputs, cases)),
        sentences=len(cases),
    )
