"""End to end: `leshan-pub build` with a tiny local Marian model on articles the tests write."""

import collections
import unicodedata

import docx
import pymupdf
import pytest
from typer.testing import CliRunner

from helpers import DATA, GLOSSARY
from leshan_pub.cli import app
from leshan_pub.document import ReviewState
from leshan_pub.glossary import load_glossary
from leshan_pub.publish import UNTRANSLATED, block_text
from leshan_pub.quality.qa import term_success
from leshan_pub.formats.segfile import read_segment_file, segment_file_for

runner = CliRunner()

ARTICLE = """自贡彩灯：
千年盐都的新质生产力

2025年2月1日，自贡国际恐龙灯会开幕。链主企业带动上下游，首日接待游客超过12万人次。

一、新赛道 加速成势

全钒液流电池储能项目落地自贡，总投资36.3亿元；医用同位素研发同步推进。多晶硅企业也在扩产！

彩灯制作车间

来源：自贡日报
"""


def chars(text: str) -> collections.Counter:
    return collections.Counter(c for c in unicodedata.normalize("NFKC", text) if not c.isspace())


def build(source, model_dir, out_dir, *extra):
    result = runner.invoke(
        app,
        ["build", str(source), "--model", str(model_dir), "--glossary", str(GLOSSARY), "--out", str(out_dir), *extra],
    )
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture(scope="module")
def built(tmp_path_factory, tiny_marian_dir):
    folder = tmp_path_factory.mktemp("article")
    source = folder / "zigong.zh.txt"
    source.write_text(ARTICLE, encoding="utf-8")
    out = folder / "published"
    build(source, tiny_marian_dir, out, "--beams", "4")
    return source, out


def test_build_writes_docx_pdf_and_the_segment_file_beside_the_source(built):
    source, out = built
    assert sorted(p.name for p in out.iterdir()) == ["zigong.docx", "zigong.pdf"]
    doc = read_segment_file(segment_file_for(source))
    assert doc.segments and all(s.state is ReviewState.MACHINE and s.target for s in doc.segments)
    assert doc.provenance.model and doc.provenance.glossary_sha256 == load_glossary(GLOSSARY).sha256


def docx_rows(path):
    """(Chinese, English) of every table row after the column heads."""
    rows = [(row.cells[0].text, row.cells[-1].text) for t in docx.Document(path).tables for row in t.rows]
    assert rows and rows[0] == ("中文", "English")
    return rows[1:]


def assert_model_english_beside_each_block(docx_path, source):
    """Each row holds one block: its Chinese, and beside it the English the segment file holds for it.

    The "[not yet translated]" placeholder is not English: a row showing it fails.
    """
    document = read_segment_file(segment_file_for(source))
    expected = [block_text(block) for block in document.blocks()]
    rows = docx_rows(docx_path)
    assert rows == expected
    assert all(s.target.strip() for s in document.segments), "a segment has no English"
    assert all(en.strip() and UNTRANSLATED not in en for _, en in rows)


def test_every_source_sentence_is_in_the_chinese_column_with_english_beside_it(built):
    source, out = built
    assert_model_english_beside_each_block(out / "zigong.docx", source)


def test_pdf_embeds_every_font_and_shows_every_source_character(built):
    source, out = built
    pdf = pymupdf.open(out / "zigong.pdf")
    for page in pdf:
        for xref, ext, *_ in page.get_fonts(full=True):
            assert ext != "n/a" and pdf.extract_font(xref)[3], "font not embedded"
    text = "".join(page.get_text() for page in pdf)
    assert not chars(source.read_text(encoding="utf-8")) - chars(text)


def test_machine_translation_renders_every_glossary_term(built):
    source, _ = built
    stats = term_success(read_segment_file(segment_file_for(source)), load_glossary(GLOSSARY))
    assert stats.hits >= 5 and stats.rate == 1.0


def test_a_second_build_keeps_the_translation_and_out_moves_only_published_files(built, tmp_path):
    source, _ = built
    before = segment_file_for(source).read_bytes()
    result = build(source, tmp_path / "no-such-model", tmp_path / "elsewhere")
    assert "translated 0 segments" in result.stdout
    assert segment_file_for(source).read_bytes() == before
    assert sorted(p.name for p in (tmp_path / "elsewhere").iterdir()) == ["zigong.docx", "zigong.pdf"]


def test_unseen_hand_written_article_builds_with_no_empty_english_row(tiny_marian_dir, tmp_path):
    source = tmp_path / "zigong-lantern.zh.txt"
    source.write_bytes((DATA / "zigong-lantern.zh.txt").read_bytes())
    build(source, tiny_marian_dir, tmp_path / "out", "--beams", "1")
    assert_model_english_beside_each_block(tmp_path / "out" / "zigong-lantern.docx", source)


def test_missing_model_is_one_actionable_line_and_keeps_the_segment_file(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    source = tmp_path / "a.zh.txt"
    source.write_text("标题\n\n第一句。\n", encoding="utf-8")
    result = runner.invoke(app, ["build", str(source), "--model", "nobody/no-such-model", "--out", str(tmp_path / "o")])
    assert result.exit_code == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("leshan-pub: error")]
    assert len(errors) == 1 and "no-such-model" in errors[0] and "download" in errors[0]
    assert "Traceback" not in result.stderr
    assert segment_file_for(source).exists() and not (tmp_path / "o").exists()
