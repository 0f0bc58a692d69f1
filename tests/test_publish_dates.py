"""Dates of published files: SOURCE_DATE_EPOCH gives byte-identical rebuilds, otherwise the build's time."""

from __future__ import annotations

import zipfile
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import docx
import pymupdf
import pytest

from helpers import GLOSSARY, SAMPLE_SEGFILE
from leshan_pub.dates import build_moment
from leshan_pub.errors import LeshanPubError
from leshan_pub.formats.segfile import read_segment_file
from leshan_pub.glossary import load_glossary
from leshan_pub.publish import publish

EPOCH = 1764576000  # 2025-12-01 08:00:00 UTC
MOMENT = datetime(2025, 12, 1, 8, 0, tzinfo=UTC)


def publish_sample(out: Path) -> tuple[Path, Path]:
    docx_path, pdf_path = publish(read_segment_file(SAMPLE_SEGFILE), load_glossary(GLOSSARY), out, ("docx", "pdf"))
    return docx_path, pdf_path


def pdf_dates(path: Path) -> tuple[datetime, datetime]:
    with pymupdf.open(path) as pdf:
        meta = pdf.metadata
    return tuple(  # type: ignore[return-value]
        datetime.strptime(meta[key][2:16], "%Y%m%d%H%M%S").replace(tzinfo=UTC) for key in ("creationDate", "modDate")
    )


def docx_dates(path: Path) -> tuple[datetime, datetime]:
    core = docx.Document(str(path)).core_properties
    return core.created.replace(tzinfo=UTC), core.modified.replace(tzinfo=UTC)


def test_source_date_epoch_gives_byte_identical_pdf_and_docx(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(EPOCH))
    first = publish_sample(tmp_path / "first")
    second = publish_sample(tmp_path / "second")
    for a, b in zip(first, second):
        assert a.read_bytes() == b.read_bytes(), f"{a.name} differs between two builds"
    docx_path, pdf_path = first
    assert pdf_dates(pdf_path) == (MOMENT, MOMENT)
    assert docx_dates(docx_path) == (MOMENT, MOMENT)
    with zipfile.ZipFile(docx_path) as package:
        assert {info.date_time for info in package.infolist()} == {(2025, 12, 1, 8, 0, 0)}


def test_without_source_date_epoch_files_carry_the_build_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    before = datetime.now(UTC).replace(microsecond=0)
    docx_path, pdf_path = publish_sample(tmp_path)
    after = datetime.now(UTC) + timedelta(seconds=1)
    for stamp in (*pdf_dates(pdf_path), *docx_dates(docx_path)):
        assert before <= stamp <= after
    with zipfile.ZipFile(docx_path) as package:
        entry = datetime(*package.infolist()[0].date_time, tzinfo=UTC)
    assert before - timedelta(seconds=2) <= entry <= after  # zip times have 2-second steps


@pytest.mark.parametrize("value", ["yesterday", "-5", "1.5e9"])
def test_a_malformed_source_date_epoch_is_refused_and_nothing_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", value)
    with pytest.raises(LeshanPubError, match="SOURCE_DATE_EPOCH=.*whole number of seconds"):
        publish_sample(tmp_path)
    assert not list(tmp_path.iterdir())


def test_build_moment_reads_the_variable_given() -> None:
    assert build_moment({"SOURCE_DATE_EPOCH": str(EPOCH)}) == MOMENT
    assert build_moment({"SOURCE_DATE_EPOCH": " "}) <= datetime.now(UTC)


def test_the_title_block_and_provenance_show_when_the_english_last_changed(tmp_path: Path) -> None:
    document = read_segment_file(SAMPLE_SEGFILE)
    document.provenance = replace(document.provenance, english_changed="2026-11-30T17:05:00Z")
    docx_path, pdf_path = publish(document, load_glossary(GLOSSARY), tmp_path, ("docx", "pdf"))
    with pymupdf.open(pdf_path) as pdf:
        first_page, creator = " ".join(pdf[0].get_text().split()), pdf.metadata["creator"]
    assert "English as of 2026-11-30" in first_page
    assert "English last changed 2026-11-30" in creator
    assert "English last changed 2026-11-30" in docx.Document(str(docx_path)).core_properties.comments
