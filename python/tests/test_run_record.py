"""The run record describes the run that happened; the reuse check compares the stage that runs.

Regression tests for the defects of issue 13, each written from the path a user takes: resolve once,
run the stages later, change code between runs, run pipelines concurrently on two runners.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import child_environ, seedlock_cli
from seedlock.records.provenance import git_state

PIPELINE = {
    "version": "1.0",
    "seed": 7,
    "inputs": ["data.csv"],
    "params": ["params.json"],
    "stages": {
        "split": {"frameworks": ["python"]},
        "train": {"frameworks": ["python"]},
        "evaluate": {"frameworks": ["python"]},
    },
}
_CLEAN_ENV = dict.fromkeys(("CI", "GITLAB_CI", "GITHUB_ACTIONS", "SEEDLOCK_LEDGER", "SEEDLOCK_SEED"), "")


def _git(work: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-C", str(work), "-c", "user.email=t@example.invalid", "-c", "user.name=t", *args],
        check=True,
        capture_output=True,
    )


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A project in git: manifest, data, params, an evaluation script; outputs ignored."""
    work = tmp_path / "proj"
    work.mkdir()
    (work / "pipeline.json").write_text(json.dumps(PIPELINE))
    (work / "data.csv").write_text("x\n1\n2\n")
    (work / "params.json").write_text('{"lr": 0.1}')
    (work / "evaluate.py").write_text("print('score 1')\n")
    (work / ".gitignore").write_text("*.lock.json\nout/\n")
    _git(work, "init", "-q")
    _git(work, "add", "-A")
    _git(work, "commit", "-qm", "first")
    return work


def cli(work: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return seedlock_cli(
        *args, cwd=work, env={**_CLEAN_ENV, "SEEDLOCK_LEDGER": str(work.parent / "ledger.sqlite"), **(env or {})}
    )


def history(work: Path, *args: str) -> list[dict]:
    out = cli(work, "history", "--format", "json", "--limit", "0", *args)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_a_run_after_a_code_change_is_recorded_with_its_own_commit_and_is_not_refused(repo: Path) -> None:
    assert cli(repo, "resolve", "pipeline.json", "-o", "p.lock.json", "--record").returncode == 0
    first = cli(repo, "run", "p.lock.json", "--stage", "evaluate", "--record", "--", sys.executable, "evaluate.py")
    assert first.returncode == 0, first.stderr
    (repo / "evaluate.py").write_text("print('score 2')\n")
    _git(repo, "commit", "-qam", "better evaluation")
    head = subprocess.run(["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    again = cli(
        repo,
        "run",
        "p.lock.json",
        "--stage",
        "evaluate",
        "--record",
        "--check-reuse",
        "--strict",
        "--",
        sys.executable,
        "evaluate.py",
    )
    assert again.returncode == 0, again.stderr
    assert "adds no information" not in again.stderr
    assert "with the commit changed (same command, inputs and params)" in again.stderr
    newest = history(repo)[0]
    assert (newest["event"], newest["stage"], newest["git_commit"]) == ("run", "evaluate", head)
    resolved = json.loads((repo / "p.lock.json").read_text())["provenance"]
    assert newest["created"] >= resolved["created"] and newest["git_commit"] != resolved["git"]["commit"]


def test_a_run_of_a_lock_without_provenance_still_has_its_date(repo: Path) -> None:
    assert cli(repo, "resolve", "pipeline.json", "-o", "p.lock.json", "--no-provenance").returncode == 0
    out = cli(repo, "run", "p.lock.json", "--stage", "split", "--record", "--", sys.executable, "-c", "pass")
    assert out.returncode == 0, out.stderr
    (record,) = history(repo)
    assert record["created"].startswith("20") and record["created"].endswith("Z")
    assert record["git_commit"] and record["exit_code"] == 0


def test_an_untracked_new_module_makes_the_tree_dirty_but_an_ignored_file_does_not(repo: Path) -> None:
    assert git_state(repo) == {"commit": git_state(repo)["commit"], "dirty": False}  # type: ignore[index]
    (repo / "out").mkdir()
    (repo / "out" / "model.bin").write_text("ignored output")
    (repo / "x.lock.json").write_text("{}")
    assert git_state(repo)["dirty"] is False  # type: ignore[index]
    (repo / "features.py").write_text("SCALE = 2\n")
    assert git_state(repo)["dirty"] is True  # type: ignore[index]


def test_an_untracked_module_means_a_repeat_is_not_reported_as_adding_no_information(repo: Path) -> None:
    assert cli(repo, "resolve", "pipeline.json", "-o", "p.lock.json").returncode == 0
    assert (
        cli(repo, "run", "p.lock.json", "--stage", "train", "--record", "--", sys.executable, "-c", "pass").returncode
        == 0
    )
    (repo / "features.py").write_text("SCALE = 2\n")
    out = cli(
        repo,
        "run",
        "p.lock.json",
        "--stage",
        "train",
        "--record",
        "--check-reuse",
        "--strict",
        "--",
        sys.executable,
        "-c",
        "pass",
    )
    assert out.returncode == 0, out.stderr
    assert "adds no information" not in out.stderr


def test_the_reuse_check_compares_only_the_stage_that_runs_and_reports_one_line(repo: Path) -> None:
    assert cli(repo, "resolve", "pipeline.json", "-o", "p.lock.json", "--record").returncode == 0
    for stage in ("split", "train", "evaluate", "split", "train", "evaluate"):
        assert (
            cli(repo, "run", "p.lock.json", "--stage", stage, "--record", "--", sys.executable, "-c", "pass").returncode
            == 0
        )
    evaluate_runs = history(repo, "--stage", "evaluate")
    assert len(evaluate_runs) == 2 and {r["stage"] for r in evaluate_runs} == {"evaluate"}
    out = cli(repo, "run", "p.lock.json", "--stage", "evaluate", "--check-reuse", "--", sys.executable, "-c", "pass")
    assert out.returncode == 0
    lines = [line for line in out.stderr.splitlines() if line.startswith("seedlock:")]
    assert len(lines) == 1, lines
    assert "stage 'evaluate'" in lines[0] and "'split'" not in lines[0]
    assert evaluate_runs[0]["run"][:10] in lines[0]  # the most recent match
    assert "same command, code, inputs and params" in lines[0]


def test_history_prints_one_line_per_matching_run(repo: Path) -> None:
    assert cli(repo, "resolve", "pipeline.json", "-o", "p.lock.json", "--record").returncode == 0
    for stage in ("split", "train", "evaluate"):
        assert (
            cli(repo, "run", "p.lock.json", "--stage", stage, "--record", "--", sys.executable, "-c", "pass").returncode
            == 0
        )
    table = cli(repo, "history", "--stage", "train")
    assert table.returncode == 0
    assert len(table.stdout.splitlines()) == 2  # header + the one train run


def test_two_runners_never_give_two_pipelines_the_same_run_id(repo: Path, tmp_path: Path) -> None:
    # Two CI runners, each with its own copy of the ledger (as the shipped examples' caches were).
    ids = []
    for runner in ("a", "b"):
        env = {"SEEDLOCK_LEDGER": str(tmp_path / f"{runner}.sqlite"), "SEEDLOCK_SEED": "generate"}
        out = cli(repo, "resolve", "pipeline.json", "-o", f"{runner}.lock.json", "--record", env=env)
        assert out.returncode == 0, out.stderr
        ids.append(history(repo, "--ledger", str(tmp_path / f"{runner}.sqlite"))[0]["run"])
    assert ids[0] != ids[1]
    # Moving records between ledgers keeps ids, so `rerun` replays the pipeline that was asked for.
    export = cli(repo, "ledger", "export", "-o", str(tmp_path / "b.jsonl"), "--ledger", str(tmp_path / "b.sqlite"))
    assert export.returncode == 0, export.stderr
    for _ in range(2):  # importing twice changes nothing the second time
        assert (
            cli(repo, "ledger", "import", str(tmp_path / "b.jsonl"), "--ledger", str(tmp_path / "a.sqlite")).returncode
            == 0
        )
    merged = history(repo, "--ledger", str(tmp_path / "a.sqlite"))
    assert sorted(r["run"] for r in merged) == sorted(ids)
    out = cli(repo, "rerun", ids[1][:8], "-o", "replay.lock.json", "--ledger", str(tmp_path / "a.sqlite"))
    assert out.returncode == 0, out.stderr
    assert (repo / "replay.lock.json").read_bytes() == (repo / "b.lock.json").read_bytes()


def test_rerun_of_an_unknown_run_is_an_unknown_run_error(repo: Path) -> None:
    assert cli(repo, "resolve", "pipeline.json", "-o", "p.lock.json", "--record").returncode == 0
    out = cli(repo, "rerun", "999", "-o", "x.lock.json")
    assert out.returncode == 2
    assert out.stderr.startswith("seedlock: error[unknown-run] No run 999 in the ledger ")
    assert not (repo / "x.lock.json").exists()


def test_the_run_record_holds_the_run_time_hashes_versions_and_platform(repo: Path) -> None:
    assert cli(repo, "resolve", "pipeline.json", "-o", "p.lock.json").returncode == 0
    out = cli(
        repo, "run", "p.lock.json", "--stage", "split", "--record", "--", sys.executable, "-c", "raise SystemExit(4)"
    )
    assert out.returncode == 4
    (record,) = history(repo)
    lock = json.loads((repo / "p.lock.json").read_text())
    assert record["exit_code"] == 4 and record["pipeline"] == lock["provenance"]["id"]
    run = record["provenance"]
    assert run["inputs"] == lock["provenance"]["inputs"] and run["params"] == lock["provenance"]["params"]
    assert run["frameworks"] == {"python": lock["provenance"]["python"]}
    assert run["platform"] == lock["provenance"]["platform"] and run["python"]
    assert record["inputs_sha256"] and record["params_sha256"]


def test_a_changed_input_is_reported_at_the_start_of_a_run_and_strict_refuses_it(repo: Path) -> None:
    assert cli(repo, "resolve", "pipeline.json", "-o", "p.lock.json").returncode == 0
    (repo / "data.csv").write_text("x\n1\n2\n3\n")
    out = cli(repo, "run", "p.lock.json", "--stage", "split", "--", sys.executable, "-c", "print('ran')")
    assert out.returncode == 0 and "ran" in out.stdout
    assert "data.csv changed since the lock was resolved" in out.stderr
    strict = cli(repo, "run", "p.lock.json", "--stage", "split", "--strict", "--", sys.executable, "-c", "print('ran')")
    assert strict.returncode == 2 and "ran" not in strict.stdout
    assert strict.stderr == (
        "seedlock: error[lock-mismatch] p.lock.json: input data.csv changed since the lock was "
        "resolved (not a repeat of the locked run) at '/provenance/inputs/data.csv'\n"
    )
    # Strict names every difference on its one line, as the warnings would have listed them.
    (repo / "params.json").write_text('{"lr": 0.2}')
    strict = cli(repo, "run", "p.lock.json", "--stage", "split", "--strict", "--", sys.executable, "-c", "print('ran')")
    assert strict.stderr == (
        "seedlock: error[lock-mismatch] p.lock.json: input data.csv changed since the lock was "
        "resolved (not a repeat of the locked run); parameter file params.json changed since the "
        "lock was resolved (not a repeat of the locked run) at '/provenance/inputs/data.csv'\n"
    )


def test_a_different_framework_version_is_a_warning_naming_what_can_change_the_numbers(repo: Path) -> None:
    assert cli(repo, "resolve", "pipeline.json", "-o", "p.lock.json").returncode == 0
    lock = json.loads((repo / "p.lock.json").read_text())
    lock["provenance"]["frameworks"]["python"] = "3.0.1"
    lock["provenance"]["platform"] = "Plan9-4-mips"
    (repo / "p.lock.json").write_text(json.dumps(lock))
    out = cli(repo, "run", "p.lock.json", "--stage", "split", "--", sys.executable, "-c", "pass")
    assert out.returncode == 0
    # (The version here is the child interpreter's; under the full suite a library path set by an
    # embedded R can make it differ from this test process's, so it is not compared.)
    assert re.search(r"python \S+ here, 3\.0\.1 when locked", out.stderr), out.stderr
    assert "here, Plan9-4-mips when locked" in out.stderr
    assert "reproduction, not repetition" in out.stderr
    # apply() in a child started outside `seedlock run` performs the same check.
    env = {**child_environ(), **_CLEAN_ENV, "SEEDLOCK_LOCK": str(repo / "p.lock.json"), "SEEDLOCK_STAGE": "split"}
    child = subprocess.run(
        [sys.executable, "-c", "import seedlock; seedlock.apply_from_env(strict=True)"],
        capture_output=True,
        text=True,
        env=env,
        cwd=repo,
    )
    assert child.returncode != 0
    assert "p.lock.json: python " in child.stderr and "at '/provenance/frameworks/python'" in child.stderr


@pytest.mark.parametrize("written", ["with -o", "to standard output"])
def test_a_lock_kept_in_another_directory_finds_its_inputs_from_any_working_directory(
    tmp_path: Path, written: str
) -> None:
    project = tmp_path / "project"
    (project / "data").mkdir(parents=True)
    (project / "locks").mkdir()
    (project / "data" / "x.csv").write_text("1\n")
    (project / "pipeline.json").write_text(
        json.dumps({"version": "1.0", "seed": 1, "inputs": ["data/x.csv"], "stages": {"s": {"frameworks": ["python"]}}})
    )
    lock = project / "locks" / "s.lock.json"
    if written == "with -o":
        assert seedlock_cli("resolve", "pipeline.json", "-o", "locks/s.lock.json", cwd=project).returncode == 0
        assert json.loads(lock.read_text())["manifest"]["path"] == "../pipeline.json"
    else:
        out = seedlock_cli("resolve", "pipeline.json", cwd=project)
        lock.write_text(out.stdout)
        assert json.loads(lock.read_text())["manifest"]["path"] == "pipeline.json"
    strict = ["--stage", "s", "--strict", "--", sys.executable, "-c", "print('ran')"]
    for cwd, path in ((project, "locks/s.lock.json"), (project / "locks", "s.lock.json"), (tmp_path, str(lock))):
        out = seedlock_cli("run", path, *strict, cwd=cwd)
        assert (out.returncode, out.stdout, out.stderr) == (0, "ran\n", ""), (cwd, out.stderr)
    (project / "data" / "x.csv").write_text("2\n")
    out = seedlock_cli("run", str(lock), *strict, cwd=tmp_path)
    assert out.returncode == 2 and "input data/x.csv changed since the lock was resolved" in out.stderr


def test_a_lock_left_untracked_by_a_ci_step_does_not_hide_a_repeat(repo: Path) -> None:
    # CI writes the lock in one step and runs stages with it in the next: the lock is untracked and not
    # ignored, yet it is no change to the code (its seeds are compared on their own).
    assert cli(repo, "resolve", "pipeline.json", "-o", "ci-lock.json").returncode == 0
    run = [
        "run",
        "ci-lock.json",
        "--stage",
        "train",
        "--record",
        "--check-reuse",
        "--strict",
        "--",
        sys.executable,
        "-c",
        "pass",
    ]
    assert cli(repo, *run).returncode == 0
    assert history(repo)[0]["git_dirty"] is False
    out = cli(repo, *run)
    assert out.returncode == 1 and "it adds no information" in out.stderr, out.stderr


def test_a_repeat_in_a_tree_with_uncommitted_changes_says_the_code_cannot_be_compared(repo: Path) -> None:
    assert cli(repo, "resolve", "pipeline.json", "-o", "p.lock.json").returncode == 0
    (repo / "features.py").write_text("SCALE = 2\n")
    run = ["run", "p.lock.json", "--stage", "train", "--record", "--check-reuse", "--", sys.executable, "-c", "pass"]
    assert cli(repo, *run).returncode == 0
    out = cli(repo, *run)
    assert out.returncode == 0
    assert (
        "with the same command, inputs and params, but whether the code is the same cannot be told: "
        "this working tree has "
        "uncommitted changes (commit them to let this check tell a repeat)"
    ) in out.stderr, out.stderr
    assert "the commit changed" not in out.stderr and "code changed" not in out.stderr


def test_a_manifest_edited_after_resolve_is_a_stale_lock_and_strict_refuses_it(repo: Path) -> None:
    assert cli(repo, "resolve", "pipeline.json", "-o", "p.lock.json").returncode == 0
    # Only white space and member order: the same manifest (its canonical form is unchanged).
    (repo / "pipeline.json").write_text(json.dumps(dict(reversed(PIPELINE.items())), indent=4))
    quiet = cli(repo, "run", "p.lock.json", "--stage", "split", "--strict", "--", sys.executable, "-c", "print('ran')")
    assert quiet.returncode == 0 and "manifest" not in quiet.stderr, quiet.stderr
    # A new pinned seed: the lock still holds the old ones.
    (repo / "pipeline.json").write_text(json.dumps({**PIPELINE, "seed": 9}))
    out = cli(repo, "run", "p.lock.json", "--stage", "split", "--", sys.executable, "-c", "print('ran')")
    assert out.returncode == 0 and "ran" in out.stdout
    assert (
        "seedlock: warning: manifest pipeline.json changed since the lock was resolved: this lock no longer "
        "describes it" in out.stderr
    )
    strict = cli(repo, "run", "p.lock.json", "--stage", "split", "--strict", "--", sys.executable, "-c", "print('ran')")
    assert strict.returncode == 2 and "ran" not in strict.stdout
    assert strict.stderr.startswith("seedlock: error[lock-mismatch] p.lock.json: manifest pipeline.json changed")
    assert strict.stderr.endswith(" at '/manifest/sha256'\n") and strict.stderr.count("\n") == 1


def test_a_program_applying_from_the_environment_hears_of_a_stale_lock_too(repo: Path) -> None:
    assert cli(repo, "resolve", "pipeline.json", "-o", "p.lock.json").returncode == 0
    (repo / "pipeline.json").write_text(json.dumps({**PIPELINE, "seed": 9}))
    env = {**child_environ(), **_CLEAN_ENV, "SEEDLOCK_LOCK": "p.lock.json", "SEEDLOCK_STAGE": "split"}
    out = subprocess.run(
        [sys.executable, "-c", "import seedlock; seedlock.apply_from_env()"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0 and "manifest pipeline.json changed since the lock was resolved" in out.stderr


def test_seed_variables_set_for_a_run_are_named_with_what_to_do_instead(repo: Path) -> None:
    assert cli(repo, "resolve", "pipeline.json", "-o", "p.lock.json").returncode == 0
    out = cli(
        repo,
        "run",
        "p.lock.json",
        "--stage",
        "split",
        "--",
        sys.executable,
        "-c",
        "print('ran')",
        env={"SEEDLOCK_SEED": "9", "SEEDLOCK_SEED_SPLIT": "generate"},
    )
    assert out.returncode == 0 and "ran" in out.stdout
    assert (
        "seedlock: warning: SEEDLOCK_SEED, SEEDLOCK_SEED_SPLIT are set but a lock is final: its seeds are used; "
        "to run with other seeds, resolve the manifest again with the variable set"
    ) in out.stderr


def test_a_run_repeats_another_only_if_that_run_succeeded_with_the_same_command(repo: Path) -> None:
    assert cli(repo, "resolve", "pipeline.json", "-o", "p.lock.json").returncode == 0
    failing = [sys.executable, "-c", "raise SystemExit(3)"]
    evaluate = [sys.executable, "evaluate.py"]
    assert cli(repo, "run", "p.lock.json", "--stage", "evaluate", "--record", "--", *failing).returncode == 3
    first = cli(
        repo, "run", "p.lock.json", "--stage", "evaluate", "--record", "--check-reuse", "--strict", "--", *evaluate
    )
    assert first.returncode == 0, first.stderr  # a first real run is not refused as a repeat of a failed one
    assert "adds no information" not in first.stderr
    assert re.search(
        r"uses the seeds of run \w+ \(.*, which failed with exit code 3\) with the command changed", first.stderr
    ), first.stderr
    again = cli(repo, "run", "p.lock.json", "--stage", "evaluate", "--check-reuse", "--", *evaluate)
    assert "it adds no information" in again.stderr
    other = cli(repo, "run", "p.lock.json", "--stage", "evaluate", "--check-reuse", "--", sys.executable, "-c", "pass")
    assert "adds no information" not in other.stderr and "with the command changed" in other.stderr


def test_a_failed_run_of_the_same_command_is_named_as_failed_not_as_a_repeat(repo: Path) -> None:
    assert cli(repo, "resolve", "pipeline.json", "-o", "p.lock.json").returncode == 0
    flaky = [sys.executable, "-c", "import os, sys; sys.exit(int(os.environ.get('FAIL', '0')))"]
    assert (
        cli(repo, "run", "p.lock.json", "--stage", "split", "--record", "--", *flaky, env={"FAIL": "4"}).returncode == 4
    )
    out = cli(repo, "run", "p.lock.json", "--stage", "split", "--check-reuse", "--strict", "--", *flaky)
    assert out.returncode == 0, out.stderr
    assert (
        "not a repeat of a result, since that run failed" in out.stderr
        and "which failed with exit code 4" in out.stderr
    )
