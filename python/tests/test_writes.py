"""Every command that writes a file leaves what the path names intact: devices and FIFOs are written
through, symbolic links are followed and their target replaced, directories are refused.

Device nodes are made in a temporary directory (``mknod DIR/nul c 1 3``): the machine's own
``/dev/null`` is never a test subject, because the old writer replaced it with a regular file.
"""

from __future__ import annotations

import errno
import json
import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from conftest import SPEC, seedlock_cli
from seedlock.spec._io import write_atomic
from seedlock.spec.errors import SeedlockError

CLASSIC = SPEC / "examples" / "classic.json"


def _null_device(tmp_path: Path) -> Path:
    """A character device with /dev/null's numbers, in a temporary directory."""
    node = tmp_path / "nul"
    try:
        os.mknod(node, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    except PermissionError:
        if os.environ.get("CI"):
            raise  # CI runs as root: a device test that cannot run must fail there, not vanish
        pytest.skip("mknod needs root (CAP_MKNOD); CI runs these")
    return node


def _assert_still_the_device(node: Path) -> None:
    info = os.lstat(node)
    assert stat.S_ISCHR(info.st_mode), f"{node} is no longer a character device"
    assert (os.major(info.st_rdev), os.minor(info.st_rdev)) == (1, 3)


def _no_leftovers(directory: Path, *keep: str) -> None:
    assert sorted(p.name for p in directory.iterdir()) == sorted(keep)


class _FifoReader:
    """Reads a FIFO to its end in a thread, as `cat fifo` would."""

    def __init__(self, path: Path) -> None:
        os.mkfifo(path)
        self.path, self.data = path, b""
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        with open(self.path, "rb") as handle:
            self.data = handle.read()

    def result(self) -> bytes:
        self._thread.join(timeout=60)
        assert not self._thread.is_alive(), "nothing was written to the FIFO"
        return self.data


# ---- the writer itself ---------------------------------------------------------------------------


def test_writing_to_a_device_writes_through_and_keeps_the_device(tmp_path: Path) -> None:
    node = _null_device(tmp_path)
    write_atomic(node, "{}\n")
    _assert_still_the_device(node)
    _no_leftovers(tmp_path, "nul")


def test_writing_to_a_fifo_delivers_the_bytes_to_its_reader(tmp_path: Path) -> None:
    reader = _FifoReader(tmp_path / "pipe")
    write_atomic(reader.path, "hello\n")
    assert reader.result() == b"hello\n"
    assert stat.S_ISFIFO(os.lstat(reader.path).st_mode)
    _no_leftovers(tmp_path, "pipe")


def test_writing_to_a_symlink_replaces_its_target_and_keeps_the_link(tmp_path: Path) -> None:
    (tmp_path / "real.json").write_text("old\n")
    (tmp_path / "link.json").symlink_to("real.json")
    write_atomic(tmp_path / "link.json", "new\n")
    assert os.readlink(tmp_path / "link.json") == "real.json"
    assert (tmp_path / "real.json").read_text() == "new\n"
    _no_leftovers(tmp_path, "link.json", "real.json")


def test_a_chain_of_symlinks_into_another_directory_is_followed_to_the_end(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "real.json").write_text("old\n")
    (tmp_path / "hop.json").symlink_to("data/real.json")
    (tmp_path / "link.json").symlink_to("hop.json")
    write_atomic(tmp_path / "link.json", "new\n")
    assert (tmp_path / "data" / "real.json").read_text() == "new\n"
    assert os.path.islink(tmp_path / "link.json") and os.path.islink(tmp_path / "hop.json")
    _no_leftovers(tmp_path / "data", "real.json")


def test_a_dangling_symlink_gets_its_target_created(tmp_path: Path) -> None:
    (tmp_path / "link.json").symlink_to("later.json")
    write_atomic(tmp_path / "link.json", "new\n")
    assert os.path.islink(tmp_path / "link.json")
    assert (tmp_path / "later.json").read_text() == "new\n"


def test_a_directory_is_refused_and_left_alone(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    with pytest.raises(SeedlockError) as caught:
        write_atomic(tmp_path / "out", "x")
    assert (caught.value.code, caught.value.problem) == (
        "io-error",
        f"Cannot write {tmp_path / 'out'}: it is a directory, not a file",
    )
    assert (tmp_path / "out").is_dir()
    _no_leftovers(tmp_path, "out")


def test_a_regular_file_is_still_replaced_atomically_with_the_given_mode(tmp_path: Path) -> None:
    target = tmp_path / "lock.json"
    target.write_text("old\n")
    inode = target.stat().st_ino
    write_atomic(target, "new\n", mode=0o600)
    assert target.read_text() == "new\n"
    assert target.stat().st_ino != inode, "a regular file is replaced by rename, not rewritten in place"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


# ---- through the commands users run --------------------------------------------------------------


def test_resolve_to_a_device_keeps_the_device(tmp_path: Path) -> None:
    node = _null_device(tmp_path)
    out = seedlock_cli("resolve", str(CLASSIC), "-o", str(node), "--no-provenance")
    assert out.returncode == 0, out.stderr
    _assert_still_the_device(node)
    _no_leftovers(tmp_path, "nul")


def test_resolve_to_a_stdout_style_link_writes_to_the_process_stdout(tmp_path: Path) -> None:
    # /dev/stdout is a link to /proc/self/fd/1; this one lives in a temporary directory.
    link = tmp_path / "stdout"
    link.symlink_to("/proc/self/fd/1")
    out = seedlock_cli("resolve", str(CLASSIC), "-o", str(link), "--no-provenance")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["lock-version"] == "1.0"
    assert os.readlink(link) == "/proc/self/fd/1"
    _no_leftovers(tmp_path, "stdout")


def test_resolve_to_a_stdout_style_link_redirected_to_a_file_fills_that_file(tmp_path: Path) -> None:
    link = tmp_path / "stdout"
    link.symlink_to("/proc/self/fd/1")
    captured = tmp_path / "captured.json"
    with open(captured, "wb") as handle:
        done = subprocess.run(
            [sys.executable, "-m", "seedlock", "resolve", str(CLASSIC), "-o", str(link), "--no-provenance"],
            stdout=handle,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
        )
    assert done.returncode == 0, done.stderr
    assert json.loads(captured.read_text())["lock-version"] == "1.0"
    assert os.readlink(link) == "/proc/self/fd/1"


def test_resolve_to_a_fifo_delivers_the_lock(tmp_path: Path) -> None:
    reader = _FifoReader(tmp_path / "lock.fifo")
    out = seedlock_cli("resolve", str(CLASSIC), "-o", str(reader.path), "--no-provenance")
    assert out.returncode == 0, out.stderr
    assert json.loads(reader.result())["lock-version"] == "1.0"


def test_resolve_to_a_symlink_updates_the_linked_lock(tmp_path: Path) -> None:
    (tmp_path / "real.json").write_text("stale\n")
    (tmp_path / "link.json").symlink_to("real.json")
    out = seedlock_cli("resolve", str(CLASSIC), "-o", str(tmp_path / "link.json"), "--no-provenance")
    assert out.returncode == 0, out.stderr
    assert os.path.islink(tmp_path / "link.json")
    assert json.loads((tmp_path / "real.json").read_text())["lock-version"] == "1.0"


def test_resolve_dotenv_to_a_device_and_a_symlink_keeps_both(tmp_path: Path) -> None:
    node = _null_device(tmp_path)
    (tmp_path / "seeds.env").write_text("")
    (tmp_path / "link.env").symlink_to("seeds.env")
    for target in (node, tmp_path / "link.env"):
        out = seedlock_cli("resolve", str(CLASSIC), "-o", str(tmp_path / "l.json"), "--dotenv", str(target))
        assert out.returncode == 0, out.stderr
    _assert_still_the_device(node)
    assert os.path.islink(tmp_path / "link.env")
    assert (tmp_path / "seeds.env").read_text().startswith("SEEDLOCK_SEED=")


def test_github_output_through_a_symlink_appends_to_its_target(tmp_path: Path) -> None:
    (tmp_path / "out.txt").write_text("earlier=1\n")
    (tmp_path / "gh").symlink_to("out.txt")
    out = seedlock_cli(
        "resolve",
        str(CLASSIC),
        "-o",
        str(tmp_path / "l.json"),
        "--github-output",
        env={"GITHUB_OUTPUT": str(tmp_path / "gh")},
    )
    assert out.returncode == 0, out.stderr
    assert os.path.islink(tmp_path / "gh")
    assert (tmp_path / "out.txt").read_text().startswith("earlier=1\nSEEDLOCK_SEED=")


def test_rerun_to_a_device_keeps_the_device(tmp_path: Path) -> None:
    node = _null_device(tmp_path)
    ledger = tmp_path / "ledger.sqlite"
    done = seedlock_cli("resolve", str(CLASSIC), "-o", str(tmp_path / "l.json"), "--record", "--ledger", str(ledger))
    assert done.returncode == 0, done.stderr
    run_id = done.stderr.split("recorded as run ", 1)[1].split()[0]
    out = seedlock_cli("rerun", run_id, "-o", str(node), "--ledger", str(ledger))
    assert out.returncode == 0, out.stderr
    _assert_still_the_device(node)


def test_caffe_solver_in_place_through_a_symlink_edits_the_real_solver(tmp_path: Path) -> None:
    manifest = tmp_path / "m.json"
    manifest.write_text('{"version": "1.0", "seed": 42, "stages": {"train": {"frameworks": ["caffe"]}}}')
    assert seedlock_cli("resolve", str(manifest), "-o", str(tmp_path / "lock.json")).returncode == 0
    (tmp_path / "solver.prototxt").write_text('base_lr: 0.01\nnet: "net.prototxt"\n')
    (tmp_path / "link.prototxt").symlink_to("solver.prototxt")
    out = seedlock_cli(
        "caffe-solver", str(tmp_path / "lock.json"), "--stage", "train", "--in-place", str(tmp_path / "link.prototxt")
    )
    assert out.returncode == 0, out.stderr
    assert os.path.islink(tmp_path / "link.prototxt")
    assert "random_seed: " in (tmp_path / "solver.prototxt").read_text()


def test_a_directory_as_output_is_one_line_and_exit_two(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    out = seedlock_cli("resolve", str(CLASSIC), "-o", str(tmp_path / "out"))
    assert out.returncode == 2
    assert out.stderr == f"seedlock: error[io-error] Cannot write {tmp_path / 'out'}: it is a directory, not a file\n"


def test_errno_of_a_missing_directory_is_reported_not_raised(tmp_path: Path) -> None:
    with pytest.raises(SeedlockError) as caught:
        write_atomic(tmp_path / "missing" / "x.json", "x")
    assert caught.value.problem == f"Cannot write {tmp_path / 'missing' / 'x.json'}: {os.strerror(errno.ENOENT)}"


def test_a_stdout_style_link_appends_to_what_the_shell_already_wrote(tmp_path: Path) -> None:
    # `{ echo header; seedlock resolve m.json -o /dev/stdout; } >> log` must not lose the header.
    link = tmp_path / "stdout"
    link.symlink_to("/proc/self/fd/1")
    log = tmp_path / "log"
    log.write_text("earlier\n")
    script = (
        f'{{ echo header; "{sys.executable}" -m seedlock resolve "{CLASSIC}" -o "{link}" --no-provenance; }} >> "{log}"'
    )
    done = subprocess.run(["bash", "-c", script], stderr=subprocess.PIPE, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    first, second, rest = log.read_text().split("\n", 2)
    assert (first, second) == ("earlier", "header")
    assert json.loads(rest)["lock-version"] == "1.0"


# ---- every output is checked before any is written -------------------------------------------


def _resolve_fails_and_writes_nothing(tmp_path: Path, *extra: str, env: dict[str, str] | None = None) -> str:
    before = sorted(p.name for p in tmp_path.iterdir())
    out = seedlock_cli(
        "resolve",
        str(CLASSIC),
        "-o",
        str(tmp_path / "pipeline.lock.json"),
        *extra,
        env={"GITHUB_OUTPUT": "", "GITHUB_ENV": "", **(env or {})},
    )
    assert out.returncode == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == before, "a failed resolve wrote something"
    return out.stderr


def test_github_output_without_its_variable_fails_before_the_lock_is_written(tmp_path: Path) -> None:
    err = _resolve_fails_and_writes_nothing(tmp_path, "--dotenv", str(tmp_path / "seeds.env"), "--github-output")
    assert err == "seedlock: error[missing-environment] --github-output needs $GITHUB_OUTPUT (set by GitHub Actions)\n"


def test_github_env_without_its_variable_fails_before_anything_is_written(tmp_path: Path) -> None:
    err = _resolve_fails_and_writes_nothing(
        tmp_path, "--github-env", "--record", "--ledger", str(tmp_path / "l.sqlite")
    )
    assert err == "seedlock: error[missing-environment] --github-env needs $GITHUB_ENV (set by GitHub Actions)\n"


def test_a_dotenv_in_a_missing_directory_fails_before_the_lock_is_written(tmp_path: Path) -> None:
    err = _resolve_fails_and_writes_nothing(tmp_path, "--dotenv", str(tmp_path / "no" / "seeds.env"))
    assert err == f"seedlock: error[io-error] Cannot write {tmp_path / 'no' / 'seeds.env'}: No such file or directory\n"


def test_a_github_output_file_in_a_missing_directory_fails_before_the_lock_is_written(tmp_path: Path) -> None:
    err = _resolve_fails_and_writes_nothing(
        tmp_path, "--github-output", env={"GITHUB_OUTPUT": str(tmp_path / "no" / "out")}
    )
    assert err == f"seedlock: error[io-error] Cannot write {tmp_path / 'no' / 'out'}: No such file or directory\n"


def test_a_lock_in_a_missing_directory_fails_before_the_dotenv_is_written(tmp_path: Path) -> None:
    before = sorted(p.name for p in tmp_path.iterdir())
    out = seedlock_cli(
        "resolve",
        str(CLASSIC),
        "-o",
        str(tmp_path / "no" / "l.json"),
        "--dotenv",
        str(tmp_path / "seeds.env"),
        "--record",
        "--ledger",
        str(tmp_path / "l.sqlite"),
    )
    assert out.returncode == 2
    assert (
        out.stderr
        == f"seedlock: error[io-error] Cannot write {tmp_path / 'no' / 'l.json'}: No such file or directory\n"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_conformance_reports_through_symlinks_and_to_a_device_keep_both(tmp_path: Path) -> None:
    node = _null_device(tmp_path)
    (tmp_path / "report.json").write_text("stale\n")
    (tmp_path / "link.json").symlink_to("report.json")
    out = seedlock_cli(
        "conformance", "--frameworks", "python", "--quiet", "--json", str(tmp_path / "link.json"), "--junit", str(node)
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert os.path.islink(tmp_path / "link.json")
    assert json.loads((tmp_path / "report.json").read_text())["passed"] is True
    _assert_still_the_device(node)
