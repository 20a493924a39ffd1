"""The team ledger on PostgreSQL (psycopg 3).

Recording needs only INSERT and SELECT on ``seedlock_runs`` and ``seedlock_seeds`` (and SELECT on
``seedlock_meta``); ``seedlock ledger init`` creates the schema with an owner's rights. Every
connection attempt is bounded (``connect_timeout``), and so is every statement (``statement_timeout``,
``lock_timeout``), so a CI job never hangs on an unreachable server or a table another session locked.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from ..spec.errors import SeedlockError
from ._backend import (
    COLUMNS,
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
from ._secrets import normalize, parameters, redact, scrub, secrets_of

DEFAULT_CONNECT_TIMEOUT = 10
TIMEOUT_VARIABLE = "SEEDLOCK_LEDGER_TIMEOUT"
# One constant key: concurrent `ledger init` calls take turns instead of racing on CREATE.
_INIT_LOCK = 0x5EED10C
# SQLSTATEs of a server that has no connection slot free right now (worth a retry).
_BUSY_STATES = ("53300",)

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS seedlock_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    """CREATE TABLE IF NOT EXISTS seedlock_runs (
        seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        run TEXT NOT NULL UNIQUE,
        pipeline TEXT NOT NULL,
        created TEXT NOT NULL,
        event TEXT NOT NULL,
        stage TEXT,
        stage_key TEXT,
        exit_code INTEGER,
        root_seed BIGINT NOT NULL,
        stage_seeds TEXT NOT NULL,
        lock_sha256 TEXT NOT NULL,
        manifest_sha256 TEXT NOT NULL,
        git_commit TEXT,
        git_dirty BOOLEAN,
        inputs_sha256 TEXT,
        params_sha256 TEXT,
        ci_pipeline TEXT,
        ci_job TEXT,
        ci TEXT,
        provenance TEXT NOT NULL,
        lock TEXT NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS seedlock_seeds (
        run TEXT NOT NULL REFERENCES seedlock_runs(run), stage TEXT NOT NULL, framework TEXT NOT NULL,
        seed BIGINT NOT NULL, PRIMARY KEY (run, stage, framework)
    )""",
    "CREATE INDEX IF NOT EXISTS seedlock_runs_reuse ON seedlock_runs(stage, stage_key, seq)",
    "CREATE INDEX IF NOT EXISTS seedlock_runs_same ON seedlock_runs(stage, stage_key, git_commit, seq)",
    "CREATE INDEX IF NOT EXISTS seedlock_runs_pipeline ON seedlock_runs(pipeline)",
    "CREATE INDEX IF NOT EXISTS seedlock_runs_commit ON seedlock_runs(git_commit)",
    "CREATE INDEX IF NOT EXISTS seedlock_runs_ci ON seedlock_runs(ci_pipeline)",
    "CREATE INDEX IF NOT EXISTS seedlock_runs_job ON seedlock_runs(ci_job)",
    "CREATE INDEX IF NOT EXISTS seedlock_seeds_seed ON seedlock_seeds(seed)",
)
# Schema version 2 (replicates and metrics, spec §12); `ledger init` adds it to a version 1 ledger.
_SCHEMA_V2 = (
    """CREATE TABLE IF NOT EXISTS seedlock_replicates (
        run TEXT PRIMARY KEY REFERENCES seedlock_runs(run), grp TEXT NOT NULL, idx INTEGER NOT NULL,
        attempt INTEGER NOT NULL, vary TEXT NOT NULL, seeds TEXT NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS seedlock_replicates_group ON seedlock_replicates(grp, idx)",
    """CREATE TABLE IF NOT EXISTS seedlock_metrics (
        run TEXT NOT NULL REFERENCES seedlock_runs(run), ord INTEGER NOT NULL, name TEXT NOT NULL, step BIGINT,
        value DOUBLE PRECISION NOT NULL, PRIMARY KEY (run, ord)
    )""",
    "CREATE INDEX IF NOT EXISTS seedlock_metrics_name ON seedlock_metrics(name)",
)


@contextmanager
def _no_transaction() -> Iterator[None]:
    yield


class _Dialect(SqlDialect):
    placeholder = "%s"
    is_same = "IS NOT DISTINCT FROM"

    def insert_run(self) -> str:
        return (
            f"INSERT INTO seedlock_runs ({', '.join(COLUMNS)}) VALUES ({', '.join(['%s'] * len(COLUMNS))}) "
            "ON CONFLICT (run) DO NOTHING"
        )

    def insert_seed(self) -> str:
        return "INSERT INTO seedlock_seeds (run, stage, framework, seed) VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING"

    def insert_record(self) -> str:
        """The run row and its seed rows in one statement: one round trip, and atomic on its own
        (autocommit), so a record is wholly in the ledger or not at all. No seed rows when the run
        id was already there."""
        return (
            f"WITH new AS ({self.insert_run()} RETURNING run) "
            "INSERT INTO seedlock_seeds (run, stage, framework, seed) "
            "SELECT new.run, s.stage, s.framework, s.seed FROM new, "
            "unnest(%s::text[], %s::text[], %s::bigint[]) AS s(stage, framework, seed)"
        )

    def insert_record_v2(self) -> str:
        """:meth:`insert_record` with the replicate row and the metric rows: still one statement, so a
        replicate is in the ledger with its seeds and metrics or not at all."""
        return (
            f"WITH new AS ({self.insert_run()} RETURNING run), "
            "rep AS (INSERT INTO seedlock_replicates (run, grp, idx, attempt, vary, seeds) "
            "SELECT new.run, r.grp, r.idx, r.attempt, r.vary, r.seeds FROM new, "
            "unnest(%s::text[], %s::int[], %s::int[], %s::text[], %s::text[]) AS r(grp, idx, attempt, vary, seeds)), "
            "met AS (INSERT INTO seedlock_metrics (run, ord, name, step, value) "
            "SELECT new.run, m.ord, m.name, m.step, m.value FROM new, "
            "unnest(%s::int[], %s::text[], %s::bigint[], %s::float8[]) AS m(ord, name, step, value)) "
            "INSERT INTO seedlock_seeds (run, stage, framework, seed) "
            "SELECT new.run, s.stage, s.framework, s.seed FROM new, "
            "unnest(%s::text[], %s::text[], %s::bigint[]) AS s(stage, framework, seed)"
        )


def connect_timeout(env: Mapping[str, str] | None = None) -> int:
    """Seconds one connection attempt may take: ``$SEEDLOCK_LEDGER_TIMEOUT``, else ``$PGCONNECT_TIMEOUT``, else 10."""
    env = os.environ if env is None else env
    for name in (TIMEOUT_VARIABLE, "PGCONNECT_TIMEOUT"):
        raw = env.get(name, "")
        if raw.isdigit() and int(raw) > 0:
            return int(raw)
    return DEFAULT_CONNECT_TIMEOUT


def _login() -> str:
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return ""


class PostgresBackend(Backend):
    """A ledger in the PostgreSQL database named by a ``postgresql://`` URL. The password comes from the
    URL, ``PGPASSWORD`` or ``~/.pgpass`` (libpq's rules) and never appears in a message."""

    def __init__(self, url: str) -> None:
        self.location = redact(url)
        self._url = normalize(url)
        self._secrets = secrets_of(url)
        try:
            parameters(self._url)  # an address libpq cannot read is refused now, not spooled at record time
        except ImportError:
            pass  # reported when connecting, with how to install psycopg
        self._sql = _Dialect()
        self._held: Any = None

    @property
    def identity(self) -> str:
        """``postgresql://host:port/dbname`` as libpq would fill it in (its environment variables and
        defaults): which ledger a spooled record is for. The user is left out: another role (a CI
        job's, an admin's) pushing into the same database delivers to the same ledger."""
        try:
            given = parameters(self._url)
        except (ImportError, SeedlockError):
            return self.location
        env = os.environ
        user = given.get("user") or env.get("PGUSER") or _login()
        host = given.get("host") or given.get("hostaddr") or env.get("PGHOST") or "localhost"
        port = given.get("port") or env.get("PGPORT") or "5432"
        dbname = given.get("dbname") or env.get("PGDATABASE") or user
        service = given.get("service") or env.get("PGSERVICE")
        tail = f"?service={service}" if service else ""
        return f"postgresql://{host}:{port}/{dbname}{tail}"

    @contextmanager
    def held(self) -> Iterator[None]:
        """Keep one connection for every operation inside (connection set-up, with SCRAM authentication,
        costs more than the queries themselves)."""
        if self._held is not None:
            yield
            return
        with self._connect("connect to") as conn:
            self._held = conn
            try:
                yield
            finally:
                self._held = None

    def _error(self, what: str, exc: BaseException) -> SeedlockError:
        import psycopg

        message = " ".join(str(exc).split()) or type(exc).__name__
        if isinstance(exc, psycopg.errors.InsufficientPrivilege):
            message += (
                " (recording needs INSERT and SELECT on seedlock_runs, seedlock_seeds, seedlock_replicates and "
                "seedlock_metrics: see README, Team ledger)"
            )
        elif isinstance(exc, psycopg.errors.UndefinedTable):
            message = f"no seedlock schema here: run `seedlock ledger init --ledger {self.location}` ({message})"
        return SeedlockError("io-error", scrub(f"Cannot {what} the ledger {self.location}: {message}", self._secrets))

    @contextmanager
    def _connect(self, what: str) -> Iterator[Any]:
        if self._held is not None:
            import psycopg

            try:
                yield self._held
            except psycopg.Error as exc:
                raise self._error(what, exc) from None
            return
        try:
            import psycopg
        except ImportError:
            raise SeedlockError(
                "io-error",
                f"Cannot {what} the ledger {self.location}: psycopg is not installed "
                "(pip install 'seedlock[postgres]')",
            ) from None
        # Autocommit: reads need no transaction; writes open one explicitly (conn.transaction()).
        options: dict[str, Any] = {"application_name": "seedlock", "autocommit": True}
        given = parameters(self._url)
        bound = connect_timeout()
        if "connect_timeout" not in given:
            options["connect_timeout"] = bound
        # A connection is not the only wait: a table another session locked (LOCK TABLE, a long ALTER)
        # would hold every statement for as long as it is held. Bound each statement by the same
        # timeout; the server cancels it and the record goes to the spool. Sent with the connection
        # (libpq's options), so it costs no round trip; the user's own options come first.
        limits = f"-c statement_timeout={bound * 1000} -c lock_timeout={bound * 1000}"
        options["options"] = f"{given['options']} {limits}" if given.get("options") else limits
        conn = self._open(psycopg, options, what)
        try:
            yield conn
        except psycopg.Error as exc:
            raise self._error(what, exc) from None
        finally:
            try:
                conn.close()
            except psycopg.Error:
                pass

    def _open(self, psycopg: Any, options: dict[str, Any], what: str) -> Any:
        """Connect; a server out of connection slots (many replicates finishing at once) is retried
        with jittered back-off for up to the connect timeout, since the slots free up within
        milliseconds. Any other failure is reported at once."""
        import random
        import time

        deadline = time.monotonic() + float(options.get("connect_timeout") or connect_timeout())
        pause = 0.05
        while True:
            try:
                return psycopg.connect(self._url, **options)
            except psycopg.Error as exc:
                busy = getattr(exc, "sqlstate", None) in _BUSY_STATES or any(
                    text in str(exc) for text in ("too many clients", "remaining connection slots")
                )
                if not busy or time.monotonic() + pause > deadline:
                    raise self._error(what, exc) from None
            time.sleep(pause * (0.5 + random.random()))
            pause = min(pause * 2, 1.0)

    def _version(self, cur: Any, *, required: bool) -> int | None:
        if required:
            # One round trip; outside a transaction, so a missing table aborts nothing.
            import psycopg

            try:
                cur.execute("SELECT value FROM seedlock_meta WHERE key = %s", ("schema",))
            except psycopg.errors.UndefinedTable:
                raise SeedlockError(
                    "io-error",
                    f"The ledger {self.location} has no seedlock schema: run "
                    f"`seedlock ledger init` with an owner's rights",
                ) from None
            row = cur.fetchone()
            version = int(row[0]) if row else None
            if version is not None and version > SCHEMA_VERSION:
                raise newer_schema(self.location, version)
            return version
        cur.execute("SELECT to_regclass('seedlock_meta') IS NOT NULL")
        if not cur.fetchone()[0]:
            if required:
                raise SeedlockError(
                    "io-error",
                    f"The ledger {self.location} has no seedlock schema: run "
                    f"`seedlock ledger init` with an owner's rights",
                )
            return None
        cur.execute("SELECT value FROM seedlock_meta WHERE key = %s", ("schema",))
        row = cur.fetchone()
        version = int(row[0]) if row else None
        if version is not None and version > SCHEMA_VERSION:
            raise newer_schema(self.location, version)
        return version

    def init(self) -> tuple[int, bool]:
        with self._connect("initialise") as conn, conn.transaction(), conn.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", (_INIT_LOCK,))
            version = self._version(cur, required=False)
            if version is not None:
                if version < SCHEMA_VERSION:  # version 1 -> 2: add tables, every run stays as it was
                    for statement in _SCHEMA_V2:
                        cur.execute(statement)
                    cur.execute("UPDATE seedlock_meta SET value = %s WHERE key = %s", (str(SCHEMA_VERSION), "schema"))
                return SCHEMA_VERSION, False
            for statement in _SCHEMA + _SCHEMA_V2:
                cur.execute(statement)
            cur.execute(
                "INSERT INTO seedlock_meta (key, value) VALUES (%s, %s) ON CONFLICT (key) DO NOTHING",
                ("schema", str(SCHEMA_VERSION)),
            )
            return SCHEMA_VERSION, True

    def insert(self, records: Sequence[RunRecord]) -> int:
        added = 0
        with self._connect("record in") as conn, conn.cursor() as cur:
            version = self._version(cur, required=True)
            if version is not None and version < 2 and any(r.replicate or r.metrics for r in records):
                raise SeedlockError(
                    "io-error",
                    f"The ledger {self.location} has schema version {version}, which "
                    f"cannot hold replicates or metrics: run `seedlock ledger init` with "
                    f"an owner's rights to bring it to version {SCHEMA_VERSION}",
                )
            with conn.transaction() if len(records) > 1 else _no_transaction():
                for rec in records:
                    seeds = seed_rows(rec)
                    seed_args = ([r[1] for r in seeds], [r[2] for r in seeds], [r[3] for r in seeds])
                    if version is not None and version < 2:
                        cur.execute(self._sql.insert_record(), (*row_values(rec, True, False), *seed_args))
                    else:
                        rep = replicate_row(rec)
                        reps = [rep] if rep else []
                        mets = metric_rows(rec)
                        cur.execute(
                            self._sql.insert_record_v2(),
                            (
                                *row_values(rec, True, False),
                                *([r[i] for r in reps] for i in range(1, 6)),
                                *([m[i] for m in mets] for i in range(1, 5)),
                                *seed_args,
                            ),
                        )
                    added += cur.rowcount > 0
        return added

    def history(self, filters: Filters, limit: int | None) -> list[RunRecord]:
        sql, args = self._sql.history_sql(filters, limit)
        with self._connect("read") as conn, conn.cursor() as cur:
            self._version(cur, required=True)
            cur.execute(sql, args)
            return [from_row(r) for r in cur.fetchall()]

    def find(self, prefix: str) -> list[RunRecord]:
        bounds = hex_prefix(prefix)
        if bounds is None:
            return []
        with self._connect("read") as conn, conn.cursor() as cur:
            self._version(cur, required=True)
            cur.execute(self._sql.find_sql(), bounds)
            return [from_row(r) for r in cur.fetchall()]

    def last_uses(
        self, stage: str, key: str, *, commit: str | None, inputs: str | None, params: str | None
    ) -> tuple[RunRecord | None, RunRecord | None]:
        with self._connect("read") as conn, conn.cursor() as cur:
            self._version(cur, required=True)  # a check against a ledger without a schema would check nothing
            full = None
            if commit:
                cur.execute(self._sql.full_use_sql(), (stage, key, commit, False, inputs, params))
                row = cur.fetchone()
                full = from_row(row) if row else None
            cur.execute(self._sql.any_use_sql(), (stage, key))
            row = cur.fetchone()
            return full, (from_row(row) if row else None)

    def records(self) -> Iterator[RunRecord]:
        with self._connect("read") as conn, conn.cursor() as cur:
            version = self._version(cur, required=True)
            cur.execute(self._sql.all_sql())
            records = [from_row(row) for row in cur.fetchall()]
            if version is not None and version >= 2:
                cur.execute("SELECT run, grp, idx, attempt, vary, seeds FROM seedlock_replicates")
                reps = cur.fetchall()
                cur.execute("SELECT run, name, step, value FROM seedlock_metrics ORDER BY run, ord")
                records = with_extras(records, reps, cur.fetchall())
            yield from records

    def replicates(self, group: str, metric: str | None = None) -> list[ReplicateRun]:
        with self._connect("read") as conn, conn.cursor() as cur:
            version = self._version(cur, required=True)
            if version is None or version < 2:
                return []
            cur.execute(self._sql.q(REPLICATES_SQL), (group,))
            rows = cur.fetchall()
            if metric is None:
                cur.execute(self._sql.q(METRICS_SQL), (group,))
            else:
                cur.execute(self._sql.q(METRICS_NAMED_SQL), (group, metric))
            return replicate_runs(group, rows, cur.fetchall())

    def groups(self) -> list[tuple[str, int]]:
        with self._connect("read") as conn, conn.cursor() as cur:
            version = self._version(cur, required=True)
            if version is None or version < 2:
                return []
            cur.execute(GROUPS_SQL)
            return [(g, int(n)) for g, n in cur.fetchall()]
