import json
import subprocess
import sys

from typer.testing import CliRunner

from helpers import GLOSSARY, ROOT
from leshan_pub.cli import app

runner = CliRunner()


def test_help_does_not_import_torch_or_typesetting_libraries():
    code = (
        "import sys; from leshan_pub.cli import app\n"
        "heavy = [m for m in ('torch', 'transformers', 'reportlab', 'docx') if m in sys.modules]\n"
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
