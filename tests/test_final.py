"""The final gate: build, publish, pack and status decide whether a publish may be final in one place."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from helpers import GLOSSARY, SAMPLE, SAMPLE_SEGFILE
from leshan_pub.cli import app
from leshan_pub.document import Document, ReviewState
from leshan_pub.errors import PublishError
from leshan_pub.final import final_blockers, final_gate
from leshan_pub.formats.segfile import read_segment_file, write_segment_file
from leshan_pub.glossary import load_glossary
from leshan_pub.pipeline import GlossaryInUse

runner = CliRunner()
NOT_ENFORCED = "terms are not enforced"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """The approved sample in a project whose settings name two glossary files, one of them not there:
    the sample's terms are all enforced and QA is clean, yet the lost file's terms are not enforced."""
    (tmp_path / "leshan-pub.toml").write_text('[glossary]\nfiles = ["glossary/leshan.tsv", "glossary/lost.tsv"]\n',
                                              encoding="utf-8")
    (tmp_path / "glossary").mkdir()
    shutil.copy(GLOSSARY, tmp_path / "glossary")
    (tmp_path / "source").mkdir()
    for file in (SAMPLE, SAMPLE_SEGFILE):
        shutil.copy(file, tmp_path / "source")
    return tmp_path


COMMANDS = {
    "build": ["build", "{article}", "--final", "--out", "{out}"],
    "publish": ["publish", "{article}", "--final", "--out", "{out}"],
    "pack": ["pack", "{article}", "--title", "Leshan", "--date", "2026-12-31", "--final", "--out", "{out}/pack.pdf"],
}


def invoke(command: str, project: Path, *extra: str):  # noqa: ANN201
    article, out = project / "source" / SAMPLE.name, project / "out"
    args = [a.format(article=article, out=out) for a in COMMANDS[command]]
    return runner.invoke(app, [*args, *extra])


@pytest.mark.parametrize("command", list(COMMANDS))
def test_final_is_refused_when_the_glossary_is_not_enforced_by_every_command(project: Path, command: str) -> None:
    """pack --final once went out with no glossary while build --final refused: one gate closes that."""
    result = invoke(command, project)
    assert result.exit_code == 1
    error = result.stderr.strip().splitlines()
    assert len(error) == 1 and error[0].startswith("leshan-pub: error: --final:") and NOT_ENFORCED in error[0]
    assert "glossary/lost.tsv" in error[0] and "--no-glossary" in error[0]
    assert not (project / "out").exists()  # nothing written


@pytest.mark.parametrize("command", list(COMMANDS))
def test_final_goes_out_once_the_glossary_is_enforced(project: Path, command: str) -> None:
    result = invoke(command, project, "--glossary", str(GLOSSARY))
    assert result.exit_code == 0, result.output
    assert any(p.suffix == ".pdf" for p in (project / "out").iterdir())


def _unapproved(document: Document) -> str:
    document.segments[0].state = ReviewState.REVIEWED
    return r"1 segment\(s\) of .* not approved"


def _wrong_figure(document: Document) -> str:
    dated = next(s for s in document.segments if "2024" in s.target)
    dated.target = dated.target.replace("2024", "2023")  # still approved: only QA can see it
    return r"QA finds 1 error\(s\) in leshan-2024"


@pytest.mark.parametrize("command", list(COMMANDS))
@pytest.mark.parametrize("spoil", [_unapproved, _wrong_figure], ids=["unapproved", "qa-error"])
def test_final_is_refused_for_unapproved_work_or_a_qa_error_by_every_command(project: Path, command: str, spoil) -> None:
    segfile = project / "source" / SAMPLE_SEGFILE.name
    document = read_segment_file(segfile)
    reason = spoil(document)
    write_segment_file(segfile, document)
    result = invoke(command, project, "--glossary", str(GLOSSARY))
    assert result.exit_code == 1
    assert re.fullmatch(rf"leshan-pub: error: --final: {reason}.*\n", result.stderr), result.stderr
    assert not (project / "out").exists()


def test_status_says_what_the_gate_says(project: Path) -> None:
    article = project / "source" / SAMPLE.name
    report = json.loads(runner.invoke(app, ["status", str(article), "--json"]).stdout)
    refusal = invoke("publish", project).stderr.strip().removeprefix("leshan-pub: error: ")
    assert report["ready_for_final"] is False and report["final_blockers"] == [refusal]
    assert report["not_approved"] == [] and report["qa_errors"] == []  # the glossary alone blocks it
    text = runner.invoke(app, ["status", str(article)]).stdout
    assert "ready for a final publish" not in text and NOT_ENFORCED in text
    enforced = json.loads(runner.invoke(app, ["status", str(article), "--json", "--glossary", str(GLOSSARY)]).stdout)
    assert enforced["ready_for_final"] is True and enforced["final_blockers"] == []


def test_the_gate_judges_glossary_approval_and_qa_in_that_order() -> None:
    document = read_segment_file(SAMPLE_SEGFILE)
    enforced = GlossaryInUse(load_glossary(GLOSSARY))
    final_gate([document], enforced)  # the approved sample passes
    assert final_blockers([document, document], enforced) == []
    lost = GlossaryInUse(None, "no glossary: terms are not enforced; pass --glossary")
    document.segments[3].state = ReviewState.REVIEWED
    dated = next(s for s in document.segments if "2024" in s.target)
    dated.target = dated.target.replace("2024", "2023")  # a wrong figure: a QA error
    reasons = final_blockers([document], lost)
    assert [r.split(":")[1].strip().split()[0] for r in reasons] == ["terms", "1", "QA"], reasons
    with pytest.raises(PublishError, match="terms are not enforced"):
        final_gate([document], lost)
    with pytest.raises(PublishError, match=r"1 segment\(s\) of the pack are not approved"):
        final_gate([document, read_segment_file(SAMPLE_SEGFILE)], enforced)
    assert final_blockers([], GlossaryInUse(None, intended=True)) == []  # --no-glossary: on purpose


# --- the one Settings object: defaults, then the project file, then the command line ---------------


def test_settings_record_where_each_value_came_from(tmp_path: Path) -> None:
    from leshan_pub.project import load_settings

    (tmp_path / "leshan-pub.toml").write_text("[translation]\nbeams = 6\nengine = \"ctranslate2\"\n", encoding="utf-8")
    settings = load_settings(tmp_path, command_line={"beams": 2, "precision": "int8", "device": None})
    assert (settings.beams, settings.origin("beams")) == (2, "command line")
    assert (settings.engine, settings.origin("engine")) == ("ctranslate2", "project")
    assert (settings.device, settings.origin("device")) == ("auto", "default")  # None: not given
    options = settings.engine_options()
    assert (options.num_beams, options.precision, options.model) == (2, "int8", settings.model)


def test_status_json_shows_the_settings_and_their_origins(tmp_path: Path) -> None:
    (tmp_path / "leshan-pub.toml").write_text('[publish]\nlayout = "interleaved"\n', encoding="utf-8")
    shutil.copy(SAMPLE_SEGFILE, tmp_path)
    report = json.loads(runner.invoke(app, ["status", str(tmp_path / SAMPLE_SEGFILE.name), "--json"]).stdout)
    assert report["settings"]["layout"] == {"value": "interleaved", "from": "project"}
    assert report["settings"]["beams"] == {"value": 4, "from": "default"}


def test_an_option_given_on_the_command_line_reaches_the_provenance_signature(
    tmp_path: Path, tiny_marian_dir: Path
) -> None:
    (tmp_path / "leshan-pub.toml").write_text("[translation]\nbeams = 3\n", encoding="utf-8")
    article = tmp_path / "news.zh.txt"
    article.write_text("乐山新闻\n\n乐山市经济保持稳定增长。\n", encoding="utf-8")
    result = runner.invoke(app, ["build", str(article), "--model", str(tiny_marian_dir), "--no-glossary",
                                 "--beams", "2", "--format", "docx"])
    assert result.exit_code == 0, result.output
    signatures = {str(s.signature) for s in read_segment_file(tmp_path / "news.zh-en.xlf").segments}
    assert signatures and all("beams:2" in s for s in signatures), signatures


def test_the_model_script_travels_from_the_project_file_and_the_command_line_to_the_engine(tmp_path: Path) -> None:
    from leshan_pub.project import load_settings

    assert load_settings(tmp_path).engine_options().model_script == "zh-Hans"  # the default
    (tmp_path / "leshan-pub.toml").write_text('[translation]\nmodel_script = "as-written"\n', encoding="utf-8")
    settings = load_settings(tmp_path)
    assert (settings.model_script, settings.origin("model_script")) == ("as-written", "project")
    assert settings.engine_options().model_script == "as-written"
    given = load_settings(tmp_path, command_line={"model_script": "zh-Hans"})
    assert (given.engine_options().model_script, given.origin("model_script")) == ("zh-Hans", "command line")
    shutil.copy(SAMPLE_SEGFILE, tmp_path)
    report = json.loads(runner.invoke(app, ["status", str(tmp_path / SAMPLE_SEGFILE.name), "--json"]).stdout)
    assert report["settings"]["model_script"] == {"value": "as-written", "from": "project"}


def test_a_traditional_article_is_translated_as_its_simplified_twin_and_keeps_its_own_script(
    tmp_path: Path, tiny_marian_dir: Path
) -> None:
    """The model reads the simplified form; the segment file keeps the author's characters. The default
    adds nothing to the signature, so articles built before keep theirs; as-written is named in it."""
    traditional, simplified = tmp_path / "trad" / "news.zh.txt", tmp_path / "simp" / "news.zh.txt"
    for article, text in ((traditional, "樂山新聞\n\n樂山市經濟保持穩定增長。\n"), (simplified, "乐山新闻\n\n乐山市经济保持稳定增长。\n")):
        article.parent.mkdir()
        article.write_text(text, encoding="utf-8")
        result = runner.invoke(app, ["build", str(article), "--model", str(tiny_marian_dir), "--no-glossary",
                                     "--beams", "2", "--format", "docx"])
        assert result.exit_code == 0, result.output
    built = [read_segment_file(a.with_name("news.zh-en.xlf")).segments for a in (traditional, simplified)]
    assert [s.source for s in built[0]] == ["樂山新聞", "樂山市經濟保持穩定增長。"]
    assert [s.target for s in built[0]] == [s.target for s in built[1]]
    assert all("model-script" not in str(s.signature) for segments in built for s in segments)
    result = runner.invoke(app, ["translate", str(traditional), "--model", str(tiny_marian_dir), "--no-glossary",
                                 "--beams", "2", "--retranslate", "--model-script", "as-written"])
    assert result.exit_code == 0, result.output
    again = read_segment_file(traditional.with_name("news.zh-en.xlf")).segments
    assert [s.source for s in again] == ["樂山新聞", "樂山市經濟保持穩定增長。"]
    assert all("model-script:as-written" in str(s.signature) for s in again)
    assert [s.target for s in again] != [s.target for s in built[0]]  # the tiny model reads traditional as unknown pieces


# --- an article edited after its segments were approved -----------------------------------------


def _edit_article(project: Path) -> Path:
    article = project / "source" / SAMPLE.name
    article.write_text(article.read_text(encoding="utf-8").replace("36.3亿元", "40.1亿元"), encoding="utf-8")
    return article


@pytest.mark.parametrize("command", ["publish", "pack"])
def test_final_is_refused_when_the_article_changed_after_segmenting(project: Path, command: str) -> None:
    """The approved English still says 36.3 billion: it must not go out marked final."""
    article = _edit_article(project)
    result = invoke(command, project, "--glossary", str(GLOSSARY))
    assert result.exit_code == 1
    error = result.stderr.strip().splitlines()
    assert len(error) == 1 and error[0].startswith("leshan-pub: error: --final:"), result.stderr
    assert f"leshan-pub segment {article}" in error[0] and "changed" in error[0]
    assert not (project / "out").exists()


def test_status_check_export_and_a_draft_publish_say_the_article_changed(project: Path) -> None:
    article = _edit_article(project)
    report = json.loads(runner.invoke(app, ["status", str(article), "--json", "--glossary", str(GLOSSARY)]).stdout)
    assert report["source_changed"] is True and report["ready_for_final"] is False
    assert any("leshan-pub segment" in b for b in report["final_blockers"]), report["final_blockers"]
    text = runner.invoke(app, ["status", str(article), "--glossary", str(GLOSSARY)])
    assert "ready for a final publish" not in text.stdout and "has changed" in text.stdout
    for args in (["status", str(article)], ["check", str(article)],
                 ["export", str(article), "--to", "csv", "-o", str(project / "x.csv")],
                 ["publish", str(article), "--out", str(project / "draft"), "--format", "docx"]):
        result = runner.invoke(app, [*args, "--glossary", str(GLOSSARY)])
        warned = [line for line in result.stderr.splitlines() if "has changed" in line]
        assert len(warned) == 1 and f"leshan-pub segment {article}" in warned[0], (args, result.stderr)
    assert (project / "x.csv").exists() and any((project / "draft").iterdir())  # a warning, not a refusal


def test_an_unchanged_or_missing_article_is_not_stale(project: Path) -> None:
    from leshan_pub.pipeline import stale_article

    segfile = project / "source" / SAMPLE_SEGFILE.name
    document = read_segment_file(segfile)
    assert stale_article(segfile, document) is None
    report = json.loads(runner.invoke(app, ["status", str(segfile), "--json", "--glossary", str(GLOSSARY)]).stdout)
    assert report["source_changed"] is False and report["ready_for_final"] is True
    assert stale_article(segfile, document) is None
    (project / "source" / SAMPLE.name).unlink()
    assert stale_article(segfile, document) is None  # nothing to compare with: not stale
