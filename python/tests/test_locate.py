"""`seedlock verify --locate`: each injected source of divergence is found where it enters (step,
module or input, rank), with what was identical before it; a reproducible command has no divergence."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest

from conftest import seedlock_cli

PROGRAMS = Path(__file__).parent / "data" / "locate"


def _lock(tmp_path: Path, frameworks: list[str]) -> Path:
    manifest, lock = tmp_path / "m.json", tmp_path / "seedlock.lock.json"
    manifest.write_text(json.dumps({"version": "1.0", "seed": 5, "stages": {"train": {"frameworks": frameworks}}}))
    assert seedlock_cli("resolve", str(manifest), "-o", str(lock), "--no-provenance").returncode == 0
    return lock


def _locate(tmp_path: Path, program: str, *cmd: str, frameworks: list[str] | None = None, output: str = "out.pt",
            flags: tuple[str, ...] = ()) -> tuple[Any, dict[str, Any]]:
    lock = _lock(tmp_path, frameworks or ["python", "numpy", "torch"])
    work = tmp_path / "project"
    work.mkdir()
    shutil.copy(PROGRAMS / program, work / program)
    report = tmp_path / "locate.json"
    out = seedlock_cli("verify", str(lock), "--stage", "train", "--output", output, "--json", str(report), *flags,
                       "--", *(cmd or (sys.executable, program)), cwd=work)
    assert report.exists(), out.stdout + out.stderr
    return out, json.loads(report.read_text())


def test_a_layer_drawing_from_an_unseeded_generator_from_step_7_is_located_at_step_7_in_that_layer(tmp_path: Path) -> None:
    out, found = _locate(tmp_path, "noisy_layer.py")
    assert out.returncode == 1, out.stdout + out.stderr
    first = found["first_divergence"]
    assert (first["step"], first["module"], first["tensor"], first["rank"]) == (7, "encoder.2", "forward-output", 0)
    assert first["max_abs_diff"] > 0.01
    assert found["identical_before"] == {"steps": 7, "at_step": ["the input batch", "forward output of encoder.0",
                                                                 "forward output of encoder.1"]}
    assert "generator the lock does not control" in found["cause"]
    assert "first divergence at step 7, rank 0:\n  forward-output of encoder.2; largest difference" in out.stdout


def test_a_dataloader_shuffling_with_an_unseeded_generator_is_located_at_the_input_batch_of_step_0(tmp_path: Path) -> None:
    out, found = _locate(tmp_path, "loader_shuffle.py")
    assert out.returncode == 1
    first = found["first_divergence"]
    assert (first["step"], first["tensor"], first["module"]) == (0, "input-batch", "Sequential")
    assert found["identical_before"]["steps"] == 0
    assert "data order" in found["cause"]


def test_numpy_reseeded_from_the_clock_mid_training_is_located_at_the_batch_of_that_step_and_named(tmp_path: Path) -> None:
    out, found = _locate(tmp_path, "numpy_reseed.py")
    assert out.returncode == 1
    first = found["first_divergence"]
    assert (first["step"], first["tensor"]) == (5, "input-batch")
    assert found["identical_before"]["steps"] == 5
    assert found["ranks"][0]["generators"] == ["numpy global (forward of Sequential)"]
    assert "numpy global generator was in another state before it, from step 5 on" in found["cause"]


def test_a_reduction_that_depends_on_the_thread_count_is_located_in_its_layer_as_rounding(tmp_path: Path) -> None:
    # The program sets 1 thread in the locator's run 1 and 4 in run 2: verify's own runs agree, so --locate.
    out, found = _locate(tmp_path, "threads.py", flags=("--locate",))
    assert out.returncode == 0, out.stdout + out.stderr
    first = found["first_divergence"]
    assert (first["step"], first["module"], first["tensor"]) == (0, "1", "forward-output")
    assert 0 < first["max_abs_diff"] < 1e-4
    assert found["identical_before"]["at_step"] == ["the input batch", "forward output of 0"]
    assert "number of threads" in found["cause"]


def test_a_reproducible_training_run_has_no_divergence_and_exits_0(tmp_path: Path) -> None:
    out, found = _locate(tmp_path, "seeded.py", flags=("--locate",))
    assert out.returncode == 0, out.stdout + out.stderr
    assert found["first_divergence"] is None and found["recorded"] is True
    assert "seedlock: locate: no divergence" in out.stdout


def test_a_numpy_pipeline_is_located_through_its_probes_at_the_epoch_that_draws_from_the_os(tmp_path: Path) -> None:
    out, found = _locate(tmp_path, "numpy_pipeline.py", frameworks=["python", "numpy"], output="out.npy")
    assert out.returncode == 1
    first = found["first_divergence"]
    assert (first["step"], first["tensor"], first["name"], first["module"]) == (2, "probe", "batch", None)
    assert 0 < first["max_abs_diff"] < 2
    assert found["fine_step"] is None  # probes keep their values: no fine pass


def test_a_command_that_records_nothing_says_so_and_keeps_verifys_status(tmp_path: Path) -> None:
    lock = _lock(tmp_path, ["python"])
    out = seedlock_cli("verify", str(lock), "--stage", "train", "--output", "o.txt", "--",
                       sys.executable, "-c", "import os; open('o.txt','w').write(os.urandom(4).hex())", cwd=tmp_path)
    assert out.returncode == 1
    assert "seedlock: locate: nothing was recorded" in out.stdout


def test_no_locate_skips_the_locator(tmp_path: Path) -> None:
    lock = _lock(tmp_path, ["python"])
    out = seedlock_cli("verify", str(lock), "--stage", "train", "--output", "o.txt", "--no-locate", "--",
                       sys.executable, "-c", "import os; open('o.txt','w').write(os.urandom(4).hex())", cwd=tmp_path)
    assert out.returncode == 1
    assert "seedlock: locate" not in out.stdout and "verify --locate" not in out.stderr
