import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from helpers import GLOSSARY, ROOT, SAMPLE, SAMPLE_SEGFILE
from leshan_pub import __version__
from leshan_pub.cli import app

runner = CliRunner()


def test_help_does_not_import_torch_or_typesetting_libraries():
    code = (
        "import sys; from leshan_pub.cli import app\n"
        "heavy = [m for m in ('torch', 'transformers', 'reportlab', 'docx', 'starlette', 'uvicorn') if m in sys.modules]\n"
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_glossary_list_json_has_source_and_target():
    result = runner.invoke(app, ["glossary", "list", "--glossary", str(GLOSSARY), "--format", "json"])
    assert result.exit_code == 0
    entries = json.loads(result.stdout)
    assert {"source": "链主企业", "target": "chain-leader enterprise"} in [
        {"source": e["source"], "target": e["target"]} for e in entries
    ]
    assert all(e["source"] and e["target"] for e in entries)


def test_user_errors_are_one_line_with_exit_status_1(tmp_path):
    result = runner.invoke(app, ["segment", str(tmp_path / "missing.zh.txt")])
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1 and "not found" in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_glossary_is_reported_with_its_line(tmp_path):
    bad = tmp_path / "g.tsv"
    bad.write_text("source\ttarget\n链主企业\t\n", encoding="utf-8")
    result = runner.invoke(app, ["glossary", "list", "--glossary", str(bad)])
    assert result.exit_code == 1 and "line 2" in result.stderr


def test_module_entry_point_runs():
    out = subprocess.run([sys.executable, "-m", "leshan_pub", "--help"], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0 and "build" in out.stdout


def test_publish_options_reach_the_pdf(tmp_path):
    from pypdf import PdfReader

    from helpers import SAMPLE_SEGFILE

    out = tmp_path / "out"
    args = ["publish", str(SAMPLE_SEGFILE), "--out", str(out), "-f", "pdf", "--page-size", "Letter"]
    result = runner.invoke(app, [*args, "--layout", "interleaved", "--glossary", str(GLOSSARY)])
    assert result.exit_code == 0, result.output
    box = PdfReader(out / "leshan-2024.pdf").pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (612, 792)
    assert not (out / "leshan-2024.docx").exists()


def test_unknown_page_size_is_refused_with_the_choices():
    result = runner.invoke(app, ["publish", "x.zh-en.xlf", "--page-size", "A3"])
    assert result.exit_code == 2 and "A4" in result.output and "Letter" in result.output


def test_glossary_commands_round_trip_through_tbx(tmp_path):
    g = tmp_path / "g.tsv"
    g.write_bytes(GLOSSARY.read_bytes())
    assert runner.invoke(app, ["glossary", "validate", "-g", str(g)]).exit_code == 0
    added = runner.invoke(app, ["glossary", "add", "钒电池", "vanadium battery", "--variant", "vanadium batteries", "-g", str(g)])
    assert added.exit_code == 0 and "钒电池" in g.read_text(encoding="utf-8")
    clash = runner.invoke(app, ["glossary", "add", "钒电池", "vanadium cell", "-g", str(g)])
    assert clash.exit_code == 1 and "--replace" in clash.stderr
    assert runner.invoke(app, ["glossary", "export", str(tmp_path / "g.tbx"), "-g", str(g)]).exit_code == 0
    assert runner.invoke(app, ["glossary", "remove", "钒电池", "-g", str(g)]).exit_code == 0
    assert "钒电池" not in g.read_text(encoding="utf-8")
    imported = runner.invoke(app, ["glossary", "import", str(tmp_path / "g.tbx"), "-g", str(g)])
    assert imported.exit_code == 0 and "1 added" in imported.stdout
    assert "vanadium batteries" in g.read_text(encoding="utf-8")


def test_glossary_validate_reports_each_problem_with_its_line(tmp_path):
    g = tmp_path / "g.tsv"
    g.write_text("source\ttarget\n链主企业\tchain-leader enterprise\n链主企业\tchain master\n多晶硅\t\n", encoding="utf-8")
    result = runner.invoke(app, ["glossary", "validate", "-g", str(g)])
    assert result.exit_code == 1
    assert "line 3" in result.stdout and "line 4" in result.stdout


def test_an_unwritable_output_folder_is_one_line_not_a_traceback(tmp_path):
    from helpers import SAMPLE_SEGFILE

    blocker = tmp_path / "out"
    blocker.write_text("a file where the output folder should be", encoding="utf-8")
    result = runner.invoke(app, ["publish", str(SAMPLE_SEGFILE), "--out", str(blocker / "sub"), "-f", "docx"])
    assert result.exit_code == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith("leshan-pub: error:") and result.stderr.count("\n") == 1


# --- the command line as people use it ---------------------------------------------------------

ENV = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "HF_HUB_OFFLINE": "1"}


def _commands() -> dict[str, object]:
    """Every command as click sees it, by its full name ('build', 'glossary add')."""
    root = typer.main.get_command(app)
    found: dict[str, object] = {}
    for name, command in root.commands.items():
        if hasattr(command, "commands"):
            found.update({f"{name} {sub}": c for sub, c in command.commands.items()})
        else:
            found[name] = command
    return found


def _options(command_name: str) -> set[str]:
    command = _commands()[command_name]
    return {opt for param in command.params for opt in (*param.opts, *param.secondary_opts)}


def test_version_prints_the_package_version():
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.stdout.strip() == f"leshan-pub {__version__}"


@pytest.mark.parametrize("name", [None, *sorted(_commands())])
def test_help_shows_boolean_flags_as_flags(name):
    result = runner.invoke(app, [*(name.split() if name else []), "--help"])
    assert result.exit_code == 0, result.output
    assert "<bool>" not in result.output and "--help" in result.output


def test_final_and_no_glossary_read_as_plain_flags_in_build_help():
    lines = runner.invoke(app, ["build", "--help"], env={"COLUMNS": "200"}).stdout.splitlines()
    assert any(re.match(r"\s+--final\s{2,}Refuse", line) for line in lines)
    assert any(re.match(r"\s+--no-glossary\s{2,}Run without", line) for line in lines)


@pytest.mark.parametrize(
    "given, written",
    [
        (["-f", "pdf,docx"], ["leshan-2024.docx", "leshan-2024.pdf"]),
        (["-f", "PDF"], ["leshan-2024.pdf"]),
        (["--format", "Docx", "--format", "pdf"], ["leshan-2024.docx", "leshan-2024.pdf"]),
        (["--format", " pdf , pdf "], ["leshan-2024.pdf"]),
    ],
)
def test_format_takes_commas_repeats_and_any_case(tmp_path, given, written):
    out = tmp_path / "out"
    result = runner.invoke(app, ["publish", str(SAMPLE_SEGFILE), "--out", str(out), *given])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == written


def test_an_unknown_format_is_refused_with_the_choices(tmp_path):
    result = runner.invoke(app, ["publish", str(SAMPLE_SEGFILE), "--out", str(tmp_path), "-f", "pdf,html"])
    assert result.exit_code == 2 and "'html' is not an output format; use docx, pdf" in result.output
    assert not list(tmp_path.iterdir())


def test_a_closed_pipe_ends_quietly_with_status_0(tmp_path):
    # The reader is gone before the first byte is written: every write meets a broken pipe.
    for args in (["status", str(SAMPLE)], ["check", str(SAMPLE), "--json"], ["glossary", "list", "-g", str(GLOSSARY)], ["--help"]):
        read_end, write_end = os.pipe()
        os.close(read_end)
        try:
            out = subprocess.run([sys.executable, "-m", "leshan_pub", *args], stdout=write_end,
                                 stderr=subprocess.PIPE, text=True, cwd=tmp_path, env=ENV)
        finally:
            os.close(write_end)
        assert (out.returncode, out.stderr) == (0, ""), args


def test_a_shell_pipe_into_head_keeps_the_first_line(tmp_path):
    script = f"{sys.executable} -m leshan_pub status {SAMPLE} | head -1; echo \"status=${{PIPESTATUS[0]}}\""
    out = subprocess.run(["bash", "-c", script], capture_output=True, text=True, cwd=tmp_path, env=ENV)
    assert out.stdout.splitlines() == [f"{SAMPLE_SEGFILE}: 59 segments", "status=0"]
    assert out.stderr == ""


def test_shell_completion_completes_commands_and_options(tmp_path):
    # Without this, typer asks shellingham which shell ran us: under `make` in CI that is sh,
    # which typer refuses. With it, --show-completion takes the shell by name.
    no_detection = {**ENV, "_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION": "1"}
    shown = subprocess.run([sys.executable, "-m", "leshan_pub", "--show-completion", "bash"],
                           capture_output=True, text=True, env=no_detection)
    assert shown.returncode == 0 and "_LESHAN_PUB_COMPLETE" in shown.stdout
    env = {**ENV, "_LESHAN_PUB_COMPLETE": "complete_bash", "COMP_WORDS": "leshan-pub bu", "COMP_CWORD": "1"}
    words = subprocess.run([sys.executable, "-m", "leshan_pub"], capture_output=True, text=True, env=env).stdout.split()
    assert words == ["build"]
    env.update(COMP_WORDS="leshan-pub build --no-g", COMP_CWORD="2")
    words = subprocess.run([sys.executable, "-m", "leshan_pub"], capture_output=True, text=True, env=env).stdout.split()
    assert words == ["--no-glossary"]


# Every option a message suggests, and the commands whose runs can print that message.
SUGGESTED = {
    "--force": ["translate", "import", "export"],  # impact.py names `leshan-pub translate --force` for build too
    "--partial": ["import"],
    "--replace": ["glossary add", "glossary import"],
    "--encoding": ["build", "segment"],
    "--font": ["build", "publish"],
    "--model": ["build", "translate"],
    "--device": ["build", "translate"],
    "--glossary": ["build", "segment", "translate", "publish", "pack", "check", "status", "export",
                   "glossary list", "glossary validate", "glossary add", "glossary remove", "glossary import",
                   "glossary export"],
    "--no-glossary": ["build", "publish", "pack"],
    "--final": ["build", "publish", "pack"],
    "--project": ["build", "segment", "translate", "publish", "pack", "check", "status", "export"],
    "--json": ["check", "status"],
    "--title": ["pack"],
    "--engine": ["build", "translate"],
    "--precision": ["build", "translate"],
    "--compile": ["build", "translate"],
    "--term-repair": ["build", "translate"],
    "--placement": ["build", "translate"],
    "--model-script": ["build", "translate"],
    "--retranslate": ["translate"],
    "--include-memory": ["translate"],
    "--include-drafts": ["approve"],
    "--ignore-qa": ["approve"],
    "--all-reviewed": ["approve"],
    "--by": ["approve"],
    "--port": ["review"],
    "--skip": ["check"],  # an unknown check name is refused with a hint at --skip
}


def _suggested_options() -> set[str]:
    """Every --option named in a string of the package's code, outside option declarations."""
    found: set[str] = set()
    for path in (ROOT / "src" / "leshan_pub").rglob("*.py"):
        for line in path.read_text(encoding="utf-8").splitlines():
            if "typer.Option(" in line or line.lstrip().startswith("#"):
                continue
            for string in re.findall(r"\"[^\"]*\"|'[^']*'", line):
                found.update(re.findall(r"(?<![\w-])--[a-z][a-z-]+", string))
    return found


def test_every_option_a_message_suggests_exists_where_it_is_printed():
    suggested = _suggested_options()
    assert {"--force", "--glossary", "--encoding", "--font"} <= suggested  # the scan sees messages
    not_ours = {"--get"}  # `git config --get user.name`, run for the memory's translator name
    unlisted = suggested - set(SUGGESTED) - not_ours - {"--help", "--version", "--format", "--to", "--output", "--out"}
    assert not unlisted, f"a message suggests {unlisted}: add them to SUGGESTED with the commands that print them"
    for option, commands in SUGGESTED.items():
        for command in commands:
            assert option in _options(command), f"`{command}` lacks {option}"


def test_build_names_the_command_that_has_force():
    from leshan_pub.document import Document, Provenance, ReviewState, Role, Segment
    from leshan_pub.quality.impact import glossary_impact
    from leshan_pub.terms import Glossary, Term

    segment = Segment("s1", 0, Role.PARAGRAPH, "多晶硅扩产。", "Expansion.", ReviewState.APPROVED)
    document = Document("d", [segment], Provenance("0", "0", glossary_sha256="old"))
    impact = glossary_impact(document, None, Glossary([Term("多晶硅", "polysilicon")]))
    assert "`leshan-pub translate --force`" in impact.broken_human[0][1]
    assert "--force" in _options("translate") and "--force" not in _options("build")


def test_readme_and_errors_spell_the_model_download_one_way():
    import shutil

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    code = (ROOT / "src" / "leshan_pub" / "engines" / "models.py").read_text(encoding="utf-8")
    assert "huggingface-cli" not in readme + code
    assert "hf download" in readme and "hf download" in code
    assert shutil.which("hf", path=str(Path(sys.executable).parent)), "the venv's huggingface_hub ships `hf`"
# Every command that does not translate, with arguments that make it do its real work. {d} is a
# scratch folder holding a copy of the sample article, its approved segment file and the glossary.
# `build` on an approved segment file translates nothing, so it must not load an engine either.
NON_TRANSLATING = {
    "--help": ["--help"],
    "segment": ["segment", "{d}/a.zh.txt", "-g", "{d}/g.tsv"],
    "publish": ["publish", "{d}/a.zh-en.xlf", "-g", "{d}/g.tsv", "-o", "{d}/out", "-f", "docx"],
    "check": ["check", "{d}/a.zh-en.xlf", "-g", "{d}/g.tsv", "--json"],
    "status": ["status", "{d}/a.zh-en.xlf", "-g", "{d}/g.tsv"],
    "export": ["export", "{d}/a.zh-en.xlf", "--to", "xliff", "-o", "{d}/x.xlf"],
    "import": ["import", "{d}/x.xlf", "{d}/a.zh-en.xlf"],
    "approve": ["approve", "{d}/a.zh-en.xlf", "--all-reviewed", "-g", "{d}/g.tsv", "--by", "Li Wei"],
    "build": ["build", "{d}/a.zh.txt", "-g", "{d}/g.tsv", "-o", "{d}/out", "-f", "docx"],
    "glossary list": ["glossary", "list", "-g", "{d}/g.tsv"],
    "glossary validate": ["glossary", "validate", "-g", "{d}/g.tsv"],
    "glossary add": ["glossary", "add", "钒电池", "vanadium battery", "-g", "{d}/g.tsv"],
    "glossary remove": ["glossary", "remove", "钒电池", "-g", "{d}/g.tsv"],
    "glossary export": ["glossary", "export", "{d}/g.tbx", "-g", "{d}/g.tsv"],
    "glossary import": ["glossary", "import", "{d}/g.tbx", "-g", "{d}/g.tsv"],
    "memory import": ["memory", "import", "{d}/a.zh-en.xlf", "--memory", "{d}/m.tmx", "-g", "{d}/g.tsv"],
    "memory stats": ["memory", "stats", "--memory", "{d}/m.tmx", "-g", "{d}/g.tsv"],
    "memory export": ["memory", "export", "{d}/m2.tmx", "--memory", "{d}/m.tmx", "-g", "{d}/g.tsv"],
    "init": ["init", "{d}/project"],
    "pack": ["pack", "{d}/a.zh-en.xlf", "--title", "Q4", "-g", "{d}/g.tsv", "-o", "{d}/pack.pdf", "-f", "docx"],
}
TRANSLATING = {"translate"}
SERVING = {"review"}  # serves until Ctrl-C; tests/test_web_server.py checks what it imports
_RUN_EACH = """
import json, sys
from leshan_pub.cli import app
heavy = ("torch", "transformers", "ctranslate2")
for name, args in json.loads(sys.argv[1]):
    try:
        app(args, prog_name="leshan-pub")
    except SystemExit as exit:
        code = exit.code
    print(json.dumps([name, code, [m for m in heavy if m in sys.modules]]))
"""


def _command_names() -> set[str]:
    def names(typer_app):  # type: ignore[no-untyped-def]
        return {c.name or c.callback.__name__.replace("_", "-") for c in typer_app.registered_commands}

    groups = {f"{g.name} {n}" for g in app.registered_groups for n in names(g.typer_instance)}
    return names(app) | groups


def test_every_non_translating_command_is_in_the_import_check():
    missing = _command_names() - TRANSLATING - SERVING - set(NON_TRANSLATING)
    assert not missing, f"add {sorted(missing)} to NON_TRANSLATING (or TRANSLATING) in tests/test_cli.py"


def test_commands_that_do_not_translate_import_no_engine_library(tmp_path):
    import shutil

    from helpers import SAMPLE, SAMPLE_SEGFILE

    shutil.copy(SAMPLE, tmp_path / "a.zh.txt")
    shutil.copy(SAMPLE_SEGFILE, tmp_path / "a.zh-en.xlf")
    shutil.copy(GLOSSARY, tmp_path / "g.tsv")
    import os

    import leshan_pub

    commands = [[name, [a.format(d=tmp_path) for a in args]] for name, args in NON_TRANSLATING.items()]
    # The package under test, whatever the working folder (the scratch folder, so nothing lands in the repo).
    env = {**os.environ, "PYTHONPATH": str(Path(leshan_pub.__file__).parents[1])}
    out = subprocess.run(
        [sys.executable, "-c", _RUN_EACH, json.dumps(commands)], capture_output=True, text=True, cwd=tmp_path, env=env
    )
    results = [json.loads(line) for line in out.stdout.splitlines() if line.startswith('["')]
    assert [name for name, _, _ in results] == list(NON_TRANSLATING), out.stderr[-2000:]
    assert {name: code for name, code, _ in results if code not in (0, None)} == {}, out.stderr[-2000:]
    # Cumulative: the first command that pulled one in is named.
    assert {name: heavy for name, _, heavy in results if heavy} == {}


def test_repeated_findings_are_summarised_in_a_few_lines():
    from leshan_pub.cli.articles import summarised

    findings = [(f"s{i}", "glossary: a term was placed by the last resort; check where it stands") for i in range(300)]
    findings += [(f"s{i}", f"glossary: '乐山' needs 'Leshan' but the English lacks it [reason search-ran-out: {240 + i % 16} tokens]")
                 for i in range(40)]
    findings += [(f"t{i}", f"glossary: 'term{i}' needs 'x{i}' but the English lacks it") for i in range(20)]
    findings += [("u1", "glossary: once")]
    lines = summarised(findings)
    assert lines[0] == "  glossary: a term was placed by the last resort; check where it stands (300 segments: s0, s1, s2 and 297 more)"
    assert lines[1] == "  glossary: '乐山' needs 'Leshan' but the English lacks it (40 segments: s0, s1, s2 and 37 more)"
    assert len(lines) == 9 and lines[-1].startswith("  and 15 more finding(s) in 15 segment(s): `leshan-pub check`")
    assert summarised([("s1", "glossary: once")]) == ["  s1: glossary: once"]
