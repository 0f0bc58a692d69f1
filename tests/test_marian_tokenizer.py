"""The sentencepiece-only Marian tokenizer gives what transformers' MarianTokenizer gives: ids, pieces, text."""

from __future__ import annotations

import json
import shutil
import warnings
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import build_tiny_marian
from leshan_pub.engines.marian_tokenizer import MarianSentencePieceTokenizer

transformers = pytest.importorskip("transformers")

STRINGS = [
    "", " ", "乐山市经济保持稳定增长。", "乐山大佛位于四川省乐山市。", "２０２４年１２月３１日，ＧＤＰ增长５．６％",
    "2024年GDP增长5.6%", "“乐山”（Leshan）、峨眉山！？……——", "Leshan Giant Buddha is 71 m tall.",
    "  两个  空格  ", "\t制表\n换行\r\n", "龘𠀀😀☃", "<unk>", "</s>乐山<pad>", "a</s>b", ">>eng<< 乐山", ">>eng<<",
    "x" * 700, "乐山" * 400, "ÀÉÎõü ñ ß", "Ｌｅｓｈａｎ", "\u3000全角空格\u3000", "don't it's I'm", "a , b . c ?",
]


def _reference(folder: Path) -> Any:
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Recommended: pip install sacremoses")
        return transformers.MarianTokenizer.from_pretrained(str(folder), local_files_only=True)


@pytest.fixture(scope="module")
def old_config_dir(tiny_marian_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny model with the tokenizer_config.json opus-mt-zh-en has on the hub: languages only."""
    folder = tmp_path_factory.mktemp("old-config") / "model"
    shutil.copytree(tiny_marian_dir, folder)
    (folder / "tokenizer_config.json").write_text(json.dumps({"target_lang": "eng", "source_lang": "zho"}))
    return folder


@pytest.fixture(scope="module")
def separate_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_marian(tmp_path_factory.mktemp("separate"), separate_vocabularies=True)


@pytest.fixture(scope="module", params=["tiny", "old-config", "separate"])
def pair(request: pytest.FixtureRequest) -> tuple[Any, MarianSentencePieceTokenizer]:
    name = {"tiny": "tiny_marian_dir", "old-config": "old_config_dir", "separate": "separate_dir"}[request.param]
    folder = request.getfixturevalue(name)
    return _reference(folder), MarianSentencePieceTokenizer(folder)


def _same(reference: Any, ours: MarianSentencePieceTokenizer, text: str) -> None:
    for kwargs in ({}, {"truncation": True, "max_length": 7}, {"truncation": True, "max_length": 512}):
        assert ours([text], **kwargs)["input_ids"] == reference([text], **kwargs)["input_ids"], (text, kwargs)
    assert ours(text)["input_ids"] == reference(text)["input_ids"]
    target = {"text_target": text, "add_special_tokens": False}
    assert ours(**target)["input_ids"] == reference(**target)["input_ids"], text
    assert ours.tokenize(text) == reference.tokenize(text), text
    english = [*reference(**target)["input_ids"], reference.eos_token_id]
    # Ids to pieces reads the target side: source ids mean the same there only with one shared vocabulary.
    for ids in [english] if reference.separate_vocabs else [english, reference([text])["input_ids"][0]]:
        tokens = reference.convert_ids_to_tokens(ids)
        assert ours.convert_ids_to_tokens(ids) == tokens
        # MarianTokenizer's convert_tokens_to_string reads the side its last decode used (the source's,
        # with one shared vocabulary); the engines call it after decoding.
        reference._decode_use_source_tokenizer = not reference.separate_vocabs
        assert ours.convert_tokens_to_string(tokens) == reference.convert_tokens_to_string(tokens)
        assert ours.convert_tokens_to_ids(tokens) == reference.convert_tokens_to_ids(tokens)
        for skip in (False, True):
            assert ours.decode(ids, skip_special_tokens=skip) == reference.decode(ids, skip_special_tokens=skip), text


def test_the_tokenizers_agree_on_the_vocabulary_and_special_tokens(pair: tuple[Any, MarianSentencePieceTokenizer]) -> None:
    reference, ours = pair
    assert (ours.eos_token_id, ours.unk_token_id, ours.unk_token) == (
        reference.eos_token_id, reference.unk_token_id, reference.unk_token)
    assert ours.all_special_tokens == reference.all_special_tokens
    assert ours.model_max_length == reference.model_max_length
    assert ours.separate_vocabs == reference.separate_vocabs
    assert ours.get_vocab() == reference.get_vocab() and ours.get_src_vocab() == reference.get_src_vocab()
    assert len(ours) == len(reference) and ours.encoder == reference.encoder
    if reference.separate_vocabs:
        assert ours.target_encoder == reference.target_encoder
    every = list(range(len(reference.decoder)))
    assert ours.convert_ids_to_tokens(every) == reference.convert_ids_to_tokens(every)
    assert ours.decode(every) == reference.decode(every)
    pieces = list(reference.get_vocab())
    assert ours.convert_tokens_to_ids(pieces) == reference.convert_tokens_to_ids(pieces)
    assert [ours.spm_target.id_to_piece(i) for i in range(ours.spm_target.get_piece_size())] == [
        reference.spm_target.id_to_piece(i) for i in range(reference.spm_target.get_piece_size())]


@pytest.mark.parametrize("text", STRINGS)
def test_the_tokenizers_agree_on_chosen_strings(pair: tuple[Any, MarianSentencePieceTokenizer], text: str) -> None:
    _same(*pair, text)


_CHARACTERS = st.one_of(
    st.sampled_from("乐山市经济保持稳定增长大佛峨眉的了在和是，。、；：？！“”‘’（）《》【】—…·"),
    st.sampled_from("０１２３４５６７８９ＡＢＣａｂｃ％＄　"),
    st.sampled_from(["</s>", "<unk>", "<pad>", ">>eng<<", " ", "  ", "\n", "\t"]),
    st.characters(codec="utf-8", exclude_categories=("Cs",)),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.lists(_CHARACTERS, max_size=40).map("".join))
def test_the_tokenizers_agree_on_any_text(tiny_marian_dir: Path, text: str) -> None:
    _same(*_pair(tiny_marian_dir), text)


_PAIRS: dict[Path, tuple[Any, MarianSentencePieceTokenizer]] = {}


def _pair(folder: Path) -> tuple[Any, MarianSentencePieceTokenizer]:
    if folder not in _PAIRS:
        _PAIRS[folder] = (_reference(folder), MarianSentencePieceTokenizer(folder))
    return _PAIRS[folder]
