"""Adding a framework touches its module, its registry row and its conformance case, nothing else.

The test copies spec/ and the package to a temporary tree, adds a framework ``toy`` (it seeds a tiny
library ``toyrng``) through exactly those files, runs the generator and the spec sync, and then uses
it end to end from the copy: a manifest listing it resolves and validates (its settings are checked by
the registry's types), ``seedlock run`` seeds an unmodified program that imports ``toyrng`` with the
derived seed and sets the toy's launcher variable, and its conformance case passes. Anything else that
had to be edited for this would be a copy of the registry left in the code.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import SPEC, child_environ

REPO = SPEC.parent

TOY_MODULE = '''"""A toy framework for the test that adds a framework: toyrng's global generator."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

from ..seeding.actions import Action
from . import Context

NAME: Final = "toy"


def apply(seed: int, settings: Mapping[str, Any], context: Context) -> list[Action]:
    import toyrng

    toyrng.seed(seed, settings["flavour"])
    return [Action(framework=NAME, what=f"toyrng.seed({seed})", status="applied", detail=settings["flavour"])]


def save() -> Callable[[], None]:
    import toyrng

    state = toyrng.state
    return lambda: setattr(toyrng, "state", state)


def capture_state() -> Any:
    import toyrng

    return {"state": toyrng.state}


def restore_state(state: Any) -> None:
    import toyrng

    toyrng.state = state["state"]


def version() -> str | None:
    return None
'''

TOYRNG = '''"""A global random generator nobody seeds (a 31-bit LCG)."""
state = None
flavour = None


def seed(value, kind="vanilla"):
    global state, flavour
    state, flavour = value, kind


def draw():
    global state
    state = (1103515245 * (12345 if state is None else state) + 12345) % 2**31
    return state
'''

TOY_ROW: dict[str, Any] = {
    "name": "toy",
    "since": "1.1",
    "title": "Toy settings",
    "description": "Settings for the toy framework.",
    "distributions": [],
    "display_rank": 8,
    "module": "toyrng",
    "extra_modules": [],
    "packages": ["toyrng"],
    "streams": False,
    "settings": [
        {
            "name": "flavour",
            "type": "enum",
            "default": "vanilla",
            "values": ["vanilla", "mint"],
            "meaning": "the toy's flavour",
            "title": "Flavour",
            "description": "The toy's flavour (default vanilla).",
        },
        {
            "name": "strict",
            "type": "boolean",
            "default": True,
            "meaning": "launch with `TOY_STRICT=1`",
            "title": "Strict",
            "description": "Launch stage processes with TOY_STRICT=1 (default true).",
        },
    ],
    "launcher_environment": [{"variable": "TOY_STRICT", "value": "1", "when": "strict"}],
}

TOY_WORKLOAD = '''"""Draws from toyrng, seeded from the stage (conformance workload of the toy framework)."""

from __future__ import annotations


def main() -> None:
    import toyrng

    import seedlock
    from seedlock.workloads._common import out_dir, report_meta, save

    out = out_dir()
    report = seedlock.apply_from_env().report
    save(out, {"draws": [toyrng.draw() for _ in range(8)]}, report_meta(report))


if __name__ == "__main__":
    main()
'''

TOY_CASE = {
    "$schema": "../case.schema.json",
    "name": "toy-draws",
    "framework": "toy",
    "kind": "workload",
    "stage": "toy",
    "description": "toyrng draws repeat in fresh processes and follow the seed",
    "command": ["{python}", "-m", "seedlock.workloads.toy_draws", "{out}"],
    "checks": ["repeat", "sensitivity"],
    "requires": {"modules": ["toyrng", "numpy"]},
}


def _ignore(directory: str, names: list[str]) -> set[str]:
    return {name for name in names if name in ("__pycache__", ".mypy_cache")}


def _tree_with_a_toy_framework(root: Path) -> None:
    """The repository's spec/ and package, plus the toy framework through its own files only."""
    shutil.copytree(REPO / "spec", root / "spec", ignore=_ignore)
    shutil.copytree(REPO / "python" / "seedlock", root / "python" / "seedlock", ignore=_ignore)
    shutil.copytree(REPO / "scripts", root / "scripts", ignore=_ignore)
    package = root / "python" / "seedlock"
    # 1. its module
    (package / "frameworks" / "toy.py").write_text(TOY_MODULE, encoding="utf-8")
    # 2. its registry row
    registry_path = root / "spec" / "registry.json"
    registry = json.loads(registry_path.read_text(encoding="utf-8"))
    registry["frameworks"].append(TOY_ROW)
    registry_path.write_text(json.dumps(registry, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    # 3. its conformance case and workload (and the stage of the built-in conformance manifest)
    (package / "workloads" / "toy_draws.py").write_text(TOY_WORKLOAD, encoding="utf-8")
    (package / "_conformance" / "cases" / "toy-draws.json").write_text(json.dumps(TOY_CASE), encoding="utf-8")
    manifest_path = package / "_conformance" / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest["stages"]["toy"] = {"frameworks": ["toy"]}
    manifest_path.write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    # (4. its dependency: the library it seeds, installed here on the path)
    (root / "lib").mkdir()
    (root / "lib" / "toyrng.py").write_text(TOYRNG, encoding="utf-8")
    # Then the generated files and the spec copies, as `make generate` makes them.
    for tool in ("spec/tools/generate_from_registry.py", "scripts/sync_spec.py"):
        subprocess.run([sys.executable, str(root / tool)], check=True, capture_output=True, cwd=root)


@pytest.fixture(scope="module")
def toy_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("toy-tree")
    _tree_with_a_toy_framework(root)
    return root


def _seedlock(root: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = child_environ()
    env.pop("SEEDLOCK_SPEC_DIR", None)  # the copy's packaged spec, with the toy
    env["PYTHONPATH"] = os.pathsep.join([str(root / "python"), str(root / "lib")])
    return subprocess.run(
        [sys.executable, "-m", "seedlock", *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=600
    )


def test_the_copy_runs_its_own_seedlock_with_the_toy_registered(toy_tree: Path, tmp_path: Path) -> None:
    probe = _seedlock(toy_tree, "--version", cwd=tmp_path)
    assert probe.returncode == 0, probe.stderr
    code = (
        "import seedlock.frameworks as f, seedlock.spec.settings as s; "
        "print(f.__file__, f.NAMES[-1], s.DEFAULTS['toy'])"
    )
    env = {**child_environ(), "PYTHONPATH": str(toy_tree / "python")}
    env.pop("SEEDLOCK_SPEC_DIR", None)
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    ).stdout.split(" ", 1)
    assert out[0].startswith(str(toy_tree)), out
    assert out[1].strip() == "toy {'flavour': 'vanilla', 'strict': True}"


def test_a_manifest_listing_the_toy_resolves_and_seedlock_run_seeds_it_with_its_derived_seed(
    toy_tree: Path, tmp_path: Path
) -> None:
    (tmp_path / "seedlock.json").write_text(
        json.dumps(
            {
                "version": "1.1",
                "seed": 7,
                "stages": {"train": {"frameworks": ["python", "toy"], "settings": {"toy": {"flavour": "mint"}}}},
            }
        )
    )
    resolved = _seedlock(toy_tree, "resolve", "seedlock.json", "-o", "seedlock.lock.json", cwd=tmp_path)
    assert resolved.returncode == 0, resolved.stderr
    lock = json.loads((tmp_path / "seedlock.lock.json").read_text())
    toy = lock["stages"]["train"]["frameworks"]["toy"]
    assert toy["settings"] == {"flavour": "mint", "strict": True}
    stage_seed = _seedlock(toy_tree, "derive", "7", "train", cwd=tmp_path).stdout.strip()
    derived = _seedlock(toy_tree, "derive", stage_seed, "toy", cwd=tmp_path)
    assert derived.returncode == 0, derived.stderr
    assert (toy["seed"], toy["source"]) == (int(derived.stdout), "derived")

    (tmp_path / "program.py").write_text(
        "import os, toyrng\nprint(toyrng.state, toyrng.flavour, os.environ.get('TOY_STRICT'))\n"
    )
    run = _seedlock(
        toy_tree, "run", "seedlock.lock.json", "--stage", "train", "--", sys.executable, "program.py", cwd=tmp_path
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout == f"{toy['seed']} mint 1\n"


def test_the_toys_settings_are_checked_by_the_registry_types_and_a_1_0_manifest_cannot_name_it(
    toy_tree: Path, tmp_path: Path
) -> None:
    (tmp_path / "bad.json").write_text(
        json.dumps(
            {
                "version": "1.1",
                "seed": 7,
                "stages": {"train": {"frameworks": ["toy"], "settings": {"toy": {"flavour": "chocolate"}}}},
            }
        )
    )
    bad = _seedlock(toy_tree, "validate", "bad.json", cwd=tmp_path)
    assert bad.returncode == 2
    assert "error[invalid-value] " in bad.stderr and "at '/stages/train/settings/toy/flavour'" in bad.stderr, bad.stderr
    (tmp_path / "old.json").write_text(
        json.dumps({"version": "1.0", "seed": 7, "stages": {"train": {"frameworks": ["toy"]}}})
    )
    old = _seedlock(toy_tree, "validate", "old.json", cwd=tmp_path)
    assert old.returncode == 2
    assert "error[unknown-framework] " in old.stderr, old.stderr
    schema = json.loads((toy_tree / "python/seedlock/_spec/schema/manifest.schema.json").read_text())
    assert "toy" in schema["$defs"]["builtinFramework"]["enum"]
    assert schema["$defs"]["toySettings"]["properties"]["flavour"]["enum"] == ["vanilla", "mint"]


def test_the_toys_conformance_case_passes(toy_tree: Path, tmp_path: Path) -> None:
    out = _seedlock(
        toy_tree,
        "conformance",
        "--frameworks",
        "toy",
        "--require",
        "toy",
        "--jobs",
        "1",
        "--json",
        str(tmp_path / "report.json"),
        cwd=tmp_path,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    report = json.loads((tmp_path / "report.json").read_text())
    results = [r for r in report["results"] if r["framework"] == "toy"]
    assert {r["check"] for r in results} == {"repeat", "sensitivity"}, report
    assert all(r["status"] == "pass" for r in results), results
