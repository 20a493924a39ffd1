"""TensorFlow/Keras in training loops (issue 11): the global generator under op determinism (defect 6),
Keras' record of the seed, and ``model.fit`` over epochs with seedlock's callback, resumed in a new process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from conftest import QUIET_ENV

pytestmark = pytest.mark.slow

MANIFEST = {"version": "1.0", "seed": 5, "stages": {"tensorflow": {
    "frameworks": ["python", "numpy", "tensorflow"], "settings": {"python": {"hash_seed": False}}}}}

GLOBAL_GENERATOR = r"""
import json, sys
import tensorflow as tf
from keras.src.utils import rng_utils
import seedlock
from seedlock.derivation import derive, epoch_seed
stage = seedlock.load_lock(sys.argv[1]).stage("tensorflow")
report = stage.apply(strict=True)
seed = stage.seed_of("tensorflow")
draws = tf.random.get_global_generator().normal([3]).numpy().tolist()
expected = tf.random.Generator.from_seed(derive(seed, "stream", "global")).normal([3]).numpy().tolist()
stage.seed_epoch(2)
epoch_draws = tf.random.get_global_generator().normal([3]).numpy().tolist()
epoch_expected = tf.random.Generator.from_seed(derive(epoch_seed(seed, 2), "stream", "global")).normal([3]).numpy().tolist()
print(json.dumps({"draws": draws, "expected": expected, "epoch_draws": epoch_draws, "epoch_expected": epoch_expected,
                  "keras_seed": rng_utils.get_random_seed(), "seed": seed, "epoch_seed": epoch_seed(seed, 2)}))
"""


def _lock(tmp_path: Path) -> Path:
    src, out = tmp_path / "m.json", tmp_path / "l.json"
    src.write_text(json.dumps(MANIFEST))
    subprocess.run([sys.executable, "-m", "seedlock", "resolve", str(src), "-o", str(out)], check=True, capture_output=True)
    return out


def test_the_tensorflow_global_generator_works_under_op_determinism_and_repeats(tmp_path: Path) -> None:
    # Defect 6: with op determinism on, tf.random.get_global_generator() raised (no seeded generator).
    lock = _lock(tmp_path)
    runs = []
    for _ in range(2):
        done = subprocess.run([sys.executable, "-c", GLOBAL_GENERATOR, str(lock)], capture_output=True, text=True,
                              env={**os.environ, **QUIET_ENV}, timeout=300)
        assert done.returncode == 0, done.stderr[-3000:]
        runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
    first = runs[0]
    assert first == runs[1]
    assert first["draws"] == first["expected"]
    assert first["epoch_draws"] == first["epoch_expected"] != first["draws"]
    # Keras' own record of the global seed names the seed seedlock applied (here: the epoch's).
    assert first["keras_seed"] == first["epoch_seed"]


def _fit(lock: Path, out: Path, *extra: str) -> dict[str, np.ndarray]:
    cmd = [sys.executable, "-m", "seedlock", "run", str(lock), "--stage", "tensorflow", "--",
           sys.executable, "-m", "seedlock.workloads.keras_epochs", str(out), "--checkpoint", str(out.parent / "ck.weights.h5"),
           *extra]
    done = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, **QUIET_ENV}, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    with np.load(out / "outputs.npz") as data:
        return {k: data[k] for k in data.files}


def test_keras_fit_resumed_at_an_epoch_boundary_in_a_new_process_repeats_the_uninterrupted_run(tmp_path: Path) -> None:
    lock = _lock(tmp_path)
    full = _fit(lock, tmp_path / "full", "--save-at", "2")
    resumed = _fit(lock, tmp_path / "resumed", "--resume", "2")
    weights = [k for k in full if k.startswith("weight_")]
    assert weights and all(np.array_equal(full[k], resumed[k]) for k in weights)
    assert np.array_equal(full["loss"][2:], resumed["loss"])
    assert len(set(full["loss"].tolist())) == len(full["loss"])  # every epoch trained on its own draws
