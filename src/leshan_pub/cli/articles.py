"""Commands on one article: init a project, build, segment, translate, publish, and bind a pack."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any

import typer

from ..paper import DEFAULT_PAGE_SIZE
from .app import app, reports_errors
from .options import (
    BatchOpt, BatchTokensOpt, BeamsOpt, CompileOpt, DeviceOpt, DocArg, EncodingOpt, EngineName, EngineOpt,
    FinalOpt, FontOpt, FormatOpt, GlossaryOpt, GlossaryOrder, GlossaryOrderOpt, Layout, LayoutOpt, MemoryOpt, ModelOpt, NoGlossaryOpt,
    MODEL_SCRIPT_DEFAULT_CHOICE, ModelScriptOpt,
    OutOpt, PageOpt, PageSize, Placement, PlacementOpt, PrecisionOpt, ProjectOpt, RepairOpt, ScriptOpt,
    SourceArg, TermRepair, ThresholdOpt, command_glossary, command_settings, counted,
    memory_option, parse_formats, publish_options, shown, warn_glossary,
)


@app.command()
@reports_errors
def init(
    folder: Annotated[Path, typer.Argument(help="The project folder, created if needed (default: the current folder).")] = Path("."),
    name: Annotated[str | None, typer.Option("--name", help="Project name (default: the folder's name).")] = None,
    organisation: Annotated[str, typer.Option("--organisation", help="Who publishes the articles.")] = "",
) -> None:
    """Make a project: leshan-pub.toml, glossary/ (a starter glossary), source/ and output/."""
    from ..project import STARTER_GLOSSARY, init_project

    report = init_project(folder, name, organisation)
    for path in report.written:
        typer.echo(f"wrote {path}")
    for path in report.kept:
        typer.echo(f"kept {path} (already there)")
    typer.echo(f"next: add terms with `leshan-pub glossary add 术语 term --project {folder}` (or edit "
               f"{folder / STARTER_GLOSSARY}), put articles in {folder / 'source'}/, then "
               f"`leshan-pub build {folder / 'source' / 'ARTICLE.zh.txt'}`")


@app.command()
@reports_errors
def build(
    ctx: typer.Context,
    source: SourceArg,
    model: ModelOpt = "Helsinki-NLP/opus-mt-zh-en",
    glossary: GlossaryOpt = None,
    no_glossary: NoGlossaryOpt = False,
    out: OutOpt = Path("output"),
    engine: EngineOpt = EngineName.transformers,
    fmt: FormatOpt = None,
    final: FinalOpt = False,
    page_size: PageOpt = PageSize(DEFAULT_PAGE_SIZE),
    layout: LayoutOpt = Layout.side_by_side,
    font: FontOpt = None,
    glossary_order: GlossaryOrderOpt = GlossaryOrder.pinyin,
    encoding: EncodingOpt = None,
    source_script: ScriptOpt = "auto",
    beams: BeamsOpt = 4,
    batch_size: BatchOpt = 16,
    device: DeviceOpt = "auto",
    memory: MemoryOpt = None,
    fuzzy_threshold: ThresholdOpt = 75.0,
    project: ProjectOpt = None,
    batch_tokens: BatchTokensOpt = None,
    precision: PrecisionOpt = "auto",
    compile_steps: CompileOpt = False,
    term_repair: RepairOpt = TermRepair.splice,
    placement: PlacementOpt = Placement.owed,
    model_script: ModelScriptOpt = MODEL_SCRIPT_DEFAULT_CHOICE,
) -> None:
    """Segment, translate and publish an article (the segment file beside it keeps review work)."""
    from ..pipeline import build as run_build, engine_loader

    settings = command_settings(ctx, source)
    terms = command_glossary(ctx, settings)
    load = engine_loader(settings.engine, settings.engine_options())
    options = publish_options(final, settings)
    memory_settings = memory_option(memory, terms.glossary, fuzzy_threshold, settings)
    result = run_build(
        source, terms.glossary, load, settings.out, settings.formats, options, settings.encoding, memory_settings,
        settings.batch_size, settings.script, in_use=terms, engine=settings.engine,
    )
    _report_segments(result.segments)
    _report_translation(result.translation)
    for path in result.outputs:
        typer.echo(f"wrote {shown(path)}")
    warn_glossary(terms)


@app.command()
@reports_errors
def segment(
    ctx: typer.Context,
    source: SourceArg,
    glossary: GlossaryOpt = None,
    no_glossary: NoGlossaryOpt = False,
    encoding: EncodingOpt = None,
    memory: MemoryOpt = None,
    fuzzy_threshold: ThresholdOpt = 75.0,
    project: ProjectOpt = None,
    source_script: ScriptOpt = "auto",
) -> None:
    """Split an article into segments and write (or update) its segment file; new ones are looked up in the memory."""
    from ..pipeline import segment_source

    settings = command_settings(ctx, source)
    terms = command_glossary(ctx, settings).glossary
    _, report = segment_source(
        source, terms, settings.encoding, memory_option(memory, terms, fuzzy_threshold, settings), settings.script
    )
    _report_segments(report)


@app.command()
@reports_errors
def translate(
    ctx: typer.Context,
    path: DocArg,
    model: ModelOpt = "Helsinki-NLP/opus-mt-zh-en",
    glossary: GlossaryOpt = None,
    no_glossary: NoGlossaryOpt = False,
    engine: EngineOpt = EngineName.transformers,
    retranslate: Annotated[
        bool, typer.Option("--retranslate", help="Also re-translate machine-translated segments (not memory drafts).")
    ] = False,
    include_memory: Annotated[
        bool, typer.Option("--include-memory", help="With --retranslate: machine-translate memory drafts too.")
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
    project: ProjectOpt = None,
    batch_tokens: BatchTokensOpt = None,
    precision: PrecisionOpt = "auto",
    compile_steps: CompileOpt = False,
    term_repair: RepairOpt = TermRepair.splice,
    placement: PlacementOpt = Placement.owed,
    model_script: ModelScriptOpt = MODEL_SCRIPT_DEFAULT_CHOICE,
) -> None:
    """Machine-translate the segments that need it (memory matches first); reviewed and approved ones are kept.

    The segment file is written after every batch: Ctrl-C keeps what is finished.
    """
    from ..pipeline import engine_loader, translate_file

    from ..errors import LeshanPubError

    if include_memory and not retranslate:
        raise LeshanPubError("--include-memory widens --retranslate to memory drafts; add --retranslate")
    settings = command_settings(ctx, path)
    terms = command_glossary(ctx, settings)
    load = engine_loader(settings.engine, settings.engine_options())
    memory_settings = memory_option(memory, terms.glossary, fuzzy_threshold, settings)
    _, report = translate_file(
        path, terms.glossary, load, retranslate, force, memory_settings, chunk_size=settings.batch_size,
        include_memory=include_memory,
    )
    _report_translation(report)
    warn_glossary(terms)


@app.command()
@reports_errors
def publish(
    ctx: typer.Context,
    path: DocArg,
    glossary: GlossaryOpt = None,
    no_glossary: NoGlossaryOpt = False,
    out: OutOpt = Path("output"),
    fmt: FormatOpt = None,
    final: FinalOpt = False,
    page_size: PageOpt = PageSize(DEFAULT_PAGE_SIZE),
    layout: LayoutOpt = Layout.side_by_side,
    font: FontOpt = None,
    glossary_order: GlossaryOrderOpt = GlossaryOrder.pinyin,
    project: ProjectOpt = None,
) -> None:
    """Typeset a segment file as side-by-side DOCX and PDF."""
    from ..pipeline import publish_file

    settings = command_settings(ctx, path)
    terms = command_glossary(ctx, settings)
    options = publish_options(final, settings)
    for written in publish_file(path, terms.glossary, settings.out, settings.formats, options, in_use=terms):
        typer.echo(f"wrote {shown(written)}")
    warn_glossary(terms)


@app.command()
@reports_errors
def pack(
    ctx: typer.Context,
    articles: Annotated[
        list[Path] | None, typer.Argument(help="Articles (or their segment files), in the order they are bound.")
    ] = None,
    title: Annotated[str | None, typer.Option("--title", help="The pack's title, on the cover.")] = None,
    subtitle: Annotated[str | None, typer.Option("--subtitle", help="A line under the title.")] = None,
    organisation: Annotated[str | None, typer.Option("--organisation", help="Who publishes the pack.")] = None,
    date: Annotated[str | None, typer.Option("--date", help="The date on the cover (default: today).")] = None,
    from_file: Annotated[
        Path | None,
        typer.Option("--from", help="A TOML file with a [pack] table (a pack file or leshan-pub.toml).", dir_okay=False),
    ] = None,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="The pack's PDF (its DOCX goes beside it). Default: output/pack.pdf.")] = None,
    glossary: GlossaryOpt = None,
    no_glossary: NoGlossaryOpt = False,
    fmt: FormatOpt = None,
    final: FinalOpt = False,
    page_size: Annotated[PageSize | None, typer.Option("--page-size", help="Paper size.")] = None,
    layout: Annotated[Layout | None, typer.Option("--layout", help="Side by side, or each paragraph followed by its English.")] = None,
    font: FontOpt = None,
    project: ProjectOpt = None,
    glossary_order: Annotated[
        GlossaryOrder | None,
        typer.Option("--glossary-order", help="The merged glossary: by pinyin, by the English, or in order of first use."),
    ] = None,
) -> None:
    """Bind several articles into one investor pack: cover, contents, articles, one glossary (PDF and DOCX)."""
    from ..pack import PackSpec, build_pack, load_pack_spec
    from ..glossary_in_use import project_glossary

    spec = load_pack_spec(from_file) if from_file is not None else PackSpec()
    spec = spec.merged(
        title=title, subtitle=subtitle, organisation=organisation, date=date, articles=tuple(articles or ()),
        out=out, layout=layout.value if layout else None, page_size=page_size.value if page_size else None,
        formats=tuple(parse_formats(fmt) or ()), glossary=glossary,
        glossary_order=glossary_order.value if glossary_order else None,
    )
    from ..publish import PublishOptions

    options = PublishOptions(
        final=final, page_size=spec.page_size or DEFAULT_PAGE_SIZE, layout=spec.layout or "side-by-side", font=font,
        glossary_order=spec.glossary_order or "pinyin",
    )
    # The project: --project, else the one holding the pack file, else the first article's.
    near = from_file if from_file is not None else (spec.articles[0] if spec.articles else None)
    settings = command_settings(ctx, near)
    terms = project_glossary(settings, no_glossary, spec.glossary)
    for written in build_pack(spec, terms.glossary, options, in_use=terms):
        typer.echo(f"wrote {written}")
    warn_glossary(terms)



def _report_segments(report: Any) -> None:
    memory = f"; memory: {report.memory.exact} exact, {report.memory.fuzzy} fuzzy" if report.memory_path else ""
    typer.echo(
        f"{report.segment_file}: {counted(report.total, 'segment')} "
        f"({report.kept} kept, {report.reused} reused, "
        + (f"{report.remembered} from the memory, " if report.memory_path else "")
        + f"{report.new} new, {len(report.dropped)} dropped){memory}"
    )
    if report.script is not None:
        typer.echo(f"  script {report.script.describe()}")
    for line in report.skipped:
        typer.echo(f"  skipped: {line}", err=True)
    for segment in report.dropped:
        typer.echo(f"  dropped {segment.id} [{segment.state}]: {segment.source[:40]}", err=True)
    if report.backup:
        kept = f"in the translation memory {report.memory_path} and " if report.memory_path else ""
        typer.echo(f"  reviewed work that left the file is kept {kept}in {report.backup}", err=True)


def _report_translation(report: Any) -> None:
    if report.memory.exact or report.memory.fuzzy:
        typer.echo(f"memory: {counted(report.memory.exact, 'exact match', 'exact matches')} (reviewed), "
                   f"{counted(report.memory.fuzzy, 'fuzzy-match draft')}")
    if report.glossary_changed:
        typer.echo(f"glossary changed: re-translating {counted(len(report.glossary_changed), 'machine-translated segment')}")
    for line in summarised(report.broken_human):
        typer.echo(line, err=True)
    for _, reason in report.unspellable:
        typer.echo(f"  glossary: {reason}", err=True)
    typer.echo(f"translated {counted(report.translated, 'segment')}, kept {report.kept} (reviewed, approved or already translated)")
    if report.looked_again:
        typer.echo(f"{counted(report.looked_again, 'segment')} of earlier batches translated again, now that later "
                   "batches have shown how the model renders their glossary terms")
    if report.ruled:
        typer.echo(f"{report.ruled} table cell(s) of figures, units or dates carried by rule, not the model; "
                   "each has a note: check and approve them")
    for line in summarised(report.missing_terms):
        typer.echo(line, err=True)


SHOWN_IDS = 3  # a repeated message names this many segments, then counts them
SHOWN_MESSAGES = 8  # then one line counts the rest; `check` lists every finding
_DETAIL = re.compile(r"\s*\[[^\]]*\]")  # "[reason search-ran-out: ... 247 new tokens ...]"


def summarised(findings: list[tuple[str, str]]) -> list[str]:
    """(segment id, message) pairs as lines: a message said of one segment as '  id: message', a
    message repeated over segments (its bracketed detail aside) once, with how many and the first
    ids; past SHOWN_MESSAGES messages, one line with how many more."""
    by_message: dict[str, list[str]] = {}
    for segment_id, message in findings:
        ids = by_message.setdefault(_DETAIL.sub("", message), [])
        if segment_id not in ids:
            ids.append(segment_id)
    lines = []
    for message, ids in list(by_message.items())[:SHOWN_MESSAGES]:
        if len(ids) == 1:
            lines.append(f"  {ids[0]}: {message}")
        else:
            more = f" and {len(ids) - SHOWN_IDS} more" if len(ids) > SHOWN_IDS else ""
            lines.append(f"  {message} ({len(ids)} segments: {', '.join(ids[:SHOWN_IDS])}{more})")
    rest = list(by_message.values())[SHOWN_MESSAGES:]
    if rest:
        segments = len({i for ids in rest for i in ids})
        lines.append(f"  and {len(rest)} more finding(s) in {segments} segment(s): `leshan-pub check` on the segment file lists them all")
    return lines
