"""The core install and its extras: the reviewers' commands run with no engine installed; an engine names its extra."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

import pytest

from helpers import GLOSSARY, ROOT, SAMPLE, SAMPLE_SEGFILE

ENGINE_PACKAGES = ("torch", "transformers", "ctranslate2", "sentencepiece")

# Runs leshan-pub commands in a process where the named packages cannot be imported, as in a venv
# that lacks them: `import torch` raises ModuleNotFoundError (None in sys.modules). Prints, as JSON,
# each command's exit code and output, and which of the packages anything tried to import.
_DRIVER = textwrap.dedent("""
    import json, sys
    blocked = json.loads(sys.argv[1])
    for name in blocked:
        sys.modules[name] = None
    from typer.testing import CliRunner
    from leshan_pub.cli import app
    results = []
    for args in json.loads(sys.argv[2]):
        result = CliRunner().invoke(app, args)
        error = None if result.exception is None or isinstance(result.exception, SystemExit) else repr(result.exception)
        results.append({"args": args, "code": result.exit_code, "output": result.output, "error": error})
    print(json.dumps(results))
""")


def run_without(packages: tuple[str, ...], commands: list[list[str]], cwd: Path, env: dict[str, str] | None = None) -> list[dict]:
    environment = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "HF_HUB_OFFLINE": "1", **(env or {})}
    done = subprocess.run([sys.executable, "-c", _DRIVER, json.dumps(packages), json.dumps(commands)],
                          capture_output=True, text=True, cwd=cwd, env=environment, timeout=600)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.fixture
def sample_project(tmp_path: Path) -> Path:
    """A copy of the repository's sample project: settings, glossary, memory, the approved article."""
    shutil.copy(ROOT / "leshan-pub.toml", tmp_path)
    shutil.copytree(GLOSSARY.parent, tmp_path / "glossary")
    (tmp_path / "source").mkdir()
    for file in (SAMPLE, SAMPLE_SEGFILE):
        shutil.copy(file, tmp_path / "source")
    return tmp_path


def test_the_core_dependencies_hold_no_engine_and_the_extras_bring_them() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]

    def names(requirements: list[str]) -> set[str]:
        return {r.split(">")[0].split("=")[0].split("[")[0].strip() for r in requirements}

    assert not names(project["dependencies"]) & {"torch", "transformers", "ctranslate2"}
    extras = project["optional-dependencies"]
    assert {"torch", "transformers", "sentencepiece"} <= names(extras["transformers"])
    assert {"ctranslate2", "sentencepiece"} <= names(extras["ctranslate2"])
    assert not names(extras["ctranslate2"]) & {"torch", "transformers"}
    assert extras["all"] == ["leshan-pub[transformers,ctranslate2,review]"]


def test_reviewers_and_publishers_commands_run_with_no_engine_installed(sample_project: Path) -> None:
    article = str(sample_project / "source" / "leshan-2024.zh.txt")
    commands = [
        ["status", article], ["check", article],
        ["export", article, "--to", "xliff", "-o", "review.xlf"], ["import", "review.xlf", article],
        ["glossary", "list"], ["glossary", "validate"], ["memory", "stats"],
        ["publish", article, "--final"],
        ["pack", article, "--title", "Leshan", "--date", "2026-12-31", "--out", "output/pack.pdf", "--final"],
        ["build", article, "--final"],  # every segment approved: no model is loaded
    ]
    for result in run_without(ENGINE_PACKAGES, commands, sample_project):
        assert (result["code"], result["error"]) == (0, None), result
    for name in ("leshan-2024.pdf", "leshan-2024.docx", "pack.pdf", "pack.docx"):
        assert (sample_project / "output" / name).stat().st_size > 0


@pytest.mark.parametrize(
    ("engine", "blocked", "extra"),
    [
        ("transformers", ("torch",), "transformers"),
        ("transformers", ("transformers",), "transformers"),
        ("ctranslate2", ("ctranslate2",), "ctranslate2"),
    ],
)
def test_a_build_that_needs_an_absent_engine_names_its_extra_in_one_line(
    sample_project: Path, engine: str, blocked: tuple[str, ...], extra: str
) -> None:
    article = sample_project / "source" / "new.zh.txt"
    article.write_text("乐山新闻\n\n乐山市今天发布了新的产业发展规划，全市经济保持稳定增长。\n", encoding="utf-8")
    (result,) = run_without(blocked, [["build", str(article), "--engine", engine]], sample_project)
    assert result["code"] == 1 and result["error"] is None
    error = [line for line in result["output"].splitlines() if line.startswith("leshan-pub: error:")]
    assert len(error) == 1 and "Traceback" not in result["output"]
    assert f"needs {blocked[0]}, which is not installed; pip install 'leshan-pub[{extra}]'" in error[0]
    assert not list((sample_project / "output").glob("new.*"))  # nothing published
    assert not (sample_project / "source" / "new.zh-en.xlf").exists()  # nor a segment file: checked first


def test_a_core_only_build_of_an_edited_article_is_refused_before_its_segment_file_changes(sample_project: Path) -> None:
    article = sample_project / "source" / SAMPLE.name
    segfile = sample_project / "source" / SAMPLE_SEGFILE.name
    before = segfile.read_bytes()
    article.write_text(article.read_text(encoding="utf-8").replace("36.3亿元", "40.1亿元"), encoding="utf-8")
    (result,) = run_without(ENGINE_PACKAGES, [["build", str(article)]], sample_project)
    assert result["code"] == 1 and result["error"] is None, result
    error = [line for line in result["output"].splitlines() if line.startswith("leshan-pub: error:")]
    assert len(error) == 1 and "pip install 'leshan-pub[transformers]'" in error[0]
    assert segfile.read_bytes() == before and not list(segfile.parent.glob("*.bak"))


def _converting_engine(model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, object]:
    """The ctranslate2 engine for model with a cache of its own under tmp_path (it converts there, with
    transformers, on first use), and that cache."""
    pytest.importorskip("ctranslate2")
    from leshan_pub.engines import EngineOptions, load_engine

    cache = tmp_path / "cache"
    monkeypatch.setenv("LESHAN_PUB_CACHE_DIR", str(cache))
    options = EngineOptions(model=str(model), device="cpu", num_beams=2, progress=False)
    return cache, load_engine("ctranslate2", options)


def test_ctranslate2_translates_a_converted_model_with_no_torch_installed(
    tiny_marian_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache, engine = _converting_engine(tiny_marian_dir, tmp_path, monkeypatch)
    (converted,) = engine.translate(["乐山市经济保持稳定增长。"], [[]])  # converts once
    article = tmp_path / "source" / "news.zh.txt"
    article.parent.mkdir()
    article.write_text("乐山新闻\n\n乐山市经济保持稳定增长。\n", encoding="utf-8")
    (result,) = run_without(
        ("torch", "transformers"),
        [["build", str(article), "--engine", "ctranslate2", "--model", str(tiny_marian_dir), "--device", "cpu",
          "--no-glossary", "--beams", "2", "--out", str(tmp_path / "out")]],
        tmp_path, {"LESHAN_PUB_CACHE_DIR": str(cache)},
    )
    assert (result["code"], result["error"]) == (0, None), result["output"]
    assert (tmp_path / "out" / "news.pdf").is_file() and converted.text


# Loads the ctranslate2 engine and translates with torch and transformers unimportable; prints, as JSON,
# the English (or the error's one line) and which of the two anything imported.
_ENGINE_DRIVER = textwrap.dedent("""
    import json, sys
    for name in ("torch", "transformers"):
        sys.modules[name] = None
    from leshan_pub.engines import EngineOptions, load_engine
    from leshan_pub.errors import LeshanPubError
    from leshan_pub.glossary import Term
    model, device = sys.argv[1], sys.argv[2]
    try:
        engine = load_engine("ctranslate2", EngineOptions(model=model, device=device, num_beams=2, progress=False))
        english = [t.text for t in engine.translate(["乐山市经济保持稳定增长。", "乐山大佛"], [[], [Term("乐山", "Leshan")]])]
        error = None
    except LeshanPubError as exc:
        english, error = None, str(exc)
    imported = sorted(m for m, v in sys.modules.items() if m.partition(".")[0] in ("torch", "transformers") and v)
    print(json.dumps({"english": english, "error": error, "imported": imported}))
""")


def _engine_without_torch(model: Path, cache: Path, device: str = "cpu") -> dict:
    environment = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "HF_HUB_OFFLINE": "1", "LESHAN_PUB_CACHE_DIR": str(cache)}
    done = subprocess.run([sys.executable, "-c", _ENGINE_DRIVER, str(model), device],
                          capture_output=True, text=True, env=environment, timeout=600)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


def test_the_ctranslate2_engine_loads_and_translates_importing_neither_torch_nor_transformers(
    tiny_marian_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from leshan_pub.glossary import Term

    cache, engine = _converting_engine(tiny_marian_dir, tmp_path, monkeypatch)
    expected = [t.text for t in engine.translate(["乐山市经济保持稳定增长。", "乐山大佛"], [[], [Term("乐山", "Leshan")]])]
    result = _engine_without_torch(tiny_marian_dir, cache)
    assert (result["error"], result["imported"]) == (None, [])
    assert result["english"] == expected and all(expected)  # the same English as with transformers' tokenizer


def test_a_model_not_yet_converted_without_torch_names_the_extra_in_one_line(tiny_marian_dir: Path, tmp_path: Path) -> None:
    pytest.importorskip("ctranslate2")
    result = _engine_without_torch(tiny_marian_dir, tmp_path / "empty-cache")
    assert result["english"] is None and result["imported"] == []
    assert "not converted for ctranslate2" in result["error"] and "\n" not in result["error"]
    assert result["error"].endswith("pip install 'leshan-pub[transformers]'")
    assert not list((tmp_path / "empty-cache").rglob("model.bin"))


def test_separate_vocabularies_without_torch_name_the_extra_in_one_line(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("ctranslate2")
    from conftest import build_tiny_marian
    from leshan_pub.engines.ct2_model import converted_folder, model_identity

    model = build_tiny_marian(tmp_path_factory.mktemp("separate"), separate_vocabularies=True)
    cache = tmp_path / "cache"
    # A folder converted before the separate-vocabulary check existed: the engine finds the cache and
    # reads the tokenizer before it learns the model needs the transformers engine.
    monkeypatch.setenv("LESHAN_PUB_CACHE_DIR", str(cache))
    folder = converted_folder(model_identity(str(model)), "int8")
    folder.mkdir(parents=True)
    (folder / "model.bin").write_bytes(b"")
    result = _engine_without_torch(model, cache)
    assert result["english"] is None and result["imported"] == []
    assert "separate vocabularies" in result["error"] and "\n" not in result["error"]
    assert result["error"].endswith("pip install 'leshan-pub[transformers]'")
