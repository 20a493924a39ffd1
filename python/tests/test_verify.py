"""`seedlock verify` as users type it: outputs by full path, users' files kept, odd outputs refused, no litter."""

from __future__ import annotations

import json
import os
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
    (work / "noisy.py").write_text("import os\nos.makedirs('out/sub', exist_ok=True)\n"
                                   "open('out/sub/w.txt', 'w').write(os.urandom(4).hex())\n"
                                   "open('out/same.txt', 'w').write('1')\n")
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
    (work / "slow.py").write_text("import os, sys, time\nopen('model.txt', 'w').write('half')\n"
                                  "print(os.getpid(), flush=True)\ntime.sleep(60)\n")
    proc = subprocess.Popen([sys.executable, "-m", "seedlock", "verify", str(work.parent / "seedlock.lock.json"),
                             "--stage", "train", "--output", "model.txt", "--", sys.executable, "slow.py"],
                            cwd=work, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "TMPDIR": str(work.parent / "tmp")})
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
    assert (work.parent / "runs" / "run1" / "model.txt").read_text() == (work.parent / "runs" / "run2" / "model.txt").read_text()


def test_a_reused_workdir_never_mixes_up_the_users_files(work: Path) -> None:
    for content in ("first", "second"):
        (work / "model.txt").write_text(content)
        out = _verify(work, "--workdir", "../runs", "--output", "model.txt", outputs="model.txt")
        assert out.returncode == 0, out.stdout + out.stderr
        assert (work / "model.txt").read_text() == content
    assert sorted(p.name for p in (work.parent / "runs").iterdir()) == ["run1", "run2"]
