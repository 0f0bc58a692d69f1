"""A MarianMT model with preferences: trained to write a wrong rendering for every glossary term, to measure placement.

Random weights cannot show where a term lands. This model learns, by teacher-forced cross-entropy,
to translate a set of Chinese sentences (our own, in tests/data/placement/, and short approved
segments of the sample article) into their reference English with every glossary term replaced by
one fixed wrong rendering. For terms marked `never` it never sees the term (the hardest case); for
terms marked `second` it also sees the true sentence, once for every three wrong ones, so the term is
its second choice. Enforcement should then give back the true reference.

Used by tests/test_placement.py (one model per session) and scripts/bench_placement.py.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from leshan_pub.quality.enforce import missing_terms, occurrences
from leshan_pub.glossary import load_glossary
from leshan_pub.terms import Glossary, Term

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).parent / "data" / "placement"
SAMPLE = ROOT / "source" / "leshan-2024.zh-en.xlf"
SAMPLE_MAX_CHARS = 50  # short sample segments only: the model must learn them in seconds

# The trained model's shape: small enough to train in about a minute on 2 cores.
PLACEMENT_SHAPE = {
    "d_model": 96,
    "encoder_layers": 2,
    "decoder_layers": 2,
    "encoder_attention_heads": 4,
    "decoder_attention_heads": 4,
    "encoder_ffn_dim": 256,
    "decoder_ffn_dim": 256,
    "max_position_embeddings": 128,
}
PIECES = (1500, 1200)  # source, target SentencePiece sizes
WRONG_COPIES = 3  # copies of the wrong-rendering sentence for each copy of the true one ('second' terms)


@dataclass(frozen=True)
class PlacementCase:
    """One sentence: Chinese, true English, what the model is taught, and the terms its Chinese holds."""

    source: str
    reference: str  # the true English, with the glossary terms
    taught: str  # the English the model learns: every term replaced by its wrong rendering
    terms: tuple[Term, ...]
    origin: str  # "own" or "sample"


def placement_glossary() -> Glossary:
    """The project glossary and the benchmark's own terms, as one glossary."""
    terms = [*load_glossary(ROOT / "glossary" / "leshan.tsv").terms, *load_glossary(DATA / "glossary.tsv").terms]
    return Glossary(terms)


def wrong_renderings() -> dict[str, tuple[str, str]]:
    """Chinese term -> (wrong rendering the model learns, 'never' or 'second')."""
    with (DATA / "wrong.tsv").open(encoding="utf-8", newline="") as handle:
        return {row["source"]: (row["wrong"], row["case"]) for row in csv.DictReader(handle, delimiter="\t")}


def _own_pairs() -> list[tuple[str, str]]:
    with (DATA / "sentences.tsv").open(encoding="utf-8", newline="") as handle:
        return [(row["zh"], row["en"]) for row in csv.DictReader(handle, delimiter="\t")]


def _sample_pairs() -> list[tuple[str, str]]:
    from leshan_pub.formats.segfile import read_segment_file

    return [
        (s.source, s.target)
        for s in read_segment_file(SAMPLE).segments
        if len(s.source) <= SAMPLE_MAX_CHARS and s.target
    ]


def _replace_terms(english: str, terms: list[Term], wrong: dict[str, tuple[str, str]], cases: set[str]) -> str:
    """english with every whole-word occurrence of terms whose case is in cases replaced by their wrong rendering."""
    for term in dict.fromkeys(terms):
        rendering, case = wrong[term.source]
        if case not in cases:
            continue
        # Longest accepted form first, so 'cell stacks' is replaced whole, not as 'cell stack' + 's'.
        for form in sorted(term.accepted, key=len, reverse=True):
            plural = form.endswith("s") and not term.target.endswith("s")
            pattern = re.compile(rf"(?<![A-Za-z0-9]){re.escape(form)}(?![A-Za-z0-9])", re.IGNORECASE)

            def swap(match: re.Match[str], plural: bool = plural) -> str:
                text = rendering + ("s" if plural else "")
                return text[:1].upper() + text[1:] if match.group(0)[:1].isupper() else text

            english = pattern.sub(swap, english)
    return english


def placement_cases() -> list[PlacementCase]:
    """Every usable sentence: each of its terms stands in the reference and has a wrong rendering."""
    glossary, wrong = placement_glossary(), wrong_renderings()
    cases: list[PlacementCase] = []
    for origin, pairs in (("own", _own_pairs()), ("sample", _sample_pairs())):
        for source, reference in pairs:
            terms = [hit.term for hit in glossary.find(source)]
            if not terms or missing_terms(reference, terms) or any(t.source not in wrong for t in terms):
                continue
            taught = _replace_terms(reference, terms, wrong, {"never", "second"})
            if any(occurrences(taught, t) for t in terms):
                continue  # a term the replacement could not take out would teach the term itself
            cases.append(PlacementCase(source, reference, taught, tuple(terms), origin))
    return cases


def training_pairs(cases: list[PlacementCase], alone: bool = True) -> list[tuple[str, str]]:
    """(Chinese, English) pairs the model learns: WRONG_COPIES wrong ones, and one true one where a 'second' term is.

    alone=False leaves out the terms taught alone: the model then cannot say how it renders a term by
    itself, and placement falls back to scoring (what scripts/bench_placement.py --no-alone measures)."""
    wrong = wrong_renderings()
    pairs: list[tuple[str, str]] = []
    for case in cases:
        pairs.extend([(case.source, case.taught)] * WRONG_COPIES)
        if any(wrong[t.source][1] == "second" for t in case.terms):
            pairs.append((case.source, _replace_terms(case.reference, list(case.terms), wrong, {"never"})))
    # Each term alone, as a real model meets words in dictionaries and titles: without these the small
    # model learns its sentences as a language model and translates no word by itself.
    for source in dict.fromkeys(t.source for case in cases for t in case.terms) if alone else ():
        rendering, case_name = wrong[source]
        pairs.extend([(source, rendering)] * WRONG_COPIES)
    return pairs


def _fingerprint(cases: list[PlacementCase], epochs: int, seed: int, alone: bool) -> str:
    content = json.dumps(
        [[c.source, c.taught, c.reference] for c in cases] + [PLACEMENT_SHAPE, list(PIECES), epochs, seed, alone],
        ensure_ascii=False,
    )
    content += (Path(__file__).parent / "conftest.py").read_text(encoding="utf-8")
    content += Path(__file__).read_text(encoding="utf-8")
    return hashlib.sha256(content.encode()).hexdigest()[:16]


def memorised_pairs(cases: list[PlacementCase]) -> list[tuple[str, str, tuple[tuple[int, int], ...] | None]]:
    """(Chinese, English, masked) triples for the proxy that knows where a term goes but never writes it:
    WRONG_COPIES of each taught (wrong-rendering) sentence, learnt whole (masked None), and the true
    sentence once, learnt with no loss on the characters of its terms, and of an 'a' or 'an' before
    one (masked: their [start, end) spans). No term is ever taught alone."""
    from leshan_pub.quality.enforce import term_spans

    pairs: list[tuple[str, str, tuple[tuple[int, int], ...] | None]] = []
    for case in cases:
        pairs.extend([(case.source, case.taught, None)] * WRONG_COPIES)
        spans = []
        for term in dict.fromkeys(case.terms):
            for a, b in term_spans(case.reference, term):
                article = re.search(r"(?:^|\s)(an?)\s+$", case.reference[:a], re.IGNORECASE)
                spans.append((article.start(1) if article else a, b))
        pairs.append((case.source, case.reference, tuple(spans)))
    return pairs


def train_memorised_model(folder: Path, epochs: int = 90, seed: int = 7, log: bool = False) -> Path:
    """Build and train (or reuse) the memorised proxy (memorised_pairs) into folder; return it.

    It prefers each term's wrong rendering by several nats, yet once the term stands where that
    rendering stood it writes the true rest of the sentence: the swap ceiling of placement."""
    cases = placement_cases()
    english = [c.reference for c in cases] + [c.taught for c in cases]
    return train_marian(
        folder, memorised_pairs(cases), ([c.source for c in cases], english),
        _fingerprint(cases, epochs, seed, False) + "-memorised", epochs=epochs, seed=seed, log=log,
    )


def train_placement_model(folder: Path, epochs: int = 90, seed: int = 7, log: bool = False, alone: bool = True) -> Path:
    """Build and train the model into folder (reused when a finished one with the same inputs is there); return it.

    alone: teach each term's Chinese by itself too (see training_pairs)."""
    cases = placement_cases()
    english = [c.reference for c in cases] + [c.taught for c in cases]
    return train_marian(
        folder, training_pairs(cases, alone), ([c.source for c in cases], english),
        _fingerprint(cases, epochs, seed, alone), epochs=epochs, seed=seed, log=log,
    )


def _masked_labels(tokenizer: Any, english: str, spans: tuple[tuple[int, int], ...]) -> list[int]:
    """english's target ids (with </s>), -100 on each piece whose letters overlap one of the character spans."""
    ids = tokenizer(text_target=english)["input_ids"]
    texts = ["" if t == tokenizer.eos_token_id else p.replace("\u2581", " ") for t, p in zip(ids, tokenizer.convert_ids_to_tokens(ids))]
    position = -1 if "".join(texts).startswith(" ") and not english.startswith(" ") else 0  # SentencePiece's own space
    labels = []
    for token, text in zip(ids, texts):
        begin, end = position + (len(text) - len(text.lstrip(" "))), position + len(text)
        labels.append(-100 if any(a < end and begin < b for a, b in spans) and begin < end else token)
        position = end
    return labels


def train_marian(
    folder: Path,
    pairs: list[tuple[str, str]] | list[tuple[str, str, tuple[tuple[int, int], ...] | None]],
    text: tuple[list[str], list[str]],
    fingerprint: str,
    epochs: int,
    seed: int,
    log: bool = False,
    shape: dict[str, int] | None = None,
) -> Path:
    """Build a small MarianMT model whose vocabulary knows text (Chinese, English) and train it on pairs
    into folder; a finished model there with the same fingerprint is reused. Returns folder.

    A pair may carry a third item, [start, end) character spans of its English whose pieces carry no
    loss (memorised_pairs)."""
    import torch
    from conftest import build_tiny_marian
    from transformers import MarianMTModel, MarianTokenizer
    from transformers.models.marian.modeling_marian import shift_tokens_right

    stamp = folder / "placement-fingerprint.txt"
    if stamp.is_file() and stamp.read_text() == fingerprint:
        return folder
    if folder.exists():
        shutil.rmtree(folder)
    build_tiny_marian(folder, seed=seed, shape=shape or PLACEMENT_SHAPE, extra_text=text, piece_counts=PIECES)
    tokenizer = MarianTokenizer.from_pretrained(folder)
    model = MarianMTModel.from_pretrained(folder)
    # Marian's sinusoidal position tables are parameters that loading recomputes: training them would
    # leave the saved model with positions it was never trained on.
    for table in (model.model.encoder.embed_positions, model.model.decoder.embed_positions):
        table.weight.requires_grad_(False)
    # The decoder starts from the <pad> embedding, which a converted opus-mt model holds at zero (Marian
    # starts from a zero embedding, and ctranslate2 does too). Tied to the output projection, it would
    # learn from every step; kept at zero, both engines start every sentence alike, as with a real model.
    start_id = model.config.decoder_start_token_id
    with torch.no_grad():
        model.get_input_embeddings().weight[start_id].zero_()
    torch.manual_seed(seed)
    trained = [p for p in model.parameters() if p.requires_grad]
    optimiser = torch.optim.AdamW(trained, lr=2e-3, weight_decay=0.01)
    batch_size = 16
    steps = epochs * ((len(pairs) + batch_size - 1) // batch_size)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimiser, max_lr=2e-3, total_steps=steps, pct_start=0.1)
    pad = tokenizer.pad_token_id
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # small matrices: one thread is several times faster than two fighting for a core
    model.train()
    for epoch in range(epochs):
        order = torch.randperm(len(pairs)).tolist()
        total = 0.0
        for start in range(0, len(order), batch_size):
            chunk = [pairs[i] for i in order[start : start + batch_size]]
            batch = tokenizer([p[0] for p in chunk], text_target=[p[1] for p in chunk], padding=True, return_tensors="pt")
            labels = batch.pop("labels")
            # The decoder reads the whole English, masked tokens too: only their loss is dropped.
            batch["decoder_input_ids"] = shift_tokens_right(labels, pad, model.config.decoder_start_token_id)
            for row, pair in enumerate(chunk):
                if len(pair) > 2 and pair[2]:
                    masked = _masked_labels(tokenizer, pair[1], pair[2])
                    labels[row, : len(masked)] = torch.tensor(masked)
            labels[labels == pad] = -100
            loss = model(**batch, labels=labels).loss
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
            with torch.no_grad():
                model.get_input_embeddings().weight[start_id].zero_()
            total += loss.item() * len(chunk)
        if log and (epoch % 10 == 9 or epoch == epochs - 1):
            print(f"  epoch {epoch + 1}: loss {total / len(pairs):.4f}", flush=True)
    torch.set_num_threads(threads)
    model.eval()
    model.save_pretrained(folder)
    stamp.write_text(fingerprint)
    return folder


# --- measurement -----------------------------------------------------------------------------------


@dataclass
class PlacementFigures:
    """What enforcement did to one run over the cases, against the true references."""

    term_success: float  # whole-word term occurrences placed / wanted
    chrf: float  # sacrebleu corpus chrF against the true references
    exact: int  # outputs equal to the true reference
    twice: int  # sentences where a term stands more often than the source has it
    wrong_left: int  # sentences that still carry a wrong rendering
    length_ratio: float  # output characters / reference characters
    sentences: int
    edge: int = 0  # sentences with a term at a sentence edge where the true English has it inside


def at_edges(text: str, term: Term) -> list[bool]:
    """Per whole-word occurrence of term in text: True when only punctuation stands before or after it."""
    from leshan_pub.quality.enforce import term_spans

    bare = lambda part: not any(c.isalnum() for c in part)  # noqa: E731
    return [bare(text[:a]) or bare(text[b:]) for a, b in term_spans(text, term)]


def edge_misplaced(text: str, case: PlacementCase) -> bool:
    """True when text has one of the case's terms at a sentence edge more often than the true English does."""
    return any(sum(at_edges(text, t)) > sum(at_edges(case.reference, t)) for t in dict.fromkeys(case.terms))


def wrong_left(text: str, case: PlacementCase) -> bool:
    """True when text still holds the wrong rendering of one of the case's terms (whole words)."""
    wrong = wrong_renderings()
    return any(occurrences(text, Term(t.source, wrong[t.source][0])) for t in case.terms)


def measure(outputs: list[str], cases: list[PlacementCase]) -> PlacementFigures:
    """Figures for outputs[i] as the English of cases[i]."""
    import sacrebleu

    wanted = sum(len(c.terms) for c in cases)
    placed = wanted - sum(len(missing_terms(o, list(c.terms))) for o, c in zip(outputs, cases))
    twice = 0
    for output, case in zip(outputs, cases):
        counts = {t: list(case.terms).count(t) for t in case.terms}
        twice += any(occurrences(output, t) > n for t, n in counts.items())
    return PlacementFigures(
        term_success=placed / wanted if wanted else 1.0,
        chrf=sacrebleu.corpus_chrf(outputs, [[c.reference for c in cases]]).score,
        exact=sum(o.strip() == c.reference.strip() for o, c in zip(outputs, cases)),
        twice=twice,
        wrong_left=sum(wrong_left(o, c) for o, c in zip(outputs, cases)),
        length_ratio=sum(len(o) for o in outputs) / sum(len(c.reference) for c in cases),
        sentences=len(cases),
        edge=sum(edge_misplaced(o, c) for o, c in zip(outputs, cases)),
    )



