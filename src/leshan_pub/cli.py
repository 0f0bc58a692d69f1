"""The leshan-pub command line: thin typer commands that call the library and report."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from .errors import LeshanPubError

app = typer.Typer(
    help="Translate Chinese articles into English under an enforced glossary and typeset them "
    "as side-by-side Chinese/English DOCX and PDF.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
glossary_app = typer.Typer(help="Keep the terminology glossary: list, validate, add, remove, import, export.", no_args_is_help=True)
app.add_typer(glossary_app, name="glossary")
memory_app = typer.Typer(help="Keep the translation memory (TMX): export, import, stats.", no_args_is_help=True)
app.add_typer(memory_app, name="memory")

F = TypeVar("F", bound=Callable[..., Any])
_IDEOGRAPHIC_SPACE = "\u3000"  # pads Chinese terms to a common width


def reports_errors(command: F) -> F:
    """Turn a LeshanPubError into one line on stderr and exit status 1; anything else is a bug."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except LeshanPubError as exc:
            typer.echo(f"leshan-pub: error: {exc}", err=True)
            raise typer.Exit(1) from None
        except OSError as exc:
            # The disk, not the data: full, read-only, permissions. Say which file and why.
            where = f" {exc.filename}" if exc.filename else ""
            typer.echo(f"leshan-pub: error: cannot write or read{where}: {exc.strerror or exc}", err=True)
            raise typer.Exit(1) from None
        except KeyboardInterrupt as exc:
            said = str(exc) or "interrupted; files written so far are complete"
            typer.echo(f"leshan-pub: {said}", err=True)
            raise typer.Exit(130) from None

    return wrapper  # type: ignore[return-value]


class ListFormat(StrEnum):
    table = "table"
    json = "json"
    tsv = "tsv"


# No dir_okay=False on file arguments: the library's one-line "is a folder" message beats click's usage box.
SourceArg = Annotated[Path, typer.Argument(help="The Chinese article (.txt).")]
DocArg = Annotated[Path, typer.Argument(help="The article or its segment file (.zh-en.xlf).")]
GlossaryOpt = Annotated[
    Path | None,
    typer.Option("--glossary", "-g", help="Glossary file (.tsv/.csv). Default: glossary/leshan.tsv if present."),
]
ModelOpt = Annotated[
    str, typer.Option("--model", "-m", help="Hugging Face hub id or local folder of a MarianMT model.")
]
EngineOpt = Annotated[str, typer.Option("--engine", help="Translation engine.")]
OutOpt = Annotated[Path, typer.Option("--out", "-o", help="Folder for the published DOCX and PDF.", file_okay=False)]
FormatOpt = Annotated[list[str] | None, typer.Option("--format", "-f", help="Output format: docx, pdf (repeatable).")]
FinalOpt = Annotated[bool, typer.Option("--final", help="Refuse to publish unless every segment is approved.")]


class PageSize(StrEnum):
    A4 = "A4"
    Letter = "Letter"


class Layout(StrEnum):
    side_by_side = "side-by-side"
    interleaved = "interleaved"


PageOpt = Annotated[PageSize, typer.Option("--page-size", help="Paper size of the PDF.")]
LayoutOpt = Annotated[Layout, typer.Option("--layout", help="Chinese and English side by side, or each paragraph followed by its English.")]
FontOpt = Annotated[
    Path | None,
    typer.Option("--font", help="Your own TrueType (.ttf/.ttc) CJK font for the PDF.", exists=True, dir_okay=False),
]
EncodingOpt = Annotated[
    str | None,
    typer.Option("--encoding", help="Source encoding: utf-8, gb18030, big5 or utf-16 (default: detected)."),
]
BeamsOpt = Annotated[int, typer.Option("--beams", min=1, max=16, help="Beam size.")]
BatchOpt = Annotated[int, typer.Option("--batch-size", min=1, max=1024, help="Segments per batch.")]
DeviceOpt = Annotated[str, typer.Option("--device", help="auto, cpu, cuda or cuda:N.")]
MemoryOpt = Annotated[
    Path | None,
    typer.Option("--memory", help="Translation memory (.tmx). Default: memory.tmx beside the glossary in use."),
]
ThresholdOpt = Annotated[
    float,
    typer.Option("--fuzzy-threshold", min=1, max=100, help="Lowest score (%) at which a memory match is offered."),
]


def _memory(memory: Path | None, glossary: Any, threshold: float = 75.0):  # noqa: ANN202
    from .pipeline import resolve_memory

    return resolve_memory(memory, glossary, threshold)


def _engine_options(model: str, beams: int, batch_size: int, device: str):  # noqa: ANN202
    from .engines import EngineOptions

    return EngineOptions(model=model, num_beams=beams, batch_size=batch_size, device=device)


def _publish_options(final: bool, page_size: PageSize, layout: Layout, font: Path | None):  # noqa: ANN202
    from .publish import PublishOptions

    return PublishOptions(final=final, page_size=page_size.value, layout=layout.value, font=font)


def _formats(formats: list[str] | None) -> list[str]:
    return formats or ["docx", "pdf"]


@app.command()
@reports_errors
def build(
    source: SourceArg,
    model: ModelOpt = "Helsinki-NLP/opus-mt-zh-en",
    glossary: GlossaryOpt = None,
    out: OutOpt = Path("output"),
    engine: EngineOpt = "transformers",
    fmt: FormatOpt = None,
    final: FinalOpt = False,
    page_size: PageOpt = PageSize.A4,
    layout: LayoutOpt = Layout.side_by_side,
    font: FontOpt = None,
    encoding: EncodingOpt = None,
    beams: BeamsOpt = 4,
    batch_size: BatchOpt = 16,
    device: DeviceOpt = "auto",
    memory: MemoryOpt = None,
    fuzzy_threshold: ThresholdOpt = 75.0,
) -> None:
    """Segment, translate and publish an article (the segment file beside it keeps review work)."""
    from .pipeline import build as run_build, engine_loader, load_default_glossary

    terms = load_default_glossary(glossary)
    load = engine_loader(engine, _engine_options(model, beams, batch_size, device))
    options = _publish_options(final, page_size, layout, font)
    result = run_build(
        source, terms, load, out, _formats(fmt), options, encoding, _memory(memory, terms, fuzzy_threshold), batch_size
    )
    _report_segments(result.segments)
    _report_translation(result.translation)
    for path in result.outputs:
        typer.echo(f"wrote {path}")


@app.command()
@reports_errors
def segment(
    source: SourceArg,
    glossary: GlossaryOpt = None,
    encoding: EncodingOpt = None,
    memory: MemoryOpt = None,
    fuzzy_threshold: ThresholdOpt = 75.0,
) -> None:
    """Split an article into segments and write (or update) its segment file; new ones are looked up in the memory."""
    from .pipeline import load_default_glossary, segment_source

    terms = load_default_glossary(glossary)
    _, report = segment_source(source, terms, encoding, _memory(memory, terms, fuzzy_threshold))
    _report_segments(report)


@app.command()
@reports_errors
def translate(
    path: DocArg,
    model: ModelOpt = "Helsinki-NLP/opus-mt-zh-en",
    glossary: GlossaryOpt = None,
    engine: EngineOpt = "transformers",
    retranslate: Annotated[
        bool, typer.Option("--retranslate", help="Also re-translate machine-translated segments (not fuzzy-match drafts).")
    ] = False,
    force: Annotated[
        bool,
        typer.Option("--force", help="Also re-translate reviewed/approved segments that the glossary now breaks."),
    ] = False,
    beams: BeamsOpt = 4,
    batch_size: BatchOpt = 16,
    device: DeviceOpt = "auto",
    memory: MemoryOpt = None,
    fuzzy_threshold: ThresholdOpt = 75.0,
) -> None:
    """Machine-translate the segments that need it (memory matches first); reviewed and approved ones are kept.

    The segment file is written after every batch: Ctrl-C keeps what is finished.
    """
    from .pipeline import engine_loader, load_default_glossary, translate_file

    load = engine_loader(engine, _engine_options(model, beams, batch_size, device))
    terms = load_default_glossary(glossary)
    _, report = translate_file(
        path, terms, load, retranslate, force, _memory(memory, terms, fuzzy_threshold), chunk_size=batch_size
    )
    _report_translation(report)


@app.command()
@reports_errors
def publish(
    path: DocArg,
    glossary: GlossaryOpt = None,
    out: OutOpt = Path("output"),
    fmt: FormatOpt = None,
    final: FinalOpt = False,
    page_size: PageOpt = PageSize.A4,
    layout: LayoutOpt = Layout.side_by_side,
    font: FontOpt = None,
) -> None:
    """Typeset a segment file as side-by-side DOCX and PDF."""
    from .pipeline import load_default_glossary, publish_file

    options = _publish_options(final, page_size, layout, font)
    for written in publish_file(path, load_default_glossary(glossary), out, _formats(fmt), options):
        typer.echo(f"wrote {written}")


class ExportTo(StrEnum):
    xliff = "xliff"
    csv = "csv"
    omegat = "omegat"


JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]


@app.command()
@reports_errors
def check(path: DocArg, glossary: GlossaryOpt = None, as_json: JsonOpt = False) -> None:
    """QA a segment file: glossary terms, figures, untranslated text. Exit 1 on any error-level finding."""
    from .pipeline import load_default_glossary, resolve_segment_file
    from .qa import Severity, check_document, term_success
    from .segfile import read_segment_file

    document = read_segment_file(resolve_segment_file(path))
    terms = load_default_glossary(glossary)
    findings = check_document(document, terms)
    stats = term_success(document, terms) if terms else None
    if as_json:
        typer.echo(json.dumps(_check_json(findings, stats), ensure_ascii=False, indent=2))
    else:
        for f in findings:
            typer.echo(f"{f.segment_id} {f.severity}: [{f.check}] {f.message}")
        if stats is not None:
            typer.echo(f"term success {stats.rendered}/{stats.hits} = {stats.rate:.1%}")
            for source, (hits, rendered) in stats.per_term.items():
                if rendered < hits:
                    typer.echo(f"  {source}: {rendered}/{hits}")
        counts = {s: sum(f.severity is s for f in findings) for s in Severity}
        typer.echo(", ".join(f"{n} {s}{'s' if n != 1 else ''}" for s, n in counts.items()))
    if any(f.severity is Severity.ERROR for f in findings):
        raise typer.Exit(1)


def _check_json(findings: list[Any], stats: Any) -> dict[str, Any]:
    report: dict[str, Any] = {
        "findings": [
            {"segment": f.segment_id, "severity": str(f.severity), "check": f.check, "message": f.message}
            | ({"reason": f.reason} if f.reason else {})
            for f in findings
        ]
    }
    if stats is not None:
        report["term_success"] = {
            "hits": stats.hits,
            "rendered": stats.rendered,
            "rate": stats.rate,
            "per_segment": {k: {"hits": h, "rendered": r} for k, (h, r) in stats.per_segment.items()},
            "per_term": {k: {"hits": h, "rendered": r} for k, (h, r) in stats.per_term.items()},
        }
    return report


@app.command()
@reports_errors
def status(path: DocArg, glossary: GlossaryOpt = None) -> None:
    """Review progress: segments by state, QA findings by severity, and what blocks a final publish."""
    from .document import ReviewState
    from .pipeline import load_default_glossary, resolve_segment_file
    from .qa import Severity, check_document
    from .segfile import read_segment_file

    segfile = resolve_segment_file(path)
    document = read_segment_file(segfile)
    findings = check_document(document, load_default_glossary(glossary))
    typer.echo(f"{segfile}: {len(document.segments)} segments")
    for state in ReviewState:
        typer.echo(f"  {state:<20} {sum(s.state is state for s in document.segments)}")
    for severity in Severity:
        typer.echo(f"  QA {severity:<17} {sum(f.severity is severity for f in findings)}")
    blockers = [s.id for s in document.unapproved()]
    errors = sorted({f.segment_id for f in findings if f.severity is Severity.ERROR})
    if not blockers and not errors:
        typer.echo("ready for a final publish")
        return
    if blockers:
        typer.echo(f"final publish blocked: {len(blockers)} segments not approved: {' '.join(blockers[:10])}"
                   + (" ..." if len(blockers) > 10 else ""))
    if errors:
        typer.echo(f"QA errors in: {' '.join(errors[:10])}" + (" ..." if len(errors) > 10 else ""))


@app.command("export")
@reports_errors
def export_(
    path: DocArg,
    to: Annotated[
        ExportTo, typer.Option("--to", help="xliff for CAT tools, csv for spreadsheets, omegat for an OmegaT project folder.")
    ],
    output: Annotated[Path, typer.Option("--output", "-o", help="File to write (a folder for omegat).")],
    glossary: GlossaryOpt = None,
    memory: MemoryOpt = None,
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite an existing file that is not an export of this kind.")
    ] = False,
) -> None:
    """Export a segment file for a CAT tool (XLIFF 1.2, or an OmegaT project) or a spreadsheet (CSV)."""
    from .atomic import write_bytes_atomic
    from .exchange import ExportFormat, check_export_target, export_document
    from .pipeline import load_default_glossary, resolve_segment_file
    from .segfile import read_segment_file

    segfile = resolve_segment_file(path)
    document = read_segment_file(segfile)
    terms = load_default_glossary(glossary)
    settings = _memory(memory, terms)
    if to is ExportTo.omegat:
        from .memory import read_memory
        from .omegat import export_project

        project = export_project(document, output, terms, read_memory(settings.path) if settings.path else None, force)
        typer.echo(
            f"wrote OmegaT project {output}: {len(document.segments)} segments in source/, {project.human} reviewed "
            f"or approved in tm/auto, {project.drafts} drafts in tm/mt, {project.memory} memory entries in tm/"
        )
        return
    fmt = ExportFormat(to.value)
    inputs = {
        "the article": segfile.with_name(document.original) if document.original else None,
        "the segment file": segfile,
        "the glossary": terms.path if terms else None,
        "the translation memory": settings.path,
    }
    check_export_target(output, fmt, inputs, force)
    write_bytes_atomic(output, export_document(document, fmt, terms))
    typer.echo(f"wrote {output} ({len(document.segments)} segments)")


@app.command("import")
@reports_errors
def import_(
    file: Annotated[Path, typer.Argument(help="The edited .xlf/.xliff or .csv file, or an OmegaT project folder.")],
    path: DocArg,
    force: Annotated[bool, typer.Option("--force", help="Also change approved work, and overwrite newer edits.")] = False,
    partial: Annotated[
        bool, typer.Option("--partial", help="Apply the rows that can be applied; list the refused ones.")
    ] = False,
    glossary: GlossaryOpt = None,
    memory: MemoryOpt = None,
    fuzzy_threshold: ThresholdOpt = 75.0,
) -> None:
    """Import a translator's edits (XLIFF, CSV, or what OmegaT wrote) into the segment file; human work goes into the memory."""
    from .exchange import import_file
    from .locking import segment_file_lock
    from .omegat import is_project, target_file
    from .pipeline import load_default_glossary, resolve_segment_file
    from .segfile import read_segment_file

    segfile = resolve_segment_file(path)
    settings = _memory(memory, load_default_glossary(glossary), fuzzy_threshold)
    with segment_file_lock(segfile):
        if is_project(file):
            file = target_file(file, read_segment_file(segfile).name)
            if not file.is_file():
                raise LeshanPubError(f"{file} not found; in OmegaT, create the translated documents (Ctrl+D) first")
        report = import_file(file, segfile, force, partial, settings)
    typer.echo(
        f"updated {len(report.updated)}, unchanged {report.unchanged}, refused {len(report.refused)}"
        + (f", {report.remembered} memory entries recorded in {settings.path}" if report.remembered else "")
        + (f", backup {report.backup}" if report.backup else "")
    )
    for refusal in report.refused:
        typer.echo(f"  refused {refusal.id}: {refusal.reason}", err=True)


@memory_app.command("stats")
@reports_errors
def memory_stats(glossary: GlossaryOpt = None, memory: MemoryOpt = None) -> None:
    """Count the memory's entries by review state and by document."""
    from collections import Counter

    from .memory import read_memory
    from .pipeline import load_default_glossary

    settings = _memory(memory, load_default_glossary(glossary))
    entries = read_memory(settings.path).entries
    typer.echo(f"{settings.path}: {len(entries)} entries")
    for state, count in sorted(Counter(str(e.state) for e in entries).items()):
        typer.echo(f"  {state:<20} {count}")
    for name, count in sorted(Counter(e.document or "(unknown)" for e in entries).items()):
        typer.echo(f"  document {name}: {count}")
    people = Counter(e.who for e in entries if e.who)
    if people:
        typer.echo("  by " + ", ".join(f"{who} ({count})" for who, count in people.most_common()))


@memory_app.command("export")
@reports_errors
def memory_export(
    output: Annotated[Path, typer.Argument(help="The TMX file to write.", dir_okay=False)],
    glossary: GlossaryOpt = None,
    memory: MemoryOpt = None,
) -> None:
    """Write the memory as TMX 1.4b for another CAT tool."""
    from .memory import read_memory, write_memory
    from .pipeline import load_default_glossary

    settings = _memory(memory, load_default_glossary(glossary))
    if output.exists() and settings.path.exists() and output.resolve() == settings.path.resolve():
        raise LeshanPubError(f"{output} is the memory itself; give another file name")
    entries = read_memory(settings.path)
    write_memory(output, entries)
    typer.echo(f"wrote {output} ({len(entries)} entries)")


@memory_app.command("import")
@reports_errors
def memory_import(
    file: Annotated[Path, typer.Argument(help="A TMX file, or a segment file (.zh-en.xlf) whose reviewed work to add.")],
    glossary: GlossaryOpt = None,
    memory: MemoryOpt = None,
) -> None:
    """Merge a TMX (or a segment file's reviewed and approved segments) into the memory; newer English is never displaced."""
    from .files import read_input
    from .memory import MAX_MEMORY_BYTES, MergeReport, TranslationMemory, human_entries, parse_tmx, update_memory
    from .pipeline import load_default_glossary
    from .segfile import SUFFIX, read_segment_file

    settings = _memory(memory, load_default_glossary(glossary))
    if file.name.endswith((SUFFIX, ".xlf", ".xliff")):
        document = read_segment_file(file)
        entries = human_entries(document.segments, document.name)
    else:
        entries = parse_tmx(read_input(file, LeshanPubError, "a TMX file (.tmx)", max_bytes=MAX_MEMORY_BYTES), str(file))
    reports: list[MergeReport] = []

    def merge(tm: TranslationMemory) -> int:
        reports.append(tm.merge(entries))
        return reports[-1].added + reports[-1].updated

    update_memory(settings.path, merge)
    report = reports[-1]
    typer.echo(f"{settings.path}: {report.added} added, {report.updated} updated, {report.unchanged} unchanged, "
               f"{len(report.conflicts)} conflicts")
    for conflict in report.conflicts:
        typer.echo(f"  conflict {conflict}", err=True)


@glossary_app.command("list")
@reports_errors
def glossary_list(
    glossary: GlossaryOpt = None,
    fmt: Annotated[ListFormat, typer.Option("--format", "-f", help="Output format.")] = ListFormat.table,
) -> None:
    """Print the glossary's entries."""
    from .pipeline import DEFAULT_GLOSSARY, load_default_glossary

    terms = load_default_glossary(glossary)
    if terms is None:
        raise LeshanPubError(f"no glossary: {DEFAULT_GLOSSARY} does not exist; pass --glossary FILE")
    records = terms.as_records()
    if fmt is ListFormat.json:
        typer.echo(json.dumps(records, ensure_ascii=False, indent=2))
    elif fmt is ListFormat.tsv:
        for r in records:
            typer.echo(f"{r['source']}\t{r['target']}\t{r['note']}")
    else:
        width = max(len(str(r["source"])) for r in records) if records else 0
        for r in records:
            typer.echo(f"{str(r['source']).ljust(width, _IDEOGRAPHIC_SPACE)}  {r['target']}")


def _glossary_path(glossary: Path | None) -> Path:
    from .pipeline import DEFAULT_GLOSSARY

    return glossary if glossary is not None else DEFAULT_GLOSSARY


ListOpt = Annotated[list[str] | None, typer.Option(help="Repeat for several.")]


@glossary_app.command("validate")
@reports_errors
def glossary_validate(glossary: GlossaryOpt = None) -> None:
    """Find every problem in the glossary, each with its line; exit 1 on any error."""
    from .glossary import validate_glossary

    path = _glossary_path(glossary)
    problems = validate_glossary(path)
    for problem in problems:
        typer.echo(problem.describe(str(path)))
    errors = sum(not p.warning for p in problems)
    typer.echo(f"{path}: {errors} errors, {len(problems) - errors} warnings")
    if errors:
        raise typer.Exit(1)


@glossary_app.command("add")
@reports_errors
def glossary_add(
    source: Annotated[str, typer.Argument(help="The Chinese term.")],
    target: Annotated[str, typer.Argument(help="Its approved English.")],
    variant: ListOpt = None,
    forbidden: ListOpt = None,
    source_variant: ListOpt = None,
    note: Annotated[str, typer.Option(help="A note for people.")] = "",
    replace: Annotated[bool, typer.Option("--replace", help="Replace an existing entry for SOURCE.")] = False,
    glossary: GlossaryOpt = None,
) -> None:
    """Add a term (validated first; the file is rewritten atomically)."""
    from .glossary import Term, add_term

    path = _glossary_path(glossary)
    term = Term(source, target, tuple(variant or ()), tuple(forbidden or ()), note,
                source_variants=tuple(source_variant or ()))
    for problem in add_term(path, term, replace=replace):
        typer.echo(problem.describe(str(path)), err=True)
    typer.echo(f"{path}: {'replaced' if replace else 'added'} {source} = {target}")


@glossary_app.command("remove")
@reports_errors
def glossary_remove(
    source: Annotated[str, typer.Argument(help="The Chinese term to remove.")], glossary: GlossaryOpt = None
) -> None:
    """Remove a term."""
    from .glossary import remove_term

    path = _glossary_path(glossary)
    removed = remove_term(path, source)
    typer.echo(f"{path}: removed {removed.source} = {removed.target}")


@glossary_app.command("import")
@reports_errors
def glossary_import(
    file: Annotated[Path, typer.Argument(help="A .tsv, .csv or .tbx file.")],
    replace: Annotated[bool, typer.Option("--replace", help="Let imported entries replace existing ones.")] = False,
    glossary: GlossaryOpt = None,
) -> None:
    """Merge terms from TSV, CSV or TBX into the glossary."""
    from .glossary import import_terms
    from .termbase import read_terms

    path = _glossary_path(glossary)
    changes = import_terms(path, read_terms(file), replace=replace)
    for problem in changes.warnings:
        typer.echo(problem.describe(str(path)), err=True)
    typer.echo(f"{path}: {len(changes.added)} added, {len(changes.replaced)} replaced, {changes.unchanged} unchanged")


@glossary_app.command("export")
@reports_errors
def glossary_export(
    output: Annotated[Path, typer.Argument(help="A .tsv, .csv or .tbx file to write.", dir_okay=False)],
    glossary: GlossaryOpt = None,
) -> None:
    """Write the glossary as TSV, CSV (for spreadsheets) or TBX-Basic (for CAT tools)."""
    from .glossary import load_glossary
    from .termbase import write_terms

    terms = load_glossary(_glossary_path(glossary))
    write_terms(terms, output)
    typer.echo(f"wrote {output} ({len(terms)} terms)")


def _report_segments(report: Any) -> None:
    memory = f"; memory: {report.memory.exact} exact, {report.memory.fuzzy} fuzzy" if report.memory_path else ""
    typer.echo(
        f"{report.segment_file}: {report.total} segments "
        f"({report.kept} kept, {report.reused} reused, {report.new} new, {len(report.dropped)} dropped){memory}"
    )
    for segment in report.dropped:
        typer.echo(f"  dropped {segment.id} [{segment.state}]: {segment.source[:40]}", err=True)
    if report.backup:
        kept = f"in the translation memory {report.memory_path} and " if report.memory_path else ""
        typer.echo(f"  reviewed work that left the file is kept {kept}in {report.backup}", err=True)


def _report_translation(report: Any) -> None:
    if report.memory.exact or report.memory.fuzzy:
        typer.echo(f"memory: {report.memory.exact} exact matches (reviewed), {report.memory.fuzzy} fuzzy-match drafts")
    if report.glossary_changed:
        typer.echo(f"glossary changed: re-translating {len(report.glossary_changed)} machine-translated segments")
    for segment_id, message in report.broken_human:
        typer.echo(f"  {segment_id}: {message}", err=True)
    for _, reason in report.unspellable:
        typer.echo(f"  glossary: {reason}", err=True)
    typer.echo(f"translated {report.translated} segments, kept {report.kept} (reviewed, approved or already translated)")
    for segment_id, note in report.missing_terms:
        typer.echo(f"  {segment_id}: {note}", err=True)


def main() -> None:
    """Entry point for `python -m leshan_pub`."""
    app(prog_name="leshan-pub")
    sys.exit(0)
