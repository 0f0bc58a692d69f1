import pytest

from helpers import GLOSSARY, SAMPLE_SEGFILE
from leshan_pub.document import Document, Provenance, ReviewState, Role, Segment
from leshan_pub.glossary import Glossary, load_glossary, parse_glossary
from leshan_pub.quality.qa import Severity, check_document, term_success
from leshan_pub.formats.segfile import read_segment_file

HEADER = "source\ttarget\ttarget_variants\tforbidden\tnote\n"
GLOSSARY_ROWS = (
    "全钒液流电池\tvanadium flow battery\tvanadium flow batteries|all-vanadium flow battery\tfull vanadium liquid flow battery\t\n"
    "电堆\tcell stack\tcell stacks\telectric pile\t\n"
    "核素\tnuclide\tnuclides|radionuclide|radionuclides\t\t\n"
    "五通桥\tWutongqiao\t\t\t\n"
)


def glossary() -> Glossary:
    return Glossary(parse_glossary(HEADER + GLOSSARY_ROWS))


def document(*pairs: tuple[str, str], state: ReviewState = ReviewState.APPROVED) -> Document:
    segments = [
        Segment(id=f"s{i}", block=i, role=Role.PARAGRAPH, source=zh, target=en, state=state)
        for i, (zh, en) in enumerate(pairs)
    ]
    return Document("test", segments, Provenance(tool_version="0", segmenter_version="0"))


def found(doc: Document, g: Glossary | None = None) -> list[tuple[str, Severity, str]]:
    return [(f.segment_id, f.severity, f.check) for f in check_document(doc, g)]


# A hand-made paragraph with the hard cases: full-width digits, a range with 万, Chinese
# numerals, a plan name, a year-less date, an ordinal, a fraction, a vague count and 余.
HARD_CHINESE = (
    "２０２５年３月１８日，该公司宣布在“十四五”期间投资１２０亿元建设两个基地，年产能３至５万吨，"
    "占全国６０％以上的市场份额。三年前，该公司仅有一百名员工，如今已超过三千人，其中十几人来自海外。"
    "十二月二十日，第二期工程开工，约三分之一的设备来自乐山，带动就业1.2万余人。"
)
HARD_ENGLISH = (
    "On 18 March 2025, the company announced that it would invest 12 billion yuan during the 14th "
    "Five-Year Plan period to build two bases with an annual capacity of 30,000 to 50,000 tonnes, "
    "over 60% of the national market. Three years ago it had only 100 employees; today it has more "
    "than 3,000, a dozen or so of them from abroad. On 20 December, work began on the second phase, "
    "with about a third of the equipment from Leshan, creating more than 12,000 jobs."
)


def test_sample_translation_passes_with_no_errors_and_no_warnings():
    findings = check_document(read_segment_file(SAMPLE_SEGFILE), load_glossary(GLOSSARY))
    assert [f for f in findings if f.severity is not Severity.INFO] == []


def test_sample_translation_renders_every_glossary_hit():
    stats = term_success(read_segment_file(SAMPLE_SEGFILE), load_glossary(GLOSSARY))
    assert stats.hits > 50
    assert stats.rate == 1.0


def test_hand_made_paragraph_with_hard_figures_passes():
    assert found(document((HARD_CHINESE, HARD_ENGLISH))) == []


@pytest.mark.parametrize(
    "wrong, right, chinese",
    [
        ("12 billion yuan", "1.2 billion yuan", "１２０亿元"),
        ("30,000 to 50,000 tonnes", "3,000 to 5,000 tonnes", "３至５万吨"),
        ("18 March 2025", "18 May 2025", "３月"),
        ("the 14th", "the 13th", "十四五"),
        ("20 December", "20 November", "十二月"),
        ("the second phase", "the next phase", "第二期"),
        ("Three years ago", "Years ago", "三年"),
    ],
)
def test_hand_made_paragraph_with_one_figure_wrong_fails_on_that_figure(wrong, right, chinese):
    findings = check_document(document((HARD_CHINESE, HARD_ENGLISH.replace(wrong, right))), None)
    assert {(f.check, f.severity) for f in findings} == {("number", Severity.ERROR)}
    assert [f.message.split(" in the Chinese")[0] for f in findings] == [f"'{chinese}'"] * len(findings)


def test_number_finding_quotes_the_chinese_figure_and_the_english_figures():
    (finding,) = check_document(document(("总投资36.3亿元", "a total investment of 363 million yuan")), None)
    assert "'36.3亿元' in the Chinese (3.63 billion)" in finding.message
    assert "English figures matching nothing in the Chinese: '363 million'" in finding.message


def test_numerals_of_glossary_names_are_not_figures():
    doc = document(("乐山市五通桥区一角", "A corner of Wutongqiao District, Leshan"))
    assert found(doc, glossary()) == []
    assert found(doc, None) == [("s0", Severity.ERROR, "number")]


@pytest.mark.parametrize(
    "state, severity",
    [
        (ReviewState.APPROVED, Severity.ERROR),
        (ReviewState.REVIEWED, Severity.ERROR),
        (ReviewState.MACHINE, Severity.WARNING),
        (ReviewState.NEW, Severity.INFO),
    ],
)
def test_empty_english_severity_follows_review_state(state, severity):
    assert found(document(("电堆生产线进入试生产阶段。", "  "), state=state), glossary()) == [
        ("s0", severity, "empty-target")
    ]


def test_chinese_left_in_the_english_is_an_error_quoting_it():
    (finding,) = check_document(document(("电堆生产线", "The 电堆 production line")), None)
    assert (finding.check, finding.severity) == ("untranslated", Severity.ERROR)
    assert "'电堆'" in finding.message and "The 电堆 production line" in finding.message


@pytest.mark.parametrize(
    "english, expected",
    [
        ("The cell stack line", []),
        ("The cell stacks line", []),
        ("The Cell Stack line", []),
        ("The stack line", [("s0", Severity.ERROR, "term-missing")]),
        ("The electric pile line", [("s0", Severity.ERROR, "term-missing"), ("s0", Severity.ERROR, "term-forbidden")]),
        ("The cell stack, not an electric pile", [("s0", Severity.ERROR, "term-forbidden")]),
    ],
    ids=["approved", "variant", "case", "missing", "forbidden-instead", "forbidden-beside"],
)
def test_glossary_terms_must_be_rendered_and_forbidden_renderings_are_errors(english, expected):
    assert found(document(("电堆生产线", english)), glossary()) == expected


def test_term_finding_quotes_the_chinese_term_and_its_english():
    (finding,) = check_document(document(("电堆生产线", "The stack line")), glossary())
    assert "'电堆' needs 'cell stack' (or 'cell stacks')" in finding.message
    assert "'The stack line'" in finding.message


def test_a_term_rendered_two_ways_warns_where_it_departs_from_the_usual_rendering():
    doc = document(
        ("核素生产", "nuclide production"),
        ("核素供应", "supply of radionuclides"),
        ("核素质量", "nuclide quality"),
    )
    findings = check_document(doc, glossary())
    assert [(f.segment_id, f.severity, f.check) for f in findings] == [("s1", Severity.WARNING, "term-inconsistent")]
    assert "'核素' is rendered 'radionuclides' here but 'nuclide'" in findings[0].message


@pytest.mark.parametrize(
    "first, second",
    [
        ("the vanadium flow battery", "vanadium flow batteries"),
        ("an all-vanadium flow battery", "the all-vanadium flow battery"),
    ],
    ids=["plural", "longer-variant-same-both-times"],
)
def test_number_and_repetition_of_one_rendering_are_consistent(first, second):
    assert found(document(("全钒液流电池", first), ("全钒液流电池", second)), glossary()) == []


def test_longer_variant_is_not_also_counted_as_the_shorter_one():
    doc = document(("全钒液流电池", "the vanadium flow battery"), ("全钒液流电池", "an all-vanadium flow battery"))
    assert found(doc, glossary()) == [("s1", Severity.WARNING, "term-inconsistent")]


@pytest.mark.parametrize(
    "chinese, english, warned",
    [
        ("这条电堆生产线采用公司自主研发的激光全焊密封技术，为全球首创。", "The line uses laser sealing.", True),
        ("这条电堆生产线采用公司自主研发的激光全焊密封技术。", "The line uses laser sealing. " * 12, True),
        ("这条电堆生产线采用公司自主研发的激光全焊密封技术，为全球首创。",
         "The cell stack production line uses the company's proprietary laser full-weld sealing technology, a world first.",
         False),
        ("协同向优 工农文旅融合发展",
         "Working Together for Excellence: Integrated Development of Industry, Agriculture, Culture and Tourism",
         False),
        ("向高端", "Upwards", False),
    ],
    ids=["omission", "repetition", "normal", "short-heading-long-english", "short-heading-short-english"],
)
def test_length_ratio_warns_only_far_outside_the_samples_range(chinese, english, warned):
    checks = [(f.severity, f.check) for f in check_document(document((chinese, english)), None)]
    assert checks == ([(Severity.WARNING, "length-ratio")] if warned else [])


def test_findings_come_in_document_order():
    doc = document(
        ("年产10万吨", "10,000 tonnes a year"),
        ("电堆", ""),
        ("核素", "nuclide 核素"),
    )
    assert found(doc, glossary()) == [
        ("s0", Severity.ERROR, "number"),
        ("s1", Severity.ERROR, "empty-target"),
        ("s2", Severity.ERROR, "untranslated"),
    ]


def test_without_a_glossary_term_checks_are_skipped():
    assert found(document(("电堆生产线", "The electric pile line")), None) == []


def test_term_success_counts_every_hit_and_every_rendering():
    doc = document(
        ("电堆和电堆", "a cell stack and another cell stack"),
        ("电堆与核素", "a stack and a radionuclide"),
        ("全钒液流电池", ""),
        ("没有术语", "no terms"),
    )
    stats = term_success(doc, glossary())
    assert (stats.hits, stats.rendered) == (5, 3)
    assert stats.rate == pytest.approx(0.6)
    assert stats.per_segment == {"s0": (2, 2), "s1": (2, 1), "s2": (1, 0)}
    assert stats.per_term == {"电堆": (3, 2), "核素": (1, 1), "全钒液流电池": (1, 0)}


def test_term_success_counts_a_repeated_term_once_per_rendering():
    stats = term_success(document(("电堆和电堆", "a cell stack and another stack")), glossary())
    assert (stats.hits, stats.rendered) == (2, 1)


def test_term_success_is_not_applicable_when_there_is_nothing_to_render():
    stats = term_success(document(("没有术语", "no terms")), glossary())
    assert (stats.hits, stats.rendered, stats.rate) == (0, 0, None)
    assert "n/a" in stats.describe() and "%" not in stats.describe()


@pytest.mark.parametrize(
    ("english", "hits"),
    [("The cell stackyyyy line", 0), ("A cell stack-based line", 1), ("Cell stacks2 and cell stacks", 1)],
)
def test_terms_count_in_qa_only_as_whole_words(english, hits):
    stats = term_success(document(("电堆生产线", english)), glossary())
    assert stats.rendered == hits


def test_missing_term_finding_carries_the_reason_the_segment_notes_record():
    from leshan_pub.quality.enforce import MissReason, TermMiss

    doc = document(("电堆生产线", "The stack line"))
    term = glossary().get("电堆")
    doc.segments[0].notes = [TermMiss(term, MissReason.LENGTH_LIMIT, "the limit of 3 new tokens").note()]
    (finding,) = check_document(doc, glossary())
    assert finding.reason == "length-limit" and "(reason: length-limit)" in finding.message
    doc.segments[0].notes = []
    (finding,) = check_document(doc, glossary())
    assert finding.reason == "not-enforced"


# --- how terms went in (Segment.terms) ------------------------------------------------------------


def _recorded(state: ReviewState, *records):
    segment = Segment("s1", 0, Role.PARAGRAPH, "乐山的大佛很古老。", "The Giant Buddha is old Leshan.", state,
                      terms=tuple(records))
    return Document("d", [segment], Provenance("0", "0"))


def test_a_term_placed_by_the_last_resort_and_a_splice_that_changed_its_neighbours_are_warned_of():
    from leshan_pub.document import TermMethod, TermRecord
    from leshan_pub.quality.qa import CHANGED, TERM_AGREEMENT, TERM_PLACED

    document = _recorded(
        ReviewState.MACHINE,
        TermRecord("乐山", "Leshan", TermMethod.PLACED, "its Chinese was not found among the model's input pieces"),
        TermRecord("大佛", "Giant Buddha", TermMethod.SPLICED, CHANGED + "'a' -> 'the'"),
        TermRecord("大佛", "Giant Buddha", TermMethod.REWRITTEN),
    )
    found = [(f.check, f.severity) for f in check_document(document, None)]
    assert found == [(TERM_PLACED, Severity.WARNING), (TERM_AGREEMENT, Severity.WARNING)]
    # A person's English is theirs: the engine's record no longer says how its terms got there.
    reviewed = _recorded(ReviewState.REVIEWED, *document.segments[0].terms)
    assert [f.check for f in check_document(reviewed, None)] == []


def test_check_skips_the_checks_asked_for_and_refuses_an_unknown_one(tmp_path):
    import json

    from typer.testing import CliRunner

    from leshan_pub.cli import app
    from leshan_pub.document import TermMethod, TermRecord
    from leshan_pub.formats.segfile import write_segment_file

    path = tmp_path / "t.zh-en.xlf"
    write_segment_file(path, _recorded(ReviewState.MACHINE, TermRecord("乐山", "Leshan", TermMethod.PLACED, "x")))
    runner = CliRunner()
    shown = json.loads(runner.invoke(app, ["check", str(path), "--no-glossary", "--json"]).stdout)
    assert [f["check"] for f in shown["findings"]] == ["term-placed"]
    assert shown["term_methods"]["placed"] == 1
    skipped = json.loads(runner.invoke(app, ["check", str(path), "--no-glossary", "--json", "--skip", "term-placed"]).stdout)
    assert skipped["findings"] == []
    refused = runner.invoke(app, ["check", str(path), "--no-glossary", "--skip", "term-place"])
    assert refused.exit_code == 2 and "no check named term-place; use one of" in refused.output
