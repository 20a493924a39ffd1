"""The ``local`` engine: replicates as processes on this machine, ``--jobs`` at a time.

Tasks run in threads of this process, each through :func:`seedlock.replicating.run_replicate` (the
code ``seedlock run --replicate`` runs), under one :class:`~seedlock.launch.Supervisor`: the lock is
read and the run's provenance collected once for the whole group, so a replicate costs little more
than its command. SIGTERM/SIGINT stop every running task with its whole process group. Progress goes
to stderr, one line per finished replicate.
"""

from __future__ import annotations

import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from . import EngineResult, ReplicateJob, TaskResult

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence


class LocalEngine:
    name = "local"

    def run(self, job: ReplicateJob) -> EngineResult:
        import os
        import uuid

        from ..documents import read_lock_document
        from ..launch import Supervisor
        from ..recording import ledger_for, start_run
        from ..replicating import run_replicate

        lock = read_lock_document(job.lock_path)
        start = start_run(job.lock_path, job.stage)
        for line in start.check.warnings(job.stage):
            print(f"seedlock: {line}", file=sys.stderr)
        if job.strict:
            start.check.raise_if_any(job.lock_path)
        ledger = ledger_for(job.ledger)
        supervisor = Supervisor(own_group=True)
        submission = uuid.uuid4().hex[:12]
        base = {**os.environ, **job.env}
        done_lock = threading.Lock()
        done: list[TaskResult] = []
        began = time.monotonic()

        def child(cmd: Sequence[str], env: Mapping[str, str]) -> int:
            return supervisor.run(cmd, env=env, cwd=job.cwd).code

        def one(index: int) -> TaskResult:
            t0 = time.monotonic()
            task = {"engine": "local", "attempt": 0, "job_id": submission}
            code: int
            run = None
            try:
                outcome = run_replicate(lock, job.lock_path, start, index=index, vary=job.vary, group=job.group,
                                        cmd=job.cmd, base_env=base, task=task,
                                        ledger=ledger, auto_seed=job.auto_seed, strict=job.strict, child=child)
                code = outcome.exit_code
                run = outcome.record.run if outcome.record else None
            except Exception as exc:  # one replicate's failure (a spooled record, not-applied) is reported, not fatal
                print(f"seedlock: replicate {index}: {exc}", file=sys.stderr)
                code = getattr(exc, "exit_code", 2)
            result = TaskResult(index=index, exit_code=code, seconds=time.monotonic() - t0, run=run)
            with done_lock:
                done.append(result)
                failed = sum(1 for r in done if r.exit_code != 0)
                print(f"seedlock: replicate {index} exit {code} ({result.seconds:.1f} s); {len(done)}/{job.count} "
                      f"done, {failed} failed, {time.monotonic() - began:.0f} s", file=sys.stderr)
            return result

        with supervisor.forwarding_signals(stop=True), ThreadPoolExecutor(max_workers=min(job.jobs, job.count)) as pool:
            results = list(pool.map(one, job.indices))
        return EngineResult(engine=self.name, group=job.group, tasks=tuple(results), submission=submission)


ENGINE = LocalEngine()

__all__ = ["ENGINE", "LocalEngine"]
