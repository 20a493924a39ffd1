"""The one launcher: stage environment and child supervisor shared by run, verify and conformance."""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from pathlib import Path

import seedlock
from conftest import SPEC
from seedlock.launching.launch import Supervisor, format_environment, stage_environment

# Ignores SIGTERM, like a worker stuck in a C call: only SIGKILL ends it.
STUBBORN = (
    "import os, signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
    "print(os.getpid(), flush=True); time.sleep(120)"
)


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


def test_the_stage_environment_names_the_lock_stage_and_start_up_variables(tmp_path: Path) -> None:
    lock = seedlock.load(SPEC / "examples" / "classic.json")
    env = stage_environment(lock.stage("train"), "l.json")
    assert env["SEEDLOCK_LOCK"] == os.path.abspath("l.json") and env["SEEDLOCK_STAGE"] == "train"
    assert format_environment({"A": "x y"}, "sh") == "export A='x y'\n"
    assert format_environment({"A": "1"}, "dotenv") == "A=1\n"


def test_stopping_the_supervisor_also_ends_a_worker_its_leader_left_behind(tmp_path: Path) -> None:
    # The leader (bash) dies of SIGTERM at once; its worker ignores SIGTERM. Stopping only the leader
    # would leave the worker running without anyone reporting on it.
    pid_file = tmp_path / "worker.pid"
    script = f"{sys.executable} -c {STUBBORN!r} > {pid_file} & wait"
    supervisor = Supervisor(own_group=True)
    finished: list[object] = []
    runner = threading.Thread(
        target=lambda: finished.append(supervisor.run(["bash", "-c", script], env=os.environ, capture=True, timeout=60))
    )
    runner.start()
    deadline = time.monotonic() + 30
    while not (pid_file.exists() and pid_file.read_text().strip()) and time.monotonic() < deadline:
        time.sleep(0.05)
    worker = int(pid_file.read_text())
    supervisor.stop("SIGTERM")
    runner.join(timeout=30)
    assert finished and not runner.is_alive()
    end = time.monotonic() + 5
    while _alive(worker) and time.monotonic() < end:
        time.sleep(0.05)
    assert not _alive(worker), "the worker outlived the stopped supervisor"


def test_a_stopped_supervisor_starts_nothing_more() -> None:
    supervisor = Supervisor()
    supervisor.stop("SIGINT")
    done = supervisor.run([sys.executable, "-c", "raise SystemExit(3)"], env=os.environ, capture=True)
    assert (done.code, done.stderr) == (-1, "interrupted")


def test_a_child_killed_by_a_signal_reports_128_plus_its_number() -> None:
    done = Supervisor().run(
        [sys.executable, "-c", "import os, signal; os.kill(os.getpid(), signal.SIGKILL)"], env=os.environ, capture=True
    )
    assert (done.code, done.signal) == (128 + signal.SIGKILL, "SIGKILL")


def test_a_timed_out_child_is_killed_with_its_group() -> None:
    done = Supervisor().run([sys.executable, "-c", STUBBORN], env=os.environ, capture=True, timeout=1)
    assert done.timed_out and done.code == -1 and "timed out after 1 s" in done.stderr
    assert not _alive(int(done.stdout.split()[0]))
