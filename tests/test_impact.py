import dataclasses

import pytest

from leshan_pub.document import Document, Provenance, ReviewState, Role, Segment
from leshan_pub.glossary import Glossary, Term
from leshan_pub.quality.impact import glossary_impact

STACK = Term("电堆", "cell stack", ("cell stacks",), ("electric pile",), line=2)
SILICON = Term("多晶硅", "polysilicon", line=3)
OLD = Glossary([STACK, SILICON])

M, A, R, N = ReviewState.MACHINE, ReviewState.APPROVED, ReviewState.REVIEWED, ReviewState.NEW


def document(*rows: tuple[str, str, ReviewState], glossary_sha256: str = OLD.sha256) -> Document:
    segments = [
        Segment(id=f"p1s{i}", block=1, role=Role.PARAGRAPH, source=source, target=target, state=state)
        for i, (source, target, state) in enumerate(rows)
    ]
    return Document("article", segments, Provenance("0.1.0", "1", glossary_sha256=glossary_sha256))


ARTICLE = document(
    ("电堆已经投产。", "The cell stack is in production.", M),  # p1s0
    ("多晶硅产量增长。", "Polysilicon output grew.", M),  # p1s1
    ("电堆和多晶硅。", "Cell stacks and polysilicon.", A),  # p1s2
    ("电堆通过验收。", "The cell stack passed inspection.", R),  # p1s3
    ("电堆即将开工。", "", N),  # p1s4
    ("没有术语。", "No terms.", M),  # p1s5
)


def changed(**fields) -> Glossary:
    return Glossary([dataclasses.replace(STACK, **fields), SILICON])


def test_changing_a_target_marks_only_machine_segments_with_that_term():
    impact = glossary_impact(ARTICLE, OLD, changed(target="stack", target_variants=()))
    assert impact.retranslate == ["p1s0", "p1s4"]


def test_approved_segments_that_now_break_are_listed_not_retranslated():
    impact = glossary_impact(ARTICLE, OLD, changed(target="stack", target_variants=()))
    # "cell stack" still holds "stack" as a whole word, and "Cell stacks" its plural, which meets it too.
    assert impact.broken_human == []
    impact = glossary_impact(ARTICLE, OLD, changed(target="battery stack", target_variants=()))
    assert [segment_id for segment_id, _ in impact.broken_human] == ["p1s2", "p1s3"]
    assert "approved English needs 'battery stack' for '电堆'" in impact.broken_human[0][1]
    assert not {"p1s2", "p1s3"} & set(impact.retranslate)


def test_a_new_forbidden_rendering_flags_the_human_segments_using_it():
    impact = glossary_impact(ARTICLE, OLD, changed(target="stack", target_variants=(), forbidden=("cell stack",)))
    assert impact.retranslate == ["p1s0", "p1s4"]
    # "Cell stacks" is not the forbidden "cell stack" as whole words, and holds "stacks", the new term's plural.
    assert [(i, "has 'cell stack', forbidden for '电堆'" in m) for i, m in impact.broken_human] == [("p1s3", True)]


@pytest.mark.parametrize(
    "new",
    [
        Glossary([dataclasses.replace(STACK, note="changed note"), SILICON]),
        Glossary([dataclasses.replace(SILICON, line=2), dataclasses.replace(STACK, line=3)]),
        Glossary([STACK, SILICON, Term("双极板", "bipolar plate")]),
        OLD,
    ],
    ids=["note-only", "reordered-lines", "term-in-no-segment", "same-glossary"],
)
def test_changes_that_require_nothing_new_affect_nothing(new):
    impact = glossary_impact(ARTICLE, OLD, new)
    assert (impact.retranslate, impact.broken_human) == ([], [])


@pytest.mark.parametrize(
    "new, expected",
    [
        (Glossary([SILICON]), ["p1s0", "p1s4"]),
        (Glossary([STACK, SILICON, Term("术语", "term")]), ["p1s5"]),
        (Glossary([STACK, dataclasses.replace(SILICON, source_variants=("产量",))]), ["p1s1"]),
        (Glossary([STACK, dataclasses.replace(SILICON, forbidden=("poly-Si",))]), ["p1s1"]),
    ],
    ids=["term-removed", "term-added", "source-variant-added", "forbidden-added"],
)
def test_adding_and_removing_terms_marks_the_segments_holding_them(new, expected):
    assert glossary_impact(ARTICLE, OLD, new).retranslate == expected


def test_unknown_old_glossary_with_the_recorded_hash_means_no_change():
    impact = glossary_impact(ARTICLE, None, OLD)
    assert (impact.retranslate, impact.broken_human) == ([], [])


def test_unknown_old_glossary_marks_machine_segments_whose_english_fails_the_new_one():
    new = changed(target="battery stack", target_variants=())
    impact = glossary_impact(ARTICLE, None, new)
    assert impact.retranslate == ["p1s0", "p1s4"]
    assert [segment_id for segment_id, _ in impact.broken_human] == ["p1s2", "p1s3"]


def test_unknown_old_glossary_keeps_machine_segments_that_pass():
    impact = glossary_impact(ARTICLE, None, changed(note="a new note"))
    assert impact.retranslate == ["p1s4"]  # the new segment has no English yet
    assert impact.broken_human == []
