"""Faults: killed children, killed parents, full or read-only disks. Nothing is lost or orphaned."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import seedlock
from conftest import SPEC, seedlock_cli

SLEEPER = "import os, sys, time; print(os.getpid(), flush=True); time.sleep(120)"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is dead for our purposes; read its state.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


def _wait_gone(pid: int, seconds: float = 10) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if not _alive(pid):
            return True
        time.sleep(0.05)
    return False


def _pids_running(needle: str) -> list[int]:
    """Processes whose command line mentions ``needle`` (reads /proc; no procps needed)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if needle.encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


@pytest.fixture
def lock(tmp_path: Path) -> Path:
    path = tmp_path / "l.json"
    assert seedlock_cli("resolve", str(SPEC / "examples" / "classic.json"), "-o", str(path)).returncode == 0
    return path


# `run LOCK --stage S -- CMD` is read by seedlock.launching._launch_fast; an option it does not take plainly, here
# an abbreviated --verbose, is read by argparse, which calls the same launcher: both keep every guarantee.
PATHS = pytest.mark.parametrize("extra", [[], ["--verbos"]], ids=["launcher options", "argparse options"])


def _start_run(lock: Path, extra: list[str] | None = None) -> tuple[subprocess.Popen[str], int]:
    parent = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "seedlock",
            "run",
            str(lock),
            "--stage",
            "train",
            *(extra or []),
            "--",
            sys.executable,
            "-c",
            SLEEPER,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=lock.parent,
    )
    assert parent.stdout is not None
    return parent, int(parent.stdout.readline())


@PATHS
def test_sigterm_to_seedlock_run_stops_the_child_and_reports_it(lock: Path, extra: list[str]) -> None:
    parent, child = _start_run(lock, extra)
    parent.send_signal(signal.SIGTERM)
    _, err = parent.communicate(timeout=30)
    assert parent.returncode == 128 + signal.SIGTERM
    assert "was killed by SIGTERM" in err
    assert _wait_gone(child)


@PATHS
def test_sigkill_to_seedlock_run_leaves_no_orphan(lock: Path, extra: list[str]) -> None:
    parent, child = _start_run(lock, extra)
    parent.kill()
    parent.wait(timeout=30)
    assert _wait_gone(child), "the workload outlived seedlock run"


def test_a_child_killed_mid_run_is_reported_by_verify(lock: Path, tmp_path: Path) -> None:
    verify = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "seedlock",
            "verify",
            str(lock),
            "--stage",
            "train",
            "--output",
            "x",
            "--",
            sys.executable,
            "-c",
            SLEEPER,
        ],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert verify.stdout is not None
    child = int(verify.stdout.readline())
    os.kill(child, signal.SIGKILL)
    out, err = verify.communicate(timeout=30)
    assert verify.returncode == 128 + signal.SIGKILL
    assert "was killed by SIGKILL" in err and "run 1 exited 137" in out


def test_an_interrupted_conformance_run_stops_every_workload(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "seedlock", "conformance", "--frameworks", "torch", "--workdir", str(tmp_path / "w")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(4)  # the torch workloads are running by now
    # Only this run's processes (their command lines name its workdir): other suites may share the machine.
    before = _pids_running(str(tmp_path / "w"))
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 128 + signal.SIGTERM
    assert "conformance interrupted by SIGTERM" in err
    assert before, "no workload was running when the signal came"
    assert all(_wait_gone(pid) for pid in before)


def test_a_full_disk_is_a_clear_error_and_the_previous_lock_stays(lock: Path, tmp_path: Path) -> None:
    previous = lock.read_bytes()
    # Every write to a file opened from a descriptor (how write_atomic writes) fails with ENOSPC.
    code = f"""
import errno, os, sys
class FullDisk:
    def __init__(self, f): self.f = f
    def write(self, data): raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    def __getattr__(self, name): return getattr(self.f, name)
    def __enter__(self): return self
    def __exit__(self, *exc): self.f.close()
real_fdopen = os.fdopen
os.fdopen = lambda fd, *a, **k: FullDisk(real_fdopen(fd, *a, **k))
from seedlock.commands.cli import main
sys.exit(main(["resolve", {str(SPEC / "examples" / "classic.json")!r}, "-o", {str(lock)!r}]))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 2
    assert out.stderr == f"seedlock: error[io-error] Cannot write {lock}: No space left on device\n"
    assert lock.read_bytes() == previous
    assert [p.name for p in lock.parent.iterdir() if p.name.endswith(".tmp")] == []


def test_a_read_only_target_is_a_clear_error() -> None:
    out = seedlock_cli("resolve", str(SPEC / "examples" / "classic.json"), "-o", "/proc/seedlock.lock.json")
    assert out.returncode == 2
    assert out.stderr.startswith("seedlock: error[io-error] Cannot write /proc/seedlock.lock.json: ")
    assert out.stderr.count("\n") == 1


def test_paths_escaping_the_project_or_looping_are_refused(tmp_path: Path) -> None:
    (tmp_path / "loop").symlink_to(tmp_path / "loop")
    outside = tmp_path.parent / f"{tmp_path.name}-outside.txt"
    outside.write_text("secret")
    (tmp_path / "link").symlink_to(outside)
    for inputs, code in (
        (["loop"], "io-error"),
        (["link"], "path-outside-root"),
        ([f"../{outside.name}"], "path-outside-root"),
    ):
        manifest = tmp_path / "m.json"
        manifest.write_text(
            '{{"version": "1.0", "seed": 1, "inputs": {}, "stages": {{"s": {{"frameworks": ["numpy"]}}}}}}'.format(
                str(inputs).replace("'", '"')
            )
        )
        with pytest.raises(seedlock.SeedlockError) as info:
            seedlock.load(manifest)
        assert (info.value.code, info.value.pointer) == (code, "/inputs/0")
    manifest.write_text(
        '{"version": "1.0", "seed": 1, "inputs": ["link"], "allow_external_paths": true, '
        '"stages": {"s": {"frameworks": ["numpy"]}}}'
    )
    assert "link" in seedlock.load(manifest).provenance["inputs"]


def test_large_inputs_are_hashed_in_chunks_with_bounded_memory(tmp_path: Path) -> None:
    import hashlib
    import resource

    big = tmp_path / "big.bin"
    with open(big, "wb") as handle:
        handle.truncate(256 * 1024 * 1024)  # sparse: 256 MiB of zeros
    manifest = tmp_path / "m.json"
    manifest.write_text(
        '{"version": "1.0", "seed": 1, "inputs": ["big.bin"], "stages": {"s": {"frameworks": ["numpy"]}}}'
    )
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    lock = seedlock.load(manifest)
    grown_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    expected = hashlib.sha256()
    chunk = bytes(1 << 20)
    for _ in range(256):
        expected.update(chunk)
    assert lock.provenance["inputs"] == {"big.bin": expected.hexdigest()}
    assert grown_kib < 64 * 1024
