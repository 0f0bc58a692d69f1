"""A memory draft keeps its English, score and origin until a better match or a person replaces it (issue 27)."""

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from helpers import GLOSSARY
from leshan_pub.cli import app
from leshan_pub.document import Match, ReviewState
from leshan_pub.formats.segfile import read_segment_file
from leshan_pub.memory import MemoryEntry, read_memory, write_memory
from test_review_workflow import FIGURES, Project

runner = CliRunner()
A, R, M = ReviewState.APPROVED, ReviewState.REVIEWED, ReviewState.MACHINE
EDITED = FIGURES.replace("增速位居四川省第一", "增速位居全省第一")


@pytest.fixture
def drafted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Project:
    """Every segment approved, then the author edits one sentence: it comes back as a fuzzy draft."""
    project = Project(tmp_path, monkeypatch)
    project.segment()
    project.approve_all()
    project.segment()
    project.edit_article("增速位居四川省第一", "增速位居全省第一")
    project.segment()
    return project


def draft_of(project: Project, source: str = EDITED):  # noqa: ANN201
    return next(s for s in read_segment_file(project.segfile).segments if s.source == source)


def assert_still_drafted(project: Project, english: str, score: int) -> None:
    segment = draft_of(project)
    assert (segment.target, segment.state) == (english, M)
    assert segment.draft is not None and (segment.draft.target, segment.draft.score) == (english, score)
    assert segment.draft.origin.startswith("yibin/s") and segment.draft.source == FIGURES
    assert segment.is_fuzzy_draft and segment.matches and segment.matches[0].target == english
    unit = project.segfile.read_text(encoding="utf-8").split(f'id="{segment.id}"')[1].split("</trans-unit>")[0]
    assert 'state-qualifier="fuzzy-match"' in unit and f'match-quality="{score}"' in unit and "<alt-trans" in unit


def translate(project: Project, model: Path, *extra: str, glossary: Path = GLOSSARY) -> None:
    result = runner.invoke(app, ["translate", str(project.segfile), "--model", str(model), "--beams", "1",
                                 "--glossary", str(glossary), *extra])
    assert result.exit_code == 0, result.output


def test_fuzzy_draft_survives_builds_retranslate_and_a_glossary_change(drafted: Project, tiny_marian_dir: Path):
    english = "Approved English 2."
    first = draft_of(drafted)
    assert first.draft is not None and 75 <= first.draft.score < 100
    score = first.draft.score
    assert_still_drafted(drafted, english, score)

    for _ in range(3):  # three more builds: segmenting and translating again
        drafted.segment()
        translate(drafted, tiny_marian_dir)
        assert_still_drafted(drafted, english, score)

    translate(drafted, tiny_marian_dir, "--retranslate")
    assert_still_drafted(drafted, english, score)

    changed = drafted.folder / "changed.tsv"  # a new term in the drafted sentence
    shutil.copyfile(GLOSSARY, changed)
    with changed.open("a", encoding="utf-8") as handle:
        handle.write("地区生产总值\tgross regional product\t\t\t\n")
    translate(drafted, tiny_marian_dir, glossary=changed)
    assert_still_drafted(drafted, english, score)

    # Term QA and numbers QA run on the draft: it lacks the new term.
    check = runner.invoke(app, ["check", str(drafted.segfile), "--glossary", str(changed)])
    assert f"{first.id} error: [term-missing] glossary term '地区生产总值'" in check.stdout


def test_retranslate_include_memory_replaces_the_draft_when_asked_by_name(drafted: Project, tiny_marian_dir: Path):
    translate(drafted, tiny_marian_dir, "--retranslate", "--include-memory")
    segment = draft_of(drafted)
    assert segment.target != "Approved English 2." and segment.state is M
    assert segment.draft is None and not segment.is_fuzzy_draft


def test_include_memory_alone_is_refused_with_the_fix(drafted: Project, tiny_marian_dir: Path):
    result = runner.invoke(app, ["translate", str(drafted.segfile), "--model", str(tiny_marian_dir),
                                 "--glossary", str(GLOSSARY), "--include-memory"])
    assert result.exit_code == 1 and "--retranslate" in result.output
    assert draft_of(drafted).is_fuzzy_draft


def _remember(project: Project, source: str, english: str) -> None:
    memory = read_memory(project.memory)
    memory.add(MemoryEntry("s9", source, english, R, document="other",
                           created="20990101T000000Z", changed="20990101T000000Z", who="Li"))
    write_memory(project.memory, memory)


def test_a_better_match_replaces_the_draft_and_an_exact_one_makes_it_reviewed(drafted: Project):
    score = draft_of(drafted).draft.score
    closer = EDITED.replace("6.8%", "6.9%")  # one character from the edited sentence: scores higher
    _remember(drafted, closer, "Closer English.")
    drafted.segment()
    segment = draft_of(drafted)
    assert segment.draft is not None and segment.draft.score > score
    assert (segment.target, segment.state, segment.draft.origin) == ("Closer English.", M, "other/s9")

    worse = EDITED[:20]  # a lower match later in the memory changes nothing
    _remember(drafted, worse + "。", "Worse English.")
    drafted.segment()
    assert draft_of(drafted).target == "Closer English."

    _remember(drafted, EDITED, "Exact English.")
    drafted.segment()
    assert (draft_of(drafted).target, draft_of(drafted).state) == ("Exact English.", R)


def test_a_worse_or_equal_match_never_replaces_the_draft(drafted: Project):
    before = draft_of(drafted)
    drafted.memory.unlink()  # another memory, whose only candidate is further from the sentence
    memory = read_memory(drafted.memory)
    worse = EDITED.replace("全省第一", "全国前列").replace("6.8%", "7.5%")
    memory.add(MemoryEntry("s8", worse, "Worse English.", R, document="other", created="20990101T000000Z"))
    write_memory(drafted.memory, memory)
    assert memory.matches(EDITED)[0].score < before.draft.score  # it is offered, but lower
    drafted.segment()
    after = draft_of(drafted)
    assert (after.target, after.draft) == (before.target, before.draft)


def test_a_persons_edit_beats_a_better_match(drafted: Project):
    document = read_segment_file(drafted.segfile)
    segment = next(s for s in document.segments if s.source == EDITED)
    exported = drafted.export_csv()
    text = exported.read_bytes().decode("utf-8-sig").replace('"Approved English 2."', '"My own English."', 1)
    exported.write_bytes(text.encode("utf-8-sig"))
    drafted.run("import", str(exported), str(drafted.segfile))
    assert drafted.work()[EDITED] == ("My own English.", R)

    _remember(drafted, EDITED.replace("6.8%", "6.9%"), "Closer English.")
    drafted.segment()
    assert drafted.work()[EDITED] == ("My own English.", R)
    assert segment.id == draft_of(drafted).id


def test_numbers_qa_flags_a_figure_the_draft_gets_wrong(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    project = Project(tmp_path, monkeypatch)
    project.segment()
    document = read_segment_file(project.segfile)
    for segment in document.segments:
        segment.target, segment.state = "Approved English.", A
        if segment.source == FIGURES:
            segment.target = "In 2025 Q1-Q3 Yibin's GDP reached 286.54 billion yuan, up 6.8%, first in Sichuan."
    from leshan_pub.formats.segfile import write_segment_file

    write_segment_file(project.segfile, document)
    project.segment()
    project.edit_article("6.8%", "7.1%")
    project.segment()
    edited = FIGURES.replace("6.8%", "7.1%")
    drafted = draft_of(project, edited)
    assert drafted.is_fuzzy_draft and "6.8%" in drafted.target
    check = runner.invoke(app, ["check", str(project.segfile), "--glossary", str(GLOSSARY)])
    assert f"{drafted.id} error: [number] '7.1%'" in check.stdout


def test_a_draft_is_offered_as_it_was_recorded_through_a_round_trip():
    from leshan_pub.document import Document, Provenance, Role, Segment
    from leshan_pub.formats.segfile import parse_xliff, render_xliff

    draft = Match("旧句子。", "Old sentence.", 88, "doc/s1")
    segment = Segment("s2", 0, Role.PARAGRAPH, "新句子。", "Old sentence.", M, matches=[draft], draft=draft)
    back = parse_xliff(render_xliff(Document("d", [segment], Provenance("1", "1")))).segments[0]
    assert back.draft == draft and back.is_fuzzy_draft


def test_a_draft_corrected_in_the_segment_file_with_its_state_left_is_a_persons_and_stays(
    drafted: Project, tiny_marian_dir: Path
):
    text = drafted.segfile.read_text(encoding="utf-8")
    mine = 'state-qualifier="fuzzy-match">Approved English 2.</target>'  # the unit's own target, not its candidates
    assert text.count(mine) == 1
    drafted.segfile.write_text(text.replace(mine, 'state-qualifier="fuzzy-match">Corrected in the CAT tool.</target>'),
                               encoding="utf-8")  # state left needs-review-translation, as some tools do
    translate(drafted, tiny_marian_dir, "--retranslate", "--include-memory")
    segment = draft_of(drafted)
    assert (segment.target, segment.state) == ("Corrected in the CAT tool.", M)
    assert segment.signature is not None and segment.signature.origin == "person"
