"""Engines that run the replicates of a group: ``local`` (here), ``slurm``, ``ray`` (spec §13).

seedlock is not a scheduler: an engine only starts ``N`` tasks on something a team already has and
waits for them. Every task runs replicate ``k`` of the stage exactly as ``seedlock run --replicate k``
does (:func:`seedlock.launching.replicating.run_replicate`), so every engine gives the same numbers.

An engine is a module ``seedlock.engines.<name>`` with ``ENGINE``, an object of the :class:`Engine`
protocol. A task started by an engine that cannot call Python directly (a Slurm array task, a pod)
runs :meth:`ReplicateJob.task_command` with ``replicate="from-env"``.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import import_module
from typing import Protocol

from ..spec.errors import SeedlockError

#: Engine names ``seedlock replicate --engine`` accepts (each a module of this package).
ENGINES = ("local", "slurm", "ray")


@dataclass(frozen=True, kw_only=True)
class ReplicateJob:
    """Replicates ``0 .. count-1`` of ``stage`` of the lock at ``lock_path`` (absolute), in ``group``."""

    lock_path: str
    stage: str
    count: int
    group: str
    cmd: tuple[str, ...]
    vary: tuple[str, ...] = ()
    #: How many tasks run at a time (engines that schedule themselves may ignore it).
    jobs: int = 1
    #: Ledger location (path or URL); None: the default ledger. Every replicate is recorded.
    ledger: str | None = None
    auto_seed: bool = True
    strict: bool = False
    #: Options passed through to the engine as given (e.g. extra ``sbatch`` options).
    engine_options: tuple[str, ...] = ()
    #: Working directory of every task (absolute).
    cwd: str | None = None
    #: Extra environment for every task.
    env: Mapping[str, str] = field(default_factory=dict)
    #: Whether the engine waits for the tasks (``--no-wait`` for engines that can submit and leave).
    wait: bool = True

    @property
    def indices(self) -> range:
        return range(self.count)

    def task_command(self, replicate: int | str = "from-env", *, python: str | None = None) -> list[str]:
        """The ``seedlock run`` command line of one task: ``replicate`` an index or ``"from-env"``."""
        argv = [
            python or sys.executable,
            "-m",
            "seedlock",
            "run",
            self.lock_path,
            "--stage",
            self.stage,
            "--replicate",
            str(replicate),
            "--group",
            self.group,
            "--record",
        ]
        for name in self.vary:
            argv += ["--vary", name]
        if self.ledger:
            argv += ["--ledger", self.ledger]
        if not self.auto_seed:
            argv.append("--no-auto-seed")
        if self.strict:
            argv.append("--strict")
        return [*argv, "--", *self.cmd]


@dataclass(frozen=True, kw_only=True)
class TaskResult:
    """How replicate ``index`` ended: its exit code (None when unknown, e.g. not waited for)."""

    index: int
    exit_code: int | None
    seconds: float | None = None
    attempt: int = 0
    run: str | None = None


@dataclass(frozen=True, kw_only=True)
class EngineResult:
    """What an engine did: its tasks, and the engine's own identifier of the submission (a Slurm job id)."""

    engine: str
    group: str
    tasks: tuple[TaskResult, ...]
    submission: str | None = None

    @property
    def failed(self) -> tuple[TaskResult, ...]:
        return tuple(t for t in self.tasks if t.exit_code not in (0, None))

    @property
    def exit_code(self) -> int:
        """0 when every task succeeded (or was not waited for), else the first failure's code (1 if unknown)."""
        failed = self.failed
        return 0 if not failed else (failed[0].exit_code or 1)


class Engine(Protocol):
    """Runs every replicate of a job; prints progress on stderr; returns when done (or submitted)."""

    name: str

    def run(self, job: ReplicateJob) -> EngineResult: ...


def get_engine(name: str) -> Engine:
    """The engine called ``name`` (``invalid-value`` for an unknown or not installed one)."""
    if name not in ENGINES:
        raise SeedlockError("invalid-value", f"Unknown engine {name!r} (engines: {', '.join(ENGINES)})", "/engine")
    try:
        module = import_module(f".{name}", __name__)
    except ImportError as exc:
        raise SeedlockError("invalid-value", f"The {name} engine is not available here: {exc}", "/engine") from None
    engine: Engine = module.ENGINE
    return engine


__all__ = ["ENGINES", "Engine", "EngineResult", "ReplicateJob", "TaskResult", "get_engine"]
