"""The ``local`` engine: replicates as processes on this machine, ``--jobs`` at a time.

Tasks run in threads of this process, each through :func:`seedlock.launching.replicating.run_replicate` (the
code ``seedlock run --replicate`` runs), under one :class:`~seedlock.launching.launch.Supervisor`: the lock is
read and the run's provenance collected once for the whole group, and records go to the ledger from
one writer thread that commits whatever has finished in one transaction (a commit waits for the
disk), while the next replicates run, so a replicate costs little more than its command. SIGTERM/SIGINT
stop every running task with its whole process group. Progress goes to stderr, one line per finished
replicate.
"""

from __future__ import annotations

import queue
import shutil
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from . import EngineResult, ReplicateJob, TaskResult

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from ..ledger import Ledger, RunRecord


class LocalEngine:
    name = "local"

    def run(self, job: ReplicateJob) -> EngineResult:
        import os
        import uuid

        from ..launching.launch import Supervisor
        from ..launching.replicating import run_replicate
        from ..records.recording import ledger_for, start_run
        from ..spec.documents import read_lock_document

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

        writer = _GroupWriter(ledger)
        metrics_dir = tempfile.mkdtemp(prefix="seedlock-metrics-")

        def child(cmd: Sequence[str], env: Mapping[str, str]) -> int:
            return supervisor.run(cmd, env=env, cwd=job.cwd).code

        def one(index: int) -> TaskResult:
            t0 = time.monotonic()
            task = {"engine": "local", "attempt": 0, "job_id": submission}
            code: int
            run = None
            try:
                outcome = run_replicate(
                    lock,
                    job.lock_path,
                    start,
                    index=index,
                    vary=job.vary,
                    group=job.group,
                    cmd=job.cmd,
                    base_env=base,
                    task=task,
                    ledger=ledger,
                    auto_seed=job.auto_seed,
                    strict=job.strict,
                    child=child,
                    recorder=writer.put,
                    metrics_dir=metrics_dir,
                )
                code = outcome.exit_code
                run = outcome.record.run if outcome.record else None
            except Exception as exc:  # one replicate's failure (a spooled record, not-applied) is reported, not fatal
                print(f"seedlock: replicate {index}: {exc}", file=sys.stderr)
                code = getattr(exc, "exit_code", 2)
            result = TaskResult(index=index, exit_code=code, seconds=time.monotonic() - t0, run=run)
            with done_lock:
                done.append(result)
                failed = sum(1 for r in done if r.exit_code != 0)
                print(
                    f"seedlock: replicate {index} exit {code} ({result.seconds:.1f} s); {len(done)}/{job.count} "
                    f"done, {failed} failed, {time.monotonic() - began:.0f} s",
                    file=sys.stderr,
                )
            return result

        try:
            with (
                supervisor.forwarding_signals(stop=True),
                ThreadPoolExecutor(max_workers=min(job.jobs, job.count)) as pool,
            ):
                results = list(pool.map(one, job.indices))
        finally:
            writer.close()  # every finished replicate is in the ledger (or the spool) before we return
            shutil.rmtree(metrics_dir, ignore_errors=True)
        return EngineResult(engine=self.name, group=job.group, tasks=tuple(results), submission=submission)


class _GroupWriter:
    """Records of finished replicates, committed from one thread: each commit takes every record
    waiting, so the disk's wait is paid once per batch and overlaps the replicates still running. A
    batch the ledger refuses goes record by record through ``Ledger.record`` (the spool keeps what
    the ledger cannot take), and every failure is printed."""

    _DONE = object()

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self.pending: queue.Queue[object] = queue.Queue()
        self.thread = threading.Thread(target=self._loop, name="seedlock-ledger-writer", daemon=True)
        self.thread.start()

    def put(self, record: RunRecord) -> None:
        self.pending.put(record)

    def close(self) -> None:
        self.pending.put(self._DONE)
        self.thread.join()

    def _loop(self) -> None:
        from ..spec.errors import SeedlockError

        done = False
        while not done:
            batch = [self.pending.get()]
            while True:
                try:
                    batch.append(self.pending.get_nowait())
                except queue.Empty:
                    break
            done = any(item is self._DONE for item in batch)
            records = [item for item in batch if item is not self._DONE]
            if not records:
                continue
            try:
                self.ledger.backend.insert(records)  # type: ignore[arg-type]
            except SeedlockError:
                for record in records:
                    try:
                        self.ledger.record(record)  # type: ignore[arg-type]
                    except SeedlockError as err:
                        print(f"seedlock: {err}", file=sys.stderr)


ENGINE = LocalEngine()

__all__ = ["ENGINE", "LocalEngine"]
