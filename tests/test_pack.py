"""Investor packs: the sample plus a Word and a Markdown article, bound into one PDF and DOCX and read back."""

from __future__ import annotations

import re
import shutil
import unicodedata

import docx
import pymupdf
import pytest
from docx.oxml.ns import qn
from typer.testing import CliRunner

from articles import MARKDOWN_ARTICLE, write_docx_article
from helpers import GLOSSARY, SAMPLE, SAMPLE_SEGFILE
from leshan_pub.cli import app
from leshan_pub.document import IMAGE_PLACEHOLDER
from leshan_pub.engines import EngineOptions, load_engine
from leshan_pub.errors import InputError
from leshan_pub.glossary import load_glossary
from leshan_pub.pack import PackSpec, load_pack_spec, read_pack
from leshan_pub.pipeline import segment_source, translate_file
from leshan_pub.publish import terms_used
from leshan_pub.formats.segfile import read_segment_file

runner = CliRunner()
TITLE, SUBTITLE = "四川产业投资者资料", "Sichuan industry investor pack, Q4 2026"
ORGANISATION, DATE = "乐山市投资促进局", "2026-12-01"
COVER = ["--title", TITLE, "--subtitle", SUBTITLE, "--organisation", ORGANISATION, "--date", DATE]


def squeeze(text: str) -> str:
    """Text without white space, NFKC-folded: PDF text layers write shifted digits (¹⁷⁷) as plain ones."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


@pytest.fixture(scope="module")
def articles(tmp_path_factory, tiny_marian_dir):
    """Three articles with their segment files: the sample (approved) and two machine-translated ones."""
    folder = tmp_path_factory.mktemp("pack")
    sample = folder / SAMPLE.name
    shutil.copyfile(SAMPLE, sample)
    shutil.copyfile(SAMPLE_SEGFILE, folder / SAMPLE_SEGFILE.name)
    word = write_docx_article(folder / "yibin.zh.docx")
    markdown = folder / "luzhou.md"
    markdown.write_text(MARKDOWN_ARTICLE, encoding="utf-8")
    # The project glossary (every term of which the sample uses) and a term of each new article's own.
    terms = folder / "pack-glossary.tsv"
    terms.write_text(GLOSSARY.read_text(encoding="utf-8") + "宜宾\tYibin\t\t\t\n白酒\tbaijiu\t\t\t\n", encoding="utf-8")
    glossary = load_glossary(terms)
    options = EngineOptions(model=str(tiny_marian_dir), num_beams=1, max_new_tokens=60, progress=False)
    engine = load_engine("transformers", options)
    for source in (word, markdown):
        segment_source(source, glossary)
        translate_file(source, glossary, lambda: engine)
    return folder, [sample, word, markdown]


def pack(*args: str) -> None:
    result = runner.invoke(app, ["pack", *args])
    assert result.exit_code == 0, result.output


@pytest.fixture(scope="module")
def built(articles):
    folder, sources = articles
    out = folder / "out" / "investors.pdf"
    pack(*map(str, sources), *COVER, "--out", str(out), "--glossary", str(folder / "pack-glossary.tsv"))
    documents = [read_segment_file(s.with_name(s.name.split(".")[0] + ".zh-en.xlf")) for s in sources]
    return out, documents, load_glossary(folder / "pack-glossary.tsv")


def page_texts(path) -> list[str]:
    with pymupdf.open(path) as pdf:
        return [page.get_text() for page in pdf]


def contents_numbers(path) -> list[tuple[str, int]]:
    """(first words of each contents entry, the page number printed on its line), read from page 2."""
    with pymupdf.open(path) as pdf:
        page = pdf[1]
        right = page.rect.width * 0.85
        lines = [(s["bbox"], s["text"].strip()) for b in page.get_text("dict")["blocks"]
                 for line in b.get("lines", []) for s in line["spans"] if s["text"].strip()]
    numbers = [(box, int(text)) for box, text in lines if text.isdigit() and box[0] > right]
    entries = []
    for box, number in numbers:
        beside = [text for b, text in lines if abs(b[3] - box[3]) < 3 and b[0] < right / 2]
        entries.append(("".join(beside), number))
    return entries


def test_cover_has_title_subtitle_organisation_and_date(built):
    out, *_ = built
    cover = page_texts(out)[0]
    for line in (TITLE, SUBTITLE, ORGANISATION, DATE):
        assert line in cover


def test_contents_page_numbers_are_where_each_article_begins(built):
    out, documents, glossary = built
    pages = [squeeze(t) for t in page_texts(out)]
    entries = contents_numbers(out)
    expected = [d.title for d in documents] + ["术语表"]
    assert len(entries) == len(expected)
    for (entry, number), title in zip(entries, expected):
        assert squeeze(title).startswith(squeeze(entry)), (entry, title)
        # the title is first printed (after the contents page) on the page the contents name
        found = [i + 1 for i, text in enumerate(pages) if squeeze(title) in text and i > 1]
        assert found and found[0] == number, (title, number, found)
    numbers = [n for _, n in entries]
    assert numbers == sorted(numbers) and numbers[0] == 3


def test_pdf_outline_nests_headings_under_their_articles(built):
    out, documents, glossary = built
    with pymupdf.open(out) as pdf:
        toc = pdf.get_toc()
    top = [title for level, title, _ in toc if level == 1]
    assert [t.split("  ")[0] for t in top[2:5]] == [d.title for d in documents]
    assert any(level == 2 and title.startswith("一、产业链加速成势") for level, title, _ in toc)


def column_texts(path, first: int, last: int) -> tuple[str, str]:
    """The left (Chinese) and right (English) columns of pages first..last, without header and footer."""
    mm = 72 / 25.4
    left, right = [], []
    with pymupdf.open(path) as pdf:
        for page in pdf.pages(first - 1, last):
            width, height = page.rect.width, page.rect.height
            left.append(page.get_text(clip=pymupdf.Rect(0, 24 * mm, width / 2, height - 22 * mm)))
            right.append(page.get_text(clip=pymupdf.Rect(width / 2, 24 * mm, width, height - 22 * mm)))
    return squeeze("".join(left)), squeeze("".join(right))


def test_every_articles_rows_are_in_the_pack_between_its_start_and_the_next(built):
    out, documents, glossary = built
    starts = [n for _, n in contents_numbers(out)]
    for document, start, end in zip(documents, starts, starts[1:]):
        chinese, english = column_texts(out, start, end - 1)
        for block in document.blocks():
            if block[0].source == IMAGE_PLACEHOLDER:
                continue  # the picture itself is drawn in its place
            assert squeeze("".join(s.source for s in block)) in chinese, block[0].source
            assert squeeze(" ".join(s.target for s in block if s.target)) in english, block[0].target


def test_glossary_appendix_merges_the_terms_of_every_article_once(built):
    out, documents, glossary = built
    merged = terms_used(documents, glossary)
    per_article = [{t.source for t in terms_used(d, glossary)} for d in documents]
    assert set().union(*per_article) == {t.source for t in merged}
    assert per_article[1] - per_article[0] == {"宜宾"} and per_article[2] - per_article[0] == {"白酒"}
    assert per_article[1] & per_article[2]  # shared terms, listed once
    start = contents_numbers(out)[-1][1]
    appendix = "".join(page_texts(out)[start - 1 :])
    flowing = " ".join(appendix.split())  # a long official name wraps onto a second line
    for term in merged:
        assert f" {term.target} " in f" {flowing} ", term.target
        assert len(re.findall(rf"^{re.escape(term.source)}$", appendix, re.M)) == 1, term.source


def test_one_unapproved_segment_marks_every_page_of_the_pack(built):
    out, documents, glossary = built
    pending = sum(len(d.unapproved()) for d in documents)
    assert pending and not documents[0].unapproved()
    for text in page_texts(out):
        assert f"DRAFT — {pending} segments await review" in text


def test_final_refuses_a_pack_with_unapproved_articles_and_writes_nothing(articles):
    folder, sources = articles
    out = folder / "final" / "pack.pdf"
    result = runner.invoke(app, ["pack", *map(str, sources), "--title", TITLE, "--final", "--out", str(out),
                                 "--glossary", str(folder / "pack-glossary.tsv")])
    assert result.exit_code == 1
    assert "--final:" in result.stderr and "yibin (" in result.stderr and "luzhou (" in result.stderr
    assert result.stderr.count("\n") == 1 and not out.parent.exists()


def test_an_approved_pack_builds_final_without_draft_marks(articles):
    folder, sources = articles
    out = folder / "final-sample" / "pack.pdf"
    pack(str(sources[0]), "--title", TITLE, "--final", "--out", str(out), "--format", "pdf",
         "--glossary", str(folder / "pack-glossary.tsv"))
    assert not any("DRAFT" in text for text in page_texts(out))


def test_docx_pack_has_cover_contents_field_articles_and_glossary(built):
    out, documents, glossary = built
    word = docx.Document(str(out.with_suffix(".docx")))
    texts = [p.text for p in word.paragraphs]
    for line in (TITLE, SUBTITLE, ORGANISATION, DATE):
        assert line in texts
    instructions = [e.text for e in word.element.body.iter(qn("w:instrText"))]
    assert instructions == [' TOC \\o "1-1" \\h \\z \\u ']
    assert word.settings.element.find(qn("w:updateFields")) is not None
    headings = [p.text for p in word.paragraphs if p.style.name == "Heading 1"]
    assert [h.split("\n")[0] for h in headings] == [d.title for d in documents] + ["术语表  Glossary"]
    assert len(word.tables) == 3
    for table, document in zip(word.tables, documents):
        # An article's own table is nested in one row, and a picture has a row: their left cells hold no text.
        rows = [row.cells[0].text for row in table.rows][1:]
        kept = [b for b in document.blocks() if b[0].role.value not in ("title", "table-cell")]
        assert [r for r in rows if r] == ["".join(s.source for s in b) for b in kept if b[0].source != IMAGE_PLACEHOLDER]
        nested = [t for row in table.rows for t in row.cells[0].tables]
        cells = [b[0].source for b in document.blocks() if b[0].role.value == "table-cell"]
        assert [c.text for t in nested for row in t.rows for c in row.cells] == cells
    entries = [p.text.split("\t")[0] for p in word.paragraphs if p.style.name == "Glossary Entry"]
    assert entries == [t.source for t in terms_used(documents, glossary)]


def test_pack_file_rebuilds_the_same_pdf(articles, built):
    folder, sources = articles
    out, *_ = built
    (folder / "pack.toml").write_text(
        "[pack]\n"
        f'title = "{TITLE}"\nsubtitle = "{SUBTITLE}"\norganisation = "{ORGANISATION}"\ndate = {DATE}\n'
        f"articles = [{', '.join(repr(s.name) for s in sources)}]\n"
        'out = "again/investors.pdf"\nformats = ["pdf"]\nglossary = "pack-glossary.tsv"\n',
        encoding="utf-8",
    )
    pack("--from", str(folder / "pack.toml"))
    assert (folder / "again" / "investors.pdf").read_bytes() == out.read_bytes()  # reportlab invariant mode


def test_interleaved_pack(articles):
    folder, sources = articles
    out = folder / "interleaved" / "pack.pdf"
    pack(*map(str, sources[1:]), "--title", TITLE, "--layout", "interleaved", "--out", str(out))
    word = docx.Document(str(out.with_suffix(".docx")))
    # No side-by-side table: the only tables are the articles' own, each cell Chinese then English.
    assert word.tables and not any("English" in c.text for t in word.tables for c in t.rows[0].cells)
    pages = [squeeze(t) for t in page_texts(out)]
    for entry, number in contents_numbers(out):
        assert squeeze(entry)[:8] in pages[number - 1]


def test_pack_table_in_the_project_settings_file(articles):
    folder, sources = articles
    settings = folder / "leshan-pub.toml"
    settings.write_text(
        '[model]\nname = "Helsinki-NLP/opus-mt-zh-en"\n\n[pack]\ntitle = "季度资料"\n'
        f'articles = ["{sources[0].name}", "{sources[2].name}"]\n',
        encoding="utf-8",
    )
    spec = load_pack_spec(settings)
    assert spec.title == "季度资料" and spec.articles == (sources[0], sources[2])
    assert [d.name for d in read_pack(spec).documents] == ["leshan-2024", "luzhou"]


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ('[model]\nname = "x"\n', r"has no \[pack\] table"),
        ('[pack]\ntitle = "t"\narticles = ["a.zh.txt"]\nsubtitel = "typo"\n', r"unknown key\(s\) subtitel; known keys are title"),
        ('[pack]\ntitle = "t"\narticles = "a.zh.txt"\n', r"articles must be a list"),
        ('[pack\ntitle = "t"\n', r"not valid TOML"),
    ],
)
def test_bad_pack_files_say_what_to_fix(tmp_path, toml, message):
    path = tmp_path / "pack.toml"
    path.write_text(toml, encoding="utf-8")
    result = runner.invoke(app, ["pack", "--from", str(path)])
    assert result.exit_code == 1 and result.stderr.count("\n") == 1
    assert re.search(message, result.stderr), result.stderr


def test_an_article_without_a_segment_file_is_named(tmp_path):
    article = tmp_path / "new.zh.txt"
    article.write_text("乐山新闻。", encoding="utf-8")
    with pytest.raises(InputError, match=r"new\.zh\.txt: no segment file .*run `leshan-pub build"):
        read_pack(PackSpec(title="t", articles=(article,)))
    with pytest.raises(InputError, match="needs a title"):
        read_pack(PackSpec(articles=(article,)))
