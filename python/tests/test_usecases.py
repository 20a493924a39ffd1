"""The commands' use cases called as library functions: plain arguments in, frozen results out.

The command line only parses, calls one of these and prints (test_cli.py and the other CLI tests hold
its output); here the same work is done without it, as tests and other commands do.
"""

from __future__ import annotations

import dataclasses
import io
import json
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
import seedlock
from conftest import child_environ, seedlock_cli
from seedlock import usecases
from seedlock.ledger import Filters
from seedlock.spec.errors import SeedlockError, SeedlockWarning

PIPELINE = {
    "version": "1.0",
    "seed": 7,
    "stages": {"prepare": {"frameworks": ["python"]}, "train": {"frameworks": ["python", "numpy"]}},
}
_CLEAN_ENV = {"CI": "", "GITLAB_CI": "", "GITHUB_ACTIONS": "", "SEEDLOCK_SEED": ""}


def _git(work: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-C", str(work), "-c", "user.email=t@example.invalid", "-c", "user.name=t", *args],
        check=True,
        capture_output=True,
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A manifest in a git repository, locks ignored."""
    work = tmp_path / "proj"
    work.mkdir()
    (work / "pipeline.json").write_text(json.dumps(PIPELINE))
    (work / ".gitignore").write_text("*.lock.json\n")
    _git(work, "init", "-q")
    _git(work, "add", "-A")
    _git(work, "commit", "-qm", "first")
    return work


def test_resolve_writes_the_lock_and_returns_it_with_what_was_written(project: Path) -> None:
    lock_path = project / "p.lock.json"
    dotenv = project / "seeds.env"
    result = usecases.resolve(
        str(project / "pipeline.json"), output=lock_path, provenance=False, dotenv=str(dotenv), environ={}
    )
    assert dataclasses.is_dataclass(result) and result.stopped is False
    assert result.written == (str(lock_path), str(dotenv))
    assert lock_path.read_text() == result.text
    assert seedlock.load_lock(lock_path).stages["train"].seed == result.lock.stages["train"].seed
    assert dotenv.read_text().splitlines()[0] == f"SEEDLOCK_SEED={result.lock.root.seed}"
    assert result.record is None and result.ledger is None and result.reuse is None and result.warnings == ()


def test_resolve_writes_to_a_stream_when_given_one_and_nothing_when_given_no_output(project: Path) -> None:
    stream = io.StringIO()
    streamed = usecases.resolve(str(project / "pipeline.json"), output=stream, provenance=False, environ={})
    assert stream.getvalue() == streamed.text and streamed.written == ()
    quiet = usecases.resolve(str(project / "pipeline.json"), provenance=False, environ={})
    assert json.loads(quiet.text)["root"]["seed"] == 7 and quiet.written == ()


def test_resolve_returns_the_warnings_it_issues_and_strict_makes_them_errors(project: Path) -> None:
    env = {"SEEDLOCK_SEED_TRIAN": "5"}
    with warnings.catch_warnings(record=True) as issued:
        warnings.simplefilter("always")
        result = usecases.resolve(str(project / "pipeline.json"), provenance=False, environ=env)
    assert [w.code for w in result.warnings] == ["unknown-stage-variable"]
    assert [type(w.message) for w in issued] == [SeedlockWarning]  # still a Python warning for library callers
    with pytest.raises(SeedlockError) as refused:
        usecases.resolve(str(project / "pipeline.json"), provenance=False, strict=True, environ=env)
    assert refused.value.code == "unknown-stage-variable" and str(refused.value).startswith(str(project))


def test_resolve_of_a_manifest_with_two_faults_raises_both(tmp_path: Path) -> None:
    manifest = tmp_path / "m.json"
    manifest.write_text(json.dumps({"version": "1.0", "seed": -1, "stages": {"s": {"frameworks": ["nosuch"]}}}))
    with pytest.raises(usecases.DocumentFaults) as raised:
        usecases.resolve(str(manifest), environ={})
    assert len(raised.value.problems) == 2 and raised.value.code == raised.value.problems[0].code
    assert isinstance(raised.value, SeedlockError)  # callers that catch SeedlockError still catch it


def test_a_recorded_resolve_is_in_the_history_and_rerun_gives_its_exact_lock(project: Path) -> None:
    ledger = str(project.parent / "ledger.sqlite")
    result = usecases.resolve(
        str(project / "pipeline.json"), output=project / "p.lock.json", record=True, ledger=ledger, environ=_CLEAN_ENV
    )
    assert result.record is not None and result.ledger == ledger
    found = usecases.history(Filters(), ledger=ledger)
    assert [r.run for r in found.records] == [result.record.run] and found.damaged is None
    again = project / "again.lock.json"
    record = usecases.rerun(result.record.run[:8], output=again, ledger=ledger)
    assert record.run == result.record.run and again.read_text() == result.text


def test_history_of_a_stage_no_record_has_is_unknown_stage_with_the_recorded_ones(project: Path) -> None:
    ledger = str(project.parent / "ledger.sqlite")
    lock = project / "p.lock.json"
    usecases.resolve(str(project / "pipeline.json"), output=lock, environ=_CLEAN_ENV)
    task = usecases.start_replicate(
        str(lock), "train", ["true"], replicate="0", record=True, ledger=ledger, environ=_CLEAN_ENV
    )
    assert usecases.run_replicate(task, auto_seed=False).exit_code == 0
    with pytest.raises(SeedlockError) as unknown:
        usecases.history(Filters(stage="trian"), ledger=ledger)
    assert unknown.value.code == "unknown-stage" and "did you mean 'train'" in str(unknown.value)


def test_check_says_no_past_run_before_any_and_finds_the_recorded_run_after(project: Path) -> None:
    ledger = str(project.parent / "ledger.sqlite")
    lock = project / "p.lock.json"
    usecases.resolve(str(project / "pipeline.json"), output=lock, environ=_CLEAN_ENV)
    before = usecases.check(str(lock), ["train"], ledger=ledger)
    assert before.adds_no_information is False and before.lines[0].startswith("no ledger at")
    ran = seedlock_cli(
        "run",
        "p.lock.json",
        "--stage",
        "train",
        "--record",
        "--ledger",
        ledger,
        "--no-auto-seed",
        "--",
        "true",
        cwd=project,
        env=_CLEAN_ENV,
    )
    assert ran.returncode == 0, ran.stderr
    after = usecases.check(str(lock), ["train"], ledger=ledger)
    assert after.adds_no_information is True and after.lines[0].startswith("stage 'train' repeats run ")


def test_a_replicate_index_that_is_no_number_is_refused_before_anything_runs(project: Path) -> None:
    with pytest.raises(SeedlockError) as refused:
        usecases.start_replicate(str(project / "missing.lock.json"), "train", ["true"], replicate="x")
    assert refused.value.code == "invalid-value"  # not io-error: the index is checked before the lock is read


def test_the_replicate_job_has_a_fresh_group_an_absolute_lock_and_the_working_directory(project: Path) -> None:
    job = usecases.replicate("p.lock.json", "train", ["true"], count=3, cwd=str(project))
    assert job.group.startswith("train") and Path(job.lock_path).is_absolute() and job.cwd == str(project)
    assert list(job.indices) == [0, 1, 2]


def test_verify_runs_the_command_from_the_lock_and_returns_its_verdict(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lock = project / "p.lock.json"
    usecases.resolve(str(project / "pipeline.json"), output=lock, provenance=False, environ={})
    monkeypatch.chdir(project)
    program = "import os; open('out.txt', 'w').write(os.environ['SEEDLOCK_STAGE'])"
    result = usecases.verify(
        str(lock), "train", [sys.executable, "-c", program], ["out.txt"], auto_seed=False, locate="never"
    )
    assert result.status == 0 and result.reproducible


def _git_ran(trace: Path) -> bool:
    return trace.exists() and trace.stat().st_size > 0


def test_a_replicate_run_without_record_or_reuse_check_runs_no_git(project: Path, tmp_path: Path) -> None:
    # git (and the CI look-ups) are for the run's record; a plain replicate only checks the lock.
    assert seedlock_cli("resolve", "pipeline.json", "-o", "p.lock.json", "--no-provenance", cwd=project).returncode == 0
    trace = tmp_path / "git-trace"
    env = {**_CLEAN_ENV, "GIT_TRACE2": str(trace)}
    plain = seedlock_cli(
        "run",
        "p.lock.json",
        "--stage",
        "train",
        "--replicate",
        "0",
        "--no-auto-seed",
        "--",
        "true",
        cwd=project,
        env=env,
    )
    assert plain.returncode == 0, plain.stderr
    assert not _git_ran(trace)
    recorded = seedlock_cli(
        "run",
        "p.lock.json",
        "--stage",
        "train",
        "--replicate",
        "0",
        "--record",
        "--ledger",
        str(tmp_path / "l.sqlite"),
        "--no-auto-seed",
        "--",
        "true",
        cwd=project,
        env=env,
    )
    assert recorded.returncode == 0, recorded.stderr
    assert _git_ran(trace)  # the trace does see git when the record needs it


def test_a_replicate_run_reads_a_lock_from_a_pipe_once(project: Path) -> None:
    assert seedlock_cli("resolve", "pipeline.json", "-o", "p.lock.json", "--no-provenance", cwd=project).returncode == 0
    script = (
        f"exec {sys.executable} -m seedlock run <(cat p.lock.json) --stage train --replicate 0 --no-auto-seed -- true"
    )
    ran = subprocess.run(
        ["bash", "-c", script],
        check=False,
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
        env={**child_environ(), **_CLEAN_ENV},
    )
    assert ran.returncode == 0, ran.stderr


def test_validate_reports_each_file_once_with_its_faults_or_its_kind(project: Path) -> None:
    lock = project / "p.lock.json"
    usecases.resolve(str(project / "pipeline.json"), output=lock, provenance=False, environ={})
    bad = project / "bad.json"
    bad.write_text('{"version": "1.0", "seed": -1, "stages": {}}')
    checked = usecases.validate([str(lock), str(bad), str(lock)], manifest=str(project / "pipeline.json"))
    assert [(c.path, c.kind, c.stages) for c in checked] == [(str(lock), "lock", 2), (str(bad), None, 0)]
    assert checked[0].problems == () and checked[1].problems[0].code == "seed-out-of-range"


def test_validate_reads_a_lock_from_a_pipe_once(project: Path) -> None:
    assert seedlock_cli("resolve", "pipeline.json", "-o", "p.lock.json", "--no-provenance", cwd=project).returncode == 0
    script = f"exec {sys.executable} -m seedlock validate <(cat p.lock.json)"
    ran = subprocess.run(
        ["bash", "-c", script],
        check=False,
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
        env={**child_environ(), **_CLEAN_ENV},
    )
    assert ran.returncode == 0 and ran.stdout.endswith(": valid lock (2 stages)\n"), ran.stderr


def test_a_ledger_exported_and_imported_elsewhere_holds_the_same_records(project: Path) -> None:
    first, second = str(project.parent / "a.sqlite"), str(project.parent / "b.sqlite")
    usecases.resolve(
        str(project / "pipeline.json"), output=project / "p.lock.json", record=True, ledger=first, environ=_CLEAN_ENV
    )
    made = usecases.ledger_init(ledger=second)
    assert made.created is True and made.location == second and usecases.ledger_init(ledger=second).created is False
    exported = usecases.ledger_export(ledger=first, output=project.parent / "runs.jsonl")
    assert exported.count == 1 and exported.written == str(project.parent / "runs.jsonl")
    imported = usecases.ledger_import(str(project.parent / "runs.jsonl"), ledger=second)
    assert (imported.added, imported.present) == (1, 0)
    assert usecases.ledger_export(ledger=second).text == exported.text
    again = usecases.ledger_import(str(project.parent / "runs.jsonl"), ledger=second)
    assert (again.added, again.present) == (0, 1)


def test_a_record_the_ledger_could_not_take_is_spooled_and_pushed_once(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SEEDLOCK_SPOOL", str(tmp_path / "spool"))
    (tmp_path / "not-a-dir").write_text("")
    unreachable = str(tmp_path / "not-a-dir" / "ledger.sqlite")
    with pytest.raises(usecases.NotRecorded) as refused:
        usecases.resolve(
            str(project / "pipeline.json"),
            output=project / "p.lock.json",
            record=True,
            ledger=unreachable,
            environ=_CLEAN_ENV,
        )
    assert refused.value.code == "io-error" and refused.value.done.written == (str(project / "p.lock.json"),)
    good = str(tmp_path / "ledger.sqlite")
    pushed = usecases.ledger_push(ledger=good, every=True)
    assert (pushed.pushed.delivered, pushed.pushed.remaining) == (1, 0) and pushed.spool == str(tmp_path / "spool")
    assert usecases.ledger_push(ledger=good, every=True).pushed.delivered == 0
    assert [r.event for r in usecases.history(Filters(), ledger=good).records] == ["resolve"]


def test_resolve_says_it_wrote_the_lock_before_the_ledger_error_when_the_record_is_spooled(
    project: Path, tmp_path: Path
) -> None:
    (tmp_path / "not-a-dir").write_text("")
    out = seedlock_cli(
        "resolve",
        "pipeline.json",
        "-o",
        "p.lock.json",
        "--record",
        "--ledger",
        str(tmp_path / "not-a-dir" / "ledger.sqlite"),
        cwd=project,
        env={**_CLEAN_ENV, "SEEDLOCK_SPOOL": str(tmp_path / "spool")},
    )
    lines = out.stderr.splitlines()
    assert out.returncode == 2 and len(lines) == 2, out.stderr
    assert lines[0].startswith("seedlock: wrote p.lock.json (root seed 7, manifest)")
    assert lines[1].startswith("seedlock: error[io-error] ") and "ledger push" in lines[1]
