"""What every ledger backend provides, and the SQL both share.

The SQL below is constant text with ``?`` markers; every value travels as a parameter (never
formatted into the statement). The PostgreSQL backend swaps ``?`` for psycopg's ``%s``.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from ..records.metrics import Metric
from ..spec.errors import SeedlockError
from ._record import RunRecord

#: The schema this seedlock reads and writes. A ledger with a higher version is refused. Version 2
#: added ``seedlock_replicates`` and ``seedlock_metrics`` (spec §12); a version 1 ledger is read as is
#: and brought to version 2 by its first write (SQLite) or by ``seedlock ledger init`` (PostgreSQL).
SCHEMA_VERSION = 2
HEX = frozenset("0123456789abcdef")

# Columns of seedlock_runs that a record fills, in insert order.
COLUMNS = (
    "run",
    "pipeline",
    "created",
    "event",
    "stage",
    "stage_key",
    "exit_code",
    "root_seed",
    "stage_seeds",
    "lock_sha256",
    "manifest_sha256",
    "git_commit",
    "git_dirty",
    "inputs_sha256",
    "params_sha256",
    "ci_pipeline",
    "ci_job",
    "ci",
    "provenance",
    "lock",
)
_LISTED = ", ".join(c for c in COLUMNS if c != "lock")


@dataclass(frozen=True, kw_only=True)
class Filters:
    """``history`` filters; all given ones must hold."""

    stage: str | None = None
    seed: int | None = None
    commit: str | None = None
    pipeline: str | None = None
    ci_pipeline: str | None = None
    job: str | None = None
    run: str | None = None


def hex_prefix(value: str) -> tuple[str, str] | None:
    """``[low, high)`` bounds matching every hex id that starts with ``value`` (index friendly, no LIKE
    wildcards from user text); None when ``value`` cannot start a hex id."""
    value = value.lower()
    if not value or not set(value) <= HEX:
        return None
    return value, value + "g"  # "g" sorts after every hex digit


@dataclass(frozen=True, kw_only=True)
class ReplicateRun:
    """One replicate of a group as the ledger holds it: the attempt that counts (the latest that
    succeeded, else the latest), its seeds and its metrics in the order logged."""

    group: str
    index: int
    run: str
    attempt: int
    attempts: int
    exit_code: int | None
    created: str
    git_commit: str | None
    metrics: tuple[Metric, ...]
    # As stored: parsed on first use, since a report of a large group reads only the metrics.
    vary_json: str = field(default="[]", repr=False)
    seeds_json: str = field(default="{}", repr=False)

    @property
    def vary(self) -> tuple[str, ...]:
        return tuple(json.loads(self.vary_json))

    @property
    def seeds(self) -> dict[str, Any]:
        """The replicate's framework seeds (``frameworks``) and varied streams (``streams``)."""
        return dict(json.loads(self.seeds_json))

    def final(self, name: str) -> float | None:
        """Metric ``name``'s final value (highest step, last logged among equals), or None."""
        from ..records.metrics import final_values

        return final_values(m for m in self.metrics if m.name == name).get(name)

    def to_dict(self) -> dict[str, Any]:
        return {
            "group": self.group,
            "index": self.index,
            "run": self.run,
            "attempt": self.attempt,
            "attempts": self.attempts,
            "exit_code": self.exit_code,
            "created": self.created,
            "git_commit": self.git_commit,
            "vary": list(self.vary),
            "seeds": self.seeds,
            "metrics": [m.to_dict() for m in self.metrics],
        }


REPLICATES_SQL = (
    "SELECT r.idx, r.run, r.attempt, r.vary, r.seeds, s.exit_code, s.created, s.git_commit, s.seq "
    "FROM seedlock_replicates r JOIN seedlock_runs s ON s.run = r.run WHERE r.grp = ? ORDER BY r.idx, s.seq"
)
METRICS_SQL = (
    "SELECT m.run, m.name, m.step, m.value FROM seedlock_metrics m JOIN seedlock_replicates r "
    "ON r.run = m.run WHERE r.grp = ? ORDER BY m.run, m.ord"
)
METRICS_NAMED_SQL = (
    "SELECT m.run, m.name, m.step, m.value FROM seedlock_metrics m JOIN seedlock_replicates r "
    "ON r.run = m.run WHERE r.grp = ? AND m.name = ? ORDER BY m.run, m.ord"
)
GROUPS_SQL = "SELECT grp, count(*) FROM seedlock_replicates GROUP BY grp ORDER BY grp"


def replicate_runs(
    group: str, rows: Sequence[Sequence[Any]], metric_rows: Sequence[Sequence[Any]]
) -> list[ReplicateRun]:
    """Fold the rows of ``REPLICATES_SQL`` and ``METRICS_SQL`` into one :class:`ReplicateRun` per index."""
    metrics: dict[str, list[Metric]] = {}
    for run, name, step, value in metric_rows:
        metrics.setdefault(run, []).append(
            Metric(name=name, value=float(value), step=None if step is None else int(step))
        )
    chosen: dict[int, tuple[Sequence[Any], int]] = {}
    for row in rows:  # ordered by index, then record order: a later success replaces an earlier attempt
        index, exit_code = int(row[0]), row[5]
        previous = chosen.get(index)
        count = 1 if previous is None else previous[1] + 1
        if previous is None or exit_code == 0 or previous[0][5] != 0:
            chosen[index] = (row, count)
        else:
            chosen[index] = (previous[0], count)
    out = []
    for index in sorted(chosen):
        (idx, run, attempt, vary, seeds, exit_code, created, commit, _seq), count = chosen[index]
        out.append(
            ReplicateRun(
                group=group,
                index=int(idx),
                run=run,
                attempt=int(attempt),
                attempts=count,
                exit_code=exit_code,
                created=created,
                git_commit=commit,
                vary_json=vary,
                seeds_json=seeds,
                metrics=tuple(metrics.get(run, ())),
            )
        )
    return out


def replicate_row(rec: RunRecord) -> tuple[Any, ...] | None:
    """(run, grp, idx, attempt, vary, seeds) for a replicate's record, else None."""
    rep = rec.replicate
    if not rep:
        return None
    return (
        rec.run,
        rep["group"],
        int(rep["index"]),
        int(rep.get("attempt", 0)),
        json.dumps(list(rep.get("vary", []))),
        json.dumps(dict(rep.get("seeds", {})), sort_keys=True),
    )


def metric_rows(rec: RunRecord) -> list[tuple[str, int, str, int | None, float]]:
    """(run, ord, name, step, value) for every metric of a record."""
    return [(rec.run, i, m.name, m.step, m.value) for i, m in enumerate(rec.metrics)]


def with_extras(
    records: list[RunRecord], replicates: Sequence[Sequence[Any]], metrics: Sequence[Sequence[Any]]
) -> list[RunRecord]:
    """Records with their replicate and metrics filled in from ``seedlock_replicates`` rows
    (run, grp, idx, attempt, vary, seeds) and ``seedlock_metrics`` rows (run, name, step, value)."""
    from dataclasses import replace

    reps = {
        r[0]: {
            "group": r[1],
            "index": int(r[2]),
            "attempt": int(r[3]),
            "vary": json.loads(r[4]),
            "seeds": json.loads(r[5]),
        }
        for r in replicates
    }
    mets: dict[str, list[Metric]] = {}
    for run, name, step, value in metrics:
        mets.setdefault(run, []).append(Metric(name=name, value=float(value), step=None if step is None else int(step)))
    return [replace(rec, replicate=reps.get(rec.run), metrics=tuple(mets.get(rec.run, ()))) for rec in records]


class Backend(ABC):
    """A ledger store. ``location`` names it in messages, with any password redacted."""

    location: str

    @property
    def identity(self) -> str:
        """Which ledger this is, the same however it was named, without any secret (a spooled record's
        destination)."""
        return self.location

    @contextmanager
    def held(self) -> Iterator[None]:
        """Operations inside may share one connection (a no-op where connecting is cheap)."""
        yield

    def exists(self) -> bool:
        """False when there is certainly no ledger yet (an SQLite file not created)."""
        return True

    @abstractmethod
    def init(self) -> tuple[int, bool]:
        """Create the schema when absent; (schema version, whether it was created now)."""

    @abstractmethod
    def insert(self, records: Sequence[RunRecord]) -> int:
        """Add records in one transaction; a run id already present is skipped. Returns how many were new."""

    @abstractmethod
    def history(self, filters: Filters, limit: int | None) -> list[RunRecord]:
        """Matching records, newest first (without lock text)."""

    @abstractmethod
    def find(self, prefix: str) -> list[RunRecord]:
        """Records whose run id starts with ``prefix`` (at most two: enough to call it ambiguous), with lock text."""

    @abstractmethod
    def last_uses(
        self, stage: str, key: str, *, commit: str | None, inputs: str | None, params: str | None
    ) -> tuple[RunRecord | None, RunRecord | None]:
        """The most recent successful run of ``stage`` with these framework seeds that also had the same
        clean commit, inputs and params (adds no information if it ran the same command), and the most
        recent such run at all."""

    @abstractmethod
    def records(self) -> Iterator[RunRecord]:
        """Every record, oldest first, with lock text, replicate and metrics (for export)."""

    @abstractmethod
    def replicates(self, group: str, metric: str | None = None) -> list[ReplicateRun]:
        """The replicates of ``group`` by index (only ``metric``'s values when given); [] for none."""

    @abstractmethod
    def groups(self) -> list[tuple[str, int]]:
        """Every replicate group with its number of records."""


class SqlDialect:
    """The statements, with ``?`` markers; subclasses adapt types and conflict handling."""

    placeholder = "?"
    is_same = "IS"  # null-safe equality
    true = 1

    def q(self, sql: str) -> str:
        return sql if self.placeholder == "?" else sql.replace("?", self.placeholder)

    def insert_run(self) -> str:
        raise NotImplementedError

    def insert_seed(self) -> str:
        raise NotImplementedError

    def history_sql(self, filters: Filters, limit: int | None) -> tuple[str, list[Any]]:
        where: list[str] = []
        args: list[Any] = []
        if filters.stage is not None:
            where.append("stage = ?")
            args.append(filters.stage)
        if filters.seed is not None:
            where.append("(root_seed = ? OR run IN (SELECT run FROM seedlock_seeds WHERE seed = ?))")
            args += [filters.seed, filters.seed]
        for column, value in (("git_commit", filters.commit), ("pipeline", filters.pipeline), ("run", filters.run)):
            if value is None:
                continue
            bounds = hex_prefix(value)
            if bounds is None:
                where.append("1 = 0")
            else:
                where.append(f"({column} >= ? AND {column} < ?)")
                args += list(bounds)
        if filters.ci_pipeline is not None:
            where.append("ci_pipeline = ?")
            args.append(filters.ci_pipeline)
        if filters.job is not None:
            where.append("ci_job = ?")
            args.append(filters.job)
        sql = f"SELECT seq, {_LISTED} FROM seedlock_runs"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY seq DESC"
        if limit is not None:
            sql += " LIMIT ?"
            args.append(int(limit))
        return self.q(sql), args

    def find_sql(self) -> str:
        return self.q(f"SELECT seq, {_LISTED}, lock FROM seedlock_runs WHERE run >= ? AND run < ? ORDER BY seq LIMIT 2")

    def full_use_sql(self) -> str:
        return self.q(
            f"SELECT seq, {_LISTED} FROM seedlock_runs WHERE stage = ? AND stage_key = ? AND event = 'run' "
            f"AND git_commit = ? AND git_dirty = ? AND inputs_sha256 {self.is_same} ? "
            f"AND params_sha256 {self.is_same} ? AND exit_code = 0 ORDER BY seq DESC LIMIT 1"
        )

    def any_use_sql(self) -> str:
        return self.q(
            f"SELECT seq, {_LISTED} FROM seedlock_runs WHERE stage = ? AND stage_key = ? AND event = 'run' "
            f"ORDER BY seq DESC LIMIT 1"
        )

    def all_sql(self) -> str:
        return self.q(f"SELECT seq, {_LISTED}, lock FROM seedlock_runs ORDER BY seq")


def row_values(rec: RunRecord, true: Any = 1, false: Any = 0) -> tuple[Any, ...]:
    dirty = None if rec.git_dirty is None else (true if rec.git_dirty else false)
    return (
        rec.run,
        rec.pipeline,
        rec.created,
        rec.event,
        rec.stage,
        rec.stage_key,
        rec.exit_code,
        rec.root_seed,
        json.dumps(dict(rec.stage_seeds), sort_keys=True),
        rec.lock_sha256,
        rec.manifest_sha256,
        rec.git_commit,
        dirty,
        rec.inputs_sha256,
        rec.params_sha256,
        rec.ci_pipeline,
        rec.ci_job,
        json.dumps(dict(rec.ci), sort_keys=True, ensure_ascii=False) if rec.ci else None,
        json.dumps(dict(rec.provenance), sort_keys=True, ensure_ascii=False),
        rec.lock_text,
    )


def seed_rows(rec: RunRecord) -> list[tuple[str, str, str, int]]:
    """(run, stage, framework, seed) for every stage seed ('' framework) and framework seed of the lock."""
    lock = rec.lock()
    rows = []
    for name, stage in lock["stages"].items():
        rows.append((rec.run, name, "", int(stage["seed"])))
        for fw, entry in stage["frameworks"].items():
            rows.append((rec.run, name, fw, int(entry["seed"])))
    return rows


def from_row(row: Sequence[Any]) -> RunRecord:
    """A record from ``SELECT seq, <listed>[, lock]``."""
    (
        _seq,
        run,
        pipeline,
        created,
        event,
        stage,
        _key,
        exit_code,
        root_seed,
        stage_seeds,
        lock_sha,
        manifest_sha,
        commit,
        dirty,
        inputs,
        params,
        _cip,
        _job,
        ci,
        provenance,
        *lock,
    ) = row
    return RunRecord(
        run=run,
        pipeline=pipeline,
        created=created,
        event=event,
        stage=stage,
        exit_code=exit_code,
        root_seed=int(root_seed),
        stage_seeds=json.loads(stage_seeds),
        lock_sha256=lock_sha,
        manifest_sha256=manifest_sha,
        git_commit=commit,
        git_dirty=None if dirty is None else bool(dirty),
        inputs_sha256=inputs,
        params_sha256=params,
        ci=json.loads(ci) if ci else None,
        provenance=json.loads(provenance),
        lock_text=lock[0] if lock else "",
    )


def newer_schema(location: str, found: int) -> SeedlockError:
    return SeedlockError(
        "unsupported-version",
        f"The ledger {location} has schema version {found}; this seedlock reads and writes version "
        f"{SCHEMA_VERSION} (upgrade seedlock; the ledger was not changed)",
    )
