"""Commands for review: QA (check), progress (status), the round trip to CAT tools (export, import), and the browser (review)."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ..errors import LeshanPubError
from .app import app, reports_errors
from .options import (
    DocArg, GlossaryOpt, JsonOpt, MemoryOpt, NoGlossaryOpt, ProjectOpt, ThresholdOpt, command_glossary,
    command_settings, counted, memory_option, publish_options, warn_glossary,
)

if TYPE_CHECKING:
    from ..document import Document
    from ..glossary_in_use import GlossaryInUse
    from ..project import Settings


class ExportTo(StrEnum):
    xliff = "xliff"
    csv = "csv"
    omegat = "omegat"


def _opened(ctx: typer.Context, path: Path) -> tuple[Path, Document, Settings, GlossaryInUse]:
    """The segment file for path (an article or the file itself) and its document, read; then the
    project's settings and the glossary this command enforces."""
    from ..formats.segfile import read_segment_file
    from ..pipeline import resolve_segment_file

    segfile = resolve_segment_file(path)
    document = read_segment_file(segfile)
    settings = command_settings(ctx, path)
    return segfile, document, settings, command_glossary(ctx, settings)


def _warn_stale(segfile: Path, document: Document) -> bool:
    """Say on stderr, in one line, when the article beside segfile was edited after it was segmented; True then."""
    from ..final import stale_article, stale_message

    article = stale_article(segfile, document)
    if article is not None:
        typer.echo(f"leshan-pub: warning: {stale_message(article, segfile)}", err=True)
    return article is not None


def _checked(document: Document, terms: GlossaryInUse) -> tuple[list[Any], Any]:
    """The document's QA findings, and its term success (None without a glossary)."""
    from ..quality.qa import check_document, term_success

    glossary = terms.glossary
    return check_document(document, glossary), term_success(document, glossary) if glossary is not None else None


def _term_success_json(stats: Any) -> Any:
    """term success for --json: 'n/a' without a glossary; rate 'n/a' when no glossary term occurs."""
    if stats is None:
        return "n/a"
    return {
        "hits": stats.hits,
        "rendered": stats.rendered,
        "rate": stats.rate if stats.rate is not None else "n/a",
        "per_segment": {k: {"hits": h, "rendered": r} for k, (h, r) in stats.per_segment.items()},
        "per_term": {k: {"hits": h, "rendered": r} for k, (h, r) in stats.per_term.items()},
    }


def _term_records_json(document: Document) -> dict[str, Any]:
    """How each term occurrence went in, per segment (Segment.terms), and how many went in each way."""
    from ..document import TermMethod

    records = {
        s.id: [{"source": r.source, "target": r.target, "method": str(r.method), "detail": r.detail} for r in s.terms]
        for s in document.segments if s.terms
    }
    counts = {str(m): sum(r.method is m for s in document.segments for r in s.terms) for m in TermMethod}
    return {"terms": records, "term_methods": counts}


def _term_success_text(stats: Any) -> str:
    return stats.describe() if stats is not None else "term success n/a (no glossary)"


def _glossary_json(terms: GlossaryInUse) -> dict[str, Any]:
    glossary = terms.glossary
    return {
        "glossary": {"files": [str(glossary.path)] if glossary and glossary.path else [], "terms": len(glossary)}
        if glossary is not None else None,
        "warnings": terms.warnings,
    }


@app.command()
@reports_errors
def check(
    ctx: typer.Context,
    path: DocArg,
    glossary: GlossaryOpt = None,
    no_glossary: NoGlossaryOpt = False,
    as_json: JsonOpt = False,
    project: ProjectOpt = None,
    skip: Annotated[list[str] | None, typer.Option(
        "--skip", metavar="CHECK", help="Leave out the findings of this check (e.g. term-placed); repeatable.",
    )] = None,
) -> None:
    """QA a segment file: glossary terms, figures, untranslated text. Exit 1 on any error-level finding."""
    from ..quality.qa import CHECKS, Severity

    unknown = [name for name in skip or [] if name not in CHECKS]
    if unknown:
        raise typer.BadParameter(f"no check named {', '.join(unknown)}; use one of {', '.join(CHECKS)}",
                                 param_hint="--skip")
    segfile, document, _, terms = _opened(ctx, path)
    _warn_stale(segfile, document)
    findings, stats = _checked(document, terms)
    findings = [f for f in findings if f.check not in (skip or [])]
    if as_json:
        report = {"findings": [
            {"segment": f.segment_id, "severity": str(f.severity), "check": f.check, "message": f.message}
            | ({"reason": f.reason} if f.reason else {})
            for f in findings
        ], "term_success": _term_success_json(stats), **_term_records_json(document), **_glossary_json(terms)}
        typer.echo(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        for f in findings:
            typer.echo(f"{f.segment_id} {f.severity}: [{f.check}] {f.message}")
        typer.echo(_term_success_text(stats))
        if stats is not None:
            for source, (hits, rendered) in stats.per_term.items():
                if rendered < hits:
                    typer.echo(f"  {source}: {rendered}/{hits}")
        counts = {s: sum(f.severity is s for f in findings) for s in Severity}
        typer.echo(", ".join(f"{n} {s}{'s' if n != 1 else ''}" for s, n in counts.items()))
    warn_glossary(terms)
    if any(f.severity is Severity.ERROR for f in findings):
        raise typer.Exit(1)


@app.command()
@reports_errors
def status(
    ctx: typer.Context,
    path: DocArg,
    glossary: GlossaryOpt = None,
    no_glossary: NoGlossaryOpt = False,
    as_json: JsonOpt = False,
    project: ProjectOpt = None,
) -> None:
    """Review progress: segments by state, QA findings by severity, and what blocks a final publish."""
    from collections import Counter

    from ..document import ReviewState
    from ..final import final_blockers
    from ..quality.qa import Severity

    segfile, document, settings, terms = _opened(ctx, path)
    changed = _warn_stale(segfile, document)
    final = final_blockers([document], terms, [segfile])
    findings, stats = _checked(document, terms)
    states = {str(state): sum(s.state is state for s in document.segments) for state in ReviewState}
    severities = {str(sev): sum(f.severity is sev for f in findings) for sev in Severity}
    blockers = [s.id for s in document.unapproved()]
    errors = sorted({f.segment_id for f in findings if f.severity is Severity.ERROR})
    if as_json:
        report = {
            "project": {"name": settings.name, "file": str(settings.file)} if settings.file else None,
            "segment_file": str(segfile), "segments": len(document.segments), "source_changed": changed,
            "script": str(document.script), "source_language": document.source_language,
            "states": states, "qa": severities,
            "term_success": _term_success_json(stats), "term_methods": _term_records_json(document)["term_methods"],
            **_glossary_json(terms),
            "not_approved": blockers, "qa_errors": errors, "ready_for_final": not final, "final_blockers": final,
            "settings": settings.described(),
            "numbered": [  # as the text output and `approve` number them
                {"number": number, "id": s.id, "state": str(s.state), "memory_draft": s.is_fuzzy_draft}
                | ({"approved_by": s.approval.who, "approved_at": s.approval.when} if s.approval is not None else {})
                for number, s in enumerate(document.segments, 1)
            ],
        }
        typer.echo(json.dumps(report, ensure_ascii=False, indent=2))
        warn_glossary(terms)
        return
    typer.echo(f"{segfile}: {counted(len(document.segments), 'segment')}")
    typer.echo(f"  project: {settings.name or '(unnamed)'} ({settings.file})" if settings.file else "  project: none")
    typer.echo(f"  script               {document.script} ({document.source_language})")
    for state, count in states.items():
        typer.echo(f"  {state:<20} {count}")
    for severity, count in severities.items():
        typer.echo(f"  QA {severity:<17} {count}")
    typer.echo(f"  {_term_success_text(stats)}")
    methods = {m: n for m, n in _term_records_json(document)["term_methods"].items() if n}
    if methods:
        typer.echo("  terms went in: " + ", ".join(f"{n} {m}" for m, n in methods.items()))
    if not final:
        typer.echo("ready for a final publish")
    for reason in final_blockers([], terms):  # the gate with no document judges the glossary alone
        typer.echo(f"final publish blocked: {reason.removeprefix('--final: ')}")
    if changed:
        typer.echo("final publish blocked: the article has changed since the segment file was made; "
                   f"run `leshan-pub segment {segfile.parent / document.original}` (or build)")
    if blockers:
        typer.echo(f"final publish blocked: {counted(len(blockers), 'segment')} not approved: {' '.join(blockers[:10])}"
                   + (" ..." if len(blockers) > 10 else ""))
    if errors:
        typer.echo(f"QA errors in: {' '.join(errors[:10])}" + (" ..." if len(errors) > 10 else ""))
    approvers = Counter(s.approval.who or "(unknown)" for s in document.segments
                        if s.state is ReviewState.APPROVED and s.approval is not None)
    if approvers:
        typer.echo("approved by " + ", ".join(f"{who} ({count})" for who, count in approvers.most_common()))
    if blockers:
        typer.echo(f"not approved (approve with `leshan-pub approve {segfile} NUMBER...`):")
        flagged = set(errors)
        for number, segment in enumerate(document.segments, 1):
            if segment.state is not ReviewState.APPROVED:
                qa = " QA-error" if segment.id in flagged else ""
                draft = " memory-draft" if segment.is_fuzzy_draft else ""
                typer.echo(f"  {number:>4} {segment.id} {segment.state}{draft}{qa}: {_excerpt(segment.source)}")
    warn_glossary(terms)


def _excerpt(text: str, width: int = 30) -> str:
    return text if len(text) <= width else text[:width] + "…"


@app.command()
@reports_errors
def approve(
    ctx: typer.Context,
    path: DocArg,
    segments: Annotated[
        list[str] | None,
        typer.Argument(help="Segment ids, or numbers as `status` lists them (7, or 3-9 for a range).", show_default=False),
    ] = None,
    all_reviewed: Annotated[bool, typer.Option("--all-reviewed", help="Approve every reviewed segment.")] = False,
    include_drafts: Annotated[
        bool, typer.Option("--include-drafts", help="Also approve machine-translated segments and memory drafts.")
    ] = False,
    ignore_qa: Annotated[
        bool, typer.Option("--ignore-qa", help="Approve segments even when QA finds errors (terms, figures).")
    ] = False,
    by: Annotated[
        str | None, typer.Option("--by", help="Who approves (default: $LESHAN_PUB_TRANSLATOR, git's user.name, the login).")
    ] = None,
    glossary: GlossaryOpt = None,
    no_glossary: NoGlossaryOpt = False,
    memory: MemoryOpt = None,
    project: ProjectOpt = None,
) -> None:
    """Approve reviewed segments by id or number, or --all-reviewed; records who and when, and fills the memory."""
    from ..approval import approve_file
    from ..approval_rule import approver
    from ..pipeline import resolve_segment_file

    who = approver(by)
    segfile = resolve_segment_file(path)
    settings = command_settings(ctx, path)
    terms = command_glossary(ctx, settings)
    memory_settings = memory_option(memory, terms.glossary, settings=settings)
    report = approve_file(
        segfile, list(segments or []), all_reviewed, include_drafts, ignore_qa, who, terms.glossary, memory_settings
    )
    typer.echo(
        f"approved {len(report.approved)} as {who} at {report.when}, already approved {len(report.already)}, "
        f"skipped {len(report.skipped)}"
        + (f", {counted(report.remembered, 'memory entry', 'memory entries')} recorded in {memory_settings.path}" if report.remembered else "")
    )
    for segment_id, reason in report.skipped:
        typer.echo(f"  skipped {segment_id}: {reason}", err=True)
    warn_glossary(terms)


@app.command("export")
@reports_errors
def export_(
    ctx: typer.Context,
    path: DocArg,
    to: Annotated[
        ExportTo,
        typer.Option("--to", case_sensitive=False, help="xliff for CAT tools, csv for spreadsheets, omegat for an OmegaT project folder."),
    ],
    output: Annotated[Path, typer.Option("--output", "-o", help="File to write (a folder for omegat).")],
    glossary: GlossaryOpt = None,
    no_glossary: NoGlossaryOpt = False,
    memory: MemoryOpt = None,
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite an existing file that is not an export of this kind.")
    ] = False,
    project: ProjectOpt = None,
) -> None:
    """Export a segment file for a CAT tool (XLIFF 1.2, or an OmegaT project) or a spreadsheet (CSV)."""
    from ..atomic import write_bytes_atomic
    from ..formats.exchange import ExportFormat, check_export_target, export_document

    segfile, document, settings, in_use = _opened(ctx, path)
    _warn_stale(segfile, document)
    terms = in_use.glossary
    memory_settings = memory_option(memory, terms, settings=settings)
    if to is ExportTo.omegat:
        from ..formats.omegat import export_project
        from ..memory import read_memory

        memory_file = read_memory(memory_settings.path) if memory_settings.path else None
        exported = export_project(document, output, terms, memory_file, force)
        typer.echo(
            f"wrote OmegaT project {output}: {counted(len(document.segments), 'segment')} in source/, {exported.human} reviewed "
            f"or approved in tm/auto, {counted(exported.drafts, 'draft')} in tm/mt, "
            f"{counted(exported.memory, 'memory entry', 'memory entries')} in tm/"
        )
        warn_glossary(in_use)
        return
    fmt = ExportFormat(to.value)
    inputs = {
        "the article": segfile.with_name(document.original) if document.original else None,
        "the segment file": segfile,
        "the glossary": terms.path if terms else None,
        "the translation memory": memory_settings.path,
    }
    check_export_target(output, fmt, inputs, force)
    write_bytes_atomic(output, export_document(document, fmt, terms))
    typer.echo(f"wrote {output} ({counted(len(document.segments), 'segment')})")
    warn_glossary(in_use)


@app.command("import")
@reports_errors
def import_(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="The edited .xlf/.xliff or .csv file, or an OmegaT project folder.")],
    path: DocArg,
    force: Annotated[bool, typer.Option("--force", help="Also change approved work, and overwrite newer edits.")] = False,
    partial: Annotated[
        bool, typer.Option("--partial", help="Apply the rows that can be applied; list the refused ones.")
    ] = False,
    glossary: GlossaryOpt = None,
    memory: MemoryOpt = None,
    fuzzy_threshold: ThresholdOpt = 75.0,
    project: ProjectOpt = None,
) -> None:
    """Import a translator's edits (XLIFF, CSV, or what OmegaT wrote) into the segment file; human work goes into the memory."""
    from ..review import import_file
    from ..formats.omegat import is_project, target_file
    from ..formats.segfile import read_segment_file
    from ..locking import segment_file_lock
    from ..pipeline import resolve_segment_file

    segfile = resolve_segment_file(path)
    project_settings = command_settings(ctx, path)
    terms = command_glossary(ctx, project_settings).glossary
    settings = memory_option(memory, terms, fuzzy_threshold, project_settings)
    with segment_file_lock(segfile):
        if is_project(file):
            file = target_file(file, read_segment_file(segfile).name)
            if not file.is_file():
                raise LeshanPubError(f"{file} not found; in OmegaT, create the translated documents (Ctrl+D) first")
        report = import_file(file, segfile, force, partial, settings, terms)
    typer.echo(
        f"updated {len(report.updated)}, unchanged {report.unchanged}, refused {len(report.refused)}"
        + (f", {counted(report.by_sentence, 'row')} matched by their sentence (the file's ids were renumbered)"
           if report.by_sentence else "")
        + (f", {counted(report.remembered, 'memory entry', 'memory entries')} recorded in {settings.path}" if report.remembered else "")
        + (f", backup {report.backup}" if report.backup else "")
    )
    for refusal in report.refused:
        typer.echo(f"  refused {refusal.id}: {refusal.reason}", err=True)
    for held in report.not_approved:
        typer.echo(f"  {held.id} imported as reviewed, not approved: {held.reason.removesuffix('; fix it, or pass --ignore-qa')}; "
                   f"fix it, or approve it anyway with `leshan-pub approve {segfile} {held.id} --ignore-qa`", err=True)


@app.command()
@reports_errors
def review(
    ctx: typer.Context,
    path: DocArg,
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="Port on 127.0.0.1 (default: a free one).")] = 0,
    no_browser: Annotated[bool, typer.Option("--no-browser", help="Do not open a browser; open the file it prints.")] = False,
    glossary: GlossaryOpt = None,
    no_glossary: NoGlossaryOpt = False,
    memory: MemoryOpt = None,
    project: ProjectOpt = None,
) -> None:
    """Review a segment file in the browser: terms, QA and memory matches beside each sentence; saves as import does. Ctrl-C stops."""
    try:
        from ..web.server import ReviewSession, serve
    except ModuleNotFoundError as exc:
        raise LeshanPubError(
            f"review needs {exc.name}, which is not installed; install the extra: pip install 'leshan-pub[review]'"
        ) from None

    segfile, _, settings, terms = _opened(ctx, path)
    session = ReviewSession(
        segfile, terms.glossary, memory_option(memory, terms.glossary, settings=settings), settings.out,
        publish_options(False, settings),
    )
    warn_glossary(terms)
    serve(session, port, not no_browser, typer.echo)
