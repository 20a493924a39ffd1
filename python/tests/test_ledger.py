"""The run ledger and atomic lock writes under concurrency, crashes and corruption."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import seedlock
from conftest import SPEC, seedlock_cli
from seedlock.ledger import Filters, Ledger, new_record
from seedlock.spec.resolution import resolve

MANIFEST = {
    "version": "1.0",
    "seed": "generate",
    "stages": {"prep": {"frameworks": ["numpy"]}, "train": {"frameworks": ["numpy", "torch"]}},
}


def _lock_doc(seed: int | None = None) -> dict:
    m = seedlock.Manifest.from_dict({**MANIFEST, "seed": seed if seed is not None else "generate"})
    return resolve(m, {}, provenance={"created": "2026-11-26T00:00:00Z", "id": os.urandom(8).hex()}).to_dict()


def _record(ledger: Ledger, doc: dict, *, stage: str | None = None, commit: str | None = None) -> str:
    prov = {"created": "2026-11-26T00:00:00Z", **({"git": {"commit": commit, "dirty": False}} if commit else {})}
    rec = new_record(
        doc, event="run" if stage else "resolve", stage=stage, exit_code=0 if stage else None, provenance=prov
    )
    ledger.record(rec)
    return rec.run


def test_history_filters_by_stage_seed_and_commit(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "l.sqlite", spool=tmp_path / "spool")
    a = _lock_doc(1)
    first = _record(ledger, a, commit="abc123")
    second = _record(ledger, _lock_doc(2), stage="prep")
    assert [r.run for r in ledger.history()] == [second, first]
    assert [r.run for r in ledger.history(Filters(seed=1))] == [first]
    train_seed = a["stages"]["train"]["frameworks"]["torch"]["seed"]
    assert [r.run for r in ledger.history(Filters(seed=train_seed))] == [first]
    assert [r.run for r in ledger.history(Filters(commit="abc"))] == [first]
    assert [r.run for r in ledger.history(Filters(commit="%"))] == []  # user text is a value, never a pattern
    assert [r.run for r in ledger.history(Filters(stage="prep"), limit=1)] == [second]
    assert json.loads(ledger.get(first[:6]).lock_text) == a


def test_an_unknown_run_id_is_an_error(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "l.sqlite", spool=tmp_path / "spool")
    _record(ledger, _lock_doc(1))
    with pytest.raises(seedlock.SeedlockError, match="No run 99 in the ledger") as err:
        ledger.get("99")
    assert (err.value.code, err.value.pointer) == ("unknown-run", "/runs/99")


def test_twenty_concurrent_recorders_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    manifest = tmp_path / "m.json"
    manifest.write_text(json.dumps(MANIFEST))
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "seedlock",
                "resolve",
                str(manifest),
                "-o",
                str(tmp_path / f"{i}.json"),
                "--record",
                "--ledger",
                str(path),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for i in range(24)
    ]
    assert [p.wait(timeout=300) for p in procs] == [0] * 24
    ledger = Ledger(path)
    records = ledger.history(limit=None)
    assert len(records) == 24 and len({r.run for r in records}) == 24
    written = {json.loads((tmp_path / f"{i}.json").read_text())["provenance"]["id"] for i in range(24)}
    assert {r.pipeline for r in records} == written
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("SELECT COUNT(*) FROM seedlock_seeds WHERE framework = ''").fetchone()[0] == 48


def test_a_writer_killed_mid_write_leaves_the_previous_lock_intact(tmp_path: Path) -> None:
    target = tmp_path / "run.lock.json"
    previous = seedlock.spec._json.pretty(_lock_doc(5))
    target.write_text(previous)
    # The child stalls inside write_atomic after writing the temporary file, before the rename.
    code = f"""
import os, time, seedlock.spec._io as io
real = os.fsync
def stall(fd):
    real(fd)
    print("written", flush=True)
    time.sleep(60)
os.fsync = stall
io.write_atomic({str(target)!r}, "{{" * 10_000_000)
"""
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None and child.stdout.readline().strip() == "written"
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)
    assert target.read_text() == previous
    assert isinstance(seedlock.load_lock(target), seedlock.Lock)


def test_a_corrupted_ledger_is_a_clear_error_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    path.write_bytes(b"this is not a database" * 100)
    out = seedlock_cli("history", "--ledger", str(path))
    assert out.returncode == 2
    assert out.stderr.startswith(f"seedlock: error[io-error] The ledger {path} is unreadable or corrupted:")
    assert "Traceback" not in out.stderr


def test_rerun_writes_the_exact_recorded_lock(tmp_path: Path) -> None:
    ledger = tmp_path / "l.sqlite"
    lock = tmp_path / "a.json"
    assert (
        seedlock_cli(
            "resolve", str(SPEC / "examples" / "classic.json"), "-o", str(lock), "--record", "--ledger", str(ledger)
        ).returncode
        == 0
    )
    (record,) = Ledger(ledger).history()
    out = seedlock_cli("rerun", record.run[:7], "-o", str(tmp_path / "b.json"), "--ledger", str(ledger))
    assert out.returncode == 0
    assert (tmp_path / "b.json").read_bytes() == lock.read_bytes()


def test_history_without_a_ledger_says_how_to_make_one(tmp_path: Path) -> None:
    out = seedlock_cli("history", "--ledger", str(tmp_path / "none.sqlite"))
    assert out.returncode == 2 and "record runs with `seedlock run --record`" in out.stderr


def test_run_records_the_stage_and_exit_code(tmp_path: Path) -> None:
    ledger = tmp_path / "l.sqlite"
    lock = tmp_path / "a.json"
    seedlock_cli("resolve", str(SPEC / "examples" / "classic.json"), "-o", str(lock))
    out = seedlock_cli(
        "run",
        str(lock),
        "--stage",
        "train",
        "--record",
        "--ledger",
        str(ledger),
        "--",
        sys.executable,
        "-c",
        "raise SystemExit(3)",
    )
    assert out.returncode == 3
    (record,) = Ledger(ledger).history()
    assert (record.event, record.stage, record.exit_code) == ("run", "train", 3)


def test_history_still_shows_what_a_damaged_ledger_can_read(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    ledger = Ledger(path, spool=tmp_path / "spool")
    for i in range(150):
        _record(ledger, _lock_doc(i))
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
        # A leaf page of the runs table, from the middle of it (dbstat names each page's table).
        leaves = [
            r[0]
            for r in conn.execute(
                "SELECT pageno FROM dbstat WHERE name = 'seedlock_runs' AND pagetype = 'leaf' ORDER BY pageno"
            )
        ]
    data = bytearray(path.read_bytes())
    victim = leaves[len(leaves) // 2] - 1
    data[victim * page_size : (victim + 1) * page_size] = b"\xde\xad\xbe\xef" * (page_size // 4)
    path.write_bytes(bytes(data))
    out = seedlock_cli("history", "--ledger", str(path), "--limit", "0", "--format", "json")
    assert out.returncode == 2
    assert out.stderr.startswith(f"seedlock: error[io-error] The ledger {path} is damaged (")
    assert out.stderr.count("\n") == 1
    shown = json.loads(out.stdout)
    assert 0 < len(shown) < 150


_LEGACY_SCHEMA = """
CREATE TABLE runs (id INTEGER PRIMARY KEY AUTOINCREMENT, created TEXT NOT NULL, event TEXT NOT NULL, stage TEXT,
    exit_code INTEGER, lock_sha256 TEXT NOT NULL, manifest_sha256 TEXT NOT NULL, root_seed INTEGER NOT NULL,
    git_commit TEXT, git_dirty INTEGER, inputs_sha256 TEXT, params_sha256 TEXT, ci TEXT, lock TEXT NOT NULL);
CREATE TABLE stage_seeds (run_id INTEGER NOT NULL, stage TEXT NOT NULL, seed INTEGER NOT NULL, seeds TEXT NOT NULL);
"""


def test_a_ledger_written_by_seedlock_0_1_keeps_its_runs(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    doc = _lock_doc(5)
    with sqlite3.connect(path) as conn:
        conn.executescript(_LEGACY_SCHEMA)
        conn.execute(
            "INSERT INTO runs VALUES (1, '2026-01-01T00:00:00Z', 'run', 'train', 0, 'x', 'y', 5, 'abc', 0, NULL,"
            " NULL, NULL, ?)",
            (seedlock.spec._json.pretty(doc),),
        )
    out = seedlock_cli("history", "--ledger", str(path), "--format", "json")
    assert out.returncode == 0, out.stderr
    (record,) = json.loads(out.stdout)
    assert (record["stage"], record["created"], record["git_commit"]) == ("train", "2026-01-01T00:00:00Z", "abc")
    assert "seedlock 0.1 run 1" in record["provenance"]["legacy"]
    assert seedlock_cli("history", "--ledger", str(path)).returncode == 0
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT count(*) FROM runs").fetchone()[0] == 1  # the old table is left as it was
