#!/usr/bin/env python3
"""Move python/seedlock's flat modules into one subpackage per layer and rewrite every reference to them.

    python3 scripts/relayout.py            # move (git mv), rewrite, report
    python3 scripts/relayout.py --check    # exit 1 if anything is left to move or rewrite (changes nothing)

The table below is the layout: each flat module's new home. The tool is re-runnable: a module already
at its new place is left there, an import already right is left alone, and one written for the old
layout (a branch merged after the move) is rewritten. It stops, changing nothing, when python/seedlock
holds a module or package the table does not place: add a row to ``MOVES`` (or ``KEPT``) and run again.

Layers, lowest first (imports run downwards only; python/tests/test_layers.py holds the package to it):
``spec`` (documents and the spec's rules) < ``seeding`` + ``frameworks`` (a process seeded) <
``records`` + ``ledger`` (what a run was) < ``launching`` + ``engines`` (starting workloads: run, verify,
replicate) < ``seedlock`` itself (the public API, re-exports) < ``conformance`` < ``commands``.
"""

from __future__ import annotations

import argparse
import ast
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGE = "seedlock"
ROOT = REPO / "python" / PACKAGE

#: The new subpackages, each with the docstring of its (otherwise empty: `seedlock run` imports some of
#: them at every start) ``__init__.py``.
NEW_PACKAGES: dict[str, str] = {
    "spec": "Documents and the spec's rules: manifests, locks, settings, derivation, errors, JSON, schemas.\n\n"
    "The lowest layer: it imports no other part of seedlock.",
    "seeding": "Seeding one process: applying a stage, streams, workers, epochs, checkpoints, auto-seeding.\n\n"
    "Imports ``spec`` and ``frameworks`` only.",
    "records": "What a run was: provenance, the start-of-run check, metrics, statistics over replicates.\n\n"
    "With ``ledger``; imports ``spec``, ``seeding`` and ``frameworks`` only.",
    "launching": "Starting workloads: ``seedlock run``'s launcher, verify, replicates and their engines.\n\n"
    "Imports the layers below it (``records``, ``seeding``, ``spec``), never the public API.",
    "commands": "The command line: argparse, dispatch and what each command prints.\n\n"
    "The top layer: nothing imports it but ``seedlock.__main__`` and the ``seedlock`` script.",
}

#: Old module (relative to ``seedlock``) -> new module. Every flat module of python/seedlock has a row.
MOVES: dict[str, str] = {
    # documents and spec
    "errors": "spec.errors",
    "derivation": "spec.derivation",
    "_json": "spec._json",
    "_validate": "spec._validate",
    "_suggest": "spec._suggest",
    "_spec": "spec._files",  # the packaged schema files (the data directory seedlock/_spec/ stays)
    "_schema": "spec._schema",
    "_io": "spec._io",
    "manifest": "spec.manifest",
    "lock": "spec.lock",
    "_lockfile": "spec._lockfile",
    "settings": "spec.settings",
    "resolution": "spec.resolution",
    "fingerprint": "spec.fingerprint",
    "_diagnostics": "spec._diagnostics",
    "replicates": "spec.replicates",
    "documents": "spec.documents",
    # seeding (with the frameworks/ package)
    "actions": "seeding.actions",
    "apply": "seeding.apply",
    "applied": "seeding.applied",
    "streams": "seeding.streams",
    "workers": "seeding.workers",
    "epochs": "seeding.epochs",
    "checkpoint": "seeding.checkpoint",
    "keras_callback": "seeding.keras_callback",
    "extensions": "seeding.extensions",
    "_autoseed": "seeding._autoseed",
    "_intercept": "seeding._intercept",
    "_seedless": "seeding._seedless",
    "_seedstatus": "seeding._seedstatus",
    "_machine": "seeding._machine",
    "_rbridge": "seeding._rbridge",
    "caffe_solver": "seeding.caffe_solver",
    "_solver_proto": "seeding._solver_proto",
    # run records (with the ledger/ package)
    "provenance": "records.provenance",
    "runcheck": "seeding.runcheck",
    "recording": "records.recording",
    "metrics": "records.metrics",
    "replicate_stats": "records.replicate_stats",
    # launching (with the engines/ package)
    "_launch_fast": "launching._launch_fast",
    "launch": "launching.launch",
    "_seedreport": "launching._seedreport",
    "_prctl": "launching._prctl",
    "verify": "launching.verify",
    "volatile": "launching.volatile",
    "conformance.compare": "launching.compare",  # verify's comparison of outputs; conformance imports it
    "replicating": "launching.replicating",
    "emit": "launching.emit",
    # commands
    "cli": "commands.cli",
    "completion": "commands.completion",
    "init": "commands.init",
    "show": "commands.show",
    "diff": "commands.diff",
    "ci": "records.ci",
    "ledger_report": "commands.ledger_report",
    "group_report": "commands.group_report",
}

#: Rows for modules other branches of issue 19 may add; moved when present, skipped quietly when not.
OPTIONAL_MOVES: dict[str, str] = {
    "session": "seeding.session",
    "_registry": "spec._registry",
    "_registry_data": "spec._registry_data",
    "registry": "spec.registry",
}

#: What stays where it is: public paths users rely on, packages that already are a layer, data.
KEPT: frozenset[str] = frozenset(
    {
        "__init__",
        "__main__",
        "pytest_plugin",
        "rcompat",  # seedlock, python -m seedlock, pytest11, README
        "usecases",  # the use cases commands call (resolve, verify, replicate, ...): the layer above launching
        "frameworks",
        "ledger",
        "engines",
        "locate",
        "conformance",
        "workloads",
        "_bootstrap",
        "_conformance",
        "_spec",  # data: the bootstrap directory, conformance cases, spec files
        "py.typed",
        "__pycache__",
    }
)

#: Files whose text is history, not a reference to the code as it is.
_UNTOUCHED = ("bench/HISTORY.md", "scripts/relayout.py")
_UNTOUCHED_DIRS = ("spec/vectors/", "python/seedlock/_spec/vectors/", "python/seedlock/_conformance/")


class LayoutError(Exception):
    """Something the tool must not guess about; nothing has been changed when it is raised before moving."""


def all_moves() -> dict[str, str]:
    return {**MOVES, **OPTIONAL_MOVES}


def new_name(old: str) -> str:
    """The full dotted name ``seedlock.x`` (or ``seedlock.x.y``) has in the new layout."""
    rest = old[len(PACKAGE) + 1 :] if old.startswith(PACKAGE + ".") else None
    if rest is None:
        return old
    moves = all_moves()
    parts = rest.split(".")
    for cut in range(len(parts), 0, -1):  # the longest moved prefix: seedlock.lock.Lock -> seedlock.spec.lock.Lock
        head = ".".join(parts[:cut])
        if head in moves:
            return ".".join([PACKAGE, moves[head], *parts[cut:]])
    return old


def _check_table() -> None:
    moves = all_moves()
    news = set(moves.values())
    if len(news) != len(moves):
        raise LayoutError("two modules are moved to one place")
    for old, new in moves.items():
        # A new package named like an old module would make `seedlock.x` mean two things across runs.
        if new.split(".")[0] in moves and new.split(".")[0] != old.split(".")[0]:
            raise LayoutError(f"{new}: its package has the name of a module that moves")
        base = new.rsplit(".", 1)[-1]
        if base in moves and moves[base] != new and "." not in base:
            raise LayoutError(f"{new}: named like seedlock.{base}, which goes to {moves[base]}")
        if any(new == o or new.startswith(o + ".") for o in moves):
            raise LayoutError(f"{new}: an old name is a prefix of it (rewriting would not be idempotent)")


def _module_file(dotted: str) -> Path | None:
    """The file of ``seedlock.a.b`` in the tree as it is now (a package needs its ``__init__.py``)."""
    parts = dotted.split(".")
    if parts[0] != PACKAGE:
        return None
    base = ROOT.joinpath(*parts[1:])
    if (base / "__init__.py").is_file():
        return base / "__init__.py"
    if base.with_suffix(".py").is_file() and base.name != "__init__":
        return base.with_suffix(".py")
    return None


def exists(dotted: str) -> bool:
    return _module_file(dotted) is not None


def unplaced() -> list[str]:
    """Entries of python/seedlock (and of a package a module moves out of) that the table does not place."""
    moves = all_moves()
    placed = set(KEPT) | set(NEW_PACKAGES) | set(moves)
    found = []
    for entry in sorted(ROOT.iterdir()):
        name = entry.name[:-3] if entry.suffix == ".py" else entry.name
        if entry.suffix == ".py" or entry.is_dir() or entry.name == "py.typed":
            if name not in placed:
                found.append(f"python/seedlock/{entry.name}")
        elif entry.name not in placed:
            found.append(f"python/seedlock/{entry.name}")
    return found


def _git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=REPO, check=True, capture_output=True, text=True).stdout


@dataclass(frozen=True)
class Move:
    old: Path
    new: Path
    depth: int  # how many directory levels deeper the module now lies


def planned_moves() -> list[Move]:
    moves = []
    for old, new in all_moves().items():
        source = ROOT.joinpath(*old.split(".")).with_suffix(".py")
        target = ROOT.joinpath(*new.split(".")).with_suffix(".py")
        if source.is_file() and target.is_file():
            raise LayoutError(
                f"both {source.relative_to(REPO)} and {target.relative_to(REPO)} exist: "
                "merge the old one's changes into the new one and delete the old one"
            )
        if source.is_file():
            moves.append(Move(source, target, len(new.split(".")) - len(old.split("."))))
        elif not target.is_file() and old in MOVES:
            print(f"relayout: note: seedlock.{old} is gone (neither {source.name} nor {new} exists)")
    return moves


_DIRNAME = re.compile(r"os\.path\.dirname\((os\.path\.realpath\(__file__\)|os\.path\.abspath\(__file__\)|__file__)\)")
_PATH_PARENT = re.compile(r"(Path\(__file__\)(?:\.resolve\(\))?)\.parent\b")


def _deepen_file_paths(text: str, depth: int, where: str) -> str:
    """A moved module that finds package data next to itself (``dirname(__file__)``) looks ``depth`` up."""
    if depth <= 0 or "__file__" not in text:
        return text
    out = _DIRNAME.sub(lambda m: "os.path.dirname(" * (depth + 1) + m.group(1) + ")" * (depth + 1), text)
    out = _PATH_PARENT.sub(lambda m: m.group(1) + ".parent" * (depth + 1), out)
    # Any other use of __file__ is one this tool cannot judge: say so rather than guess.
    rest = _DIRNAME.sub("", _PATH_PARENT.sub("", text))
    if re.search(r"(?<![\w.])__file__", rest):
        raise LayoutError(f"{where} uses __file__ in a way relayout cannot adjust; adjust it by hand")
    return out


# -- imports -------------------------------------------------------------------------------------------


def module_name(path: Path) -> str:
    rel = path.relative_to(ROOT.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _old_name(current: str) -> str:
    inverse = {f"{PACKAGE}.{new}": f"{PACKAGE}.{old}" for old, new in all_moves().items()}
    return inverse.get(current, current)


def _base(module: str, is_package: bool, level: int, name: str | None) -> str | None:
    parts = module.split(".") if is_package else module.split(".")[:-1]
    if level > len(parts):
        return None
    parts = parts[: len(parts) - level + 1]
    return ".".join(parts + ([name] if name else []))


def _relative(from_module: str, is_package: bool, target: str) -> tuple[int, str]:
    """``from <dots><rest> import`` for ``target``, as seen from ``from_module``."""
    here = from_module.split(".") if is_package else from_module.split(".")[:-1]
    there = target.split(".")
    common = 0
    while common < min(len(here), len(there)) and here[common] == there[common]:
        common += 1
    if common == 0:
        raise LayoutError(f"{from_module}: {target} is outside the package")
    return len(here) - common + 1, ".".join(there[common:])


def _format_from(level: int, base: str, names: list[tuple[str, str | None]]) -> str:
    listed = ", ".join(f"{n} as {a}" if a else n for n, a in names)
    return f"from {'.' * level}{base} import {listed}"


def rewrite_imports(path: Path, text: str, current: str | None) -> str:
    """``from`` imports of seedlock modules, written for either layout, rewritten for the new one."""
    try:
        tree = ast.parse(text)
    except SyntaxError as exc:
        raise LayoutError(f"{path}: {exc}") from None
    is_package = path.name == "__init__.py"
    old = _old_name(current) if current else None
    edits: list[tuple[int, int, int, int, str]] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.ImportFrom):
            continue
        if node.level == 0:
            if not (node.module == PACKAGE or (node.module or "").startswith(PACKAGE + ".")):
                continue
            base_now = base_then = node.module
        else:
            if current is None:
                continue
            base_now = _base(current, is_package, node.level, node.module)
            base_then = _base(old or current, is_package, node.level, node.module)
        groups: dict[str, list[tuple[str, str | None]]] = {}
        changed = False
        for alias in node.names:
            target_base = _resolve(alias.name, base_now, base_then, path, node.lineno)
            changed |= target_base != base_now
            groups.setdefault(target_base, []).append((alias.name, alias.asname))
        if not changed:
            continue
        lines = []
        for target_base, names in groups.items():
            if node.level == 0:
                lines.append(_format_from(0, target_base, names))
            else:
                assert current is not None
                level, rest = _relative(current, is_package, target_base)
                lines.append(_format_from(level, rest, names))
        indent = " " * node.col_offset
        edits.append(
            (
                node.lineno,
                node.col_offset,
                node.end_lineno or node.lineno,
                node.end_col_offset or 0,
                ("\n" + indent).join(lines),
            )
        )
    return _apply_edits(text, edits)


def _resolve(name: str, base_now: str | None, base_then: str | None, path: Path, line: int) -> str:
    """The module a ``from <base> import <name>`` must name in the new layout (``name`` unchanged)."""
    if base_now and exists(f"{base_now}.{name}"):
        return base_now  # a module, already named right
    if base_then:
        moved = new_name(f"{base_then}.{name}")
        if exists(moved) and moved != f"{base_now}.{name}":
            return moved.rsplit(".", 1)[0]  # a module named the old way
    # A name defined in a module: the base (read in the new layout, or in the old one) that defines it.
    bases = [b for b in dict.fromkeys([base_now, new_name(base_then) if base_then else None]) if b and exists(b)]
    defining = [b for b in bases if name in _defined_names(b)]
    if len(defining) == 1 or (defining and defining[0] == base_now):
        return defining[0]
    if len(bases) == 1:
        return bases[0]  # only one reading names a module (the name itself may be the file's own error)
    raise LayoutError(f"{path.relative_to(REPO)}:{line}: cannot tell what `from {base_now} import {name}` names")


def _defined_names(module: str) -> set[str]:
    """Names a module defines at its top level (``if``/``try`` blocks and ``_LAZY`` re-exports included)."""
    path = _module_file(module)
    assert path is not None
    names: set[str] = set()
    pending = list(ast.parse(path.read_text(encoding="utf-8")).body)
    while pending:
        node = pending.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                names.update(n.id for n in ast.walk(target) if isinstance(n, ast.Name))
            if (
                isinstance(node, ast.Assign)
                and isinstance(node.value, ast.Dict)
                and any(isinstance(t, ast.Name) and t.id == "_LAZY" for t in node.targets)
            ):
                names.update(k.value for k in node.value.keys if isinstance(k, ast.Constant))
        elif isinstance(node, (ast.If, ast.Try)):
            pending.extend(
                node.body
                + node.orelse
                + getattr(node, "finalbody", [])
                + [s for h in getattr(node, "handlers", []) for s in h.body]
            )
    return names


def _apply_edits(text: str, edits: list[tuple[int, int, int, int, str]]) -> str:
    if not edits:
        return text
    lines = text.splitlines(keepends=True)
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line))
    out = text
    for start_line, start_col, end_line, end_col, new in sorted(edits, reverse=True):
        start = offsets[start_line - 1] + len(lines[start_line - 1].encode()[:start_col].decode())
        end = offsets[end_line - 1] + len(lines[end_line - 1].encode()[:end_col].decode())
        out = out[:start] + new + out[end:]
    return out


def rewrite_lazy_maps(path: Path, text: str, current: str) -> str:
    """``_LAZY = {"name": "module"}`` maps (PEP 562 re-exports) name modules relative to their package."""
    tree = ast.parse(text)
    package = current if path.name == "__init__.py" else current.rsplit(".", 1)[0]
    old_package = _old_name(package)
    edits = []
    for node in ast.walk(tree):
        if not (
            isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "_LAZY" for t in node.targets)
            and isinstance(node.value, ast.Dict)
        ):
            continue
        for value in node.value.values:
            if not (isinstance(value, ast.Constant) and isinstance(value.value, str)):
                continue
            if exists(f"{package}.{value.value}"):
                continue
            moved = new_name(f"{old_package}.{value.value}")
            if not exists(moved) or not moved.startswith(package + "."):
                raise LayoutError(
                    f"{path.relative_to(REPO)}:{value.lineno}: _LAZY names {value.value!r}, "
                    "which is not a module below its package"
                )
            edits.append(
                (
                    value.lineno,
                    value.col_offset,
                    value.end_lineno or value.lineno,
                    value.end_col_offset or 0,
                    repr(moved[len(package) + 1 :]).replace("'", '"'),
                )
            )
    return _apply_edits(text, edits)


# -- names in text -------------------------------------------------------------------------------------


def _name_pattern() -> re.Pattern[str]:
    olds = sorted(all_moves(), key=len, reverse=True)
    alternatives = "|".join(re.escape(o) for o in olds)
    # `seedlock.lock.json` is a file name, not the module.
    return re.compile(rf"\b{PACKAGE}\.({alternatives})(?![\w]|\.json\b)")


def _path_pattern() -> re.Pattern[str]:
    olds = sorted(all_moves(), key=len, reverse=True)
    alternatives = "|".join(re.escape(o.replace(".", "/")) for o in olds)
    return re.compile(rf"\b{PACKAGE}/({alternatives})\.py\b")


_FROM_PACKAGE = re.compile(rf"\bfrom {PACKAGE} import (\w+)(\s*,)?")


def _from_package(match: re.Match[str]) -> str:
    """``from seedlock import x`` written in a string (code a test runs in a child): the module's package."""
    moves = all_moves()
    name = match.group(1)
    if name not in moves:
        return match.group(0)
    if match.group(2):
        raise LayoutError(f"`{match.group(0)}...` imports a moved module among other names: split it by hand")
    package, base = f"{PACKAGE}.{moves[name]}".rsplit(".", 1)
    return f"from {package} import {base}"


def rewrite_names(text: str) -> str:
    moves = all_moves()
    out = _FROM_PACKAGE.sub(_from_package, text)  # the imports in code were rewritten before (ast)
    out = _name_pattern().sub(lambda m: f"{PACKAGE}.{moves[m.group(1)]}", out)
    by_path = {o.replace(".", "/"): n.replace(".", "/") for o, n in moves.items()}
    return _path_pattern().sub(lambda m: f"{PACKAGE}/{by_path[m.group(1)]}.py", out)


def _text_files() -> list[Path]:
    listed = _git("ls-files", "--cached", "--others", "--exclude-standard", "-z").split("\0")
    files = []
    for rel in listed:
        if not rel or rel in _UNTOUCHED or rel.startswith(_UNTOUCHED_DIRS):
            continue
        path = REPO / rel
        if not path.is_file() or path.is_symlink():
            continue
        head = path.read_bytes()[:8192]
        if b"\0" in head:
            continue
        files.append(path)
    return files


def _current_module(path: Path) -> str | None:
    try:
        path.relative_to(ROOT)
    except ValueError:
        return None
    if "_bootstrap" in path.relative_to(ROOT).parts:
        return None  # sitecustomize is a top-level module of its own directory
    return module_name(path)


def rewrite_all(write: bool) -> list[Path]:
    changed: list[tuple[Path, str]] = []
    for path in _text_files():
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        new = text
        if path.suffix == ".py" or text.startswith(("#!python", "#!/usr/bin/env python")):
            current = _current_module(path)
            new = rewrite_imports(path, new, current)
            if current is not None and "_LAZY" in new:
                new = rewrite_lazy_maps(path, new, current)
        new = rewrite_names(new)
        if new != text:
            changed.append((path, new))
    if write:  # only once every file could be read: an error above leaves the files as they were
        for path, new in changed:
            path.write_text(new, encoding="utf-8")
    return [path for path, _ in changed]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if anything would change")
    args = parser.parse_args(argv)
    try:
        _check_table()
        strays = unplaced()
        if strays:
            raise LayoutError(
                "not in scripts/relayout.py's table (add a row to MOVES or KEPT):\n  " + "\n  ".join(strays)
            )
        moves = planned_moves()
        missing = [p for p in NEW_PACKAGES if not (ROOT / p / "__init__.py").is_file()]
        if args.check:
            pending = [str(m.old.relative_to(REPO)) for m in moves] + [f"python/seedlock/{p}/" for p in missing]
            if pending:
                print("relayout: to move: " + ", ".join(pending))
                return 1
            stale = rewrite_all(write=False)
            for path in stale:
                print(f"relayout: to rewrite: {path.relative_to(REPO)}")
            return 1 if stale else 0
        for package in missing:
            init = ROOT / package / "__init__.py"
            init.parent.mkdir(exist_ok=True)
            init.write_text(f'"""{NEW_PACKAGES[package]}"""\n', encoding="utf-8")
            _git("add", str(init))
        for move in moves:
            text = move.old.read_text(encoding="utf-8")
            fixed = _deepen_file_paths(text, move.depth, str(move.old.relative_to(REPO)))
            move.new.parent.mkdir(parents=True, exist_ok=True)
            if _git("ls-files", str(move.old)).strip():
                _git("mv", str(move.old), str(move.new))
            else:  # a file not yet added (a merge in progress, a new module): moved, and added
                move.old.rename(move.new)
                _git("add", str(move.new))
            if fixed != text:
                move.new.write_text(fixed, encoding="utf-8")
        changed = rewrite_all(write=True)
    except LayoutError as exc:
        print(f"relayout: error: {exc}", file=sys.stderr)
        return 1
    print(f"relayout: moved {len(moves)} modules, rewrote {len(changed)} files")
    return 0


if __name__ == "__main__":
    sys.exit(main())
