"""The DOCX writer read back with python-docx, and publish(): registry, all-or-nothing writes, names."""

from __future__ import annotations

import collections
import subprocess
import sys
import unicodedata
from pathlib import Path

import docx
import pymupdf
import pytest
from docx.oxml.ns import qn

from pubchecks import docx_lost_source, docx_term_success
from leshan_pub.document import Document, Provenance, ReviewState, Role, Segment
from leshan_pub.errors import PublishError
from leshan_pub.glossary import Glossary, Term
from leshan_pub.provenance import Origin, Signature, machine_signature, parse_signature
from leshan_pub.publish import FORMATS, PublishOptions, format_names, publish

GLOSSARY = Glossary([Term("医用同位素", "medical isotope"), Term("核素", "nuclide", ("nuclides",)), Term("产业园", "industrial park")])
PROVENANCE = Provenance(tool_version="0.1.0", segmenter_version="1", model="Helsinki-NLP/opus-mt-zh-en", glossary_sha256=GLOSSARY.sha256)

# (block, role, Chinese, English, state): tiny pairs with the hard cases.
ROWS = [
    (0, Role.TITLE, "乐山医用同位素产业园：２０２５年", "Leshan Medical Isotope Industrial Park: 2025", ReviewState.APPROVED),
    (1, Role.CAPTION, "图１　¹⁷⁷Lu生产线", "Figure 1. The ¹⁷⁷Lu line", ReviewState.APPROVED),
    (2, Role.HEADING, "一、核素", "1. Nuclides", ReviewState.APPROVED),
    (3, Role.PARAGRAPH, "⁹⁰Y核素的产能达到５００居里。", "Capacity for the nuclide ⁹⁰Y reached 500 curies.", ReviewState.APPROVED),
    (3, Role.PARAGRAPH, "专家说：“这是‘乐山速度’。”", "An expert said: “This is ‘Leshan speed’.”", ReviewState.MACHINE),
    (4, Role.PARAGRAPH, "（一）建设医用同位素生产线；", "(1) Build medical isotope lines;", ReviewState.REVIEWED),
    (5, Role.CREDIT, "（记者 王晓）", "", ReviewState.NEW),
]


# How the English was made: the model's rows from a hub model at a known commit, the rest by a person.
COMMIT = "0123456789abcdef0123456789abcdef01234567"
SETTINGS = {"beams": "4", "maxlen": "auto", "enf": "1"}


def made_by(state: ReviewState, english: str) -> Signature | None:
    if state is ReviewState.MACHINE:
        model = "Helsinki-NLP/opus-mt-zh-en"
        return machine_signature(Origin.MT, "transformers", model, COMMIT, SETTINGS, GLOSSARY.sha256, english, "0.1.0")
    return Signature(Origin.PERSON, version="0.1.0") if english else None


def document(name: str = "isotopes", approved: bool = False) -> Document:
    segments = [
        Segment(f"p{b}s{i}", b, role, zh, en, ReviewState.APPROVED if approved else state, signature=made_by(state, en))
        for i, (b, role, zh, en, state) in enumerate(ROWS)
    ]
    return Document(name, segments, PROVENANCE)


@pytest.fixture()
def draft(tmp_path: Path) -> docx.document.Document:
    (path,) = publish(document(), GLOSSARY, tmp_path, ("docx",))
    return docx.Document(str(path))


def cell_texts(word: docx.document.Document) -> list[tuple[str, str]]:
    return [(row.cells[0].text, row.cells[1].text) for row in word.tables[0].rows]


def test_one_row_per_block_after_the_header_row(draft: docx.document.Document) -> None:
    assert len(draft.tables) == 1
    assert cell_texts(draft) == [
        ("中文", "English"),
        ("乐山医用同位素产业园：２０２５年", "Leshan Medical Isotope Industrial Park: 2025"),
        ("图１　¹⁷⁷Lu生产线", "Figure 1. The ¹⁷⁷Lu line"),
        ("一、核素", "1. Nuclides"),
        ("⁹⁰Y核素的产能达到５００居里。专家说：“这是‘乐山速度’。”", "Capacity for the nuclide ⁹⁰Y reached 500 curies. An expert said: “This is ‘Leshan speed’.”"),
        ("（一）建设医用同位素生产线；", "(1) Build medical isotope lines;"),
        ("（记者 王晓）", "[not yet translated]"),
    ]


def test_header_row_repeats_and_no_row_splits(draft: docx.document.Document) -> None:
    rows = draft.tables[0].rows
    assert rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None
    assert all(row._tr.trPr.find(qn("w:cantSplit")) is not None for row in rows)


def test_chinese_runs_name_the_east_asian_font(draft: docx.document.Document) -> None:
    for row in draft.tables[0].rows[1:]:
        for run in row.cells[0].paragraphs[0].runs:
            fonts = run._element.rPr.find(qn("w:rFonts"))
            assert fonts.get(qn("w:eastAsia")) == "Noto Sans SC"
            assert fonts.get(qn("w:hint")) == "eastAsia"
        english = row.cells[1].paragraphs[0].runs[0]
        assert english.font.name is None  # the style's Latin font: restyle once in Word
    assert draft.styles["Normal"].font.name == "Arial"
    assert draft.styles["Normal"].element.rPr.find(qn("w:rFonts")).get(qn("w:eastAsia")) == "Noto Sans SC"


def test_styles_follow_roles(draft: docx.document.Document) -> None:
    styles = [(row.cells[0].paragraphs[0].style.name, row.cells[1].paragraphs[0].style.name) for row in draft.tables[0].rows]
    assert [s[0] for s in styles] == ["Column Heading", "Title", "Caption", "Heading 1", "Normal", "Normal", "Credit"]
    assert all(zh == en for zh, en in styles)
    caption = draft.tables[0].rows[2]
    assert caption.cells[1].paragraphs[0].style.font.italic is True
    assert caption.cells[0].paragraphs[0].runs[0].font.italic is False  # Chinese has no italic


def test_core_properties_carry_title_and_provenance(draft: docx.document.Document) -> None:
    core = draft.core_properties
    assert core.title == "乐山医用同位素产业园：２０２５年 — Leshan Medical Isotope Industrial Park: 2025"
    assert "bilingual" in core.subject
    assert core.keywords == "medical isotope; industrial park; nuclide"  # order of first use
    assert len(core.comments) <= 255  # what a core property holds: the revision is cut to 12 digits
    assert core.comments.startswith("leshan-pub 0.1.0; signature engine:transformers|")
    signature = parse_signature(core.comments.split("; ")[1].removeprefix("signature "))
    assert (signature.model, signature.revision) == ("Helsinki-NLP/opus-mt-zh-en", COMMIT[:12])
    assert signature.origin == "mt=1+person=5" and signature.glossary == GLOSSARY.sha256[:12]
    assert f"glossary {GLOSSARY.sha256[:12]}" in core.comments and "draft, 3 of 7 segments await review" in core.comments
    assert core.content_status == "Draft"


def test_draft_header_and_page_number_footer(draft: docx.document.Document) -> None:
    section = draft.sections[0]
    assert section.header.paragraphs[0].text == "DRAFT — 3 segments await review"
    instructions = [f.get(qn("w:instr")) for f in section.footer._element.iter(qn("w:fldSimple"))]
    assert instructions == ["PAGE", "NUMPAGES"]


def test_approved_document_has_no_draft_notice(tmp_path: Path) -> None:
    (path,) = publish(document(approved=True), GLOSSARY, tmp_path, ("docx",), PublishOptions(final=True))
    word = docx.Document(str(path))
    assert "DRAFT" not in word.sections[0].header.paragraphs[0].text
    assert word.core_properties.content_status == "Final"


def test_glossary_appendix_lists_the_terms_used(draft: docx.document.Document) -> None:
    paragraphs = [p.text for p in draft.paragraphs if p.text]
    assert paragraphs[0] == "术语表  Glossary"
    assert paragraphs[1:] == ["医用同位素\tmedical isotope", "产业园\tindustrial park", "核素\tnuclide"]


@pytest.mark.parametrize(("size", "mm"), [("A4", (210, 297)), ("Letter", (215.9, 279.4))])
def test_page_size(tmp_path: Path, size: str, mm: tuple[float, float]) -> None:
    (path,) = publish(document(), GLOSSARY, tmp_path, ("docx",), PublishOptions(page_size=size))
    section = docx.Document(str(path)).sections[0]
    assert (round(section.page_width.mm, 1), round(section.page_height.mm, 1)) == mm


def test_every_source_character_reaches_the_left_column(draft: docx.document.Document) -> None:
    def norm(text: str) -> collections.Counter[str]:
        return collections.Counter(c for c in unicodedata.normalize("NFKC", text) if not c.isspace())

    left = "".join(zh for zh, _ in cell_texts(draft))
    assert not norm("".join(r[2] for r in ROWS)) - norm(left)


def test_independent_checks_find_every_source_character_and_every_term(tmp_path: Path) -> None:
    (path,) = publish(document(), GLOSSARY, tmp_path / "out", ("docx",))
    assert docx_lost_source(path, "\n\n".join(r[2] for r in ROWS)) == ("", 0)
    rendered, found, misses = docx_term_success(GLOSSARY.as_records(), path)
    assert found and rendered == found, misses


# --- publish(): the registry and the all-or-nothing write -------------------------------------------


def test_registry_names_the_formats() -> None:
    assert format_names() == ("docx", "pdf") == tuple(FORMATS)


def test_unknown_format_lists_the_valid_ones(tmp_path: Path) -> None:
    with pytest.raises(PublishError, match=r"unknown output format 'odt'; choose from docx, pdf"):
        publish(document(), None, tmp_path, ("docx", "odt"))
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("name", ["../escape", "a/b", "..", "", ".hidden", "c:\\x"])
def test_names_that_would_leave_the_folder_are_refused(tmp_path: Path, name: str) -> None:
    with pytest.raises(PublishError, match="not a plain file name"):
        publish(document(name), None, tmp_path / "out", ("docx",))
    assert not (tmp_path / "escape.docx").exists()


@pytest.mark.parametrize(("field", "value"), [("page_size", "A5"), ("layout", "stacked")])
def test_unknown_options_are_refused(tmp_path: Path, field: str, value: str) -> None:
    with pytest.raises(PublishError, match="choose from"):
        publish(document(), None, tmp_path, ("docx",), PublishOptions(**{field: value}))


def test_failed_format_leaves_earlier_outputs_untouched(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (good,) = publish(document(), GLOSSARY, tmp_path, ("docx",))
    before = good.read_bytes()

    def broken(*_args: object) -> None:
        raise PublishError("typesetting failed")

    import leshan_pub.publish.pdf as pdf_writer

    monkeypatch.setattr(pdf_writer, "write_pdf", broken)
    edited = document()
    edited.segments[0].target = "A different title"
    with pytest.raises(PublishError, match="typesetting failed"):
        publish(edited, GLOSSARY, tmp_path, ("docx", "pdf"))
    assert good.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["isotopes.docx"], "no temporary files left"


def test_files_are_created_with_ordinary_permissions(tmp_path: Path) -> None:
    (path,) = publish(document(), None, tmp_path, ("docx",))
    assert path.stat().st_mode & 0o044 == 0o044  # readable by others, like any file the user saves


def test_importing_publish_loads_neither_docx_nor_reportlab() -> None:
    code = "import sys, leshan_pub.publish; print(sorted(m for m in ('docx', 'reportlab', 'fontTools') if m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_a_second_title_block_is_set_as_the_subtitle(tmp_path: Path) -> None:
    segments = [
        Segment("t0", 0, Role.TITLE, "乐山绿色硅谷建设提速", "Leshan speeds up its green silicon valley", ReviewState.APPROVED),
        Segment("t1", 1, Role.TITLE, "——记乐山市多晶硅产业链", "— on Leshan's polysilicon chain", ReviewState.APPROVED),
        Segment("p0", 2, Role.PARAGRAPH, "多晶硅产量增长。", "Polysilicon output grew.", ReviewState.APPROVED),
    ]
    for layout in ("side-by-side", "interleaved"):
        (path,) = publish(Document("silicon", segments, PROVENANCE), GLOSSARY, tmp_path, ("docx",), PublishOptions(layout=layout))
        word = docx.Document(str(path))
        styles = {p.text: p.style.name for p in word.paragraphs}
        if word.tables:
            styles |= {c.paragraphs[0].text: c.paragraphs[0].style.name for row in word.tables[0].rows for c in row.cells}
        assert styles["乐山绿色硅谷建设提速"] == "Title" and styles["——记乐山市多晶硅产业链"] == "Subtitle", layout
        assert styles["— on Leshan's polysilicon chain"] == "Subtitle", layout


def test_a_subtitle_stays_under_its_title_in_a_pack_and_out_of_its_running_title(tmp_path: Path) -> None:
    from leshan_pub.document import Pack
    from leshan_pub.publish import publish_pack

    segments = [
        Segment("t0", 0, Role.TITLE, "乐山绿色硅谷建设提速", "Leshan speeds up its green silicon valley", ReviewState.APPROVED),
        Segment("t1", 1, Role.TITLE, "——记乐山市多晶硅产业链", "— on Leshan's polysilicon chain", ReviewState.APPROVED),
        Segment("p0", 2, Role.PARAGRAPH, "多晶硅产量增长。", "Polysilicon output grew.", ReviewState.APPROVED),
    ]
    article = Document("silicon", segments, PROVENANCE)
    assert (article.title, article.english_title) == ("乐山绿色硅谷建设提速", "Leshan speeds up its green silicon valley")
    paths = publish_pack(Pack("投资者手册", [article]), GLOSSARY, tmp_path / "pack", ("docx", "pdf"))
    word = docx.Document(str(next(p for p in paths if p.suffix == ".docx")))
    cells = {c.paragraphs[0].text: c.paragraphs[0].style.name for t in word.tables for row in t.rows for c in row.cells}
    assert cells["——记乐山市多晶硅产业链"] == "Subtitle" and cells["— on Leshan's polysilicon chain"] == "Subtitle"
    headings = [p.text for p in word.paragraphs if p.style.name == "Heading 1"]
    assert any(h.startswith("乐山绿色硅谷建设提速") and "——" not in h for h in headings)
    with pymupdf.open(next(p for p in paths if p.suffix == ".pdf")) as pdf:
        text = "".join(page.get_text() for page in pdf)
    assert "——记乐山市多晶硅产业链" in text  # the subtitle is set under the title
