"""Table cells of figures, units, dates and codes: English by rule, flagged for review, never sent to the model."""

from __future__ import annotations

import pytest

from articles import write_investor_docx
from leshan_pub.document import Cell, ReviewState, Role, Segment
from leshan_pub.engines import EngineOptions
from leshan_pub.formats.segfile import read_segment_file, segment_file_for
from leshan_pub.pipeline import engine_loader, segment_source, translate_document
from leshan_pub.provenance import Origin
from leshan_pub.quality.cells import cell_units, rule_english, unit_of
from leshan_pub.quality.qa import NUMBER, check_document


@pytest.mark.parametrize(
    ("source", "unit", "english"),
    [
        ("836亿元", "", "RMB 83.6 billion"),
        ("836", "亿元", "RMB 83.6 billion"),  # the header's unit applies to a bare number
        ("2205.2", "亿元", "RMB 220.52 billion"),
        ("5000万元", "", "RMB 50 million"),
        ("12", "万人", "120,000 people"),
        ("12.5%", "", "12.5%"),
        ("５．３", "%", "5.3%"),  # full-width figures
        ("-3.2%", "", "-3.2%"),
        ("2024年", "", "2024"),
        ("2024年3月", "", "March 2024"),
        ("2024年3月5日", "", "5 March 2024"),
        ("2024年第一季度", "", "Q1 2024"),
        ("2024年上半年", "", "H1 2024"),
        ("2021-2025年", "", "2021–2025"),
        ("2205", "", "2205"),  # no unit anywhere: the number as written
        ("600519.SH", "", "600519.SH"),  # a code stays as it is
        ("—", "", "—"),
        ("836億元", "", "RMB 83.6 billion"),  # traditional units read as the simplified ones
        ("１０萬噸", "", "100,000 tonnes"),
    ],
)
def test_figure_only_cells_get_english_by_rule(source, unit, english):
    made = rule_english(source, unit)
    assert made is not None and made.english == english


@pytest.mark.parametrize("source", ["产值", "工业投资（亿元）", "5家", "2024年13月", "数据来自统计局，2025年为预计数。", ""])
def test_cells_with_words_or_unknown_units_go_to_the_model(source):
    assert rule_english(source, "亿元") is None


@pytest.mark.parametrize(
    ("header", "unit"),
    [("单位：亿元", "亿元"), ("地区生产总值（亿元）", "亿元"), ("同比增长(%)", "%"), ("2024年", ""), ("人口（个）", ""),
     ("投資（億元）", "亿元"), ("單位：萬元", "万元")],  # traditional headers state the same units
)
def test_a_header_states_its_unit(header, unit):
    assert unit_of(header) == unit


def _cell(source: str, row: int, column: int, header: bool = False, columns: int = 1) -> Segment:
    return Segment(f"s{row}{column}", row, Role.CELL, source, cell=Cell(1, row, column, columns=columns, header=header))


def test_units_come_from_the_column_header_then_the_row_label_then_a_unit_note():
    segments = [
        _cell("单位：万元", 0, 0, header=True), _cell("营收", 0, 1, header=True), _cell("增速（%）", 0, 2, header=True),
        _cell("产值（亿元）", 1, 0), _cell("836", 1, 1), _cell("5.3", 1, 2),
        _cell("税收", 2, 0), _cell("12", 2, 1),
    ]
    units = cell_units(segments)
    assert units["s12"] == "%"  # its column header
    assert units["s11"] == "亿元"  # no unit over its column: its row's label
    assert units["s21"] == "万元"  # neither: the table's 单位： note


def test_a_traditional_table_gives_bare_figures_the_unit_of_its_header():
    """A bare 12 under 投資（億元） is RMB 1.2 billion, as under 投资（亿元）; not '12'."""
    segments = [_cell("項目", 0, 0, header=True), _cell("投資（億元）", 0, 1, header=True),
                _cell("釩電池", 1, 0), _cell("１２", 1, 1), _cell("單位：萬元", 2, 0), _cell("5", 2, 1)]
    units = cell_units(segments)
    assert units["s11"] == "亿元"
    assert rule_english("１２", units["s11"]).english == "RMB 1.2 billion"


@pytest.fixture(scope="module")
def translated(tmp_path_factory, tiny_marian_dir):
    """The investor article segmented and translated with the tiny model; the sources the model saw."""
    source = write_investor_docx(tmp_path_factory.mktemp("cells") / "leshan.docx")
    document, _ = segment_source(source, None)
    real = engine_loader("transformers", EngineOptions(model=str(tiny_marian_dir), num_beams=1, progress=False))
    seen: list[str] = []

    def load():
        engine = real()
        translate = engine.translate

        def recording(sources, terms):
            seen.extend(sources)
            return translate(sources, terms)

        engine.translate = recording
        return engine

    report = translate_document(document, None, load)
    return document, report, seen


def test_figure_cells_are_carried_by_rule_flagged_and_never_sent_to_the_model(translated):
    document, report, seen = translated
    by_source = {s.source: s for s in document.segments}
    expected = {"836亿元": "RMB 83.6 billion", "2480": "RMB 248 billion", "5.3": "5.3%", "12.5%": "12.5%", "2023年": "2023"}
    for source, english in expected.items():
        segment = by_source[source]
        assert segment.target == english
        assert segment.state is ReviewState.MACHINE  # not approved until a person approves it
        assert segment.signature.origin == Origin.RULE
        assert segment.notes and segment.notes[0].startswith("rule: figures carried by rule")
        assert source not in seen
    ruled = {s.source for s in document.segments if s.signature and s.signature.origin == Origin.RULE}
    assert ruled == {"2023年", "2024年", "2025年", "2205.2", "2356", "2480", "5.3", "620", "700", "836亿元", "12.5%"}
    assert report.ruled == len(ruled) and not ruled & set(seen)
    assert "工业投资（亿元）" in seen and "数据来自乐山市统计局，2025年为预计数。" in seen  # words go to the model


def test_qa_reads_a_bare_figure_in_its_header_unit(translated):
    document, _, _ = translated
    findings = [f for f in check_document(document, None) if f.check == NUMBER]
    ruled = {s.id for s in document.segments if s.signature and s.signature.origin == Origin.RULE}
    assert not [f for f in findings if f.segment_id in ruled]


def test_rule_english_survives_the_segment_file_with_its_note_and_origin(translated, tmp_path):
    from leshan_pub.formats.segfile import write_segment_file

    document, _, _ = translated
    path = tmp_path / "leshan.zh-en.xlf"
    write_segment_file(path, document)
    text = path.read_text(encoding="utf-8")
    assert "origin:rule" in text and "rule: figures carried by rule" in text
    again = {s.source: s for s in read_segment_file(path).segments}
    assert again["836亿元"].signature.origin == Origin.RULE and again["836亿元"].state is ReviewState.MACHINE
