"""The ``ray`` engine (optional extra ``seedlock[ray]``): one Ray task per replicate.

Each Ray task starts the replicate as a fresh process, ``seedlock run --replicate from-env`` with
``SEEDLOCK_REPLICATE_INDEX`` set, so a replicate under Ray seeds exactly as under ``local`` or Slurm
(a Ray worker is a long-lived interpreter: seeding it in place would carry state from task to task).
The cluster is ``RAY_ADDRESS`` when set, else a local Ray started (and stopped) by the engine.
At most ``--jobs`` tasks are in flight.

Retries: a task whose worker or node died (not a command that failed) is submitted again by the
engine, up to ``MAX_ATTEMPTS``, with ``SEEDLOCK_ATTEMPT`` counting up: the same replicate and seeds,
a different attempt in the record. Ray's own retries are off, since Ray does not tell a task its
attempt number.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Callable
from typing import Any

from ..spec.errors import SeedlockError
from . import EngineResult, ReplicateJob, TaskResult

MAX_ATTEMPTS = 3
#: The last lines of a failed task's output shown on stderr.
_TAIL_LINES = 20


def _run_task(argv: list[str], env: dict[str, str], cwd: str | None, index: int, attempt: int) -> dict[str, Any]:
    """The body of one Ray task (module level, so that Ray pickles it by reference)."""
    import subprocess

    import ray

    ctx = ray.get_runtime_context()
    task_env = {
        **os.environ,
        **env,
        "SEEDLOCK_REPLICATE_INDEX": str(index),
        "SEEDLOCK_ENGINE": "ray",
        "SEEDLOCK_ATTEMPT": str(attempt),
        "SEEDLOCK_RAY_JOB_ID": ctx.get_job_id(),
        "SEEDLOCK_RAY_TASK_ID": ctx.get_task_id() or "",
        "SEEDLOCK_RAY_NODE_ID": ctx.get_node_id(),
    }
    started = time.monotonic()
    done = subprocess.run(
        argv,
        env=task_env,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
    )
    return {
        "index": index,
        "exit_code": done.returncode,
        "seconds": time.monotonic() - started,
        "attempt": attempt,
        "output": done.stdout[-20000:],
    }


class RayEngine:
    name = "ray"

    def __init__(self, out: Callable[[str], None] | None = None) -> None:
        self._out = out or _stderr

    def run(self, job: ReplicateJob) -> EngineResult:
        try:
            import ray
        except ImportError:
            raise SeedlockError(
                "invalid-value", "The ray engine needs Ray: pip install 'seedlock[ray]'", "/engine"
            ) from None
        if not job.wait:
            raise SeedlockError(
                "invalid-value",
                "--no-wait is for engines that keep the tasks themselves (slurm); Ray tasks end with their driver",
                "/no_wait",
            )
        address = os.environ.get("RAY_ADDRESS") or None
        started_here = not ray.is_initialized()
        if started_here:
            ray.init(
                address=address,
                include_dashboard=False,
                logging_level=logging.WARNING,
                log_to_driver=False,
                configure_logging=True,
            )
        try:
            return self._run(ray, job)
        finally:
            if started_here:
                ray.shutdown()

    def _run(self, ray: Any, job: ReplicateJob) -> EngineResult:
        remote = ray.remote(num_cpus=1, max_retries=0)(_run_task)
        argv = job.task_command("from-env")
        env = dict(job.env)
        pending = list(job.indices)
        attempts = dict.fromkeys(job.indices, 0)
        in_flight: dict[Any, int] = {}
        results: dict[int, TaskResult] = {}
        limit = max(1, job.jobs)
        job_id = ray.get_runtime_context().get_job_id()
        self._out(f"seedlock: Ray job {job_id}: {job.count} replicates of group {job.group}, {limit} at a time")
        while pending or in_flight:
            while pending and len(in_flight) < limit:
                i = pending.pop(0)
                in_flight[remote.remote(argv, env, job.cwd, i, attempts[i])] = i
            ready, _ = ray.wait(list(in_flight), num_returns=1)
            for ref in ready:
                i = in_flight.pop(ref)
                try:
                    out = ray.get(ref)
                except (
                    ray.exceptions.WorkerCrashedError,
                    ray.exceptions.NodeDiedError,
                    ray.exceptions.LocalRayletDiedError,
                ) as exc:
                    attempts[i] += 1
                    if attempts[i] >= MAX_ATTEMPTS:
                        self._out(f"seedlock: replicate {i}: Ray lost its worker {MAX_ATTEMPTS} times ({exc})")
                        results[i] = TaskResult(index=i, exit_code=1, attempt=attempts[i] - 1)
                    else:
                        self._out(f"seedlock: replicate {i}: Ray lost its worker; attempt {attempts[i]} (same seeds)")
                        pending.append(i)
                    continue
                results[i] = TaskResult(
                    index=i, exit_code=out["exit_code"], seconds=out["seconds"], attempt=out["attempt"]
                )
                if out["exit_code"] != 0:
                    tail = "\n".join(out["output"].splitlines()[-_TAIL_LINES:])
                    self._out(f"seedlock: replicate {i} exited {out['exit_code']}; its last output:\n{tail}")
            self._out(f"seedlock: Ray job {job_id}: {len(results)}/{job.count} done, {len(in_flight)} running")
        return EngineResult(
            engine=self.name, group=job.group, submission=job_id, tasks=tuple(results[i] for i in sorted(results))
        )


def _stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


ENGINE = RayEngine()

__all__ = ["ENGINE", "MAX_ATTEMPTS", "RayEngine"]
