"""The ``slurm`` engine: one array job (``sbatch --array=0-(N-1)``) for the whole group.

It submits the script ``--emit slurm`` writes (:func:`seedlock.launching.emit.slurm_script`) on ``sbatch``'s
standard input, extra options (``job.engine_options``) on ``sbatch``'s command line, and then either
returns (``--no-wait``: the job id is the result) or follows the array with ``scontrol`` until every
task has ended, showing progress on stderr when it changes. Each task runs
``seedlock run --replicate from-env``; a requeued task gets the same seeds (spec §13).

The tasks' output goes where Slurm puts it (``slurm-<job>_<task>.out`` in the working directory
unless an ``--output`` option says otherwise).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from ..spec.errors import SeedlockError
from . import EngineResult, ReplicateJob, TaskResult

#: Slurm's job states in which a task is over (anything else may still run, or run again).
_FINAL = frozenset(
    {
        "COMPLETED",
        "FAILED",
        "CANCELLED",
        "TIMEOUT",
        "NODE_FAIL",
        "OUT_OF_MEMORY",
        "PREEMPTED",
        "BOOT_FAIL",
        "DEADLINE",
        "SPECIAL_EXIT",
        "REVOKED",
    }
)
_FIELD = re.compile(r"(\w+)=(\S*)")
#: Seconds between two looks at the array.
POLL_SECONDS = 1.0


@dataclass(frozen=True, kw_only=True)
class TaskState:
    index: int
    state: str
    exit_code: int | None
    restarts: int = 0


class SlurmEngine:
    name = "slurm"

    def __init__(self, poll: float = POLL_SECONDS, out: Callable[[str], None] | None = None) -> None:
        self._poll = poll
        self._out = out or _stderr

    def run(self, job: ReplicateJob) -> EngineResult:
        job_id = submit(job)
        if not job.wait:
            self._out(
                f"seedlock: submitted Slurm array job {job_id} (tasks 0-{job.count - 1}, group {job.group}); "
                f"`seedlock report {job.group}` once it has run"
            )
            return EngineResult(
                engine=self.name,
                group=job.group,
                submission=job_id,
                tasks=tuple(TaskResult(index=i, exit_code=None) for i in job.indices),
            )
        self._out(f"seedlock: Slurm array job {job_id}: {job.count} replicates of group {job.group}")
        states = self.wait(job_id, job.count, env=job.env)
        tasks = tuple(
            TaskResult(index=s.index, exit_code=s.exit_code, attempt=s.restarts)
            for s in sorted(states.values(), key=lambda s: s.index)
        )
        for t in tasks:
            if t.exit_code != 0:
                self._out(
                    f"seedlock: replicate {t.index} (Slurm task {job_id}_{t.index}) ended "
                    f"{states[t.index].state} with exit code {t.exit_code}"
                )
        return EngineResult(engine=self.name, group=job.group, submission=job_id, tasks=tasks)

    def wait(self, job_id: str, count: int, env: Mapping[str, str] | None = None) -> dict[int, TaskState]:
        """Follow array ``job_id`` until every one of its ``count`` tasks is over."""
        last = ""
        vanished = 0
        while True:
            states = query(job_id, env)
            if states is None:
                # the controller forgot the job (MinJobAge passed) before we saw its end twice
                vanished += 1
                if vanished > 3:
                    raise SeedlockError(
                        "io-error", f"Slurm no longer knows job {job_id} and its tasks' ends were not seen", "/engine"
                    )
                time.sleep(self._poll)
                continue
            done = {i: s for i, s in states.items() if s.state in _FINAL}
            running = sum(1 for s in states.values() if s.state == "RUNNING")
            line = (
                f"seedlock: Slurm job {job_id}: {len(done)}/{count} done, {running} running, "
                f"{count - len(done) - running} waiting"
            )
            if line != last:
                self._out(line)
                last = line
            if len(done) >= count:
                return done
            time.sleep(self._poll)


def submit(job: ReplicateJob) -> str:
    """Submit ``job``'s array; its Slurm job id."""
    from ..launching.emit import slurm_script

    script = slurm_script(job)
    argv = ["sbatch", "--parsable", *job.engine_options]
    try:
        out = subprocess.run(
            argv, input=script, capture_output=True, text=True, timeout=120, env=_client_env(job.env), cwd=job.cwd
        )
    except FileNotFoundError:
        raise SeedlockError(
            "io-error", "sbatch was not found: the slurm engine needs Slurm's client commands on PATH", "/engine"
        ) from None
    except subprocess.TimeoutExpired:
        raise SeedlockError("io-error", "sbatch did not answer within 120 s", "/engine") from None
    if out.returncode != 0:
        why = " ".join(out.stderr.split()) or f"exit code {out.returncode}"
        raise SeedlockError("io-error", f"sbatch refused the array job: {why}", "/engine")
    # --parsable prints "jobid" or "jobid;cluster"
    return out.stdout.strip().split(";", 1)[0]


def query(job_id: str, env: Mapping[str, str] | None = None) -> dict[int, TaskState] | None:
    """The tasks of array ``job_id`` Slurm knows about (``scontrol -o show job``), None once it has
    forgotten the job. Pending tasks come as one record with a range (``ArrayTaskId=3-9``)."""
    out = subprocess.run(
        ["scontrol", "-o", "show", "job", job_id],
        capture_output=True,
        text=True,
        timeout=60,
        env=_client_env(env or {}),
    )
    if out.returncode != 0:
        if "Invalid job id" in out.stderr:
            return None
        raise SeedlockError(
            "io-error", f"scontrol could not show job {job_id}: {' '.join(out.stderr.split())}", "/engine"
        )
    states: dict[int, TaskState] = {}
    for line in out.stdout.splitlines():
        fields = dict(_FIELD.findall(line))
        if "ArrayTaskId" not in fields:
            continue
        state = fields.get("JobState", "UNKNOWN")
        code = _exit_code(fields.get("ExitCode", ""), state)
        restarts = int(fields.get("Restarts", "0") or 0)
        for index in _task_ids(fields["ArrayTaskId"]):
            states[index] = TaskState(index=index, state=state, exit_code=code, restarts=restarts)
    return states


def _exit_code(text: str, state: str) -> int | None:
    # "ExitCode=1:0": the exit status, then the signal that ended the task (128+N, as a shell says)
    if state not in _FINAL:
        return None
    status, _, signal = text.partition(":")
    if signal and signal != "0":
        return 128 + int(signal)
    if status.isdigit():
        code = int(status)
        return code if code or state == "COMPLETED" else 1
    return 1


def _task_ids(text: str) -> list[int]:
    # "4", "3-9", "3-9%2", "1,3,5-7"
    out: list[int] = []
    for part in text.split("%", 1)[0].split(","):
        if "-" in part:
            lo, hi = part.split("-", 1)
            out.extend(range(int(lo), int(hi) + 1))
        elif part:
            out.append(int(part))
    return out


def _client_env(extra: Mapping[str, str]) -> dict[str, str]:
    env = dict(os.environ)
    env.update(extra)
    return env


def _stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


ENGINE = SlurmEngine()

__all__ = ["ENGINE", "POLL_SECONDS", "SlurmEngine", "TaskState", "query", "submit"]
