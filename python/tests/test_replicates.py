"""Replicates (spec §13): the vectors, `seedlock replicate` on the local engine, `seedlock run
--replicate K|from-env`, metrics in the ledger (both backends), retries and old ledgers."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import seedlock
from conftest import child_environ, requires_r, vector_cases
from seedlock.spec.errors import SeedlockError
from seedlock.spec.replicates import replicate_stage, task_attempt, task_index

_CLEAN = dict.fromkeys(
    (
        "CI",
        "GITLAB_CI",
        "GITHUB_ACTIONS",
        "SEEDLOCK_LEDGER",
        "SEEDLOCK_SEED",
        "SLURM_JOB_ID",
        "SLURM_ARRAY_TASK_ID",
        "SLURM_ARRAY_JOB_ID",
        "SLURM_RESTART_COUNT",
        "JOB_COMPLETION_INDEX",
        "SEEDLOCK_REPLICATE_INDEX",
        "SEEDLOCK_ATTEMPT",
        "SEEDLOCK_ENGINE",
        "SEEDLOCK_REPLICATE",
        "SEEDLOCK_VARY",
        "SEEDLOCK_METRICS",
    ),
    "",
)


def _stage_of(case: dict[str, Any]) -> seedlock.LockedStage:
    return seedlock.resolve(seedlock.from_data(case["input"]["manifest"]), env={}).stage(case["input"]["stage"])


@pytest.mark.parametrize("case", vector_cases("replicate"))
def test_replicate_vectors(case: dict[str, Any], restore_global_rngs: None) -> None:
    data = case["input"]
    if "env" in data:  # task-index
        env = data["env"]
        if "error" in case:
            with pytest.raises(SeedlockError) as err:
                task_index(env), task_attempt(env)
            assert (err.value.code, err.value.pointer) == (case["error"]["code"], case["error"]["pointer"])
        else:
            assert task_index(env)[0] == case["expected"]["replicate"]
            assert task_attempt(env) == case["expected"]["attempt"]
        return
    stage = _stage_of(case)
    if "error" in case:
        with pytest.raises(SeedlockError) as err:
            replicate_stage(stage, data["replicate"], data.get("vary", []))
        assert (err.value.code, err.value.pointer) == (case["error"]["code"], case["error"]["pointer"])
        return
    rep = replicate_stage(stage, data["replicate"], data.get("vary", []))
    assert rep.seeds == case["expected"]["frameworks"]
    for query, expected in zip(data.get("streams", []), case["expected"].get("streams", []), strict=False):
        fresh = seedlock.apply_stage(replicate_stage(stage, data["replicate"], data.get("vary", [])))
        if "epoch" in query:
            fresh.seed_epoch(query["epoch"])
        name = None if query["name"] == "default" else query["name"]
        if query["framework"] == "numpy":
            got = fresh.numpy_generator(name).bit_generator.state
            assert got == np.random.PCG64(expected).state, query
        else:
            assert fresh.torch_generator(name).initial_seed() == expected, query


def test_a_varied_stream_is_the_replicates_in_dataloader_workers_too() -> None:
    from seedlock.spec.derivation import derive, loader_worker_seed

    lock = seedlock.resolve(
        seedlock.from_data({"version": "1.1", "seed": 1, "stages": {"train": {"frameworks": ["numpy", "torch"]}}}),
        env={},
    )
    rep = replicate_stage(lock.stage("train"), 4, ["data"])
    init = seedlock.apply_stage(rep).worker_init_fn()
    assert init.varied == {"numpy": (frozenset({"data"}), 4), "torch": (frozenset({"data"}), 4)}
    w = loader_worker_seed(rep.seed_of("numpy"), 1, 99)
    assert rep.seed_of("numpy") == lock.stage("train").seed_of("numpy")
    assert derive(w, "stream", "data", "replicate", "4") != derive(w, "stream", "data")


def test_jax_keys_of_a_varied_stream_carry_the_replicate() -> None:
    from seedlock.spec.derivation import derive

    lock = seedlock.resolve(
        seedlock.from_data({"version": "1.1", "seed": 1, "stages": {"train": {"frameworks": ["jax"]}}}), env={}
    )
    stage = lock.stage("train")
    rep = seedlock.apply_stage(replicate_stage(stage, 2, ["init"]))
    plain = seedlock.apply_stage(stage)
    assert rep.jax_seed("init") == derive(stage.seed_of("jax"), "stream", "init", "replicate", "2")
    assert rep.jax_seed("dropout") == plain.jax_seed("dropout")
    assert rep.jax_seed() == plain.jax_seed()


# --- the command line, end to end -----------------------------------------------------------------

PROGRAM = """
import json, os, random, sys
import seedlock
session = seedlock.apply_from_env()
data = session.numpy_generator("data")
init = session.numpy_generator("init")
row = {"replicate": os.environ.get("SEEDLOCK_REPLICATE"), "python": random.random(),
       "data": float(data.random()), "init": float(init.random())}
seedlock.log_metric("loss", 1.0, step=0)
seedlock.log_metric("loss", row["data"], step=1)
seedlock.log_metric("init", row["init"])
with open(sys.argv[1], "a") as out:
    out.write(json.dumps(row) + "\\n")
sys.exit(int(os.environ.get("FAIL_REPLICATE", "-1") == os.environ.get("SEEDLOCK_REPLICATE")))
"""


@pytest.fixture
def work(tmp_path: Path) -> Path:
    (tmp_path / "m.json").write_text(
        json.dumps({"version": "1.1", "seed": 42, "stages": {"train": {"frameworks": ["python", "numpy"]}}})
    )
    (tmp_path / "prog.py").write_text(PROGRAM)
    assert _cli(tmp_path, "resolve", "m.json", "-o", "lock.json").returncode == 0
    return tmp_path


def _cli(cwd: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full = {**child_environ(), **_CLEAN, "SEEDLOCK_SPOOL": str(cwd / "spool"), **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "seedlock", *args], capture_output=True, text=True, env=full, cwd=cwd, timeout=300
    )


def _rows(path: Path) -> dict[int, dict[str, Any]]:
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    return {int(r["replicate"]): r for r in rows}


def test_replicates_repeat_across_groups_and_differ_from_each_other(work: Path) -> None:
    for name in ("a", "b"):
        out = _cli(
            work,
            "replicate",
            "lock.json",
            "--stage",
            "train",
            "--seeds",
            "4",
            "--jobs",
            "2",
            "--group",
            name,
            "--ledger",
            "l.sqlite",
            "--",
            sys.executable,
            "prog.py",
            f"{name}.jsonl",
        )
        assert out.returncode == 0, out.stderr
        assert "4/4 done" in out.stderr  # progress is shown
    a, b = _rows(work / "a.jsonl"), _rows(work / "b.jsonl")
    assert a == b and sorted(a) == [0, 1, 2, 3]
    assert len({r["python"] for r in a.values()}) == 4 and len({r["data"] for r in a.values()}) == 4


def test_replicate_zero_is_the_plain_run_of_the_lock(work: Path) -> None:
    assert (
        _cli(
            work,
            "replicate",
            "lock.json",
            "--stage",
            "train",
            "--seeds",
            "1",
            "--group",
            "g",
            "--ledger",
            "l.sqlite",
            "--",
            sys.executable,
            "prog.py",
            "rep.jsonl",
        ).returncode
        == 0
    )
    plain = _cli(work, "run", "lock.json", "--stage", "train", "--", sys.executable, "prog.py", "plain.jsonl")
    assert plain.returncode == 0, plain.stderr
    rep0 = _rows(work / "rep.jsonl")[0]
    row = json.loads((work / "plain.jsonl").read_text())
    assert {k: row[k] for k in ("python", "data", "init")} == {k: rep0[k] for k in ("python", "data", "init")}


def test_vary_data_changes_only_the_data_stream(work: Path) -> None:
    out = _cli(
        work,
        "replicate",
        "lock.json",
        "--stage",
        "train",
        "--seeds",
        "3",
        "--vary",
        "data",
        "--group",
        "d",
        "--ledger",
        "l.sqlite",
        "--",
        sys.executable,
        "prog.py",
        "d.jsonl",
    )
    assert out.returncode == 0, out.stderr
    rows = _rows(work / "d.jsonl")
    assert len({r["data"] for r in rows.values()}) == 3
    assert len({r["python"] for r in rows.values()}) == 1 and len({r["init"] for r in rows.values()}) == 1


def test_an_array_task_started_by_hand_with_from_env_reproduces_its_replicate(work: Path) -> None:
    assert (
        _cli(
            work,
            "replicate",
            "lock.json",
            "--stage",
            "train",
            "--seeds",
            "3",
            "--vary",
            "numpy",
            "--group",
            "g",
            "--ledger",
            "l.sqlite",
            "--",
            sys.executable,
            "prog.py",
            "g.jsonl",
        ).returncode
        == 0
    )
    slurm = {
        "SLURM_JOB_ID": "1007",
        "SLURM_ARRAY_JOB_ID": "1005",
        "SLURM_ARRAY_TASK_ID": "2",
        "SLURM_RESTART_COUNT": "1",
    }
    out = _cli(
        work,
        "run",
        "lock.json",
        "--stage",
        "train",
        "--replicate",
        "from-env",
        "--vary",
        "numpy",
        "--group",
        "g",
        "--record",
        "--ledger",
        "l.sqlite",
        "--",
        sys.executable,
        "prog.py",
        "hand.jsonl",
        env=slurm,
    )
    assert out.returncode == 0, out.stderr
    assert _rows(work / "hand.jsonl")[2] == _rows(work / "g.jsonl")[2]
    # The retry is recorded with its attempt and the Slurm ids; the seeds are the first attempt's.
    runs = seedlock_ledger(work).replicates("g")
    assert [r.index for r in runs] == [0, 1, 2]
    third = runs[2]
    assert third.attempts == 2 and third.attempt == 1
    record = seedlock_ledger(work).get(third.run)
    assert record.provenance["task"] == {
        "engine": "slurm",
        "attempt": 1,
        "job_id": "1007",
        "array_job_id": "1005",
        "array_task_id": "2",
        "restart_count": "1",
    }
    first = next(
        r
        for r in seedlock_ledger(work).backend.records()
        if r.replicate and r.replicate["index"] == 2 and r.replicate["attempt"] == 0
    )
    assert first.replicate["seeds"] == third.seeds and first.provenance["task"]["engine"] == "local"


def seedlock_ledger(work: Path) -> Any:
    from seedlock.ledger import Ledger

    return Ledger(str(work / "l.sqlite"), spool=work / "spool")


def test_metrics_are_recorded_per_replicate_and_the_final_value_is_the_last_step(work: Path) -> None:
    out = _cli(
        work,
        "replicate",
        "lock.json",
        "--stage",
        "train",
        "--seeds",
        "3",
        "--group",
        "m",
        "--ledger",
        "l.sqlite",
        "--",
        sys.executable,
        "prog.py",
        "m.jsonl",
    )
    assert out.returncode == 0, out.stderr
    rows = _rows(work / "m.jsonl")
    runs = seedlock_ledger(work).replicates("m")
    assert [r.final("loss") for r in runs] == [rows[i]["data"] for i in range(3)]
    assert [len(r.metrics) for r in runs] == [3, 3, 3]
    only = seedlock_ledger(work).replicates("m", "init")
    assert [[m.name for m in r.metrics] for r in only] == [["init"]] * 3
    assert seedlock_ledger(work).replicates("no-such-group") == []


def test_any_program_can_append_metrics_to_the_file(work: Path) -> None:
    script = (
        'echo "{\\"name\\": \\"acc\\", \\"value\\": 0.5, \\"step\\": 2}" >> "$SEEDLOCK_METRICS"; '
        'echo "junk" >> "$SEEDLOCK_METRICS"'
    )
    out = _cli(
        work,
        "run",
        "lock.json",
        "--stage",
        "train",
        "--replicate",
        "0",
        "--record",
        "--ledger",
        "l.sqlite",
        "--no-auto-seed",
        "--",
        "sh",
        "-c",
        script,
    )
    assert out.returncode == 0, out.stderr
    assert "skipped, not a metric" in out.stderr
    (run,) = seedlock_ledger(work).replicates("train")
    assert [(m.name, m.value, m.step) for m in run.metrics] == [("acc", 0.5, 2)]


def test_a_failed_replicate_fails_the_group_and_says_which(work: Path) -> None:
    out = _cli(
        work,
        "replicate",
        "lock.json",
        "--stage",
        "train",
        "--seeds",
        "3",
        "--group",
        "f",
        "--ledger",
        "l.sqlite",
        "--",
        sys.executable,
        "prog.py",
        "f.jsonl",
        env={"FAIL_REPLICATE": "1"},
    )
    assert out.returncode == 1
    assert "2 of 3 replicates succeeded (failed: 1)" in out.stderr
    assert [r.exit_code for r in seedlock_ledger(work).replicates("f")] == [0, 1, 0]


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["--vary", "torch"], "framework-not-in-stage"),
        (["--vary", "Data"], "invalid-label"),
        (["--group", "Not A Label"], "invalid-label"),
        (["--engine", "nomad"], "invalid-value"),
    ],
)
def test_a_bad_replicate_option_is_one_error_line_before_anything_runs(work: Path, args: list[str], code: str) -> None:
    out = _cli(
        work,
        "replicate",
        "lock.json",
        "--stage",
        "train",
        "--seeds",
        "2",
        *args,
        "--ledger",
        "l.sqlite",
        "--",
        "sh",
        "-c",
        "touch ran",
    )
    assert out.returncode == 2 and out.stderr.splitlines()[-1].startswith(f"seedlock: error[{code}]"), out.stderr
    assert "Traceback" not in out.stderr and not (work / "ran").exists()


@pytest.mark.parametrize(
    ("value", "env", "code"),
    [
        ("-1", {}, "invalid-value"),
        ("01", {}, "invalid-value"),
        ("from-env", {}, "missing-environment"),
        ("from-env", {"SLURM_ARRAY_TASK_ID": "x"}, "invalid-env-value"),
    ],
)
def test_a_bad_replicate_index_is_one_error_line(work: Path, value: str, env: dict[str, str], code: str) -> None:
    out = _cli(work, "run", "lock.json", "--stage", "train", "--replicate", value, "--", "true", env=env)
    assert out.returncode == 2 and out.stderr.strip().splitlines()[-1].startswith(f"seedlock: error[{code}]"), (
        out.stderr
    )


def test_log_metric_outside_a_recorded_run_warns_once_and_records_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    from seedlock.records import metrics

    monkeypatch.delenv("SEEDLOCK_METRICS", raising=False)
    monkeypatch.setattr(metrics, "_warned", False)
    with pytest.warns(UserWarning, match="not recorded"):
        seedlock.log_metric("x", 1.0)
    with pytest.raises(SeedlockError) as err:
        seedlock.log_metric("x", float("nan"))
    assert err.value.code == "invalid-value"


# --- the ledger: old ledgers, export and import -------------------------------------------------------


def test_a_version_1_ledger_keeps_its_runs_and_takes_replicates_after_the_upgrade(work: Path) -> None:
    from seedlock.ledger import _sqlite

    path = work / "l.sqlite"
    with sqlite3.connect(path) as conn:  # a ledger as seedlock wrote it before replicates: schema 1
        v1 = _sqlite._SCHEMA.replace(_sqlite._SCHEMA_V2, "").replace("VALUES ('schema', '2')", "VALUES ('schema', '1')")
        conn.executescript(v1)
    assert (
        _cli(work, "run", "lock.json", "--stage", "train", "--record", "--ledger", str(path), "--", "true").returncode
        == 0
    )
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT value FROM seedlock_meta").fetchone() == ("2",)
    out = _cli(
        work,
        "run",
        "lock.json",
        "--stage",
        "train",
        "--replicate",
        "1",
        "--group",
        "up",
        "--record",
        "--ledger",
        str(path),
        "--",
        sys.executable,
        "prog.py",
        "u.jsonl",
    )
    assert out.returncode == 0, out.stderr
    assert len(seedlock_ledger(work).history()) == 2
    assert [r.index for r in seedlock_ledger(work).replicates("up")] == [1]


def test_export_and_import_carry_replicates_and_metrics(work: Path, tmp_path: Path) -> None:
    assert (
        _cli(
            work,
            "replicate",
            "lock.json",
            "--stage",
            "train",
            "--seeds",
            "2",
            "--group",
            "x",
            "--ledger",
            "l.sqlite",
            "--",
            sys.executable,
            "prog.py",
            "x.jsonl",
        ).returncode
        == 0
    )
    assert _cli(work, "ledger", "export", "-o", "all.jsonl", "--ledger", "l.sqlite").returncode == 0
    out = _cli(work, "ledger", "import", "all.jsonl", "--ledger", "other.sqlite")
    assert out.returncode == 0, out.stderr
    from seedlock.ledger import Ledger

    before = [r.to_dict() for r in seedlock_ledger(work).replicates("x")]
    after = [r.to_dict() for r in Ledger(str(work / "other.sqlite")).replicates("x")]
    assert before == after and len(after) == 2 and after[0]["metrics"]


# --- scale: the team ledger -----------------------------------------------------------------------------

WRITER = """
import sys
from seedlock.commands.cli import main
for i in range(10):
    assert main(["run", "lock.json", "--stage", "train", "--replicate", str(int(sys.argv[1]) * 10 + i), "--group",
                 "scale", "--record", "--no-auto-seed", "--", "sh", "-c",
                 'echo "{\\\\"name\\\\": \\\\"acc\\\\", \\\\"value\\\\": $SEEDLOCK_REPLICATE}" '
                 '>> "$SEEDLOCK_METRICS"']) == 0
"""


def test_64_concurrent_writers_of_10_replicates_each_lose_and_duplicate_nothing_in_postgresql(
    work: Path, pg_url: str
) -> None:
    assert _cli(work, "ledger", "init", "--ledger", pg_url).returncode == 0
    env = {**child_environ(), **_CLEAN, "SEEDLOCK_LEDGER": pg_url, "SEEDLOCK_SPOOL": str(work / "spool")}
    procs = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(w)], cwd=work, env=env, stderr=subprocess.PIPE, text=True)
        for w in range(64)
    ]
    errors = [p.communicate(timeout=900)[1] for p in procs]
    assert [p.returncode for p in procs] == [0] * 64, [e for e in errors if "error" in e][:3]
    from seedlock.ledger import Ledger

    runs = Ledger(pg_url).replicates("scale")
    assert [r.index for r in runs] == list(range(640))
    assert all(r.attempts == 1 for r in runs)  # nothing recorded twice
    assert [r.final("acc") for r in runs] == [float(i) for i in range(640)]
    assert len({r.run for r in runs}) == 640
    assert not (work / "spool").exists() or not list((work / "spool").iterdir())  # nothing waited in the spool


def test_the_readme_replicate_commands_run_as_a_user_types_them(work: Path) -> None:
    import re

    from conftest import REPO

    readme = (REPO / "README.md").read_text()
    section = readme[readme.index("## Replicates") : readme.index("## Is my change real?")]
    (block,) = re.findall(r"```sh\n(.*?)```", section, re.S)
    (work / "run.lock.json").write_bytes((work / "lock.json").read_bytes())
    (work / "train.py").write_text(
        "import seedlock\nsession = seedlock.apply_from_env()\n"
        "seedlock.log_metric('accuracy', float(session.numpy_generator('data').random()))\n"
    )
    script = block.replace("python train.py", f"{sys.executable} train.py").replace(
        "seedlock replicate", f"{sys.executable} -m seedlock replicate"
    )
    out = subprocess.run(
        ["sh", "-ec", script],
        cwd=work,
        capture_output=True,
        text=True,
        timeout=600,
        env={**child_environ(), **_CLEAN, "SEEDLOCK_LEDGER": str(work / "l.sqlite")},
    )
    assert out.returncode == 0, out.stderr
    base, data = seedlock_ledger(work).replicates("baseline"), seedlock_ledger(work).replicates("data-only")
    assert len(base) == len(data) == 10
    assert base[0].final("accuracy") == data[0].final("accuracy")  # replicate 0 is the lock in both
    assert len({r.final("accuracy") for r in data}) == 10


def test_a_plain_run_inside_a_replicate_runs_the_locks_stage(work: Path) -> None:
    inner = f"{sys.executable} -m seedlock run lock.json --stage train -- {sys.executable} prog.py nested.jsonl"
    out = _cli(
        work, "run", "lock.json", "--stage", "train", "--replicate", "2", "--no-auto-seed", "--", "sh", "-c", inner
    )
    assert out.returncode == 0, out.stderr
    assert (
        _cli(work, "run", "lock.json", "--stage", "train", "--", sys.executable, "prog.py", "plain.jsonl").returncode
        == 0
    )
    nested = json.loads((work / "nested.jsonl").read_text())
    plain = json.loads((work / "plain.jsonl").read_text())
    assert nested["replicate"] is None and {k: nested[k] for k in ("python", "data", "init")} == {
        k: plain[k] for k in ("python", "data", "init")
    }


def test_a_recorded_plain_run_keeps_its_metrics_too(work: Path) -> None:
    out = _cli(
        work,
        "run",
        "lock.json",
        "--stage",
        "train",
        "--record",
        "--ledger",
        "l.sqlite",
        "--",
        sys.executable,
        "prog.py",
        "p.jsonl",
    )
    assert out.returncode == 0, out.stderr
    (record,) = list(seedlock_ledger(work).backend.records())
    assert record.replicate is None and [m.name for m in record.metrics] == ["loss", "loss", "init"]


@requires_r
def test_an_r_program_is_auto_seeded_with_its_replicates_r_seed(work: Path) -> None:
    (work / "r.json").write_text(
        json.dumps({"version": "1.1", "seed": 42, "stages": {"s": {"frameworks": ["r", "numpy"]}}})
    )
    assert _cli(work, "resolve", "r.json", "-o", "r.lock.json").returncode == 0
    draw = "cat(format(runif(2), digits = 17))"
    got = _cli(work, "run", "r.lock.json", "--stage", "s", "--replicate", "3", "--", "Rscript", "-e", draw)
    held = _cli(
        work, "run", "r.lock.json", "--stage", "s", "--replicate", "3", "--vary", "numpy", "--", "Rscript", "-e", draw
    )
    lock = seedlock.load_lock(str(work / "r.lock.json"))
    seed = replicate_stage(lock.stage("s"), 3).seed_of("r")
    direct = subprocess.run(
        [
            "Rscript",
            "-e",
            f"set.seed({seed}, kind = 'Mersenne-Twister', normal.kind = 'Inversion', "
            f"sample.kind = 'Rejection'); {draw}",
        ],
        capture_output=True,
        text=True,
    )
    plain = _cli(work, "run", "r.lock.json", "--stage", "s", "--", "Rscript", "-e", draw)
    assert got.returncode == held.returncode == plain.returncode == 0, got.stderr + held.stderr
    assert got.stdout == direct.stdout and held.stdout == plain.stdout != got.stdout


def test_a_version_1_postgresql_ledger_is_upgraded_by_ledger_init_and_keeps_its_runs(work: Path, pg_url: str) -> None:
    import psycopg
    from seedlock.ledger import _postgres

    with psycopg.connect(pg_url, autocommit=True) as conn:  # the schema seedlock wrote before replicates
        for statement in _postgres._SCHEMA:
            conn.execute(statement)
        conn.execute("INSERT INTO seedlock_meta (key, value) VALUES ('schema', '1')")
    assert (
        _cli(
            work, "run", "lock.json", "--stage", "train", "--record", "--ledger", pg_url, "--no-auto-seed", "--", "true"
        ).returncode
        == 0
    )
    refused = _cli(
        work,
        "run",
        "lock.json",
        "--stage",
        "train",
        "--replicate",
        "1",
        "--record",
        "--ledger",
        pg_url,
        "--",
        sys.executable,
        "prog.py",
        "r.jsonl",
    )
    assert refused.returncode == 2 and "run `seedlock ledger init`" in refused.stderr
    assert "kept in" in refused.stderr  # the record waits in the spool
    assert _cli(work, "ledger", "init", "--ledger", pg_url).returncode == 0
    pushed = _cli(work, "ledger", "push", "--ledger", pg_url)
    assert pushed.returncode == 0, pushed.stderr
    from seedlock.ledger import Ledger

    ledger = Ledger(pg_url)
    assert len(ledger.history()) == 2
    (rep,) = ledger.replicates("train")
    assert rep.index == 1 and [m.name for m in rep.metrics] == ["loss", "loss", "init"]


def test_replicates_read_back_the_same_from_sqlite_and_postgresql(work: Path, pg_url: str) -> None:
    assert _cli(work, "ledger", "init", "--ledger", pg_url).returncode == 0
    for ledger in ("l.sqlite", pg_url):
        out = _cli(
            work,
            "replicate",
            "lock.json",
            "--stage",
            "train",
            "--seeds",
            "3",
            "--group",
            "both",
            "--ledger",
            ledger,
            "--",
            sys.executable,
            "prog.py",
            "both.jsonl",
        )
        assert out.returncode == 0, out.stderr
    from seedlock.ledger import Ledger

    def view(location: str) -> list[tuple[Any, ...]]:
        return [
            (r.index, r.exit_code, r.seeds, r.vary, [m.to_dict() for m in r.metrics])
            for r in Ledger(location).replicates("both")
        ]

    assert view(str(work / "l.sqlite")) == view(pg_url) and len(view(pg_url)) == 3
    assert Ledger(pg_url).groups() == [("both", 3)]
