"""Framework imports stay lazy: nothing is imported that the input does not name."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from conftest import SPEC

HEAVY = ("numpy", "torch", "tensorflow", "jsonschema", "rpy2", "keras", "jax", "faker")


def _imported_after(code: str) -> set[str]:
    probe = (
        f"{code}\nimport sys, json\nprint(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r})))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return {m.split(".")[0] for m in json.loads(out.stdout.strip().splitlines()[-1])}


def test_import_seedlock_imports_no_framework_numpy_or_jsonschema() -> None:
    assert _imported_after("import seedlock") == set()


def test_the_derive_command_imports_nothing_heavy() -> None:
    assert (
        _imported_after(
            "import seedlock.commands.cli as c\ntry:\n    c.main(['derive', '1', 'a'])\nexcept SystemExit:\n    pass"
        )
        == set()
    )


def test_resolving_a_numpy_only_manifest_imports_no_framework_and_no_jsonschema() -> None:
    # The hand-written validator decides at run time (test_schema_agreement proves it rejects all the
    # schema rejects); jsonschema's import alone cost more than seeding a stage.
    code = f"import seedlock\nseedlock.load({str(SPEC / 'examples' / 'classic.json')!r})"
    assert _imported_after(code) == set()


def test_seedlock_validate_still_checks_the_json_schema() -> None:
    code = (
        f"import seedlock.commands.cli as c\ntry:\n"
        f"    c.main(['validate', {str(SPEC / 'examples' / 'classic.json')!r}])\n"
        "except SystemExit:\n    pass"
    )
    assert _imported_after(code) == {"jsonschema"}


def test_applying_a_numpy_stage_imports_numpy_only(tmp_path: Path) -> None:
    manifest = tmp_path / "m.json"
    manifest.write_text(json.dumps({"version": "1.0", "seed": 1, "stages": {"s": {"frameworks": ["numpy"]}}}))
    code = f"import seedlock\nseedlock.apply_stage(seedlock.load({str(manifest)!r}).stage('s'))"
    assert _imported_after(code) == {"numpy"}


def test_the_framework_registry_imports_no_provenance_or_rng_machinery() -> None:
    # Every lock load imports the framework modules (for their settings checks): version look-ups
    # (importlib.metadata, subprocess, platform) and RNG modules belong inside their functions.
    code = (
        "import sys\nimport seedlock.spec.lock, seedlock.spec.settings, seedlock.frameworks\n"
        "seedlock.frameworks.all()\n"
        "print(sorted(m for m in ('importlib.metadata', 'subprocess', 'platform', 'random') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_an_auto_seeded_interpreter_loads_only_random_and_seedlocks_bootstrap_at_start(tmp_path: Path) -> None:
    import os

    from conftest import seedlock_cli

    manifest = tmp_path / "m.json"
    manifest.write_text(
        json.dumps(
            {
                "version": "1.1",
                "seed": 1,
                "stages": {"s": {"frameworks": ["python", "numpy", "torch", "tensorflow", "jax", "r", "caffe"]}},
            }
        )
    )
    lock = tmp_path / "l.json"
    assert seedlock_cli("resolve", str(manifest), "-o", str(lock)).returncode == 0
    probe = "import sys; print(' '.join(sorted(sys.modules)))"
    plain = set(
        subprocess.run(
            [sys.executable, "-c", probe], capture_output=True, text=True, check=True, env=os.environ
        ).stdout.split()
    )
    out = seedlock_cli("run", str(lock), "--stage", "s", "--", sys.executable, "-c", probe)
    assert out.returncode == 0, out.stderr
    added = set(out.stdout.split()) - plain
    # Every Python process of a pipeline pays for these: no json, typing, dataclasses or framework.
    # (seedlock.seeding._intercept watches the program's own seeding calls: about 0.2 ms, os and sys only;
    # seedlock.spec._registry is the registry as plain literals, generated, importing nothing;
    # seedlock.seeding._importhook waits for a framework's first import to seed it; an interpreter held at
    # the start gate binds PR_SET_PDEATHSIG itself with seedlock.launching._prctl.)
    expected = {
        "seedlock",
        "seedlock.launching._prctl",
        "seedlock.seeding._autoseed",
        "seedlock.seeding._seedstatus",
        "seedlock.seeding._intercept",
        "seedlock.spec._registry",
        "seedlock.seeding._importhook",
        "sitecustomize",
        "random",
        "bisect",
        "math",
        "itertools",
        "operator",
        "warnings",
    }
    packages = {m.rsplit(".", n)[0] for m in expected for n in range(1, m.count(".") + 1)}  # loaded with them
    assert {m for m in added if not m.startswith("_")} <= expected | packages
