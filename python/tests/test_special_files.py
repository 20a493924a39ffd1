"""Inputs that are not regular files (FIFOs, device nodes, sockets, dangling links), in a manifest and
in a hand-edited lock: refused with a coded error before anything blocks, and `validate` agrees with
`resolve` on every one of them (spec §5.2)."""

from __future__ import annotations

import hashlib
import json
import os
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import child_environ

HANG = 60  # seconds: only a hang gets near this; the refusals come before anything is opened


def _cli(work: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**child_environ(), "SEEDLOCK_SEED": "", "SEEDLOCK_LEDGER": str(work / "ledger.sqlite")}
    return subprocess.run(
        [sys.executable, "-m", "seedlock", *args], capture_output=True, text=True, env=env, cwd=work, timeout=HANG
    )


def _error(out: subprocess.CompletedProcess[str]) -> tuple[int, str, str]:
    """(exit code, code, pointer) of a one-line CLI error."""
    line = out.stderr.strip().splitlines()[-1]
    code = line.split("error[", 1)[1].split("]", 1)[0] if "error[" in line else ""
    pointer = line.rsplit(" at '", 1)[1].rstrip("'") if " at '" in line else ""
    return out.returncode, code, pointer


def _manifest(work: Path, inputs: list[str]) -> Path:
    path = work / "pipeline.json"
    path.write_text(
        json.dumps({"version": "1.0", "seed": 7, "inputs": inputs, "stages": {"train": {"frameworks": ["python"]}}})
    )
    return path


def _fifo(path: Path) -> None:
    os.mkfifo(path)


def _zero_device(path: Path) -> None:
    os.mknod(path, stat.S_IFCHR | 0o600, os.makedev(1, 5))  # what /dev/zero is: reading it never ends


def _socket(path: Path) -> None:
    import socket

    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(path))
    sock.close()


def _dangling(path: Path) -> None:
    path.symlink_to(path.parent / "nowhere")


def _in_directory(make: Callable[[Path], None]) -> Callable[[Path], None]:
    def build(path: Path) -> None:
        path.mkdir()
        (path / "a.csv").write_text("1\n")
        (path / "sub").mkdir()
        make(path / "sub" / "special")

    return build


def _link_to(make: Callable[[Path], None]) -> Callable[[Path], None]:
    def build(path: Path) -> None:
        make(path.parent / ("real-" + path.name))
        path.symlink_to("real-" + path.name)

    return build


def _needs_mknod() -> bool:
    return os.geteuid() != 0


SPECIAL = {
    "a FIFO": _fifo,
    "a character device": _zero_device,
    "a socket": _socket,
    "a link to a FIFO": _link_to(_fifo),
    "a directory holding a FIFO": _in_directory(_fifo),
    "a directory holding a character device": _in_directory(_zero_device),
    "a directory holding a dangling link": _in_directory(_dangling),
    "a directory holding a link to a FIFO": _in_directory(_link_to(_fifo)),
}


@pytest.mark.parametrize("kind", list(SPECIAL))
def test_validate_and_resolve_refuse_an_input_that_is_not_a_regular_file_with_the_same_code_and_pointer(
    tmp_path: Path, kind: str
) -> None:
    if "device" in kind and _needs_mknod():
        pytest.skip("mknod needs root (CI containers run as root)")
    (tmp_path / "data.csv").write_text("x\n")
    SPECIAL[kind](tmp_path / "input")
    _manifest(tmp_path, ["data.csv", "input"])
    validated = _cli(tmp_path, "validate", "pipeline.json")
    resolved = _cli(tmp_path, "resolve", "pipeline.json", "-o", "p.lock.json")
    assert _error(validated) == (2, "io-error", "/inputs/1"), validated.stderr
    assert _error(resolved) == (2, "io-error", "/inputs/1"), resolved.stderr
    assert "Traceback" not in validated.stderr + resolved.stderr
    assert not (tmp_path / "p.lock.json").exists()


def _locked(work: Path) -> tuple[Path, dict]:
    (work / "data.csv").write_text("x\n")
    _manifest(work, ["data.csv"])
    out = _cli(work, "resolve", "pipeline.json", "-o", "p.lock.json")
    assert out.returncode == 0, out.stderr
    lock = work / "p.lock.json"
    return lock, json.loads(lock.read_text())


def _edit_inputs(lock: Path, doc: dict, inputs: dict[str, str]) -> None:
    doc["provenance"]["inputs"] = inputs
    lock.write_text(json.dumps(doc, indent=2))


@pytest.mark.parametrize("kind", ["a FIFO", "a character device", "a directory holding a FIFO"])
def test_a_hand_edited_lock_naming_a_special_file_is_refused_before_the_command_runs(tmp_path: Path, kind: str) -> None:
    if "device" in kind and _needs_mknod():
        pytest.skip("mknod needs root (CI containers run as root)")
    lock, doc = _locked(tmp_path)
    SPECIAL[kind](tmp_path / "dev")
    _edit_inputs(lock, doc, {"data.csv": doc["provenance"]["inputs"]["data.csv"], "dev": "0" * 64})
    for args in (
        ["run", "p.lock.json", "--stage", "train", "--", "touch", "ran"],
        ["run", "p.lock.json", "--stage", "train", "--record", "--", "touch", "ran"],
        # A Python interpreter is held at the start gate while the lock is checked: ended before its program.
        ["run", "p.lock.json", "--stage", "train", "--", sys.executable, "-c", "open('ran', 'w').close()"],
    ):
        out = _cli(tmp_path, *args)
        assert _error(out) == (2, "io-error", "/provenance/inputs/dev"), out.stderr
        assert not (tmp_path / "ran").exists()


def test_a_hand_edited_lock_naming_a_file_outside_the_project_is_path_outside_root(tmp_path: Path) -> None:
    work = tmp_path / "a" / "b"
    work.mkdir(parents=True)
    (tmp_path / "secret.txt").write_text("not the project's\n")
    lock, doc = _locked(work)
    digest = hashlib.sha256(b"not the project's\n").hexdigest()
    _edit_inputs(lock, doc, {"data.csv": doc["provenance"]["inputs"]["data.csv"], "../../secret.txt": digest})
    for command in (["touch", "ran"], [sys.executable, "-c", "open('ran', 'w').close()"]):
        out = _cli(work, "run", "p.lock.json", "--stage", "train", "--", *command)
        assert _error(out) == (2, "path-outside-root", "/provenance/inputs/..~1..~1secret.txt"), out.stderr
        assert not (work / "ran").exists()
    # A manifest that allows external paths allows them in its lock too.
    manifest = json.loads((work / "pipeline.json").read_text())
    (work / "pipeline.json").write_text(json.dumps({**manifest, "allow_external_paths": True}))
    out = _cli(work, "run", "p.lock.json", "--stage", "train", "--", "touch", "ran")
    assert _error(out)[1] != "path-outside-root", out.stderr


def test_a_file_unreadable_to_a_user_inside_an_input_directory_fails_validate_as_it_fails_resolve() -> None:
    if os.geteuid() != 0:
        pytest.skip("dropping privileges with setpriv needs root")
    import shutil
    import tempfile

    # Under /tmp itself: pytest's own temporary directories are closed to other users.
    work = Path(tempfile.mkdtemp(prefix="seedlock-unreadable-", dir="/tmp"))
    try:
        (work / "data").mkdir()
        (work / "data" / "ok.csv").write_text("1\n")
        (work / "data" / "closed.csv").write_text("2\n")
        (work / "data" / "closed.csv").chmod(0o000)
        _manifest(work, ["data"])
        for p in (work, work / "data"):
            p.chmod(0o777)  # the user can walk and write here; only closed.csv is closed
        as_nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"]
        env = {**child_environ(), "SEEDLOCK_SEED": "", "HOME": str(work)}
        results = [
            subprocess.run(
                [*as_nobody, sys.executable, "-m", "seedlock", *args],
                capture_output=True,
                text=True,
                env=env,
                cwd=work,
                timeout=HANG,
            )
            for args in (["validate", "pipeline.json"], ["resolve", "pipeline.json", "-o", "p.lock.json"])
        ]
        assert [_error(r) for r in results] == [(2, "io-error", "/inputs/0")] * 2, [r.stderr for r in results]
        assert "closed.csv" in results[0].stderr
    finally:
        shutil.rmtree(work, ignore_errors=True)
