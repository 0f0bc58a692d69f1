"""The engine registry and the transformers (MarianMT) engine: loading, errors, batching, order."""

from __future__ import annotations

import gc
import importlib.util
import os
import shutil
import subprocess
import sys
import weakref
from pathlib import Path

import pytest
import torch

from leshan_pub.engines import DEFAULT_MODEL, ENGINES, EngineOptions, Translation, engine_names, load_engine
from leshan_pub.quality.cut import english_cut_note
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
    code = "import sys, leshan_pub.engines; print([m in sys.modules for m in ('torch', 'transformers', 'ctranslate2')])"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[False, False, False]"


def test_registry_names_both_engines():
    assert engine_names() == sorted(ENGINES) == ["ctranslate2", "transformers"]


@pytest.mark.parametrize("name", ["CTranslate2", "Transformers", "", "marian"])
def test_unknown_engine_name_lists_the_valid_ones(name):
    with pytest.raises(EngineError, match=rf"unknown engine '{name}'; choose one of: ctranslate2, transformers$"):
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
    with pytest.raises(ModelUnavailableError, match=r"sentencepiece package is missing; pip install .leshan-pub\[transformers\]."):
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


def others_put_in(translations: list[Translation], drafts: list[Translation]) -> list[list[str]]:
    """Per ORDERED segment, the other segments' terms its English holds that its unenforced draft did not:
    a term put into the wrong segment. (Random weights run on to the length limit and may spell a name.)"""
    return [
        [t.target for _, t in ORDERED if t is not term and t.target not in term.target
         and t.target in translation.text and t.target not in draft.text]
        for translation, draft, (_, term) in zip(translations, drafts, ORDERED)
    ]


def test_batching_keeps_the_order_of_segments(engine):
    sources = [source for source, _ in ORDERED]
    translations = engine.translate(sources, [[term] for _, term in ORDERED])
    assert len(translations) == len(ORDERED)
    assert all(term.target in translation.text for translation, (_, term) in zip(translations, ORDERED))
    assert others_put_in(translations, engine.translate(sources, [[]] * len(sources))) == [[]] * len(ORDERED)


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


def test_placement_reads_each_token_s_log_probability_over_the_english_ids_alone(engine):
    """token_log_probs projects onto the ids English is written in (write_english_only bars the rest) and
    gives what the whole vocabulary's log-softmax gives: the same log-probability, and none for an id
    English is never written in; in float32 also where the draft is read in bfloat16."""
    torch.manual_seed(0)
    states = torch.randn(2, 5, engine.model.config.d_model)
    english = engine._english if engine._english is not None else torch.arange(engine.model.config.vocab_size)
    ids = english[torch.randint(0, len(english), (2, 5))]
    barred = sorted(set(range(engine.model.config.vocab_size)) - set(english.tolist()))
    if barred:
        ids[1, 2] = barred[0]
    with torch.inference_mode():
        read = engine.token_log_probs(states, ids)
        # Read as placement reads on a CPU with bfloat16 instructions: the projection stays float32.
        with torch.autocast("cpu", dtype=torch.bfloat16):
            read_in_bfloat16 = engine.token_log_probs(states, ids)
        whole = (engine.model.lm_head(states) + engine.model.final_logits_bias[0]).float().log_softmax(-1)
    expected = whole.gather(-1, ids[..., None])[..., 0]
    finite = torch.isfinite(expected)
    for got in (read, read_in_bfloat16):
        assert torch.equal(finite, torch.isfinite(got)) and torch.allclose(got[finite], expected[finite], atol=1e-4)
    assert not barred or read[1, 2] == float("-inf")


def test_translate_without_terms_returns_english_and_no_missing(engine):
    [translation] = engine.translate(["今天天气很好。"], [[]])
    assert isinstance(translation, Translation)
    # Random weights never end a sentence: the one note is that the English ran to the length limit.
    assert translation.text and translation.missing == [] and translation.notes == [english_cut_note(
        min(2 * (int(1.5 * len(engine.tokenizer("今天天气很好。")["input_ids"])) + 10), engine.target_limit))]


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



# --- batching by tokens, memory (issue 12) -----------------------------------------------------


def _watch_generate(engine: MarianEngine, monkeypatch: pytest.MonkeyPatch) -> list[dict[str, int]]:
    """Record each generate call's batch, and at each call how many earlier outputs are still alive."""
    real = engine.model.generate
    calls: list[dict[str, int]] = []
    alive: list[weakref.ref] = []

    def watched(*args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        gc.collect()
        ids = kwargs["input_ids"]
        calls.append({"rows": ids.shape[0], "padded": ids.numel(), "held": sum(r() is not None for r in alive)})
        output = real(*args, **kwargs)
        alive.append(weakref.ref(output))
        return output

    monkeypatch.setattr(engine.model, "generate", watched)
    return calls


def test_translate_holds_one_batch_of_tensors_at_a_time(tiny_marian_dir, monkeypatch):
    engine = load_engine("transformers", options(tiny_marian_dir, num_beams=1, batch_size=4, max_new_tokens=3))
    calls = _watch_generate(engine, monkeypatch)
    sources = [f"乐山{'沐川' * (i % 7)}第{i}段。" for i in range(20)]
    translations = engine.translate(sources, [[] for _ in sources])
    assert len(translations) == 20 and all(t.text for t in translations)
    assert len(calls) == 5 and all(c["rows"] <= 4 for c in calls)
    # When a batch starts, no earlier batch's output tensor is still referenced anywhere.
    assert [c["held"] for c in calls] == [0] * 5


def test_batch_tokens_caps_the_padded_source_tokens_of_every_generate_call(tiny_marian_dir, monkeypatch):
    settings = options(tiny_marian_dir, num_beams=1, batch_size=64, batch_tokens=60, max_new_tokens=16)
    engine = load_engine("transformers", settings)
    calls = _watch_generate(engine, monkeypatch)
    sources = [("沐川县竹资源丰富。" * (1 + i % 3)) for i in range(12)]
    translations = engine.translate(sources, [[Term("沐川", "Muchuan")] * (1 + i % 3) for i in range(12)])
    assert all(c["padded"] <= 60 for c in calls)
    assert len(calls) > 2  # 12 segments of 6-20 pieces cannot fit in 60 tokens at once
    assert [len(t.missing) for t in translations] == [0] * 12
    assert [t.text.count("Muchuan") for t in translations] == [1 + i % 3 for i in range(12)]


def _watch_precision(engine: MarianEngine) -> list[tuple[str, bool]]:
    """(what ran: generate or reading, whether bfloat16 autocast was on) for each decoder pass."""
    seen: list[tuple[str, bool]] = []
    in_generate = [False]
    decoder, generate = engine.model.model.decoder, engine.model.generate

    def forward(*args: object, **kwargs: object) -> object:
        seen.append(("generate" if in_generate[0] else "reading", torch.is_autocast_enabled("cpu")))
        return type(decoder).forward(decoder, *args, **kwargs)

    def watched_generate(*args: object, **kwargs: object) -> object:
        in_generate[0] = True
        try:
            return generate(*args, **kwargs)
        finally:
            in_generate[0] = False

    decoder.forward = forward
    engine.model.generate = watched_generate
    return seen


@pytest.mark.parametrize(("precision", "cpu_has_bfloat16", "read_in_bfloat16"), [
    ("auto", True, True),
    ("auto", False, False),
    ("float32", True, False),  # asked for float32 throughout
])
def test_placement_reads_drafts_in_bfloat16_only_by_default_on_a_cpu_that_computes_it(
    tiny_marian_dir, monkeypatch, precision, cpu_has_bfloat16, read_in_bfloat16
):
    from leshan_pub.engines import marian

    monkeypatch.setattr(marian, "cpu_computes_bfloat16", lambda: cpu_has_bfloat16)
    engine = load_engine("transformers", options(tiny_marian_dir, precision=precision, device="cpu", num_beams=2))
    assert engine.reads_in_bfloat16 is read_in_bfloat16
    seen = _watch_precision(engine)
    sources = ["全钒液流电池储能项目正在建设。", "医用同位素产业链加快发展。"]
    terms = [[Term("全钒液流电池", "vanadium flow battery")], [Term("医用同位素", "medical isotopes")]]
    translations = engine.translate(sources, terms)
    assert [t.missing for t in translations] == [[], []]
    # The random model renders no term, so placement reads every draft again, teacher-forced.
    assert {on for what, on in seen if what == "reading"} == {read_in_bfloat16}
    assert {on for what, on in seen if what == "generate"} == {False}  # the English is decoded in float32
    # Provenance says how placement read, where it was not float32.
    assert engine.signature_settings().get("read") == ("bfloat16" if read_in_bfloat16 else None)


def test_bfloat16_decoding_on_the_cpu_needs_its_instructions(tiny_marian_dir, monkeypatch):
    from leshan_pub.engines import marian

    monkeypatch.setattr(marian, "cpu_computes_bfloat16", lambda: False)
    with pytest.raises(EngineError, match="needs a CUDA GPU or a CPU with bfloat16 instructions"):
        load_engine("transformers", options(tiny_marian_dir, precision="bfloat16", device="cpu"))
    monkeypatch.setattr(marian, "cpu_computes_bfloat16", lambda: True)
    engine = load_engine("transformers", options(tiny_marian_dir, precision="bfloat16", device="cpu", num_beams=2))
    assert engine.model.dtype == torch.bfloat16 and not engine.reads_in_bfloat16
    assert engine.signature_settings()["compute"] == "bfloat16"
    [translation] = engine.translate(["全钒液流电池储能项目正在建设。"], [[Term("全钒液流电池", "vanadium flow battery")]])
    assert translation.missing == [] and "vanadium flow battery" in translation.text.lower()


@pytest.mark.parametrize(("flags", "computes"), [
    ("fpu sse avx2 avx512f avx512bw avx512_bf16 avx512_vnni", True),
    ("fpu avx512f amx_bf16 amx_tile amx_int8", True),
    ("fpu sse avx2 avx512f avx512bw avx512_vnni", False),  # AVX-512 without the bfloat16 instructions
    ("fpu sse avx2 fma", False),
])
def test_the_cpu_check_reads_the_kernels_flags(tmp_path, flags, computes):
    from leshan_pub.engines.marian_model import cpu_computes_bfloat16

    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text(f"processor\t: 0\nmodel name\t: Some CPU\nflags\t\t: {flags}\n\n", encoding="utf-8")
    assert cpu_computes_bfloat16(cpuinfo) is computes
    assert cpu_computes_bfloat16(tmp_path / "absent") is False  # not Linux: not assumed


@pytest.mark.parametrize(("changes", "message"), [
    ({"batch_tokens": 0}, "batch_tokens must be at least 1"),
    ({"precision": "int8"}, "precision 'int8' is not one the transformers engine runs"),
    ({"precision": "float16", "device": "cpu"}, "precision 'float16' needs a CUDA GPU"),
    ({"compile": True, "device": "cpu"}, "--compile speeds up decoding on a CUDA GPU only"),
])
def test_bad_speed_options_raise_engine_error(tiny_marian_dir, changes, message):
    with pytest.raises(EngineError, match=message):
        load_engine("transformers", options(tiny_marian_dir, **changes))


# --- the CTranslate2 engine ----------------------------------------------------------------------

# Without CTranslate2 only its engine's tests skip (through needs_ct2 and the ct2_cache fixture); the
# transformers engine's tests below them still run.
CT2_MISSING = "ctranslate2 is not installed (pip install 'leshan-pub[ctranslate2]')"
try:
    import ctranslate2 as ct2

    from leshan_pub.engines import ct2_model
    from leshan_pub.engines import ctranslate2 as ct2_engine
except ModuleNotFoundError:
    ct2 = ct2_engine = ct2_model = None
needs_ct2 = pytest.mark.skipif(ct2 is None, reason=CT2_MISSING)


@pytest.fixture(scope="module")
def ct2_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if ct2 is None:
        pytest.skip(CT2_MISSING)
    return tmp_path_factory.mktemp("ct2-cache")


@pytest.fixture
def in_ct2_cache(ct2_cache: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("LESHAN_PUB_CACHE_DIR", str(ct2_cache))
    return ct2_cache


# A limit set, not derived: random weights never end a sentence, and a derived limit's draft is decoded
# again with twice the room, where random pieces may spell a term the test wants missing.
SHORT = 32


def ct2_options(folder: Path | str, **changes: object) -> EngineOptions:
    return options(folder, **{"num_beams": 2, "batch_size": 3, "device": "cpu", **changes})


def test_ctranslate2_engine_converts_once_into_the_cache(tiny_marian_dir, in_ct2_cache, monkeypatch):
    first = load_engine("ctranslate2", ct2_options(tiny_marian_dir))
    assert first.name == "ctranslate2" and first.compute_type == "int8"
    assert first.converted.parent == in_ct2_cache / "ctranslate2" and (first.converted / "model.bin").is_file()
    from leshan_pub.engines import marian_model

    monkeypatch.setattr(ct2_engine, "convert", lambda *a: pytest.fail("converted a second time"))
    monkeypatch.setattr(marian_model, "load_marian", lambda *a: pytest.fail("loaded torch weights"))
    second = load_engine("ctranslate2", ct2_options(tiny_marian_dir))
    assert second.converted == first.converted


def test_cache_key_follows_the_model_content_and_the_compute_type(tiny_marian_dir, in_ct2_cache, tmp_path):
    base = load_engine("ctranslate2", ct2_options(tiny_marian_dir)).converted
    assert load_engine("ctranslate2", ct2_options(tiny_marian_dir, precision="float32")).converted != base
    changed = shutil.copytree(tiny_marian_dir, tmp_path / "changed")
    with (changed / "config.json").open("a", encoding="utf-8") as config:
        config.write("\n")  # the same settings, other bytes: a changed file is a changed model
    assert load_engine("ctranslate2", ct2_options(changed)).converted != base
    copy = shutil.copytree(tiny_marian_dir, tmp_path / "same-content")
    assert load_engine("ctranslate2", ct2_options(copy)).converted == base  # where it lies does not matter


@pytest.mark.parametrize("beams", [1, 3])
def test_ctranslate2_float32_writes_what_transformers_writes(tiny_marian_dir, in_ct2_cache, beams):
    sources = [source for source, _ in ORDERED]
    settings = {"num_beams": beams, "max_new_tokens": 12}
    reference = load_engine("transformers", options(tiny_marian_dir, **settings)).translate(sources, [[]] * 7)
    converted = load_engine("ctranslate2", ct2_options(tiny_marian_dir, precision="float32", **settings))
    assert [t.text for t in converted.translate(sources, [[]] * 7)] == [t.text for t in reference]


@pytest.mark.parametrize("repair", ["continue", "splice"])
def test_ctranslate2_places_every_term_and_keeps_document_order(tiny_marian_dir, in_ct2_cache, repair):
    engine = load_engine("ctranslate2", ct2_options(tiny_marian_dir, term_repair=repair))
    sources = [s for s, _ in ORDERED]
    translations = engine.translate(sources, [[t] for _, t in ORDERED])
    for translation, (_, term) in zip(translations, ORDERED):
        assert term.target in translation.text and translation.missing == []
    assert others_put_in(translations, engine.translate(sources, [[]] * len(sources))) == [[]] * len(ORDERED)
    # Random weights never write these names: every segment went through the repair, none to the fallback.
    assert engine.counts.repaired == 7 and engine.counts.fallback == 0


HARD = [  # (source, terms): repeats, a term at the start, several per segment, a traditional variant
    ("乐山与沐川推动了五通桥的发展，乐山的经济也随之增长。",
     [Term("乐山", "Leshan"), Term("沐川", "Muchuan"), Term("五通桥", "Wutongqiao"), Term("乐山", "Leshan")]),
    ("链主企业带动了上下游配套企业集聚发展。", [Term("链主企业", "chain-leader enterprise")]),
    ("樂山大佛", [Term("乐山", "Leshan", source_variants=("樂山",))]),
    ("夹江、沐川、五通桥、犍为四地联动。",
     [Term("夹江", "Jiajiang"), Term("沐川", "Muchuan"), Term("五通桥", "Wutongqiao"), Term("犍为", "Qianwei")]),
]


@pytest.mark.parametrize(
    ("repair", "placement"), [("continue", "owed"), ("splice", "owed"), ("splice", "attention"), ("splice", "judgement")]
)
@pytest.mark.parametrize("beams", [1, 4])
def test_ctranslate2_term_success_is_one_on_hard_cases(tiny_marian_dir, in_ct2_cache, repair, placement, beams):
    engine = load_engine(
        "ctranslate2", ct2_options(tiny_marian_dir, term_repair=repair, placement=placement, num_beams=beams)
    )
    translations = engine.translate([s for s, _ in HARD], [ts for _, ts in HARD])
    for translation, (_, terms) in zip(translations, HARD):
        assert translation.missing == []
        for term in set(terms):
            assert translation.text.casefold().count(term.target.casefold()) >= terms.count(term)
    assert engine.counts.fallback == 0


@needs_ct2
def test_cpu_workers_split_the_threads_between_two_batches_at_once():
    assert [ct2_model.cpu_workers(n) for n in (1, 2, 3, 16)] == [(1, 1), (2, 1), (2, 1), (2, 8)]


@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="one core: torch and CTranslate2 both take one thread")
def test_loading_ctranslate2_leaves_torch_its_threads(tiny_marian_dir, in_ct2_cache):
    """CTranslate2 sets the process's OpenMP threads to its workers' one each; torch (the fallback, the
    glossary work) must keep all of its own."""
    before = torch.get_num_threads()
    load_engine("ctranslate2", ct2_options(tiny_marian_dir))
    assert torch.get_num_threads() == before > 1


def test_ctranslate2_decodes_a_batch_in_parts_side_by_side_with_the_same_english(tiny_marian_dir, in_ct2_cache, monkeypatch):
    """Two translators' worth of parts at once (cpu_workers) changes the speed, never the English."""
    sources, terms = [s for s, _ in ORDERED] + [s for s, _ in HARD], [[t] for _, t in ORDERED] + [ts for _, ts in HARD]
    english = {}
    for workers in ((1, 2), (2, 1)):
        monkeypatch.setattr(ct2_model, "cpu_workers", lambda threads, chosen=workers: chosen)
        engine = load_engine("ctranslate2", ct2_options(tiny_marian_dir, num_beams=4, batch_size=8))
        parts: list[int] = []
        real = engine.translator.translate_batch

        def watched(source, **kwargs):  # type: ignore[no-untyped-def]
            if kwargs.get("num_hypotheses", 1) == 1:  # a batch's decode, not a term's renderings
                parts.append(-(-len(source) // kwargs["max_batch_size"]))
            return real(source, **kwargs)

        engine.translator = type("T", (), {"translate_batch": staticmethod(watched),
                                           "score_batch": staticmethod(engine.translator.score_batch)})()
        english[workers] = [t.text for t in engine.translate(sources, terms)]
        assert engine.counts.repaired > 0 and len(parts) >= 2 and set(parts) == {workers[0]}
    assert english[(2, 1)] == english[(1, 2)]


def test_continue_decodes_again_after_the_placed_term(tiny_marian_dir, in_ct2_cache, monkeypatch):
    engine = load_engine("ctranslate2", ct2_options(tiny_marian_dir, term_repair="continue", max_new_tokens=30))
    prefixes: list[list[str]] = []
    real = engine.translator.translate_batch

    limits: list[int] = []

    def watched(source, **kwargs):  # type: ignore[no-untyped-def]
        if kwargs.get("target_prefix"):
            prefixes.extend(kwargs["target_prefix"])
            limits.append(kwargs["max_decoding_length"])
        return real(source, **kwargs)

    watching = {"translate_batch": staticmethod(watched), "score_batch": staticmethod(engine.translator.score_batch)}
    monkeypatch.setattr(engine, "translator", type("T", (), watching)())
    [translation] = engine.translate(["夹江的年画和手工造纸闻名全国，吸引了很多游客前来参观。"], [[Term("夹江", "Jiajiang")]])
    # The random model's draft runs to the limit, so the spliced draft is past it: only the text up to
    # the term need fit, as the rest is decoded again, within the limit (less the end token).
    assert engine.counts.redecoded == 1 and engine.counts.fallback == 0 and len(prefixes) == 1
    assert limits == [30 - 1]
    placed = engine.tokenizer.convert_tokens_to_string(prefixes[0])
    assert "Jiajiang" in placed and translation.text.startswith(placed.strip())


def test_what_the_repair_cannot_mend_goes_to_the_transformers_engine(tiny_marian_dir, in_ct2_cache, monkeypatch):
    engine = load_engine("ctranslate2", ct2_options(tiny_marian_dir, max_new_tokens=SHORT))
    monkeypatch.setattr(engine, "_repair", lambda *args: [])  # the mutant: no repair at all
    translations = engine.translate([s for s, _ in ORDERED[:3]], [[t] for _, t in ORDERED[:3]])
    assert [t.missing for t in translations] == [[], [], []]
    assert engine.counts.fallback == 3 and engine._fallback.name == "transformers"


def test_without_the_transformers_engine_what_the_repair_cannot_mend_stays_missing_and_is_said(
    tiny_marian_dir, in_ct2_cache, monkeypatch, capsys
):
    """A [ctranslate2]-only install: the translation goes on, the terms are recorded missed, one warning
    names the extra that would mend them; nothing tries to load torch."""
    engine = load_engine("ctranslate2", ct2_options(tiny_marian_dir, max_new_tokens=SHORT))
    monkeypatch.setattr(engine, "_repair", lambda *args: [])  # the mutant: no repair at all
    monkeypatch.setattr(ct2_engine, "_transformers_missing", lambda: ["torch", "transformers"])
    sources, terms = [s for s, _ in ORDERED[:3]], [[t] for _, t in ORDERED[:3]]
    first = engine.translate(sources, terms)
    engine.translate(sources, terms)
    assert [t.missing for t in first] == terms and engine._fallback is None and engine.counts.fallback == 0
    assert all(r.method == "missed" for t in first for r in t.terms)
    warnings = [line for line in capsys.readouterr().err.splitlines() if "glossary term after the repair" in line]
    assert len(warnings) == 1 and "pip install 'leshan-pub[transformers]'" in warnings[0]
    assert "3 segments still lack" in warnings[0]


def test_ctranslate2_on_cuda_it_cannot_use_falls_back_with_a_message(tiny_marian_dir, in_ct2_cache, monkeypatch, capsys):
    real = ct2.Translator

    def translator(path, device="cpu", **kwargs):  # type: ignore[no-untyped-def]
        if device == "cuda":
            raise RuntimeError("Library libcublas.so.12 is not found or cannot be loaded")
        return real(path, device=device, **kwargs)

    monkeypatch.setattr(ct2, "get_cuda_device_count", lambda: 1)
    monkeypatch.setattr(ct2, "Translator", translator)
    monkeypatch.setattr(ct2, "get_supported_compute_types", lambda device: {"float16", "int8", "float32"})
    engine = load_engine("ctranslate2", options(tiny_marian_dir))  # --device auto
    assert engine.name == "transformers"
    err = capsys.readouterr().err
    assert "ctranslate2 cannot run on CUDA here (Library libcublas.so.12 is not found" in err
    assert "translating with the transformers engine instead" in err


@pytest.mark.parametrize(("changes", "message"), [
    ({"precision": "bfloat17"}, "precision 'bfloat17' is not one ctranslate2 runs"),
    ({"precision": "float16"}, "precision 'float16' is not supported on this cpu"),
    ({"term_repair": "guess"}, "term_repair must be one of continue, splice"),
    ({"placement": "guess"}, "placement must be one of attention, judgement, owed"),
    ({"model_script": "zh-Hant"}, "model_script must be one of zh-Hans, as-written, got 'zh-Hant'"),
    ({"device": "tpu"}, "unknown device 'tpu'"),
])
def test_bad_ctranslate2_options_raise_engine_error(tiny_marian_dir, in_ct2_cache, changes, message):
    with pytest.raises(EngineError, match=message):
        load_engine("ctranslate2", ct2_options(tiny_marian_dir, **changes))


def test_ctranslate2_reports_a_missing_model_like_transformers(in_ct2_cache, tmp_path):
    with pytest.raises(ModelUnavailableError, match="no such folder"):
        load_engine("ctranslate2", ct2_options(tmp_path / "nothing"))


def test_ctranslate2_notes_a_truncated_source_and_blank_sources_stay_blank(tiny_marian_dir, in_ct2_cache):
    engine = load_engine("ctranslate2", ct2_options(tiny_marian_dir, max_new_tokens=4))
    long, blank = engine.translate(["乐山" * 400, " "], [[], []])
    assert any("its end was not translated" in note for note in long.notes)
    assert blank.text == ""


# (traditional, simplified) sentences with their terms, as the glossary finds them in the author's text.
TRADITIONAL = [
    ("樂山的全釩液流電池儲能項目正在建設。", "乐山的全钒液流电池储能项目正在建设。"),
    ("今天樂山天氣很好，電堆的產量增長了。", "今天乐山天气很好，电堆的产量增长了。"),
    ("樂山大佛很老。", "乐山大佛很老。"),
]
TRADITIONAL_TERMS = [Term("乐山", "Leshan"), Term("全钒液流电池", "vanadium flow battery"), Term("电堆", "cell stack")]


@pytest.mark.parametrize("name", ["transformers", pytest.param("ctranslate2", marks=needs_ct2)])
def test_traditional_input_is_read_as_its_simplified_form(tiny_marian_dir, request, name):
    """The model reads a traditional sentence converted to simplified (model_script zh-Hans, the default):
    the English, and how each term went in, are the simplified sentence's."""
    if name == "ctranslate2":
        request.getfixturevalue("in_ct2_cache")
    from leshan_pub.glossary import Glossary

    glossary = Glossary(TRADITIONAL_TERMS)
    sources = [t for t, _ in TRADITIONAL] + [s for _, s in TRADITIONAL]
    terms = [[hit.term for hit in glossary.find(source)] for source in sources]
    assert terms[: len(TRADITIONAL)] == terms[len(TRADITIONAL) :] and all(terms)
    engine = load_engine(name, options(tiny_marian_dir, num_beams=2, device="cpu"))
    results = engine.translate(sources, terms)
    traditional, simplified = results[: len(TRADITIONAL)], results[len(TRADITIONAL) :]
    assert [t.text for t in traditional] == [t.text for t in simplified]
    assert [t.terms for t in traditional] == [t.terms for t in simplified]
    assert all(not t.missing for t in traditional)
    # Fed as written, the tiny model reads the traditional characters as unknown pieces: other English.
    as_written = load_engine(name, options(tiny_marian_dir, num_beams=2, device="cpu", model_script="as-written"))
    plain = as_written.translate([t for t, _ in TRADITIONAL], [[] for _ in TRADITIONAL])
    assert [t.text for t in plain] != [t.text for t in engine.translate([s for _, s in TRADITIONAL], [[] for _ in TRADITIONAL])]


@pytest.mark.parametrize("name", ["transformers", pytest.param("ctranslate2", marks=needs_ct2)])
def test_the_signature_names_the_model_script_only_off_its_default(tiny_marian_dir, request, name):
    """Signatures of articles made before the setting existed stay as they were: the default adds no key."""
    if name == "ctranslate2":
        request.getfixturevalue("in_ct2_cache")
    default = load_engine(name, options(tiny_marian_dir, num_beams=2, device="cpu")).signature_settings()
    fed = load_engine(name, options(tiny_marian_dir, num_beams=2, device="cpu", model_script="as-written"))
    assert "model-script" not in default
    assert fed.signature_settings() == {**default, "model-script": "as-written"}


WORDS = ["the", "big", "Buddha", "is", "old."]


@pytest.mark.parametrize(
    ("aligned", "english", "method"),
    [
        # word -> the source piece its attention peaks on; pieces: ▁ 今 天 , 乐山 的 大 佛 很 <unk> 。 </s>
        ({"the": 1, "big": 4, "Buddha": 7, "is": 8, "old.": 10}, "the Leshan Buddha is old.", "spliced"),
        ({"the": 1, "big": "first piece", "Buddha": 7, "is": 8, "old.": 10}, "the Leshan Buddha is old.", "spliced"),
        # No word renders 乐山: the model dropped it. Every word of the draft stays; the term goes in
        # before the words that translate later Chinese, never between an article and its noun
        # ('Leshan the big Buddha'), and its record says it was placed, so QA asks a reviewer to look.
        ({"the": 1, "big": 6, "Buddha": 7, "is": 8, "old.": 10}, "the Leshan big Buddha is old.", "placed"),
        ({"the": 6, "big": 6, "Buddha": 7, "is": 8, "old.": 10}, "the Leshan big Buddha is old.", "placed"),
    ],
    ids=["replaces-aligned-word", "widens-to-whole-word", "inserts-where-dropped", "after-the-article"],
)
def test_a_missed_term_replaces_the_words_aligned_to_its_chinese(tiny_marian_dir, in_ct2_cache, aligned, english, method):
    engine = load_engine("ctranslate2", ct2_options(tiny_marian_dir))
    source = engine.tokenizer.convert_ids_to_tokens(engine.tokenizer("今天，乐山的大佛很古老。")["input_ids"])
    assert source[4] == "乐山"  # the tiny model's pieces, which the alignments above name
    output: list[str] = []
    rows: list[list[float]] = []
    for word in WORDS:
        pieces = engine.tokenizer.convert_ids_to_tokens(list(engine.vocab.encode(word)))
        for k, piece in enumerate(pieces):
            peak = 4 if aligned[word] == "first piece" and k == 0 else (7 if aligned[word] == "first piece" else aligned[word])
            rows.append([0.9 if s == peak else 0.1 / len(source) for s in range(len(source))])
        output += pieces
    leshan = Term("乐山", "Leshan")
    engine._rendered[leshan] = []  # the random model's own rendering of 乐山 is left out: alignment places it
    outputs = [output]
    [mended] = engine._repair([0], [source], outputs, [rows], [[leshan]], max_new=20)
    assert engine.tokenizer.convert_tokens_to_string(outputs[0]) == english
    assert [a.method for found in mended.anchors.values() for a in found] == [method]


@pytest.mark.parametrize(
    ("words", "english"),
    [
        (["It", "rose.", "big", "Buddha", "is", "old."], "It rose. Leshan Buddha is old."),
        (["It", "rose.”", "big", "Buddha", "is", "old."], "It rose.” Leshan Buddha is old."),
        (["It", "rose,", "big", "Buddha", "is", "old."], "It rose, leshan Buddha is old."),
    ],
    ids=["after-a-full-stop", "after-a-closing-quote", "mid-sentence"],
)
def test_a_term_that_begins_a_later_sentence_is_capitalised(tiny_marian_dir, in_ct2_cache, words, english):
    engine = load_engine("ctranslate2", ct2_options(tiny_marian_dir))
    source = engine.tokenizer.convert_ids_to_tokens(engine.tokenizer("今天，乐山的大佛很古老。")["input_ids"])
    output: list[str] = []
    rows: list[list[float]] = []
    for word in words:
        pieces = engine.tokenizer.convert_ids_to_tokens(list(engine.vocab.encode(word)))
        peak = 4 if word == "big" else 8  # 'big' renders 乐山 (piece 4); the rest attend elsewhere
        rows += [[0.9 if s == peak else 0.1 / len(source) for s in range(len(source))] for _ in pieces]
        output += pieces
    leshan = Term("乐山", "leshan")  # lower case, so that where it is capitalised shows
    engine._rendered[leshan] = []
    outputs = [output]
    engine._repair([0], [source], outputs, [rows], [[leshan]], max_new=20)
    assert engine.tokenizer.convert_tokens_to_string(outputs[0]) == english


def test_a_term_no_engine_can_spell_is_noted_not_sent_to_the_fallback(tiny_marian_dir, in_ct2_cache):
    engine = load_engine("ctranslate2", ct2_options(tiny_marian_dir))
    naive, leshan = Term("测试", "naïve"), Term("乐山", "Leshan")
    [translation] = engine.translate(["乐山测试"], [[leshan, naive]])
    assert translation.missing == [naive] and "Leshan" in translation.text
    assert any("'ï'" in note for note in translation.notes)
    assert engine.counts.fallback == 0 and engine._fallback is None


def test_the_pipeline_translates_with_ctranslate2_and_signs_its_settings(tmp_path, tiny_marian_dir, in_ct2_cache):
    from leshan_pub.glossary import Glossary
    from leshan_pub.pipeline import engine_loader, segment_source, translate_document

    article = tmp_path / "t.zh.txt"
    article.write_text("标题\n\n乐山的大佛很古老。\n", encoding="utf-8")
    glossary = Glossary([Term("乐山", "Leshan")])
    doc, _ = segment_source(article, glossary)
    report = translate_document(doc, glossary, engine_loader("ctranslate2", ct2_options(tiny_marian_dir)))
    segment = next(s for s in doc.segments if "乐山" in s.source)
    assert report.translated == len(doc.segments) and "Leshan" in segment.target
    assert segment.signature.engine == "ctranslate2"
    assert dict(segment.signature.settings) == {
        "beams": "2", "maxlen": "auto", "enf": "9", "repair": "splice", "placement": "owed", "compute": "int8"
    }


# --- English is written in English pieces --------------------------------------------------------


def _chinese(text: str) -> bool:
    from leshan_pub.chars import UNSPACED_CHARACTER

    return UNSPACED_CHARACTER.search(text) is not None


def test_english_ids_are_the_target_pieces_the_shared_vocabulary_holds(tiny_marian_dir):
    from transformers import MarianTokenizer

    from leshan_pub.engines.vocabularies import english_ids

    tokenizer = MarianTokenizer.from_pretrained(tiny_marian_dir)
    ids = english_ids(tokenizer)
    assert ids is not None and ids == sorted(set(ids)) and len(ids) < len(tokenizer)
    assert {tokenizer.eos_token_id, tokenizer.unk_token_id} <= set(ids) and tokenizer.pad_token_id not in ids
    pieces = tokenizer.convert_ids_to_tokens(ids)
    assert not any(_chinese(p) for p in pieces)  # the tiny target model learnt English text only
    assert set(tokenizer.convert_ids_to_tokens(list(range(len(tokenizer))))) - set(pieces) >= {"乐", "山"}
    # Whatever English the tokenizer spells is spelled in them.
    assert set(tokenizer(text_target="Leshan's cell stacks, 2024 (+12.5%)!")["input_ids"]) <= set(ids)


@pytest.mark.parametrize("engine_name", ["transformers", "ctranslate2"])
def test_a_random_model_writes_no_chinese_piece_into_the_english(tiny_marian_dir, in_ct2_cache, engine_name):
    # Random weights spread their scores over all 1,000 ids, 600 of them Chinese pieces: only the
    # English-only output (the bias in transformers, the vocabulary map in ctranslate2) keeps them out.
    engine = load_engine(engine_name, ct2_options(tiny_marian_dir, max_new_tokens=24))
    sources = [source for source, _ in ORDERED]
    translations = engine.translate(sources, [[]] * len(sources))
    assert all(t.text and not _chinese(t.text) for t in translations), [t.text for t in translations]


def test_ctranslate2_keeps_its_vocabulary_map_with_the_converted_model(tiny_marian_dir, in_ct2_cache):
    from leshan_pub.engines.vocabularies import english_ids

    engine = load_engine("ctranslate2", ct2_options(tiny_marian_dir))
    vmap = engine.converted / "vmap.txt"
    key, _, pieces = vmap.read_text(encoding="utf-8").rstrip("\n").partition("\t")
    assert key == "" and pieces.split(" ") == engine.tokenizer.convert_ids_to_tokens(english_ids(engine.tokenizer))
    vmap.unlink()  # converted before the map was written: it is written at the next load
    again = load_engine("ctranslate2", ct2_options(tiny_marian_dir))
    assert again.converted == engine.converted and vmap.read_text(encoding="utf-8").split("\t")[1].split() == pieces.split()


def test_ctranslate2_without_a_writable_map_says_so_and_decodes_the_whole_vocabulary(
    tiny_marian_dir, in_ct2_cache, monkeypatch, capsys
):
    converted = load_engine("ctranslate2", ct2_options(tiny_marian_dir)).converted
    (converted / "vmap.txt").unlink()

    def read_only(path, data):  # type: ignore[no-untyped-def]
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(ct2_model, "write_bytes_atomic", read_only)
    engine = load_engine("ctranslate2", ct2_options(tiny_marian_dir))
    err = capsys.readouterr().err
    assert "cannot write" in err and "(Permission denied)" in err and "whole vocabulary" in err
    assert engine._english_only is False and not (converted / "vmap.txt").exists()
    [translation] = engine.translate(["乐山的大佛很古老。"], [[Term("乐山", "Leshan")]])
    assert "Leshan" in translation.text


# --- a model whose Chinese and English are numbered apart (separate vocabularies) ---------------


@pytest.fixture(scope="module")
def separate_marian_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from conftest import build_tiny_marian

    return build_tiny_marian(tmp_path_factory.mktemp("separate-marian"), separate_vocabularies=True)


def test_a_model_with_separate_vocabularies_translates_under_the_glossary(separate_marian_dir):
    engine = load_engine("transformers", options(separate_marian_dir, num_beams=2, batch_size=4))
    tokenizer = engine.tokenizer
    assert tokenizer.separate_vocabs and len(tokenizer.target_encoder) != len(tokenizer)  # the sides differ in size
    from leshan_pub.engines.vocabularies import english_ids

    assert english_ids(tokenizer) is None  # every id the decoder writes is English: nothing to bar
    # The source's pieces are read on the source side (the owed reading finds a term's Chinese among them).
    ids = tokenizer("乐山的链主企业")["input_ids"]
    assert engine._source_pieces.tokens(ids) == [*tokenizer.tokenize("乐山的链主企业"), "</s>"]
    # Rows of unequal length in one batch: the shorter ones end in the target side's <pad>, never in the English.
    translations = engine.translate([s for s, _ in HARD], [ts for _, ts in HARD])
    for translation, (_, terms) in zip(translations, HARD):
        assert translation.missing == [] and "<pad>" not in translation.text
        for term in set(terms):
            assert translation.text.casefold().count(term.target.casefold()) >= terms.count(term)
    plain = engine.translate(["乐山", "乐山与沐川推动了五通桥的发展，乐山的经济也随之增长。"], [[], []])
    assert all(t.text and "<pad>" not in t.text for t in plain)


def test_ctranslate2_hands_a_model_with_separate_vocabularies_to_transformers(
    separate_marian_dir, tmp_path, monkeypatch, capsys
):
    # ctranslate2's converter writes one vocabulary for both sides: it fails, or writes the Chinese one for the English.
    monkeypatch.setenv("LESHAN_PUB_CACHE_DIR", str(tmp_path))
    engine = load_engine("ctranslate2", ct2_options(separate_marian_dir))
    assert engine.name == "transformers"
    assert "separate vocabularies" in capsys.readouterr().err
    assert not list(tmp_path.rglob("model.bin"))  # nothing converted
    [translation] = engine.translate(["链主企业带动了上下游配套企业集聚发展。"], [[Term("链主企业", "chain-leader enterprise")]])
    assert "chain-leader enterprise" in translation.text.casefold()


def test_ctranslate2_scores_a_placement_as_the_transformers_engine_does(tiny_marian_dir, in_ct2_cache):
    # Where a term's rendering ends is chosen by the model's score of the draft words each candidate
    # keeps (engines/repair.py, one chooser for both engines): CTranslate2's score, read through its
    # adapter, must be the transformers engine's, so that both choose the same end.
    import torch
    from transformers import MarianMTModel, MarianTokenizer

    from leshan_pub.engines.ct2_repair import CTranslate2Repair
    from leshan_pub.engines.marian_repair import kept_log_probs
    from leshan_pub.engines.placement import _candidates
    from leshan_pub.engines.spelling import SegmentPlan, spell_term

    engine = load_engine("ctranslate2", ct2_options(tiny_marian_dir, precision="float32"))
    tokenizer, vocab = engine.tokenizer, engine.vocab
    source = "自贡的灯会很有名。"
    zigong = Term("自贡", "Zigong")
    draft = [*vocab.encode("The lamps of the city are famous."), vocab.eos_id]
    candidates = _candidates(vocab, draft, lambda a, b: vocab.encode("Zigong"))
    pieces = tokenizer.convert_ids_to_tokens(tokenizer(source)["input_ids"])
    attention = [[1.0 / len(pieces)] * len(pieces) for _ in draft]
    adapter = CTranslate2Repair(engine, [pieces], [attention], [[zigong]], max_new=40)
    reading = adapter.read([0], [draft], [[0]], [SegmentPlan([spell_term(vocab, zigong)])])
    ours = list(reading.score([(0, c) for c in candidates]))

    model = MarianMTModel.from_pretrained(tiny_marian_dir).eval()
    batch = MarianTokenizer.from_pretrained(tiny_marian_dir)([source], return_tensors="pt")
    start = model.config.decoder_start_token_id
    with torch.inference_mode():
        encoded = model.get_encoder()(**batch).last_hidden_state
        states = model.model.decoder(input_ids=torch.tensor([[start, *draft[:-1]]]), encoder_hidden_states=encoded)
        logits = model.lm_head(states.last_hidden_state[0]) + model.final_logits_bias[0]
        in_draft = logits.log_softmax(-1).gather(-1, torch.tensor(draft)[:, None])[:, 0]
        theirs = kept_log_probs(model, encoded, batch["attention_mask"], [(0, c) for c in candidates], start,
                                [draft], {0: in_draft}).tolist()
    assert len(candidates) > 10
    assert max(abs(a - b) for a, b in zip(ours, theirs)) < 1.0  # measured: 0.2 at most
    assert max(range(len(ours)), key=ours.__getitem__) == max(range(len(theirs)), key=theirs.__getitem__)


@pytest.mark.parametrize("engine_name", ["transformers", "ctranslate2"])
def test_each_repair_adapter_decodes_after_a_prefix_keeping_words_out_and_scores_each_token(
    tiny_marian_dir, in_ct2_cache, engine_name
):
    # What --placement judgement asks of an engine (engines/judgement.py, through repair.RepairModel):
    # the rest written after a forced prefix, with the words a judged term replaced kept out of it, and
    # each token's score; the two engines' scores of one English agree.
    from types import SimpleNamespace

    from leshan_pub.engines.ct2_repair import CTranslate2Repair
    from leshan_pub.engines.marian_repair import MarianRepair

    source = "自贡的灯会很有名。"
    transformers = load_engine("transformers", options(tiny_marian_dir, num_beams=2, device="cpu"))
    if engine_name == "transformers":
        engine = transformers
        adapter = MarianRepair(engine, [source], SimpleNamespace(max_new=24))
    else:
        engine = load_engine("ctranslate2", ct2_options(tiny_marian_dir, precision="float32"))
        pieces = engine.tokenizer.convert_ids_to_tokens(engine.tokenizer(source)["input_ids"])
        adapter = CTranslate2Repair(engine, [pieces], [[]], [[]], max_new=24)
    vocab = engine.vocab
    prefix = list(vocab.encode("Zigong"))
    free = adapter.decode_after([0], [prefix])[0]
    assert free[: len(prefix)] == prefix and free[-1] == vocab.eos_id
    written = tuple(free[len(prefix) : len(prefix) + 2])  # what the model writes first after the prefix
    assert len(written) == 2 and vocab.eos_id not in written
    [kept] = adapter.decode_after([0], [prefix], kept_out=[(written,)], beams=1)
    assert kept[: len(prefix)] == prefix
    assert not any(tuple(kept[j : j + 2]) == written for j in range(len(prefix), len(kept) - 1))

    [values] = adapter.token_scores([0], [free])
    assert len(values) == len(free) and all(v <= 0 for v in values)
    assert adapter.score([0], [free])[0] == pytest.approx(sum(values) / len(values))
    [reference] = MarianRepair(transformers, [source], SimpleNamespace(max_new=24)).token_scores([0], [free])
    assert max(abs(a - b) for a, b in zip(values, reference)) < 1.0  # measured: 0.71 at most (ctranslate2 float32)
