"""seedlock's imports run one way, from the command line down to the spec, and go round in no circle.

Every import counts: at module level, inside functions (lazy imports) and under ``TYPE_CHECKING``.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
ROOT = REPO / "python" / "seedlock"

#: Lowest first. A module may import its own layer and those below; the most specific prefix decides.
LAYERS: dict[str, int] = {
    "seedlock.spec": 0,
    "seedlock.rcompat": 0,
    "seedlock.seeding": 1,
    "seedlock.frameworks": 1,
    "seedlock.locate": 1,  # probes and the child's hooks
    "seedlock.records": 2,
    "seedlock.ledger": 2,
    "seedlock.launching": 3,
    "seedlock.engines": 3,
    "seedlock.locate.runner": 3,
    "seedlock.locate.report": 3,
    "seedlock.locate.compare": 3,  # after verify
    "seedlock": 4,  # the public API: re-exports of the layers below
    "seedlock.conformance": 5,
    "seedlock.usecases": 5,
    "seedlock.commands": 6,
    "seedlock.__main__": 6,
    "seedlock.pytest_plugin": 6,
    "seedlock.workloads": 7,  # programs conformance runs, written as users write them
    "seedlock.workloads._digest": 5,  # the digest golden outputs are kept in, shared with conformance
}
NAMES = {
    0: "spec",
    1: "seeding",
    2: "records",
    3: "launching",
    4: "the public API",
    5: "conformance",
    6: "commands",
    7: "workloads",
}

#: The packages that are a layer of their own; their ``__init__.py`` is a docstring and nothing else.
LAYER_PACKAGES = ("spec", "seeding", "records", "launching", "commands")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _base(module: str, is_package: bool, level: int, name: str | None) -> str:
    """The module ``from <level dots><name> import`` names, seen from ``module``."""
    parts = module.split(".") if is_package else module.split(".")[:-1]
    parts = parts[: len(parts) - level + 1]
    return ".".join(parts + ([name] if name else []))


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted(ROOT.rglob("*.py")):
        if "_bootstrap" in path.relative_to(ROOT).parts:
            continue
        found[_module_name(path)] = path
    return found


MODULES = _modules()


def _imports(name: str, path: Path) -> Iterator[str]:
    """Every seedlock module ``name`` imports (as named in the file, in the layout of this tree)."""
    is_package = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = (_base(name, is_package, node.level, node.module) if node.level else node.module) or ""
            targets = [f"{base}.{a.name}" for a in node.names]
        else:
            continue
        for target in targets:
            while target not in MODULES and "." in target:
                target = target.rsplit(".", 1)[0]
            if target in MODULES and target != name:
                yield target


GRAPH: dict[str, set[str]] = {n: set(_imports(n, p)) for n, p in MODULES.items()}


def _layer(module: str) -> int | None:
    parts = module.split(".")
    for cut in range(len(parts), 0, -1):
        layer = LAYERS.get(".".join(parts[:cut]))
        if layer is not None:
            return layer
    return None


def _circles() -> list[frozenset[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[frozenset[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(GRAPH.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(frozenset(component))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for node in sorted(GRAPH):
        if node not in index:
            visit(node)
    return found


def test_the_scan_finds_the_package_and_its_imports() -> None:
    # A rule checked over nothing would pass: the scan must see the modules and the imports we know of.
    assert len(MODULES) > 80
    assert "seedlock.spec.errors" in GRAPH["seedlock.spec.lock"]
    assert "seedlock.spec.derivation" in GRAPH["seedlock"]  # a lazy import inside a function counts


def test_every_module_has_a_layer() -> None:
    assert sorted(m for m in GRAPH if _layer(m) is None) == []


def test_imports_run_from_the_commands_down_to_the_spec() -> None:
    wrong = sorted((m, t) for m, targets in GRAPH.items() for t in targets if (_layer(m) or 0) < (_layer(t) or 0))
    assert wrong == [], "imports that climb a layer:\n" + "\n".join(
        f"  {m} ({NAMES[_layer(m) or 0]}) imports {t} ({NAMES[_layer(t) or 0]})" for m, t in wrong
    )


def test_no_module_imports_the_command_line_but_the_entry_points() -> None:
    importers = sorted(m for m, targets in GRAPH.items() if "seedlock.commands.cli" in targets)
    assert set(importers) <= {"seedlock.__main__"}, importers


def test_the_package_has_no_import_circle() -> None:
    assert [sorted(c) for c in _circles()] == []


@pytest.mark.parametrize("package", LAYER_PACKAGES)
def test_a_layer_package_imports_nothing_when_imported(package: str) -> None:
    # `seedlock run` imports some of these at every start: their __init__ must stay a docstring.
    init = ROOT / package / "__init__.py"
    body = ast.parse(init.read_text(encoding="utf-8")).body
    assert [type(node).__name__ for node in body] == ["Expr"]


def test_the_package_root_only_re_exports() -> None:
    # Logic in seedlock/__init__.py made inner modules `import seedlock` (issue 19): it holds names only.
    tree = ast.parse((ROOT / "__init__.py").read_text(encoding="utf-8"))
    functions = sorted(node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef))
    assert functions == ["__dir__", "__getattr__"]
    assert not any(isinstance(node, ast.ClassDef) for node in ast.walk(tree))
