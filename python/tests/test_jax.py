"""JAX (spec 1.1): keys from the lock, an honest apply report, XLA flags, and version rules.

Every test runs real JAX on CPU; a process that must start JAX fresh is a subprocess.
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
from conftest import seedlock_cli
from seedlock.frameworks import jax as jax_fw
from seedlock.spec import _validate

FLAG = "--xla_gpu_deterministic_ops=true"


def _manifest(version: str = "1.1", **jax_settings: Any) -> dict[str, Any]:
    stage: dict[str, Any] = {"frameworks": ["jax", "numpy"]}
    if jax_settings:
        stage["settings"] = {"jax": jax_settings}
    return {"version": version, "seed": 42, "stages": {"train": stage}}


def _lock_file(tmp_path: Path, manifest: dict[str, Any]) -> Path:
    path = tmp_path / "seedlock.json"
    path.write_text(json.dumps(manifest))
    out = seedlock_cli("resolve", str(path), "-o", str(tmp_path / "seedlock.spec.lock"))
    assert out.returncode == 0, out.stderr
    return tmp_path / "seedlock.spec.lock"


def _child(code: str, env: dict[str, str]) -> str:
    full = {**os.environ, "JAX_PLATFORMS": "cpu", **env}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=full, timeout=300)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip().splitlines()[-1]


def test_stage_keys_are_typed_keys_of_the_process_seed_and_ranks_and_workers_differ() -> None:
    import jax

    stage = seedlock.apply_stage(seedlock.resolve(seedlock.Manifest.from_dict(_manifest())).stage("train"))
    key = stage.jax_key()
    assert jax.dtypes.issubdtype(key.dtype, jax.dtypes.prng_key)
    assert jax.random.key_data(key).tolist() == [0, stage.seed_of("jax")]
    draws = {
        (r, w): tuple(jax.random.uniform(stage.jax_key(rank=r, worker=w), (4,)).tolist())
        for r in (None, 0, 1)
        for w in (None, 0, 1)
    }
    assert draws[None, 1] == draws[0, 1]  # a worker outside a distributed run is a worker of rank 0 (§4.3)
    processes = {k: d for k, d in draws.items() if k[0] is not None or k[1] is None}
    assert len(set(processes.values())) == len(processes) == 7  # each process of a job draws its own stream


def test_the_lock_chooses_the_prng_implementation_of_stage_keys_and_of_the_programs_own_keys() -> None:
    import jax

    stage = seedlock.resolve(seedlock.Manifest.from_dict(_manifest(prng_impl="rbg"))).stage("train")
    with seedlock.seeded(stage) as session:
        assert str(session.jax_key().dtype) == "key<rbg>"
        assert jax.config.jax_default_prng_impl == "rbg"
        assert str(jax.random.key(1).dtype) == "key<rbg>"  # keys the program makes follow the lock too
    assert jax.config.jax_default_prng_impl == "threefry2x32"  # seeded() put the setting back


def test_apply_says_jax_has_no_global_rng_instead_of_claiming_a_seed() -> None:
    stage = seedlock.resolve(seedlock.Manifest.from_dict(_manifest())).stage("train")
    with seedlock.seeded(stage, strict=True) as session:
        jax_actions = [a for a in session.report.actions if a.framework == "jax"]
    first = jax_actions[0]
    assert (first.status, first.what) == ("skipped", "global seed")
    assert "no global random generator" in first.detail and "session.jax_key()" in first.detail
    assert {a.what for a in jax_actions if a.status == "applied"} >= {
        "jax_default_prng_impl = threefry2x32",
        "jax_threefry_partitionable = True",
    }
    assert session.report.ok


def test_apply_sets_xla_flags_before_jax_starts_keeping_the_users_flags(tmp_path: Path) -> None:
    lock = _lock_file(tmp_path, _manifest())
    code = (
        "import os, seedlock, jax\n"
        "r = seedlock.apply_from_env(strict=True).report\n"
        "jax.numpy.zeros(1)\n"
        "print(os.environ['XLA_FLAGS'] + '|' + [str(a) for a in r.actions if 'XLA_FLAGS' in a.what][0])"
    )
    out = _child(code, {"SEEDLOCK_LOCK": str(lock), "SEEDLOCK_STAGE": "train", "XLA_FLAGS": "--xla_dump_to=/tmp/x"})
    flags, action = out.split("|")
    assert flags == f"--xla_dump_to=/tmp/x {FLAG}"
    assert "applied" in action and "before JAX started" in action


def test_apply_after_jax_started_on_cpu_reports_the_flag_as_skipped_not_applied(tmp_path: Path) -> None:
    lock = _lock_file(tmp_path, _manifest())
    code = (
        "import os, jax, seedlock\n"
        "jax.numpy.zeros(1)\n"
        "r = seedlock.apply_from_env(strict=True).report\n"
        "print([str(a) for a in r.actions if 'XLA_FLAGS' in a.what][0] + '|' + os.environ.get('XLA_FLAGS', ''))"
    )
    out = _child(code, {"SEEDLOCK_LOCK": str(lock), "SEEDLOCK_STAGE": "train", "XLA_FLAGS": ""})
    action, flags = out.split("|")
    assert "skipped" in action and "cpu only" in action
    assert FLAG not in flags  # too late to matter: not pretended


def test_seedlock_run_appends_the_determinism_flag_to_the_users_xla_flags(tmp_path: Path) -> None:
    lock = _lock_file(tmp_path, _manifest())
    probe = "import os; print(os.environ['XLA_FLAGS'])"
    out = seedlock_cli(
        "run",
        str(lock),
        "--stage",
        "train",
        "--",
        sys.executable,
        "-c",
        probe,
        env={"XLA_FLAGS": "--xla_cpu_multi_thread_eigen=false"},
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == f"--xla_cpu_multi_thread_eigen=false {FLAG}"
    off = _lock_file(tmp_path, _manifest(deterministic_ops=False))
    out = seedlock_cli(
        "run",
        str(off),
        "--stage",
        "train",
        "--",
        sys.executable,
        "-c",
        probe,
        env={"XLA_FLAGS": "--xla_cpu_multi_thread_eigen=false"},
    )
    assert out.stdout.strip() == "--xla_cpu_multi_thread_eigen=false"


def test_stage_keys_repeat_in_fresh_processes_and_follow_the_seed(tmp_path: Path) -> None:
    lock = _lock_file(tmp_path, _manifest())
    code = (
        "import os, jax, seedlock\n"
        "s = seedlock.apply_stage(seedlock.load_lock(os.environ['SEEDLOCK_LOCK']).stage('train'))\n"
        "print(jax.random.normal(s.jax_key(rank=1), (3,)).tolist())"
    )
    env = {"SEEDLOCK_LOCK": str(lock)}
    assert _child(code, env) == _child(code, env)
    other = tmp_path / "other"
    other.mkdir()
    assert _child(code, {"SEEDLOCK_LOCK": str(_lock_file(other, {**_manifest(), "seed": 43}))}) != _child(code, env)


def test_jax_has_no_global_state_to_capture() -> None:
    assert jax_fw.capture_state() == {}
    jax_fw.restore_state({})


def test_a_1_0_manifest_stays_valid_and_locks_as_1_0_while_jax_needs_1_1() -> None:
    old = {"version": "1.0", "seed": 42, "stages": {"train": {"frameworks": ["numpy"]}}}
    assert seedlock.resolve(seedlock.Manifest.from_dict(old)).to_dict()["lock-version"] == "1.0"
    with pytest.raises(seedlock.SeedlockError) as info:
        seedlock.Manifest.from_dict(_manifest(version="1.0"))
    assert (info.value.code, info.value.pointer) == ("unknown-framework", "/stages/train/frameworks/0")
    assert seedlock.resolve(seedlock.Manifest.from_dict(_manifest())).to_dict()["lock-version"] == "1.1"


def test_a_binding_of_spec_1_0_refuses_a_1_1_manifest_as_unsupported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_validate, "SUPPORTED_MINOR", 0)
    with pytest.raises(seedlock.SeedlockError) as info:
        seedlock.Manifest.from_dict(_manifest())
    assert (info.value.code, info.value.pointer) == ("unsupported-version", "/version")


# A training loop as users write it: apply for this rank, then every epoch enter it and take the
# epoch's keys from the stage (per-process keys with rank=, global keys without). Prints
# {epoch: {name: [draws], name + "_key": key_data}} as JSON.
_EPOCH_LOOP = """
import json, os, sys, jax, seedlock
stage = seedlock.apply_stage(seedlock.load_lock(os.environ['SEEDLOCK_LOCK']).stage('train'), rank=int(sys.argv[1]))
out = {}
for epoch in json.loads(sys.argv[2]):
    stage.seed_epoch(epoch)
    draws = {}
    for name in ('dropout', 'init'):
        key = stage.jax_key(name, rank=int(sys.argv[1]))
        draws[name] = jax.random.uniform(key, (4,)).tolist()
        draws[name + '_key'] = jax.random.key_data(key).tolist()
    draws['unnamed'] = jax.random.uniform(stage.jax_key(rank=int(sys.argv[1])), (4,)).tolist()
    draws['global'] = jax.random.key_data(stage.jax_key('init')).tolist()  # no rank: the same in every process
    out[epoch] = draws
print(json.dumps(out))
"""


def _epoch_loop(lock: Path, rank: int, epochs: list[int]) -> dict[str, Any]:
    full = {**os.environ, "JAX_PLATFORMS": "cpu", "SEEDLOCK_LOCK": str(lock)}
    out = subprocess.run(
        [sys.executable, "-c", _EPOCH_LOOP, str(rank), json.dumps(epochs)],
        capture_output=True,
        text=True,
        env=full,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def test_a_three_epoch_loop_taking_named_keys_draws_anew_each_epoch_name_and_rank_and_repeats_in_a_fresh_process(
    tmp_path: Path,
) -> None:
    lock = _lock_file(tmp_path, _manifest())
    rank0 = _epoch_loop(lock, 0, [0, 1, 2])
    for name in ("dropout", "init", "unnamed"):
        per_epoch = [tuple(rank0[str(e)][name]) for e in range(3)]
        assert len(set(per_epoch)) == 3, f"{name} keys repeat across epochs: {per_epoch}"
    for e in range(3):
        assert rank0[str(e)]["dropout"] != rank0[str(e)]["init"]  # names are separate streams
    rank1 = _epoch_loop(lock, 1, [0, 1, 2])
    for e in range(3):
        for name in ("dropout", "init", "unnamed"):
            assert rank1[str(e)][name] != rank0[str(e)][name]  # the rank asked for is the key's rank
        # A key without a rank is the same in every process of a multi-controller program, rank applied or not.
        assert rank1[str(e)]["global"] == rank0[str(e)]["global"] != rank0[str(e)]["init_key"]
    # The right keys, not merely different ones: S = derive(derive(derive(F, rank, r), epoch, e), stream, n).
    jax_seed = seedlock.load_lock(str(lock)).stage("train").seed_of("jax")
    for e in range(3):
        base = seedlock.derive(seedlock.derive(jax_seed, "rank", "1"), "epoch", str(e))
        assert rank1[str(e)]["dropout_key"] == [0, seedlock.derive(base, "stream", "dropout")]
    assert _epoch_loop(lock, 0, [0, 1, 2]) == rank0  # a fresh process repeats every epoch's keys


def test_a_run_resumed_at_epoch_2_in_a_new_process_gets_epoch_2s_keys(tmp_path: Path) -> None:
    lock = _lock_file(tmp_path, _manifest())
    uninterrupted = _epoch_loop(lock, 0, [0, 1, 2])
    resumed = _epoch_loop(lock, 0, [2])
    assert resumed["2"] == uninterrupted["2"]


def test_the_unnamed_key_taken_from_the_stage_after_seed_epoch_differs_per_epoch() -> None:
    import jax

    stage = seedlock.resolve(seedlock.Manifest.from_dict(_manifest())).stage("train")
    with seedlock.seeded(stage) as session:
        keys = []
        for epoch in range(3):
            session.seed_epoch(epoch)
            keys.append(tuple(jax.random.key_data(session.jax_key()).tolist()))
    assert len(set(keys)) == 3  # before, every epoch got the same key and repeated its randomness
    assert keys[0] == (0, seedlock.derive(stage.seed_of("jax"), "epoch", "0"))  # the epoch seed E of §4.3


def test_seed_epoch_reports_that_jax_keys_now_follow_the_epoch() -> None:
    stage = seedlock.resolve(seedlock.Manifest.from_dict(_manifest())).stage("train")
    with seedlock.seeded(stage) as session:
        report = session.seed_epoch(3)
    keys = [a for a in report.actions if a.framework == "jax" and "epoch 3" in a.what]
    assert len(keys) == 1 and keys[0].status == "applied", report.actions
    assert "session.jax_key()" in keys[0].detail and "taken before" in keys[0].detail


def test_jax_keys_of_a_new_session_are_outside_any_epoch_and_follow_a_loaded_state_dict() -> None:
    import jax

    lock = seedlock.resolve(seedlock.Manifest.from_dict(_manifest()))
    stage = lock.stage("train")
    with seedlock.seeded(stage) as session:
        before = jax.random.key_data(session.jax_key("dropout")).tolist()
        session.seed_epoch(1)
        in_epoch = jax.random.key_data(session.jax_key("dropout")).tolist()
        state = session.state_dict()
        session = seedlock.apply_stage(stage)
        assert jax.random.key_data(session.jax_key("dropout")).tolist() == before != in_epoch
    again = seedlock.apply_stage(seedlock.resolve(seedlock.Manifest.from_dict(_manifest())).stage("train"))
    again.load_state_dict(state)  # a checkpoint taken in epoch 1 brings epoch 1's keys back
    assert jax.random.key_data(again.jax_key("dropout")).tolist() == in_epoch


def test_a_key_name_must_be_a_label() -> None:
    stage = seedlock.apply_stage(seedlock.resolve(seedlock.Manifest.from_dict(_manifest())).stage("train"))
    with pytest.raises(seedlock.SeedlockError) as info:
        stage.jax_key("Dropout")
    assert info.value.code == "invalid-label"
