"""The run ledger: every recorded lock in an SQLite database, for history, reruns and the reuse check.

WAL mode and one ``BEGIN IMMEDIATE`` transaction per record make concurrent recording from many CI
jobs safe: writers queue on SQLite's lock (``busy_timeout``) and no record is lost or half-written.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import _json
from .errors import SeedlockError

LEDGER_VARIABLE = "SEEDLOCK_LEDGER"
DEFAULT_RELATIVE = Path(".seedlock") / "ledger.sqlite"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created TEXT NOT NULL,
    event TEXT NOT NULL,
    stage TEXT,
    exit_code INTEGER,
    lock_sha256 TEXT NOT NULL,
    manifest_sha256 TEXT NOT NULL,
    root_seed INTEGER NOT NULL,
    git_commit TEXT,
    git_dirty INTEGER,
    inputs_sha256 TEXT,
    params_sha256 TEXT,
    ci TEXT,
    lock TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS stage_seeds (
    run_id INTEGER NOT NULL REFERENCES runs(id),
    stage TEXT NOT NULL,
    seed INTEGER NOT NULL,
    seeds TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS stage_seeds_by_seed ON stage_seeds(stage, seed);
CREATE INDEX IF NOT EXISTS stage_seeds_by_seeds ON stage_seeds(stage, seeds);
CREATE INDEX IF NOT EXISTS stage_seeds_by_run ON stage_seeds(run_id);
CREATE INDEX IF NOT EXISTS runs_by_commit ON runs(git_commit);
"""


def default_path(env: Mapping[str, str] | None = None) -> Path:
    """``$SEEDLOCK_LEDGER``, else ``.seedlock/ledger.sqlite`` at the git root of the working directory (or in it)."""
    env = os.environ if env is None else env
    if env.get(LEDGER_VARIABLE):
        return Path(env[LEDGER_VARIABLE])
    try:
        top = subprocess.run(["git", "rev-parse", "--show-toplevel"], capture_output=True, text=True, timeout=30, check=False)
        root = Path(top.stdout.strip()) if top.returncode == 0 and top.stdout.strip() else Path.cwd()
    except (OSError, subprocess.TimeoutExpired):
        root = Path.cwd()
    return root / DEFAULT_RELATIVE


@dataclass(frozen=True, kw_only=True)
class Record:
    """One ledger row."""

    id: int
    created: str
    event: str
    stage: str | None
    exit_code: int | None
    root_seed: int
    git_commit: str | None
    git_dirty: bool | None
    inputs_sha256: str | None
    params_sha256: str | None
    ci: dict[str, Any] | None
    stage_seeds: dict[str, int]
    lock_sha256: str

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True, kw_only=True)
class Reuse:
    """A past run whose seeds a lock repeats, and whether anything else differed."""

    record: Record
    stage: str
    same_code: bool
    same_inputs: bool
    same_params: bool

    @property
    def adds_no_information(self) -> bool:
        return self.same_code and self.same_inputs and self.same_params


def _digest(value: Any) -> str | None:
    if not value:
        return None
    return hashlib.sha256(_json.canonical(value).encode("utf-8")).hexdigest()


def lock_sha256(lock_doc: Mapping[str, Any]) -> str:
    return hashlib.sha256(_json.canonical(dict(lock_doc)).encode("utf-8")).hexdigest()


class Ledger:
    """An SQLite ledger at ``path`` (created on first write)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)

    @contextmanager
    def _connect(self, *, write: bool) -> Iterator[sqlite3.Connection]:
        if write:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise SeedlockError("io-error", f"Cannot create {self.path.parent}: {exc.strerror or exc}") from None
        elif not self.path.exists():
            raise SeedlockError("io-error", f"No ledger at {self.path} (record runs with `seedlock resolve --record`)")
        try:
            conn = sqlite3.connect(self.path, timeout=60, isolation_level=None)
        except sqlite3.Error as exc:
            raise SeedlockError("io-error", f"Cannot open the ledger {self.path}: {exc}") from None
        try:
            conn.execute("PRAGMA busy_timeout = 60000")
            if write:
                conn.execute("PRAGMA journal_mode = WAL")
                conn.execute("PRAGMA synchronous = FULL")
                conn.executescript(_SCHEMA)
            yield conn
        except sqlite3.DatabaseError as exc:
            raise SeedlockError("io-error", f"The ledger {self.path} is unreadable or corrupted: {exc}") from None
        finally:
            conn.close()

    def record(self, lock_doc: Mapping[str, Any], *, event: str = "resolve", stage: str | None = None,
               exit_code: int | None = None) -> int:
        """Append a lock (as JSON data) in one transaction; returns the run id."""
        prov = lock_doc.get("provenance") or {}
        git = prov.get("git") or {}
        text = _json.pretty(dict(lock_doc))
        row = (
            prov.get("created") or "", event, stage, exit_code, lock_sha256(lock_doc), lock_doc["manifest"]["sha256"],
            lock_doc["root"]["seed"], git.get("commit"), None if not git else int(bool(git.get("dirty"))),
            _digest(prov.get("inputs")), _digest(prov.get("params")),
            json.dumps(prov["ci"], sort_keys=True) if prov.get("ci") else None, text,
        )
        with self._connect(write=True) as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                cur = conn.execute(
                    "INSERT INTO runs (created, event, stage, exit_code, lock_sha256, manifest_sha256, root_seed, git_commit,"
                    " git_dirty, inputs_sha256, params_sha256, ci, lock) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", row)
                run_id = int(cur.lastrowid or 0)
                conn.executemany(
                    "INSERT INTO stage_seeds (run_id, stage, seed, seeds) VALUES (?,?,?,?)",
                    [(run_id, name, st["seed"], _stage_key(st)) for name, st in lock_doc["stages"].items()])
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        return run_id

    def history(self, *, stage: str | None = None, seed: int | None = None, commit: str | None = None,
                limit: int | None = None) -> list[Record]:
        """Recorded runs, newest first, filtered by stage, any seed of a stage, or commit prefix."""
        where: list[str] = []
        args: list[Any] = []
        if stage is not None:
            where.append("id IN (SELECT run_id FROM stage_seeds WHERE stage = ?)")
            args.append(stage)
        if seed is not None:
            where.append("(root_seed = ? OR id IN (SELECT run_id FROM stage_seeds WHERE seed = ? OR seeds LIKE ?))")
            args += [seed, seed, f'%:{seed},%']
        if commit is not None:
            where.append("git_commit LIKE ?")
            args.append(commit + "%")
        sql = "SELECT * FROM runs" + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY id DESC"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        with self._connect(write=False) as conn:
            conn.row_factory = sqlite3.Row
            try:
                rows = conn.execute(sql, args).fetchall()
            except sqlite3.DatabaseError as exc:
                salvaged, lost = _salvage(conn)
                if not salvaged:
                    raise  # nothing readable: reported as an unreadable ledger
                raise DamagedLedger(self.path, exc, [_record(r, {}) for r in salvaged], lost) from None
            seeds: dict[int, dict[str, int]] = {}
            ids = [r["id"] for r in rows]
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                marks = ",".join("?" * len(chunk))
                for r in conn.execute(f"SELECT run_id, stage, seed FROM stage_seeds WHERE run_id IN ({marks})", chunk):
                    seeds.setdefault(r["run_id"], {})[r["stage"]] = r["seed"]
        return [_record(r, seeds.get(r["id"], {})) for r in rows]

    def lock_text(self, run_id: int) -> str:
        """The exact lock JSON recorded as run ``run_id``."""
        with self._connect(write=False) as conn:
            row = conn.execute("SELECT lock FROM runs WHERE id = ?", (run_id,)).fetchone()
        if row is None:
            raise SeedlockError("unknown-run", f"No run {run_id} in the ledger {self.path}", f"/runs/{run_id}")
        return str(row[0])

    def reuse(self, lock_doc: Mapping[str, Any]) -> list[Reuse]:
        """Past uses of the same stage seeds (every framework seed equal), with what else was equal."""
        if not self.path.exists():
            return []
        prov = lock_doc.get("provenance") or {}
        git = prov.get("git") or {}
        me = lock_sha256(lock_doc)
        inputs, params = _digest(prov.get("inputs")), _digest(prov.get("params"))
        out: list[Reuse] = []
        with self._connect(write=False) as conn:
            conn.row_factory = sqlite3.Row
            for name, st in lock_doc["stages"].items():
                rows = conn.execute(
                    "SELECT runs.* FROM runs JOIN stage_seeds ON stage_seeds.run_id = runs.id "
                    "WHERE stage_seeds.stage = ? AND stage_seeds.seeds = ? AND (runs.lock_sha256 != ? OR runs.event = 'run') "
                    "ORDER BY runs.id", (name, _stage_key(st), me)).fetchall()
                for r in rows:
                    same_code = bool(git.get("commit")) and r["git_commit"] == git.get("commit") \
                        and not git.get("dirty") and r["git_dirty"] == 0
                    out.append(Reuse(record=_record(r, {}), stage=name, same_code=same_code,
                                     same_inputs=r["inputs_sha256"] == inputs, same_params=r["params_sha256"] == params))
        return out


class DamagedLedger(SeedlockError):
    """The ledger is damaged; ``records`` holds the runs that could still be read, newest first."""

    records: list[Record]

    def __init__(self, path: Path, cause: Exception, records: list[Record], lost: int) -> None:
        super().__init__("io-error", f"The ledger {path} is damaged ({cause}): {len(records)} runs read, {lost} unreadable")
        self.records = records


def _salvage(conn: sqlite3.Connection, give_up_after: int = 1000) -> tuple[list[sqlite3.Row], int]:
    """Read runs one by one by id, skipping what SQLite cannot read; returns (rows newest first, lost)."""
    try:
        top = int(conn.execute("SELECT max(id) FROM runs").fetchone()[0] or 0)
    except sqlite3.DatabaseError:
        top = 10**6
    rows, lost, misses, failures = [], 0, 0, 0
    for run_id in range(1, top + 1):
        try:
            row = conn.execute("SELECT * FROM runs WHERE id = ?", (run_id,)).fetchone()
        except sqlite3.DatabaseError:
            lost += 1
            failures += 1
            if failures > give_up_after:
                break  # nothing but errors: the file is not a readable database at all
            continue
        failures = 0
        if row is None:
            misses += 1
            if misses > give_up_after:
                break
            continue
        misses = 0
        rows.append(row)
    return rows[::-1], lost


def _stage_key(stage: Mapping[str, Any]) -> str:
    # Every framework seed of the stage, in one comparable string: "numpy:1,torch:2,".
    return "".join(f"{fw}:{entry['seed']}," for fw, entry in sorted(stage["frameworks"].items()))


def _record(r: sqlite3.Row, seeds: dict[str, int]) -> Record:
    return Record(
        id=r["id"], created=r["created"], event=r["event"], stage=r["stage"], exit_code=r["exit_code"],
        root_seed=r["root_seed"], git_commit=r["git_commit"],
        git_dirty=None if r["git_dirty"] is None else bool(r["git_dirty"]),
        inputs_sha256=r["inputs_sha256"], params_sha256=r["params_sha256"],
        ci=json.loads(r["ci"]) if r["ci"] else None, stage_seeds=seeds, lock_sha256=r["lock_sha256"],
    )
