"""The leshan-pub command line: thin typer commands that call the library and report."""

from __future__ import annotations

import dataclasses
import functools
import json
import os
import sys
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from .engines import engine_names
from .errors import LeshanPubError
from .paper import DEFAULT_PAGE_SIZE, PAGE_SIZES

if TYPE_CHECKING:
    from .pipeline import GlossaryInUse
    from .project import Settings

# Plain help (rich_markup_mode=None): typer's rich panels print `<bool>` after every flag.
app = typer.Typer(
    help="Translate Chinese articles into English under an enforced glossary and typeset them "
    "as side-by-side Chinese/English DOCX and PDF.",
    epilog="Each command finds its project by walking up from the article's folder to a leshan-pub.toml "
    "(`leshan-pub init` makes one); --project DIR names it instead. Options given on the command line "
    "win over the project's settings, which win over the defaults shown.",
    no_args_is_help=True,
    add_completion=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)
glossary_app = typer.Typer(
    help="Keep the terminology glossary: list, validate, add, remove, import, export.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(glossary_app, name="glossary")
memory_app = typer.Typer(help="Keep the translation memory (TMX): export, import, stats.", no_args_is_help=True)
app.add_typer(memory_app, name="memory")

F = TypeVar("F", bound=Callable[..., Any])
_IDEOGRAPHIC_SPACE = "\u3000"  # pads Chinese terms to a common width


def _version(value: bool) -> None:
    if value:
        from . import __version__

        typer.echo(f"leshan-pub {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool, typer.Option("--version", help="Print the version and exit.", callback=_version, is_eager=True)
    ] = False,
) -> None:
    """Translate Chinese articles into English under an enforced glossary and typeset them as DOCX and PDF."""


class _QuietWhenReaderLeaves:
    """stdout that goes quiet when its reader closes the pipe (`leshan-pub status x | head -1`).

    The one place a closed pipe is handled: writes after the reader left go to /dev/null, so the
    command finishes as it would have and exits with its own status, without a traceback.
    """

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except BrokenPipeError:
            self._reader_left()
            return len(text)

    def flush(self) -> None:
        try:
            self._stream.flush()
        except BrokenPipeError:
            self._reader_left()

    def _reader_left(self) -> None:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, self._stream.fileno())
        os.close(devnull)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


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


def _parse_formats(values: list[str] | None) -> list[str] | None:
    """--format values as format names: comma-separated or repeated, any case ('PDF', 'pdf,docx')."""
    if not values:
        return None
    from .publish import format_names

    names = [part.strip().lower() for value in values for part in value.split(",") if part.strip()]
    unknown = [n for n in names if n not in format_names()]
    if unknown or not names:
        raise typer.BadParameter(
            f"{', '.join(map(repr, unknown)) or 'nothing'} is not an output format; "
            f"use {', '.join(format_names())} (comma-separated or repeated)"
        )
    return list(dict.fromkeys(names))


# No dir_okay=False on file arguments: the library's one-line "is a folder" message beats click's usage box.
SourceArg = Annotated[Path, typer.Argument(help="The Chinese article (.txt, .md or .docx).")]
DocArg = Annotated[Path, typer.Argument(help="The article or its segment file (.zh-en.xlf).")]
GlossaryOpt = Annotated[
    Path | None,
    typer.Option("--glossary", "-g", help="Glossary file (.tsv/.csv). Default: the project's glossary files."),
]
NoGlossaryOpt = Annotated[
    bool,
    typer.Option("--no-glossary", help="Run without a glossary on purpose: no warning, and --final is allowed."),
]
ProjectOpt = Annotated[
    Path | None,
    typer.Option("--project", help="The project folder (holding leshan-pub.toml). Default: found from the article's folder up."),
]
ModelOpt = Annotated[
    str, typer.Option("--model", "-m", help="Hugging Face hub id or local folder of a MarianMT model.")
]
# Built from the engine registry, so --help lists the engines and a new one needs no edit here.
EngineName = StrEnum("EngineName", {name: name for name in engine_names()})
EngineOpt = Annotated[
    EngineName,
    typer.Option(
        "--engine",
        help="Translation engine: transformers (PyTorch), or ctranslate2 (int8 on the CPU, several times faster).",
    ),
]
OutOpt = Annotated[
    Path,
    typer.Option(
        "--out", "-o", file_okay=False, show_default=False,
        help="Folder for the published DOCX and PDF (default: the project's output/, else ./output).",
    ),
]
FormatOpt = Annotated[
    list[str] | None,
    typer.Option("--format", "-f", callback=_parse_formats, metavar="<docx,pdf>", help="Output formats: docx, pdf (comma-separated or repeated)."),
]
FinalOpt = Annotated[bool, typer.Option("--final", help="Refuse to publish unless every segment is approved, QA is clean and the glossary is enforced.")]


PageSize = StrEnum("PageSize", [(name, name) for name in PAGE_SIZES])  # type: ignore[misc]


class Layout(StrEnum):
    side_by_side = "side-by-side"
    interleaved = "interleaved"


PageOpt = Annotated[PageSize, typer.Option("--page-size", help="Paper size of the PDF.")]
LayoutOpt = Annotated[
    Layout,
    typer.Option("--layout", help="Chinese and English side by side, or each paragraph followed by its English."),
]
FontOpt = Annotated[
    Path | None,
    typer.Option("--font", help="Your own TrueType (.ttf/.ttc) CJK font for the PDF.", exists=True, dir_okay=False),
]
EncodingOpt = Annotated[
    str | None,
    typer.Option("--encoding", help="Source encoding: utf-8, gb18030, big5 or utf-16 (default: detected)."),
]
ScriptOpt = Annotated[
    str,
    typer.Option("--source-script", help="The article's script: auto (detected), zh-Hans or zh-Hant."),
]
BeamsOpt = Annotated[int, typer.Option("--beams", min=1, max=16, help="Beam size.")]
BatchOpt = Annotated[int, typer.Option("--batch-size", min=1, max=1024, help="Segments per batch.")]
DeviceOpt = Annotated[str, typer.Option("--device", help="auto, cpu, cuda or cuda:N.")]
MemoryOpt = Annotated[
    Path | None,
    typer.Option("--memory", help="Translation memory (.tmx). Default: the project's (glossary.memory), else memory.tmx beside the glossary in use."),
]
ThresholdOpt = Annotated[
    float,
    typer.Option("--fuzzy-threshold", min=1, max=100, help="Lowest score (%) at which a memory match is offered."),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]


def _memory(memory: Path | None, glossary: Any, threshold: float = 75.0, settings: Settings | None = None):  # noqa: ANN202
    from .pipeline import resolve_memory

    return resolve_memory(memory, glossary, threshold, settings)


def _project_memory(memory: Path | None, glossary: Path | None):  # noqa: ANN202
    """The memory of the project found from the current folder (for commands that take no article)."""
    from .pipeline import project_glossary
    from .project import load_settings

    settings = load_settings()
    return _memory(memory, project_glossary(settings, explicit=glossary).glossary, settings=settings)


# --- the project: settings, glossary and the warning when terms are not enforced ---------------------

# command parameter -> Settings field it overrides when given on the command line
_OVERRIDES = {
    "model": "model", "engine": "engine", "beams": "beams", "batch_size": "batch_size", "device": "device",
    "out": "out", "fmt": "formats", "page_size": "page_size", "layout": "layout", "font": "font",
    "encoding": "encoding", "source_script": "script",
}


def _settings(ctx: typer.Context, near: Path | None) -> Settings:
    """The project's settings (found from near, or --project), with the options given on the command line applied."""
    from .project import load_settings

    settings = load_settings(near, ctx.params.get("project"))
    given: dict[str, Any] = {}
    for param, field in _OVERRIDES.items():
        source = ctx.get_parameter_source(param) if param in ctx.params else None
        if source is not None and source.name in ("COMMANDLINE", "ENVIRONMENT"):
            value = ctx.params[param]
            given[field] = value.value if isinstance(value, StrEnum) else tuple(value) if isinstance(value, list) else value
    return settings.override(**given)


def _glossary(ctx: typer.Context, settings: Settings) -> GlossaryInUse:
    """The glossary this command enforces: --glossary, --no-glossary, or the project's files."""
    from .pipeline import project_glossary

    return project_glossary(settings, bool(ctx.params.get("no_glossary")), ctx.params.get("glossary"))


def _warn(in_use: GlossaryInUse) -> None:
    """Say on stderr when terms are not enforced; printed once the command's input has proved good."""
    for warning in in_use.warnings:
        typer.echo(f"leshan-pub: warning: {warning}", err=True)


BatchTokensOpt = Annotated[
    int | None,
    typer.Option("--batch-tokens", min=1, help="Most source tokens per batch (padded); large on a GPU, e.g. 16384."),
]
PrecisionOpt = Annotated[
    str,
    typer.Option(
        "--precision",
        help="auto; transformers: float32, float16, bfloat16 (GPU); ctranslate2: int8, float32, float16, int8_float16.",
    ),
]
CompileOpt = Annotated[
    bool, typer.Option("--compile", help="transformers on a CUDA GPU: static cache and compiled decoding steps.")
]


class TermRepair(StrEnum):
    continue_ = "continue"
    splice = "splice"


RepairOpt = Annotated[
    TermRepair,
    typer.Option(
        "--term-repair",
        help="How a term the model's draft lacks goes in: in place of the model's own words for it (splice), "
        "and the rest of the sentence decoded again after it (continue).",
    ),
]


class Placement(StrEnum):
    owed = "owed"
    attention = "attention"


PlacementOpt = Annotated[
    Placement,
    typer.Option(
        "--placement",
        help="Where a term whose rendering is not found in the draft goes: the words that owe most to its "
        "Chinese (owed; one more read of the draft per term) or the words the attention aligns to it (attention; cheaper).",
    ),
]


@dataclasses.dataclass(frozen=True)
class SpeedSettings:
    """The engine settings that change speed: token budget, precision, compiled decoding, term repair."""

    batch_tokens: int | None = None
    precision: str = "auto"
    compile: bool = False
    term_repair: str = "splice"
    placement: str = "owed"


def _engine_options(settings: Settings, speed: SpeedSettings | None = None):  # noqa: ANN202
    from .engines import EngineOptions

    speed = speed or SpeedSettings()
    return EngineOptions(
        model=settings.model, num_beams=settings.beams, batch_size=settings.batch_size, device=settings.device,
        **dataclasses.asdict(speed),
    )


def _publish_options(final: bool, settings: Settings):  # noqa: ANN202
    from .publish import PublishOptions

    return PublishOptions(final=final, page_size=settings.page_size, layout=settings.layout, font=settings.font)


def _shown(path: Path) -> Path:
    from .project import relative_to_cwd

    return relative_to_cwd(path)


@app.command()
@reports_errors
def init(
    folder: Annotated[Path, typer.Argument(help="The project folder, created if needed (default: the current folder).")] = Path("."),
    name: Annotated[str | None, typer.Option("--name", help="Project name (default: the folder's name).")] = None,
    organisation: Annotated[str, typer.Option("--organisation", help="Who publishes the articles.")] = "",
) -> None:
    """Make a project: leshan-pub.toml, glossary/ (a starter glossary), source/ and output/."""
    from .project import STARTER_GLOSSARY, init_project

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
) -> None:
    """Segment, translate and publish an article (the segment file beside it keeps review work)."""
    from .pipeline import build as run_build, engine_loader

    settings = _settings(ctx, source)
    terms = _glossary(ctx, settings)
    if final:
        terms.require_for_final()
    speed = SpeedSettings(batch_tokens, precision, compile_steps, term_repair.value, placement.value)
    load = engine_loader(settings.engine, _engine_options(settings, speed))
    options = _publish_options(final, settings)
    memory_settings = _memory(memory, terms.glossary, fuzzy_threshold, settings)
    result = run_build(
        source, terms.glossary, load, settings.out, settings.formats, options, settings.encoding, memory_settings,
        settings.batch_size, settings.script,
    )
    _report_segments(result.segments)
    _report_translation(result.translation)
    for path in result.outputs:
        typer.echo(f"wrote {_shown(path)}")
    _warn(terms)


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
    from .pipeline import segment_source

    settings = _settings(ctx, source)
    terms = _glossary(ctx, settings).glossary
    _, report = segment_source(
        source, terms, settings.encoding, _memory(memory, terms, fuzzy_threshold, settings), settings.script
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
    project: ProjectOpt = None,
    batch_tokens: BatchTokensOpt = None,
    precision: PrecisionOpt = "auto",
    compile_steps: CompileOpt = False,
    term_repair: RepairOpt = TermRepair.splice,
    placement: PlacementOpt = Placement.owed,
) -> None:
    """Machine-translate the segments that need it (memory matches first); reviewed and approved ones are kept.

    The segment file is written after every batch: Ctrl-C keeps what is finished.
    """
    from .pipeline import engine_loader, translate_file

    settings = _settings(ctx, path)
    terms = _glossary(ctx, settings)
    speed = SpeedSettings(batch_tokens, precision, compile_steps, term_repair.value, placement.value)
    load = engine_loader(settings.engine, _engine_options(settings, speed))
    memory_settings = _memory(memory, terms.glossary, fuzzy_threshold, settings)
    _, report = translate_file(
        path, terms.glossary, load, retranslate, force, memory_settings, chunk_size=settings.batch_size
    )
    _report_translation(report)
    _warn(terms)


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
    project: ProjectOpt = None,
) -> None:
    """Typeset a segment file as side-by-side DOCX and PDF."""
    from .pipeline import publish_file

    settings = _settings(ctx, path)
    terms = _glossary(ctx, settings)
    if final:
        terms.require_for_final()
    options = _publish_options(final, settings)
    for written in publish_file(path, terms.glossary, settings.out, settings.formats, options):
        typer.echo(f"wrote {_shown(written)}")
    _warn(terms)


@app.command()
@reports_errors
def pack(
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
    fmt: FormatOpt = None,
    final: FinalOpt = False,
    page_size: Annotated[PageSize | None, typer.Option("--page-size", help="Paper size.")] = None,
    layout: Annotated[Layout | None, typer.Option("--layout", help="Side by side, or each paragraph followed by its English.")] = None,
    font: FontOpt = None,
) -> None:
    """Bind several articles into one investor pack: cover, contents, articles, one glossary (PDF and DOCX)."""
    from .pack import PackSpec, build_pack, load_pack_spec
    from .pipeline import load_default_glossary

    spec = load_pack_spec(from_file) if from_file is not None else PackSpec()
    spec = spec.merged(
        title=title, subtitle=subtitle, organisation=organisation, date=date, articles=tuple(articles or ()),
        out=out, layout=layout.value if layout else None, page_size=page_size.value if page_size else None,
        formats=tuple(_parse_formats(fmt) or ()), glossary=glossary,
    )
    from .publish import PublishOptions

    options = PublishOptions(final=final, page_size=spec.page_size or DEFAULT_PAGE_SIZE, layout=spec.layout or "side-by-side", font=font)
    for written in build_pack(spec, load_default_glossary(spec.glossary), options):
        typer.echo(f"wrote {written}")


class ExportTo(StrEnum):
    xliff = "xliff"
    csv = "csv"
    omegat = "omegat"


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
) -> None:
    """QA a segment file: glossary terms, figures, untranslated text. Exit 1 on any error-level finding."""
    from .formats.segfile import read_segment_file
    from .pipeline import resolve_segment_file
    from .quality.qa import Severity, check_document, term_success

    document = read_segment_file(resolve_segment_file(path))
    terms = _glossary(ctx, _settings(ctx, path))
    findings = check_document(document, terms.glossary)
    stats = term_success(document, terms.glossary) if terms.glossary is not None else None
    if as_json:
        report = {"findings": [
            {"segment": f.segment_id, "severity": str(f.severity), "check": f.check, "message": f.message}
            | ({"reason": f.reason} if f.reason else {})
            for f in findings
        ], "term_success": _term_success_json(stats), **_glossary_json(terms)}
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
    _warn(terms)
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
    from .document import ReviewState
    from .pipeline import resolve_segment_file
    from .formats.segfile import read_segment_file
    from .quality.qa import Severity, check_document, term_success

    segfile = resolve_segment_file(path)
    document = read_segment_file(segfile)
    settings = _settings(ctx, path)
    terms = _glossary(ctx, settings)
    findings = check_document(document, terms.glossary)
    stats = term_success(document, terms.glossary) if terms.glossary is not None else None
    states = {str(state): sum(s.state is state for s in document.segments) for state in ReviewState}
    severities = {str(sev): sum(f.severity is sev for f in findings) for sev in Severity}
    blockers = [s.id for s in document.unapproved()]
    errors = sorted({f.segment_id for f in findings if f.severity is Severity.ERROR})
    if as_json:
        report = {
            "project": {"name": settings.name, "file": str(settings.file)} if settings.file else None,
            "segment_file": str(segfile), "segments": len(document.segments),
            "script": str(document.script), "source_language": document.source_language,
            "states": states, "qa": severities,
            "term_success": _term_success_json(stats), **_glossary_json(terms),
            "not_approved": blockers, "qa_errors": errors, "ready_for_final": not blockers and not errors,
        }
        typer.echo(json.dumps(report, ensure_ascii=False, indent=2))
        _warn(terms)
        return
    typer.echo(f"{segfile}: {len(document.segments)} segments")
    typer.echo(f"  project: {settings.name or '(unnamed)'} ({settings.file})" if settings.file else "  project: none")
    typer.echo(f"  script               {document.script} ({document.source_language})")
    for state, count in states.items():
        typer.echo(f"  {state:<20} {count}")
    for severity, count in severities.items():
        typer.echo(f"  QA {severity:<17} {count}")
    typer.echo(f"  {_term_success_text(stats)}")
    if not blockers and not errors:
        typer.echo("ready for a final publish")
    if blockers:
        typer.echo(f"final publish blocked: {len(blockers)} segments not approved: {' '.join(blockers[:10])}"
                   + (" ..." if len(blockers) > 10 else ""))
    if errors:
        typer.echo(f"QA errors in: {' '.join(errors[:10])}" + (" ..." if len(errors) > 10 else ""))
    _warn(terms)


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
    from .atomic import write_bytes_atomic
    from .formats.exchange import ExportFormat, check_export_target, export_document
    from .formats.segfile import read_segment_file
    from .pipeline import resolve_segment_file

    segfile = resolve_segment_file(path)
    document = read_segment_file(segfile)
    settings = _settings(ctx, path)
    in_use = _glossary(ctx, settings)
    terms = in_use.glossary
    memory_settings = _memory(memory, terms, settings=settings)
    if to is ExportTo.omegat:
        from .formats.omegat import export_project
        from .memory import read_memory

        memory_file = read_memory(memory_settings.path) if memory_settings.path else None
        exported = export_project(document, output, terms, memory_file, force)
        typer.echo(
            f"wrote OmegaT project {output}: {len(document.segments)} segments in source/, {exported.human} reviewed "
            f"or approved in tm/auto, {exported.drafts} drafts in tm/mt, {exported.memory} memory entries in tm/"
        )
        _warn(in_use)
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
    typer.echo(f"wrote {output} ({len(document.segments)} segments)")
    _warn(in_use)


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
    from .formats.exchange import import_file
    from .formats.omegat import is_project, target_file
    from .formats.segfile import read_segment_file
    from .locking import segment_file_lock
    from .pipeline import resolve_segment_file

    segfile = resolve_segment_file(path)
    project_settings = _settings(ctx, path)
    settings = _memory(memory, _glossary(ctx, project_settings).glossary, fuzzy_threshold, project_settings)
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
    settings = _project_memory(memory, glossary)
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
    settings = _project_memory(memory, glossary)
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
    from .formats.segfile import SUFFIX, read_segment_file
    from .memory import MAX_MEMORY_BYTES, MergeReport, TranslationMemory, human_entries, parse_tmx, update_memory

    settings = _project_memory(memory, glossary)
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


def _glossary_files(glossary: Path | None, project: Path | None) -> list[Path]:
    """The glossary files a glossary command works on: --glossary, else the project's (found from the current folder)."""
    if glossary is not None:
        return [glossary]
    from .project import load_settings

    settings = load_settings(None, project)
    if not settings.glossaries:
        where = f"{settings.file} lists none in glossary.files" if settings.file else \
            f"no leshan-pub.toml in {Path.cwd()} or above"
        raise LeshanPubError(f"no glossary: {where}; run `leshan-pub init` or pass --glossary FILE")
    return list(settings.glossaries)


def _glossary_to_edit(glossary: Path | None, project: Path | None, source: str | None = None) -> Path:
    """The file an edit goes to: --glossary, else the project file that holds source, else the project's first."""
    files = _glossary_files(glossary, project)
    if source is not None and len(files) > 1:
        from .glossary import load_glossary

        for path in files:
            if path.is_file() and load_glossary(path).get(source) is not None:
                return path
    return files[0]


GlossaryProjectOpt = Annotated[
    Path | None,
    typer.Option("--project", help="The project folder (holding leshan-pub.toml). Default: found from the current folder up."),
]


@glossary_app.command("list")
@reports_errors
def glossary_list(
    glossary: GlossaryOpt = None,
    fmt: Annotated[ListFormat, typer.Option("--format", "-f", case_sensitive=False, help="Output format.")] = ListFormat.table,
    project: GlossaryProjectOpt = None,
) -> None:
    """Print the glossary's entries (every glossary file of the project, merged)."""
    from .glossary import load_glossaries

    records = load_glossaries(_glossary_files(glossary, project)).as_records()
    if fmt is ListFormat.json:
        typer.echo(json.dumps(records, ensure_ascii=False, indent=2))
    elif fmt is ListFormat.tsv:
        for r in records:
            typer.echo(f"{r['source']}\t{r['target']}\t{r['note']}")
    else:
        width = max(len(str(r["source"])) for r in records) if records else 0
        for r in records:
            typer.echo(f"{str(r['source']).ljust(width, _IDEOGRAPHIC_SPACE)}  {r['target']}")


ListOpt = Annotated[list[str] | None, typer.Option(help="Repeat for several.")]


@glossary_app.command("validate")
@reports_errors
def glossary_validate(glossary: GlossaryOpt = None, project: GlossaryProjectOpt = None) -> None:
    """Find every problem in the glossary files, each with its line; exit 1 on any error."""
    from .glossary import load_glossaries, validate_glossary

    files = _glossary_files(glossary, project)
    total = 0
    for path in files:
        problems = validate_glossary(path)
        for problem in problems:
            typer.echo(problem.describe(str(path)))
        errors = sum(not p.warning for p in problems)
        total += errors
        typer.echo(f"{path}: {errors} errors, {len(problems) - errors} warnings")
    if total:
        raise typer.Exit(1)
    load_glossaries(files)  # the files agree with each other: a term in two files is an error


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
    project: GlossaryProjectOpt = None,
) -> None:
    """Add a term (validated first; the file is rewritten atomically)."""
    from .glossary import Term, add_term

    path = _glossary_to_edit(glossary, project, source)
    term = Term(source, target, tuple(variant or ()), tuple(forbidden or ()), note,
                source_variants=tuple(source_variant or ()))
    for problem in add_term(path, term, replace=replace):
        typer.echo(problem.describe(str(path)), err=True)
    typer.echo(f"{path}: {'replaced' if replace else 'added'} {source} = {target}")


@glossary_app.command("remove")
@reports_errors
def glossary_remove(
    source: Annotated[str, typer.Argument(help="The Chinese term to remove.")],
    glossary: GlossaryOpt = None,
    project: GlossaryProjectOpt = None,
) -> None:
    """Remove a term."""
    from .glossary import remove_term

    path = _glossary_to_edit(glossary, project, source)
    removed = remove_term(path, source)
    typer.echo(f"{path}: removed {removed.source} = {removed.target}")


@glossary_app.command("import")
@reports_errors
def glossary_import(
    file: Annotated[Path, typer.Argument(help="A .tsv, .csv or .tbx file.")],
    replace: Annotated[bool, typer.Option("--replace", help="Let imported entries replace existing ones.")] = False,
    glossary: GlossaryOpt = None,
    project: GlossaryProjectOpt = None,
) -> None:
    """Merge terms from TSV, CSV or TBX into the glossary (the project's first glossary file)."""
    from .formats.termbase import read_terms
    from .glossary import import_terms

    path = _glossary_to_edit(glossary, project)
    changes = import_terms(path, read_terms(file), replace=replace)
    for problem in changes.warnings:
        typer.echo(problem.describe(str(path)), err=True)
    typer.echo(f"{path}: {len(changes.added)} added, {len(changes.replaced)} replaced, {changes.unchanged} unchanged")


@glossary_app.command("export")
@reports_errors
def glossary_export(
    output: Annotated[Path, typer.Argument(help="A .tsv, .csv or .tbx file to write.", dir_okay=False)],
    glossary: GlossaryOpt = None,
    project: GlossaryProjectOpt = None,
) -> None:
    """Write the glossary as TSV, CSV (for spreadsheets) or TBX-Basic (for CAT tools)."""
    from .formats.termbase import write_terms
    from .glossary import load_glossaries

    terms = load_glossaries(_glossary_files(glossary, project))
    write_terms(terms, output)
    typer.echo(f"wrote {output} ({len(terms)} terms)")


def _report_segments(report: Any) -> None:
    memory = f"; memory: {report.memory.exact} exact, {report.memory.fuzzy} fuzzy" if report.memory_path else ""
    typer.echo(
        f"{report.segment_file}: {report.total} segments "
        f"({report.kept} kept, {report.reused} reused, {report.new} new, {len(report.dropped)} dropped){memory}"
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
    """Entry point of `leshan-pub` and `python -m leshan_pub`; a reader closing the pipe early is no error."""
    sys.stdout = _QuietWhenReaderLeaves(sys.stdout)  # type: ignore[assignment]
    app(prog_name="leshan-pub")
