"""Done when: every command, run as a user runs it from a folder outside the repository, on a project
made by `init`, finds the glossary through the article's folder; without it, says so and reports n/a."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import GLOSSARY, ROOT
from leshan_pub.glossary import load_glossary
from leshan_pub.project import PROJECT_FILE, STARTER_GLOSSARY

# Full-width figures, a repeated term, a term inside a heading, a caption and a credit.
ARTICLE = """峨眉山文旅融合观察

２０２５年一季度，峨眉山景区接待游客３１２万人次，同比增长１２．５％。

一、钒电池储能进山

景区管委会与本地企业合作，在报国寺停车场建成钒电池储能站，装机容量５兆瓦。“绿电”供应覆盖索道和观光车。

二、多晶硅企业参与建设

多晶硅企业提供光伏组件，钒电池负责削峰填谷，峨眉山的夜游项目因此延长到晚上十点。

金顶日出（摄影：王明）

来源：峨眉山市融媒体中心
"""
TERMS = [("钒电池", "vanadium battery"), ("多晶硅", "polysilicon"), ("峨眉山", "Mount Emei")]
NO_GLOSSARY = "no glossary: terms are not enforced; run `leshan-pub init` or pass --glossary"


class User:
    """Runs `python -m leshan_pub` in its own folder, outside the repository and outside the project."""

    def __init__(self, cwd: Path) -> None:
        self.cwd = cwd
        self.env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "HF_HUB_OFFLINE": "1"}

    def __call__(self, *args: str, status: int = 0) -> subprocess.CompletedProcess[str]:
        out = subprocess.run([sys.executable, "-m", "leshan_pub", *args], capture_output=True, text=True,
                             cwd=self.cwd, env=self.env)
        assert out.returncode == status, f"{args}: {out.returncode}\n{out.stdout}\n{out.stderr}"
        assert "Traceback" not in out.stderr
        return out


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory, tiny_marian_dir: Path) -> tuple[User, Path]:
    """A project made by `init` with three terms, its model set to the tiny one in leshan-pub.toml."""
    base = tmp_path_factory.mktemp("user")
    assert not base.is_relative_to(ROOT)
    cwd = base / "desktop"
    cwd.mkdir()
    user = User(cwd)
    user("init", "../quarterly", "--organisation", "峨眉山市")
    root = base / "quarterly"
    for source, target in TERMS:
        user("glossary", "add", source, target, "--project", str(root))
    settings = (root / PROJECT_FILE).read_text(encoding="utf-8")
    settings = settings.replace('model = "Helsinki-NLP/opus-mt-zh-en"', f"model = {json.dumps(str(tiny_marian_dir))}")
    (root / PROJECT_FILE).write_text(settings.replace("beams = 4", "beams = 2"), encoding="utf-8")
    (root / "source" / "emei.zh.txt").write_text(ARTICLE, encoding="utf-8")
    return user, root


def test_every_command_finds_the_project_through_the_article(made, tiny_marian_dir):
    user, root = made
    article = root / "source" / "emei.zh.txt"
    segfile = root / "source" / "emei.zh-en.xlf"

    assert "Mount Emei" in user("glossary", "list", "--project", str(root)).stdout
    assert user("glossary", "validate", "--project", str(root)).stdout.strip().endswith("0 errors, 0 warnings")
    user("glossary", "export", "terms.tbx", "--project", str(root))
    assert "0 added, 0 replaced, 3 unchanged" in user("glossary", "import", "terms.tbx", "--project", str(root)).stdout

    segmented = user("segment", str(article)).stdout
    count = int(re.search(r": (\d+) segments", segmented).group(1))
    translated = user("translate", str(segfile))
    assert f"translated {count} segments" in translated.stdout and "warning" not in translated.stderr
    # Random weights write nonsense English, so QA finds errors (exit 1); the terms are all there.
    checked = json.loads(user("check", str(article), "--json", status=1).stdout)
    assert checked["term_success"]["hits"] >= 8 and checked["term_success"]["rate"] == 1.0
    assert checked["glossary"]["files"] == [str(root / STARTER_GLOSSARY)] and checked["warnings"] == []
    status = json.loads(user("status", str(segfile), "--json").stdout)
    assert status["states"]["machine-translated"] == count and status["ready_for_final"] is False

    built = user("build", str(article), "--format", "PDF,docx")
    assert sorted(p.name for p in (root / "output").iterdir()) == ["emei.docx", "emei.pdf"]
    assert not (user.cwd / "output").exists(), "outputs belong to the project, not the current folder"
    assert f"kept {count}" in built.stdout  # translated once; build keeps it
    user("publish", str(segfile), "-f", "pdf", "--out", "here")
    assert (user.cwd / "here" / "emei.pdf").is_file()  # a path given on the command line is the user's own
    user("export", str(segfile), "--to", "csv", "-o", "emei.csv")
    assert f"updated 0, unchanged {count}" in user("import", "emei.csv", str(segfile)).stdout

    # The project's model did the translating; the segment file names it by its folder, never by its path.
    assert f"model:local:{Path(tiny_marian_dir).name}" in segfile.read_text(encoding="utf-8")
    assert str(tiny_marian_dir) not in segfile.read_text(encoding="utf-8")

    user("glossary", "remove", "多晶硅", "--project", str(root))
    assert "多晶硅" not in (root / STARTER_GLOSSARY).read_text(encoding="utf-8")
    user("glossary", "add", "多晶硅", "polysilicon", "--project", str(root))


def test_without_the_glossary_commands_warn_and_term_success_is_na(made):
    user, root = made
    article = root / "source" / "emei.zh.txt"
    glossary = root / STARTER_GLOSSARY
    kept = glossary.read_bytes()
    settings = (root / PROJECT_FILE).read_text(encoding="utf-8")
    user("build", str(article), "-f", "pdf")  # translated under the glossary (kept when already done)
    try:
        glossary.unlink()  # removed from disk: named in the settings, gone
        checked = user("check", str(article), status=1)
        assert "term success n/a (no glossary)" in checked.stdout
        assert not any(line.startswith("term success") and "%" in line for line in checked.stdout.splitlines())
        assert checked.stderr.startswith("leshan-pub: warning: no glossary:") and str(glossary) in checked.stderr
        refused = user("build", str(article), "--final", status=1)
        assert "--no-glossary" in refused.stderr and refused.stderr.count("\n") == 1

        (root / PROJECT_FILE).write_text(settings.replace(f'files = ["{STARTER_GLOSSARY}"]', "files = []"), encoding="utf-8")
        for command, status in (("check", 1), ("status", 0)):
            result = user(command, str(article), "--json", status=status)
            assert json.loads(result.stdout)["term_success"] == "n/a"
            assert json.loads(result.stdout)["warnings"][0].startswith(NO_GLOSSARY)
            assert result.stderr.startswith(f"leshan-pub: warning: {NO_GLOSSARY}")
        translated = user("translate", str(article))
        assert NO_GLOSSARY in translated.stderr
        published = user("publish", str(article), "-f", "pdf")
        assert NO_GLOSSARY in published.stderr
        intended = user("publish", str(article), "-f", "pdf", "--final", "--no-glossary", status=1)
        # The final gate's glossary rule lets it pass; its next rule (every segment approved) stops it.
        assert intended.stderr.startswith("leshan-pub: error: --final: 9 segment(s) of emei are not approved")
        assert "glossary" not in intended.stderr
        assert user("check", str(article), "--no-glossary", status=1).stderr == ""
    finally:
        glossary.write_bytes(kept)
        (root / PROJECT_FILE).write_text(settings, encoding="utf-8")
    assert user("check", str(article), status=1).stderr == ""


def test_a_glossary_with_no_terms_yet_is_not_100_percent(tmp_path):
    user = User(tmp_path)
    user("init", "p")
    (tmp_path / "p" / "source" / "a.zh.txt").write_text("标题\n\n乐山市多晶硅产业继续扩产。\n", encoding="utf-8")
    user("segment", "p/source/a.zh.txt")
    checked = user("check", "p/source/a.zh.txt")
    assert "term success n/a (no glossary term occurs in the source)" in checked.stdout
    assert "has no terms: nothing is enforced" in checked.stderr


def test_a_glossary_file_left_out_of_the_settings_is_named_until_listed_or_imported(tmp_path):
    user = User(tmp_path)
    user("init", "p")
    (tmp_path / "p" / "source" / "a.zh.txt").write_text("标题\n\n乐山市多晶硅产业继续扩产。\n", encoding="utf-8")
    user("segment", "p/source/a.zh.txt")
    dropped = tmp_path / "p" / "glossary" / "leshan.tsv"
    dropped.write_bytes(GLOSSARY.read_bytes())  # a terminologist's file, copied in beside terms.tsv
    terms = len(load_glossary(GLOSSARY))
    checked = user("check", "p/source/a.zh.txt", "--json")
    warnings = json.loads(checked.stdout)["warnings"]
    assert any(f"leshan.tsv ({terms} terms)" in w and "glossary.files" in w for w in warnings)
    assert f"leshan.tsv ({terms} terms)" in checked.stderr
    # --final is not barred by it: a file kept aside may be kept aside on purpose.
    assert "leshan.tsv" not in user("publish", "p/source/a.zh.txt", "--final", status=1).stderr.split("error:")[-1]
    # Once imported, its terms are enforced and nothing is said; an export of the glossary says nothing either.
    user("glossary", "import", str(dropped), "--project", "p")
    user("glossary", "export", "p/glossary/terms.tbx", "--project", "p")
    assert "leshan.tsv" not in user("check", "p/source/a.zh.txt").stderr
    assert "terms.tbx" not in user("check", "p/source/a.zh.txt").stderr
    # A file with a term the glossary lacks is named again, with only that term counted.
    (tmp_path / "p" / "glossary" / "extra.csv").write_text("source,target\n新词,new word\n", encoding="utf-8")
    assert "extra.csv (1 term)" in user("check", "p/source/a.zh.txt").stderr
