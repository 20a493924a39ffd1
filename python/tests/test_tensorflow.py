"""The seed document's Keras example, trained in fresh processes under `seedlock run`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import QUIET_ENV

pytestmark = pytest.mark.slow

TF_ONLY = {
    "version": "1.0",
    "seed": 42,
    "stages": {
        "preprocess": {"frameworks": ["numpy"], "seeds": {"numpy": 42}},
        # No python framework here: Keras' initialisers must not depend on Python's unseeded `random`.
        "train": {"frameworks": ["tensorflow"]},
    },
}
WITH_PYTHON = {
    "version": "1.0",
    "seed": 42,
    "stages": {
        "preprocess": {"frameworks": ["numpy"], "seeds": {"numpy": 42}},
        "train": {"frameworks": ["python", "numpy", "tensorflow"], "seeds": {"tensorflow": 1234}},
    },
}


def _lock(tmp_path: Path, name: str, manifest: dict[str, Any], env: dict[str, str]) -> Path:
    src = tmp_path / f"{name}.json"
    src.write_text(json.dumps(manifest))
    out = tmp_path / f"{name}.lock.json"
    subprocess.run(
        [sys.executable, "-m", "seedlock", "resolve", str(src), "-o", str(out)],
        check=True,
        env={**os.environ, **env},
        capture_output=True,
    )
    return out


def _train_all(locks: list[Path]) -> list[dict[str, Any]]:
    """Train once per lock, each in a fresh process, two at a time."""
    cmd = [sys.executable, "-m", "seedlock.workloads.keras_classic"]
    results: list[dict[str, Any]] = []
    for i in range(0, len(locks), 2):
        procs = [
            subprocess.Popen(
                [sys.executable, "-m", "seedlock", "run", str(lock), "--stage", "train", "--", *cmd],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env={**os.environ, **QUIET_ENV},
            )
            for lock in locks[i : i + 2]
        ]
        for proc in procs:
            out, err = proc.communicate(timeout=600)
            assert proc.returncode == 0, err[-3000:]
            results.append(json.loads(out.strip().splitlines()[-1]))
    return results


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("keras")
    names = {
        "a1": _lock(tmp, "a", TF_ONLY, {}),
        "other": _lock(tmp, "other", TF_ONLY, {"SEEDLOCK_SEED_TRAIN": "7"}),
        "py1": _lock(tmp, "py1", WITH_PYTHON, {"SEEDLOCK_SEED_TRAIN": "1"}),
        "py2": _lock(tmp, "py2", WITH_PYTHON, {"SEEDLOCK_SEED_TRAIN": "2"}),
    }
    order = ["a1", "a1", "other", "py1", "py2"]
    results = _train_all([names[n] for n in order])
    return {"a1": results[0], "a2": results[1], "other": results[2], "py1": results[3], "py2": results[4]}


def test_two_fresh_processes_train_identical_weights_and_history(runs: dict[str, dict[str, Any]]) -> None:
    assert runs["a1"]["applied"] and runs["a1"]["problems"] == []
    assert runs["a1"]["weights_sha256"] == runs["a2"]["weights_sha256"]
    assert runs["a1"]["history"] == runs["a2"]["history"]


def test_another_stage_seed_trains_different_weights(runs: dict[str, dict[str, Any]]) -> None:
    assert runs["other"]["seeds"]["tensorflow"] != runs["a1"]["seeds"]["tensorflow"]
    assert runs["other"]["weights_sha256"] != runs["a1"]["weights_sha256"]
    # The data come from the preprocess stage, whose seed did not change.
    assert runs["other"]["data_sha256"] == runs["a1"]["data_sha256"]


def test_keras_weights_depend_on_the_tensorflow_seed_not_on_the_python_seed(runs: dict[str, dict[str, Any]]) -> None:
    assert runs["py1"]["seeds"]["python"] != runs["py2"]["seeds"]["python"]
    assert runs["py1"]["seeds"]["tensorflow"] == runs["py2"]["seeds"]["tensorflow"] == 1234
    assert runs["py1"]["weights_sha256"] == runs["py2"]["weights_sha256"]


def test_in_process_apply_leaves_python_random_on_its_own_seed() -> None:
    code = """
import random, json, seedlock
from seedlock.spec.resolution import resolve
m = seedlock.Manifest.from_dict({"version": "1.0", "seed": 3, "stages": {"t": {"frameworks": ["python", "tensorflow"],
    "settings": {"python": {"hash_seed": False}}}}})
st = resolve(m, {}).stage("t")
rep = seedlock.apply_stage(st, strict=True).report
print(json.dumps({"draw": random.random(), "expected": random.Random(st.seed_of("python")).random(),
                  "actions": [str(a) for a in rep.actions]}))
"""
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env={**os.environ, **QUIET_ENV}, timeout=300
    )
    assert out.returncode == 0, out.stderr[-2000:]
    data = json.loads(out.stdout.strip().splitlines()[-1])
    assert data["draw"] == data["expected"]
    assert any("Keras default seeds" in a and "applied" in a for a in data["actions"])
