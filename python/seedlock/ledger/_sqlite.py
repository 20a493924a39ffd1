"""The embedded ledger: one SQLite file, created on first write.

WAL mode and one ``BEGIN IMMEDIATE`` transaction per write make concurrent recording from many
processes safe: writers queue on SQLite's lock (``busy_timeout``) and no record is lost or half-written.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from ..spec.errors import SeedlockError
from ._backend import (
    GROUPS_SQL,
    METRICS_NAMED_SQL,
    METRICS_SQL,
    REPLICATES_SQL,
    SCHEMA_VERSION,
    Backend,
    Filters,
    ReplicateRun,
    SqlDialect,
    from_row,
    hex_prefix,
    metric_rows,
    newer_schema,
    replicate_row,
    replicate_runs,
    row_values,
    seed_rows,
    with_extras,
)
from ._record import RunRecord

_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS seedlock_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS seedlock_runs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    run TEXT NOT NULL UNIQUE,
    pipeline TEXT NOT NULL,
    created TEXT NOT NULL,
    event TEXT NOT NULL,
    stage TEXT,
    stage_key TEXT,
    exit_code INTEGER,
    root_seed INTEGER NOT NULL,
    stage_seeds TEXT NOT NULL,
    lock_sha256 TEXT NOT NULL,
    manifest_sha256 TEXT NOT NULL,
    git_commit TEXT,
    git_dirty INTEGER,
    inputs_sha256 TEXT,
    params_sha256 TEXT,
    ci_pipeline TEXT,
    ci_job TEXT,
    ci TEXT,
    provenance TEXT NOT NULL,
    lock TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS seedlock_seeds (
    run TEXT NOT NULL, stage TEXT NOT NULL, framework TEXT NOT NULL, seed INTEGER NOT NULL,
    PRIMARY KEY (run, stage, framework)
);
CREATE INDEX IF NOT EXISTS seedlock_runs_reuse ON seedlock_runs(stage, stage_key, seq);
CREATE INDEX IF NOT EXISTS seedlock_runs_same ON seedlock_runs(stage, stage_key, git_commit, seq);
CREATE INDEX IF NOT EXISTS seedlock_runs_pipeline ON seedlock_runs(pipeline);
CREATE INDEX IF NOT EXISTS seedlock_runs_commit ON seedlock_runs(git_commit);
CREATE INDEX IF NOT EXISTS seedlock_runs_ci ON seedlock_runs(ci_pipeline);
CREATE INDEX IF NOT EXISTS seedlock_runs_job ON seedlock_runs(ci_job);
CREATE INDEX IF NOT EXISTS seedlock_seeds_seed ON seedlock_seeds(seed);
{{V2}}
INSERT OR IGNORE INTO seedlock_meta (key, value) VALUES ('schema', '{SCHEMA_VERSION}');
"""


# Schema version 2 (replicates and metrics, spec §12): also how a version 1 ledger is brought up.
_SCHEMA_V2 = """
CREATE TABLE IF NOT EXISTS seedlock_replicates (
    run TEXT PRIMARY KEY REFERENCES seedlock_runs(run), grp TEXT NOT NULL, idx INTEGER NOT NULL,
    attempt INTEGER NOT NULL, vary TEXT NOT NULL, seeds TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS seedlock_replicates_group ON seedlock_replicates(grp, idx);
CREATE TABLE IF NOT EXISTS seedlock_metrics (
    run TEXT NOT NULL REFERENCES seedlock_runs(run), ord INTEGER NOT NULL, name TEXT NOT NULL, step INTEGER,
    value REAL NOT NULL, PRIMARY KEY (run, ord)
);
CREATE INDEX IF NOT EXISTS seedlock_metrics_name ON seedlock_metrics(name);
"""
_SCHEMA = _SCHEMA.replace("{V2}", _SCHEMA_V2)
_INSERT_REPLICATE = (
    "INSERT OR IGNORE INTO seedlock_replicates (run, grp, idx, attempt, vary, seeds) VALUES (?, ?, ?, ?, ?, ?)"
)
_INSERT_METRIC = "INSERT OR IGNORE INTO seedlock_metrics (run, ord, name, step, value) VALUES (?, ?, ?, ?, ?)"


class _Dialect(SqlDialect):
    def insert_run(self) -> str:
        from ._backend import COLUMNS

        return f"INSERT OR IGNORE INTO seedlock_runs ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"

    def insert_seed(self) -> str:
        return "INSERT OR IGNORE INTO seedlock_seeds (run, stage, framework, seed) VALUES (?, ?, ?, ?)"


class SqliteBackend(Backend):
    """A ledger in the SQLite file ``path``."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.location = str(self.path)
        self._sql = _Dialect()

    @property
    def identity(self) -> str:
        return os.path.realpath(self.path)

    @contextmanager
    def _connect(self, *, write: bool) -> Iterator[sqlite3.Connection]:
        if write:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise SeedlockError("io-error", f"Cannot create {self.path.parent}: {exc.strerror or exc}") from None
        elif not self.path.exists():
            raise SeedlockError("io-error", f"No ledger at {self.path} (record runs with `seedlock run --record`)")
        try:
            conn = sqlite3.connect(self.path, timeout=60, isolation_level=None)
        except sqlite3.Error as exc:
            raise SeedlockError("io-error", f"Cannot open the ledger {self.path}: {exc}") from None
        try:
            conn.execute("PRAGMA busy_timeout = 60000")
            if write:
                conn.execute("PRAGMA journal_mode = WAL")
                conn.execute("PRAGMA synchronous = FULL")
            elif self._check_version(conn) is None and _has_table(conn, "runs"):
                self._ensure_schema(conn)  # a ledger of seedlock 0.1: bring its runs over first
            yield conn
        except sqlite3.OperationalError as exc:
            raise SeedlockError("io-error", f"Cannot use the ledger {self.path}: {exc}") from None
        except sqlite3.DatabaseError as exc:
            raise SeedlockError("io-error", f"The ledger {self.path} is unreadable or corrupted: {exc}") from None
        finally:
            conn.close()

    def _check_version(self, conn: sqlite3.Connection) -> int | None:
        has_meta = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'seedlock_meta'"
        ).fetchone()
        if not has_meta:
            return None
        row = conn.execute("SELECT value FROM seedlock_meta WHERE key = 'schema'").fetchone()
        version = int(row[0]) if row else None
        if version is not None and version > SCHEMA_VERSION:
            raise newer_schema(self.location, version)
        return version

    def _ensure_schema(self, conn: sqlite3.Connection) -> bool:
        version = self._check_version(conn)
        if version is not None:
            if version < SCHEMA_VERSION:
                self._upgrade(conn)
            return False
        conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    conn.execute(statement)
            if _has_table(conn, "runs"):
                _import_legacy(conn, self._sql)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return True

    def _upgrade(self, conn: sqlite3.Connection) -> None:
        """Version 1 -> 2: add the replicate and metric tables; every run stays as it was."""
        conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in _SCHEMA_V2.split(";"):
                if statement.strip():
                    conn.execute(statement)
            conn.execute("UPDATE seedlock_meta SET value = ? WHERE key = 'schema'", (str(SCHEMA_VERSION),))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def exists(self) -> bool:
        return self.path.exists()

    def init(self) -> tuple[int, bool]:
        with self._connect(write=True) as conn:
            created = self._ensure_schema(conn)
            return SCHEMA_VERSION, created

    def insert(self, records: Sequence[RunRecord]) -> int:
        added = 0
        with self._connect(write=True) as conn:
            self._ensure_schema(conn)
            conn.execute("BEGIN IMMEDIATE")
            try:
                for rec in records:
                    cur = conn.execute(self._sql.insert_run(), row_values(rec))
                    if cur.rowcount == 1:
                        added += 1
                        conn.executemany(self._sql.insert_seed(), seed_rows(rec))
                        replicate = replicate_row(rec)
                        if replicate is not None:
                            conn.execute(_INSERT_REPLICATE, replicate)
                        conn.executemany(_INSERT_METRIC, metric_rows(rec))
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        return added

    def history(self, filters: Filters, limit: int | None) -> list[RunRecord]:
        sql, args = self._sql.history_sql(filters, limit)
        with self._connect(write=False) as conn:
            if not self._check_version(conn):
                return []
            try:
                return [from_row(r) for r in conn.execute(sql, args)]
            except sqlite3.DatabaseError as exc:
                salvaged, lost = _salvage(conn)
                if not salvaged:
                    raise  # nothing readable: reported as an unreadable ledger
                raise DamagedLedger(self.path, exc, salvaged, lost) from None

    def find(self, prefix: str) -> list[RunRecord]:
        bounds = hex_prefix(prefix)
        if bounds is None or not self.path.exists():
            return []
        with self._connect(write=False) as conn:
            if not self._check_version(conn):
                return []
            return [from_row(r) for r in conn.execute(self._sql.find_sql(), bounds)]

    def last_uses(
        self, stage: str, key: str, *, commit: str | None, inputs: str | None, params: str | None
    ) -> tuple[RunRecord | None, RunRecord | None]:
        if not self.path.exists():
            return None, None
        with self._connect(write=False) as conn:
            if not self._check_version(conn):
                return None, None
            full = None
            if commit:
                row = conn.execute(self._sql.full_use_sql(), (stage, key, commit, 0, inputs, params)).fetchone()
                full = from_row(row) if row else None
            row = conn.execute(self._sql.any_use_sql(), (stage, key)).fetchone()
            return full, (from_row(row) if row else None)

    def records(self) -> Iterator[RunRecord]:
        with self._connect(write=False) as conn:
            version = self._check_version(conn)
            if not version:
                return
            records = [from_row(row) for row in conn.execute(self._sql.all_sql())]
            if version >= 2:
                records = with_extras(
                    records,
                    conn.execute("SELECT run, grp, idx, attempt, vary, seeds FROM seedlock_replicates").fetchall(),
                    conn.execute("SELECT run, name, step, value FROM seedlock_metrics ORDER BY run, ord").fetchall(),
                )
            yield from records

    def replicates(self, group: str, metric: str | None = None) -> list[ReplicateRun]:
        with self._replicate_reader() as conn:
            if conn is None:
                return []
            rows = conn.execute(REPLICATES_SQL, (group,)).fetchall()
            if metric is None:
                metrics = conn.execute(METRICS_SQL, (group,)).fetchall()
            else:
                metrics = conn.execute(METRICS_NAMED_SQL, (group, metric)).fetchall()
            return replicate_runs(group, rows, metrics)

    def groups(self) -> list[tuple[str, int]]:
        with self._replicate_reader() as conn:
            return [] if conn is None else [(g, int(n)) for g, n in conn.execute(GROUPS_SQL)]

    @contextmanager
    def _replicate_reader(self) -> Iterator[sqlite3.Connection | None]:
        """A read connection to a ledger that has replicate tables (schema 2); None when it has none."""
        if not self.path.exists():
            yield None
            return
        with self._connect(write=False) as conn:
            version = self._check_version(conn)
            yield conn if version and version >= 2 else None


def _has_table(conn: sqlite3.Connection, name: str) -> bool:
    return conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)).fetchone() is not None


def _import_legacy(conn: sqlite3.Connection, sql: _Dialect) -> None:
    """Copy the runs of a seedlock 0.1 ledger (table ``runs``, integer ids) into the current schema.
    The old table stays as it was. Their provenance is what 0.1 stored: the lock's resolve-time
    values, marked ``legacy`` so no one mistakes them for the run's own."""
    import hashlib
    import json

    from ._record import new_record

    for old_id, created, event, stage, exit_code, commit, dirty, ci, text in conn.execute(
        "SELECT id, created, event, stage, exit_code, git_commit, git_dirty, ci, lock FROM runs ORDER BY id"
    ).fetchall():
        doc = json.loads(text)
        prov: dict[str, object] = {"created": created, "legacy": f"seedlock 0.1 run {old_id}; resolve-time provenance"}
        if commit:
            prov["git"] = {"commit": commit, "dirty": bool(dirty)}
        if ci:
            prov["ci"] = json.loads(ci)
        lock_prov = doc.get("provenance") or {}
        for key in ("inputs", "params"):
            if lock_prov.get(key):
                prov[key] = lock_prov[key]
        run = hashlib.sha256(f"seedlock-0.1:{old_id}:{created}:{text}".encode()).hexdigest()[:32]
        rec = new_record(
            doc,
            event=event if event in ("resolve", "run") else "resolve",
            stage=stage if stage in doc.get("stages", {}) else None,
            exit_code=exit_code,
            provenance=prov,
            lock_text=text,
            run=run,
        )
        if conn.execute(sql.insert_run(), row_values(rec)).rowcount == 1:
            conn.executemany(sql.insert_seed(), seed_rows(rec))


class DamagedLedger(SeedlockError):
    """The ledger is damaged; ``records`` holds the runs that could still be read, newest first."""

    records: list[RunRecord]

    def __init__(self, path: Path, cause: Exception, records: list[RunRecord], lost: int) -> None:
        super().__init__(
            "io-error", f"The ledger {path} is damaged ({cause}): {len(records)} runs read, {lost} unreadable"
        )
        self.records = records


def _salvage(conn: sqlite3.Connection, give_up_after: int = 1000) -> tuple[list[RunRecord], int]:
    """Read runs one by one by sequence number, skipping what SQLite cannot read; (newest first, lost)."""
    from ._backend import _LISTED

    try:
        top = int(conn.execute("SELECT max(seq) FROM seedlock_runs").fetchone()[0] or 0)
    except sqlite3.DatabaseError:
        top = 10**6
    rows: list[RunRecord] = []
    lost, misses, failures = 0, 0, 0
    for seq in range(1, top + 1):
        try:
            row = conn.execute(f"SELECT seq, {_LISTED} FROM seedlock_runs WHERE seq = ?", (seq,)).fetchone()
            record = from_row(row) if row is not None else None
        except (sqlite3.DatabaseError, ValueError):
            lost += 1
            failures += 1
            if failures > give_up_after:
                break  # nothing but errors: the file is not a readable database at all
            continue
        failures = 0
        if record is None:
            misses += 1
            if misses > give_up_after:
                break
            continue
        misses = 0
        rows.append(record)
    return rows[::-1], lost
