"""`seedlock verify` as users type it: outputs by full path, users' files kept, odd outputs refused, no litter."""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import pytest
from conftest import seedlock_cli

# Writes a/out.txt from the seeded stream (repeats) and b/out.txt from the OS (differs every run).
SCRIPT = """
import os, random, seedlock
seedlock.apply_from_env()
os.makedirs("a", exist_ok=True); os.makedirs("b", exist_ok=True)
open("a/out.txt", "w").write(repr(random.random()))
open("b/out.txt", "w").write(os.urandom(8).hex())
"""
SEEDED = """
import os, random, seedlock
seedlock.apply_from_env()
for path in os.environ["OUTPUTS"].split(","):
    if path.endswith("/"):
        os.makedirs(path, exist_ok=True)
        for i in range(2):
            open(os.path.join(path, f"part{i}.txt"), "w").write(repr(random.random()))
    else:
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        open(path, "w").write(repr(random.random()))
"""


@pytest.fixture
def work(tmp_path: Path) -> Path:
    lock = tmp_path / "seedlock.lock.json"
    manifest = tmp_path / "m.json"
    manifest.write_text(json.dumps({"version": "1.0", "seed": 5, "stages": {"train": {"frameworks": ["python"]}}}))
    assert seedlock_cli("resolve", str(manifest), "-o", str(lock), "--no-provenance").returncode == 0
    project = tmp_path / "project"
    project.mkdir()
    (project / "script.py").write_text(SCRIPT)
    (project / "seeded.py").write_text(SEEDED)
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    return project


def _verify(work: Path, *args: str, outputs: str = "", script: str = "seeded.py"):  # type: ignore[no-untyped-def]
    lock = work.parent / "seedlock.lock.json"
    # TMPDIR of its own, so that what verify leaves behind can be seen.
    env = {"TMPDIR": str(work.parent / "tmp"), "OUTPUTS": outputs}
    return seedlock_cli("verify", str(lock), "--stage", "train", *args, "--", sys.executable, script, cwd=work, env=env)


def _tmp_leftovers(work: Path) -> list[str]:
    return sorted(p.name for p in (work.parent / "tmp").iterdir())


def test_two_outputs_with_the_same_file_name_are_compared_by_their_full_paths(work: Path) -> None:
    out = _verify(work, "--output", "a/out.txt", "--output", "b/out.txt", script="script.py")
    assert out.returncode == 1, out.stdout + out.stderr
    assert "identical a/out.txt (2 runs)" in out.stdout
    assert "DIFFERS b/out.txt:" in out.stdout
    assert "seedlock: verify: not reproducible" in out.stdout


def test_pre_existing_outputs_with_the_same_file_name_are_both_restored(work: Path) -> None:
    for folder in ("a", "b"):
        (work / folder).mkdir()
        (work / folder / "out.txt").write_text(f"the user's {folder}")
    out = _verify(work, "--output", "a/out.txt", "--output", "b/out.txt", script="script.py")
    assert out.returncode == 1
    assert (work / "a" / "out.txt").read_text() == "the user's a"
    assert (work / "b" / "out.txt").read_text() == "the user's b"
    assert "restored the existing a/out.txt" in out.stderr and "restored the existing b/out.txt" in out.stderr


def test_pre_existing_files_and_directories_are_restored_after_a_reproducible_verify(work: Path) -> None:
    (work / "model.txt").write_text("yesterday's model")
    (work / "runs").mkdir()
    (work / "runs" / "keep.txt").write_text("yesterday's log")
    out = _verify(work, "--output", "model.txt", "--output", "runs", outputs="model.txt,runs/")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "identical model.txt (2 runs)" in out.stdout and "identical runs (2 runs)" in out.stdout
    assert (work / "model.txt").read_text() == "yesterday's model"
    assert sorted(p.name for p in (work / "runs").iterdir()) == ["keep.txt"]
    assert (work / "runs" / "keep.txt").read_text() == "yesterday's log"


def test_a_users_file_is_restored_when_the_command_fails(work: Path) -> None:
    (work / "model.txt").write_text("yesterday's model")
    (work / "fails.py").write_text("open('model.txt', 'w').write('half'); raise SystemExit(3)\n")
    out = _verify(work, "--output", "model.txt", script="fails.py")
    assert out.returncode == 3 and "run 1 exited 3" in out.stdout
    assert (work / "model.txt").read_text() == "yesterday's model"


def test_a_difference_inside_an_output_directory_names_the_file(work: Path) -> None:
    (work / "noisy.py").write_text(
        "import os\nos.makedirs('out/sub', exist_ok=True)\n"
        "open('out/sub/w.txt', 'w').write(os.urandom(4).hex())\n"
        "open('out/same.txt', 'w').write('1')\n"
    )
    out = _verify(work, "--output", "out", script="noisy.py")
    assert out.returncode == 1
    assert "out/sub/w.txt (run 1 vs 2)" in out.stdout and "out/same.txt" not in out.stdout


@pytest.mark.parametrize("output", ["../elsewhere.txt", "/tmp/seedlock-verify-outside.txt", "."])
def test_an_output_outside_the_working_directory_is_refused(work: Path, output: str) -> None:
    out = _verify(work, "--output", output)
    assert (out.returncode, out.stderr.count("\n"), out.stdout) == (2, 1, "")
    assert out.stderr.startswith("seedlock: error[path-outside-root] output ")
    assert "inside the working directory" in out.stderr


def test_a_symlinked_output_is_verified_at_its_target_and_stays_a_link(work: Path) -> None:
    (work / "data").mkdir()
    (work / "data" / "model.txt").write_text("yesterday's model")
    (work / "model.txt").symlink_to(Path("data") / "model.txt")
    out = _verify(work, "--output", "model.txt", outputs="model.txt")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "identical data/model.txt (2 runs)" in out.stdout
    assert (work / "model.txt").is_symlink() and os.readlink(work / "model.txt") == os.path.join("data", "model.txt")
    assert (work / "data" / "model.txt").read_text() == "yesterday's model"


def test_a_symlink_leading_outside_is_refused(work: Path) -> None:
    (work / "model.txt").symlink_to(work.parent / "m.json")
    out = _verify(work, "--output", "model.txt")
    assert (out.returncode, out.stderr.count("\n")) == (2, 1)
    assert "error[path-outside-root] output 'model.txt' (a symbolic link to" in out.stderr
    assert (work / "model.txt").is_symlink()


def test_nested_outputs_and_special_files_are_refused(work: Path) -> None:
    out = _verify(work, "--output", "runs", "--output", "runs/x.txt")
    assert (out.returncode, out.stderr.count("\n")) == (2, 1)
    assert "error[invalid-value] outputs 'runs' and 'runs/x.txt' overlap" in out.stderr
    os.mkfifo(work / "pipe")
    out = _verify(work, "--output", "pipe")
    assert (out.returncode, out.stderr.count("\n")) == (2, 1)
    assert "error[invalid-value] output 'pipe' is not a regular file or directory" in out.stderr
    assert (work / "pipe").exists()


def test_no_temporary_directory_is_left_after_a_reproducible_verify(work: Path) -> None:
    out = _verify(work, "--output", "model.txt", outputs="model.txt")
    assert out.returncode == 0, out.stdout + out.stderr
    assert _tmp_leftovers(work) == []
    assert "kept" not in out.stdout


def test_a_failed_verify_keeps_and_names_its_directory(work: Path) -> None:
    out = _verify(work, "--output", "a/out.txt", "--output", "b/out.txt", script="script.py")
    assert out.returncode == 1
    kept = _tmp_leftovers(work)
    assert len(kept) == 1 and f"runs kept in {work.parent / 'tmp' / kept[0]}" in out.stdout
    runs = work.parent / "tmp" / kept[0]
    assert (runs / "run1" / "a" / "out.txt").read_text() == (runs / "run2" / "a" / "out.txt").read_text()
    assert (runs / "run1" / "b" / "out.txt").read_text() != (runs / "run2" / "b" / "out.txt").read_text()


def test_keep_keeps_the_runs_of_a_reproducible_verify(work: Path) -> None:
    out = _verify(work, "--keep", "--output", "model.txt", outputs="model.txt")
    assert out.returncode == 0
    kept = _tmp_leftovers(work)
    assert len(kept) == 1 and f"runs kept in {work.parent / 'tmp' / kept[0]}" in out.stdout
    assert (work.parent / "tmp" / kept[0] / "run2" / "model.txt").is_file()


def test_a_users_file_is_restored_when_verify_is_terminated_mid_run(work: Path) -> None:
    import signal
    import subprocess

    (work / "model.txt").write_text("yesterday's model")
    (work / "slow.py").write_text(
        "import os, sys, time\nopen('model.txt', 'w').write('half')\nprint(os.getpid(), flush=True)\ntime.sleep(60)\n"
    )
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "seedlock",
            "verify",
            str(work.parent / "seedlock.lock.json"),
            "--stage",
            "train",
            "--output",
            "model.txt",
            "--",
            sys.executable,
            "slow.py",
        ],
        cwd=work,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "TMPDIR": str(work.parent / "tmp")},
    )
    assert proc.stdout is not None
    proc.stdout.readline()  # the child is running and has overwritten model.txt
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 128 + signal.SIGTERM, out + err
    assert (work / "model.txt").read_text() == "yesterday's model"
    assert "restored the existing model.txt" in err


def test_a_chosen_workdir_is_kept_and_holds_every_run(work: Path) -> None:
    out = _verify(work, "--workdir", "../runs", "--output", "model.txt", outputs="model.txt")
    assert out.returncode == 0
    assert f"runs kept in {work.parent / 'runs'}" in out.stdout
    assert (work.parent / "runs" / "run1" / "model.txt").read_text() == (
        work.parent / "runs" / "run2" / "model.txt"
    ).read_text()


def test_a_second_verify_into_the_same_workdir_is_refused_and_the_first_runs_are_kept(work: Path) -> None:
    (work / "model.txt").write_text("first")
    out = _verify(work, "--workdir", "../runs", "--output", "model.txt", outputs="model.txt")
    assert out.returncode == 0, out.stdout + out.stderr
    first_runs = (work.parent / "runs" / "run1" / "model.txt").read_text()
    (work / "model.txt").write_text("second")
    out = _verify(work, "--workdir", "../runs", "--output", "model.txt", outputs="model.txt,ran.txt")
    assert (out.returncode, out.stderr.count("\n"), out.stdout) == (2, 1, ""), out.stdout + out.stderr
    assert out.stderr.startswith(
        f"seedlock: error[invalid-value] --workdir '{work.parent / 'runs'}' already holds "
        "run1/model.txt, run2/model.txt from an earlier verify"
    )
    assert not (work / "ran.txt").exists()  # refused before anything ran
    assert (work / "model.txt").read_text() == "second"
    assert (work.parent / "runs" / "run1" / "model.txt").read_text() == first_runs
    # Another output into the same directory is no clash.
    out = _verify(work, "--workdir", "../runs", "--output", "other.txt", outputs="other.txt")
    assert out.returncode == 0, out.stdout + out.stderr


def test_a_workdir_that_is_a_file_is_a_one_line_error(work: Path) -> None:
    (work.parent / "runs").write_text("not a directory")
    for workdir in ("../runs", "../runs/inside"):
        out = _verify(work, "--workdir", workdir, "--output", "model.txt", outputs="model.txt")
        assert (out.returncode, out.stderr.count("\n"), out.stdout) == (2, 1, ""), out.stdout + out.stderr
        assert out.stderr.startswith("seedlock: error["), out.stderr
        assert "--workdir '../runs" in out.stderr
    assert (work.parent / "runs").read_text() == "not a directory"


# The second run removes verify's temporary directory, as a temporary-file cleaner would.
CLEANED_BETWEEN_RUNS = """
import glob, os, random, shutil, seedlock
seedlock.apply_from_env()
if os.path.exists("ran-once"):
    for folder in glob.glob(os.path.join(os.environ["TMPDIR"], "seedlock-verify-*")):
        shutil.rmtree(folder)
open("ran-once", "w").close()
open("model.txt", "w").write(repr(random.random()))
"""


def test_a_work_directory_removed_between_runs_is_named_with_what_is_missing(work: Path) -> None:
    (work / "model.txt").write_text("yesterday's model")
    (work / "cleaned.py").write_text(CLEANED_BETWEEN_RUNS)
    out = _verify(work, "--output", "model.txt", script="cleaned.py")
    assert out.returncode == 2, out.stdout + out.stderr
    assert "Traceback" not in out.stderr and "DIFFERS" not in out.stdout
    last = out.stderr.splitlines()[-1]
    assert last.startswith("seedlock: error[io-error] The copies of earlier runs vanished while verify ran"), out.stderr
    assert "missing: run 1's model.txt" in last
    # The user's file was in that directory too: said, with where it was.
    assert "could not restore model.txt: the copy verify kept in" in out.stderr and "is gone" in out.stderr


def _small_filesystem(path: Path, size: str = "1m") -> bool:
    """A tmpfs of ``size`` at ``path`` (root only): a real 'No space left on device'."""
    import subprocess

    path.mkdir(exist_ok=True)
    return (
        os.geteuid() == 0
        and subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], capture_output=True
        ).returncode
        == 0
    )


def _unmount(path: Path) -> None:
    import subprocess

    subprocess.run(["umount", str(path)], check=False, capture_output=True)


def test_a_full_temporary_directory_leaves_every_output_in_place_and_is_a_one_line_error(work: Path) -> None:
    small = work.parent / "small-tmp"
    if not _small_filesystem(small):
        pytest.skip("needs root to mount a 1 MB tmpfs (CI runs as root)")
    try:
        (work / "a_small.txt").write_text("yesterday's notes")
        (work / "b_big.bin").write_bytes(b"m" * 3_000_000)  # larger than the temporary directory's file system
        env = {"TMPDIR": str(small), "OUTPUTS": "a_small.txt,b_big.bin,ran.txt"}
        out = seedlock_cli(
            "verify",
            str(work.parent / "seedlock.lock.json"),
            "--stage",
            "train",
            "--output",
            "a_small.txt",
            "--output",
            "b_big.bin",
            "--",
            sys.executable,
            "seeded.py",
            cwd=work,
            env=env,
        )
        assert (out.returncode, out.stdout) == (2, ""), out.stdout + out.stderr
        assert "Traceback" not in out.stderr
        assert out.stderr.splitlines()[-1].startswith(
            "seedlock: error[io-error] Cannot move the existing b_big.bin aside to "
        ), out.stderr
        assert "No space left on device; nothing ran" in out.stderr
        assert (work / "a_small.txt").read_text() == "yesterday's notes"
        assert (work / "b_big.bin").read_bytes() == b"m" * 3_000_000
        assert not (work / "ran.txt").exists()
        assert list(small.iterdir()) == []  # nothing left in the full directory
    finally:
        _unmount(small)


def test_a_full_work_directory_while_keeping_a_run_restores_the_outputs_and_is_a_one_line_error(work: Path) -> None:
    runs = work.parent / "runs"
    if not _small_filesystem(runs):
        pytest.skip("needs root to mount a 1 MB tmpfs (CI runs as root)")
    try:
        (work / "big.bin").write_text("yesterday's weights")
        (work / "writes_big.py").write_text("open('big.bin', 'wb').write(b'w' * 3_000_000)\n")
        out = _verify(work, "--workdir", str(runs), "--output", "big.bin", script="writes_big.py")
        assert (out.returncode, out.stdout) == (2, ""), out.stdout + out.stderr
        assert "Traceback" not in out.stderr
        assert out.stderr.splitlines()[-1].startswith("seedlock: error[io-error] Cannot keep run 1's big.bin in "), (
            out.stderr
        )
        assert "No space left on device" in out.stderr
        assert (work / "big.bin").read_text() == "yesterday's weights"
    finally:
        _unmount(runs)


# Writes out/ as many small files (copying and comparing them takes a while: the moments a signal used
# to kill verify without its cleanup), then says so on stdout.
MANY_FILES = """
try:
    import os, random, seedlock
    seedlock.apply_from_env()
    os.makedirs("out", exist_ok=True)
    for i in range(int(os.environ["FILES"])):
        open(f"out/{i}.txt", "w").write(repr(random.random()))
    print("wrote", flush=True)
except KeyboardInterrupt:  # the forwarded Ctrl-C
    raise SystemExit(130)
"""


def _user_files(work: Path, files: int) -> dict[str, str]:
    (work / "out").mkdir(exist_ok=True)
    for i in range(files):
        (work / "out" / f"{i}.txt").write_text(f"the user's file {i}")
    return {p.name: p.read_text() for p in (work / "out").iterdir()}


def _start_verify(work: Path, files: int):  # type: ignore[no-untyped-def]
    import subprocess

    (work / "many.py").write_text(MANY_FILES)
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "seedlock",
            "verify",
            str(work.parent / "seedlock.lock.json"),
            "--stage",
            "train",
            "--output",
            "out",
            "--",
            # The child's stderr (a Ctrl-C traceback of its own) apart from seedlock's.
            "sh",
            "-c",
            'exec "$0" many.py 2>>child-stderr.txt',
            sys.executable,
        ],
        cwd=work,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "TMPDIR": str(work.parent / "tmp"), "FILES": str(files)},
    )


@pytest.mark.parametrize(
    "signals", [["SIGTERM"], ["SIGHUP"], ["SIGINT"], ["SIGINT", "SIGINT"]], ids=["term", "hup", "int", "int-twice"]
)
def test_a_signal_while_verify_copies_the_runs_outputs_puts_the_users_files_back(
    work: Path, signals: list[str]
) -> None:
    import signal
    import time

    original = _user_files(work, 3000)
    proc = _start_verify(work, 3000)
    assert proc.stdout is not None
    assert proc.stdout.readline() == "wrote\n"  # run 1 is ending: verify is about to copy out/
    time.sleep(0.05)
    for name in signals:
        proc.send_signal(getattr(signal, name))
        time.sleep(0.01)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 128 + getattr(signal, signals[0]), out + err
    assert "Traceback" not in err
    assert f"seedlock: verify: stopped by {signals[0]}, outputs restored" in err
    assert {p.name: p.read_text() for p in (work / "out").iterdir()} == original
    assert _tmp_leftovers(work) == []


def test_signals_at_random_moments_never_lose_the_users_files(work: Path) -> None:
    import random
    import signal
    import subprocess
    import time

    moments = random.Random(20)  # fixed, so a failure names its draws; the moments vary with the machine anyway
    original = _user_files(work, 1000)
    outcomes = []
    for _ in range(10):
        chosen = moments.choice([["SIGTERM"], ["SIGHUP"], ["SIGINT"], ["SIGINT", "SIGINT"]])
        delay = moments.uniform(0.0, 2.5)
        proc = _start_verify(work, 1000)
        time.sleep(delay)
        for name in chosen:
            proc.send_signal(getattr(signal, name))
            time.sleep(moments.uniform(0.0, 0.05))
        try:
            out, err = proc.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            proc.kill()  # and its child, through PR_SET_PDEATHSIG
            out, err = proc.communicate()
            raise AssertionError(f"verify hung after {chosen} at {delay:.2f} s: {outcomes}\n{err}") from None
        outcomes.append((chosen, round(delay, 2), proc.returncode))
        # Before verify moved anything (the interpreter still starting, the lock being read) a signal may
        # end it as Python does (-N, a start-up traceback) or as `seedlock: interrupted`: nothing to restore.
        if "moved the existing out aside" in err:
            number = getattr(signal, chosen[0])
            # After verify put the originals back it is done: a signal then ends the exiting interpreter
            # as any process (-N), with nothing left to restore.
            finished = "restored the existing out" in err
            assert proc.returncode in (0, 128 + number, *((-number,) if finished else ())), (outcomes, out, err)
            assert "Traceback" not in err, (outcomes, err)
        assert {p.name: p.read_text() for p in (work / "out").iterdir()} == original, (outcomes, err)
        for left in _tmp_leftovers(work):  # only a run the signal ended is kept, and named, as any failed run
            assert f"outputs of the runs are in {work.parent / 'tmp' / left}" in out, (outcomes, out, err)
            shutil.rmtree(work.parent / "tmp" / left)


# Hugging Face's all_results.json: timings differ every run, the metrics follow the seed (unless NOISY).
RESULTS = """
import json, os, random, seedlock
seedlock.apply_from_env()
os.makedirs("out", exist_ok=True)
noise = lambda: int.from_bytes(os.urandom(4), "big") / 1e3
loss = noise() if os.environ.get("NOISY") else random.random()
json.dump({"train_loss": loss, "train_samples_per_second": noise(), "eval_samples_per_second": noise(),
           "log_history": [{"step": s, "time": noise(), "loss": random.random()} for s in range(3)]},
          open("out/all_results.json", "w"))
"""


def test_ignored_json_fields_are_listed_and_do_not_count(work: Path) -> None:
    (work / "results.py").write_text(RESULTS)
    out = _verify(
        work,
        "--output",
        "out",
        "--ignore",
        "all_results.json#/*_per_second",
        "--ignore",
        "out/*.json#/log_history/*/time",
        script="results.py",
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "identical out (2 runs; 5 differences ignored)" in out.stdout
    lines = out.stdout.splitlines()
    assert any(
        line.startswith(
            "  ignored out/all_results.json#/train_samples_per_second "
            "(run 1 vs 2, --ignore 'all_results.json#/*_per_second'): "
        )
        and " != " in line
        for line in lines
    ), out.stdout
    assert "  ignored out/all_results.json#/eval_samples_per_second" in out.stdout
    for step in range(3):
        assert (
            f"  ignored out/all_results.json#/log_history/{step}/time (run 1 vs 2, "
            "--ignore 'out/*.json#/log_history/*/time')" in out.stdout
        )
    assert "seedlock: verify: reproducible" in out.stdout


def test_a_real_difference_beside_ignored_fields_still_fails(work: Path) -> None:
    (work / "results.py").write_text(RESULTS)
    lock = work.parent / "seedlock.lock.json"
    out = seedlock_cli(
        "verify",
        str(lock),
        "--stage",
        "train",
        "--output",
        "out",
        "--ignore",
        "all_results.json#/*_per_second",
        "--",
        sys.executable,
        "results.py",
        cwd=work,
        env={"TMPDIR": str(work.parent / "tmp"), "NOISY": "1"},
    )
    assert out.returncode == 1, out.stdout + out.stderr
    assert "DIFFERS out:" in out.stdout
    assert "  out/all_results.json[train_loss] (run 1 vs 2): " in out.stdout
    assert "  out/all_results.json[log_history][0][time] (run 1 vs 2): " in out.stdout  # not ignored here
    assert "  ignored out/all_results.json#/train_samples_per_second" in out.stdout
    assert "seedlock: verify: not reproducible" in out.stdout


@pytest.mark.parametrize(
    ("given", "why"),
    [
        ("all_results.json", "expected FILE#/json/pointer"),
        ("#/train_runtime", "expected FILE#/json/pointer"),
        ("all_results.json#train_runtime", "must start with '/'"),
        ("all_results.json#/a~2b", "'~' in a JSON pointer must be '~0' or '~1'"),
    ],
)
def test_a_malformed_ignore_is_a_one_line_error_before_anything_runs(work: Path, given: str, why: str) -> None:
    out = _verify(work, "--output", "model.txt", "--ignore", given, outputs="model.txt")
    assert (out.returncode, out.stderr.count("\n"), out.stdout) == (2, 1, ""), out.stdout + out.stderr
    assert out.stderr.startswith(f"seedlock: error[invalid-value] --ignore {given!r}: ") and why in out.stderr
    assert not (work / "model.txt").exists()


def test_an_ignore_that_matches_no_output_file_is_a_warning(work: Path) -> None:
    out = _verify(work, "--output", "model.txt", "--ignore", "all_results.jsn#/x", outputs="model.txt")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "seedlock: verify: warning: --ignore 'all_results.jsn#/x' matched no file of the outputs" in out.stderr


# A matplotlib figure from the seeded stream (unless NOISY); the creation date differs between runs as it
# does between any two seconds.
PLOT = """
import datetime, os, random, seedlock
seedlock.apply_from_env()
import matplotlib
matplotlib.use("pdf")
import matplotlib.pyplot as plt
noise = lambda: int.from_bytes(os.urandom(4), "big")
values = [noise() if os.environ.get("NOISY") else random.random() for _ in range(5)]
plt.plot(values)
plt.savefig("report.pdf", metadata={"CreationDate": datetime.datetime.fromtimestamp(noise() % 2_000_000_000)})
"""


@pytest.mark.parametrize("noisy", [False, True], ids=["same-plot", "different-plot"])
def test_a_pdfs_creation_date_is_ignored_and_said_but_its_content_is_compared(work: Path, noisy: bool) -> None:
    pytest.importorskip("matplotlib")
    (work / "plot.py").write_text(PLOT)
    lock = work.parent / "seedlock.lock.json"
    out = seedlock_cli(
        "verify",
        str(lock),
        "--stage",
        "train",
        "--output",
        "report.pdf",
        "--",
        sys.executable,
        "plot.py",
        cwd=work,
        env={"TMPDIR": str(work.parent / "tmp"), "NOISY": "1" if noisy else ""},
    )
    assert "  ignored report.pdf /CreationDate (run 1 vs 2, PDF rule): (D:" in out.stdout, out.stdout + out.stderr
    if noisy:
        assert out.returncode == 1
        assert "  report.pdf (run 1 vs 2): bytes differ beyond /CreationDate" in out.stdout
    else:
        assert out.returncode == 0, out.stdout + out.stderr
        assert "identical report.pdf (2 runs; 1 differences ignored)" in out.stdout


# TensorFlow's own TensorBoard writer: every event carries a wall time, the file name the time and pid.
EVENTS = """
import os, random, time, seedlock
seedlock.apply_from_env()
import tensorflow as tf
writer = tf.summary.create_file_writer("runs/train")
with writer.as_default():
    for step in range(3):
        loss = int.from_bytes(os.urandom(4), "big") if os.environ.get("NOISY") else random.random()
        tf.summary.write("loss", tf.constant(loss, tf.float32), step=step)  # the core op: no tensorboard package needed
        time.sleep(0.01)
writer.close()
"""


@pytest.mark.parametrize("noisy", [False, True], ids=["same-scalars", "different-scalars"])
def test_tensorboard_wall_times_and_file_names_are_ignored_and_said_but_values_are_compared(
    work: Path, noisy: bool
) -> None:
    pytest.importorskip("tensorflow")
    (work / "events.py").write_text(EVENTS)
    lock = work.parent / "seedlock.lock.json"
    out = seedlock_cli(
        "verify",
        str(lock),
        "--stage",
        "train",
        "--output",
        "runs",
        "--",
        sys.executable,
        "events.py",
        cwd=work,
        env={"TMPDIR": str(work.parent / "tmp"), "NOISY": "1" if noisy else ""},
    )
    assert "(run 1 vs 2, TensorBoard rule): wall times of 4 of 4 events" in out.stdout, out.stdout + out.stderr
    assert "  ignored runs/train/events.out.tfevents." in out.stdout
    assert "(run 1 vs 2, TensorBoard rule): file name events.out.tfevents." in out.stdout
    if noisy:
        assert out.returncode == 1
        assert " (run 1 vs 2): event 1 (step 0, tag 'loss') differs beyond its wall time" in out.stdout
    else:
        assert out.returncode == 0, out.stdout + out.stderr
        assert "identical runs (2 runs; 2 differences ignored)" in out.stdout


def test_an_output_missing_in_one_run_is_said_so(tmp_path: Path) -> None:
    from seedlock.launching.compare import compare_paths
    from seedlock.launching.volatile import compare_output

    (tmp_path / "run1" / "out").mkdir(parents=True)
    (tmp_path / "run1" / "out" / "x.txt").write_text("1")
    (tmp_path / "run3").mkdir()
    found = compare_output(tmp_path / "run1" / "out", tmp_path / "run3" / "out", "out", runs=(1, 3))
    assert [(d.where, d.what) for d in found.differences] == [("out", "missing in run 3")]
    assert [(d.where, d.what) for d in compare_paths(tmp_path / "run1" / "out", tmp_path / "run3" / "out", "out")] == [
        ("out", "missing in the second run")
    ]
