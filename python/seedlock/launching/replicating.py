"""Running replicates (spec §13): one task (``seedlock run --replicate``) and a group of them
(``seedlock replicate``) on an engine.

Every engine ends up in :func:`run_replicate`, directly (the local engine, in threads) or through
``seedlock run --replicate K|from-env`` (a Slurm array task, a pod, a Ray task), so a replicate's
seeds, environment and record are the same whichever engine ran it.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..spec.replicates import (
    METRICS_VARIABLE,
    check_group,
    replicate_environment,
    replicate_seeds,
    replicate_stage,
    resolve_vary,
    task_coordinates,
)

if TYPE_CHECKING:
    from ..engines import EngineResult, ReplicateJob
    from ..ledger import Ledger, RunRecord
    from ..records.recording import RunStart
    from ..spec.lock import Lock


@dataclass(frozen=True, kw_only=True)
class ReplicateOutcome:
    """How one replicate ended, and its record (None when not recorded)."""

    index: int
    exit_code: int
    record: RunRecord | None


def run_replicate(
    lock: Lock,
    lock_path: str,
    start: RunStart,
    *,
    index: int,
    vary: Sequence[str] = (),
    group: str,
    cmd: Sequence[str],
    base_env: Mapping[str, str] | None = None,
    task: Mapping[str, Any] | None = None,
    ledger: Ledger | None = None,
    auto_seed: bool = True,
    strict: bool = False,
    verbose: bool = False,
    child: Callable[[Sequence[str], Mapping[str, str]], int] | None = None,
    recorder: Callable[[RunRecord], None] | None = None,
    metrics_dir: str | None = None,
) -> ReplicateOutcome:
    """Run ``cmd`` as replicate ``index`` of ``start.stage`` and record it in ``ledger`` (if given).

    The child gets the replicate's seeds (auto-seeding, launcher variables), ``SEEDLOCK_REPLICATE`` and
    ``SEEDLOCK_VARY`` (so ``apply_from_env()`` hands out the replicate's streams) and, when recording,
    a private ``SEEDLOCK_METRICS`` file whose values are stored with the record. ``task`` is the
    task's coordinates (engine, ids, attempt); by default read from ``base_env``. ``recorder`` stores
    the record instead of ``ledger.record`` (the local engine's group writer); ``metrics_dir`` is a
    directory that outlives the call, for the metrics file (else a private one is made and removed)."""
    from ..records.provenance import now_utc
    from ..seeding.runcheck import CHECKED_VARIABLE
    from .launch import child_environment, run_seeded

    base = dict(os.environ if base_env is None else base_env)
    check_group(group)
    locked = lock.stage(start.stage)
    resolved = resolve_vary(locked, vary)
    stage = replicate_stage(locked, index, resolved)
    coordinates = dict(task if task is not None else task_coordinates(base))
    created = now_utc()
    recording = ledger is not None or recorder is not None
    own_dir = tempfile.mkdtemp(prefix="seedlock-metrics-") if recording and metrics_dir is None else None
    try:
        env = child_environment(stage, lock_path, base={**base, CHECKED_VARIABLE: "1"})
        env.update(replicate_environment(index, resolved, group))
        if recording:
            env[METRICS_VARIABLE] = os.path.join(own_dir or metrics_dir or "", f"metrics-{index}-{os.getpid()}.jsonl")
        code = run_seeded(list(cmd), env, stage, auto_seed=auto_seed, strict=strict, verbose=verbose, child=child)
        if not recording:
            return ReplicateOutcome(index=index, exit_code=code, record=None)
        from ..ledger import new_record
        from ..records.metrics import read_metrics

        metrics, problems = read_metrics(env[METRICS_VARIABLE])
        for line in problems:
            print(f"seedlock: warning: {line}", file=sys.stderr)
        if metrics_dir is not None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(env[METRICS_VARIABLE])
    finally:
        if own_dir is not None:
            import shutil

            shutil.rmtree(own_dir, ignore_errors=True)
    provenance = {**start.provenance, "created": created, "task": coordinates}
    replicate = {
        "group": group,
        "index": index,
        "attempt": int(coordinates.get("attempt", 0)),
        "vary": list(resolved.names),
        "seeds": replicate_seeds(stage),
    }
    record = new_record(
        start.lock_doc,
        event="run",
        stage=start.stage,
        exit_code=code,
        provenance=provenance,
        lock_text=start.lock_text,
        replicate=replicate,
        metrics=tuple(metrics),
    )
    if recorder is not None:
        recorder(record)
    else:
        assert ledger is not None
        ledger.record(record)
    return ReplicateOutcome(index=index, exit_code=code, record=record)


def run_group(job: ReplicateJob, engine_name: str = "local") -> EngineResult:
    """Run every replicate of ``job`` on engine ``engine_name`` (``seedlock replicate``)."""
    from ..engines import get_engine
    from ..spec.errors import SeedlockError

    if job.count < 1:
        raise SeedlockError("invalid-value", f"--seeds needs at least one replicate, not {job.count}", "/seeds")
    if job.jobs < 1:
        raise SeedlockError("invalid-value", f"--jobs needs at least 1, not {job.jobs}", "/jobs")
    check_group(job.group)
    # Refuse a bad --vary before any task starts (a Slurm array would fail N times over).
    from ..spec.documents import read_lock_document

    resolve_vary(read_lock_document(job.lock_path).stage(job.stage), job.vary)
    return get_engine(engine_name).run(job)


__all__ = ["ReplicateOutcome", "run_group", "run_replicate"]
