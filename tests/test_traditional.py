"""A traditional-Chinese article end to end: build, check and publish with the simplified glossary."""

from __future__ import annotations

import json
from pathlib import Path

import docx
import pdfplumber
import pymupdf
import pytest
from typer.testing import CliRunner

from helpers import DATA, GLOSSARY
from pubchecks import docx_term_success, pdf_findings
from leshan_pub.cli import app
from leshan_pub.glossary import load_glossary
from leshan_pub.quality.qa import term_success
from leshan_pub.script import Script
from leshan_pub.formats.segfile import read_segment_file, segment_file_for

runner = CliRunner()
ARTICLE = DATA / "leshan-vanadium.zh-hant.txt"
# The glossary's terms as the article writes them, by hand (not by the converter under test), with
# how often each occurs as a leftmost-longest match: the oracle for the external term check.
WRITTEN = {
    "樂山": ("乐山", 6), "全釩液流電池": ("全钒液流电池", 3), "全釩液流電池儲能": ("全钒液流电池储能", 2),
    "新型儲能": ("新型储能", 2), "產業集群": ("产业集群", 1), "鏈主企業": ("链主企业", 2), "電堆": ("电堆", 2),
    "雙極板": ("双极板", 2), "醫用同位素": ("医用同位素", 1), "核素": ("核素", 1), "放射性藥物": ("放射性药物", 1),
    "夾江": ("夹江", 1), "五通橋": ("五通桥", 1), "沐川": ("沐川", 1), "峨眉山": ("峨眉山", 1), "新質生產力": ("新质生产力", 1),
    "新賽道": ("新赛道", 1),  # a glossary entry since the sample's review (new growth sector)
}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, tiny_marian_dir: Path) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("traditional")
    source = folder / "leshan-vanadium.zh.txt"
    source.write_bytes(ARTICLE.read_bytes())
    out = folder / "published"
    result = runner.invoke(app, ["build", str(source), "--model", str(tiny_marian_dir), "--glossary", str(GLOSSARY),
                                 "--out", str(out), "--beams", "4"])
    assert result.exit_code == 0, result.output
    assert "script zh-Hant (" in result.output
    return source, out


def test_the_segment_file_records_the_traditional_script(built: tuple[Path, Path]) -> None:
    source, _ = built
    document = read_segment_file(segment_file_for(source))
    assert document.script is Script.HANT and document.source_language == "zh-TW"
    result = runner.invoke(app, ["status", str(source), "--glossary", str(GLOSSARY)])
    assert "script               zh-Hant (zh-TW)" in result.output


def test_every_term_of_the_simplified_glossary_is_found_and_enforced(built: tuple[Path, Path]) -> None:
    source, _ = built
    stats = term_success(read_segment_file(segment_file_for(source)), load_glossary(GLOSSARY))
    assert stats.hits == sum(count for _, count in WRITTEN.values())
    assert stats.rate == 1.0


def test_check_reports_full_term_success_not_zero_of_zero(built: tuple[Path, Path]) -> None:
    source, _ = built
    result = runner.invoke(app, ["check", str(source), "--glossary", str(GLOSSARY), "--json"])
    report = json.loads(result.stdout)
    terms = report["term_success"]
    assert terms["hits"] == sum(count for _, count in WRITTEN.values()) and terms["rate"] == 1.0


def test_the_pdf_is_set_in_noto_sans_tc_with_traditional_labels(built: tuple[Path, Path]) -> None:
    _, out = built
    with pymupdf.open(out / "leshan-vanadium.pdf") as pdf:
        names = {f[3] for page in pdf for f in page.get_fonts(full=True)}
        text = "".join(page.get_text() for page in pdf)
    assert any("NotoSansTC" in name for name in names), names
    assert "中英對照版" in text and "術語表" in text
    assert "中英对照版" not in text and "术语表" not in text
    assert "樂山" in text and "乐山" not in text  # the appendix lists terms as the article writes them


def test_every_character_of_the_article_is_drawn_in_noto_sans_tc(built: tuple[Path, Path]) -> None:
    """Noto Sans SC draws only what Noto Sans TC lacks: here the random test model's simplified English."""
    source, out = built
    article = set(source.read_text(encoding="utf-8"))
    with pdfplumber.open(out / "leshan-vanadium.pdf") as pdf:
        left = [c for page in pdf.pages for c in page.chars if c["x0"] < page.width / 2 and c["text"] in article]
    assert left and all("NotoSansTC" in c["fontname"] for c in left if not c["text"].isspace()), {
        c["text"]: c["fontname"] for c in left if "NotoSansTC" not in c["fontname"]}


def test_the_docx_names_noto_sans_tc_and_tags_the_chinese_zh_tw(built: tuple[Path, Path]) -> None:
    _, out = built
    word = docx.Document(str(out / "leshan-vanadium.docx"))
    body = word.element.body.xml
    assert 'w:eastAsia="Noto Sans TC"' in body and 'w:eastAsia="zh-TW"' in body
    assert any(p.text.startswith("術語表") for p in word.paragraphs)
    assert word.tables[0].rows[0].cells[0].text == "中文"


def test_independent_checks_see_every_character(built: tuple[Path, Path]) -> None:
    source, out = built
    findings = pdf_findings(out / "leshan-vanadium.pdf", source.read_text(encoding="utf-8"))
    assert findings.clean, findings


def test_independent_checks_find_every_term_as_whole_words(built: tuple[Path, Path]) -> None:
    _, out = built
    glossary = {t.source: t for t in load_glossary(GLOSSARY).terms}
    entries = [{"source": written, "target": glossary[simplified].target,
                "target_variants": list(glossary[simplified].target_variants)}
               for written, (simplified, _) in WRITTEN.items()]
    rendered, found, misses = docx_term_success(entries, out / "leshan-vanadium.docx")
    total = sum(count for _, count in WRITTEN.values())
    assert (rendered, found) == (total, total), misses


# --- a user's traditional font: the tool's own labels never stop a publish -----------------------------


def _noto_tc() -> Path:
    from leshan_pub.publish.fonts import find_cjk_font

    return find_cjk_font(script=Script.HANT)


@pytest.mark.parametrize(
    "script, text",
    [(Script.HANT, "樂山的電池。"), (Script.HANS, "山水之间。")],  # the second: shared characters only
    ids=["traditional-article", "simplified-article-in-shared-characters"],
)
def test_font_noto_sans_tc_publishes_with_labels_it_can_draw(tmp_path: Path, script: Script, text: str) -> None:
    from leshan_pub.document import Document, Provenance, ReviewState, Role, Segment
    from leshan_pub.publish import PublishOptions, publish

    document = Document("tc", [Segment("a", 0, Role.PARAGRAPH, text, "Leshan.", ReviewState.APPROVED)],
                        Provenance("0", "1"), source_language=script.language_tag, script=script)
    (path,) = publish(document, None, tmp_path, ("pdf",), PublishOptions(font=_noto_tc()))
    with pymupdf.open(path) as pdf:
        page_text = "".join(page.get_text() for page in pdf)
        names = {f[3] for page in pdf for f in page.get_fonts(full=True)}
    assert "中英對照版" in page_text and "中英对照版" not in page_text
    assert any("NotoSansTC" in n for n in names)
