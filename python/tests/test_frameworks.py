"""The framework modules: one interface each, in registry order, state captured as plain data."""

from __future__ import annotations

import json
import os
import pickle
import random
import subprocess
import sys
from typing import Any

import numpy as np
import pytest
import seedlock
import torch
from conftest import requires_r
from seedlock import frameworks
from seedlock.launching.launch import stage_environment
from seedlock.spec.resolution import resolve

INTERFACE = ("NAME", "apply", "save", "capture_state", "restore_state", "version")


def _plain(value: Any) -> bool:
    """True when ``value`` is built from builtins only (so it pickles and means the same anywhere)."""
    if value is None or type(value) in (bool, int, float, str, bytes):
        return True
    if type(value) in (list, tuple):
        return all(_plain(v) for v in value)
    if type(value) is dict:
        return all(type(k) is str and _plain(v) for k, v in value.items())
    return False


def test_every_registered_framework_module_provides_the_whole_interface() -> None:
    assert [fw.NAME for fw in frameworks.all()] == list(frameworks.NAMES)
    for fw in frameworks.all():
        missing = [name for name in INTERFACE if not hasattr(fw, name)]
        assert missing == [], fw.NAME


def test_get_refuses_a_name_that_is_not_registered() -> None:
    with pytest.raises(KeyError):
        frameworks.get("flax")
    with pytest.raises(KeyError):
        frameworks.get("_common")


def test_every_default_passes_its_own_check() -> None:
    from seedlock.spec import settings

    for name in frameworks.NAMES:
        for key, default in settings.DEFAULTS[name].items():
            assert settings.CHECKS[name][key](default, f"/settings/{name}/{key}") == default


def test_python_numpy_and_torch_state_moves_to_a_fresh_process_as_plain_data() -> None:
    random.seed(5)
    np.random.seed(6)
    torch.manual_seed(7)
    random.random(), np.random.random(), torch.rand(1)  # a state mid-stream, not just after seeding
    state = {name: frameworks.get(name).capture_state() for name in ("python", "numpy", "torch")}
    assert _plain(state)
    expected = [random.random(), float(np.random.random()), float(torch.rand(1))]
    child = (
        "import pickle, sys, json, random, numpy as np, torch\n"
        "from seedlock import frameworks\n"
        "state = pickle.loads(sys.stdin.buffer.read())\n"
        "for name, s in state.items(): frameworks.get(name).restore_state(s)\n"
        "print(json.dumps([random.random(), float(np.random.random()), float(torch.rand(1))]))\n"
    )
    out = subprocess.run([sys.executable, "-c", child], input=pickle.dumps(state), capture_output=True, check=True)
    assert json.loads(out.stdout) == expected


def test_torch_restore_state_puts_back_flags_and_threads() -> None:
    fw = frameworks.get("torch")
    before = fw.capture_state()
    try:
        torch.use_deterministic_algorithms(True, warn_only=True)
        torch.set_num_threads(1)
        fw.restore_state(before)
        assert torch.are_deterministic_algorithms_enabled() == before["deterministic"]
        assert torch.get_num_threads() == before["num_threads"]
    finally:
        fw.restore_state(before)


@requires_r
def test_r_state_round_trips_as_plain_data() -> None:
    from seedlock.seeding import _rbridge

    fw = frameworks.get("r")
    _rbridge.r_call("set.seed(3); runif(1)")
    state = pickle.loads(pickle.dumps(fw.capture_state()))
    assert _plain(state)
    first = list(_rbridge.r_call("runif(2)"))
    _rbridge.r_call("set.seed(99, kind = 'Knuth-TAOCP')")
    fw.restore_state(state)
    assert list(_rbridge.r_call("runif(2)")) == first
    assert next(iter(_rbridge.r_call("RNGkind()"))) == "Mersenne-Twister"


def test_launcher_environment_comes_from_each_framework_of_the_stage(tmp_path: Any) -> None:
    manifest = seedlock.Manifest.from_dict(
        {
            "version": "1.0",
            "seed": 42,
            "stages": {
                "train": {"frameworks": ["python", "torch", "tensorflow", "numpy"]},
                "plain": {
                    "frameworks": ["python", "torch", "tensorflow"],
                    "settings": {
                        "python": {"hash_seed": False},
                        "torch": {"deterministic": False},
                        "tensorflow": {"op_determinism": False},
                    },
                },
            },
        }
    )
    lock = resolve(manifest, {})
    train = stage_environment(lock.stage("train"), str(tmp_path / "seedlock.spec.lock"))
    assert train == {
        "SEEDLOCK_LOCK": os.path.abspath(tmp_path / "seedlock.spec.lock"),
        "SEEDLOCK_STAGE": "train",
        "PYTHONHASHSEED": str(lock.stage("train").seed_of("python")),
        "CUBLAS_WORKSPACE_CONFIG": ":4096:8",
        "TF_DETERMINISTIC_OPS": "1",
    }
    plain = stage_environment(lock.stage("plain"), "x.lock")
    assert set(plain) == {"SEEDLOCK_LOCK", "SEEDLOCK_STAGE"}


def test_the_python_hash_seed_check_uses_the_unranked_python_seed(monkeypatch: pytest.MonkeyPatch) -> None:
    manifest = seedlock.Manifest.from_dict({"version": "1.0", "seed": 42, "stages": {"s": {"frameworks": ["python"]}}})
    stage = resolve(manifest, {}).stage("s")
    monkeypatch.setenv("PYTHONHASHSEED", str(stage.seed_of("python")))
    state = random.getstate()
    try:
        report = seedlock.apply_stage(stage, rank=3).report
    finally:
        random.setstate(state)
    assert report.ok and report.seeds["python"] == stage.rank_seed("python", 3)
