"""The README and docs/: every link and anchor resolves, and every documented command and option exists."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import click
import pytest
import typer.main

from helpers import ROOT
from leshan_pub.cli import app

DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
# Commands other branches add: the README documents them as they will be. Exactly these are marked.
PENDING: dict[str, str] = {}
FENCE = re.compile(r"^(```|~~~).*?^\1", re.M | re.S)
CODE_SPAN = re.compile(r"`[^`\n]+`")
LINK = re.compile(r"(?<!!)\[[^\]\n]*\]\(([^)\s]+)\)")


def prose(text: str) -> str:
    """text without fenced code blocks and code spans, where brackets are code, not links."""
    return CODE_SPAN.sub("", FENCE.sub("", text))


def slug(heading: str) -> str:
    """A heading's anchor as GitHub makes it: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[`*_]", "", heading.strip().lower())
    return re.sub(r"\s", "-", re.sub(r"[^\w\- ]", "", text))


def anchors(path: Path) -> set[str]:
    text = FENCE.sub("", path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for heading in re.findall(r"^#{1,6}\s+(.+?)\s*#*$", text, re.M):
        base, n = slug(heading), 1
        name = base
        while name in found:  # GitHub numbers repeated headings: -1, -2, ...
            name, n = f"{base}-{n}", n + 1
        found.add(name)
    return found


def links() -> list[tuple[Path, str]]:
    return [(doc, target) for doc in DOCUMENTS for target in LINK.findall(prose(doc.read_text(encoding="utf-8")))]


@pytest.mark.parametrize(("document", "target"), links(), ids=lambda v: v.name if isinstance(v, Path) else v)
def test_every_link_and_anchor_resolves(document: Path, target: str) -> None:
    if re.match(r"[a-z]+:", target):
        return  # a web address: not this test's to fetch (no network)
    file, _, anchor = target.partition("#")
    path = (document.parent / file).resolve() if file else document
    assert path.exists(), f"{document.name}: link to {file}, which does not exist"
    if anchor:
        assert anchor in anchors(path), f"{document.name}: no heading #{anchor} in {path.name}"


def test_the_readme_is_for_users_and_short() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.encode("utf-8")) < 20_000
    for doc in ("benchmarks", "enforcement", "provenance", "formats", "install"):
        assert f"(docs/{doc}.md" in readme


# --- documented commands and options ---------------------------------------------------------------


def documented_commands() -> list[tuple[str, list[str]]]:
    """(where, words after `leshan-pub`) for each command line the README and docs show, in code."""
    found = []
    for doc in DOCUMENTS:
        text = doc.read_text(encoding="utf-8")
        blocks = [m.group(0) for m in FENCE.finditer(text)] + CODE_SPAN.findall(FENCE.sub("", text))
        for block in blocks:
            joined = re.sub(r"\\\n\s*", " ", block.strip("`"))
            for line in joined.splitlines():
                for call in re.findall(r"(?:^|[\s$(])leshan-pub\s+([^|#;`]*)", line):
                    try:
                        words = shlex.split(call)
                    except ValueError:
                        words = call.split()
                    if words and not words[0].startswith("<"):
                        found.append((doc.name, words))
    return found


def is_group(command: Any) -> bool:
    return hasattr(command, "list_commands")  # typer's own click: no isinstance against the click package


def subcommands(group: Any) -> list[str]:
    return group.list_commands(group.context_class(group))


def resolve(words: list[str]) -> tuple[Any, str, list[str]]:
    """The click command the words name (subcommands followed), its path, and the words after it."""
    command = typer.main.get_command(app)
    path = []
    while is_group(command) and words and not words[0].startswith("-"):
        sub = command.get_command(command.context_class(command), words[0])
        if sub is None:
            break
        command, words = sub, words[1:]
        path.append(command.name)
    return command, " ".join(path), words


def _cases() -> list:
    cases = []
    for where, words in documented_commands():
        name = words[0]
        marks = [pytest.mark.xfail(strict=True, reason=PENDING[name])] if name in PENDING else []
        cases.append(pytest.param(where, words, marks=marks, id=f"{where}:{' '.join(words)[:60]}"))
    return cases


@pytest.mark.parametrize(("where", "words"), _cases())
def test_every_documented_command_and_option_exists(where: str, words: list[str]) -> None:
    command, path, rest = resolve(words)
    assert path or words[0].startswith("-"), f"{where}: `leshan-pub {words[0]}` is not a command"
    if is_group(command):
        assert not rest or rest[0].startswith("-") or rest[0] == "...", f"{where}: no command `{path} {rest[0]}`"
    known = {option for param in command.params for option in (*param.opts, *param.secondary_opts)} | {"--help"}
    for word in rest:
        option = word.split("=", 1)[0]
        if option.startswith("--") or re.fullmatch(r"-[a-zA-Z]", option):
            assert option in known, f"{where}: `leshan-pub {path}` has no option {option}"


def test_the_documents_show_every_command() -> None:
    shown = {resolve(words)[1].split(" ")[0] for _, words in documented_commands()}
    assert set(subcommands(typer.main.get_command(app))) <= shown
