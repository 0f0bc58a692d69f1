"""Properties over generated articles and documents (hypothesis): nothing lost, duplicated or reordered.

White space, where a property is "modulo white space", means the characters str.isspace() accepts:
the structure stage strips each line and may join broken lines with a space, and the segmenter
strips each sentence, so only those characters may come or go between the source and its segments.
"""

from __future__ import annotations

import collections
import csv
import io
import tempfile
import unicodedata
from dataclasses import replace
from pathlib import Path

import docx
import pymupdf
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leshan_pub import __version__
from leshan_pub.approval import qa_errors
from leshan_pub.document import Document, Provenance, ReviewState, Role, Segment
from leshan_pub.errors import InputError
from leshan_pub.formats.csvfile import CSV_COLUMNS
from leshan_pub.formats.exchange import ExportFormat, export_document
from leshan_pub.review import import_file
from leshan_pub.provenance import person
from leshan_pub.publish import UNTRANSLATED, publish
from leshan_pub.read import common_characters, decode_article
from leshan_pub.formats.segfile import parse_xliff, read_segment_file, render_xliff, write_segment_file
from leshan_pub.segment import segment_blocks
from leshan_pub.structure import parse_structure

# Example counts are kept modest so that the whole file runs in well under 30 seconds.
FAST = settings(max_examples=200, deadline=None)
MEDIUM = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SLOW = settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])

HANZI = "".join(sorted(common_characters()))
FULL_WIDTH_DIGITS = "０１２３４５６７８９"
PUNCTUATION = "，、：；。！？…“”‘’（）《》—·"
ASCII = "abcXYZ0123456789 .,-%"


def _pieces() -> st.SearchStrategy[str]:
    return st.one_of(
        st.text(HANZI, min_size=1, max_size=12),
        st.text(FULL_WIDTH_DIGITS + ASCII, min_size=1, max_size=6),
        st.sampled_from([*PUNCTUATION, "……", "。”", "！”", "？）", "；", "\u3000", "\t", "  "]),
    )


def _line() -> st.SearchStrategy[str]:
    # Short lines (titles, captions, headings), long ones (paragraphs) and blank ones.
    return st.one_of(
        st.just(""),
        st.lists(_pieces(), min_size=1, max_size=4).map("".join),
        st.lists(_pieces(), min_size=5, max_size=40).map("".join),
    )


articles = st.lists(_line(), min_size=1, max_size=25).map("\n".join)


def without_space(text: str) -> str:
    return "".join(ch for ch in text if not ch.isspace())


# --- read, structure, segment ------------------------------------------------------------------------


@FAST
@given(articles)
def test_segments_joined_give_back_the_source_modulo_white_space(article):
    segments = segment_blocks(parse_structure(article))
    assert without_space("".join(s.source for s in segments)) == without_space(article)
    assert all(s.source and s.source == s.source.strip() for s in segments)
    assert [s.block for s in segments] == sorted(s.block for s in segments)
    assert len({s.id for s in segments}) == len(segments)


@FAST
@given(articles, st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-32", "gb18030"]), st.booleans())
def test_every_form_of_an_article_reads_back_to_its_text(article, encoding, crlf):
    if not article.strip():
        return
    data = (article.replace("\n", "\r\n") if crlf else article).encode(encoding)
    # The Unicode forms are told by their BOM or by decoding; GB18030 is named, as --encoding does.
    assert decode_article(data, encoding="gb18030" if encoding == "gb18030" else None) == article


# XML 1.0's characters less CR, which XML parsers turn into LF (the reader never leaves one).
xml_char = st.one_of(
    st.characters(min_codepoint=0x20, exclude_categories=["Cs"], exclude_characters="\ufffe\uffff"),
    st.sampled_from("\t\n"),
)
xml_text = st.text(xml_char, max_size=30)


@FAST
@given(st.binary(max_size=300) | st.text(max_size=100).map(lambda t: t.encode("utf-8", "surrogatepass")))
def test_any_bytes_are_read_or_refused_and_what_is_read_fits_in_a_segment_file(data):
    try:
        text = decode_article(data)
    except InputError:
        return
    assert "\r" not in text
    segment = Segment("s1", 0, Role.PARAGRAPH, text.strip() or "x", target=text)
    document = Document("d", [segment], Provenance("0.1.0", "1"), original="d.zh.txt")
    assert parse_xliff(render_xliff(document)) == document


# --- documents ---------------------------------------------------------------------------------------


@st.composite
def documents(draw, text=xml_text, ids=None) -> Document:
    """Documents as the segment file holds them: blocks 0..n-1 in order, one role per block, valid states."""
    shape = draw(st.lists(st.integers(1, 4), min_size=1, max_size=6))
    count = sum(shape)
    # Any id but one holding translate-toolkit's file-qualifier separator, which the reader strips with what precedes it.
    id_strategy = ids if ids is not None else st.text(xml_char, min_size=1, max_size=12).filter(
        lambda t: t.strip() and "__%04__" not in t
    )
    unit_ids = draw(st.lists(id_strategy, min_size=count, max_size=count, unique=True))
    segments: list[Segment] = []
    for block, size in enumerate(shape):
        role = draw(st.sampled_from(list(Role)))
        for _ in range(size):
            source = draw(text.filter(str.strip))
            target = draw(text)
            state = draw(st.sampled_from(list(ReviewState))) if target.strip() else ReviewState.NEW
            notes = draw(st.lists(text, max_size=2))
            segments.append(Segment(unit_ids[len(segments)], block, role, source, target, state, notes))
    attribute = st.text(xml_char, max_size=12)
    provenance = Provenance(*(draw(attribute) for _ in range(5)))
    return Document(
        name=draw(attribute.filter(bool)),
        segments=segments,
        provenance=provenance,
        source_language=draw(attribute),
        target_language=draw(attribute),
        original=draw(attribute.filter(bool)),
    )


@FAST
@given(documents())
def test_xliff_round_trip_keeps_every_field_of_every_segment(document):
    assert parse_xliff(render_xliff(document)) == document


segment_ids = st.from_regex(r"s[0-9a-f]{10}(-[2-9])?", fullmatch=True)


def _fresh(document: Document) -> Document:
    """The document as `segment` writes it before any translation: no English, every segment new."""
    segments = [Segment(s.id, s.block, s.role, s.source, notes=list(s.notes)) for s in document.segments]
    return Document(document.name, segments, document.provenance, document.source_language,
                    document.target_language, document.original)


@MEDIUM
@given(documents(ids=segment_ids))
def test_csv_export_holds_every_field_of_every_segment(document):
    text = export_document(document, ExportFormat.CSV).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows[0] == list(CSV_COLUMNS)
    assert [r[:6] for r in rows[1:]] == [[s.id, s.role, s.state, s.source, s.target, "\n".join(s.notes)] for s in document.segments]


@MEDIUM
@given(documents(ids=segment_ids), st.sampled_from([ExportFormat.CSV, ExportFormat.XLIFF]))
def test_export_then_import_gives_back_every_target_and_state(document, fmt):
    # Import carries target and state (ids and sources are keys; roles and notes are ours): a
    # translator's export, filled in and imported into the untranslated file, gives the document back.
    with tempfile.TemporaryDirectory() as folder:
        segfile = Path(folder) / "demo.zh-en.xlf"
        write_segment_file(segfile, _fresh(document))
        edited = Path(folder) / f"demo.{'csv' if fmt is ExportFormat.CSV else 'xlf'}"
        edited.write_bytes(export_document(document, fmt))
        import_file(edited, segfile, force=True)
        # Every imported English is a person's (provenance origin person); no English has no signature.
        # A blank target never erases or fills English (import rule), so blank English stays empty.
        # An approval that QA finds an error in (a figure of the source missing from the English) comes
        # back reviewed: import approves by approve's own rule.
        held = qa_errors(document, None)
        expected = [
            replace(s, signature=person(__version__),
                    state=ReviewState.REVIEWED if s.state is ReviewState.APPROVED and s.id in held else s.state)
            if s.target.strip() else replace(s, target="", signature=None)
            for s in document.segments
        ]
        back = read_segment_file(segfile)
        # English that came in is dated: the file says when its English last changed.
        assert bool(back.provenance.english_changed) == any(s.target.strip() for s in document.segments)
        back.provenance = replace(back.provenance, english_changed=document.provenance.english_changed)
        # Approvals that came in are a person's sign-off, recorded with who and when.
        for segment in back.segments:
            assert (segment.approval is not None) == (segment.state is ReviewState.APPROVED)
            assert segment.approval is None or (segment.approval.who and segment.approval.when)
            segment.approval = None
        assert back == replace(document, segments=expected)


# --- publishing --------------------------------------------------------------------------------------

printable = st.text(HANZI + FULL_WIDTH_DIGITS + PUNCTUATION + "abcdefghij XYZ 0123456789.,", min_size=1, max_size=40)



def _characters(text: str) -> collections.Counter[str]:
    return collections.Counter(without_space(unicodedata.normalize("NFKC", text)))


def _docx_rows(path: Path) -> list[tuple[str, str]]:
    word = docx.Document(str(path))
    return [(row.cells[0].text, row.cells[1].text) for row in word.tables[0].rows][1:]


@SLOW
@given(documents(text=printable, ids=segment_ids))
def test_publishing_puts_every_segment_in_the_docx_and_the_pdf(document):
    document.name = "generated"
    with tempfile.TemporaryDirectory() as folder:
        docx_path, pdf_path = publish(document, None, Path(folder), ("docx", "pdf"))
        rows = _docx_rows(docx_path)
        # The writers set the title first, wherever the article had it; every other block keeps its order.
        blocks = sorted(document.blocks(), key=lambda block: block[0].role is not Role.TITLE)
        assert len(rows) == len(blocks)
        for (chinese, english), block in zip(rows, blocks):
            assert without_space(chinese) == without_space("".join(s.source for s in block))
            targets = " ".join(s.target.strip() for s in block if s.target.strip())
            assert without_space(english) == without_space(targets or UNTRANSLATED)
        with pymupdf.open(pdf_path) as pdf:
            printed = _characters("".join(page.get_text() for page in pdf))
    # The PDF sets full-width digits and letters as ordinary ones, with NFKC-equal text behind them.
    wanted = _characters("".join(s.source + s.target for s in document.segments))
    assert not wanted - printed, "".join((wanted - printed).elements())


@pytest.mark.parametrize("name", ["../escape", "a/b", "..", ".hidden", "c:\\x", "a\\..\\..\\b", "名\0字"])
def test_a_document_name_never_leads_out_of_the_output_folder(tmp_path, name):
    from leshan_pub.errors import PublishError

    document = Document(name, [Segment("s1", 0, Role.TITLE, "乐山")], Provenance("0.1.0", "1"))
    with pytest.raises(PublishError, match="not a plain file name"):
        publish(document, None, tmp_path / "out", ("docx",))
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]


@given(st.text(max_size=40))
def test_folding_keeps_every_character_s_own_nfkc_form_and_origin(text):
    from leshan_pub.terms import nfkc_fold

    for casefold in (False, True):
        expected, origin = [], []
        for i, ch in enumerate(text):
            normal = unicodedata.normalize("NFKC", ch)
            for out in normal.casefold() if casefold else normal:
                expected.append(out)
                origin.append(i)
        assert nfkc_fold(text, casefold) == ("".join(expected), origin)
