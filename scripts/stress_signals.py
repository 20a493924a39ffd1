#!/usr/bin/env python3
"""Signals at random moments to `seedlock verify` and to `seedlock run --record`; count what was lost.

    python scripts/stress_signals.py [--signals 200] [--seed 1] [--json FILE]

Half of the signals go to `seedlock verify` runs over a user's existing outputs (a folder of 300
files and an 8 MB file, so that moving, copying and comparing take a while), half to
`seedlock run --record` into an SQLite ledger. Each invocation gets SIGTERM, SIGHUP, SIGINT or two
SIGINTs (a second Ctrl-C), after a delay drawn uniformly from 0 to 1.1x the time an undisturbed
invocation takes, so every phase is hit: start-up, moving aside, the child's run, copying,
comparing, restoring, recording.

Counted for verify: outputs not back byte for byte (lost or replaced), originals stranded in the
temporary directory, Python tracebacks from seedlock (apart: those of an interpreter interrupted
while still importing seedlock, before it set any handler or touched a file). Counted for the ledger: each invocation is
tagged with its own CI pipeline id (GitLab variables), so after the last one every invocation's
rows are counted: an invocation that said "recorded as run X" without its row is a lost row; two
rows for one invocation are a duplicate; `PRAGMA integrity_check` must say ok. Invocations stopped
before they recorded (nothing said, no row) are listed apart: that is the signal doing its job.

An invocation still running after 120 s is counted as hung and killed.

Exit status 0 when nothing was lost, duplicated, stranded or hung and seedlock printed no traceback
after its start; 1 otherwise. Needs seedlock importable
by `sys.executable` (the repository's .venv).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

CHOICES = (("SIGTERM",), ("SIGHUP",), ("SIGINT",), ("SIGINT", "SIGINT"))

WRITER = """
try:
    import os, random, seedlock
    seedlock.apply_from_env()
    os.makedirs("out", exist_ok=True)
    for i in range(300):
        open(f"out/{i}.txt", "w").write(repr(random.random()))
    open("model.bin", "wb").write(random.randbytes(8_000_000))
except KeyboardInterrupt:
    raise SystemExit(130)
"""


def _seedlock(*args: str) -> list[str]:
    return [sys.executable, "-m", "seedlock", *args]


def _apart(*cmd: str) -> list[str]:
    """``cmd`` with its stderr in child-stderr.txt: a Ctrl-C traceback of the child's own (it imports
    seedlock at start-up too) is then never taken for seedlock's."""
    return ["sh", "-c", 'exec "$@" 2>>child-stderr.txt', "sh", *cmd]


def _digest(project: Path) -> str:
    h = hashlib.sha256()
    for path in sorted((project / "out").rglob("*")) if (project / "out").is_dir() else []:
        h.update(path.name.encode() + b"\0" + path.read_bytes())
    model = project / "model.bin"
    h.update(model.read_bytes() if model.is_file() else b"<no model.bin>")
    return h.hexdigest()


def _user_outputs(project: Path) -> str:
    (project / "out").mkdir()
    for i in range(300):
        (project / "out" / f"{i}.txt").write_text(f"the user's file {i}\n")
    (project / "model.bin").write_bytes(os.urandom(8_000_000))
    return _digest(project)


def _send(proc: subprocess.Popen[str], names: tuple[str, ...], rng: random.Random) -> int:
    sent = 0
    for name in names:
        if proc.poll() is not None:
            break
        proc.send_signal(getattr(signal, name))
        sent += 1
        time.sleep(rng.uniform(0.0, 0.05))
    return sent


_SEEDLOCK_FRAME = re.compile(r'File "[^"]*/seedlock/[^"]*"')


def _traceback(err: str) -> str | None:
    """'start-up' for a traceback of seedlock's before it said anything (an interpreter still importing,
    before any handler is set: nothing touched yet), 'later' for one after, None without one."""
    match = _SEEDLOCK_FRAME.search(err)
    if match is None:
        return None  # the child's own (a Ctrl-C passed on to it) is no concern of seedlock's
    return "later" if "seedlock:" in err[: match.start()] else "start-up"


HANG_SECONDS = 120


def _finish(proc: subprocess.Popen[str], hung: list[int]) -> tuple[str, str]:
    """Wait for ``proc``; one still running after HANG_SECONDS is counted in ``hung`` and killed."""
    try:
        return proc.communicate(timeout=HANG_SECONDS)
    except subprocess.TimeoutExpired:
        hung.append(proc.pid)
        print(f"hung: pid {proc.pid} still running after {HANG_SECONDS} s; killed", file=sys.stderr)
        proc.kill()
        return proc.communicate()


def _timed(cmd: list[str], **kw: object) -> float:
    start = time.monotonic()
    subprocess.run(cmd, capture_output=True, text=True, check=False, **kw)  # type: ignore[call-overload]
    return time.monotonic() - start


def stress_verify(root: Path, lock: Path, budget: int, rng: random.Random) -> dict[str, Any]:
    project, scratch = root / "verify-project", root / "verify-tmp"
    project.mkdir()
    scratch.mkdir()
    (project / "writer.py").write_text(WRITER)
    original = _user_outputs(project)
    env = {**os.environ, "TMPDIR": str(scratch)}
    cmd = _seedlock(
        "verify",
        str(lock),
        "--stage",
        "train",
        "--output",
        "out",
        "--output",
        "model.bin",
        "--",
        *_apart(sys.executable, "writer.py"),
    )
    undisturbed = _timed(cmd, cwd=project, env=env)
    assert _digest(project) == original, "an undisturbed verify changed the user's outputs"
    sent = invocations = replaced = stranded = 0
    hung: list[int] = []
    exits: Counter[str] = Counter()
    tracebacks: Counter[str] = Counter()
    while sent < budget:
        names = rng.choice(CHOICES)
        delay = rng.uniform(0.0, undisturbed * 1.1)
        proc = subprocess.Popen(cmd, cwd=project, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(delay)
        sent += _send(proc, names, rng)
        _out, err = _finish(proc, hung)
        invocations += 1
        exits[str(proc.returncode)] += 1
        kind = _traceback(err)
        if kind is not None:
            tracebacks[kind] += 1
            print(f"verify: traceback ({kind}) after {names} at {delay:.2f} s:\n{err}", file=sys.stderr)
        if _digest(project) != original:
            replaced += 1
            print(f"verify: outputs not restored after {names} at {delay:.2f} s:\n{err}", file=sys.stderr)
        for left in scratch.iterdir():  # kept runs are fine; a user's file left in before-* is not
            if any(p.is_file() for b in left.glob("before-*") for p in b.rglob("*")):
                stranded += 1
                print(f"verify: originals stranded in {left} after {names} at {delay:.2f} s", file=sys.stderr)
            shutil.rmtree(left, ignore_errors=True)
        if _digest(project) != original:  # start the next round from the user's files again
            shutil.rmtree(project / "out", ignore_errors=True)
            (project / "model.bin").unlink(missing_ok=True)
            original = _user_outputs(project)
    return {
        "signals": sent,
        "invocations": invocations,
        "undisturbed_s": round(undisturbed, 2),
        "outputs_not_restored": replaced,
        "originals_stranded": stranded,
        "hung": len(hung),
        "tracebacks_after_start": tracebacks["later"],
        "tracebacks_at_start_up": tracebacks["start-up"],
        "exit_statuses": dict(sorted(exits.items())),
    }


def stress_record(root: Path, lock: Path, budget: int, rng: random.Random) -> dict[str, Any]:
    project = root / "record-project"
    project.mkdir()
    ledger = project / "ledger.sqlite"
    spool = root / "spool"
    base = {**os.environ, "SEEDLOCK_SPOOL": str(spool), "GITLAB_CI": "true"}
    cmd = _seedlock(
        "run",
        str(lock),
        "--stage",
        "train",
        "--record",
        "--ledger",
        str(ledger),
        "--",
        *_apart(sys.executable, "-c", "import time; time.sleep(0.3)"),
    )
    undisturbed = _timed(cmd, cwd=project, env={**base, "CI_PIPELINE_ID": "undisturbed"})
    sent = 0
    said: dict[str, bool] = {}
    hung: list[int] = []
    exits: Counter[str] = Counter()
    tracebacks: Counter[str] = Counter()
    while sent < budget:
        tag = f"stress-{len(said)}"
        names = rng.choice(CHOICES)
        delay = rng.uniform(0.0, undisturbed * 1.1)
        proc = subprocess.Popen(
            cmd,
            cwd=project,
            env={**base, "CI_PIPELINE_ID": tag},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        time.sleep(delay)
        sent += _send(proc, names, rng)
        _, err = _finish(proc, hung)
        said[tag] = re.search(r"seedlock: recorded as run \w+", err) is not None
        exits[str(proc.returncode)] += 1
        kind = _traceback(err)
        if kind is not None:
            tracebacks[kind] += 1
            print(f"run --record: traceback ({kind}) after {names} at {delay:.2f} s:\n{err}", file=sys.stderr)
    with sqlite3.connect(ledger) as db:
        rows = Counter(tag for (tag,) in db.execute("SELECT ci_pipeline FROM seedlock_runs"))
        integrity = db.execute("PRAGMA integrity_check").fetchone()[0]
    lost = [t for t, yes in said.items() if yes and rows[t] == 0]
    duplicated = [t for t in said if rows[t] > 1]
    silent_rows = [t for t, yes in said.items() if not yes and rows[t] == 1]  # recorded, then stopped before saying so
    spooled = sorted(p.name for p in spool.rglob("*") if p.is_file()) if spool.exists() else []
    return {
        "signals": sent,
        "invocations": len(said),
        "undisturbed_s": round(undisturbed, 2),
        "recorded_and_said": sum(said.values()),
        "rows_lost": len(lost),
        "rows_duplicated": len(duplicated),
        "recorded_without_saying": len(silent_rows),
        "stopped_before_recording": sum(1 for t, yes in said.items() if not yes and rows[t] == 0),
        "spooled": len(spooled),
        "integrity_check": integrity,
        "hung": len(hung),
        "tracebacks_after_start": tracebacks["later"],
        "tracebacks_at_start_up": tracebacks["start-up"],
        "exit_statuses": dict(sorted(exits.items())),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--signals", type=int, default=200, help="signals in all, half to each command (default 200)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the moments and signals drawn (default 1)")
    parser.add_argument("--json", metavar="FILE", help="also write the counts here")
    parser.add_argument("--only", choices=("verify", "run-record"), help="signal only this command (all the signals)")
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    root = Path(tempfile.mkdtemp(prefix="seedlock-stress-"))
    try:
        manifest, lock = root / "seedlock.json", root / "seedlock.lock.json"
        manifest.write_text(json.dumps({"version": "1.0", "seed": 7, "stages": {"train": {"frameworks": ["python"]}}}))
        subprocess.run(
            _seedlock("resolve", str(manifest), "-o", str(lock), "--no-provenance"), check=True, capture_output=True
        )
        started = time.monotonic()
        share = {"verify": args.signals // 2, "run-record": args.signals - args.signals // 2}
        if args.only:
            share = {name: args.signals if name == args.only else 0 for name in share}
        report: dict[str, Any] = {}
        if share["verify"]:
            report["verify"] = stress_verify(root, lock, share["verify"], rng)
        if share["run-record"]:
            report["run_record"] = stress_record(root, lock, share["run-record"], rng)
        report["seconds"] = round(time.monotonic() - started)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print(json.dumps(report, indent=2))
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n")
    v, r = report.get("verify", {}), report.get("run_record", {})
    bad = (
        v.get("outputs_not_restored")
        or v.get("originals_stranded")
        or v.get("tracebacks_after_start")
        or v.get("hung")
        or r.get("hung")
        or r.get("rows_lost")
        or r.get("rows_duplicated")
        or r.get("integrity_check", "ok") != "ok"
        or r.get("tracebacks_after_start")
    )
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
