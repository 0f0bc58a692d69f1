"""The glossary a command enforces (and why terms are not enforced when they are not), and its memory."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import GlossaryError
from .glossary import Glossary, load_glossaries
from .memory import MemorySettings, memory_path
from .terms import source_key

if TYPE_CHECKING:
    from .project import Settings

NO_GLOSSARY = "no glossary: terms are not enforced; run `leshan-pub init` or pass --glossary"


@dataclass(frozen=True)
class GlossaryInUse:
    """The glossary a command enforces, and why terms are not (all) enforced when they are not.

    warning is "" when every configured term is enforced; intended is set by --no-glossary,
    which runs without a glossary on purpose (no warning, and --final allowed). unlisted names
    glossary files beside the project's that its settings leave out, with terms the glossary in
    use lacks: said, but no bar to --final, since a file kept aside may be kept aside on purpose.
    """

    glossary: Glossary | None
    warning: str = ""
    intended: bool = False
    unlisted: str = ""

    @property
    def warnings(self) -> list[str]:
        return [w for w in (self.warning, self.unlisted) if w]

    @classmethod
    def given(cls, glossary: Glossary | None) -> GlossaryInUse:
        """The glossary a library caller passes: None is taken as chosen (the CLI says why instead)."""
        return cls(glossary, intended=glossary is None)


def project_glossary(settings: Settings, disabled: bool = False, explicit: Path | None = None) -> GlossaryInUse:
    """The glossary to enforce: explicit (--glossary), else the project's files (settings.glossaries) merged.

    Project files that do not exist are skipped with a warning naming them; a malformed file, or a
    missing explicit one, is a GlossaryError. disabled (--no-glossary) gives no glossary, on purpose.
    """
    if disabled and explicit is not None:
        raise GlossaryError("--glossary and --no-glossary contradict each other; give one of them")
    if disabled:
        return GlossaryInUse(None, intended=True)
    in_use = _configured_glossary(settings, explicit)
    if explicit is None and settings.file is not None:
        in_use = replace(in_use, unlisted=_unlisted(settings, in_use.glossary))
    return in_use


def _configured_glossary(settings: Settings, explicit: Path | None) -> GlossaryInUse:
    """The glossary files merged, with the warning owed when some or all of their terms are not enforced."""
    files = (explicit,) if explicit is not None else settings.glossaries
    if not files:
        where = f" ({settings.file} lists none in glossary.files)" if settings.file else ""
        return GlossaryInUse(None, NO_GLOSSARY + where)
    present = [p for p in files if explicit is not None or p.is_file()]
    missing = [p for p in files if p not in present]
    named = f"glossary file(s) {', '.join(map(str, missing))} named in {settings.where} do not exist"
    if not present:
        return GlossaryInUse(None, f"no glossary: {named}; terms are not enforced; restore them or pass --glossary")
    glossary = load_glossaries(present)
    if missing:
        return GlossaryInUse(glossary, f"{named}: their terms are not enforced; restore them or remove them from glossary.files")
    if not len(glossary):
        return GlossaryInUse(glossary, f"glossary {', '.join(map(str, present))} has no terms: nothing is enforced; "
                                       "add terms with `leshan-pub glossary add`")
    return GlossaryInUse(glossary)


def _unlisted(settings: Settings, glossary: Glossary | None) -> str:
    """A warning for each terminology file in the project's glossary folders that glossary.files leaves
    out and that holds terms the glossary in use lacks (an export of the glossary holds none); "" when none."""
    from .formats.termbase import FORMATS
    from .project import relative_to_cwd

    listed = {p.resolve() for p in settings.glossaries}
    if settings.memory is not None:
        listed.add(settings.memory.resolve())
    folders = dict.fromkeys(p.parent for p in settings.glossaries if p.parent.is_dir())
    enforced = {source_key(s) for term in glossary.terms for s in term.sources} if glossary is not None else set()
    said = []
    for folder in folders:
        for path in sorted(folder.iterdir()):
            if path.suffix.lower() not in FORMATS or not path.is_file() or path.resolve() in listed:
                continue
            try:
                terms = FORMATS[path.suffix.lower()][0](path)
            except GlossaryError:
                continue  # not a glossary this project could use as it is; `glossary validate` says why
            new = sum(1 for term in terms if source_key(term.source) not in enforced)
            if new:
                said.append(f"{relative_to_cwd(path)} ({new} term{'s' if new > 1 else ''})")
    if not said:
        return ""
    return (f"terms not enforced in {', '.join(said)}: not in glossary.files of {settings.file}; "
            "add the file there or `leshan-pub glossary import` it")


# Without a project or a glossary, the memory is looked for in ./glossary/, where it always was.
_NO_PROJECT_GLOSSARY = Path("glossary/leshan.tsv")


def resolve_memory(
    memory: Path | None, glossary: Glossary | None, fuzzy_threshold: float, settings: Settings | None = None
) -> MemorySettings:
    """The memory settings for a command: --memory, else the project's (glossary.memory), else memory.tmx
    beside the glossary in use."""
    configured = settings.memory if settings is not None and settings.file is not None else None
    where = memory_path(memory, glossary.path if glossary else None, _NO_PROJECT_GLOSSARY, configured=configured)
    return MemorySettings(where, fuzzy_threshold)
