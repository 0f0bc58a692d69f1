"""The stages chained: read -> structure -> segment -> translate -> check -> publish."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from . import __version__
from .chars import NOT_XML
from .document import Block, Document, Picture, Provenance, ReviewState, Role, Segment, TermMethod
from .emphasis import place_in_target
from .errors import EngineError, InputError
from .final import final_gate, stale_article, stale_message
from .formats.segfile import SUFFIX, document_name, keep_backup, read_segment_file, segment_file_for, write_segment_file
from .glossary import Glossary
from .glossary_in_use import GlossaryInUse
from .inputs import read_source
from .locking import segment_file_lock
from .memory import LeverageReport, MemorySettings, leverage, read_memory, record_segments
from .provenance import Origin, machine_signature, public_model_name, rule_signature, text_hash
from .quality.cells import RuleEnglish, cell_units, rule_english
from .quality.enforce import TermMiss, explain_misses, forbidden_present
from .quality.impact import glossary_impact
from .progress import progress_bar, quiet_model_libraries
from .read import require_chinese
from .script import AUTO, ScriptReport, resolve_script
from .segment import segment_blocks, segmenter_version
from .terms import Term

if TYPE_CHECKING:
    from .engines import Engine, EngineOptions, Translation
    from .publish import PublishOptions



@dataclass
class SegmentReport:
    """What re-segmenting changed: segments kept with their English, new ones, and dropped ones.

    kept + reused + remembered + new == total: each segment of the file is counted once."""

    segment_file: Path
    total: int = 0
    kept: int = 0
    reused: int = 0
    new: int = 0  # new segments still without English
    remembered: int = 0  # new segments the memory gave English (exact or a fuzzy draft)
    added: list[str] = field(default_factory=list)  # ids of the new segments (in the file for the first time)
    dropped: list[Segment] = field(default_factory=list)
    backup: Path | None = None
    memory: LeverageReport = field(default_factory=LeverageReport)  # new segments filled from the memory
    memory_path: Path | None = None  # where dropped human work was recorded; None without a memory
    script: ScriptReport | None = None  # the article's script, detected or forced
    skipped: list[str] = field(default_factory=list)  # source content the reader did not carry, one line each


@dataclass
class TranslateReport:
    """What translation did: segments translated, kept (human work), and terms it could not place."""

    translated: int = 0
    kept: int = 0
    ruled: int = 0  # table cells of figures, units or dates whose English a rule made (never the model)
    looked_again: int = 0  # segments of earlier chunks sent again once the engine had read every chunk
    memory: LeverageReport = field(default_factory=LeverageReport)  # filled from the memory instead
    missing_terms: list[tuple[str, str]] = field(default_factory=list)  # (segment id, message)
    unspellable: list[tuple[str, str]] = field(default_factory=list)  # (Chinese term, reason)
    glossary_changed: list[str] = field(default_factory=list)  # machine segments re-translated for it
    broken_human: list[tuple[str, str]] = field(default_factory=list)  # (id, message), left for a person


def resolve_segment_file(path: Path) -> Path:
    """The segment file for a path that names either an article or its segment file."""
    return path if path.name.endswith(SUFFIX) else segment_file_for(path)


class Interrupted(KeyboardInterrupt):
    """Ctrl-C during translation, after the finished segments were written; the message says how many."""


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
        english_changed=previous.english_changed if previous else "",
    )


def merge_segments(fresh: list[Segment], old: Document | None) -> tuple[list[Segment], SegmentReport]:
    """Carry English, state and notes from the old segment file onto freshly split segments.

    A segment keeps its work when its id (derived from its source) is unchanged; a repeat of
    an identical source sentence reuses that sentence's English, marked with a note.
    """
    report = SegmentReport(segment_file=Path(), total=len(fresh))
    if old is None:
        report.new, report.added = len(fresh), [s.id for s in fresh]
        return fresh, report
    by_id = {s.id: s for s in old.segments}
    by_source = {s.source: s for s in old.segments if s.target}
    for segment in fresh:
        previous = by_id.get(segment.id)
        if previous is not None and previous.source == segment.source:
            _carry_work(segment, previous)
            report.kept += 1
        elif segment.source in by_source:
            match = by_source[segment.source]
            _carry_work(segment, match)
            segment.notes = [f"reused from identical segment {match.id}"]
            segment.comments = []  # a reviewer's comment is about that segment, in its place
            report.reused += 1
        else:
            report.new += 1
            report.added.append(segment.id)
    fresh_ids = {s.id for s in fresh}
    report.dropped = [s for s in old.segments if s.id not in fresh_ids]
    return fresh, report


def _carry_work(segment: Segment, previous: Segment) -> None:
    """Put previous's work on the freshly split segment: English, state, notes, how it was made, memory
    candidates and draft (so a memory draft stays one), term records, approval and comments."""
    segment.target, segment.state, segment.notes = previous.target, previous.state, list(previous.notes)
    segment.signature, segment.target_marks = previous.signature, previous.target_marks
    segment.matches, segment.draft, segment.terms = list(previous.matches), previous.draft, previous.terms
    segment.approval, segment.comments = previous.approval, list(previous.comments)


def segment_source(
    source: Path, glossary: Glossary | None, encoding: str | None = None, memory: MemorySettings | None = None,
    script: str = AUTO,
) -> tuple[Document, SegmentReport]:
    """Split the article into segments, merged with its existing segment file, and write that file.

    With a memory, every reviewed and approved segment of the old file is recorded in it first
    (dropped ones included), and new segments are filled from it: exact matches as reviewed,
    the best fuzzy match as a draft. script "auto" detects the article's script (zh-Hans,
    zh-Hant or mixed); "zh-Hans" or "zh-Hant" forces it. It is recorded in the segment file and
    picks the PDF's font and page labels.
    """
    article = read_source(source, encoding)
    found = resolve_script("\n".join(block.text for block in article.blocks), script)
    spans = (lambda text: [(hit.start, hit.end) for hit in glossary.find(text)]) if glossary is not None else None
    fresh = segment_blocks(article.blocks, spans)
    if not fresh:
        raise InputError(f"{source} has no text to translate")
    require_chinese("\n".join(s.source for s in fresh), str(source))
    segfile = segment_file_for(source)
    with segment_file_lock(segfile):
        old = read_segment_file(segfile) if segfile.exists() else None
        if old is not None:
            record_segments(memory, old.segments, old.name)  # before any of it can leave the file
        segments, report = merge_segments(fresh, old)
        report.segment_file, report.memory_path = segfile, memory.path if memory is not None else None
        report.skipped = article.skipped
        if memory is not None and memory.path is not None:
            report.memory = leverage(segments, read_memory(memory.path), memory.fuzzy_threshold)
            # Only new segments move from 'new' to 'from the memory': a kept one the memory fills stays kept.
            added = set(report.added)
            report.remembered = sum(1 for s in segments if s.id in added and s.target)
            report.new -= report.remembered
        report.script = found
        if old is not None and any(s.state.is_human for s in report.dropped):
            # Reviewed work whose source sentence changed leaves the file; a timestamped copy stays.
            report.backup = keep_backup(segfile)
        document = Document(
            name=document_name(source),
            segments=segments,
            provenance=_provenance(glossary, old.provenance if old else None),
            original=source.name,
            source_language=found.script.language_tag,
            script=found.script,
        )
        write_segment_file(segfile, document)
    document.pictures = _pictures(article.blocks, document)
    return document, report


def _pictures(blocks: Sequence[Block], document: Document) -> dict[int, Picture]:
    """The pictures of the article's blocks, by block index, where the document's block there is the
    same image block (its alt text or placeholder): a segment file out of step with its article
    gets no picture in a wrong place."""
    sources: dict[int, str] = {}
    for segment in document.segments:
        sources[segment.block] = sources.get(segment.block, "") + segment.source
    return {b.index: b.picture for b in blocks if b.picture is not None and sources.get(b.index) == b.text.strip()}


def attach_pictures(document: Document, path: Path) -> None:
    """Fill document.pictures from its source article: path itself when it names the article, else the
    article beside the segment file path names (document.original). Pictures live in the article, never
    in the segment file; an article that is gone is said on stderr and the outputs carry no pictures."""
    article = path if not path.name.endswith(SUFFIX) else path.parent / document.original
    if article.suffix.lower() not in (".docx", ".md", ".markdown"):
        return
    if not article.is_file():
        print(f"pictures: {article} is not there; the outputs carry no pictures. Put the article back beside "
              f"{segment_file_for(article).name} to carry them", file=sys.stderr)
        return
    document.pictures = _pictures(read_source(article).blocks, document)


def _term_notes(segment: Segment, glossary: Glossary | None, result: Translation) -> list[str]:
    """The engine's notes, then one note per missing term occurrence with its reason, and forbidden renderings."""
    notes = list(result.notes)
    if glossary is None:
        return notes
    hits = glossary.find(segment.source)
    reasons: dict[Term, list[TermMiss]] = {}
    for miss in result.misses:
        reasons.setdefault(miss.term, []).append(miss)
    for miss in explain_misses(segment.target, [hit.term for hit in hits], reasons):
        notes.append(miss.note())
    for term, rendering in forbidden_present(segment.target, hits):
        notes.append(f"glossary: '{term.source}' rendered with forbidden '{rendering}'; use '{term.target}'")
    return notes


def translate_document(
    document: Document,
    glossary: Glossary | None,
    load: Callable[[], Engine],
    retranslate: bool = False,
    force: bool = False,
    memory: MemorySettings | None = None,
    save: Callable[[Document], None] | None = None,
    chunk_size: int = 16,
    include_memory: bool = False,
) -> TranslateReport:
    """Translate the segments that need it, in place; reviewed and approved segments are kept.

    NEW segments are first looked up in the memory (exact: reviewed; fuzzy: a marked draft); the
    rest are translated, and MACHINE ones too when retranslate is set or a glossary change since
    their translation affects them. Memory drafts stay (they are a person's English), unless
    include_memory is set with retranslate: then they are machine-translated too.
    Reviewed and approved segments the changed glossary breaks are listed for a person, and
    re-translated only with force. The engine is only loaded when there is something to
    translate. Segments go to the engine chunk_size at a time, and save (when given) is called
    after each chunk, so an interrupt or crash keeps every finished chunk; Ctrl-C raises
    Interrupted after a last save, saying how many segments were kept.
    """
    report = TranslateReport()
    if memory is not None and memory.path is not None:
        report.memory = leverage(document.segments, read_memory(memory.path), memory.fuzzy_threshold)
    wanted = {ReviewState.NEW, ReviewState.MACHINE} if retranslate else {ReviewState.NEW}
    replace_drafts = retranslate and include_memory
    ids = {s.id for s in document.segments
           if s.state in wanted and not _persons(s) and (replace_drafts or not s.is_fuzzy_draft)}
    if glossary is not None:
        # The recorded hash says whether the glossary changed since the last translation; with
        # force, every segment the glossary fails counts, even if it was reported before.
        judged = replace(document, provenance=replace(document.provenance, glossary_sha256="")) if force else document
        impact = glossary_impact(judged, None, glossary)
        drafts = {s.id for s in document.segments if s.is_fuzzy_draft or _persons(s)}
        retranslate_ids = [i for i in impact.retranslate if i not in drafts]
        report.glossary_changed = [i for i in retranslate_ids if i not in ids]
        ids |= set(retranslate_ids)
        if force:
            ids |= {segment_id for segment_id, _ in impact.broken_human}
        else:
            report.broken_human = impact.broken_human
        document.provenance = replace(document.provenance, glossary_sha256=glossary.sha256)
    todo = [s for s in document.segments if s.id in ids]
    report.kept = len(document.segments) - len(todo)
    ruled = _apply_rules(todo, cell_units(document.segments))
    report.ruled = len(ruled)
    todo = [s for s in todo if s.id not in ruled]
    if not todo:
        return report
    engine = load()
    terms = [[hit.term for hit in glossary.find(s.source)] if glossary else [] for s in todo]
    used = list(dict.fromkeys(term for segment_terms in terms for term in segment_terms))
    report.unspellable = [(term.source, reason) for term, reason in engine.check_terms(used)]
    document.provenance = replace(
        document.provenance, model=public_model_name(engine.model_id), model_revision=engine.model_revision
    )
    settings = engine.signature_settings()

    def apply(chunk: list[Segment], results: list[Translation]) -> None:
        # applied[0] counts the chunk's segments done, so an interrupt mid-chunk resumes, never repeats.
        # An interrupt between a segment's last step and applied[0] += 1 has it applied again: done is a
        # set, so the count stays true either way.
        for segment, result in zip(chunk[applied[0]:], results[applied[0]:], strict=True):
            _apply_translation(segment, result, glossary)
            # Only the segments translated now are re-attributed; the rest keep how they were made.
            segment.signature = machine_signature(
                Origin.MT, engine.name, engine.model_id, engine.model_revision, settings,
                glossary.sha256 if glossary else None, segment.target, __version__,
            )
            done.add(segment.id)
            applied[0] += 1

    chunk: list[Segment] = []
    results: list[Translation] | None = None
    applied = [0]
    done: set[str] = set()  # ids of the segments translated and applied
    size = max(1, chunk_size)
    learned = getattr(engine, "learned_renderings", None)  # engines/renderings.DraftContext, where the engine learns
    taught: dict[str, dict[Term, frozenset[str]]] = {}  # per segment: what the engine had learned of its terms then
    second = [False]  # the second look is under way
    sent = {segment.id for segment in todo}
    ours = replace(machine_signature(Origin.MT, engine.name, engine.model_id, engine.model_revision, settings,
                                     glossary.sha256 if glossary else None, "", __version__), text="")

    def known(its_terms: list[Term]) -> dict[Term, frozenset[str]]:
        if learned is None or not its_terms:
            return {}
        return {t: frozenset(v) for t, v in learned(list(dict.fromkeys(its_terms))).items()}

    def chunks() -> Iterator[tuple[list[Segment], list[list[Term]]]]:
        for start in range(0, len(todo), size):
            yield todo[start : start + size], terms[start : start + size]
        # A second look (read once the first pass is applied): the engine learns how the model renders
        # each term from every draft of the run so far (engines/renderings.DraftContext), so a term that
        # only a later chunk taught went into an earlier chunk's English by the owed words, the
        # attention or the last resort. Those segments go to the engine once more, now that it knows more.
        last = (len(todo) - 1) // size * size  # the last chunk learned from every draft
        again = [(todo[k], terms[k]) for k in range(last) if any(r.method in _SECOND_LOOK for r in todo[k].terms)
                 and known(terms[k]) != taught.get(todo[k].id)]  # only where the engine has learned more since
        again += earlier()
        report.looked_again = len(again)
        second[0] = True
        if again:
            bar.total += len(again)
            bar.refresh()
        for start in range(0, len(again), size):
            part = again[start : start + size]
            yield [segment for segment, _ in part], [its_terms for _, its_terms in part]

    def earlier() -> list[tuple[Segment, list[Term]]]:
        # A run that continues one cut short (Ctrl-C): the segments the same settings translated before,
        # as they left them (no person's edit), whose terms went in by the owed words or the last resort
        # and that the engine has learned something about in this run.
        found: list[tuple[Segment, list[Term]]] = []
        for segment in document.segments:
            made = segment.signature
            if (segment.id in sent or segment.state is not ReviewState.MACHINE or made is None
                    or replace(made, text="") != ours or made.text != text_hash(segment.target)
                    or not any(r.method in _SECOND_LOOK for r in segment.terms)):
                continue
            its_terms = [hit.term for hit in glossary.find(segment.source)] if glossary else []
            if any(known(its_terms).values()):
                found.append((segment, its_terms))
        return found

    try:
        with progress_bar(len(todo), "translating") as bar:
            for chunk, chunk_terms in chunks():
                results, applied[0] = None, 0
                results = engine.translate([s.source for s in chunk], chunk_terms)
                taught.update((segment.id, known(its_terms)) for segment, its_terms in zip(chunk, chunk_terms))
                apply(chunk, results)
                results = None
                if save is not None:
                    save(document)
                bar.update(len(chunk))
    except KeyboardInterrupt:
        if results is not None:
            apply(chunk, results)  # English the engine returned is finished work, even mid-apply
        if save is not None:
            save(document)  # whatever finished since the last chunk's save
        report.translated = len(done & sent)
        report.missing_terms = _missing_terms(document.segments, done)
        if second[0]:
            raise Interrupted(
                f"interrupted during the second look: all {report.translated} segment(s) translated and kept; "
                "those of the first chunks not looked at again keep their first English"
            ) from None
        left = len(todo) - report.translated
        raise Interrupted(
            f"interrupted: {report.translated} segment(s) translated and kept, {left} left; "
            "run the same command again to continue"
        ) from None
    report.translated = len(done & sent)
    report.missing_terms = _missing_terms(document.segments, done)
    return report


def _missing_terms(segments: list[Segment], done: set[str]) -> list[tuple[str, str]]:
    """(segment id, note) for every glossary note on the segments translated, in document order (read off
    the segments at the end: a segment the second look translated again is counted once, as it is now)."""
    return [(s.id, n) for s in segments if s.id in done for n in s.notes if n.startswith("glossary:")]


def _persons(segment: Segment) -> bool:
    """True when a person changed the English in the file itself and left its state machine-translated
    (a CAT tool that keeps the state, a memory draft corrected in place): their work, not the model's."""
    signature = segment.signature
    return segment.state is ReviewState.MACHINE and signature is not None and signature.origin == Origin.PERSON


def _apply_rules(todo: list[Segment], units: dict[str, str]) -> set[str]:
    """Give table cells that are only figures, units, dates or codes their English by rule, marked for
    review (machine-translated, origin rule, a note); return their ids. The model never sees them."""
    ruled: set[str] = set()
    for segment in todo:
        made: RuleEnglish | None = (
            rule_english(segment.source, units.get(segment.id, "")) if segment.role is Role.CELL else None
        )
        if made is None:
            continue
        segment.target, segment.state, segment.target_marks = made.english, ReviewState.MACHINE, ()
        segment.notes, segment.matches, segment.terms, segment.draft = [made.note()], [], (), None
        segment.signature = rule_signature(made.english, __version__)
        ruled.add(segment.id)
    return ruled


# How a term went in that a second look may better, once the engine has learned from every chunk.
_SECOND_LOOK = frozenset({TermMethod.SPLICED, TermMethod.PLACED, TermMethod.CONTINUED})


def _apply_translation(segment: Segment, result: Translation, glossary: Glossary | None) -> None:
    text = NOT_XML.sub("", result.text)  # a model may emit what XML cannot hold
    marks, emphasis_notes = place_in_target(replace(segment, target=text), glossary)
    notes = [*_term_notes(replace(segment, target=text), glossary, result), *emphasis_notes]
    segment.target, segment.state, segment.notes, segment.matches = text, ReviewState.MACHINE, notes, []
    segment.draft = None  # machine output now, not a memory draft
    segment.target_marks = marks
    segment.terms = result.terms  # how each term went in, as the engine recorded it


def engine_loader(name: str, options: EngineOptions) -> Callable[[], Engine]:
    """A callable that loads the named engine on first need (importing torch only then)."""

    def load() -> Engine:
        from .engines import load_engine

        print(f"loading model {options.model} ...", file=sys.stderr)
        quiet_model_libraries()
        # translate_document shows one bar over all chunks; the engine's own would start per chunk.
        return load_engine(name, replace(options, progress=False))

    return load


def translate_file(
    path: Path,
    glossary: Glossary | None,
    load: Callable[[], Engine],
    retranslate: bool = False,
    force: bool = False,
    memory: MemorySettings | None = None,
    chunk_size: int = 16,
    include_memory: bool = False,
) -> tuple[Document, TranslateReport]:
    """Translate the segment file of path (an article or a segment file), writing it after every chunk.

    Reviewed and approved segments already in the file (edited there by a CAT tool, say) are
    recorded in the memory first.
    """
    segfile = resolve_segment_file(path)
    with segment_file_lock(segfile):
        document = read_segment_file(segfile)
        record_segments(memory, document.segments, document.name)
        before = (document.provenance, [(s.target, s.state) for s in document.segments])
        report = translate_document(
            document, glossary, load, retranslate, force, memory,
            save=lambda d: write_segment_file(segfile, d), chunk_size=chunk_size, include_memory=include_memory,
        )
        if (document.provenance, [(s.target, s.state) for s in document.segments]) != before:
            write_segment_file(segfile, document)
    return document, report


def publish_file(
    path: Path, glossary: Glossary | None, out_dir: Path, formats: Sequence[str], options: PublishOptions,
    in_use: GlossaryInUse | None = None,
) -> list[Path]:
    """Typeset the segment file of path (an article or a segment file) into out_dir.

    With options.final, the final gate judges the document first; in_use says whether the glossary's
    terms are enforced (default: glossary as given, None meaning none on purpose).
    """
    from .publish import publish

    segfile = resolve_segment_file(path)
    document = read_segment_file(segfile)
    if options.final:
        final_gate([document], in_use or GlossaryInUse.given(glossary), [segfile])
    elif (article := stale_article(segfile, document)) is not None:
        print(f"leshan-pub: warning: {stale_message(article, segfile)}", file=sys.stderr)
    attach_pictures(document, path)
    return publish(document, glossary, out_dir, formats, options)


def _require_engine(engine: str, source: Path) -> None:
    """EngineError (the one-line 'install the extra') when engine is not installed and building source
    may need it: no segment file yet, one the article no longer segments into, or a segment without English."""
    from .engines import missing_engine

    missing = missing_engine(engine)
    if missing is None:
        return
    segfile = segment_file_for(source)
    if segfile.exists():
        document = read_segment_file(segfile)
        if stale_article(segfile, document) is None and all(s.target.strip() for s in document.segments):
            return  # translated already: this build typesets, and needs no engine
    raise EngineError(missing)


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
    memory: MemorySettings | None = None,
    chunk_size: int = 16,
    script: str = AUTO,
    in_use: GlossaryInUse | None = None,
    engine: str = "",
) -> BuildResult:
    """Segment, translate and publish one article; the segment file beside it keeps all review work.

    script: "auto" (detect), "zh-Hans" or "zh-Hant", as segment_source takes it. With options.final
    the final gate judges the glossary before anything is done, and the document before it is published.
    engine, when named, is checked to be installed before anything is written, unless the article's
    segment file already holds English for every segment of the article as it stands (nothing to translate).
    """
    gate = in_use or GlossaryInUse.given(glossary)
    if options.final:
        final_gate([], gate)
    if engine:
        _require_engine(engine, source)
    from .publish import publish

    segfile = segment_file_for(source)
    with segment_file_lock(segfile):  # held from segmenting to the translated file
        document, seg_report = segment_source(source, glossary, encoding, memory, script)
        before = document.provenance
        tr_report = translate_document(
            document, glossary, load, memory=None, save=lambda d: write_segment_file(segfile, d), chunk_size=chunk_size
        )
        if tr_report.translated or tr_report.ruled or document.provenance != before:
            write_segment_file(seg_report.segment_file, document)
    if options.final:
        final_gate([document], gate)
    outputs = publish(document, glossary, out_dir, formats, options)
    return BuildResult(document, seg_report, tr_report, outputs)
