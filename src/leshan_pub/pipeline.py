"""The stages chained: read -> structure -> segment -> translate -> check -> publish."""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from . import __version__
from .atomic import write_bytes_atomic
from .document import Document, Provenance, ReviewState, Segment
from .enforce import forbidden_present, verify
from .errors import InputError, PublishError
from .glossary import Glossary, load_glossary
from .impact import glossary_impact
from .locking import segment_file_lock
from .read import read_article
from .segfile import SUFFIX, document_name, read_segment_file, segment_file_for, write_segment_file
from .segment import segment_blocks, segmenter_version
from .structure import parse_structure

if TYPE_CHECKING:
    from .engines import Engine, EngineOptions
    from .publish import PublishOptions

DEFAULT_GLOSSARY = Path("glossary/leshan.tsv")
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


@dataclass
class SegmentReport:
    """What re-segmenting changed: segments kept with their English, new ones, and dropped ones."""

    segment_file: Path
    total: int = 0
    kept: int = 0
    reused: int = 0
    new: int = 0
    dropped: list[Segment] = field(default_factory=list)
    backup: Path | None = None


@dataclass
class TranslateReport:
    """What translation did: segments translated, kept (human work), and terms it could not place."""

    translated: int = 0
    kept: int = 0
    missing_terms: list[tuple[str, str]] = field(default_factory=list)  # (segment id, message)
    unspellable: list[tuple[str, str]] = field(default_factory=list)  # (Chinese term, reason)
    glossary_changed: list[str] = field(default_factory=list)  # machine segments re-translated for it
    broken_human: list[tuple[str, str]] = field(default_factory=list)  # (id, message), left for a person


def resolve_segment_file(path: Path) -> Path:
    """The segment file for a path that names either an article or its segment file."""
    return path if path.name.endswith(SUFFIX) else segment_file_for(path)


def load_default_glossary(path: Path | None) -> Glossary | None:
    """The glossary at path; without a path, glossary/leshan.tsv when present, else None."""
    if path is not None:
        return load_glossary(path)
    return load_glossary(DEFAULT_GLOSSARY) if DEFAULT_GLOSSARY.is_file() else None


def _provenance(glossary: Glossary | None, previous: Provenance | None) -> Provenance:
    # The glossary hash records what the English was translated under, so only translation
    # moves it; re-segmenting keeps it, or a glossary change would go unnoticed.
    current = glossary.sha256 if glossary else ""
    return Provenance(
        tool_version=__version__,
        segmenter_version=segmenter_version(),
        model=previous.model if previous else "",
        model_revision=previous.model_revision if previous else "",
        glossary_sha256=previous.glossary_sha256 if previous else current,
    )


def merge_segments(fresh: list[Segment], old: Document | None) -> tuple[list[Segment], SegmentReport]:
    """Carry English, state and notes from the old segment file onto freshly split segments.

    A segment keeps its work when its id (derived from its source) is unchanged; a repeat of
    an identical source sentence reuses that sentence's English, marked with a note.
    """
    report = SegmentReport(segment_file=Path(), total=len(fresh))
    if old is None:
        report.new = len(fresh)
        return fresh, report
    by_id = {s.id: s for s in old.segments}
    by_source = {s.source: s for s in old.segments if s.target}
    for segment in fresh:
        previous = by_id.get(segment.id)
        if previous is not None and previous.source == segment.source:
            segment.target, segment.state, segment.notes = previous.target, previous.state, list(previous.notes)
            report.kept += 1
        elif segment.source in by_source:
            match = by_source[segment.source]
            segment.target, segment.state = match.target, match.state
            segment.notes = [f"reused from identical segment {match.id}"]
            report.reused += 1
        else:
            report.new += 1
    fresh_ids = {s.id for s in fresh}
    report.dropped = [s for s in old.segments if s.id not in fresh_ids]
    return fresh, report


def segment_source(source: Path, glossary: Glossary | None, encoding: str | None = None) -> tuple[Document, SegmentReport]:
    """Split the article into segments, merged with its existing segment file, and write that file."""
    blocks = parse_structure(read_article(source, encoding))
    fresh = segment_blocks(blocks)
    if not fresh:
        raise InputError(f"{source} has no text to translate")
    segfile = segment_file_for(source)
    with segment_file_lock(segfile):
        old = read_segment_file(segfile) if segfile.exists() else None
        segments, report = merge_segments(fresh, old)
        report.segment_file = segfile
        if old is not None and any(s.state.is_human for s in report.dropped):
            # Reviewed work whose source sentence changed leaves the file; keep the last copy.
            report.backup = segfile.with_name(segfile.name + ".bak")
            write_bytes_atomic(report.backup, segfile.read_bytes())
        document = Document(
            name=document_name(source),
            segments=segments,
            provenance=_provenance(glossary, old.provenance if old else None),
            original=source.name,
        )
        write_segment_file(segfile, document)
    return document, report


def _term_notes(segment: Segment, glossary: Glossary | None, extra: Sequence[str]) -> list[str]:
    notes = list(extra)
    if glossary is None:
        return notes
    hits = glossary.find(segment.source)
    for term in verify(segment.target, hits):
        notes.append(f"glossary: '{term.source}' needs '{term.target}' but the English lacks it")
    for term, rendering in forbidden_present(segment.target, hits):
        notes.append(f"glossary: '{term.source}' rendered with forbidden '{rendering}'; use '{term.target}'")
    return notes


def translate_document(
    document: Document,
    glossary: Glossary | None,
    load: Callable[[], Engine],
    retranslate: bool = False,
    force: bool = False,
) -> TranslateReport:
    """Translate the segments that need it, in place; reviewed and approved segments are kept.

    NEW segments are translated; MACHINE ones too when retranslate is set, or when a glossary
    change since their translation affects them. Reviewed and approved segments the changed
    glossary breaks are listed for a person, and re-translated only with force. The engine is
    only loaded when there is something to translate, so a reviewed document needs no model.
    """
    wanted = {ReviewState.NEW, ReviewState.MACHINE} if retranslate else {ReviewState.NEW}
    ids = {s.id for s in document.segments if s.state in wanted}
    report = TranslateReport()
    if glossary is not None:
        # The recorded hash says whether the glossary changed since the last translation; with
        # force, every segment the glossary fails counts, even if it was reported before.
        judged = replace(document, provenance=replace(document.provenance, glossary_sha256="")) if force else document
        impact = glossary_impact(judged, None, glossary)
        report.glossary_changed = [i for i in impact.retranslate if i not in ids]
        ids |= set(impact.retranslate)
        if force:
            ids |= {segment_id for segment_id, _ in impact.broken_human}
        else:
            report.broken_human = impact.broken_human
        document.provenance = replace(document.provenance, glossary_sha256=glossary.sha256)
    todo = [s for s in document.segments if s.id in ids]
    report.kept = len(document.segments) - len(todo)
    if not todo:
        return report
    engine = load()
    terms = [[hit.term for hit in glossary.find(s.source)] if glossary else [] for s in todo]
    used = list(dict.fromkeys(term for segment_terms in terms for term in segment_terms))
    report.unspellable = [(term.source, reason) for term, reason in engine.check_terms(used)]
    results = engine.translate([s.source for s in todo], terms)
    for segment, result in zip(todo, results, strict=True):
        segment.target = _XML_ILLEGAL.sub("", result.text)  # a model may emit what XML cannot hold
        segment.state = ReviewState.MACHINE
        segment.notes = _term_notes(segment, glossary, result.notes)
        report.missing_terms += [(segment.id, n) for n in segment.notes if n.startswith("glossary:")]
    report.translated = len(todo)
    document.provenance = replace(document.provenance, model=engine.model_id, model_revision=engine.model_revision)
    return report


def engine_loader(name: str, options: EngineOptions) -> Callable[[], Engine]:
    """A callable that loads the named engine on first need (importing torch only then)."""

    def load() -> Engine:
        from .engines import load_engine

        print(f"loading model {options.model} ...", file=sys.stderr)
        return load_engine(name, options)

    return load


def translate_file(
    path: Path,
    glossary: Glossary | None,
    load: Callable[[], Engine],
    retranslate: bool = False,
    force: bool = False,
) -> tuple[Document, TranslateReport]:
    """Translate the segment file of path (an article or a segment file) and write it back."""
    segfile = resolve_segment_file(path)
    with segment_file_lock(segfile):
        document = read_segment_file(segfile)
        before = document.provenance
        report = translate_document(document, glossary, load, retranslate, force)
        if report.translated or document.provenance != before:
            write_segment_file(segfile, document)
    return document, report


def publish_file(
    path: Path, glossary: Glossary | None, out_dir: Path, formats: Sequence[str], options: PublishOptions
) -> list[Path]:
    """Typeset the segment file of path (an article or a segment file) into out_dir."""
    from .publish import publish

    document = read_segment_file(resolve_segment_file(path))
    if options.final:
        require_clean_check(document, glossary)
    return publish(document, glossary, out_dir, formats, options)


def require_clean_check(document: Document, glossary: Glossary | None) -> None:
    """Raise PublishError when QA finds any error: a final document must have every figure and term right."""
    from .qa import Severity, check_document

    errors = [f for f in check_document(document, glossary) if f.severity is Severity.ERROR]
    if errors:
        shown = "; ".join(f"{f.segment_id} [{f.check}]" for f in errors[:5])
        more = f" and {len(errors) - 5} more" if len(errors) > 5 else ""
        raise PublishError(
            f"--final: QA finds {len(errors)} error(s) in {document.name} ({shown}{more}); "
            f"run `leshan-pub check` and fix them first"
        )


@dataclass
class BuildResult:
    """Everything a build did, for the CLI to report."""

    document: Document
    segments: SegmentReport
    translation: TranslateReport
    outputs: list[Path]


def build(
    source: Path,
    glossary: Glossary | None,
    load: Callable[[], Engine],
    out_dir: Path,
    formats: Sequence[str],
    options: PublishOptions,
    encoding: str | None = None,
) -> BuildResult:
    """Segment, translate and publish one article; the segment file beside it keeps all review work."""
    from .publish import publish

    with segment_file_lock(segment_file_for(source)):  # held from segmenting to the translated file
        document, seg_report = segment_source(source, glossary, encoding)
        before = document.provenance
        tr_report = translate_document(document, glossary, load)
        if tr_report.translated or document.provenance != before:
            write_segment_file(seg_report.segment_file, document)
    if options.final:
        require_clean_check(document, glossary)
    outputs = publish(document, glossary, out_dir, formats, options)
    return BuildResult(document, seg_report, tr_report, outputs)
