"""`seedlock run`: one path for every lock. It reads the lock once (any file), checks it with the one
validator, runs the start-of-run check, starts the command as a wrapper should (descriptors, signals),
and keeps the command's exit status."""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import seedlock
from conftest import SPEC, child_environ, seedlock_cli, vector_files
from seedlock.launching.launch import stage_environment

CLASSIC = SPEC / "examples" / "classic.json"
SHOW_ENV = [sys.executable, "-c", "import os, json; print(json.dumps(dict(os.environ), sort_keys=True))"]


def _resolved(tmp_path: Path, *, provenance: bool = True, manifest: Path = CLASSIC) -> Path:
    lock = tmp_path / "l.json"
    flags = [] if provenance else ["--no-provenance"]
    out = seedlock_cli("resolve", str(manifest), "-o", str(lock), *flags, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    return lock


def _imports(*args: str, cwd: Path | None = None) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    out = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "seedlock", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=child_environ(),
    )
    return out, {line.split("|")[-1].strip() for line in out.stderr.splitlines() if line.startswith("import time:")}


# What the launcher must not load before every job: each costs a noticeable share of a bare start.
HEAVY = {
    "argparse",
    "subprocess",
    "ctypes",
    "json",
    "dataclasses",
    "typing",
    "jsonschema",
    "pathlib",
    "hashlib",
    "importlib.metadata",
    "platform",
    "seedlock.commands.cli",
    "seedlock.spec.lock",
    "seedlock.spec.manifest",
    "seedlock.spec.settings",
    "seedlock.frameworks",
    "seedlock.records.provenance",
    "seedlock.launching._seedreport",
    "seedlock.launching.launch",
}


def test_a_plain_lock_starts_without_argparse_json_dataclasses_or_the_lock_classes(tmp_path: Path) -> None:
    lock = _resolved(tmp_path, provenance=False)
    out, imported = _imports("run", str(lock), "--stage", "train", "--", sys.executable, "-c", "pass")
    assert out.returncode == 0, out.stderr
    assert {"seedlock.launching._launch_fast", "seedlock.spec._lockfile", "seedlock.seeding.runcheck"} <= imported
    assert not imported & HEAVY, imported & HEAVY


@pytest.fixture(scope="module")
def faker_installed() -> None:
    from importlib import metadata

    if not list(metadata.entry_points(group="seedlock.seeders", name="x-faker")):
        pytest.skip("seedlock-faker is not installed (pip install python/tests/data/seedlock-faker)")


def _rich_lock(tmp_path: Path) -> Path:
    """Provenance, an input, a parameter file, jax and an extension: once all declined by a second path."""
    (tmp_path / "rows.csv").write_text("a,b\n1,2\n")
    (tmp_path / "params.yaml").write_text("lr: 0.1\n")
    manifest = tmp_path / "m.json"
    manifest.write_text(
        json.dumps(
            {
                "version": "1.1",
                "seed": 7,
                "inputs": ["rows.csv"],
                "params": ["params.yaml"],
                "stages": {"train": {"frameworks": ["python", "numpy", "jax", "x-faker"]}},
            }
        )
    )
    return _resolved(tmp_path, manifest=manifest)


def test_a_lock_with_provenance_inputs_jax_and_an_extension_takes_the_same_cheap_path(
    tmp_path: Path, faker_installed: None
) -> None:
    lock = _rich_lock(tmp_path)
    prov = json.loads(lock.read_text())["provenance"]
    assert prov["inputs"] and prov["params"] and prov["frameworks"]["x-faker"] == "0.1.0"
    out, imported = _imports(
        "run",
        str(lock),
        "--stage",
        "train",
        "--",
        sys.executable,
        "-c",
        "import os; print(os.environ['SEEDLOCK_RUN_CHECKED'])",
        cwd=tmp_path,
    )
    assert (out.returncode, out.stdout) == (0, "1\n"), out.stderr
    assert "seedlock:" not in out.stderr  # the start-of-run check found this machine as locked
    assert not imported & HEAVY, imported & HEAVY


def test_the_extensions_version_is_read_as_importlib_metadata_reads_it(faker_installed: None) -> None:
    from seedlock.seeding import extensions
    from seedlock.seeding.runcheck import framework_version

    assert framework_version("x-faker", "0.1.0") == extensions.version("x-faker") == "0.1.0"
    assert framework_version("x-faker", "0.0.9") == "0.1.0"  # another version recorded: asked properly
    assert framework_version("x-not-installed", "1.0") is None


@pytest.mark.parametrize("stage_args", [["--stage", "preprocess"], ["--stage=preprocess"]])
@pytest.mark.parametrize("lock_first", [True, False])
def test_the_launcher_and_argparse_give_the_child_the_same_environment(
    tmp_path: Path, stage_args: list[str], lock_first: bool
) -> None:
    lock = _resolved(tmp_path)
    args = [str(lock), *stage_args] if lock_first else [*stage_args, str(lock)]
    quick = seedlock_cli("run", *args, "--", *SHOW_ENV)
    parsed = seedlock_cli("run", *args, "--verbos", "--", *SHOW_ENV)  # an abbreviation: argparse reads it
    assert quick.returncode == parsed.returncode == 0, quick.stderr + parsed.stderr
    per_run = {"SEEDLOCK_STATUS"}  # each run's private status directory
    assert {k: v for k, v in json.loads(quick.stdout).items() if k not in per_run} == {
        k: v for k, v in json.loads(parsed.stdout).items() if k not in per_run
    }
    env = json.loads(quick.stdout)
    locked = seedlock.load_lock(lock).stage("preprocess")
    assert env["PYTHONHASHSEED"] == str(locked.frameworks["python"].seed)
    assert {k: env[k] for k in stage_environment(locked, lock)} == stage_environment(locked, lock)


def test_the_report_says_something_only_when_there_is_something_to_say(tmp_path: Path) -> None:
    lock = _resolved(tmp_path)
    out = seedlock_cli("run", str(lock), "--stage", "train", "--no-auto-seed", "--", sys.executable, "-c", "pass")
    assert (out.returncode, out.stderr) == (
        0,
        f"seedlock: warning: nothing in `{sys.executable} -c pass` was seeded by seedlock: with --no-auto-seed the "
        "program must call seedlock.apply_from_env() (R: seedlock_from_env())\n",
    )
    out = seedlock_cli("run", str(lock), "--stage", "train", "-v", "--", sys.executable, "-c", "pass")
    assert "random.seed(" in out.stderr
    quiet = seedlock_cli("run", str(lock), "--stage", "train", "--", sys.executable, "-c", "pass")
    assert (quiet.returncode, quiet.stderr) == (0, "")


def test_errors_are_coded_one_line_and_name_the_lock(tmp_path: Path) -> None:
    lock = _resolved(tmp_path)
    out = seedlock_cli("run", str(lock), "--stage", "nope", "--", "true")
    assert (out.returncode, out.stderr) == (
        2,
        "seedlock: error[unknown-stage] No stage 'nope' (stages: preprocess, train) at '/stages/nope'\n",
    )
    bad = tmp_path / "bad.json"
    bad.write_text(lock.read_text().replace('"seed": 42', '"seed": -1', 1))
    out = seedlock_cli("run", str(bad), "--stage", "train", "--", "true")
    assert out.returncode == 2 and out.stderr.startswith(
        f"seedlock: error[seed-out-of-range] {bad}: Seed -1 is outside"
    )
    out = seedlock_cli("run", str(tmp_path / "missing.json"), "--stage", "train", "--", "true")
    assert out.returncode == 2 and "error[io-error]" in out.stderr
    out = seedlock_cli("run", str(CLASSIC), "--stage", "train", "--", "true")
    assert (out.returncode, out.stderr) == (
        2,
        f"seedlock: error[not-a-lock] {CLASSIC}: a manifest, not a lock (resolve it first) at '/lock-version'\n",
    )
    script = tmp_path / "not-executable.sh"
    script.write_text("#!/bin/sh\n")
    out = seedlock_cli("run", str(lock), "--stage", "train", "--", str(script))
    assert (out.returncode, out.stderr) == (
        2,
        f"seedlock: error[io-error] Cannot run {str(script)!r}: Permission denied\n",
    )


def test_an_empty_command_name_is_a_coded_error_not_a_nothing_seeded_warning(tmp_path: Path) -> None:
    lock = _resolved(tmp_path)
    out = seedlock_cli("run", str(lock), "--stage", "train", "--", "")
    assert (out.returncode, out.stderr) == (2, "seedlock: error[io-error] Cannot run '': the command name is empty\n")


def test_a_truncated_lock_is_an_invalid_json_error_not_a_traceback(tmp_path: Path) -> None:
    lock = _resolved(tmp_path)
    cut = tmp_path / "cut.json"
    cut.write_bytes(lock.read_bytes()[:120])
    out = seedlock_cli("run", str(cut), "--stage", "train", "--", "true")
    assert out.returncode == 2 and out.stderr.startswith(f"seedlock: error[invalid-json] {cut}: Invalid JSON: "), (
        out.stderr
    )
    assert "Traceback" not in out.stderr and len(out.stderr.splitlines()) == 1


def test_a_lock_with_a_byte_order_mark_runs_and_checks(tmp_path: Path) -> None:
    # Spec §1.1: a leading BOM is ignored.
    lock = _resolved(tmp_path)
    bom = tmp_path / "bom.json"
    bom.write_bytes(b"\xef\xbb\xbf" + lock.read_bytes())
    out = seedlock_cli(
        "run",
        str(bom),
        "--stage",
        "train",
        "--",
        sys.executable,
        "-c",
        "import seedlock, random; seedlock.apply_from_env(); print(random.random())",
    )
    plain = seedlock_cli(
        "run",
        str(lock),
        "--stage",
        "train",
        "--",
        sys.executable,
        "-c",
        "import seedlock, random; seedlock.apply_from_env(); print(random.random())",
    )
    assert out.returncode == 0 and out.stdout == plain.stdout, out.stderr
    out = seedlock_cli("check", str(bom), "--stage", "train", "--ledger", str(tmp_path / "l.sqlite"), cwd=tmp_path)
    assert out.returncode == 0 and "Traceback" not in out.stderr, out.stderr


def _bash(script: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**child_environ(), "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    return subprocess.run(["bash", "-c", script], capture_output=True, text=True, cwd=cwd, env=env, timeout=120)


def test_a_lock_from_a_pipe_is_read_once_and_its_child_can_load_it(tmp_path: Path) -> None:
    lock = _resolved(tmp_path)
    program = "import seedlock, random; seedlock.apply_from_env(); print(random.random())"
    piped = _bash(
        f"cat l.json | {sys.executable} -m seedlock run /dev/stdin --stage train -- {sys.executable} -c '{program}'",
        tmp_path,
    )
    direct = seedlock_cli("run", str(lock), "--stage", "train", "--", sys.executable, "-c", program)
    assert piped.returncode == 0, piped.stderr
    assert piped.stdout == direct.stdout != ""


def test_a_lock_from_process_substitution_is_recorded_with_its_text(tmp_path: Path) -> None:
    _resolved(tmp_path)
    out = _bash(
        f"{sys.executable} -m seedlock run <(cat l.json) --stage train --record --ledger runs.sqlite -- true", tmp_path
    )
    assert out.returncode == 0 and "recorded as run" in out.stderr, out.stderr
    history = seedlock_cli("history", "--ledger", str(tmp_path / "runs.sqlite"), "--format", "json", cwd=tmp_path)
    assert history.returncode == 0 and json.loads(history.stdout)[0]["stage"] == "train", history.stdout


def test_inherited_descriptors_reach_the_command(tmp_path: Path) -> None:
    # A wrapper passes fds 3 and above through: `make -j`'s jobserver, `3>file` redirections.
    _resolved(tmp_path)
    out = _bash(f"{sys.executable} -m seedlock run l.json --stage train -- sh -c 'echo hi >&3' 3>fd3.txt", tmp_path)
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "fd3.txt").read_text() == "hi\n"


def test_a_recording_failure_keeps_the_commands_exit_status_and_says_so(tmp_path: Path) -> None:
    _resolved(tmp_path)
    (tmp_path / "ledger-dir").mkdir()  # a directory where the SQLite file should be: the ledger cannot open
    out = seedlock_cli(
        "run",
        "l.json",
        "--stage",
        "train",
        "--record",
        "--ledger",
        "ledger-dir",
        "--",
        "sh",
        "-c",
        "exit 5",
        cwd=tmp_path,
        env={"SEEDLOCK_SPOOL": str(tmp_path / "spool")},
    )
    assert out.returncode == 5, out.stderr
    assert "seedlock: error[io-error]" in out.stderr and "recorded as run" not in out.stderr


def test_the_status_directory_of_a_killed_run_is_removed_by_the_next_run(tmp_path: Path) -> None:
    lock = _resolved(tmp_path)
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    env = {"XDG_RUNTIME_DIR": str(tmp)}  # the user's runtime directory comes first (memory-backed on Linux)
    killed = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "seedlock",
            "run",
            str(lock),
            "--stage",
            "train",
            "--",
            sys.executable,
            "-c",
            "import time; print('up', flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
        env={**child_environ(), **env},
    )
    assert killed.stdout is not None and killed.stdout.readline() == "up\n"
    assert len(list(tmp.glob("seedlock-status-*"))) == 1
    killed.kill()
    killed.wait(timeout=30)
    assert len(list(tmp.glob("seedlock-status-*"))) == 1  # SIGKILL: nothing could remove it
    out = seedlock_cli("run", str(lock), "--stage", "train", "--", "true", env=env)
    assert out.returncode == 0 and list(tmp.glob("seedlock-status-*")) == []


def test_status_directories_go_to_a_memory_backed_directory_before_tmpdir(tmp_path: Path) -> None:
    # Removing a directory from a disk mounted with `discard` cost up to 2.7 ms after every command.
    lock = _resolved(tmp_path)
    show = [sys.executable, "-c", "import os; print(os.environ['SEEDLOCK_STATUS'])"]
    env = {"TMPDIR": str(tmp_path)}
    runtime = tmp_path / "runtime"
    runtime.mkdir()
    out = seedlock_cli("run", str(lock), "--stage", "train", "--", *show, env={**env, "XDG_RUNTIME_DIR": str(runtime)})
    assert out.returncode == 0 and Path(out.stdout.strip()).parent == runtime, out.stderr
    shm = Path("/dev/shm")
    expected = shm if shm.is_dir() and os.access(shm, os.W_OK | os.X_OK) else tmp_path
    out = seedlock_cli("run", str(lock), "--stage", "train", "--", *show, env={**env, "XDG_RUNTIME_DIR": ""})
    assert out.returncode == 0 and Path(out.stdout.strip()).parent == expected, out.stderr
    assert not Path(out.stdout.strip()).exists()  # removed after the command


def test_the_command_is_found_on_its_path_past_a_file_it_cannot_execute(tmp_path: Path) -> None:
    lock = _resolved(tmp_path)
    first, second = tmp_path / "a", tmp_path / "b"
    for directory, mode in ((first, 0o644), (second, 0o755)):
        directory.mkdir()
        (directory / "tool").write_text(f"#!/bin/sh\necho {directory.name}\n")
        (directory / "tool").chmod(mode)
    path = f"{tmp_path / 'none'}{os.pathsep}{first}{os.pathsep}{second}{os.pathsep}{os.environ['PATH']}"
    out = seedlock_cli("run", str(lock), "--stage", "train", "--", "tool", env={"PATH": path})
    assert (out.returncode, out.stdout) == (0, "b\n"), out.stderr
    out = seedlock_cli(
        "run", str(lock), "--stage", "train", "--", "tool", env={"PATH": f"{first}{os.pathsep}{tmp_path}"}
    )
    assert (out.returncode, out.stderr) == (2, "seedlock: error[io-error] Cannot run 'tool': Permission denied\n")
    out = seedlock_cli("run", str(lock), "--stage", "train", "--", "no-such-tool-seedlock", env={"PATH": str(tmp_path)})
    assert (out.returncode, out.stderr) == (
        2,
        "seedlock: error[io-error] Cannot run 'no-such-tool-seedlock': No such file or directory\n",
    )


def _under_pty(argv: list[str], cwd: Path) -> tuple[int, str]:
    """Run ``argv`` as a terminal's foreground job, type Ctrl-C once it is up; its status and output."""
    import pty
    import termios

    pid, fd = pty.fork()
    if pid == 0:  # the child: a new session whose controlling terminal is the pty, as a shell's job
        os.chdir(cwd)
        os.execvpe(argv[0], argv, {**child_environ(), "PYTHONUNBUFFERED": "1"})
    out = b""
    deadline = time.monotonic() + 60
    sent = False
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(fd, 1024)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
        if not sent and out.count(b"\n") >= 1:
            time.sleep(0.5)
            os.write(fd, bytes([termios.tcgetattr(fd)[6][termios.VINTR][0]]))  # the terminal's ^C
            sent = True
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    return os.waitstatus_to_exitcode(status), out.decode(errors="replace")


SAVER = """
import signal, sys, time
# Each SIGINT as it comes (blocked, then taken one by one): a program saving its checkpoint on Ctrl-C
# is cut short by a second one.
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
print("up", flush=True)
got = [signal.sigtimedwait({signal.SIGINT}, 60)]
end = time.monotonic() + 1.5
while (left := end - time.monotonic()) > 0:
    info = signal.sigtimedwait({signal.SIGINT}, left)
    if info is not None:
        got.append(info)
print(f"saved after {len(got)} SIGINT", flush=True)
sys.exit(0 if len(got) == 1 else 3)
"""


@pytest.mark.parametrize("extra", [[], ["--verbos"]], ids=["launcher options", "argparse options"])
def test_one_ctrl_c_in_a_terminal_reaches_the_program_once(tmp_path: Path, extra: list[str]) -> None:
    lock = _resolved(tmp_path)
    for _ in range(3):  # a forwarded copy that lands before the first is taken merges with it: try again
        code, out = _under_pty(
            [
                sys.executable,
                "-m",
                "seedlock",
                "run",
                str(lock),
                "--stage",
                "train",
                *extra,
                "--",
                sys.executable,
                "-c",
                SAVER,
            ],
            tmp_path,
        )
        assert "saved after 1 SIGINT" in out, out
        assert code == 0, out


def test_a_sigint_sent_to_seedlock_alone_is_forwarded(tmp_path: Path) -> None:
    lock = _resolved(tmp_path)
    run = subprocess.Popen(
        [sys.executable, "-m", "seedlock", "run", str(lock), "--stage", "train", "--", sys.executable, "-c", SAVER],
        stdout=subprocess.PIPE,
        text=True,
        env=child_environ(),
    )
    assert run.stdout is not None
    assert run.stdout.readline() == "up\n"
    run.send_signal(signal.SIGINT)
    out, _ = run.communicate(timeout=60)
    assert (run.returncode, out) == (0, "saved after 1 SIGINT\n")


def test_the_command_and_python_m_seedlock_dispatch_alike() -> None:
    # Both hand `run` to the launcher before importing the CLI; the two files must not drift apart.
    script = (Path(seedlock.__file__).parents[1] / "bin" / "seedlock").read_text().splitlines()
    module = (Path(seedlock.__file__).parent / "__main__.py").read_text().splitlines()

    def body(lines: list[str]) -> list[str]:
        start = next(i for i, line in enumerate(lines) if line.startswith("if sys.argv[1:2]"))
        return [line.replace("from seedlock.", "from .") for line in lines[start:]]

    assert body(script) == body(module)


def test_the_child_runner_returns_in_a_process_with_other_threads() -> None:
    # Called in-process (usecases.run_replicate under pytest-xdist), a SIGCHLD that came before the wait
    # went to another thread, which dropped it, and the runner waited forever.
    code = (
        "import os, threading, time\n"
        "from seedlock.launching._launch_fast import run_command\n"
        "threading.Thread(target=time.sleep, args=(60,), daemon=True).start()\n"
        "print([run_command(['true'], dict(os.environ), meanwhile=lambda: time.sleep(0.05)) for _ in range(5)])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30, check=False)
    assert (out.returncode, out.stdout) == (0, "[0, 0, 0, 0, 0]\n"), out.stderr


# The start-of-run check runs while the command starts up (not before it, unless --strict, --record or
# --check-reuse): its warnings reach the program's terminal first because each auto-seeded interpreter
# waits at the start gate until the launcher has printed them.
_GATED_STAGE = (
    "import os, sys, time\n"
    "from seedlock.launching._launch_fast import _Entry, _Stage, _remove, _status_dir, run_stage\n"
    "from seedlock.spec.errors import SeedlockError\n"
    "stage = _Stage('train', {'python': _Entry(7, {'hash_seed': False})})\n"
    "def gated():\n"
    "    time.sleep(0.5)  # a check slower than the interpreter's start\n"
    "    print('seedlock: warning: from the check', file=sys.stderr, flush=True)\n"
    "    if sys.argv[1] == 'refuse':\n"
    "        raise SeedlockError('lock-mismatch', 'refused')\n"
    "status = _status_dir()\n"
    "try:\n"
    "    code = run_stage(sys.argv[2:], dict(os.environ), stage, status, auto_seed=True, strict=False,\n"
    "                     verbose=False, gated=gated)\n"
    "except SeedlockError as err:\n"
    "    print('refused:', err.code, flush=True)\n"
    "else:\n"
    "    print('exit', code, flush=True)\n"
    "finally:\n"
    "    _remove(status)\n"
)


def _gated(tmp_path: Path, mode: str, program: str) -> str:
    out = subprocess.run(
        [sys.executable, "-c", _GATED_STAGE, mode, sys.executable, "-c", program],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,  # one stream: the order the user sees
        text=True,
        cwd=tmp_path,
        env=child_environ(),
        timeout=60,
    )
    return out.stdout


def test_the_start_of_run_checks_warnings_come_before_the_programs_first_line(tmp_path: Path) -> None:
    program = "import os; print('program', os.environ.get('SEEDLOCK_START_GATE'), flush=True)"
    assert _gated(tmp_path, "warn", program) == "seedlock: warning: from the check\nprogram None\nexit 0\n"


def test_a_refusal_from_the_check_ends_the_command_before_its_program_runs(tmp_path: Path) -> None:
    program = "open('ran', 'w').close()"
    assert _gated(tmp_path, "refuse", program) == "seedlock: warning: from the check\nrefused: lock-mismatch\n"
    assert not (tmp_path / "ran").exists()


def _at_gate(gate: str, program: str, **options: Any) -> subprocess.CompletedProcess[str]:
    """An auto-seeding interpreter (``python -c program``) started with start gate variable ``gate``."""
    env = {**child_environ(), "SEEDLOCK_AUTOSEED": "python=7", "SEEDLOCK_START_GATE": gate, **options.pop("env", {})}
    env.setdefault("PYTHONPATH", str(Path(seedlock.__file__).parent / "_bootstrap" / "python"))
    return subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, env=env, timeout=30, **options
    )


def test_a_descriptor_that_is_not_the_launchers_pipe_is_no_start_gate() -> None:
    # A program in between may have reused the number: the interpreter must not read (here: wait on) it.
    reader, writer = os.pipe()  # stdin held open: reading it would wait forever
    try:
        out = _at_gate("0:1", "import os; print(os.environ.get('SEEDLOCK_START_GATE'))", stdin=reader)
    finally:
        os.close(reader)
        os.close(writer)
    assert (out.returncode, out.stdout) == (0, "None\n"), out.stderr


def _behind_gate(sent: bytes, program: str, launcher: str = "", **options: Any) -> subprocess.CompletedProcess[str]:
    """An auto-seeding interpreter started at a start gate that holds ``sent``, then ends (``launcher``:
    the pid the gate names, as `seedlock run` gives it)."""
    reader, writer = os.pipe()
    os.write(writer, sent)
    os.close(writer)
    gate = f"{reader}:{os.fstat(reader).st_ino}" + (f":{launcher}" if launcher else "")
    try:
        return _at_gate(gate, program, pass_fds=[reader], **options)
    finally:
        os.close(reader)


def test_the_start_gate_sets_the_launchers_complete_items_and_drops_one_cut_short() -> None:
    program = "import os; print([os.environ.get(n) for n in ('SEEDLOCK_FIRST', 'NOT_OURS', 'SEEDLOCK_CUT')])"
    out = _behind_gate(b"SEEDLOCK_FIRST=a=b\0NOT_OURS=1\0open\0SEEDLOCK_CUT=shor", program)
    assert (out.returncode, out.stdout) == (0, "['a=b', None, None]\n"), out.stderr


@pytest.mark.parametrize("sent", [b"", b"SEEDLOCK_FIRST=1\0", b"SEEDLOCK_FIRST=1\0ope"])
def test_a_start_gate_that_ends_without_open_does_not_let_the_program_run(sent: bytes) -> None:
    # The launcher was killed (or refused, and kills the interpreter) before its check was done.
    out = _behind_gate(sent, "print('program ran')")
    # Quietly: the launcher's own end is what the user sees (a line here raced its death signal).
    assert (out.returncode, out.stdout, out.stderr) == (1, "", "")


_CREATES_RAN = [sys.executable, "-c", "open('ran', 'w').close()"]


def test_a_programs_own_seedlock_that_cannot_tie_it_to_the_launcher_says_so(tmp_path: Path) -> None:
    # The held interpreter binds PR_SET_PDEATHSIG with seedlock.launching._prctl: a program's own older
    # seedlock without it must not leave the program silently able to outlive `seedlock run`.
    old = tmp_path / "seedlock"
    (old / "seeding").mkdir(parents=True)
    (old / "__init__.py").write_text("")
    (old / "seeding" / "__init__.py").write_text("")
    (old / "seeding" / "_autoseed.py").write_text("def start():\n    pass\n")
    boot = Path(seedlock.__file__).parent / "_bootstrap" / "python"
    out = _behind_gate(b"open\0", "print('program')", str(os.getpid()), env={"PYTHONPATH": f"{boot}:{tmp_path}"})
    assert (out.returncode, out.stdout) == (0, "program\n"), out.stderr
    assert out.stderr.startswith("seedlock: warning: cannot bind this program to seedlock run's end"), out.stderr
    assert out.stderr.endswith("it may outlive it\n")


def _slow_check_lock(tmp_path: Path) -> Path:
    """A lock whose start-of-run check takes seconds: a 1 GiB input (sparse) is hashed while the
    interpreter waits at the start gate."""
    big = tmp_path / "big.bin"
    with open(big, "wb") as handle:
        handle.truncate(1 << 30)
    manifest = tmp_path / "m.json"
    manifest.write_text(
        json.dumps(
            {"version": "1.0", "seed": 7, "inputs": ["big.bin"], "stages": {"train": {"frameworks": ["python"]}}}
        )
    )
    return _resolved(tmp_path, manifest=manifest)


def _held_by_a_slow_check(tmp_path: Path, **options: Any) -> tuple[subprocess.Popen[str], int]:
    """``seedlock run`` of a program that creates ``ran``, held while a 1 GiB input is hashed; its pid and
    the held interpreter's."""
    lock = _slow_check_lock(tmp_path)
    proc = subprocess.Popen(
        [sys.executable, "-m", "seedlock", "run", str(lock), "--stage", "train", "--", *_CREATES_RAN],
        cwd=tmp_path,
        env=child_environ(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **options,
    )
    return proc, _held_child(proc.pid)


def _held_child(launcher: int) -> int:
    """The pid of ``launcher``'s child (the interpreter it holds), once it has one."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    stat = Path(f"/proc/{entry}/stat").read_text()
                except OSError:
                    continue
                if int(stat.rsplit(")", 1)[1].split()[1]) == launcher:
                    return int(entry)
        time.sleep(0.01)
    raise AssertionError("the launcher started no command")


def _gone(pid: int) -> bool:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            return True
        if state == "Z":  # ended, not yet reaped by its new parent
            return True
        time.sleep(0.01)
    return False


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT])
def test_a_signal_while_the_check_holds_the_program_ends_seedlock_and_the_program_never_runs(
    tmp_path: Path, signum: int
) -> None:
    proc, child = _held_by_a_slow_check(tmp_path)
    proc.send_signal(signum)
    out, err = proc.communicate(timeout=60)
    if signum == signal.SIGINT:  # as Ctrl-C before the command started
        assert (proc.returncode, err) == (2, "seedlock: interrupted\n")
    else:  # as the signal's default action before the command started
        assert proc.returncode == -signum, err
    assert _gone(child) and not (tmp_path / "ran").exists() and out == ""


def test_ctrl_c_while_the_check_holds_the_program_ends_both_without_a_traceback(tmp_path: Path) -> None:
    # A terminal's Ctrl-C goes to the whole foreground group: the held interpreter gets it too.
    proc, child = _held_by_a_slow_check(tmp_path, start_new_session=True)
    time.sleep(0.3)  # the interpreter reaches the gate
    os.killpg(proc.pid, signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert (proc.returncode, out, err) == (2, "", "seedlock: interrupted\n")
    assert _gone(child) and not (tmp_path / "ran").exists()


def test_a_refusal_found_while_the_interpreter_is_held_never_lets_its_program_run(tmp_path: Path) -> None:
    # Once the gate opened in a `finally` before the interpreter was killed: the program ran 7 times in 20.
    work = tmp_path / "a" / "b"
    work.mkdir(parents=True)
    (tmp_path / "outside.txt").write_text("not the project's\n")
    lock = _rich_free_lock(work)
    doc = json.loads(lock.read_text())
    doc["provenance"]["inputs"] = {"../../outside.txt": "0" * 64}
    lock.write_text(json.dumps(doc))
    for _ in range(20):
        out = seedlock_cli(
            "run", str(lock), "--stage", "train", "--", sys.executable, "-c", "open('ran', 'w').close()", cwd=work
        )
        assert out.returncode == 2 and "error[path-outside-root]" in out.stderr, out.stderr
        assert not (work / "ran").exists()


def _rich_free_lock(work: Path) -> Path:
    (work / "rows.csv").write_text("a\n")
    manifest = work / "m.json"
    manifest.write_text(
        json.dumps(
            {"version": "1.0", "seed": 7, "inputs": ["rows.csv"], "stages": {"train": {"frameworks": ["python"]}}}
        )
    )
    return _resolved(work, manifest=manifest)


PRINT_PROGRAM = [sys.executable, "-c", "print('program')"]


def _run_merged(lock: Path, cmd: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """``seedlock run LOCK --stage train -- CMD`` with stderr in stdout: the order the user sees."""
    return subprocess.run(
        [sys.executable, "-m", "seedlock", "run", str(lock), "--stage", "train", "--", *cmd],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=cwd,
        env=child_environ(),
        timeout=60,
    )


def test_strict_mode_checks_the_start_of_the_run_before_the_command_starts(tmp_path: Path) -> None:
    lock = _resolved(tmp_path)
    doc = json.loads(lock.read_text())
    doc["provenance"]["platform"] = "another-platform"
    lock.write_text(json.dumps(doc))
    out = seedlock_cli("run", str(lock), "--stage", "train", "--strict", "--", "touch", "ran", cwd=tmp_path)
    assert out.returncode == 2 and "error[lock-mismatch]" in out.stderr, out.stderr
    assert not (tmp_path / "ran").exists()
    # Without --strict the same difference is a warning, printed before the program's first line.
    out = _run_merged(lock, PRINT_PROGRAM, tmp_path)
    assert out.returncode == 0, out.stdout
    assert out.stdout.index("another-platform when locked") < out.stdout.index("program\n")


def test_the_launcher_names_the_checked_variable_as_the_check_does() -> None:
    from seedlock.launching import _launch_fast
    from seedlock.seeding import runcheck

    assert _launch_fast.CHECKED_VARIABLE == runcheck.CHECKED_VARIABLE


def test_the_launcher_names_the_status_and_seeding_variables_as_the_seeding_side_does() -> None:
    from seedlock.launching import _launch_fast
    from seedlock.seeding import _seedstatus

    names = ("STATUS", "AUTOSEED", "AUTOSEED_SETTINGS", "AUTOSEED_R", "R_PROFILE", "GATE")
    for name in (f"{stem}_VARIABLE" for stem in names):
        assert getattr(_launch_fast, name) == getattr(_seedstatus, name), name


def test_the_lock_reader_bounds_seeds_as_the_derivation_does() -> None:
    from seedlock.spec import _lockfile, derivation

    assert _lockfile._SEED_MAX == derivation.SEED_MAX


def test_the_launcher_takes_the_registry_from_its_generated_literals_not_from_registry_json(tmp_path: Path) -> None:
    # Parsing registry.json cost a third of a millisecond before every run; seedlock.spec._registry, which
    # the launcher and every auto-seeded child load anyway, holds the same (CI fails when it is stale).
    lock = _resolved(tmp_path)
    empty = tmp_path / "no-spec"
    empty.mkdir()
    out = seedlock_cli(
        "run", str(lock), "--stage", "train", "--", *PRINT_PROGRAM, cwd=tmp_path, env={"SEEDLOCK_SPEC_DIR": str(empty)}
    )
    assert (out.returncode, out.stdout, out.stderr) == (0, "program\n", "")


def test_a_command_that_cannot_start_is_reported_after_the_start_of_run_checks_warnings(tmp_path: Path) -> None:
    lock = _resolved(tmp_path)
    doc = json.loads(lock.read_text())
    doc["provenance"]["platform"] = "another-platform"
    lock.write_text(json.dumps(doc))
    out = seedlock_cli("run", str(lock), "--stage", "train", "--", str(tmp_path / "no-such-program"), cwd=tmp_path)
    lines = out.stderr.splitlines()
    assert out.returncode == 2 and len(lines) == 2, out.stderr
    assert "another-platform when locked" in lines[0]
    assert lines[1].startswith("seedlock: error[io-error] Cannot run ")


def _stale(tmp_path: Path) -> Path:
    """A lock whose manifest was edited after resolve: its start-of-run check warns."""
    manifest = tmp_path / "seedlock.json"
    manifest.write_text(json.dumps({"version": "1.0", "seed": 7, "stages": {"train": {"frameworks": ["python"]}}}))
    lock = tmp_path / "seedlock.lock.json"
    out = seedlock_cli("resolve", str(manifest), "-o", str(lock), cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    manifest.write_text(json.dumps({"version": "1.0", "seed": 8, "stages": {"train": {"frameworks": ["python"]}}}))
    return lock


@pytest.mark.parametrize(
    "cmd",
    [
        ["sh", "-c", "echo program"],
        ["echo", "program"],
        [sys.executable, "-I", "-c", "print('program')"],
        [sys.executable, "-c", "print('program')"],
    ],
    ids=["a shell", "a program", "python -I", "python"],
)
def test_the_start_of_run_checks_warning_comes_before_any_commands_first_line(tmp_path: Path, cmd: list[str]) -> None:
    # Only an interpreter that waits at the start gate may start before the check is done; a shell used to
    # print first in most runs (the check ran beside it).
    lock = _stale(tmp_path)
    for _ in range(5):
        out = _run_merged(lock, cmd, tmp_path)
        lines = out.stdout.splitlines()
        assert out.returncode == 0, out.stdout
        assert "stale" in lines[0] or "seedlock.json" in lines[0], out.stdout
        assert "program" in lines


# A Python interpreter `seedlock run` starts directly waits at the start gate, so the lock is checked while
# it starts up: it starts with the stage's values read plainly (plain_stage), which must be exactly what
# the validator returns, and a lock the validator refuses must end it before its program runs.
def _lock_vectors() -> list[Any]:
    """Every lock of the lock vectors (the expected lock of each resolution)."""
    return [
        pytest.param(case["expected"]["lock"], id=f"{path.stem}: {case['description']}")
        for path in vector_files("lock")
        for case in json.loads(path.read_text("utf-8"))["cases"]
        if "lock" in case.get("expected", {})
    ]


@pytest.mark.parametrize("lock", _lock_vectors())
def test_a_stage_read_plainly_is_what_the_validator_returns_for_every_lock_vector(lock: dict[str, Any]) -> None:
    from seedlock.spec import _lockcheck, _lockfile

    checked = _lockcheck.check(lock)
    for name, stage in checked["stages"].items():
        expected = {fw: {"seed": e["seed"], "settings": e["settings"]} for fw, e in stage["frameworks"].items()}
        plain = _lockfile.plain_stage(lock, name)
        assert plain is not None, name
        assert plain["frameworks"] == expected
        assert list(plain["frameworks"]) == list(expected)  # the order seeds are applied in
        assert plain.get("take_over") == stage.get("take_over")
    assert _lockfile.plain_stage(lock, "no-such-stage") is None


_PLAIN = {
    "lock-version": "1.2",
    "stages": {
        "train": {
            "frameworks": {
                "python": {"seed": 5, "settings": {"hash_seed": True}},
                "torch": {"seed": 6, "settings": {"deterministic": True, "warn_only": False, "num_threads": 2}},
            }
        }
    },
}


@pytest.mark.parametrize(
    ("pointer", "value"),
    [
        ("/stages/train/frameworks/python/seed", 5.0),  # the validator writes 5
        ("/stages/train/frameworks/python/seed", True),
        ("/stages/train/frameworks/python/seed", -1),
        ("/stages/train/frameworks/python/seed", 2**31),  # PYTHONHASHSEED would be out of the spec's range
        ("/stages/train/frameworks/python/seed", "5"),
        ("/stages/train/frameworks/torch/settings/num_threads", 2.0),
        ("/stages/train/frameworks/torch/settings/num_threads", 0),
        ("/stages/train/frameworks/torch/settings/deterministic", 1),
        ("/stages/train/frameworks/torch/settings/extra", True),
        ("/stages/train/frameworks/python/settings", []),
        ("/stages/train/frameworks", {}),
        ("/stages/train/take_over", 1),
        ("/stages/train", []),
        ("/stages", None),
        ("/lock-version", None),
    ],
)
def test_a_value_the_validator_would_refuse_or_rewrite_is_not_read_plainly(pointer: str, value: object) -> None:
    import copy

    from seedlock.spec import _lockfile

    assert _lockfile.plain_stage(_PLAIN, "train") is not None
    lock = copy.deepcopy(_PLAIN)
    *parents, last = pointer.strip("/").split("/")
    target: Any = lock
    for part in parents:
        target = target[part]
    if value is None:
        del target[last]
    else:
        target[last] = value
    assert _lockfile.plain_stage(lock, "train") is None


def _invalid_locks() -> list[Any]:
    return [
        pytest.param(case, id=f"{path.stem}: {case['description']}")
        for path in vector_files("invalid")
        for case in json.loads(path.read_text("utf-8"))["cases"]
        if case["input"].get("kind") == "lock"
    ]


@pytest.mark.parametrize("case", _invalid_locks())
def test_seedlock_run_refuses_every_invalid_lock_vector_before_a_python_program_runs(
    tmp_path: Path, case: dict[str, Any]
) -> None:
    document = case["input"]["document"]
    lock = tmp_path / "l.json"
    lock.write_text(json.dumps(document) if not isinstance(document, str) else document)
    stages = document.get("stages") if isinstance(document, dict) else None
    stage = next(iter(stages), "train") if isinstance(stages, dict) and stages else "train"
    program = [sys.executable, "-c", "open('ran', 'w').close(); print('program ran')"]
    held = seedlock_cli("run", str(lock), "--stage", stage, "--", *program, cwd=tmp_path)
    # The same lock with the check first (no interpreter held back at the gate): the same one line.
    first = seedlock_cli("run", str(lock), "--stage", stage, "--no-auto-seed", "--", *program, cwd=tmp_path)
    assert held.returncode == first.returncode == 2, (held.stderr, first.stderr)
    assert held.stdout == "" and not (tmp_path / "ran").exists()
    assert held.stderr == first.stderr
    codes = [fault["code"] for fault in case.get("errors") or [case["error"]]]  # several: the first found
    assert held.stderr.startswith(tuple(f"seedlock: error[{code}] " for code in codes)), held.stderr
    assert held.stderr.count("\n") == 1


def test_most_invalid_lock_vectors_reach_an_interpreter_held_at_the_start_gate() -> None:
    # Else the test above would only see locks checked before the command starts.
    from seedlock.spec import _lockfile

    held = [
        case
        for case in (param.values[0] for param in _invalid_locks())
        if isinstance(case["input"]["document"], dict)
        and _lockfile.plain_stage(case["input"]["document"], next(iter(case["input"]["document"]["stages"])))
        is not None
    ]
    assert len(held) >= 15


# The seeders of a stage's extensions are looked up in every auto-seeded interpreter, which read every
# distribution's entry_points.txt (about a millisecond): the launcher looks them up while the interpreter
# starts and hands them over through the start gate, for that interpreter and its children.
_HANDED = (
    "import os, sys\n"
    "print('machine loaded:', 'seedlock.seeding._machine' in sys.modules)\n"
    "print('handed:', bool(os.environ.get('SEEDLOCK_SEEDERS')))\n"
    "from faker import Faker\n"
    "print(Faker().name())\n"
)


def test_an_interpreter_seedlock_run_starts_is_handed_its_extensions_seeder(
    tmp_path: Path, faker_installed: None
) -> None:
    lock = _rich_lock(tmp_path)
    out = seedlock_cli("run", str(lock), "--stage", "train", "-v", "--", sys.executable, "-c", _HANDED, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[:2] == ["machine loaded: False", "handed: True"]  # no entry_points.txt was read
    seed = json.loads(lock.read_text())["stages"]["train"]["frameworks"]["x-faker"]["seed"]
    assert f"x-faker    applied  Faker.seed({seed})" in out.stderr
    # Its name is the one the seeder's own lookup gives (a child searching sys.path itself).
    nested = (
        "import os, subprocess, sys\n"
        f"subprocess.run([sys.executable, '-c', {_HANDED!r}], env={{**os.environ, 'SEEDLOCK_SEEDERS': ''}})\n"
    )
    again = seedlock_cli("run", str(lock), "--stage", "train", "--", sys.executable, "-c", nested, cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert again.stdout.splitlines()[1:] == ["handed: False", lines[2]]


@pytest.fixture
def handoff_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """This interpreter's path as a launcher's (its first entry: the launcher's own directory), and
    SEEDLOCK_SEEDERS as that launcher hands x-faker over (registered or not: the hand-over says so)."""
    from seedlock.seeding import extensions

    launcher = [str(tmp_path / "bin"), *sys.path[1:]]
    monkeypatch.setattr(sys, "path", launcher)
    text = extensions.handoff(["x-faker", "x-unregistered"])
    assert text is not None and text.endswith("\nx-unregistered=")
    monkeypatch.setenv(extensions.SEEDERS_VARIABLE, text)
    return launcher[1:]


def _handed(path: list[str], monkeypatch: pytest.MonkeyPatch, name: str = "x-faker") -> object:
    from seedlock.seeding import extensions

    monkeypatch.setattr(sys, "path", path)
    return extensions._handed_over(name)


def test_a_handed_over_seeder_holds_only_where_the_path_ends_as_the_launchers(
    tmp_path: Path, handoff_path: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from seedlock.seeding import _machine, extensions

    found = _machine.entry_point_value(extensions.GROUP, "x-faker")
    assert _handed(handoff_path, monkeypatch) == found  # the interpreter's path at start: the launcher's
    assert _handed(handoff_path, monkeypatch, "x-unregistered") is None  # looked up: none registered
    assert _handed(handoff_path, monkeypatch, "x-other") is extensions._NOT_HANDED  # not looked up
    empty = tmp_path / "program"
    empty.mkdir()
    assert _handed([str(empty), *handoff_path], monkeypatch) == found  # a directory with no distribution
    assert _handed(handoff_path[1:], monkeypatch) is extensions._NOT_HANDED  # another path: its own search
    assert _handed([*handoff_path, str(empty)], monkeypatch) is extensions._NOT_HANDED


def test_a_distribution_ahead_of_the_launchers_path_makes_the_interpreter_search_itself(
    tmp_path: Path, handoff_path: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from seedlock.seeding import extensions

    program = tmp_path / "program"
    info = program / "local_faker-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "entry_points.txt").write_text("[seedlock.seeders]\nx-faker = local_faker:seed\n")
    assert _handed([str(program), *handoff_path], monkeypatch) is extensions._NOT_HANDED
    (tmp_path / "zipped.zip").write_bytes(b"")
    assert _handed([str(tmp_path / "zipped.zip"), *handoff_path], monkeypatch) is extensions._NOT_HANDED


def test_a_finder_that_lists_distributions_makes_the_interpreter_search_itself(
    handoff_path: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from seedlock.seeding import extensions

    class Finder:
        def find_spec(self, *args: object) -> None:
            return None

        def find_distributions(self, *args: object) -> list[object]:
            return []

    monkeypatch.setattr(sys, "meta_path", [Finder(), *sys.meta_path])
    assert _handed(handoff_path, monkeypatch) is extensions._NOT_HANDED
