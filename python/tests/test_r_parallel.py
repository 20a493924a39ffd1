"""R's parallel workers seeded from a lock, in fresh Rscript processes (the conformance workload)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import REPO, requires_r, seedlock_cli
from seedlock.conformance import structure
from seedlock.conformance.plan import load_cases
from seedlock.rcompat import lecuyer_streams, parallel_seed

pytestmark = [pytest.mark.slow, requires_r]
WORKLOAD = REPO / "python" / "seedlock" / "workloads" / "r_parallel.R"


def _run(lock: Path, out: Path) -> tuple[dict[str, list[str]], dict]:  # type: ignore[type-arg]
    done = seedlock_cli(
        "run",
        str(lock),
        "--stage",
        "fit",
        "--",
        shutil.which("Rscript") or "Rscript",
        "--vanilla",
        str(WORKLOAD),
        str(out),
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads((out / "outputs.json").read_text()), json.loads((out / "outputs.meta.json").read_text())


def _lock(tmp_path: Path, seed: int) -> Path:
    manifest = tmp_path / f"m{seed}.json"
    manifest.write_text(json.dumps({"version": "1.0", "seed": seed, "stages": {"fit": {"frameworks": ["r"]}}}))
    lock = tmp_path / f"m{seed}.lock.json"
    assert seedlock_cli("resolve", str(manifest), "-o", str(lock), "--no-provenance").returncode == 0
    return lock


def test_a_two_worker_job_repeats_in_fresh_rscript_processes_and_differs_per_worker(tmp_path: Path) -> None:
    lock = _lock(tmp_path, 11)
    first, meta = _run(lock, tmp_path / "run1")
    second, _ = _run(lock, tmp_path / "run2")
    assert first == second
    # Repeating is not enough: workers (cluster nodes, forked children, future elements) must differ,
    # and future.apply must give the same values with one worker as with two.
    case = next(c for c in load_cases() if c.name == "r-parallel")
    assert case.structure is not None
    assert structure.check(case.structure, tmp_path / "run1" / "outputs.json")[0] == "pass"
    assert first["cluster.w1"] != first["cluster.w2"]
    assert first["future_sequential"] == first["future_multicore"]
    # The workers' streams are the ones SPEC §11 defines, as Python computes them.
    r_seed = meta["seeds"]["r"]
    assert meta["seeds"]["parallel"] == parallel_seed(r_seed)
    assert meta["streams"] == lecuyer_streams(parallel_seed(r_seed), 2)
    other, _ = _run(_lock(tmp_path, 12), tmp_path / "other")
    assert all(other[k] != first[k] for k in first)
