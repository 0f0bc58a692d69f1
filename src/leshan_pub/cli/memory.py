"""`leshan-pub memory`: the translation memory's stats, export and import."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..errors import LeshanPubError
from .app import memory_app, reports_errors
from .options import GlossaryOpt, MemoryOpt, counted, project_memory_option


@memory_app.command("stats")
@reports_errors
def memory_stats(glossary: GlossaryOpt = None, memory: MemoryOpt = None) -> None:
    """Count the memory's entries by review state, language pair, origin tool and document."""
    from collections import Counter

    from ..formats.tmx_entries import SOURCE_LANGUAGE, TARGET_LANGUAGE
    from ..memory import read_memory
    settings = project_memory_option(memory, glossary)
    entries = read_memory(settings.path).entries
    typer.echo(f"{settings.path}: {counted(len(entries), 'entry', 'entries')}")
    for state, count in sorted(Counter(str(e.state) for e in entries).items()):
        typer.echo(f"  {state:<20} {count}")
    pairs = Counter("{} → {}".format(*(e.languages or (SOURCE_LANGUAGE, TARGET_LANGUAGE))) for e in entries)
    for pair, count in pairs.most_common():
        typer.echo(f"  {pair}: {count}")
    for tool, count in Counter(e.tool or "(unknown)" for e in entries).most_common():
        typer.echo(f"  tool {tool}: {count}")
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
    from ..memory import read_memory, write_memory
    settings = project_memory_option(memory, glossary)
    if output.exists() and settings.path.exists() and output.resolve() == settings.path.resolve():
        raise LeshanPubError(f"{output} is the memory itself; give another file name")
    entries = read_memory(settings.path)
    write_memory(output, entries)
    typer.echo(f"wrote {output} ({counted(len(entries), 'entry', 'entries')})")


@memory_app.command("import")
@reports_errors
def memory_import(
    file: Annotated[Path, typer.Argument(help="A TMX file, or a segment file (.zh-en.xlf) whose reviewed work to add.")],
    glossary: GlossaryOpt = None,
    memory: MemoryOpt = None,
) -> None:
    """Merge a TMX (or a segment file's reviewed and approved segments) into the memory; newer English is never displaced."""
    from ..files import read_input
    from ..formats.segfile import SUFFIX, read_segment_file
    from ..memory import MAX_MEMORY_BYTES, MergeReport, TranslationMemory, human_entries, parse_tmx, update_memory

    settings = project_memory_option(memory, glossary)
    if file.name.endswith((SUFFIX, ".xlf", ".xliff")):
        document = read_segment_file(file)
        entries = human_entries(document.segments, document.name)
    else:
        data = read_input(file, LeshanPubError, "a TMX file (.tmx)", max_bytes=MAX_MEMORY_BYTES)
        entries = parse_tmx(data, str(file), merged=True)  # its header's word goes onto each of its units
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
