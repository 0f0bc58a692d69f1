"""OmegaT end to end: our export opened as an OmegaT project, translated by OmegaT 3.6, imported back."""

import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from helpers import DATA, GLOSSARY
from leshan_pub.cli import app
from leshan_pub.document import ReviewState
from leshan_pub.formats.segfile import read_segment_file, write_segment_file

OMEGAT_JAR = Path("/usr/share/omegat/OmegaT.jar")
A, R, M, N = ReviewState.APPROVED, ReviewState.REVIEWED, ReviewState.MACHINE, ReviewState.NEW
runner = CliRunner()

needs_omegat = pytest.mark.skipif(
    not OMEGAT_JAR.is_file() or shutil.which("java") is None,
    reason="OmegaT is not installed (apt-get install -y omegat puts it at /usr/share/omegat/OmegaT.jar)",
)


def run(*args: str, code: int = 0):  # noqa: ANN201
    result = runner.invoke(app, list(args))
    assert result.exit_code == code, result.output
    return result


def translator_memory(pairs: list[tuple[str, str]], language: str = "ZH-CN") -> bytes:
    """What OmegaT keeps as the translator's work (omegat/project_save.tmx), keyed on the text it translated."""
    units = "".join(
        f'<tu><tuv lang="{language}"><seg>{source}</seg></tuv>'
        f'<tuv lang="EN-GB" changeid="li.wei" changedate="20261201T120000Z"><seg>{target}</seg></tuv></tu>'
        for source, target in pairs
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE tmx SYSTEM "tmx11.dtd">\n<tmx version="1.1">'
        '<header creationtool="OmegaT" o-tmf="OmegaT TMX" adminlang="EN-US" datatype="plaintext" '
        f'creationtoolversion="3.6.0" segtype="sentence" srclang="{language}"/><body>{units}</body></tmx>'
    ).encode()


@pytest.fixture(params=["simplified", "traditional"])
def project(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Path, dict[str, tuple[str, ReviewState]]]:
    article = tmp_path / "yibin.zh.txt"
    text = (DATA / "yibin-memory.zh.txt").read_text(encoding="utf-8")
    if request.param == "traditional":  # the same article as a Taiwan reader has it
        import opencc

        text = opencc.OpenCC("s2tw.json").convert(text)
    article.write_text(text, encoding="utf-8")
    run("segment", str(article), "--glossary", str(GLOSSARY), "--memory", str(tmp_path / "memory.tmx"))
    segfile = tmp_path / "yibin.zh-en.xlf"
    document = read_segment_file(segfile)
    states = [A, A, R, M, M, N, N]
    for number, segment in enumerate(document.segments):
        segment.state = states[number % len(states)]
        segment.target = "" if segment.state is N else f"{segment.state} English {number}."
    write_segment_file(segfile, document)
    return segfile, {s.source: (s.target, s.state) for s in document.segments}


def test_omegat_export_is_a_project_with_the_chinese_to_translate(project, tmp_path):
    segfile, _ = project
    folder = tmp_path / "omegat"
    run("export", str(segfile), "--to", "omegat", "-o", str(folder), "--glossary", str(GLOSSARY),
        "--memory", str(tmp_path / "memory.tmx"))
    names = sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())
    assert names == ["glossary/glossary.tbx", "omegat.project", "source/yibin.xlf",
                     "tm/auto/yibin-reviewed.tmx", "tm/mt/yibin-drafts.tmx"]
    source = (folder / "source" / "yibin.xlf").read_text(encoding="utf-8")
    document = read_segment_file(segfile)
    # One source language throughout: the project, its XLIFF and its memories (ZH-TW for a traditional article).
    language = document.source_language
    assert language == ("zh-TW" if "宜賓" in document.segments[0].source else "zh-CN")  # the title, 宜宾 as written
    assert f"<source_lang>{language.upper()}</source_lang>" in (folder / "omegat.project").read_text(encoding="utf-8")
    assert f'source-language="{language}"' in source
    for memory in ("tm/auto/yibin-reviewed.tmx", "tm/mt/yibin-drafts.tmx"):
        assert f'xml:lang="{language}"' in (folder / memory).read_text(encoding="utf-8"), memory
    for segment in document.segments:  # the target OmegaT translates is a copy of the Chinese
        assert f"<target state=\"new\">{segment.source}</target>" in source
    run("export", str(segfile), "--to", "omegat", "-o", str(folder), code=1)  # not over an earlier one
    run("export", str(segfile), "--to", "omegat", "-o", str(folder), "--force")


@needs_omegat
def test_omegat_round_trip_brings_the_translators_edits_back_with_sensible_states(project, tmp_path):
    segfile, before = project
    folder = tmp_path / "omegat"
    run("export", str(segfile), "--to", "omegat", "-o", str(folder), "--glossary", str(GLOSSARY),
        "--memory", str(tmp_path / "memory.tmx"))
    new = [s for s, (_, state) in before.items() if state is N]
    machine = [s for s, (_, state) in before.items() if state is M]
    edits = {new[0]: "Translated in OmegaT.", machine[0]: "Post-edited in OmegaT."}
    language = read_segment_file(segfile).source_language.upper()
    (folder / "omegat" / "project_save.tmx").write_bytes(translator_memory(list(edits.items()), language))

    done = subprocess.run(["java", "-jar", str(OMEGAT_JAR), str(folder), "--mode=console-translate"],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert (folder / "target" / "yibin.xlf").is_file()
    stats = (folder / "omegat" / "project_stats.txt").read_text(encoding="utf-8")
    assert f"{len(before)}" in stats.splitlines()[4]  # OmegaT counted every one of our segments

    result = run("import", str(folder), str(segfile), "--memory", str(tmp_path / "memory.tmx"))
    assert "refused 0" in result.stdout

    after = {s.source: (s.target, s.state) for s in read_segment_file(segfile).segments}
    assert after[new[0]] == ("Translated in OmegaT.", R)
    assert after[machine[0]] == ("Post-edited in OmegaT.", R)
    for source, (target, state) in before.items():
        if source not in edits:
            assert after[source] == (target, state), source  # human work, drafts and untranslated stay as they were
