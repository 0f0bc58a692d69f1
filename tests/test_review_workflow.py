"""The eight ways the review workflow lost or blocked a translator's work (issue 9), each through the CLI."""

import csv
import io
import shutil
from pathlib import Path

import pytest
from translate.storage import tmx as tt_tmx
from typer.testing import CliRunner

from helpers import DATA, GLOSSARY
from leshan_pub.cli import app
from leshan_pub.document import ReviewState
from leshan_pub.formats.segfile import read_segment_file, write_segment_file

runner = CliRunner()
A, R, M, N = ReviewState.APPROVED, ReviewState.REVIEWED, ReviewState.MACHINE, ReviewState.NEW
ARTICLE = DATA / "yibin-memory.zh.txt"
FIGURES = "2025年前三季度，宜宾市地区生产总值达到２８６５.４亿元，同比增长6.8%，增速位居四川省第一。"
QUOTED = "“既要金山银山，也要绿水青山。”"


class Project:
    """An article of our own in a folder, with its segment file, a memory and the repository's glossary."""

    def __init__(self, folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.folder = folder
        self.article = folder / "yibin.zh.txt"
        self.segfile = folder / "yibin.zh-en.xlf"
        self.memory = folder / "memory.tmx"
        monkeypatch.setenv("LESHAN_PUB_MEMORY", str(self.memory))  # this project's own memory
        shutil.copyfile(ARTICLE, self.article)

    def run(self, *args: str, code: int | None = 0):  # noqa: ANN201
        if args[0] in ("segment", "translate", "export", "build"):
            args = (*args, "--glossary", str(GLOSSARY))
        result = runner.invoke(app, list(args))
        if code is not None:
            assert result.exit_code == code, result.output
        return result

    def segment(self):  # noqa: ANN201
        return self.run("segment", str(self.article))

    def approve_all(self) -> None:
        document = read_segment_file(self.segfile)
        for number, segment in enumerate(document.segments, 1):
            segment.target, segment.state = f"Approved English {number}.", A
        write_segment_file(self.segfile, document)

    def work(self) -> dict[str, tuple[str, ReviewState]]:
        return {s.source: (s.target, s.state) for s in read_segment_file(self.segfile).segments}

    def edit_article(self, old: str, new: str) -> None:
        text = self.article.read_text(encoding="utf-8")
        assert old in text
        self.article.write_text(text.replace(old, new, 1), encoding="utf-8")

    def export_csv(self, name: str = "review.csv") -> Path:
        path = self.folder / name
        self.run("export", str(self.segfile), "--to", "csv", "-o", str(path))
        return path


def remembered(memory: Path) -> set[tuple[str, str]]:
    """(Chinese, English) pairs in a TMX memory, read by translate-toolkit."""
    return {(u.source, u.target) for u in tt_tmx.tmxfile.parsestring(memory.read_bytes()).getunits()}


def read_rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_bytes().decode("utf-8-sig"), newline="")))


def write_rows(path: Path, rows: list[dict[str, str]]) -> None:
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, list(rows[0]), lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_bytes(buffer.getvalue().encode("utf-8-sig"))


def row_of(rows: list[dict[str, str]], source: str) -> dict[str, str]:
    return next(r for r in rows if r["source"] == source)


@pytest.fixture
def approved(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Project:
    project = Project(tmp_path, monkeypatch)
    project.segment()
    project.approve_all()
    project.segment()  # records the approved work in the memory
    return project


@pytest.fixture
def translated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Project:
    """Every segment machine-translated (the English written here: what the model says is not the point)."""
    project = Project(tmp_path, monkeypatch)
    project.segment()
    document = read_segment_file(project.segfile)
    for number, segment in enumerate(document.segments, 1):
        segment.target, segment.state = f"Machine English {number}.", M
    write_segment_file(project.segfile, document)
    return project


# --- 1. export -o over inputs ------------------------------------------------------------------------


@pytest.mark.parametrize("target", ["article", "segfile", "memory", "glossary", "unrelated"])
def test_1_export_refuses_to_overwrite_inputs_and_other_files(approved: Project, tmp_path: Path, target: str):
    unrelated = tmp_path / "notes.csv"
    unrelated.write_text("my own notes\n", encoding="utf-8")
    glossary = tmp_path / "glossary.tsv"
    shutil.copyfile(GLOSSARY, glossary)
    path = {"article": approved.article, "segfile": approved.segfile, "memory": approved.memory,
            "glossary": glossary, "unrelated": unrelated}[target]
    before = path.read_bytes()

    result = runner.invoke(app, ["export", str(approved.segfile), "--to", "csv", "-o", str(path),
                                 "--glossary", str(glossary)])

    assert result.exit_code == 1 and result.stderr.count("\n") == 1
    assert ("not a leshan-pub csv export" if target == "unrelated" else "never overwrites its inputs") in result.stderr
    assert path.read_bytes() == before


def test_1_export_replaces_an_earlier_export_and_anything_with_force(approved: Project, tmp_path: Path):
    earlier = approved.export_csv()
    approved.run("export", str(approved.segfile), "--to", "csv", "-o", str(earlier))  # an export may replace one
    xliff = tmp_path / "review.xlf"
    approved.run("export", str(approved.segfile), "--to", "xliff", "-o", str(xliff))
    approved.run("export", str(approved.segfile), "--to", "xliff", "-o", str(xliff))
    approved.run("export", str(approved.segfile), "--to", "xliff", "-o", str(earlier), code=1)  # a CSV is no XLIFF export
    notes = tmp_path / "notes.txt"
    notes.write_text("mine", encoding="utf-8")
    approved.run("export", str(approved.segfile), "--to", "csv", "-o", str(notes), "--force")
    assert notes.read_bytes().startswith(b"\xef\xbb\xbf\"id\"")


# --- 2. corrected target left machine-translated; older export reverting newer edits -------------------


def test_2_corrected_target_left_machine_translated_is_human_work_and_survives_retranslate(
    translated: Project, tiny_marian_dir: Path
):
    document = read_segment_file(translated.segfile)  # all approved but two, so the model has little to do
    for segment in document.segments:
        if segment.source not in (FIGURES, QUOTED):
            segment.state = A
    write_segment_file(translated.segfile, document)
    machine_english = translated.work()[QUOTED][0]
    exported = translated.export_csv()
    rows = read_rows(exported)
    row_of(rows, FIGURES)["target"] = "Yibin's GDP grew 6.8% in the first three quarters of 2025."  # state left as is
    assert row_of(rows, FIGURES)["state"] == "machine-translated"
    write_rows(exported, rows)

    translated.run("import", str(exported), str(translated.segfile))
    assert translated.work()[FIGURES] == ("Yibin's GDP grew 6.8% in the first three quarters of 2025.", R)
    translated.run("translate", str(translated.segfile), "--retranslate", "--model", str(tiny_marian_dir), "--beams", "1")

    assert translated.work()[FIGURES] == ("Yibin's GDP grew 6.8% in the first three quarters of 2025.", R)
    assert translated.work()[QUOTED] != (machine_english, M) and translated.work()[QUOTED][1] is M  # the model ran
    assert (FIGURES, "Yibin's GDP grew 6.8% in the first three quarters of 2025.") in remembered(translated.memory)


def test_2_an_older_export_never_reverts_newer_edits(translated: Project):
    older = translated.export_csv("older.csv")  # taken before anyone edited
    newer = translated.export_csv("newer.csv")
    rows = read_rows(newer)
    row_of(rows, FIGURES).update(target="Newer English.", state="reviewed")
    write_rows(newer, rows)
    translated.run("import", str(newer), str(translated.segfile))

    translated.run("import", str(older), str(translated.segfile))  # untouched rows bring nothing
    assert translated.work()[FIGURES] == ("Newer English.", R)

    rows = read_rows(older)
    row_of(rows, FIGURES).update(target="Older English.", state="reviewed")
    write_rows(older, rows)
    conflict = translated.run("import", str(older), str(translated.segfile), code=1)
    assert "changed in yibin.zh-en.xlf since your export" in conflict.stderr
    assert translated.work()[FIGURES] == ("Newer English.", R)

    translated.run("import", str(older), str(translated.segfile), "--force")
    assert translated.work()[FIGURES] == ("Older English.", R)


# --- 3. approved English of a changed sentence only in an overwritten .bak ------------------------------


def test_3_changed_sentence_keeps_its_approved_english_in_the_memory_and_comes_back(approved: Project):
    english = approved.work()[FIGURES][0]
    approved.edit_article("增速位居四川省第一", "增速位居全省第一")
    result = approved.segment()
    assert "memory: 0 exact, 1 fuzzy" in result.stdout and "kept in the translation memory" in result.stderr
    assert (FIGURES, english) in remembered(approved.memory)
    changed = FIGURES.replace("增速位居四川省第一", "增速位居全省第一")
    assert approved.work()[changed] == (english, M)  # a fuzzy-match draft, awaiting review

    approved.edit_article("增速位居全省第一", "增速位居四川第一")
    approved.segment()
    approved.edit_article("增速位居四川第一", "增速位居四川省第一")  # back as it was
    approved.segment()
    assert approved.work()[FIGURES] == (english, R)  # exact match, reviewed: a person approves in context


def test_3_backups_are_timestamped_and_never_overwritten(approved: Project):
    approved.edit_article("增速位居四川省第一", "增速位居全省第一")
    approved.segment()
    first = sorted(approved.folder.glob("yibin.zh-en.xlf.*.bak"))
    assert len(first) == 1
    kept = first[0].read_bytes()
    approved.approve_all()
    approved.edit_article("增速位居全省第一", "增速位居四川第一")
    approved.segment()
    backups = sorted(approved.folder.glob("yibin.zh-en.xlf.*.bak"))
    assert len(backups) == 2 and first[0] in backups and first[0].read_bytes() == kept


# --- 4. small edits losing the approved English ----------------------------------------------------------


@pytest.mark.parametrize(
    "old, new, state",
    [
        ("２８６５.４", "2865.4", R),  # full-width digits -> ASCII
        ("宜宾市地区", "宜宾市 地区", R),  # one added space
        ("“既要金山银山，也要绿水青山。”", '"既要金山银山，也要绿水青山。"', R),  # curly -> straight quotes
        ("6.8%", "6.9%", M),  # one figure: a fuzzy draft to review
    ],
    ids=["full-width-digits", "added-space", "straight-quotes", "one-figure"],
)
def test_4_small_edits_bring_back_the_approved_english(approved: Project, old: str, new: str, state: ReviewState):
    sentence = FIGURES if old in FIGURES else QUOTED
    english = approved.work()[sentence][0]
    approved.edit_article(old, new)
    approved.segment()
    edited = sentence.replace(old, new)
    assert approved.work()[edited] == (english, state)
    notes = next(s.notes for s in read_segment_file(approved.segfile).segments if s.source == edited)
    assert notes[0].startswith("exact match from yibin/" if state is R else "fuzzy match 9")


# --- 6. reviewed -> approved refused, with exit 0 -----------------------------------------------------------


# The reviewer's English carries every figure and term: approving it passes approve's QA rule, as an import must.
CORRECTED = ("In the first three quarters of 2025, Yibin's GDP reached 286.54 billion yuan, up 6.8% year on year, "
             "the fastest growth in Sichuan Province.")


def test_6_a_reviewer_approving_reviewed_work_is_accepted(translated: Project):
    exported = translated.export_csv()
    rows = read_rows(exported)
    row_of(rows, FIGURES).update(target="Reviewed English.", state="reviewed")
    write_rows(exported, rows)
    translated.run("import", str(exported), str(translated.segfile))

    reviewer = translated.export_csv("reviewer.csv")
    rows = read_rows(reviewer)
    row_of(rows, FIGURES).update(target=CORRECTED, state="approved")
    write_rows(reviewer, rows)
    result = translated.run("import", str(reviewer), str(translated.segfile))
    assert "updated 1" in result.stdout
    assert translated.work()[FIGURES] == (CORRECTED, A)

    rows = read_rows(translated.export_csv("again.csv"))
    row_of(rows, FIGURES).update(target="Changed after approval.")
    write_rows(translated.folder / "again.csv", rows)
    refused = translated.run("import", str(translated.folder / "again.csv"), str(translated.segfile), code=1)
    segment_id = row_of(rows, FIGURES)["id"]
    assert segment_id in refused.stderr and "--force" in refused.stderr and refused.stderr.count("\n") == 1
    assert translated.work()[FIGURES] == (CORRECTED, A)


# --- 7. stale CSV refused whole, blaming the translator -----------------------------------------------------


def test_7_a_stale_csv_names_the_changed_sentence_and_partial_applies_the_rest(translated: Project):
    exported = translated.export_csv()
    rows = read_rows(exported)
    row_of(rows, FIGURES).update(target="GDP up 6.8% in three quarters.", state="reviewed")
    row_of(rows, QUOTED).update(target="Clear waters and green mountains.", state="reviewed")
    stale_id = row_of(rows, FIGURES)["id"]
    write_rows(exported, rows)
    translated.edit_article("增速位居四川省第一", "增速位居全省第一")  # the author, meanwhile
    translated.segment()
    before = translated.segfile.read_bytes()

    refused = translated.run("import", str(exported), str(translated.segfile), code=1)
    assert f"{stale_id}: the author changed this sentence since your export" in refused.stderr
    assert "keep the exported ids" not in refused.stderr and translated.segfile.read_bytes() == before

    partial = translated.run("import", str(exported), str(translated.segfile), "--partial")
    assert f"refused {stale_id}: the author changed this sentence" in partial.stderr
    work = translated.work()
    assert work[QUOTED] == ("Clear waters and green mountains.", R)
    changed = FIGURES.replace("增速位居四川省第一", "增速位居全省第一")
    assert work[changed] == ("GDP up 6.8% in three quarters.", M)  # the translator's English, as a fuzzy draft


# --- 8. approved="yes" against state, read two ways ------------------------------------------------------


def test_8_a_cat_tool_confirmation_is_not_a_sign_off_in_either_reader(approved: Project, tmp_path: Path):
    data = approved.segfile.read_text(encoding="utf-8")
    first_final = data.index('state="final"')
    confirmed = data[:first_final] + 'state="translated"' + data[first_final + len('state="final"'):]
    assert confirmed.count('approved="yes"') == data.count('approved="yes"')  # approved="yes" stays on that unit
    approved.segfile.write_text(confirmed, encoding="utf-8")

    status = approved.run("status", str(approved.segfile))
    assert "final publish blocked: 1 segment not approved" in status.stdout

    rows_before = approved.work()
    exported = tmp_path / "from-tool.xlf"
    exported.write_text(confirmed, encoding="utf-8")
    shutil.copyfile(approved.segfile, tmp_path / "copy.xlf")
    approved.approve_all()
    approved.run("import", str(exported), str(approved.segfile), "--force")
    assert sorted(state for _, state in approved.work().values()) == sorted(state for _, state in rows_before.values())
