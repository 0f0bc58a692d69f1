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
