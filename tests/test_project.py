"""Projects: leshan-pub.toml found from the article's folder, validated settings, init, and overrides."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from helpers import GLOSSARY, ROOT, SAMPLE, SAMPLE_SEGFILE
from leshan_pub.cli import app
from leshan_pub.errors import ProjectError
from leshan_pub.project import (
    PROJECT_FILE,
    STARTER_GLOSSARY,
    find_project,
    init_project,
    load_settings,
    read_settings,
    render_settings,
)

runner = CliRunner()


def project(tmp_path: Path, extra: str = "", glossary: bool = True) -> Path:
    """A project folder made by init; extra TOML replaces whole sections' keys by plain text edits."""
    root = tmp_path / "proj"
    init_project(root, name="test")
    if glossary:
        (root / STARTER_GLOSSARY).write_bytes(GLOSSARY.read_bytes())
    if extra:
        (root / PROJECT_FILE).write_text(render_settings() + "\n" + extra, encoding="utf-8")
    return root


def test_init_writes_settings_folders_and_a_starter_glossary(tmp_path):
    report = init_project(tmp_path / "p", name="Quarterly", organisation="乐山市")
    root = tmp_path / "p"
    assert {p.name for p in report.written} == {PROJECT_FILE, "terms.tsv", ".gitignore"}
    assert all((root / d).is_dir() for d in ("glossary", "source", "output"))
    assert (root / STARTER_GLOSSARY).read_text(encoding="utf-8").startswith("source\ttarget")
    settings = read_settings(root / PROJECT_FILE)
    assert (settings.name, settings.organisation) == ("Quarterly", "乐山市")
    assert settings.glossaries == (root.absolute() / STARTER_GLOSSARY,)
    assert settings.memory == root.absolute() / "glossary" / "memory.tmx"
    assert settings.out == root.absolute() / "output"
    assert (settings.beams, settings.batch_size, settings.script, settings.formats) == (4, 16, "auto", ("docx", "pdf"))


def test_init_refuses_an_existing_project_and_keeps_every_file(tmp_path):
    root = project(tmp_path)
    before = (root / PROJECT_FILE).read_bytes(), (root / STARTER_GLOSSARY).read_bytes()
    result = runner.invoke(app, ["init", str(root)])
    assert result.exit_code == 1 and "already exists" in result.stderr and result.stderr.count("\n") == 1
    assert ((root / PROJECT_FILE).read_bytes(), (root / STARTER_GLOSSARY).read_bytes()) == before


def test_init_keeps_a_glossary_already_in_the_folder(tmp_path):
    (tmp_path / "glossary").mkdir()
    (tmp_path / STARTER_GLOSSARY).write_bytes(GLOSSARY.read_bytes())
    report = init_project(tmp_path)
    assert tmp_path / STARTER_GLOSSARY in report.kept
    assert (tmp_path / STARTER_GLOSSARY).read_bytes() == GLOSSARY.read_bytes()


def test_project_is_found_from_the_article_folder_up_not_from_the_cwd(tmp_path, monkeypatch):
    root = project(tmp_path)
    deep = root / "source" / "2025" / "q1"
    deep.mkdir(parents=True)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert find_project(deep / "a.zh.txt") == root.absolute()
    assert find_project(elsewhere) is None
    assert load_settings(deep / "a.zh.txt").file == (root / PROJECT_FILE).absolute()
    assert load_settings(elsewhere / "a.zh.txt").file is None


def test_the_repository_is_a_project_for_its_sample():
    settings = load_settings(SAMPLE)
    assert settings.root == ROOT and settings.glossaries == (GLOSSARY,)


def test_project_option_overrides_the_search(tmp_path):
    root = project(tmp_path)
    assert load_settings(SAMPLE, project=root).root == root.absolute()
    assert load_settings(SAMPLE, project=root / PROJECT_FILE).root == root.absolute()
    with pytest.raises(ProjectError, match=r"--project .*: no leshan-pub\.toml there; run `leshan-pub init"):
        load_settings(SAMPLE, project=tmp_path / "nothing")


@pytest.mark.parametrize(
    "toml, message",
    [
        ("[translation]\nbeams = 'four'", r"leshan-pub\.toml: translation\.beams must be an integer 1–16, got 'four'"),
        ("[translation]\nbeams = 0", r"translation\.beams must be an integer 1–16, got 0"),
        ("[translation]\nbeams = true", r"translation\.beams must be an integer 1–16, got true"),
        ("[translation]\nbatch_size = 5000", r"translation\.batch_size must be an integer 1–1024, got 5000"),
        ("[translation]\ndevice = 'gpu'", r"translation\.device must be auto, cpu, cuda or cuda:N, got 'gpu'"),
        ("[translation]\nengine = 'deepl'", r"translation\.engine must be one of ctranslate2, transformers, got 'deepl'"),
        ("[translation]\nbeam = 4", r"unknown key translation\.beam \(did you mean beams\?\)"),
        ("[translate]\nbeams = 4", r"unknown section \[translate\] \(did you mean translation\?\)"),
        ("[publish]\npage_size = 'A3'", r"publish\.page_size must be one of A4, Letter, got 'A3'"),
        ("[publish]\nformats = ['pdf', 'html']", r"publish\.formats must be a non-empty list of docx, pdf, got \['pdf', 'html'\]"),
        ("[publish]\nformats = []", r"publish\.formats must be a non-empty list"),
        ("[glossary]\nfiles = 'glossary/terms.tsv'", r"glossary\.files must be a list of file paths"),
        ("[source]\nscript = 'zh-TW'", r"source\.script must be one of auto, zh-Hans, zh-Hant, got 'zh-TW'"),
        ("[translation]\nmodel_script = 'zh-Hant'",
         r"translation\.model_script must be one of zh-Hans, as-written, got 'zh-Hant'"),
        ("[source]\nencoding = 'klingon'", r"source\.encoding must be auto or an encoding"),
        ("translation = 4", r"translation must be a section"),
        ("[translation]\nbeams = ", r"not valid TOML: .*line 2"),
    ],
)
def test_bad_settings_are_one_line_naming_the_file_and_key(tmp_path, toml, message):
    file = tmp_path / PROJECT_FILE
    file.write_text(toml + "\n", encoding="utf-8")
    with pytest.raises(ProjectError, match=message):
        read_settings(file)
    article = tmp_path / "a.zh.txt"
    article.write_text("标题\n\n乐山市多晶硅产业。\n", encoding="utf-8")
    result = runner.invoke(app, ["segment", str(article)])
    assert result.exit_code == 1 and result.stderr.count("\n") == 1 and str(file) in result.stderr
    assert not (tmp_path / "a.zh-en.xlf").exists()


def test_what_init_renders_loads_back_with_every_default():
    table = tomllib.loads(render_settings())
    assert table["translation"]["beams"] == 4 and table["glossary"]["files"] == [STARTER_GLOSSARY]
    assert table["glossary"]["memory"] == "glossary/memory.tmx" and table["source"]["script"] == "auto"


def _page_size_of(pdf: Path) -> tuple[int, int]:
    from pypdf import PdfReader

    box = PdfReader(pdf).pages[0].mediabox
    return round(float(box.width)), round(float(box.height))


def test_settings_reach_the_output_and_the_command_line_wins(tmp_path, monkeypatch):
    root = project(tmp_path, "")
    text = (root / PROJECT_FILE).read_text(encoding="utf-8")
    text = text.replace('page_size = "A4"', 'page_size = "Letter"').replace('formats = ["docx", "pdf"]', 'formats = ["pdf"]')
    (root / PROJECT_FILE).write_text(text, encoding="utf-8")
    segfile = root / "source" / SAMPLE_SEGFILE.name
    segfile.write_bytes(SAMPLE_SEGFILE.read_bytes())
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)  # outputs go to the project's output/, not the current folder's

    result = runner.invoke(app, ["publish", str(segfile)])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (root / "output").iterdir()) == ["leshan-2024.pdf"]
    assert _page_size_of(root / "output" / "leshan-2024.pdf") == (612, 792)
    assert not (cwd / "output").exists()

    result = runner.invoke(app, ["publish", str(segfile), "--page-size", "A4", "--out", "here", "-f", "PDF"])
    assert result.exit_code == 0, result.output
    assert _page_size_of(cwd / "here" / "leshan-2024.pdf") == (595, 842)


def test_a_second_glossary_file_is_merged_and_a_term_in_two_files_is_refused(tmp_path):
    root = project(tmp_path)
    extra = root / "glossary" / "extra.tsv"
    extra.write_text("source\ttarget\n钒电池\tvanadium battery\n", encoding="utf-8")
    text = (root / PROJECT_FILE).read_text(encoding="utf-8")
    (root / PROJECT_FILE).write_text(
        text.replace(f'files = ["{STARTER_GLOSSARY}"]', f'files = ["{STARTER_GLOSSARY}", "glossary/extra.tsv"]'),
        encoding="utf-8",
    )
    listed = runner.invoke(app, ["glossary", "list", "--project", str(root), "--format", "json"])
    sources = [e["source"] for e in json.loads(listed.stdout)]
    assert "钒电池" in sources and "链主企业" in sources
    extra.write_text("source\ttarget\n链主企业\tchain master\n", encoding="utf-8")
    clash = runner.invoke(app, ["glossary", "validate", "--project", str(root)])
    assert clash.exit_code == 1 and "链主企业" in clash.stderr and "keep it in one glossary file" in clash.stderr


def test_a_pack_table_in_the_settings_is_left_to_the_pack_command(tmp_path):
    file = tmp_path / PROJECT_FILE
    file.write_text(render_settings() + '\n[pack]\ntitle = "Q1"\narticles = ["source/a.zh.txt"]\n', encoding="utf-8")
    assert read_settings(file).beams == 4


def test_status_names_the_project():
    result = runner.invoke(app, ["status", str(SAMPLE), "--json"])
    assert json.loads(result.stdout)["project"] == {"name": "leshan-2024", "file": str(ROOT / PROJECT_FILE)}
