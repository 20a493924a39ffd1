"""`seedlock verify --locate`: each injected source of divergence is found where it enters (step,
module or input, rank), with what was identical before it; a reproducible command has no divergence."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import child_environ, seedlock_cli, vector_cases

PROGRAMS = Path(__file__).parent / "data" / "locate"


def _lock(tmp_path: Path, frameworks: list[str]) -> Path:
    manifest, lock = tmp_path / "m.json", tmp_path / "seedlock.lock.json"
    manifest.write_text(json.dumps({"version": "1.0", "seed": 5, "stages": {"train": {"frameworks": frameworks}}}))
    assert seedlock_cli("resolve", str(manifest), "-o", str(lock), "--no-provenance").returncode == 0
    return lock


def _locate(
    tmp_path: Path,
    program: str,
    *cmd: str,
    frameworks: list[str] | None = None,
    output: str = "out.pt",
    flags: tuple[str, ...] = (),
) -> tuple[Any, dict[str, Any]]:
    lock = _lock(tmp_path, frameworks or ["python", "numpy", "torch"])
    work = tmp_path / "project"
    work.mkdir()
    shutil.copy(PROGRAMS / program, work / program)
    report = tmp_path / "locate.json"
    # Six runs of the program (verify's two, two coarse, two fine): longer than seedlock_cli's limit on a busy machine.
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "seedlock",
            "verify",
            str(lock),
            "--stage",
            "train",
            "--output",
            output,
            "--json",
            str(report),
            *flags,
            "--",
            *(cmd or (sys.executable, program)),
        ],
        capture_output=True,
        text=True,
        env=child_environ(),
        cwd=work,
        timeout=900,
    )
    assert report.exists(), out.stdout + out.stderr
    return out, json.loads(report.read_text())


@pytest.mark.slow
def test_a_layer_drawing_from_an_unseeded_generator_from_step_7_is_located_at_step_7_in_that_layer(
    tmp_path: Path,
) -> None:
    out, found = _locate(tmp_path, "noisy_layer.py")
    assert out.returncode == 1, out.stdout + out.stderr
    first = found["first_divergence"]
    assert (first["step"], first["module"], first["tensor"], first["rank"]) == (7, "encoder.2", "forward-output", 0)
    assert first["max_abs_diff"] > 0.01
    assert found["identical_before"] == {
        "steps": 7,
        "at_step": ["the input batch", "forward output of encoder.0", "forward output of encoder.1"],
    }
    assert "generator the lock does not control" in found["cause"]
    assert "first divergence at step 7, rank 0:\n  forward-output of encoder.2; largest difference" in out.stdout


@pytest.mark.slow
def test_a_dataloader_shuffling_with_an_unseeded_generator_is_located_at_the_input_batch_of_step_0(
    tmp_path: Path,
) -> None:
    out, found = _locate(tmp_path, "loader_shuffle.py")
    assert out.returncode == 1
    first = found["first_divergence"]
    assert (first["step"], first["tensor"], first["module"]) == (0, "input-batch", "Sequential")
    assert found["identical_before"]["steps"] == 0
    assert "data order" in found["cause"]


@pytest.mark.slow
def test_numpy_reseeded_from_the_clock_mid_training_is_located_at_the_batch_of_that_step_and_named(
    tmp_path: Path,
) -> None:
    out, found = _locate(tmp_path, "numpy_reseed.py")
    assert out.returncode == 1
    first = found["first_divergence"]
    assert (first["step"], first["tensor"]) == (5, "input-batch")
    assert found["identical_before"]["steps"] == 5
    assert found["ranks"][0]["generators"] == ["numpy global (forward of Sequential)"]
    assert "numpy global generator was in another state before it, from step 5 on" in found["cause"]


@pytest.mark.slow
def test_a_reduction_that_depends_on_the_thread_count_is_located_in_its_layer_as_rounding(tmp_path: Path) -> None:
    # The program sets 1 thread in the locator's run 1 and 4 in run 2: verify's own runs agree, so --locate.
    out, found = _locate(tmp_path, "threads.py", flags=("--locate",))
    assert out.returncode == 0, out.stdout + out.stderr
    first = found["first_divergence"]
    assert (first["step"], first["module"], first["tensor"]) == (0, "1", "forward-output")
    assert 0 < first["max_abs_diff"] < 1e-4
    assert found["identical_before"]["at_step"] == ["the input batch", "forward output of 0"]
    assert "number of threads" in found["cause"]


@pytest.mark.slow
def test_a_reproducible_training_run_has_no_divergence_and_exits_0(tmp_path: Path) -> None:
    out, found = _locate(tmp_path, "seeded.py", flags=("--locate",))
    assert out.returncode == 0, out.stdout + out.stderr
    assert found["first_divergence"] is None and found["recorded"] is True
    assert "seedlock: locate: no divergence" in out.stdout


@pytest.mark.slow
def test_a_numpy_pipeline_is_located_through_its_probes_at_the_epoch_that_draws_from_the_os(tmp_path: Path) -> None:
    out, found = _locate(tmp_path, "numpy_pipeline.py", frameworks=["python", "numpy"], output="out.npy")
    assert out.returncode == 1
    first = found["first_divergence"]
    assert (first["step"], first["tensor"], first["name"], first["module"]) == (2, "probe", "batch", None)
    assert 0 < first["max_abs_diff"] < 2
    assert found["fine_step"] is None  # probes keep their values: no fine pass


def test_a_command_that_records_nothing_says_so_and_keeps_verifys_status(tmp_path: Path) -> None:
    lock = _lock(tmp_path, ["python"])
    out = seedlock_cli(
        "verify",
        str(lock),
        "--stage",
        "train",
        "--output",
        "o.txt",
        "--",
        sys.executable,
        "-c",
        "import os; open('o.txt','w').write(os.urandom(4).hex())",
        cwd=tmp_path,
    )
    assert out.returncode == 1
    assert "seedlock: locate: nothing was recorded" in out.stdout


def test_no_locate_skips_the_locator(tmp_path: Path) -> None:
    lock = _lock(tmp_path, ["python"])
    out = seedlock_cli(
        "verify",
        str(lock),
        "--stage",
        "train",
        "--output",
        "o.txt",
        "--no-locate",
        "--",
        sys.executable,
        "-c",
        "import os; open('o.txt','w').write(os.urandom(4).hex())",
        cwd=tmp_path,
    )
    assert out.returncode == 1
    assert "seedlock: locate" not in out.stdout and "verify --locate" not in out.stderr


@pytest.mark.parametrize("case", vector_cases("locate"))
def test_probe_records_follow_the_vectors(
    case: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import numpy as np
    import seedlock
    from seedlock.locate import _record

    monkeypatch.setenv("SEEDLOCK_LOCATE", str(tmp_path / "records"))
    monkeypatch.delenv("SEEDLOCK_LOCATE_STEP", raising=False)
    monkeypatch.setattr(_record, "_recorder", None)
    given = case["input"]
    value = np.array([float(v) for v in given["values"]]).reshape(given["shape"])
    for _ in range(given["calls"]):
        seedlock.probe(given["name"], value)
    _record.recorder().close()
    (path,) = (tmp_path / "records").iterdir()
    record = [r for r in map(json.loads, path.read_text().splitlines()) if r["type"] == "probe"][-1]
    assert {k: record[k] for k in case["expected"]} == case["expected"]


def test_a_probe_outside_the_locator_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import seedlock
    from seedlock.locate import _record

    monkeypatch.delenv("SEEDLOCK_LOCATE", raising=False)
    monkeypatch.setattr(_record, "_recorder", None)
    monkeypatch.chdir(tmp_path)
    seedlock.probe("x", [1.0, 2.0])
    assert _record._recorder is None and list(tmp_path.iterdir()) == []


@pytest.fixture(scope="module")
def r_library(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This checkout's R package (the one with ``probe``), installed for the scripts the tests run."""
    if shutil.which("R") is None:
        pytest.skip("R is not installed: run `make setup`")
    library = tmp_path_factory.mktemp("rlib")
    done = subprocess.run(
        [
            "R",
            "CMD",
            "INSTALL",
            "--no-docs",
            "--no-multiarch",
            "-l",
            str(library),
            str(Path(__file__).parents[2] / "r" / "seedlock"),
        ],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return library


@pytest.mark.slow
def test_an_r_script_is_located_through_its_probes_at_the_epoch_that_reseeds_from_the_clock(
    tmp_path: Path, r_library: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("R_LIBS", str(r_library))
    out, found = _locate(tmp_path, "pipeline.R", "Rscript", "pipeline.R", frameworks=["r"], output="out.txt")
    assert out.returncode == 1, out.stdout + out.stderr
    first = found["first_divergence"]
    assert (first["step"], first["tensor"], first["name"]) == (1, "probe", "batch")
    assert first["max_abs_diff"] > 0
    assert found["ranks"][0]["identical_before"] == {"steps": 1, "at_step": []}


@pytest.mark.slow
def test_a_keras_layer_with_unseeded_noise_is_located_at_step_0_in_that_layer(tmp_path: Path) -> None:
    out, found = _locate(
        tmp_path, "keras_noise.py", frameworks=["python", "numpy", "tensorflow"], output="out.weights.h5"
    )
    assert out.returncode == 1, out.stdout + out.stderr
    first = found["first_divergence"]
    assert (first["step"], first["module"], first["tensor"]) == (0, "sequential/noisy", "forward-output")
    assert found["identical_before"]["at_step"] == ["the input batch", "forward output of sequential/dense_in"]
    assert "generator the lock does not control" in found["cause"]


@pytest.mark.slow
def test_a_ddp_run_where_rank_1_diverges_reports_each_rank_and_rank_1_first(tmp_path: Path) -> None:
    out, found = _locate(
        tmp_path,
        "ddp_rank.py",
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        "--nproc-per-node",
        "2",
        "ddp_rank.py",
    )
    assert out.returncode == 1, out.stdout + out.stderr
    first = found["first_divergence"]
    assert (first["rank"], first["step"], first["tensor"]) == (1, 3, "input-batch")
    ranks = {r["rank"]: r["first_divergence"] for r in found["ranks"]}
    # Rank 0's own batch and forward pass stay identical: its gradients differ once DDP averages rank 1's in.
    assert (ranks[0]["step"], ranks[0]["tensor"]) == (3, "gradient")
    assert "rank 0: step 3, gradient" in out.stdout


@pytest.mark.slow
def test_a_named_stream_drawn_a_varying_number_of_times_is_named_as_the_cause(tmp_path: Path) -> None:
    out, found = _locate(tmp_path, "stream_skip.py", flags=("--locate",))
    first = found["first_divergence"]
    assert (first["step"], first["tensor"]) == (4, "input-batch"), out.stdout + out.stderr
    assert found["ranks"][0]["generators"] == ["stream numpy:augment (forward of Sequential)"]
    assert "stream numpy:augment generator was in another state before it, from step 4 on" in found["cause"]


def test_a_forked_child_probing_writes_its_own_file_and_never_the_parents_records_twice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    import seedlock
    from seedlock.locate import _record

    monkeypatch.setenv("SEEDLOCK_LOCATE", str(tmp_path / "records"))
    monkeypatch.delenv("SEEDLOCK_LOCATE_STEP", raising=False)
    monkeypatch.setattr(_record, "_recorder", None)
    seedlock.probe("parent", [1.0])
    pid = os.fork()
    if pid == 0:  # the child, like a DataLoader worker: probes, then leaves without exit handlers
        seedlock.probe("child", [2.0])
        _record.recorder().close()
        os._exit(0)
    assert os.waitpid(pid, 0)[1] == 0
    seedlock.probe("parent", [3.0])
    _record.recorder().close()
    names = sorted(
        [r["name"] for r in map(json.loads, f.read_text().splitlines()) if r["type"] == "probe"]
        for f in (tmp_path / "records").iterdir()
    )
    assert names == [["child"], ["parent", "parent"]]


def _import_graph(root: Path) -> dict[str, set[str]]:
    """Which seedlock modules each module imports: at module level, inside functions and under TYPE_CHECKING."""
    import ast

    paths = {}
    for path in root.rglob("*.py"):
        parts = path.relative_to(root.parent).with_suffix("").parts
        if "_bootstrap" not in parts:
            paths[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    graph: dict[str, set[str]] = {}
    for name, path in paths.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        graph[name] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:  # relative: from the module's package, one level up per extra dot
                    up = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join(up + ([base] if base else []))
                targets = [f"{base}.{a.name}" for a in node.names]
            else:
                continue
            for target in targets:
                while target not in paths and "." in target:
                    target = target.rpartition(".")[0]
                if target in paths and target != name:
                    graph[name].add(target)
    return graph


def _reachable(graph: dict[str, set[str]], start: str) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        for nxt in graph.get(todo.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def test_neither_verify_nor_any_module_of_the_locator_is_in_an_import_circle() -> None:
    # verify runs the locator after its verdict, so the locator must not import verify back; the probe
    # package re-exports and its record writer must not import the package (lazy imports count too).
    graph = _import_graph(Path(__file__).parents[1] / "seedlock")
    mine = sorted(
        m for m in graph if m in ("seedlock.launching.verify", "seedlock.locate") or m.startswith("seedlock.locate.")
    )
    assert (
        len(mine) > 5 and "seedlock.locate.runner" in graph["seedlock.launching.verify"]
    )  # the check sees lazy imports
    circles = {m: sorted(o for o in _reachable(graph, m) if m in _reachable(graph, o)) for m in mine}
    assert {m: c for m, c in circles.items() if c} == {}
