"""The options commands share, and how they meet the project's settings (command line over project over defaults)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ..engines import engine_names
from ..paper import PAGE_SIZES
from ..script import MODEL_SCRIPT_DEFAULT, MODEL_SCRIPTS

if TYPE_CHECKING:
    from ..pipeline import GlossaryInUse
    from ..project import Settings


class ListFormat(StrEnum):
    table = "table"
    json = "json"
    tsv = "tsv"


def parse_formats(values: list[str] | None) -> list[str] | None:
    """--format values as format names: comma-separated or repeated, any case ('PDF', 'pdf,docx')."""
    if not values:
        return None
    from ..publish import format_names

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
    typer.Option("--format", "-f", callback=parse_formats, metavar="<docx,pdf>", help="Output formats: docx, pdf (comma-separated or repeated)."),
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
class GlossaryOrder(StrEnum):
    pinyin = "pinyin"
    english = "english"
    first_use = "first-use"


GlossaryOrderOpt = Annotated[
    GlossaryOrder,
    typer.Option("--glossary-order", help="The glossary appendix: by the Chinese term's pinyin, by the English, or in order of first use."),
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


def memory_option(memory: Path | None, glossary: Any, threshold: float = 75.0, settings: Settings | None = None):  # noqa: ANN202
    from ..glossary_in_use import resolve_memory

    return resolve_memory(memory, glossary, threshold, settings)


def project_memory_option(memory: Path | None, glossary: Path | None):  # noqa: ANN202
    """The memory of the project found from the current folder (for commands that take no article)."""
    from ..glossary_in_use import project_glossary
    from ..project import load_settings

    settings = load_settings()
    return memory_option(memory, project_glossary(settings, explicit=glossary).glossary, settings=settings)


# --- the project: settings, glossary and the warning when terms are not enforced ---------------------

# command parameter -> the Settings field it sets when given on the command line
OPTION_FIELDS = {
    "model": "model", "engine": "engine", "beams": "beams", "batch_size": "batch_size", "device": "device",
    "out": "out", "fmt": "formats", "page_size": "page_size", "layout": "layout", "font": "font",
    "glossary_order": "glossary_order",
    "encoding": "encoding", "source_script": "script", "batch_tokens": "batch_tokens", "precision": "precision",
    "compile_steps": "compile", "term_repair": "term_repair", "placement": "placement",
    "model_script": "model_script",
}


def command_line(ctx: typer.Context) -> dict[str, Any]:
    """The Settings fields this command's options set: only those the user gave (typed or from the environment)."""
    given: dict[str, Any] = {}
    for param, field in OPTION_FIELDS.items():
        source = ctx.get_parameter_source(param) if param in ctx.params else None
        if source is not None and source.name in ("COMMANDLINE", "ENVIRONMENT"):
            value = ctx.params[param]
            given[field] = value.value if isinstance(value, StrEnum) else tuple(value) if isinstance(value, list) else value
    return given


def command_settings(ctx: typer.Context, near: Path | None) -> Settings:
    """The command's Settings, built once by project.load_settings from defaults, the project (found from
    near, or --project) and the options given on the command line."""
    from ..project import load_settings

    return load_settings(near, ctx.params.get("project"), command_line(ctx))


def command_glossary(ctx: typer.Context, settings: Settings) -> GlossaryInUse:
    """The glossary this command enforces: --glossary, --no-glossary, or the project's files."""
    from ..glossary_in_use import project_glossary

    return project_glossary(settings, bool(ctx.params.get("no_glossary")), ctx.params.get("glossary"))


def warn_glossary(in_use: GlossaryInUse) -> None:
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
        help="auto; transformers: float32, float16 (GPU), bfloat16 (GPU, or a CPU with AVX512-BF16/AMX); "
        "ctranslate2: int8, float32, float16, int8_float16.",
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
    judgement = "judgement"


PlacementOpt = Annotated[
    Placement,
    typer.Option(
        "--placement",
        help="Where a term whose rendering is not found in the draft (the model's rendering of it alone, or "
        "in the document's other sentences) goes: the words that owe most to its Chinese (owed; one more read "
        "of the draft per term), the words the attention aligns to it (attention; cheaper), or the place whose "
        "sentence the model scores best (judgement; costly, flags unclear places; docs/placement.md).",
    ),
]


# One member per script.MODEL_SCRIPTS value ('zh-Hans', 'as-written'), so the choices have one source.
ModelScript = StrEnum("ModelScript", {value.replace("-", "_"): value for value in MODEL_SCRIPTS})
MODEL_SCRIPT_DEFAULT_CHOICE = ModelScript(MODEL_SCRIPT_DEFAULT)
ModelScriptOpt = Annotated[
    ModelScript,
    typer.Option(
        "--model-script",
        help="The script the model reads: zh-Hans converts a traditional article to simplified for it (the "
        "segment file and publications keep the author's script), as-written feeds it as written.",
    ),
]


def publish_options(final: bool, settings: Settings):  # noqa: ANN202
    from ..publish import PublishOptions

    return PublishOptions(
        final=final, page_size=settings.page_size, layout=settings.layout, font=settings.font,
        glossary_order=settings.glossary_order,
    )


def counted(number: int, noun: str, plural: str = "") -> str:
    """'1 segment', '2 segments', '0 segments': a count with its noun in the right number (plural: an
    irregular one, 'entries')."""
    return f"{number} {noun if number == 1 else plural or noun + 's'}"


def shown(path: Path) -> Path:
    from ..project import relative_to_cwd

    return relative_to_cwd(path)
