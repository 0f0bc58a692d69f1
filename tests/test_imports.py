"""The package's imports, read with ast: no import cycles, and no module reaching for another's private names."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

PACKAGE = "leshan_pub"
ROOT = Path(__file__).resolve().parent.parent / "src" / PACKAGE

# Findings in engines/, where another piece of work is reshaping the modules: the integrator empties
# these lists as that work lands. A finding listed here that no longer occurs fails too, so the lists
# only shrink. Each private import is (importing module, imported module, name).
KNOWN_PRIVATE: set[tuple[str, str, str]] = set()
KNOWN_CYCLES: set[frozenset[str]] = set()


def module_name(path: Path) -> str:
    """'leshan_pub.formats.segfile' for src/leshan_pub/formats/segfile.py; a package is its __init__."""
    parts = [PACKAGE, *path.relative_to(ROOT).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES: dict[str, Path] = {module_name(path): path for path in sorted(ROOT.rglob("*.py"))}


def _base(module: str, node: ast.ImportFrom) -> str:
    """The module a `from ... import` names, relative imports resolved against module."""
    if not node.level:
        return node.module or ""
    is_package = MODULES[module].name == "__init__.py"
    parts = module.split(".")
    anchor = parts if is_package else parts[:-1]
    anchor = anchor[: len(anchor) - (node.level - 1)]
    return ".".join([*anchor, node.module] if node.module else anchor)


def imports_of(module: str) -> list[tuple[str, str, int]]:
    """Every import of a package module that runs in module, at module level and inside functions alike:
    (imported module, name imported from it or '', line). `from pkg import sub` imports pkg.sub.

    Imports under `if TYPE_CHECKING:` never run (they name types for annotations) and are left out."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    found: list[tuple[str, str, int]] = []
    for node in _running(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, "", node.lineno) for alias in node.names if alias.name.split(".")[0] == PACKAGE]
        elif isinstance(node, ast.ImportFrom):
            base = _base(module, node)
            if base.split(".")[0] != PACKAGE:
                continue
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                found.append((submodule, "", node.lineno) if submodule in MODULES else (base, alias.name, node.lineno))
    return found


def _running(tree: ast.AST) -> list[ast.AST]:
    """The nodes of tree outside `if TYPE_CHECKING:` blocks."""
    nodes: list[ast.AST] = []
    pending = [tree]
    while pending:
        node = pending.pop()
        nodes.append(node)
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                pending += child.orelse
            else:
                pending.append(child)
    return nodes


def import_graph() -> dict[str, set[str]]:
    """Each package module and the package modules it imports (itself left out)."""
    return {
        module: {target for target, _, _ in imports_of(module) if target in MODULES and target != module}
        for module in MODULES
    }


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle (a -> b -> ... -> a) for each group of modules that import one another (Tarjan's SCCs)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.add(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(group)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return [_path_through(group, graph) for group in groups]


def _path_through(group: set[str], graph: dict[str, set[str]]) -> list[str]:
    """A shortest cycle through the group's first module, staying inside the group."""
    start = min(group)
    paths = {start: [start]}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for nxt in sorted(graph[node] & group):
                if nxt == start:
                    return [*paths[node], start]
                if nxt not in paths:
                    paths[nxt] = [*paths[node], nxt]
                    following.append(nxt)
        frontier = following
    raise AssertionError(f"no cycle through {start} in {sorted(group)}")


def private_imports() -> list[tuple[str, str, str, int]]:
    """(module, imported module, name, line) for each import of another module's private name:
    `from x import _name`, or `x._name` on a module bound by import. Aliasing a public name as _x is fine."""
    found = []
    for module in MODULES:
        bound: dict[str, str] = {}  # local name -> package module it is bound to
        tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and _base(module, node).split(".")[0] == PACKAGE:
                base = _base(module, node)
                for alias in node.names:
                    if f"{base}.{alias.name}" in MODULES:
                        bound[alias.asname or alias.name] = f"{base}.{alias.name}"
                    elif _private(alias.name) and base != module:
                        found.append((module, base, alias.name, node.lineno))
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.asname and alias.name in MODULES:
                        bound[alias.asname] = alias.name
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and _private(node.attr):
                target = bound.get(node.value.id)
                if target is not None and target != module:
                    found.append((module, target, node.attr, node.lineno))
    return found


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def test_the_package_modules_are_found():
    # The checks below read these: a wrong root would make them pass on nothing.
    assert {"leshan_pub", "leshan_pub.document", "leshan_pub.formats.segfile", "leshan_pub.review"} <= set(MODULES)
    assert len(MODULES) > 50


def test_no_module_imports_itself_back_through_others():
    found = cycles(import_graph())
    new = [cycle for cycle in found if frozenset(cycle) not in KNOWN_CYCLES]
    assert not new, "import cycles (imports inside functions count too):\n" + "\n".join(" -> ".join(c) for c in new)
    gone = KNOWN_CYCLES - {frozenset(cycle) for cycle in found}
    assert not gone, f"no longer a cycle; delete from KNOWN_CYCLES: {sorted(map(sorted, gone))}"


def test_no_module_imports_another_modules_private_names():
    found = private_imports()
    new = [f for f in found if f[:3] not in KNOWN_PRIVATE]
    assert not new, "private names imported across modules (make them public, or move them):\n" + "\n".join(
        f"{module} line {line}: {name} from {source}" for module, source, name, line in new
    )
    gone = KNOWN_PRIVATE - {f[:3] for f in found}
    assert not gone, f"no longer imported; delete from KNOWN_PRIVATE: {sorted(gone)}"


# --- the checks themselves, on small made-up graphs and modules ----------------------------------------


@pytest.mark.parametrize(
    ("graph", "expected"),
    [
        ({"a": {"b"}, "b": {"c"}, "c": set()}, []),
        ({"a": {"b"}, "b": {"a"}}, [["a", "b", "a"]]),
        ({"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set()}, [["a", "b", "c", "a"]]),
        ({"a": {"b", "x"}, "b": {"a"}, "x": {"y"}, "y": {"x"}}, [["x", "y", "x"], ["a", "b", "a"]]),
    ],
)
def test_cycles_finds_each_ring_of_imports(graph, expected):
    assert sorted(cycles(graph)) == sorted(expected)


def test_a_deferred_import_inside_a_function_counts(tmp_path, monkeypatch):
    package = tmp_path / PACKAGE
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from .b import thing\n")
    (package / "b.py").write_text("def thing():\n    from .a import other\n    from . import a\n    return a._hidden\n")
    (package / "c.py").write_text("from .b import _helper as helper\nfrom .a import public as _alias\n")
    (package / "d.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .e import Thing\n")
    (package / "e.py").write_text("from .d import use\n")
    this = sys.modules[__name__]
    monkeypatch.setattr(this, "ROOT", package)
    monkeypatch.setattr(this, "MODULES", {module_name(p): p for p in sorted(package.rglob("*.py"))})
    assert cycles(import_graph()) == [["leshan_pub.a", "leshan_pub.b", "leshan_pub.a"]]
    assert sorted(private_imports()) == [
        ("leshan_pub.b", "leshan_pub.a", "_hidden", 4),
        ("leshan_pub.c", "leshan_pub.b", "_helper", 1),
    ]
