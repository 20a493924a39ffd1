"""Replicates on real engines (issue 21): the same replicates give the same metric values whether
they run here (`local`), as a Slurm array (a real single-node cluster, `_slurm.py`) or as Ray tasks
(a local Ray instance); an array task started by hand reproduces its replicate; `--emit` writes what
a team submits itself (the Slurm script is submitted to the real cluster, the Kubernetes manifest is
checked against the Job schema of kubernetes-validate: no Kubernetes cluster is available here).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from _slurm import Cluster
from conftest import seedlock_cli
from seedlock.ledger import Ledger

MANIFEST = {"version": "1.0", "seed": 7, "stages": {"train": {"frameworks": ["python", "numpy"]}}}
# The workload: draws from the seeded global generators and logs them; replicate 1 fails when asked.
TRAIN = """\
import os, random, sys
import numpy as np
import seedlock
seedlock.log_metric("score", float(np.random.random()))
seedlock.log_metric("draw", random.random())
if os.environ.get("FAIL_REPLICATE") == os.environ.get("SEEDLOCK_REPLICATE"):
    sys.exit(3)
if os.environ.get("KILL_RAY_WORKER") == os.environ.get("SEEDLOCK_REPLICATE") and os.environ["SEEDLOCK_ATTEMPT"] == "0":
    # the Ray worker is the parent of `seedlock run`, this process's parent: it dies as a node would
    with open(f"/proc/{os.getppid()}/stat") as f:
        os.kill(int(f.read().rsplit(")", 1)[1].split()[1]), 9)
    sys.exit(9)
"""
_CLEAN_ENV = dict.fromkeys(
    (
        "CI",
        "GITLAB_CI",
        "GITHUB_ACTIONS",
        "SEEDLOCK_LEDGER",
        "SEEDLOCK_SEED",
        "SLURM_JOB_ID",
        "SLURM_ARRAY_TASK_ID",
        "SLURM_ARRAY_JOB_ID",
        "RAY_ADDRESS",
        "JOB_COMPLETION_INDEX",
        "SEEDLOCK_REPLICATE_INDEX",
    ),
    "",
)
N = 4


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("engines")
    (work / "pipeline.json").write_text(json.dumps(MANIFEST))
    (work / "train.py").write_text(TRAIN)
    out = seedlock_cli("resolve", "pipeline.json", "-o", "p.lock.json", "--no-provenance", cwd=work, env=_CLEAN_ENV)
    assert out.returncode == 0, out.stderr
    return work


def _cli(project: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return seedlock_cli(*args, cwd=project, env={**_CLEAN_ENV, **(env or {})})


def _replicate(
    project: Path, group: str, *extra: str, env: dict[str, str] | None = None, n: int = N
) -> subprocess.CompletedProcess[str]:
    return _cli(
        project,
        "replicate",
        "p.lock.json",
        "--stage",
        "train",
        "--seeds",
        str(n),
        "--group",
        group,
        "--ledger",
        str(project / "ledger.sqlite"),
        *extra,
        "--",
        sys.executable,
        "train.py",
        env=env,
    )


def _values(project: Path, group: str) -> dict[int, tuple[float | None, float | None]]:
    return {r.index: (r.final("score"), r.final("draw")) for r in Ledger(project / "ledger.sqlite").replicates(group)}


@pytest.fixture(scope="module")
def local_values(project: Path) -> dict[int, tuple[float | None, float | None]]:
    out = _replicate(project, "on-local", "--jobs", "2")
    assert out.returncode == 0, out.stderr
    values = _values(project, "on-local")
    assert sorted(values) == list(range(N)) and len(set(values.values())) == N  # replicates differ
    return values


def test_the_same_replicates_give_identical_metrics_on_slurm_and_here(
    project: Path, slurm_cluster: Cluster, local_values: dict
) -> None:  # type: ignore[type-arg]
    out = _replicate(project, "on-slurm", "--engine", "slurm", env=slurm_cluster.env)
    assert out.returncode == 0, out.stderr + slurm_cluster.logs()
    assert f"{N}/{N} done" in out.stderr  # progress while waiting
    assert _values(project, "on-slurm") == local_values
    # every replicate's record says which array task ran it
    ledger = Ledger(project / "ledger.sqlite")
    for r in ledger.replicates("on-slurm"):
        task = ledger.get(r.run).provenance["task"]
        assert task["engine"] == "slurm" and task["array_task_id"] == str(r.index) and task["attempt"] == 0
        assert task["array_job_id"] and task["job_id"]


def test_an_array_task_started_by_hand_with_replicate_from_env_reproduces_its_replicate(
    project: Path, local_values: dict
) -> None:  # type: ignore[type-arg]
    out = _cli(
        project,
        "run",
        "p.lock.json",
        "--stage",
        "train",
        "--replicate",
        "from-env",
        "--group",
        "by-hand",
        "--record",
        "--ledger",
        str(project / "ledger.sqlite"),
        "--",
        sys.executable,
        "train.py",
        env={"SLURM_ARRAY_TASK_ID": "2", "SLURM_JOB_ID": "999", "SLURM_ARRAY_JOB_ID": "998"},
    )
    assert out.returncode == 0, out.stderr
    assert _values(project, "by-hand") == {2: local_values[2]}


def test_the_same_replicates_give_identical_metrics_on_ray_and_here(project: Path, local_values: dict) -> None:  # type: ignore[type-arg]
    out = _replicate(project, "on-ray", "--engine", "ray", "--jobs", "2")
    assert out.returncode == 0, out.stderr
    assert _values(project, "on-ray") == local_values
    ledger = Ledger(project / "ledger.sqlite")
    for r in ledger.replicates("on-ray"):
        task = ledger.get(r.run).provenance["task"]
        assert task["engine"] == "ray" and task["attempt"] == 0 and task["job_id"] and task["task_id"]


def test_a_ray_task_whose_worker_died_runs_again_with_the_same_seeds_and_the_next_attempt(
    project: Path, local_values: dict
) -> None:  # type: ignore[type-arg]
    out = _replicate(project, "ray-retry", "--engine", "ray", "--jobs", "2", env={"KILL_RAY_WORKER": "2"})
    assert out.returncode == 0, out.stderr
    assert "replicate 2: Ray lost its worker; attempt 1 (same seeds)" in out.stderr
    assert _values(project, "ray-retry") == local_values
    ledger = Ledger(project / "ledger.sqlite")
    retried = {r.index: r for r in ledger.replicates("ray-retry")}[2]
    assert retried.attempt == 1  # (the first attempt died with its worker before it could record itself)
    assert ledger.get(retried.run).provenance["task"]["attempt"] == 1


def test_a_failed_array_task_is_reported_and_fails_the_group(project: Path, slurm_cluster: Cluster) -> None:
    out = _replicate(project, "slurm-fail", "--engine", "slurm", env={**slurm_cluster.env, "FAIL_REPLICATE": "1"}, n=3)
    assert out.returncode == 3, out.stderr
    assert "replicate 1 (Slurm task" in out.stderr and "FAILED with exit code 3" in out.stderr
    assert "2 of 3 replicates succeeded (failed: 1)" in out.stderr


def test_sbatch_options_are_passed_through_and_no_wait_returns_the_job_at_once(
    project: Path, slurm_cluster: Cluster, tmp_path: Path, local_values: dict
) -> None:  # type: ignore[type-arg]
    out = _replicate(
        project,
        "slurm-nowait",
        "--engine",
        "slurm",
        "--no-wait",
        f"--engine-option=--output={tmp_path}/task-%a.out",
        "--engine-option=--comment=seedlock-test",
        env=slurm_cluster.env,
    )
    assert out.returncode == 0, out.stderr
    assert "submitted Slurm array job" in out.stderr
    job_id = out.stderr.split("submitted Slurm array job ")[1].split()[0]
    shown = slurm_cluster.client("scontrol", "-o", "show", "job", job_id).stdout
    assert "Comment=seedlock-test" in shown
    from seedlock.engines.slurm import SlurmEngine

    os.environ.update(slurm_cluster.env)
    states = SlurmEngine(poll=0.2, out=lambda _: None).wait(job_id, N)
    assert all(s.exit_code == 0 for s in states.values()), slurm_cluster.logs()
    assert sorted(p.name for p in tmp_path.glob("task-*.out")) == [f"task-{i}.out" for i in range(N)]
    assert _values(project, "slurm-nowait") == local_values


def test_the_emitted_slurm_script_submitted_by_hand_runs_the_same_replicates(
    project: Path, slurm_cluster: Cluster, local_values: dict
) -> None:  # type: ignore[type-arg]
    out = _replicate(
        project,
        "emitted",
        "--emit",
        "slurm",
        "-o",
        "replicates.sbatch",
        "--engine-option=--comment",
        "--engine-option=emitted-by-seedlock",
    )
    assert out.returncode == 0, out.stderr
    script = (project / "replicates.sbatch").read_text()
    assert f"#SBATCH --array=0-{N - 1}" in script and "--replicate from-env" in script
    assert "#SBATCH --comment emitted-by-seedlock" in script  # an option and its separate value, one line
    assert os.access(project / "replicates.sbatch", os.X_OK)
    submitted = slurm_cluster.client("sbatch", "--parsable", str(project / "replicates.sbatch"))
    assert submitted.returncode == 0, submitted.stderr
    assert (
        "Comment=emitted-by-seedlock"
        in slurm_cluster.client("scontrol", "-o", "show", "job", submitted.stdout.strip()).stdout
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(_values(project, "emitted")) < N:
        time.sleep(0.3)
    assert _values(project, "emitted") == local_values, slurm_cluster.logs()


def test_the_emitted_kubernetes_manifest_is_a_valid_indexed_job(project: Path) -> None:
    import kubernetes_validate

    out = _replicate(
        project,
        "on-k8s",
        "--emit",
        "k8s",
        "--k8s-image",
        "registry.example/team/train:1",
        "--jobs",
        "3",
        "--vary",
        "numpy",
    )
    assert out.returncode == 0, out.stderr
    manifest = json.loads(out.stdout)
    kubernetes_validate.validate(manifest, kubernetes_validate.latest_version(), strict=True)
    spec = manifest["spec"]
    assert (spec["completionMode"], spec["completions"], spec["parallelism"]) == ("Indexed", N, 3)
    container = spec["template"]["spec"]["containers"][0]
    assert container["command"][:5] == ["seedlock", "run", "p.lock.json", "--stage", "train"]
    assert container["command"][container["command"].index("--replicate") + 1] == "from-env"
    assert container["command"][-2:] == [sys.executable, "train.py"]
    assert "--vary" in container["command"] and "numpy" in container["command"]
    env = {e["name"]: e for e in container["env"]}
    assert env["SEEDLOCK_ATTEMPT"]["valueFrom"]["fieldRef"]["fieldPath"].endswith(
        "['batch.kubernetes.io/job-index-failure-count']"
    )
    # a manifest the schema does not allow is refused by the same check (the check can fail)
    spec["completionMode"] = ["Indexed"]
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(manifest, kubernetes_validate.latest_version(), strict=True)


def test_emitting_a_kubernetes_manifest_without_an_image_is_an_error(project: Path) -> None:
    out = _replicate(project, "no-image", "--emit", "k8s")
    assert out.returncode == 2
    assert out.stderr.strip().splitlines() == [
        "seedlock: error[missing-field] --emit k8s needs the container image (--k8s-image) at '/k8s_image'"
    ]


def test_the_array_is_seedlocks_and_a_missing_sbatch_is_a_one_line_error(project: Path) -> None:
    out = _replicate(project, "own-array", "--emit", "slurm", "--engine-option=--array=0-99")
    assert (out.returncode, out.stderr) == (
        2,
        "seedlock: error[invalid-value] The array is seedlock's (--seeds N "
        "gives 0-(N-1)): do not pass --array to sbatch at '/engine_options'\n",
    )
    out = _replicate(project, "no-slurm", "--engine", "slurm", env={"PATH": str(Path(sys.executable).parent)})
    assert (out.returncode, out.stderr.splitlines()[-1]) == (
        2,
        "seedlock: error[io-error] sbatch was not found: the "
        "slurm engine needs Slurm's client commands on PATH at "
        "'/engine'",
    )
