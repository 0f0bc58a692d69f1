"""Shared pytest fixtures."""

from __future__ import annotations

import io
import json
import os
import tempfile
import warnings
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest
from hypothesis import settings

DATA = Path(__file__).parent / "data"

# Property tests draw the same examples on every run, so a chance draw never decides CI.
# HYPOTHESIS_PROFILE=search draws fresh ones, many more of them: run it to look for new cases.
settings.register_profile("repeatable", derandomize=True)
settings.register_profile("search", derandomize=False, max_examples=3000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))


# --- tiny MarianMT model (engines, constraints) -------------------------------------------------
# A random-weight MarianMT folder built the way FIELD-NOTES describes, so tests exercise the same
# from_pretrained path as the real opus-mt-zh-en without any network. It checks mechanics only.

TINY_MARIAN_SEED = 1234
# Every printable ASCII character, so the target vocabulary can spell any English term.
_PRINTABLE_ASCII = "".join(chr(c) for c in range(33, 127))


def _train_spm(lines: Iterable[str], vocab_size: int) -> bytes:
    """Train a unigram SentencePiece model in memory and return its serialised bytes."""
    import sentencepiece as spm

    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(list(lines)),
        model_writer=model,
        vocab_size=vocab_size,
        character_coverage=1.0,
        hard_vocab_limit=False,
        model_type="unigram",
        num_threads=1,
        minloglevel=2,
    )
    return model.getvalue()


def _pieces(spm_bytes: bytes) -> list[str]:
    import sentencepiece as spm

    processor = spm.SentencePieceProcessor(model_proto=spm_bytes)
    return [
        processor.id_to_piece(i)
        for i in range(processor.get_piece_size())
        if not (processor.is_control(i) or processor.is_unknown(i))
    ]


def _padded_spm(spm_bytes: bytes, pieces: int) -> bytes:
    """The SentencePiece model with filler pieces added up to that many pieces in all: pieces no text
    holds (never used to spell anything), for a benchmark model whose English side is opus-mt's size."""
    from sentencepiece import sentencepiece_model_pb2

    model = sentencepiece_model_pb2.ModelProto()
    model.ParseFromString(spm_bytes)
    lowest = min(p.score for p in model.pieces)
    for n in range(len(model.pieces), pieces):
        model.pieces.add(piece=f"\u2581<english-filler-{n}>", score=lowest - 1.0)
    return model.SerializeToString()


def _marian_vocab(source_pieces: list[str], target_pieces: list[str], size: int | None = None) -> dict[str, int]:
    """One shared vocabulary as opus-mt has it: </s>=0, <unk>=1, both piece lists, <pad> last.

    With size, filler entries bring it to that many ids (a benchmark needs opus-mt's 65,001).
    """
    vocab = {"</s>": 0, "<unk>": 1}
    for piece in [*source_pieces, *target_pieces]:
        vocab.setdefault(piece, len(vocab))
    while size is not None and len(vocab) < size - 1:
        vocab[f"<filler-{len(vocab)}>"] = len(vocab)
    vocab["<pad>"] = len(vocab)
    return vocab


# The shape of the test model; scripts/bench_enforce.py passes opus-mt-zh-en's instead.
TINY_SHAPE = {
    "d_model": 32,
    "encoder_layers": 1,
    "decoder_layers": 1,
    "encoder_attention_heads": 2,
    "decoder_attention_heads": 2,
    "encoder_ffn_dim": 64,
    "decoder_ffn_dim": 64,
    "max_position_embeddings": 256,
}


def build_tiny_marian(
    folder: Path,
    seed: int = TINY_MARIAN_SEED,
    shape: dict[str, int] | None = None,
    vocab_size: int | None = None,
    extra_text: tuple[list[str], list[str]] = ([], []),
    piece_counts: tuple[int, int] = (600, 400),
    separate_vocabularies: bool = False,
    target_pieces: int | None = None,
) -> Path:
    """Write a random-weight MarianMT model (tiny unless shape says otherwise) and its tokenizer; return folder.

    extra_text adds (Chinese, English) lines to what the SentencePiece models learn from, and
    piece_counts sets their (source, target) sizes: a model that is then trained on those lines
    needs their characters in its vocabulary. separate_vocabularies numbers the two sides apart, as
    some Tatoeba models do (vocab.json and target_vocab.json, of different sizes). target_pieces
    pads the English SentencePiece model with filler pieces to that many (a benchmark model takes
    opus-mt-zh-en's; the rest of vocab_size is filler outside both sides, as its Chinese is to the English).
    """
    import torch
    from transformers import MarianConfig, MarianMTModel, MarianTokenizer

    chinese = (DATA / "tiny_marian_zh.txt").read_text(encoding="utf-8").splitlines() + list(extra_text[0])
    english = (DATA / "tiny_marian_en.txt").read_text(encoding="utf-8").splitlines() + list(extra_text[1])
    source_spm = _train_spm(chinese, vocab_size=piece_counts[0])
    target_spm = _train_spm([*english, _PRINTABLE_ASCII], vocab_size=piece_counts[1])
    if target_pieces is not None:
        target_spm = _padded_spm(target_spm, target_pieces)
    if separate_vocabularies:
        vocab, target_vocab = _marian_vocab(_pieces(source_spm), []), _marian_vocab([], _pieces(target_spm))
    else:
        vocab = target_vocab = _marian_vocab(_pieces(source_spm), _pieces(target_spm), vocab_size)
    with tempfile.TemporaryDirectory() as scratch:
        spm_folder = Path(scratch)
        (spm_folder / "source.spm").write_bytes(source_spm)
        (spm_folder / "target.spm").write_bytes(target_spm)
        (spm_folder / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
        (spm_folder / "target_vocab.json").write_text(json.dumps(target_vocab, ensure_ascii=False), encoding="utf-8")
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Recommended: pip install sacremoses")
            tokenizer = MarianTokenizer(
                source_spm=str(spm_folder / "source.spm"),
                target_spm=str(spm_folder / "target.spm"),
                vocab=str(spm_folder / "vocab.json"),
                target_vocab_file=str(spm_folder / "target_vocab.json"),
                separate_vocabs=separate_vocabularies,
                source_lang="zho",
                target_lang="eng",
            )
        tokenizer.save_pretrained(folder)
    pad = target_vocab["<pad>"]  # the decoder starts from it; the tokenizer pads the source with its own
    sides = {"decoder_vocab_size": len(target_vocab), "share_encoder_decoder_embeddings": False} if separate_vocabularies else {}
    config = MarianConfig(
        vocab_size=len(vocab),
        **sides,
        **(shape or TINY_SHAPE),
        pad_token_id=pad,
        decoder_start_token_id=pad,
        eos_token_id=0,
        forced_eos_token_id=0,
    )
    torch.manual_seed(seed)
    model = MarianMTModel(config)
    model.generation_config.bad_words_ids = [[pad]]
    model.save_pretrained(folder)
    return folder


@pytest.fixture(scope="session")
def tiny_marian_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A saved tiny random-weight MarianMT folder (zh -> en), loadable with from_pretrained."""
    return build_tiny_marian(tmp_path_factory.mktemp("tiny-marian"))


@pytest.fixture(scope="session")
def memorised_model() -> Path:
    """The trained proxy that has memorised whole sentences (tests/placement.py memorised_pairs), where
    scripts/bench_placement.py keeps it: trained once (minutes), reused while tests/placement.py and this
    file are unchanged."""
    import torch
    from placement import ROOT, train_memorised_model

    threads = torch.get_num_threads()
    try:
        return train_memorised_model(ROOT / "build" / "placement-model-memorised")
    finally:
        torch.set_num_threads(threads)


# --- end tiny MarianMT model ---------------------------------------------------------------------


# --- Font cache -------------------------------------------------------------------------------------


@pytest.fixture(scope="session", autouse=True)
def font_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One font cache for the whole session, in a temporary folder, never the user's cache.

    Set in the environment, so CLI runs in subprocesses use it too; fonts are prepared once.
    """
    folder = tmp_path_factory.getbasetemp() / "font-cache"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LESHAN_PUB_CACHE_DIR", str(folder))
        yield folder


# --- Translation memory -------------------------------------------------------------------------------


@pytest.fixture(scope="session", autouse=True)
def session_memory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A translation memory for the whole session in a temporary folder, so no test run (CLI runs in
    subprocesses included) records its made-up work in the repository's glossary/memory.tmx."""
    path = tmp_path_factory.getbasetemp() / "session-memory.tmx"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LESHAN_PUB_MEMORY", str(path))
        yield path
