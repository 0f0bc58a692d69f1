"""`leshan-pub approve`: by id, by number, or all reviewed; drafts and QA errors only when told (issue 27)."""

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from helpers import GLOSSARY
from leshan_pub.cli import app
from leshan_pub.document import ReviewState
from leshan_pub.formats.segfile import read_segment_file, write_segment_file
from leshan_pub.memory import read_memory
from test_review_workflow import FIGURES, QUOTED, Project

runner = CliRunner()
A, R, M = ReviewState.APPROVED, ReviewState.REVIEWED, ReviewState.MACHINE
GOOD_FIGURES = "In the first three quarters of 2025, Yibin's GDP reached 286.54 billion yuan, up 6.8%, first in Sichuan."


@pytest.fixture
def reviewed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Project:
    """The title, the figures sentence and the quoted one reviewed (QA finds nothing wrong), the rest machine drafts."""
    monkeypatch.setenv("LESHAN_PUB_TRANSLATOR", "Li Wei")
    project = Project(tmp_path, monkeypatch)
    project.segment()
    document = read_segment_file(project.segfile)
    for number, segment in enumerate(document.segments, 1):
        segment.target, segment.state = f"Draft English {number}.", M
        if number == 1:
            segment.target, segment.state = "Yibin: three years of change in the capital of power batteries", R
        if segment.source == FIGURES:
            segment.target, segment.state = GOOD_FIGURES, R
        if segment.source == QUOTED:
            segment.target, segment.state = "We want gold and silver mountains and green ones.", R
    write_segment_file(project.segfile, document)
    return project


def approve(project: Project, *args: str, code: int = 0):  # noqa: ANN201
    result = runner.invoke(app, ["approve", str(project.segfile), *args, "--glossary", str(GLOSSARY)])
    assert result.exit_code == code, result.output
    return result


def states(project: Project) -> list[ReviewState]:
    return [s.state for s in read_segment_file(project.segfile).segments]


def test_approve_by_number_and_id_records_who_and_when_and_fills_the_memory(reviewed: Project):
    document = read_segment_file(reviewed.segfile)
    figures = next(s for s in document.segments if s.source == FIGURES)
    result = approve(reviewed, "1", figures.id, "--by", "Zhang San")
    assert "approved 2 as Zhang San" in result.stdout
    after = read_segment_file(reviewed.segfile).segments
    approved = [s for s in after if s.state is A]
    assert [s.id for s in approved] == [after[0].id, figures.id]
    for segment in approved:
        assert segment.approval is not None and segment.approval.who == "Zhang San"
        when = datetime.strptime(segment.approval.when, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        assert abs((datetime.now(UTC) - when).total_seconds()) < 120
    memory = {(e.source, e.target): e for e in read_memory(reviewed.memory).entries}
    assert memory[(FIGURES, GOOD_FIGURES)].state is A and memory[(FIGURES, GOOD_FIGURES)].who == "Zhang San"

    status = runner.invoke(app, ["status", str(reviewed.segfile), "--glossary", str(GLOSSARY)])
    assert "approved by Zhang San (2)" in status.stdout
    listed = re.findall(r"^\s+(\d+) (s[0-9a-f]+) ", status.stdout, flags=re.M)
    assert ("1", after[0].id) not in listed and ("3", after[2].id) in listed  # the numbers approve takes


def test_the_approver_defaults_to_the_translator_name(reviewed: Project):
    approve(reviewed, "2")
    assert read_segment_file(reviewed.segfile).segments[1].approval.who == "Li Wei"


def test_machine_drafts_need_include_drafts_and_nothing_is_written_when_one_is_refused(reviewed: Project):
    last = str(len(states(reviewed)))
    before = reviewed.segfile.read_bytes()
    refused = approve(reviewed, "1", last, code=1)
    assert "--include-drafts" in refused.stderr and refused.stderr.count("\n") == 1
    assert reviewed.segfile.read_bytes() == before
    approve(reviewed, "1", last, "--include-drafts")
    assert states(reviewed)[0] is A and states(reviewed)[-1] is A


def test_qa_errors_refuse_unless_ignore_qa(reviewed: Project):
    document = read_segment_file(reviewed.segfile)
    figures = next(s for s in document.segments if s.source == FIGURES)
    figures.target = GOOD_FIGURES.replace("6.8%", "6.9%")
    write_segment_file(reviewed.segfile, document)
    refused = approve(reviewed, figures.id, code=1)
    assert f"{figures.id}: QA finds [number]" in refused.stderr and "--ignore-qa" in refused.stderr
    approve(reviewed, figures.id, "--ignore-qa")
    assert next(s for s in read_segment_file(reviewed.segfile).segments if s.id == figures.id).state is A


def test_all_reviewed_approves_the_reviewed_and_skips_what_qa_refuses(reviewed: Project):
    document = read_segment_file(reviewed.segfile)
    figures = next(s for s in document.segments if s.source == FIGURES)
    figures.target = GOOD_FIGURES.replace("6.8%", "6.9%")
    write_segment_file(reviewed.segfile, document)
    result = approve(reviewed, "--all-reviewed")
    assert f"skipped {figures.id}: QA finds [number]" in result.stderr
    after = {s.id: s.state for s in read_segment_file(reviewed.segfile).segments}
    reviewed_ids = [s.id for s in document.segments if s.state is R and s.id != figures.id]
    assert all(after[i] is A for i in reviewed_ids) and after[figures.id] is R
    assert sum(state is M for state in after.values()) == sum(s.state is M for s in document.segments)


@pytest.mark.parametrize("selector, message", [("999", "out of range"), ("s-nope", "no segment 's-nope'")])
def test_a_selector_naming_no_segment_is_refused(reviewed: Project, selector: str, message: str):
    before = reviewed.segfile.read_bytes()
    result = approve(reviewed, selector, code=1)
    assert message in result.stderr and "1 to" in result.stderr
    assert reviewed.segfile.read_bytes() == before


def test_a_range_written_backwards_is_refused_saying_so_not_out_of_range(reviewed: Project):
    """'5-3 is out of range: the file has segments 1 to 16' told the user something false about 5 and 3."""
    before = reviewed.segfile.read_bytes()
    result = approve(reviewed, "3-2", code=1)
    assert "segment numbers 3-2 run backwards; write the lower first: 2-3" in result.stderr
    assert "out of range" not in result.stderr and reviewed.segfile.read_bytes() == before


def test_nothing_named_is_refused_with_the_fix(reviewed: Project):
    assert "--all-reviewed" in approve(reviewed, code=1).stderr


def test_status_json_numbers_the_segments_and_says_who_approved(reviewed: Project):
    import json

    approve(reviewed, "2", "--by", "Zhang San")
    status = runner.invoke(app, ["status", str(reviewed.segfile), "--glossary", str(GLOSSARY), "--json"])
    report = json.loads(status.stdout)
    assert report["segments"] == len(states(reviewed))  # still the count
    second = report["numbered"][1]
    assert (second["number"], second["state"], second["approved_by"]) == (2, "approved", "Zhang San")
    assert "approved_by" not in report["numbered"][0] and report["numbered"][0]["state"] == "reviewed"


def test_a_refusal_of_several_segments_is_a_summary_line_then_one_line_each(reviewed: Project):
    """It once came as one ~1,500-character line."""
    count = len(states(reviewed))
    drafts = [str(n) for n in range(4, count + 1) if states(reviewed)[n - 1] is M][:3]
    assert len(drafts) == 3
    refused = approve(reviewed, *drafts, code=1)
    lines = refused.stderr.rstrip("\n").splitlines()
    assert lines[0].startswith("leshan-pub: error: ") and "nothing approved, 3 segment(s) refused" in lines[0]
    assert len(lines) == 4 and all("--include-drafts" in line for line in lines[1:])
    document = read_segment_file(reviewed.segfile)
    assert [line.split(":")[0].strip() for line in lines[1:]] == [document.segments[int(n) - 1].id for n in drafts]


def test_counts_say_one_segment_not_one_segments(tmp_path: Path):
    """'translated 1 segments': every count the commands print takes its noun in the right number."""
    article = tmp_path / "one.zh.txt"
    article.write_text("乐山是一座城市。\n", encoding="utf-8")
    segmented = runner.invoke(app, ["segment", str(article), "--no-glossary"])
    assert ": 1 segment (" in segmented.stdout, segmented.output
    exported = runner.invoke(app, ["export", str(article), "--to", "csv", "-o", str(tmp_path / "x.csv"), "--no-glossary"])
    assert exported.stdout.strip().endswith("(1 segment)"), exported.output
    from leshan_pub.cli.options import counted

    assert [counted(n, "segment") for n in (0, 1, 2)] == ["0 segments", "1 segment", "2 segments"]
    assert counted(1, "memory entry", "memory entries") == "1 memory entry" and counted(3, "entry", "entries") == "3 entries"


def test_the_review_status_in_published_metadata_is_in_the_right_number():
    from leshan_pub.publish import _review_status

    assert _review_status(3, 7) == "3 of 7 segments await review"
    assert _review_status(1, 1) == "1 of 1 segment awaits review" and _review_status(0, 1) == "1 segment approved"
