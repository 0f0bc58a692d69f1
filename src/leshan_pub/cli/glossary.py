"""`leshan-pub glossary`: list, validate, add, remove, import and export terms."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from ..errors import LeshanPubError
from .app import glossary_app, reports_errors
from .options import GlossaryOpt, ListFormat, counted

_IDEOGRAPHIC_SPACE = "\u3000"  # pads Chinese terms to a common width


def _glossary_files(glossary: Path | None, project: Path | None) -> list[Path]:
    """The glossary files a glossary command works on: --glossary, else the project's (found from the current folder)."""
    if glossary is not None:
        return [glossary]
    from ..project import load_settings

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
        from ..glossary import load_glossary

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
    from ..glossary import load_glossaries

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
    from ..glossary import load_glossaries, validate_glossary

    files = _glossary_files(glossary, project)
    total = 0
    for path in files:
        problems = validate_glossary(path)
        for problem in problems:
            typer.echo(problem.describe(str(path)))
        errors = sum(not p.warning for p in problems)
        total += errors
        typer.echo(f"{path}: {counted(errors, 'error')}, {counted(len(problems) - errors, 'warning')}")
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
    from ..glossary import Term, add_term

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
    from ..glossary import remove_term

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
    from ..formats.termbase import read_terms
    from ..glossary import import_terms

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
    from ..formats.termbase import write_terms
    from ..glossary import load_glossaries

    terms = load_glossaries(_glossary_files(glossary, project))
    write_terms(terms, output)
    typer.echo(f"wrote {output} ({counted(len(terms), 'term')})")
