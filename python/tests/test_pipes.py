"""A reader that stops early (`seedlock history | head -1`) ends seedlock quietly, as it ends git:
no traceback, the status a shell reports for SIGPIPE, and nothing half-done left behind."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import SPEC
from seedlock.ledger import Ledger
from seedlock.ledger._record import new_record
from seedlock.spec.manifest import Manifest
from seedlock.spec.resolution import resolve

CLASSIC = SPEC / "examples" / "classic.json"
SIGPIPE_STATUS = 141
# As users run it: with PYTHONUNBUFFERED (set in some CI images) Python loses the error of a partial
# write to a closed pipe, and the old traceback would not show.
USER_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}


def _into_a_closed_pipe(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run the CLI with stdout a real pipe whose reader is already gone (every write fails with EPIPE)."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        return subprocess.run(
            [sys.executable, "-m", "seedlock", *args],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
            cwd=cwd,
            env=USER_ENV,
        )
    finally:
        os.close(write_end)


@pytest.fixture(scope="module")
def busy_ledger(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A ledger whose history (about 200 KB) is far larger than a pipe's buffer (64 KiB)."""
    path = tmp_path_factory.mktemp("ledger") / "ledger.sqlite"
    ledger = Ledger(path)
    stages = {name: {"frameworks": ["numpy"]} for name in ("split", "preprocess", "train", "evaluate")}
    lock = resolve(Manifest.from_dict({"version": "1.0", "seed": 1, "stages": stages}), {})
    doc = lock.to_dict()
    for _ in range(1200):
        ledger.record(
            new_record(doc, event="resolve", stage=None, exit_code=None, provenance={"created": "2026-11-26T00:00:00Z"})
        )
    return path


def test_history_piped_into_head_prints_one_line_and_no_traceback(busy_ledger: Path) -> None:
    done = subprocess.run(
        [
            "bash",
            "-c",
            f'"{sys.executable}" -m seedlock history --limit 0 --ledger "{busy_ledger}" | head -1;'
            ' echo "status ${PIPESTATUS[0]}" >&2',
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env=USER_ENV,
    )
    assert done.stdout.startswith("run ") and done.stdout.count("\n") == 1
    assert done.stderr == f"status {SIGPIPE_STATUS}\n"


@pytest.mark.parametrize(
    "args",
    [
        ("show", str(CLASSIC)),
        ("validate", str(CLASSIC)),
        ("derive", "42", "train"),
        ("resolve", str(CLASSIC), "--no-provenance"),
        ("history", "--limit", "0"),
        ("schema", "manifest"),
        ("completion", "bash"),
    ],
    ids=lambda a: " ".join(a[:1]),
)
def test_every_command_writing_into_a_closed_pipe_exits_quietly(args: tuple[str, ...], busy_ledger: Path) -> None:
    if args[0] == "history":
        args = (*args, "--ledger", str(busy_ledger))
    done = _into_a_closed_pipe(*args)
    assert (done.returncode, done.stderr) == (SIGPIPE_STATUS, "")


def test_env_into_a_closed_pipe_exits_quietly(tmp_path: Path) -> None:
    lock = tmp_path / "l.json"
    subprocess.run(
        [sys.executable, "-m", "seedlock", "resolve", str(CLASSIC), "-o", str(lock)], check=True, capture_output=True
    )
    done = _into_a_closed_pipe("env", str(lock), "--stage", "train")
    assert (done.returncode, done.stderr) == (SIGPIPE_STATUS, "")


def test_an_error_line_into_a_closed_stderr_pipe_is_no_traceback_either(tmp_path: Path) -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "seedlock", "validate", str(tmp_path / "missing.json")],
            stdout=subprocess.PIPE,
            stderr=write_end,
            timeout=120,
            env=USER_ENV,
        )
    finally:
        os.close(write_end)
    assert (done.returncode, done.stdout) == (SIGPIPE_STATUS, b"")


@pytest.mark.parametrize("path", ["fast", "full"])
def test_a_wrapped_command_whose_reader_went_away_ends_quietly_with_the_sigpipe_status(
    tmp_path: Path, path: str
) -> None:
    # `seedlock run LOCK -- seq 1 1000000 | head -1`: the command dies of SIGPIPE as it would in a shell,
    # and seedlock says nothing about it (the not-seeded warning for a program that is not Python stays).
    lock = tmp_path / "l.json"
    subprocess.run(
        [sys.executable, "-m", "seedlock", "resolve", str(CLASSIC), "-o", str(lock)], check=True, capture_output=True
    )
    extra = [] if path == "fast" else ["--ledger", str(tmp_path / "unused.sqlite")]  # any other option: the full path
    done = _into_a_closed_pipe("run", str(lock), "--stage", "train", *extra, "--", "seq", "1", "1000000")
    assert done.returncode == SIGPIPE_STATUS
    assert "killed by" not in done.stderr and "Traceback" not in done.stderr
    assert done.stderr.startswith("seedlock: warning: nothing in `seq 1 1000000` was seeded"), done.stderr
