"""Caffe: the solver writer (golden vectors), validation with line numbers, the CLI, real Caffe."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import seedlock
from conftest import REPO, seedlock_cli, vector_cases
from seedlock.seeding import caffe_solver
from seedlock.spec.resolution import resolve

CAFFE_DIR = REPO / "caffe"


@pytest.mark.parametrize("case", vector_cases("caffe"))
def test_solver_writer_vector(case: dict[str, Any]) -> None:
    # newline="" semantics: the vector text is exactly the file's bytes, CRLF included.
    data = case["input"]["solver"].encode("utf-8")
    if "error" in case:
        with pytest.raises(seedlock.SeedlockError) as info:
            caffe_solver.set_random_seed(data, case["input"]["seed"])
        assert (info.value.code, info.value.pointer) == (case["error"]["code"], case["error"]["pointer"])
        return
    out = caffe_solver.set_random_seed(data, case["input"]["seed"])
    assert out == case["expected"]["solver"].encode("utf-8")


def test_only_the_random_seed_line_differs(tmp_path: Path) -> None:
    original = (CAFFE_DIR / "solver.prototxt").read_bytes()
    seeded = caffe_solver.set_random_seed(original, 123)
    assert seeded.startswith(original)
    assert seeded[len(original) :] == b"random_seed: 123\n"
    again = caffe_solver.set_random_seed(seeded, 456)
    assert [a == b for a, b in zip(seeded.splitlines(), again.splitlines(), strict=True)].count(False) == 1


def test_validation_errors_name_the_line() -> None:
    with pytest.raises(seedlock.SeedlockError) as info:
        caffe_solver.validate(b'net: "n.prototxt"\nbase_lr: 0.1\n\nbse_lr: 0.2\n')
    assert str(info.value) == (
        'Invalid solver: line 4, column 1: Message type "caffe.SolverParameter" has no field named "bse_lr".'
    )


def test_the_shipped_example_solver_is_valid_and_references_its_net() -> None:
    info = caffe_solver.validate((CAFFE_DIR / "solver.prototxt").read_bytes())
    assert info.net_files == (("net", "caffe/net.prototxt", 3),)
    assert info.random_seed is None


def _lock(tmp_path: Path) -> Path:
    lock = tmp_path / "caffe.lock.json"
    out = seedlock_cli("resolve", str(CAFFE_DIR / "manifest.json"), "-o", str(lock), cwd=REPO)
    assert out.returncode == 0, out.stderr
    return lock


def _solver_cli(lock: Path, *args: str) -> Any:
    return seedlock_cli("caffe-solver", str(lock), "--stage", "train", *args, cwd=REPO)


def _caffe_seed(lock: Path) -> int:
    return int(json.loads(lock.read_text())["stages"]["train"]["frameworks"]["caffe"]["seed"])


def test_the_cli_writes_the_stage_seed_to_stdout_byte_identically_each_time(tmp_path: Path) -> None:
    lock = _lock(tmp_path)
    runs = [_solver_cli(lock) for _ in range(2)]
    assert runs[0].returncode == 0, runs[0].stderr
    assert runs[0].stdout == runs[1].stdout
    assert runs[0].stdout.endswith(f"random_seed: {_caffe_seed(lock)}\n")


def test_in_place_keeps_the_file_mode_and_check_then_passes(tmp_path: Path) -> None:
    lock = _lock(tmp_path)
    solver = tmp_path / "solver.prototxt"
    shutil.copy(CAFFE_DIR / "solver.prototxt", solver)
    solver.chmod(0o640)
    before = _solver_cli(lock, str(solver), "--check")
    assert before.returncode == 1 and "random_seed absent" in before.stdout
    out = _solver_cli(lock, str(solver), "--in-place")
    assert out.returncode == 0, out.stderr
    assert solver.stat().st_mode & 0o777 == 0o640
    after = _solver_cli(lock, str(solver), "--check")
    assert after.returncode == 0
    assert f"random_seed {_caffe_seed(lock)} on line 14 matches the lock" in after.stdout
    assert "net 'caffe/net.prototxt' on line 3 (found; left untouched)" in after.stdout


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a file to another user needs root (CI containers run as root)")
def test_in_place_as_root_keeps_another_users_owner_group_mode_and_hard_link(tmp_path: Path) -> None:
    lock = _lock(tmp_path)
    solver = tmp_path / "solver.prototxt"
    shutil.copy(CAFFE_DIR / "solver.prototxt", solver)
    os.chown(solver, 4321, 8765)
    solver.chmod(0o604)
    twin = tmp_path / "twin.prototxt"
    os.link(solver, twin)
    inode = solver.stat().st_ino
    out = _solver_cli(lock, str(solver), "--in-place")
    assert out.returncode == 0, out.stderr
    info = solver.stat()
    assert (info.st_uid, info.st_gid, info.st_mode & 0o7777) == (4321, 8765, 0o604)
    assert (info.st_ino, info.st_nlink) == (inode, 2)
    assert twin.read_bytes() == solver.read_bytes()
    assert f"random_seed: {_caffe_seed(lock)}" in twin.read_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["caffe.lock.json", "solver.prototxt", "twin.prototxt"]


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a file to another user needs root (CI containers run as root)")
def test_in_place_as_root_on_a_single_link_file_is_atomic_and_keeps_its_owner(tmp_path: Path) -> None:
    lock = _lock(tmp_path)
    solver = tmp_path / "solver.prototxt"
    shutil.copy(CAFFE_DIR / "solver.prototxt", solver)
    os.chown(solver, 4321, 8765)
    solver.chmod(0o600)
    out = _solver_cli(lock, str(solver), "--in-place")
    assert out.returncode == 0, out.stderr
    info = solver.stat()
    assert (info.st_uid, info.st_gid, info.st_mode & 0o7777) == (4321, 8765, 0o600)
    assert f"random_seed: {_caffe_seed(lock)}" in solver.read_text()


def test_check_reports_a_different_seed(tmp_path: Path) -> None:
    lock = _lock(tmp_path)
    solver = tmp_path / "s.prototxt"
    solver.write_text('net: "caffe/net.prototxt"\nrandom_seed: 5\n')
    out = _solver_cli(lock, str(solver), "--check")
    assert out.returncode == 1
    assert f"random_seed 5 on line 2 differs from the lock's caffe seed {_caffe_seed(lock)}" in out.stdout


def test_an_invalid_solver_is_one_line_and_the_file_is_untouched(tmp_path: Path) -> None:
    lock = _lock(tmp_path)
    solver = tmp_path / "bad.prototxt"
    solver.write_text('net: "n.prototxt"\nsolver_mode: TPU\n')
    out = _solver_cli(lock, str(solver), "--in-place")
    assert out.returncode == 2
    assert out.stderr.startswith(f"seedlock: error[invalid-solver] {solver}: Invalid solver: line 2, column 14: ")
    assert out.stderr.count("\n") == 1
    assert solver.read_text() == 'net: "n.prototxt"\nsolver_mode: TPU\n'
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.prototxt", "caffe.lock.json"]


def test_a_stage_without_caffe_is_an_error(tmp_path: Path) -> None:
    m = tmp_path / "m.json"
    m.write_text(json.dumps({"version": "1.0", "seed": 1, "stages": {"train": {"frameworks": ["numpy"]}}}))
    lock = tmp_path / "l.json"
    seedlock_cli("resolve", str(m), "-o", str(lock))
    out = seedlock_cli("caffe-solver", str(lock), "--stage", "train", str(CAFFE_DIR / "solver.prototxt"))
    assert out.returncode == 2 and "error[framework-not-in-stage]" in out.stderr


def test_the_solver_gets_the_stage_seed_even_when_launched_as_a_rank(tmp_path: Path) -> None:
    # Caffe adds the rank itself (rank r trains with random_seed + r): a launcher's rank variables
    # must not make seedlock derive a rank seed as well, or rank r would be offset twice (spec §6).
    lock = tmp_path / "l.json"
    seedlock_cli("resolve", str(CAFFE_DIR / "manifest.json"), "-o", str(lock))
    seed = seedlock.load_lock(lock).stage("train").seed_of("caffe")
    ranked = {"RANK": "3", "LOCAL_RANK": "3", "WORLD_SIZE": "4", "SEEDLOCK_RANK": "3"}
    out = seedlock_cli("caffe-solver", str(lock), "--stage", "train", str(CAFFE_DIR / "solver.prototxt"), env=ranked)
    assert out.returncode == 0, out.stderr
    assert out.stdout.endswith(f"random_seed: {seed}\n")
    assert seed != seedlock.spec.derivation.rank_seed(seed, 3)


def test_a_solver_with_latin1_bytes_in_comments_is_seeded_keeping_every_byte() -> None:
    # Real Caffe 1.0 reads legacy solvers whose comments are Latin-1 (checked against the binary).
    data = b'# Solver f\xfcr das Netz \xa9 2015\r\nnet: "train_val.prototxt"\r\nbase_lr: 0.01 # \xe9t\xe9\r\n'
    out = caffe_solver.set_random_seed(data, 7)
    assert out == data + b"random_seed: 7\r\n"
    assert caffe_solver.validate(out).random_seed == 7


def test_non_utf8_bytes_outside_comments_are_still_refused() -> None:
    with pytest.raises(seedlock.SeedlockError) as err:
        caffe_solver.validate(b'net: "tr\xe4in.prototxt"\n')
    assert err.value.code == "invalid-solver"


def test_apply_without_pycaffe_says_the_solver_file_seeds_caffe() -> None:
    lock = resolve(seedlock.Manifest.from_dict(json.loads((CAFFE_DIR / "manifest.json").read_text())), {})
    report = seedlock.apply_stage(lock.stage("train"), strict=True).report
    (action,) = report.actions
    try:
        import caffe  # type: ignore[import-not-found]
    except ImportError:
        caffe = None
    if not callable(getattr(caffe, "set_random_seed", None)):
        assert action.status == "skipped"
        assert "seed Caffe through the solver file" in action.detail
    else:
        assert action.status == "applied"


def _caffe_binary() -> str | None:
    return os.environ.get("SEEDLOCK_CAFFE_BIN") or shutil.which("caffe")


@pytest.mark.skipif(
    _caffe_binary() is None,
    reason="no Caffe binary: Caffe is not packaged for this machine; set SEEDLOCK_CAFFE_BIN or put `caffe` "
    "on PATH to train the example net for real",
)
def test_real_caffe_trains_identical_weights_twice_and_different_with_another_seed(tmp_path: Path) -> None:
    caffe = _caffe_binary()
    assert caffe is not None
    workdir = tmp_path / "work"
    shutil.copytree(CAFFE_DIR, workdir / "caffe")

    def train(seed: int, name: str) -> bytes:
        solver = workdir / "caffe" / f"solver-{name}.prototxt"
        solver.write_bytes(
            caffe_solver.set_random_seed((workdir / "caffe" / "solver.prototxt").read_bytes(), seed).replace(
                b"caffe/out/tiny", f"caffe/out/{name}".encode()
            )
        )
        (workdir / "caffe" / "out").mkdir(exist_ok=True)
        subprocess.run(
            [caffe, "train", f"--solver={solver}"], cwd=workdir, check=True, capture_output=True, timeout=600
        )
        (model,) = (workdir / "caffe" / "out").glob(f"{name}_iter_*.caffemodel")
        return model.read_bytes()

    a, b, c = train(1234, "a"), train(1234, "b"), train(4321, "c")
    assert a == b
    assert a != c
