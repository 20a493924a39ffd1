"""The `seedlock` command, run as a fresh process the way users and CI run it."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
from conftest import SPEC, seedlock_cli

CLASSIC = SPEC / "examples" / "classic.json"


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_derive_prints_the_bare_integer() -> None:
    out = seedlock_cli("derive", "42", "train")
    assert (out.returncode, out.stdout, out.stderr) == (0, "1677747947\n", "")


def test_derive_with_a_bad_label_is_one_line_and_exit_two() -> None:
    out = seedlock_cli("derive", "42", "Train")
    assert out.returncode == 2
    assert out.stderr == (
        "seedlock: error[invalid-label] Invalid label 'Train' (expected 1-63 of a-z 0-9 _ . - starting "
        "with a-z or 0-9) at '/labels/0'\n"
    )


def test_derive_with_a_seed_out_of_range_exits_two() -> None:
    out = seedlock_cli("derive", "2147483648", "train")
    assert (out.returncode, out.stderr) == (
        2,
        "seedlock: error[seed-out-of-range] Seed 2147483648 is outside [0, 2147483647]\n",
    )


@pytest.mark.parametrize(
    ("text", "line"),
    [
        (
            '{"version": "1.0", "seed": true, "stages": {"t": {"frameworks": ["numpy"]}}}',
            "error[invalid-type] {p}: Unexpected type boolean (expected integer or \"generate\") at '/seed'",
        ),
        (
            '{"version": "1.0", "seed": 1, "seed": 2, "stages": {"t": {"frameworks": ["numpy"]}}}',
            "error[duplicate-key] {p}: Duplicate key 'seed' at '/seed'",
        ),
        (
            '{"version": "1.0", "seed": 42, "stages": {"train": {"frameworks": ["numpy"], "seed": 2147483648}}}',
            "error[seed-out-of-range] {p}: Seed 2147483648 is outside [0, 2147483647] at '/stages/train/seed'",
        ),
        (
            '{"version": "1.0", "seed": 42, "stages": {"t": {"frameworks": ["numpy"]}}, "sed": 4}',
            "error[unknown-field] {p}: Unknown field 'sed' at '/sed'",
        ),
        (
            '{"version": "1.0", "seed": 42, "stages": {"t": {"frameworks": ["numpy"]',
            "error[invalid-json] {p}: Invalid JSON: Expecting ',' delimiter (line 1, column 72)",
        ),
        (
            '{"version": "3.0", "seed": 42, "stages": {"t": {"frameworks": ["numpy"]}}}',
            "error[unsupported-version] {p}: Unsupported version '3.0' (this seedlock reads 1.0 to 1.2) at '/version'",
        ),
    ],
)
def test_validate_reports_one_line_with_code_file_and_pointer(tmp_path: Path, text: str, line: str) -> None:
    path = _write(tmp_path, "m.json", text)
    out = seedlock_cli("validate", str(path))
    assert out.returncode == 2
    assert out.stderr == "seedlock: " + line.format(p=path) + "\n"
    assert "Traceback" not in out.stderr


def test_a_missing_file_is_an_io_error(tmp_path: Path) -> None:
    out = seedlock_cli("validate", str(tmp_path / "nope.json"))
    assert out.returncode == 2
    assert (
        out.stderr == f"seedlock: error[io-error] {tmp_path / 'nope.json'}: "
        f"Cannot read {tmp_path / 'nope.json'}: No such file or directory\n"
    )


def test_validate_accepts_the_examples() -> None:
    out = seedlock_cli("validate", *map(str, sorted((SPEC / "examples").glob("*.json"))))
    assert out.returncode == 0, out.stderr
    assert "classic.json: valid manifest (2 stages)" in out.stdout


def test_resolve_writes_a_lock_that_validates_and_records_provenance(tmp_path: Path) -> None:
    lock = tmp_path / "classic.lock.json"
    out = seedlock_cli("resolve", str(CLASSIC), "-o", str(lock), env={"SEEDLOCK_SEED_TRAIN": "17"})
    assert out.returncode == 0, out.stderr
    data = json.loads(lock.read_text())
    assert data["stages"]["train"] == {
        **data["stages"]["train"],
        "seed": 17,
        "source": "env",
        "variable": "SEEDLOCK_SEED_TRAIN",
    }
    assert data["stages"]["train"]["frameworks"]["tensorflow"]["seed"] == 1234
    prov = data["provenance"]
    assert prov["seedlock"] and prov["python"] == ".".join(map(str, sys.version_info[:3]))
    assert set(prov["frameworks"]) == {"python", "numpy", "tensorflow"}
    assert prov["created"].endswith("Z")
    again = seedlock_cli("validate", str(lock))
    assert again.returncode == 0 and "valid lock" in again.stdout


def test_resolve_rejects_a_malformed_environment_value_naming_the_variable() -> None:
    out = seedlock_cli("resolve", str(CLASSIC), env={"SEEDLOCK_SEED": "0x2a"})
    assert out.returncode == 2
    assert out.stderr == (
        f"seedlock: error[invalid-env-value] {CLASSIC}: Invalid value '0x2a' in SEEDLOCK_SEED (expected a decimal "
        "integer in [0, 2147483647] or 'generate') at '/seed'\n"
    )


def test_resolve_generates_different_root_seeds(tmp_path: Path) -> None:
    m = _write(tmp_path, "g.json", '{"version": "1.0", "seed": "generate", "stages": {"s": {"frameworks": ["numpy"]}}}')
    seeds = {json.loads(seedlock_cli("resolve", str(m), "--no-provenance").stdout)["root"]["seed"] for _ in range(3)}
    assert len(seeds) == 3


def test_show_prints_a_table_of_stage_framework_seed_and_source(tmp_path: Path) -> None:
    out = seedlock_cli("show", str(CLASSIC), env={"SEEDLOCK_SEED": "5"})
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[1] == "root seed 5 (env SEEDLOCK_SEED)"
    assert lines[2].split() == ["stage", "framework", "seed", "source"]
    assert ["tensorflow", "1234", "manifest"] in [line.split() for line in lines]


def test_env_prints_export_lines_with_pythonhashseed_and_determinism(tmp_path: Path) -> None:
    lock = tmp_path / "l.json"
    seedlock_cli("resolve", str(CLASSIC), "-o", str(lock))
    data = json.loads(lock.read_text())
    out = seedlock_cli("env", str(lock), "--stage", "train")
    assert out.returncode == 0
    py = data["stages"]["train"]["frameworks"]["python"]["seed"]
    assert f"export PYTHONHASHSEED={py}" in out.stdout.splitlines()
    assert "export TF_DETERMINISTIC_OPS=1" in out.stdout.splitlines()
    assert f"export SEEDLOCK_LOCK={lock}" in out.stdout.splitlines()
    as_json = json.loads(seedlock_cli("env", str(lock), "--stage", "train", "--format", "json").stdout)
    assert as_json["SEEDLOCK_STAGE"] == "train"
    dotenv = seedlock_cli("env", str(lock), "--stage", "train", "--format", "dotenv").stdout
    assert f"PYTHONHASHSEED={py}" in dotenv.splitlines()


def test_env_for_an_unknown_stage_is_an_error(tmp_path: Path) -> None:
    lock = tmp_path / "l.json"
    seedlock_cli("resolve", str(CLASSIC), "-o", str(lock))
    out = seedlock_cli("env", str(lock), "--stage", "deploy")
    assert (out.returncode, out.stderr) == (
        2,
        "seedlock: error[unknown-stage] No stage 'deploy' (stages: preprocess, train) at '/stages/deploy'\n",
    )


def test_env_refuses_a_manifest(tmp_path: Path) -> None:
    out = seedlock_cli("env", str(CLASSIC), "--stage", "train")
    assert out.returncode == 2
    assert (
        out.stderr
        == f"seedlock: error[not-a-lock] {CLASSIC}: a manifest, not a lock (resolve it first) at '/lock-version'\n"
    )


def test_resolve_and_validate_refuse_a_lock_where_a_manifest_is_required(tmp_path: Path) -> None:
    lock = tmp_path / "l.json"
    seedlock_cli("resolve", str(CLASSIC), "-o", str(lock))
    out = seedlock_cli("resolve", str(lock), "-o", str(tmp_path / "again.json"))
    assert (out.returncode, out.stderr) == (
        2,
        f"seedlock: error[not-a-manifest] {lock}: already a lock at '/lock-version'\n",
    )
    out = seedlock_cli("validate", "--manifest", str(lock), str(lock))
    assert (out.returncode, out.stderr) == (
        2,
        f"seedlock: error[not-a-manifest] {lock}: a lock, not a manifest at '/lock-version'\n",
    )


def test_run_starts_a_fresh_process_whose_hash_seed_and_apply_come_from_the_lock(tmp_path: Path) -> None:
    lock = tmp_path / "l.json"
    seedlock_cli("resolve", str(CLASSIC), "-o", str(lock))
    code = (
        "import os, json, seedlock; r = seedlock.apply_from_env(strict=True).report; "
        "print(json.dumps({'hash': os.environ['PYTHONHASHSEED'], 'h': hash('seedlock'), 'seeds': r.seeds}))"
    )
    runs = [seedlock_cli("run", str(lock), "--stage", "preprocess", "--", sys.executable, "-c", code) for _ in range(2)]
    for out in runs:
        assert out.returncode == 0, out.stderr
    first, second = (json.loads(r.stdout) for r in runs)
    assert first == second
    py = json.loads(lock.read_text())["stages"]["preprocess"]["frameworks"]["python"]["seed"]
    assert first["hash"] == str(py)
    assert first["seeds"]["numpy"] == 42


def test_run_passes_the_child_exit_code_through(tmp_path: Path) -> None:
    lock = tmp_path / "l.json"
    seedlock_cli("resolve", str(CLASSIC), "-o", str(lock))
    out = seedlock_cli("run", str(lock), "--stage", "train", "--", sys.executable, "-c", "raise SystemExit(3)")
    assert out.returncode == 3


def test_run_reports_a_child_killed_by_a_signal(tmp_path: Path) -> None:
    lock = tmp_path / "l.json"
    seedlock_cli("resolve", str(CLASSIC), "-o", str(lock))
    out = seedlock_cli(
        "run", str(lock), "--stage", "train", "--", sys.executable, "-c", "import os; os.kill(os.getpid(), 9)"
    )
    assert out.returncode == 128 + 9
    assert "was killed by SIGKILL" in out.stderr


def test_run_reports_a_command_that_does_not_exist(tmp_path: Path) -> None:
    lock = tmp_path / "l.json"
    seedlock_cli("resolve", str(CLASSIC), "-o", str(lock))
    out = seedlock_cli("run", str(lock), "--stage", "train", "--", "no-such-command-xyz")
    assert (out.returncode, out.stderr) == (
        2,
        "seedlock: error[io-error] Cannot run 'no-such-command-xyz': No such file or directory\n",
    )


def test_usage_errors_are_one_line() -> None:
    out = seedlock_cli("resolve")
    assert out.returncode == 2
    assert out.stderr.count("\n") == 1 and out.stderr.startswith("seedlock: usage error:")


def test_resolve_output_is_written_atomically_and_keeps_the_old_file_on_error(tmp_path: Path) -> None:
    lock = tmp_path / "l.json"
    lock.write_text("previous")
    bad = _write(tmp_path, "bad.json", '{"version": "1.0"}')
    assert seedlock_cli("resolve", str(bad), "-o", str(lock)).returncode == 2
    assert lock.read_text() == "previous"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_the_console_script_is_installed() -> None:
    script = Path(sys.executable).parent / "seedlock"
    assert script.exists()
    assert os.access(script, os.X_OK)


def test_seed_prints_one_seed_of_a_lock_for_scripts_that_take_a_seed_option(tmp_path: Path) -> None:
    lock = tmp_path / "l.json"
    assert seedlock_cli("resolve", str(CLASSIC), "-o", str(lock), env={"SEEDLOCK_SEED": "42"}).returncode == 0
    import seedlock

    stage = seedlock.load(lock).stage("train")
    framework = next(iter(stage.frameworks))
    out = seedlock_cli("seed", str(lock), "--stage", "train", framework)
    assert (out.returncode, out.stdout, out.stderr) == (0, f"{stage.seed_of(framework)}\n", "")
    assert seedlock_cli("seed", str(lock), "--stage", "train").stdout == f"{stage.seed}\n"
    bad = seedlock_cli("seed", str(lock), "--stage", "train", "caffe")
    assert (
        bad.returncode == 2
        and bad.stderr.startswith("seedlock: error[framework-not-in-stage]")
        and bad.stderr.count("\n") == 1
    )
    manifest = seedlock_cli("seed", str(CLASSIC), "--stage", "train", framework)
    assert manifest.returncode == 2 and "error[not-a-lock]" in manifest.stderr


def test_bare_seedlock_prints_its_help() -> None:
    out = seedlock_cli()
    assert out.returncode == 0 and out.stdout.startswith("usage: seedlock") and "resolve" in out.stdout


def test_a_command_given_without_the_double_dash_is_named_in_the_error(tmp_path: Path) -> None:
    lock = tmp_path / "l.json"
    assert seedlock_cli("resolve", str(CLASSIC), "-o", str(lock)).returncode == 0
    out = seedlock_cli("run", str(lock), "--stage", "train", sys.executable, "-c", "print('ran')")
    assert out.returncode == 2 and "ran" not in out.stdout and out.stderr.count("\n") == 1
    assert "put the command after `--`" in out.stderr and f"-- {sys.executable} -c" in out.stderr


def test_history_with_a_misspelt_stage_is_a_did_you_mean_error_not_an_empty_table(tmp_path: Path) -> None:
    ledger = tmp_path / "ledger.sqlite"
    lock = tmp_path / "l.json"
    assert seedlock_cli("resolve", str(CLASSIC), "-o", str(lock)).returncode == 0
    env = {"SEEDLOCK_LEDGER": str(ledger)}
    assert (
        seedlock_cli(
            "run", str(lock), "--stage", "train", "--record", "--", sys.executable, "-c", "pass", env=env
        ).returncode
        == 0
    )
    out = seedlock_cli("history", "--stage", "trian", env=env)
    assert out.returncode == 2 and out.stdout == ""
    assert (
        out.stderr.startswith("seedlock: error[unknown-stage] No run of stage 'trian'")
        and "did you mean 'train'" in out.stderr
    )
    assert seedlock_cli("history", "--stage", "train", env=env).stdout.count("\n") >= 2


def test_rerun_without_an_output_prints_the_recorded_lock(tmp_path: Path) -> None:
    ledger = tmp_path / "ledger.sqlite"
    lock = tmp_path / "l.json"
    env = {"SEEDLOCK_LEDGER": str(ledger)}
    assert seedlock_cli("resolve", str(CLASSIC), "-o", str(lock), "--record", env=env).returncode == 0
    run_id = json.loads(seedlock_cli("history", "--format", "json", env=env).stdout)[0]["run"]
    out = seedlock_cli("rerun", run_id[:8], env=env)
    assert (out.returncode, out.stdout) == (0, lock.read_text())
