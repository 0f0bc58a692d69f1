"""The glossary appendix: alphabetical by pinyin or by the English, or in first-use order, and says which."""

from __future__ import annotations

from pathlib import Path

import docx
import pymupdf
import pytest
from typer.testing import CliRunner

from leshan_pub.cli import app
from leshan_pub.document import Document, Provenance, ReviewState, Role, Segment
from leshan_pub.errors import PublishError
from leshan_pub.formats.segfile import write_segment_file
from leshan_pub.glossary import Glossary, Term
from leshan_pub.publish import PublishOptions, glossary_terms, publish

GLOSSARY = Glossary([
    Term("乐山", "Leshan"), Term("新质生产力", "new quality productive forces"), Term("核技术应用", "nuclear technology application"),
    Term("产业园", "industrial park"), Term("晶硅光伏", "crystalline silicon photovoltaics"), Term("链主企业", "chain-leader enterprise"),
    Term("峨眉山", "Mount Emei"), Term("LED照明", "LED lighting"),
])
TEXT = "链主企业带动产业园发展，乐山培育新质生产力，峨眉山与晶硅光伏、核技术应用和LED照明并进。"
# By the pinyin with tones, syllable by syllable: chǎn < é < hé < jīng < lè < LED < liàn < xīn.
PINYIN = ["产业园", "峨眉山", "核技术应用", "晶硅光伏", "乐山", "LED照明", "链主企业", "新质生产力"]
ENGLISH = ["chain-leader enterprise", "crystalline silicon photovoltaics", "industrial park", "LED lighting",
           "Leshan", "Mount Emei", "new quality productive forces", "nuclear technology application"]
FIRST_USE = ["链主企业", "产业园", "乐山", "新质生产力", "峨眉山", "晶硅光伏", "核技术应用", "LED照明"]


def article() -> Document:
    segment = Segment("s1", 0, Role.PARAGRAPH, TEXT, "Leshan grows.", ReviewState.MACHINE)
    return Document("order", [segment], Provenance("0.1.0", "1"))


@pytest.mark.parametrize(("order", "expected"), [
    ("pinyin", PINYIN), ("english", [next(t.source for t in GLOSSARY.terms if t.target == e) for e in ENGLISH]),
    ("first-use", FIRST_USE),
])
def test_glossary_terms_in_each_order(order: str, expected: list[str]) -> None:
    assert [t.source for t in glossary_terms(article(), GLOSSARY, order)] == expected


def test_an_unknown_order_is_refused_with_the_choices(tmp_path: Path) -> None:
    with pytest.raises(PublishError, match="glossary order 'random' is not known; choose from pinyin, english, first-use"):
        publish(article(), GLOSSARY, tmp_path, ("pdf",), PublishOptions(glossary_order="random"))
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize(("order", "note"), [
    ("pinyin", "Sorted by the pinyin of the Chinese term"), ("english", "Sorted alphabetically by the English term"),
    ("first-use", "In order of first use in the text"),
])
def test_both_outputs_name_the_order_above_the_list(tmp_path: Path, order: str, note: str) -> None:
    docx_path, pdf_path = publish(article(), GLOSSARY, tmp_path, ("docx", "pdf"), PublishOptions(glossary_order=order))
    expected = [t.source for t in glossary_terms(article(), GLOSSARY, order)]
    word = docx.Document(str(docx_path))
    entries = [p.text.split("\t")[0] for p in word.paragraphs if p.style.name == "Glossary Entry"]
    assert entries == expected
    assert any(note in p.text for p in word.paragraphs)
    with pymupdf.open(pdf_path) as pdf:
        text = "".join(page.get_text() for page in pdf)
    appendix = text[text.index("术语表"):]
    assert " ".join(appendix.split()).count(note) == 1
    positions = [appendix.index(term) for term in expected]
    assert positions == sorted(positions), "the PDF lists the terms in the order named"


def test_the_cli_and_the_project_file_choose_the_order(tmp_path: Path) -> None:
    (tmp_path / "leshan-pub.toml").write_text('[glossary]\nfiles = ["g.tsv"]\n\n[publish]\nglossary_order = "english"\n', encoding="utf-8")
    (tmp_path / "g.tsv").write_text("source\ttarget\n" + "".join(f"{t.source}\t{t.target}\n" for t in GLOSSARY.terms), encoding="utf-8")
    segfile = tmp_path / "order.zh-en.xlf"
    write_segment_file(segfile, article())
    runner = CliRunner()

    def listed(*options: str) -> list[str]:
        result = runner.invoke(app, ["publish", str(segfile), "-f", "docx", "-o", str(tmp_path / "out"), *options])
        assert result.exit_code == 0, result.output
        word = docx.Document(str(tmp_path / "out" / "order.docx"))
        return [p.text.split("\t")[1] for p in word.paragraphs if p.style.name == "Glossary Entry"]

    assert listed() == ENGLISH  # the project file's setting
    assert [t for t in listed("--glossary-order", "first-use")] == [
        next(t.target for t in GLOSSARY.terms if t.source == s) for s in FIRST_USE
    ]
    result = runner.invoke(app, ["publish", str(segfile), "--glossary-order", "random"])
    assert result.exit_code != 0 and "random" in result.output
