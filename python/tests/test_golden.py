"""Golden outputs: the conformance manifest's stages, pinned. A binding whose apply() does nothing fails.

The workloads run as the conformance runner runs them (fresh processes with the stage's environment,
from the lock of the built-in manifest). "apply() does nothing" is a real binding stand-in: the
workload's own call to ``seedlock.apply_from_env`` is replaced by one that seeds nothing, and
everything else (``seedlock run``'s environment, the stage's explicit generators) stays.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import seedlock
from conftest import QUIET_ENV
from seedlock.conformance import golden
from seedlock.conformance.plan import DATA
from seedlock.launching.launch import child_environment

pytestmark = pytest.mark.slow

NOOP_APPLY = """
import runpy, sys, types
import seedlock

def apply_nothing(**_):  # a binding whose apply() does nothing: frameworks keep their default seeds
    return seedlock.Session(
        seedlock.stage_from_env(), types.SimpleNamespace(seeds={}, failures=[], actions=[], ok=True)
    )

seedlock.apply_from_env = apply_nothing
runpy.run_module(sys.argv.pop(1), run_name="__main__")
"""
CONSTANT_APPLY = """
import runpy, sys, types
import seedlock

def apply_constants(**_):  # a binding that seeds every framework, but not with the lock's seeds
    import random
    import numpy, torch
    random.seed(0), numpy.random.seed(0), torch.manual_seed(0)
    return seedlock.Session(
        seedlock.stage_from_env(), types.SimpleNamespace(seeds={}, failures=[], actions=[], ok=True)
    )

seedlock.apply_from_env = apply_constants
runpy.run_module(sys.argv.pop(1), run_name="__main__")
"""
# The environment before any test embeds R: importing rpy2 puts /usr/lib/x86_64-linux-gnu on
# LD_LIBRARY_PATH, and an interpreter started from that environment may load the system's libpython
# instead of its own (another Python version: golden then rightly says drift, not FAIL).
START_ENV = dict(os.environ)
REAL_APPLY = "import runpy, sys\nrunpy.run_module(sys.argv.pop(1), run_name='__main__')"


@pytest.fixture(scope="module")
def conformance_lock(tmp_path_factory: pytest.TempPathFactory) -> tuple[seedlock.Lock, Path]:
    """The lock the built-in conformance manifest resolves to (no seed taken from the environment)."""
    manifest = seedlock.load_manifest(DATA / "manifest.json")
    lock = seedlock.resolve(manifest, env={}, provenance=False)
    path = tmp_path_factory.mktemp("golden") / "lock.json"
    path.write_text(json.dumps(lock.to_dict()))
    return lock, path


def _run(module: str, stage: str, lock: tuple[seedlock.Lock, Path], out: Path, *, apply: bool | str) -> dict[str, Any]:
    """Run a workload module with the stage's environment; ``apply``: real, nothing, or the given code."""
    resolved, path = lock
    env = {**child_environment(resolved.stage(stage), path, base=START_ENV), **QUIET_ENV}
    code = apply if isinstance(apply, str) else REAL_APPLY if apply else NOOP_APPLY
    subprocess.run(
        [sys.executable, "-c", code, module, str(out)], env=env, check=True, capture_output=True, timeout=600
    )
    return json.loads((out / "outputs.meta.json").read_text())


def _golden(
    case: str, stage: str, lock: tuple[seedlock.Lock, Path], out: Path, meta: dict[str, Any]
) -> tuple[str, str, str]:
    reference = golden.read(DATA)["golden"]
    return golden.golden_check(f"{case}/{stage}", lock[0], out / "outputs.npz", meta, reference, {})


@pytest.mark.parametrize(
    ("case", "module", "stage"),
    [
        ("numpy-draws", "seedlock.workloads.np_draws", "numpy"),
        ("python-random", "seedlock.workloads.py_random", "python"),
    ],
)
def test_a_binding_whose_apply_does_nothing_fails_golden_and_the_real_one_passes(
    case: str, module: str, stage: str, conformance_lock: tuple[seedlock.Lock, Path], tmp_path: Path
) -> None:
    meta = _run(module, stage, conformance_lock, tmp_path / "seeded", apply=True)
    check, status, detail = _golden(case, stage, conformance_lock, tmp_path / "seeded", meta)
    assert (check, status) == ("golden", "pass"), detail

    meta = _run(module, stage, conformance_lock, tmp_path / "unseeded", apply=False)
    check, status, detail = _golden(case, stage, conformance_lock, tmp_path / "unseeded", meta)
    assert (check, status) == ("golden", "FAIL"), detail
    assert detail.startswith(f"{case}/{stage}: ") and "same versions as recorded" in detail
    # The old check (draws from seed 42 with no seedlock code involved) cannot see the difference: it
    # passes for the binding that seeds nothing, which is why it is only "framework-drift" now.
    reference = golden.read(DATA)["framework-drift"]
    assert golden.framework_drift_check(stage, meta, reference, {})[1] == "pass"


def test_a_binding_that_seeds_constants_repeats_and_passes_sensitivity_but_golden_catches_it(
    conformance_lock: tuple[seedlock.Lock, Path], tmp_path: Path
) -> None:
    # A binding that seeds every framework with a constant instead of the lock's seeds: runs repeat bit
    # for bit, and another lock still changes the outputs (the stage's explicit DataLoader generator
    # follows the lock). Only golden sees the model's initialisation did not come from the stage's seed.
    from seedlock.conformance.plan import other_lock
    from seedlock.launching.compare import compare_paths

    module = "seedlock.workloads.torch_mlp"
    outs = [tmp_path / f"constant{i}" for i in (1, 2)]
    metas = [_run(module, "torch", conformance_lock, out, apply=CONSTANT_APPLY) for out in outs]
    assert compare_paths(outs[0] / "outputs.npz", outs[1] / "outputs.npz") == []  # repeat passes

    other_path = tmp_path / "other.json"
    other_path.write_text(json.dumps(other_lock(conformance_lock[0].to_dict(), "torch")))
    other = (seedlock.load_lock(other_path), other_path)
    _run(module, "torch", other, tmp_path / "other", apply=CONSTANT_APPLY)
    assert compare_paths(outs[0] / "outputs.npz", tmp_path / "other" / "outputs.npz") != []  # sensitivity passes

    status, detail = _golden("torch-mlp", "torch", conformance_lock, outs[0], metas[0])[1:]
    assert status == "FAIL" and "same versions as recorded" in detail, detail


def test_golden_is_skipped_with_the_reason_for_other_seeds_and_reports_version_drift(
    conformance_lock: tuple[seedlock.Lock, Path], tmp_path: Path
) -> None:
    meta = _run("seedlock.workloads.np_draws", "numpy", conformance_lock, tmp_path / "o", apply=True)
    reference = golden.read(DATA)["golden"]
    outputs = tmp_path / "o" / "outputs.npz"

    other = seedlock.resolve(
        seedlock.load_manifest(DATA / "manifest.json"), env={"SEEDLOCK_SEED": "7"}, provenance=False
    )
    status, detail = golden.golden_check("numpy-draws/numpy", other, outputs, meta, reference, {})[1:]
    assert status == "skipped" and "seeds of the built-in conformance manifest" in detail

    missing = {**reference, "outputs": {}}
    status, detail = golden.golden_check("numpy-draws/numpy", conformance_lock[0], outputs, meta, missing, {})[1:]
    assert (status, detail) == (
        "FAIL",
        "no golden outputs recorded for numpy-draws/numpy (record them with --write-golden)",
    )

    entry = json.loads(json.dumps(reference["outputs"]["numpy-draws/numpy"]))
    entry["recorded_with"]["numpy"] = "1.26.0"
    entry["outputs"]["legacy"]["sha256"] = "0" * 64
    older = {**reference, "outputs": {"numpy-draws/numpy": entry}}
    status, detail = golden.golden_check("numpy-draws/numpy", conformance_lock[0], outputs, meta, older, {})[1:]
    assert status == "drift" and detail.endswith(
        f"versions changed since recording: numpy 1.26.0 -> {meta['versions']['numpy']}"
    )


def test_the_golden_file_pins_every_case_with_a_golden_check_under_the_manifests_seeds(
    conformance_lock: tuple[seedlock.Lock, Path],
) -> None:
    from seedlock.conformance.plan import load_cases, pick_stage

    reference = golden.read(DATA)["golden"]
    assert reference["seeds_sha256"] == golden.seeds_fingerprint(conformance_lock[0])
    wanted = {f"{c.name}/{pick_stage(c, conformance_lock[0])}" for c in load_cases() if "golden" in c.checks}
    assert wanted and wanted <= set(reference["outputs"])


def test_every_case_run_from_the_lock_has_golden_outputs_or_its_case_file_says_why_not(
    conformance_lock: tuple[seedlock.Lock, Path],
) -> None:
    # Without golden outputs a wrong rank/worker derivation still repeats, is still sensitive to the
    # seed and still keeps its streams distinct: only pinned outputs see that they are the wrong ones.
    from seedlock.conformance.plan import load_cases, pick_stage

    reference = golden.read(DATA)["golden"]["outputs"]
    cases = [c for c in load_cases() if "repeat" in c.checks]
    for case in cases:
        if "golden" in case.checks:
            assert f"{case.name}/{pick_stage(case, conformance_lock[0])}" in reference, case.name
            assert case.no_golden is None, case.name
        else:
            assert case.no_golden, f"{case.name}: no golden check and no reason for it (no_golden) in its case file"
    assert {c.name for c in cases if c.no_golden} == {"torch-cuda", "caffe-train", "caffe-writer", "replicates"}


SWAPPED_RANK_AND_WORKER = """
import runpy, sys
import seedlock.frameworks.jax as jax_seeds

right = jax_seeds.key_seed

def swapped(seed, name=None, *, rank=None, worker=None, epoch=None):  # worker keys from the rank's index and back
    return right(seed, name, rank=worker, worker=rank, epoch=epoch)

jax_seeds.key_seed = swapped
runpy.run_module(sys.argv.pop(1), run_name="__main__")
"""


def test_jax_keys_derived_for_the_wrong_rank_and_worker_pass_every_other_check_but_golden(
    conformance_lock: tuple[seedlock.Lock, Path], tmp_path: Path
) -> None:
    import numpy as np
    from seedlock.launching.compare import compare_paths

    outs = [tmp_path / f"swapped{i}" for i in (1, 2)]
    metas = [
        _run("seedlock.workloads.jax_mlp", "jax", conformance_lock, out, apply=SWAPPED_RANK_AND_WORKER) for out in outs
    ]
    assert compare_paths(outs[0] / "outputs.npz", outs[1] / "outputs.npz") == []  # repeat passes
    with np.load(outs[0] / "outputs.npz") as data:
        streams = [data[k] for k in data.files if k.startswith("stream_")]
    assert len(streams) == 4 and len({s.tobytes() for s in streams}) == 4  # distinct-streams passes
    status, detail = _golden("jax-mlp", "jax", conformance_lock, outs[0], metas[0])[1:]
    assert status == "FAIL" and detail.startswith("jax-mlp/jax: stream_r0_w1 starts"), detail
    assert "(2 of 9 outputs differ)" in detail and "same versions as recorded" in detail
