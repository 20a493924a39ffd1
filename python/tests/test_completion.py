"""`seedlock completion SHELL` prints a script the real shell accepts and that completes seedlock's
commands and flags (generated from the parser by shtab, so new flags complete without edits)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import seedlock_cli


def _shell(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        if os.environ.get("CI"):
            pytest.fail(f"{name} is not installed (scripts/setup.sh installs it)")
        pytest.skip(f"{name} is not installed: run `make setup`")
    return found


def _script(tmp_path: Path, shell: str) -> Path:
    out = seedlock_cli("completion", shell)
    assert out.returncode == 0, out.stderr
    path = tmp_path / f"seedlock.{shell}"
    path.write_text(out.stdout)
    return path


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_each_completion_script_passes_the_shells_own_syntax_check(tmp_path: Path, shell: str) -> None:
    script = _script(tmp_path, shell)
    done = subprocess.run([_shell(shell), "-n", str(script)], capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stderr) == (0, "")


def test_bash_completes_commands_and_their_flags(tmp_path: Path) -> None:
    script = _script(tmp_path, "bash")

    def complete(*words: str) -> list[str]:
        line = " ".join(words)
        code = (
            f"source {script}; COMP_WORDS=({line}); COMP_CWORD={len(words) - 1}; COMP_LINE='{line}';"
            f" COMP_POINT={len(line)}; _shtab_seedlock; printf '%s\\n' \"${{COMPREPLY[@]}}\""
        )
        done = subprocess.run([_shell("bash"), "-c", code], capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        return done.stdout.split()

    assert complete("seedlock", "re") == ["resolve", "replicate", "report", "rerun"]
    # --stage completes to the stages of the lock or manifest already on the line.
    (tmp_path / "m.json").write_text(
        '{"version": "1.0", "seed": 1, "stages": {"prep": {"frameworks": ["numpy"]}, '
        '"train": {"frameworks": ["numpy"]}}}'
    )
    assert complete("seedlock", "run", str(tmp_path / "m.json"), "--stage", "''") == ["prep", "train"]
    assert complete("seedlock", "run", str(tmp_path / "m.json"), "--stage", "tr") == ["train"]
    assert "--github-output" in complete("seedlock", "resolve", "--gi")
    assert complete("seedlock", "completion", "") == ["bash", "zsh", "fish"]


def test_fish_completes_commands_with_their_help(tmp_path: Path) -> None:
    script = _script(tmp_path, "fish")
    done = subprocess.run(
        [_shell("fish"), "-c", f"source {script}; complete -C 'seedlock re'"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "replicate\trun N replicates of a stage (locally, on Slurm or Ray) into the ledger",
        "report\tstatistics of a replicate group's metrics; --vs: is the change real?",
        "rerun\twrite the exact lock of a recorded run",
        "resolve\tresolve a manifest into a lock (env overrides, generate, provenance)",
    ]


def test_zsh_loads_the_script_as_a_completion_function(tmp_path: Path) -> None:
    script = _script(tmp_path, "zsh")
    done = subprocess.run(
        [
            _shell("zsh"),
            "-f",
            "-c",
            f"autoload -U compinit; compinit -u -D; source {script}; whence -w _shtab_seedlock",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "HOME": str(tmp_path)},
    )
    assert (done.returncode, done.stdout) == (0, "_shtab_seedlock: function\n"), done.stderr


def test_an_unknown_shell_is_a_usage_error() -> None:
    out = seedlock_cli("completion", "tcsh")
    assert out.returncode == 2
    assert out.stderr.startswith("seedlock: usage error: argument shell: invalid choice: 'tcsh'")


def test_fish_completes_stage_names_from_the_document_on_the_line(tmp_path: Path) -> None:
    script = _script(tmp_path, "fish")
    (tmp_path / "m.json").write_text(
        '{"version": "1.0", "seed": 1, "stages": {"prep": {"frameworks": ["numpy"]}, '
        '"train": {"frameworks": ["numpy"]}}}'
    )
    bin_dir = Path(os.environ.get("VIRTUAL_ENV", "")) / "bin"
    env = {**os.environ, "PATH": f"{Path(__import__('sys').executable).parent}:{bin_dir}:{os.environ['PATH']}"}
    done = subprocess.run(
        [_shell("fish"), "-c", f"source {script}; complete -C 'seedlock run m.json --stage '"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    assert [line.split("\t")[0] for line in done.stdout.splitlines()] == ["prep", "train"]
