"""The test cluster itself: the engine tests rely on `sbatch --array` running every task on it."""

from __future__ import annotations

import time

from _slurm import Cluster


def test_the_test_cluster_runs_every_task_of_an_array_job(slurm_cluster: Cluster, tmp_path) -> None:  # type: ignore[no-untyped-def]
    out = slurm_cluster.client(
        "sbatch",
        "--parsable",
        "--array=0-2",
        "-o",
        str(tmp_path / "task-%a"),
        "--wrap",
        "echo index=$SLURM_ARRAY_TASK_ID",
    )
    assert out.returncode == 0, out.stderr
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(list(tmp_path.glob("task-*"))) < 3:
        time.sleep(0.2)
    deadline = time.monotonic() + 30
    while (
        time.monotonic() < deadline
        and slurm_cluster.client("squeue", "-h", "-j", out.stdout.strip().split(";")[0]).stdout.strip()
    ):
        time.sleep(0.2)
    assert sorted(p.read_text() for p in tmp_path.glob("task-*")) == [f"index={i}\n" for i in range(3)]
