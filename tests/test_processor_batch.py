"""The glossary processor's tensor path: rows at no event are steered by operations over the whole
batch, and every row gets exactly the scores it gets when each row is steered in Python."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
import torch

from leshan_pub.engines import EngineOptions, load_engine
from leshan_pub.engines.constraints import TermConstraintProcessor
from leshan_pub.engines.spelling import Anchor, SegmentPlan, TargetVocab, spell_term
from leshan_pub.glossary import Term, load_glossary

GLOSSARY_PATH = Path(__file__).parents[1] / "glossary" / "leshan.tsv"
DRAFT = 30


@pytest.fixture(scope="module")
def vocab(tiny_marian_dir: Path) -> TargetVocab:
    return TargetVocab(load_engine("transformers", EngineOptions(model=str(tiny_marian_dir))).tokenizer)


def single_token_word(vocab: TargetVocab) -> str:
    """A word the tiny vocabulary writes as one piece: a forbidden rendering banned wherever it would begin."""
    return next(w for w in ("the", "and", "of", "city", "in") if len(vocab.encode(w)) == 1)


def segment_terms(vocab: TargetVocab, count: int) -> list[list[Term]]:
    """count segments of two or three terms each: glossary terms with variants and forbidden renderings,
    and one whose forbidden rendering is a single piece."""
    glossary = load_glossary(GLOSSARY_PATH)
    pool = [t for t in glossary.terms if len(t.target.split()) <= 3 and spell_term(vocab, t) is not None]
    pool.append(Term("乐山", "Leshan", forbidden=(single_token_word(vocab),)))
    rng = random.Random(count)
    return [rng.sample(pool, rng.choice((2, 3))) for _ in range(count)]


def drafts_and_anchors(vocab: TargetVocab, plans: list[SegmentPlan], rng: random.Random):  # type: ignore[no-untyped-def]
    """A random draft per segment, holding some forbidden renderings, and an anchor per term: at a draft
    position, or (for some) by its context only, some in a form of their own."""
    special = {vocab.eos_id, vocab.unk_id, vocab.tokenizer.pad_token_id}
    drafts, anchors = [], []
    for plan in plans:
        # Words the model might write: pieces that begin a word, none of them a term's.
        draft = [t for t in (rng.randrange(len(vocab.tokenizer)) for _ in range(20 * DRAFT)) if t not in special]
        draft = [t for t in draft if t not in plan.tokens and vocab.starts_word(t)][:DRAFT]
        for forbidden in plan.forbidden[:1]:
            at = rng.randrange(1, DRAFT - len(forbidden))
            draft[at : at + len(forbidden)] = forbidden
        found = {}
        for i, spelling in enumerate(plan.spellings):
            at = 4 + 8 * i
            form = spelling.spellings[-1] if rng.random() < 0.3 else ()
            found[i] = [Anchor(tuple(draft[at - 2 : at]), tuple(draft[at : at + 2]), draft[at + 2], form,
                               at if rng.random() < 0.7 else -1)]
        drafts.append(draft)
        anchors.append(found)
    return drafts, anchors


def decode_both(
    vocab: TargetVocab, segments: int, beams: int, seed: int, drafted: bool, tempted: float = 0.25, device: str = "cpu"
) -> tuple[int, int]:
    """Beam-search random scores (towards the drafts; a share `tempted` of the rows each step towards the
    anchors' displaced tokens, the end or the forbidden renderings) under two processors, one steering by tensors and one every row in Python;
    assert every step's scores and the last resort's record are the same. Returns (rows in Python, rows)."""
    rng = random.Random(seed)
    generator = torch.Generator().manual_seed(seed)
    plans = [SegmentPlan([spell_term(vocab, t) for t in ts]) for ts in segment_terms(vocab, segments)]
    drafts, anchors = drafts_and_anchors(vocab, plans, rng) if drafted else (None, None)
    steps = DRAFT + max(p.initial_need for p in plans) + 2 if drafted else 14
    made = [
        TermConstraintProcessor(plans, vocab, num_beams=beams, budget=steps - 1, anchors=anchors, drafts=drafts)
        for _ in range(2)
    ]
    tensor_path, python_path = made
    python_path.vectorised = False
    rows, width = segments * beams, len(vocab.tokenizer)
    ids = torch.full((rows, 1), vocab.tokenizer.pad_token_id, dtype=torch.long)
    beam_scores = torch.zeros(segments, beams)
    beam_scores[:, 1:] = -1e9  # the beams of a segment start alike: only the first goes on at the first step
    temptations = [vocab.eos_id, *(a.displaced[0] for found in anchors or [] for f in found.values() for a in f)]
    temptations += [f[0] for plan in plans for f in plan.forbidden]
    for step in range(steps):
        scores = torch.randn(rows, width, generator=generator).log_softmax(-1)
        for row in range(rows):
            if drafts and step < DRAFT:
                scores[row, drafts[row // beams][step]] += 6.0
            if rng.random() < tempted:
                scores[row, rng.choice(temptations)] += 8.0
        processed = tensor_path(ids.to(device), scores.clone().to(device)).cpu()
        reference = python_path(ids.to(device), scores.clone().to(device)).cpu()
        if device == "cpu":
            assert torch.equal(processed, reference), f"step {step}"
        else:  # a GPU may add a row's bonuses up in another order
            assert torch.equal(processed.isinf(), reference.isinf()), f"step {step}"
            assert torch.allclose(processed.nan_to_num(neginf=0.0), reference.nan_to_num(neginf=0.0), atol=1e-5)
        total = (beam_scores.view(-1, 1) + processed).view(segments, -1)
        best, index = total.topk(beams, dim=-1)
        parents = (index // width + torch.arange(segments)[:, None] * beams).flatten()
        ids = torch.cat([ids[parents], (index % width).view(-1, 1)], dim=1)
        beam_scores = best
    assert tensor_path.fallbacks == python_path.fallbacks
    return tensor_path.python_rows, tensor_path.rows_seen


@pytest.mark.parametrize("beams", [1, 4])
@pytest.mark.parametrize("drafted", [True, False], ids=["drafts", "no-drafts"])
def test_tensor_path_scores_every_row_as_python_does(vocab, beams, drafted):
    python_rows, rows = decode_both(vocab, segments=12, beams=beams, seed=beams, drafted=drafted)
    assert 0 < python_rows < rows


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_tensor_path_on_a_gpu_scores_every_row_as_python_does(vocab):
    python_rows, rows = decode_both(vocab, segments=12, beams=4, seed=5, drafted=True, device="cuda")
    assert 0 < python_rows < rows


def test_rows_at_no_event_stay_out_of_python(vocab):
    # One hypothesis keeps to its draft, meets its anchor at draft position 12, writes its term there
    # and resumes the draft: it is steered in Python at its first step, and from its anchor until the
    # term is written and the draft resumed, only.
    term = Term("全钒液流电池", "vanadium flow battery")
    plan = SegmentPlan([spell_term(vocab, term)])
    rng = random.Random(3)
    draft = [t for t in (rng.randrange(len(vocab.tokenizer)) for _ in range(2000))
             if vocab.starts_word(t) and t not in plan.tokens and t != vocab.eos_id][:DRAFT]
    at = 12
    anchor = Anchor(tuple(draft[at - 2 : at]), tuple(draft[at : at + 2]), draft[at + 2], at=at)
    processor = TermConstraintProcessor([plan], vocab, num_beams=1, budget=DRAFT + 10, anchors=[{0: [anchor]}], drafts=[draft])
    ids = torch.tensor([[vocab.tokenizer.pad_token_id]])
    length = len(plan.spellings[0].primary)
    in_python = []
    for step in range(DRAFT):
        scores = torch.full((1, len(vocab.tokenizer)), -10.0)
        # The model writes its draft: after the term, from where the rendering it replaced ends.
        wanted = step - length + 2 if step > at else step
        scores[0, draft[min(wanted, DRAFT - 1)]] = 0.0
        before = processor.python_rows
        scores = processor(ids, scores)
        in_python.append(processor.python_rows - before)
        ids = torch.cat([ids, scores.argmax(-1, keepdim=True)], dim=1)
    # The draft, the term in place of the two tokens it displaced, and the draft again.
    assert ids[0, 1 : at + length + 3].tolist() == [*draft[:at], *plan.spellings[0].primary, *draft[at + 2 : at + 4]]
    assert in_python[0] == 1 and sum(in_python[1:at]) == 0
    assert all(in_python[at : at + length])  # the term is written
    assert sum(in_python[at + length + 3 :]) == 0  # back on its draft, after the held steps
