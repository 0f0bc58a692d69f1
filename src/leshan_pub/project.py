"""Projects: `leshan-pub.toml` found by walking up from an article's folder, and the one Settings every command reads."""

from __future__ import annotations

import codecs
import dataclasses
import difflib
import json
import os
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .atomic import write_bytes_atomic
from .errors import ProjectError
from .paper import DEFAULT_PAGE_SIZE, PAGE_SIZES
from .script import MODEL_SCRIPT_DEFAULT, MODEL_SCRIPTS

PROJECT_FILE = "leshan-pub.toml"
STARTER_GLOSSARY = "glossary/terms.tsv"
STARTER_GLOSSARY_HEADER = "source\ttarget\ttarget_variants\tforbidden\tsource_variants\tnote\n"
SCRIPTS = ("auto", "zh-Hans", "zh-Hant")
_DEVICE = re.compile(r"auto|cpu|cuda(:\d+)?")
_MAX_TOML_BYTES = 1024 * 1024  # a settings file, not a data file

# Where a setting's value came from, lowest to highest precedence.
DEFAULT, PROJECT, COMMAND_LINE = "default", "project", "command line"


@dataclass(frozen=True)
class Settings:
    """Every setting a command runs with, with paths resolved against the project folder.

    Built in one place, load_settings: the defaults, then the project's leshan-pub.toml, then the
    options given on the command line; origins records where each field's value came from.
    root and file are None when no project was found: the built-in defaults apply and no
    glossary is enforced. Paths given on the command line are relative to the current folder.
    """

    root: Path | None = None
    file: Path | None = None
    name: str = ""
    organisation: str = ""
    glossaries: tuple[Path, ...] = ()  # every file's terms are merged and enforced
    memory: Path | None = None  # translation memory (TMX); None without a project
    engine: str = "transformers"
    model: str = "Helsinki-NLP/opus-mt-zh-en"  # hub id, or a folder (resolved when it exists)
    beams: int = 4
    batch_size: int = 16
    device: str = "auto"
    script: str = "auto"  # auto (detected), zh-Hans or zh-Hant
    encoding: str | None = None  # None: detected
    out: Path = Path("output")
    formats: tuple[str, ...] = ("docx", "pdf")
    page_size: str = DEFAULT_PAGE_SIZE
    layout: str = "side-by-side"
    font: Path | None = None  # None: the default font for the article's script
    glossary_order: str = "pinyin"  # the glossary appendix's order: pinyin, english or first-use
    # Engine settings that change speed (and so the provenance signature), from the command line only.
    batch_tokens: int | None = None  # most padded source tokens per batch; None: no token limit
    precision: str = "auto"
    compile: bool = False
    term_repair: str = "splice"
    placement: str = "owed"
    model_script: str = MODEL_SCRIPT_DEFAULT  # the script the model reads: zh-Hans (traditional converted) or as-written
    # field name -> PROJECT or COMMAND_LINE; a field not named here has its default.
    origins: Mapping[str, str] = dataclasses.field(default_factory=dict, compare=False)

    def override(self, origin: str = COMMAND_LINE, **changes: Any) -> Settings:
        """These settings with every change that is not None applied, each recorded as coming from origin."""
        given = {k: v for k, v in changes.items() if v is not None}
        return dataclasses.replace(self, **given, origins={**self.origins, **dict.fromkeys(given, origin)})

    def origin(self, name: str) -> str:
        """Where the field's value came from: 'default', 'project' or 'command line'."""
        return self.origins.get(name, DEFAULT)

    def described(self) -> dict[str, dict[str, Any]]:
        """Every setting as {"value": ..., "from": ...}, for `status --json` (paths and tuples as JSON values)."""

        def plain(value: Any) -> Any:
            if isinstance(value, Path):
                return str(value)
            if isinstance(value, tuple):
                return [plain(v) for v in value]
            return value

        return {
            f.name: {"value": plain(getattr(self, f.name)), "from": self.origin(f.name)}
            for f in dataclasses.fields(self) if f.name not in ("root", "file", "origins")
        }

    def engine_options(self, progress: bool = True):  # noqa: ANN201 (engines are imported only when asked for)
        """The EngineOptions these settings give: every one of them may change the English."""
        from .engines import EngineOptions

        return EngineOptions(
            model=self.model, num_beams=self.beams, batch_size=self.batch_size, device=self.device,
            batch_tokens=self.batch_tokens, precision=self.precision, compile=self.compile,
            term_repair=self.term_repair, placement=self.placement, model_script=self.model_script, progress=progress,
        )

    @property
    def where(self) -> str:
        """The settings file for messages, or 'no project' when there is none."""
        return str(self.file) if self.file else "no project"


# --- the settings file's keys: one table drives reading, validation and `init` ---------------------


class _Invalid(ValueError):
    """A value that breaks its key's rule; the message is the rule ('must be an integer 1–16')."""


@dataclass(frozen=True)
class Key:
    """One key of leshan-pub.toml: its section, its Settings field, default, comment and parser."""

    section: str
    name: str
    field: str
    default: Any
    comment: str
    parse: Callable[[Any, Path], Any]  # (raw value, project folder) -> the Settings value; _Invalid on a bad one

    @property
    def dotted(self) -> str:
        return f"{self.section}.{self.name}"


def _text(value: Any, _root: Path) -> str:
    if not isinstance(value, str):
        raise _Invalid("must be a string")
    return value


def _nonempty(value: Any, root: Path) -> str:
    if not _text(value, root).strip():
        raise _Invalid("must be a non-empty string")
    return value


def _path(value: Any, root: Path) -> Path:
    return root / _nonempty(value, root)


def _optional_path(value: Any, root: Path) -> Path | None:
    return root / value if _text(value, root).strip() else None


def _paths(value: Any, root: Path) -> tuple[Path, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise _Invalid("must be a list of file paths (strings)")
    return tuple(root / v for v in value)


def _integer(low: int, high: int) -> Callable[[Any, Path], int]:
    def parse(value: Any, _root: Path) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise _Invalid(f"must be an integer {low}–{high}")
        return value

    return parse


def _choice(choices: Callable[[], tuple[str, ...]]) -> Callable[[Any, Path], str]:
    def parse(value: Any, _root: Path) -> str:
        if value not in choices():
            raise _Invalid(f"must be one of {', '.join(choices())}")
        return value

    return parse


def _model(value: Any, root: Path) -> str:
    # A folder beside the settings file is a local model; anything else is a hub id.
    local = root / _nonempty(value, root)
    return str(local) if local.is_dir() else value


def _device(value: Any, root: Path) -> str:
    if not isinstance(value, str) or not _DEVICE.fullmatch(value):
        raise _Invalid("must be auto, cpu, cuda or cuda:N")
    return value


def _encoding(value: Any, root: Path) -> str | None:
    if _text(value, root) == "auto":
        return None
    try:
        codecs.lookup(value)
    except LookupError:
        raise _Invalid("must be auto or an encoding such as utf-8, gb18030, big5, utf-16") from None
    return value


def _formats(value: Any, root: Path) -> tuple[str, ...]:
    from .publish import format_names

    if not isinstance(value, list) or not value or any(v not in format_names() for v in value):
        raise _Invalid(f"must be a non-empty list of {', '.join(format_names())}")
    return tuple(dict.fromkeys(value))


def _engine_names() -> tuple[str, ...]:
    from .engines import engine_names

    return tuple(engine_names())


def _page_sizes() -> tuple[str, ...]:
    return tuple(PAGE_SIZES)


def _layouts() -> tuple[str, ...]:
    from .publish import LAYOUTS

    return LAYOUTS


def _glossary_orders() -> tuple[str, ...]:
    from .publish import GLOSSARY_ORDERS

    return tuple(GLOSSARY_ORDERS)


KEYS: tuple[Key, ...] = (
    Key("project", "name", "name", "", "The project's name.", _text),
    Key("project", "organisation", "organisation", "", "Who publishes these articles.", _text),
    Key("glossary", "files", "glossaries", [STARTER_GLOSSARY],
        "Terminology enforced in every translation: TSV or CSV files, merged in this order.", _paths),
    Key("glossary", "memory", "memory", "glossary/memory.tmx",
        "Translation memory (TMX): reviewed English reused for sentences seen before.", _path),
    Key("translation", "engine", "engine", "transformers", "Translation engine.", _choice(_engine_names)),
    Key("translation", "model", "model", "Helsinki-NLP/opus-mt-zh-en",
        "Hugging Face hub id, or a folder (relative to this file) holding a saved MarianMT model.", _model),
    Key("translation", "beams", "beams", 4, "Beam size, 1-16.", _integer(1, 16)),
    Key("translation", "batch_size", "batch_size", 16, "Segments per batch, 1-1024.", _integer(1, 1024)),
    Key("translation", "device", "device", "auto", "auto, cpu, cuda or cuda:N.", _device),
    Key("translation", "model_script", "model_script", MODEL_SCRIPT_DEFAULT,
        "The script the model reads: zh-Hans (traditional articles converted to simplified for it) or as-written.",
        _choice(lambda: MODEL_SCRIPTS)),
    Key("source", "script", "script", "auto",
        "Script of the articles: auto (detected), zh-Hans (simplified) or zh-Hant (traditional).", _choice(lambda: SCRIPTS)),
    Key("source", "encoding", "encoding", "auto", "auto (detected), or utf-8, gb18030, big5, utf-16.", _encoding),
    Key("publish", "out", "out", "output", "Folder for the published DOCX and PDF.", _path),
    Key("publish", "formats", "formats", ["docx", "pdf"], "Output formats.", _formats),
    Key("publish", "page_size", "page_size", DEFAULT_PAGE_SIZE, " or ".join(PAGE_SIZES) + ".", _choice(_page_sizes)),
    Key("publish", "layout", "layout", "side-by-side", "side-by-side or interleaved.", _choice(_layouts)),
    Key("publish", "glossary_order", "glossary_order", "pinyin",
        "The glossary appendix's order: pinyin (of the Chinese), english, or first-use.", _choice(_glossary_orders)),
    Key("publish", "font", "font", "",
        "Your own TrueType (.ttf/.ttc) CJK font; empty for the default font of the article's script.", _optional_path),
)
SECTIONS: dict[str, dict[str, Key]] = {}
for _key in KEYS:
    SECTIONS.setdefault(_key.section, {})[_key.name] = _key
# Tables that other commands read from this same file and validate themselves: a pack description
# ([pack], for `leshan-pub pack --from leshan-pub.toml`) is passed over here.
OTHER_SECTIONS = frozenset({"pack"})


# --- finding and reading a project --------------------------------------------------------------------


def find_project(start: Path) -> Path | None:
    """The nearest folder at or above start that holds leshan-pub.toml (as git finds a repository), or None.

    start is a folder or a file (an article, a segment file); a file's own folder is where the search begins.
    """
    folder = start.absolute()
    if not folder.is_dir():
        folder = folder.parent
    for candidate in (folder, *folder.parents):
        if (candidate / PROJECT_FILE).is_file():
            return candidate
    return None


def load_settings(
    near: Path | None = None, project: Path | None = None, command_line: Mapping[str, Any] | None = None
) -> Settings:
    """The one place settings are built: defaults, then the project's file, then the command line.

    near (a file or folder; default: the current folder) is where the project is looked for;
    project (the --project option: a folder, or its leshan-pub.toml) overrides the search.
    Without a project the built-in defaults apply. command_line maps Settings fields to the values
    given as options (None: not given). ProjectError names the file and key of any bad setting.
    """
    if project is not None:
        file = project if project.is_file() else project / PROJECT_FILE
        if not file.is_file():
            raise ProjectError(f"--project {project}: no {PROJECT_FILE} there; run `leshan-pub init {project}` first")
        settings = read_settings(file)
    else:
        root = find_project(near if near is not None else Path.cwd())
        settings = read_settings(root / PROJECT_FILE) if root is not None else Settings()
    return settings.override(COMMAND_LINE, **(command_line or {}))


def read_settings(file: Path) -> Settings:
    """Settings from one leshan-pub.toml, every key validated; ProjectError on the first problem."""
    from .files import read_input

    data = read_input(file, ProjectError, f"a settings file ({PROJECT_FILE})", max_bytes=_MAX_TOML_BYTES)
    if len(data) > _MAX_TOML_BYTES:
        raise ProjectError(f"{file}: over {_MAX_TOML_BYTES // 1024} KB; a settings file is a few lines")
    try:
        table = tomllib.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise ProjectError(f"{file} byte {exc.start}: not UTF-8; save it as UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        raise ProjectError(f"{file}: not valid TOML: {exc}") from None
    root = file.absolute().parent
    values: dict[str, Any] = {}
    for section, keys in _known(table, file).items():
        for name, raw in keys.items():
            key = SECTIONS[section][name]
            try:
                values[key.field] = key.parse(raw, root)
            except _Invalid as exc:
                raise ProjectError(f"{file}: {key.dotted} {exc}, got {_shown(raw)}") from None
    return Settings(root=root, file=file.absolute(), **_defaults(root)).override(PROJECT, **values)


def _shown(raw: Any) -> str:
    return repr(raw) if not isinstance(raw, bool) else str(raw).lower()


def _known(table: Mapping[str, Any], file: Path) -> dict[str, dict[str, Any]]:
    """The file's sections and keys, each one known; ProjectError naming an unknown one and its nearest."""
    known: dict[str, dict[str, Any]] = {}
    for section, keys in table.items():
        if section in OTHER_SECTIONS:
            continue
        if section not in SECTIONS:
            raise ProjectError(f"{file}: unknown section [{section}]{_nearest(section, SECTIONS)}; "
                               f"sections are {', '.join(f'[{s}]' for s in SECTIONS)}")
        if not isinstance(keys, dict):
            raise ProjectError(f"{file}: {section} must be a section ([{section}]), got {_shown(keys)}")
        for name in keys:
            if name not in SECTIONS[section]:
                raise ProjectError(f"{file}: unknown key {section}.{name}{_nearest(name, SECTIONS[section])}; "
                                   f"[{section}] takes {', '.join(SECTIONS[section])}")
        known[section] = keys
    return known


def _nearest(name: str, choices: Mapping[str, Any]) -> str:
    close = difflib.get_close_matches(name, list(choices), n=1)
    return f" (did you mean {close[0]}?)" if close else ""


def _defaults(root: Path) -> dict[str, Any]:
    """Settings fields a project has even where its file is silent: the paths, resolved against root."""
    return {"memory": root / "glossary" / "memory.tmx", "out": root / "output"}


# --- creating a project ---------------------------------------------------------------------------


@dataclass
class InitReport:
    """What `init` wrote; existing files it left alone are in kept."""

    root: Path
    written: list[Path] = dataclasses.field(default_factory=list)
    kept: list[Path] = dataclasses.field(default_factory=list)


def render_settings(values: Mapping[str, Any] | None = None) -> str:
    """leshan-pub.toml text: every key with its comment, the defaults, and values (by dotted key) applied."""
    values = dict(values or {})
    lines = [
        "# leshan-pub project settings. Every command run on an article in this folder or below reads them.",
        "# Paths are relative to this file's folder. Options given on the command line win over these.",
    ]
    for section, keys in SECTIONS.items():
        lines += ["", f"[{section}]"]
        for name, key in keys.items():
            lines.append(f"# {key.comment}")
            lines.append(f"{name} = {_toml_value(values.get(key.dotted, key.default))}")
    return "\n".join(lines) + "\n"


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    # A JSON string without ASCII escaping is a valid TOML basic string.
    return json.dumps(str(value), ensure_ascii=False)


def init_project(folder: Path, name: str | None = None, organisation: str = "") -> InitReport:
    """Make folder a project: leshan-pub.toml, glossary/ with a starter glossary, source/, output/.

    Refuses (ProjectError) when folder already has a leshan-pub.toml; never overwrites any file.
    """
    file = folder / PROJECT_FILE
    if file.exists():
        raise ProjectError(f"{file} already exists; {folder} is a project already (edit the file to change it)")
    if folder.exists() and not folder.is_dir():
        raise ProjectError(f"{folder} is a file; give a folder for the project")
    report = InitReport(root=folder)
    for sub in ("glossary", "source", "output"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    starters = {
        folder / STARTER_GLOSSARY: STARTER_GLOSSARY_HEADER,
        folder / ".gitignore": "# Published files are generated: rebuild them with `leshan-pub build`.\noutput/\n",
    }
    for path, text in starters.items():
        if path.exists():
            report.kept.append(path)
        else:
            write_bytes_atomic(path, text.encode("utf-8"))
            report.written.append(path)
    project_name = name if name is not None else (folder.absolute().name or "articles")
    settings = render_settings({"project.name": project_name, "project.organisation": organisation})
    write_bytes_atomic(file, settings.encode("utf-8"))
    report.written.insert(0, file)
    read_settings(file)  # what init writes must load
    return report


def relative_to_cwd(path: Path) -> Path:
    """path relative to the current folder when it lies inside it (for messages), else as it is."""
    try:
        return Path(os.path.relpath(path)) if path.is_absolute() and path.absolute().is_relative_to(Path.cwd()) else path
    except ValueError:  # another drive on Windows
        return path
