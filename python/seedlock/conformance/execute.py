"""Running a plan: every task as a fresh process under one :class:`~seedlock.launching.launch.Supervisor`, in
parallel; SIGTERM/SIGINT/SIGHUP stop every workload (and its process group) and the run."""

from __future__ import annotations

import json
import os
import shutil
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from ..launching.launch import QUIET_ENV, Supervisor
from .plan import DATA, WORKLOADS, Plan, Task, caffe_binary

#: A workload exits with this when it cannot run here (e.g. no CUDA): reported as skipped, not failed.
SKIP_EXIT = 77


@dataclass(frozen=True)
class Outcome:
    """How one task's process ended."""

    code: int
    stdout: str = ""
    stderr: str = ""
    seconds: float = 0.0
    timeout: float | None = None  # the limit it was killed at, when it ran past it


@dataclass(frozen=True)
class Execution:
    outcomes: dict[str, Outcome]  # by Task.key; a task that never started (interrupted) has none
    interrupted: str | None = None  # the signal that stopped the run

    @property
    def task_seconds(self) -> float:
        return sum(o.seconds for o in self.outcomes.values())

    def of(self, task: Task) -> Outcome:
        return self.outcomes[task.key]


def command(task: Task) -> tuple[list[str], str | None]:
    """The argv (and working directory) of ``task``: workloads go through ``seedlock run``, as users run them."""
    case, stage = task.case, task.stage
    seedlock_cmd = [sys.executable, "-m", "seedlock"]
    if case.kind == "workload":
        subst = {
            "{python}": [sys.executable],
            "{rscript}": [shutil.which("Rscript") or "Rscript"],
            "{torchrun}": [sys.executable, "-m", "torch.distributed.run"],
        }
        argv: list[str] = []
        for part in case.command:
            if part in subst:
                argv += subst[part]
            else:
                argv.append(part.replace("{out}", str(task.out)).replace("{workloads}", str(WORKLOADS)))
        return [*seedlock_cmd, "run", str(task.lock), "--stage", stage, "--", *argv], None
    if case.kind == "caffe-writer":
        return [
            *seedlock_cmd,
            "caffe-solver",
            str(task.lock),
            "--stage",
            stage,
            str(DATA / "caffe" / "solver.prototxt"),
            "-o",
            str(task.out / "solver.prototxt"),
        ], None
    if case.kind == "caffe-train":
        for name in ("net.prototxt", "solver.prototxt"):
            shutil.copy(DATA / "caffe" / name, task.out / name)
        (task.out / "out").mkdir(exist_ok=True)
        script = (
            f"set -e; {' '.join(map(_quote, seedlock_cmd))} caffe-solver "
            f"{_quote(str(task.lock))} --stage {_quote(stage)} "
            f"solver.prototxt --in-place; {_quote(caffe_binary() or 'caffe')} train --solver=solver.prototxt"
        )
        return ["bash", "-c", script], str(task.out)
    # cross-binding: one side per task
    out_file = str(task.out / "outputs.json")
    if task.label == "rscript":
        from ._cross import R_PROBE

        code = (
            f"lock_path <- {json.dumps(str(task.lock))}; stage <- {json.dumps(stage)}; "
            f"writeLines({R_PROBE.strip()}, {json.dumps(out_file)})"
        )
        return [shutil.which("Rscript") or "Rscript", "--vanilla", "-e", code], None
    return [sys.executable, "-m", "seedlock.conformance._cross", task.label, str(task.lock), stage, out_file], None


def _quote(text: str) -> str:
    import shlex

    return shlex.quote(text)


class _Progress:
    def __init__(self, total: int, enabled: bool) -> None:
        self.total, self.done, self.enabled = total, 0, enabled
        self.lock = threading.Lock()

    def tick(self, task: Task, outcome: Outcome) -> None:
        with self.lock:
            self.done += 1
            if self.enabled:
                code = outcome.code
                state = "ok" if code == 0 else ("skipped" if code == SKIP_EXIT else f"exit {code}")
                print(
                    f"conformance: [{self.done}/{self.total}] {task.case.name} {task.label}: {state} "
                    f"({outcome.seconds:.1f} s)",
                    file=sys.stderr,
                    flush=True,
                )


def execute(plan: Plan, *, jobs: int, progress: bool = True) -> Execution:
    """Run every task of ``plan`` on ``jobs`` threads, each waiting on its own process."""
    tasks = plan.tasks
    ticker = _Progress(len(tasks), progress)
    children = Supervisor(own_group=True)
    outcomes: dict[str, Outcome] = {}
    env = {**os.environ, **QUIET_ENV}

    def one(task: Task) -> None:
        if children.stopping:
            return
        Path(task.out).mkdir(parents=True, exist_ok=True)
        began = time.perf_counter()
        cmd, cwd = command(task)
        done = children.run(cmd, cwd=cwd, timeout=task.case.timeout, capture=True, env=env)
        outcome = Outcome(
            done.code,
            done.stdout,
            done.stderr,
            time.perf_counter() - began,
            task.case.timeout if done.timed_out else None,
        )
        outcomes[task.key] = outcome
        ticker.tick(task, outcome)

    with children.forwarding_signals(stop=True), ThreadPoolExecutor(max_workers=jobs) as pool:
        list(pool.map(one, tasks))
    return Execution(outcomes, children.stopping)
