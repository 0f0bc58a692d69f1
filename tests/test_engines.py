"""The engine registry and the transformers (MarianMT) engine: loading, errors, batching, order."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from leshan_pub.engines import DEFAULT_MODEL, ENGINES, EngineOptions, Translation, engine_names, load_engine
from leshan_pub.engines.marian import MarianEngine
from leshan_pub.errors import EngineError, ModelUnavailableError
from leshan_pub.glossary import Term

COMMIT = "0123456789abcdef0123456789abcdef01234567"


def options(folder: Path | str, **changes: object) -> EngineOptions:
    return EngineOptions(model=str(folder), progress=False, **changes)


@pytest.fixture(autouse=True)
def no_hub(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test here may wait on the network: a slip shows as an error, not as minutes of retries."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


@pytest.fixture(scope="module")
def engine(tiny_marian_dir: Path) -> MarianEngine:
    return load_engine("transformers", options(tiny_marian_dir, num_beams=2, batch_size=3))


def test_importing_engines_does_not_import_torch():
    code = "import sys, leshan_pub.engines; print('torch' in sys.modules, 'transformers' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["False", "False"]


def test_registry_names_the_transformers_engine():
    assert engine_names() == sorted(ENGINES) == ["transformers"]


@pytest.mark.parametrize("name", ["ctranslate2", "Transformers", "", "marian"])
def test_unknown_engine_name_lists_the_valid_ones(name):
    with pytest.raises(EngineError, match=rf"unknown engine '{name}'; choose one of: transformers"):
        load_engine(name, EngineOptions())


def test_engine_loads_a_saved_folder_through_from_pretrained(engine, tiny_marian_dir):
    assert engine.name == "transformers"
    assert engine.model_id == str(tiny_marian_dir)
    assert engine.model_revision == ""  # a plain folder has no commit
    assert not engine.model.training
    assert engine.device == torch.device("cuda" if torch.cuda.is_available() else "cpu")


def test_folder_inside_the_hub_cache_reports_its_commit(tiny_marian_dir, tmp_path):
    snapshot = tmp_path / "models--Helsinki-NLP--opus-mt-zh-en" / "snapshots" / COMMIT
    shutil.copytree(tiny_marian_dir, snapshot)
    assert load_engine("transformers", options(snapshot)).model_revision == COMMIT


def _folder_without(source: Path, target: Path, *names: str) -> Path:
    shutil.copytree(source, target)
    for name in names:
        (target / name).unlink()
    return target


@pytest.mark.parametrize(
    ("make_model", "message"),
    [
        (lambda tiny, tmp: tmp / "no-such-model", "no such folder"),
        (lambda tiny, tmp: "./models/nothing-here", "no such folder"),
        (lambda tiny, tmp: tmp, "lacks config.json, source.spm, target.spm, vocab.json, model.safetensors"),
        (
            lambda tiny, tmp: _folder_without(tiny, tmp / "m", "source.spm", "target.spm"),
            "lacks source.spm, target.spm",
        ),
        (lambda tiny, tmp: _folder_without(tiny, tmp / "m", "model.safetensors"), "lacks model.safetensors"),
        (lambda tiny, tmp: tiny / "config.json", "it is a file"),
    ],
    ids=["missing-folder", "missing-relative-folder", "empty-folder", "no-spm-files", "no-weights", "a-file"],
)
def test_unusable_model_folder_raises_an_actionable_error(tiny_marian_dir, tmp_path, make_model, message):
    model = str(make_model(tiny_marian_dir, tmp_path))
    with pytest.raises(ModelUnavailableError, match=message) as error:
        load_engine("transformers", options(model))
    assert str(error.value).startswith(f"cannot load model '{model}': ")
    assert "\n" not in str(error.value)


def test_corrupt_spm_file_raises_model_unavailable(tiny_marian_dir, tmp_path):
    folder = shutil.copytree(tiny_marian_dir, tmp_path / "m")
    (folder / "source.spm").write_bytes(b"not a sentencepiece model")
    with pytest.raises(ModelUnavailableError, match="does not hold a usable MarianMT model"):
        load_engine("transformers", options(folder))


@pytest.mark.parametrize("model", [DEFAULT_MODEL, "Helsinki-NLP/opus-mt-zh-en-not-cached"])
def test_offline_hub_id_not_in_cache_says_how_to_get_it(monkeypatch, tmp_path, model):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ModelUnavailableError) as error:
        load_engine("transformers", EngineOptions(model=model))
    message = str(error.value)
    assert message.startswith(f"cannot load model '{model}': not in the local Hugging Face cache")
    assert f"`hf download {model}`" in message
    assert "--model DIR" in message
    assert "\n" not in message


def test_missing_sentencepiece_raises_model_unavailable(monkeypatch, tiny_marian_dir):
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "sentencepiece" else real_find_spec(name, *a)
    )
    with pytest.raises(ModelUnavailableError, match="pip install sentencepiece"):
        load_engine("transformers", options(tiny_marian_dir))


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"batch_size": 0}, "batch_size must be at least 1"),
        ({"num_beams": 0}, "num_beams must be at least 1"),
        ({"max_new_tokens": 1}, "max_new_tokens must be at least 2"),
        ({"device": "gpu-please"}, "unknown device 'gpu-please'"),
    ],
)
def test_bad_options_raise_engine_error(tiny_marian_dir, changes, message):
    with pytest.raises(EngineError, match=message):
        load_engine("transformers", options(tiny_marian_dir, **changes))


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_cuda_device_without_a_gpu_raises_engine_error(tiny_marian_dir):
    with pytest.raises(EngineError, match="sees no CUDA GPU"):
        load_engine("transformers", options(tiny_marian_dir, device="cuda"))


# Each source holds one different term, so a translation that lands at the wrong index shows.
ORDERED = [
    ("乐山大佛是世界文化遗产。", Term("乐山", "Leshan")),
    ("沐川县竹资源丰富，竹浆纸产业发展迅速，带动了当地经济。", Term("沐川", "Muchuan")),
    ("五通桥", Term("五通桥", "Wutongqiao")),
    ("伟力得公司的电堆产品出口到多个国家。", Term("伟力得", "Weilide")),
    ("夹江的年画和手工造纸闻名全国，吸引了很多游客前来参观。", Term("夹江", "Jiajiang")),
    ("保乐力加在峨眉山投资。", Term("保乐力加", "Pernod Ricard")),
    ("郎酒集团也在乐山布局。", Term("郎酒集团", "Langjiu Group")),
]


def test_batching_keeps_the_order_of_segments(engine):
    sources = [source for source, _ in ORDERED]
    translations = engine.translate(sources, [[term] for _, term in ORDERED])
    assert len(translations) == len(ORDERED)
    for translation, (_, term) in zip(translations, ORDERED):
        assert term.target in translation.text
        others = [t.target for _, t in ORDERED if t is not term and t.target not in term.target]
        assert not [o for o in others if o in translation.text]


def test_blank_sources_stay_blank_and_in_place(tiny_marian_dir):
    engine = load_engine("transformers", options(tiny_marian_dir, num_beams=2, max_new_tokens=12))
    # The oracle: the model's own beam search on the one real sentence, outside the engine's batching.
    with torch.inference_mode():
        ids = engine.model.generate(**engine.tokenizer(["乐山"], return_tensors="pt").to(engine.device),
                                    num_beams=2, max_new_tokens=12)
    expected = engine.tokenizer.decode(ids[0], skip_special_tokens=True)
    assert expected.strip()
    translations = engine.translate(["", "乐山", "  "], [[], [], []])
    assert [t.text for t in translations] == ["", expected, ""]
    term = Term("乐山", "Leshan")
    [alone] = engine.translate(["乐山"], [[term]])  # under a term: the same English as on its own
    assert [t.text for t in engine.translate(["", "乐山", "  "], [[], [term], []])] == ["", alone.text, ""]
    assert "Leshan" in alone.text


def test_translate_without_terms_returns_english_and_no_missing(engine):
    [translation] = engine.translate(["今天天气很好。"], [[]])
    assert isinstance(translation, Translation)
    assert translation.text and translation.missing == [] and translation.notes == []


def test_sources_and_term_lists_must_pair_up(engine):
    with pytest.raises(ValueError, match="2 sources but 1 term lists"):
        engine.translate(["乐山", "沐川"], [[]])


def test_overlong_source_is_noted_as_truncated(tiny_marian_dir):
    engine = load_engine("transformers", options(tiny_marian_dir, max_new_tokens=4))
    [translation] = engine.translate(["乐山" * 400], [[]])
    assert any("its end was not translated" in note for note in translation.notes)


@pytest.mark.parametrize(("progress", "shown"), [(True, True), (False, False)])
def test_progress_bar_goes_to_stderr_for_more_than_one_batch(tiny_marian_dir, capsys, progress, shown):
    settings = EngineOptions(model=str(tiny_marian_dir), progress=progress, batch_size=1, max_new_tokens=4)
    engine = load_engine("transformers", settings)
    capsys.readouterr()  # loading reports its own progress
    engine.translate(["乐山", "沐川"], [[], []])
    captured = capsys.readouterr()
    assert ("translating" in captured.err) is shown
    assert captured.out == ""


def test_single_batch_shows_no_progress_bar(tiny_marian_dir, capsys):
    engine = load_engine("transformers", EngineOptions(model=str(tiny_marian_dir), max_new_tokens=4))
    capsys.readouterr()
    engine.translate(["乐山"], [[]])
    assert "translating" not in capsys.readouterr().err


def test_check_terms_reports_what_the_vocabulary_cannot_spell(engine):
    good, bad = Term("乐山", "Leshan"), Term("测试", "naïve")
    [(term, reason)] = engine.check_terms([good, bad, bad])
    assert term == bad and "'ï'" in reason

