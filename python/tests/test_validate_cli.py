"""`seedlock validate` as a person and as CI use it: every fault, where it is, what was meant."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from conftest import seedlock_cli

SEVERAL = """{
  "version": "1.0",
  "sed": 4,
  "seed": "x",
  "stages": {
    "train": {"frameworks": ["nunpy", "torch"], "seeds": {"torch": -1}},
    "Eval": {"frameworks": ["r"]}
  }
}
"""


def test_validate_lists_every_fault_in_document_order_with_the_name_meant(tmp_path: Path) -> None:
    (tmp_path / "m.json").write_text(SEVERAL)
    out = seedlock_cli("validate", "m.json", cwd=tmp_path)
    assert out.returncode == 2 and out.stdout == ""
    assert out.stderr.splitlines() == [
        "seedlock: error[unknown-field] m.json: Unknown field 'sed' at '/sed'",
        "seedlock: error[invalid-seed] m.json: Unexpected string 'x' (expected integer or \"generate\") at '/seed'",
        "seedlock: error[unknown-framework] m.json: Unknown framework 'nunpy' (did you mean 'numpy'?) "
        "at '/stages/train/frameworks/0'",
        "seedlock: error[seed-out-of-range] m.json: Seed -1 is outside [0, 2147483647] at '/stages/train/seeds/torch'",
        "seedlock: error[invalid-label] m.json: Invalid label 'Eval' "
        "(expected 1-63 of a-z 0-9 _ . - starting with a-z or 0-9) "
        "at '/stages/Eval'",
    ]
    assert "Traceback" not in out.stderr


def test_validate_format_json_reports_every_file_for_editors_and_ci(tmp_path: Path) -> None:
    (tmp_path / "bad.json").write_text(SEVERAL)
    (tmp_path / "comma.json").write_text('{\n  "version": "1.0",\n  "seed": 42,\n}\n')
    (tmp_path / "ok.json").write_text('{"version": "1.0", "seed": 1, "stages": {"t": {"frameworks": ["numpy"]}}}')
    out = seedlock_cli("validate", "--format", "json", "ok.json", "comma.json", "bad.json", cwd=tmp_path)
    assert out.returncode == 2 and out.stderr == ""
    report = json.loads(out.stdout)
    assert report["valid"] is False
    assert [(f["path"], f["valid"]) for f in report["files"]] == [
        ("ok.json", True),
        ("comma.json", False),
        ("bad.json", False),
    ]
    assert report["files"][1]["problems"] == [
        {
            "code": "invalid-json",
            "pointer": "",
            "line": 3,
            "column": 13,
            "message": "Invalid JSON: trailing comma before '}' (line 3, column 13)",
        }
    ]
    assert [p["pointer"] for p in report["files"][2]["problems"]] == [
        "/sed",
        "/seed",
        "/stages/train/frameworks/0",
        "/stages/train/seeds/torch",
        "/stages/Eval",
    ]
    good = seedlock_cli("validate", "--format", "json", "ok.json", cwd=tmp_path)
    assert good.returncode == 0 and json.loads(good.stdout)["valid"] is True


def test_a_trailing_comma_names_its_line_and_column(tmp_path: Path) -> None:
    (tmp_path / "m.json").write_text('{\n  "version": "1.0",\n  "seed": 42,\n}\n')
    out = seedlock_cli("validate", "m.json", cwd=tmp_path)
    assert out.returncode == 2
    assert (
        out.stderr
        == "seedlock: error[invalid-json] m.json: Invalid JSON: trailing comma before '}' (line 3, column 13)\n"
    )


def test_validate_fails_a_manifest_whose_inputs_do_not_exist_as_resolve_does(tmp_path: Path) -> None:
    (tmp_path / "m.json").write_text(
        '{"version": "1.0", "seed": 1, "inputs": ["data"], "params": ["p.yaml"], '
        '"stages": {"t": {"frameworks": ["numpy"]}}}'
    )
    (tmp_path / "data").mkdir()
    validate = seedlock_cli("validate", "m.json", cwd=tmp_path)
    resolve = seedlock_cli("resolve", "m.json", cwd=tmp_path)
    assert validate.returncode == resolve.returncode == 2
    assert (
        validate.stderr
        == "seedlock: error[io-error] m.json: Cannot read p.yaml: No such file or directory at '/params/0'\n"
    )
    (tmp_path / "m2.json").write_text(
        '{"version": "1.0", "seed": 1, "inputs": ["a", "data", "b"], "stages": {"t": {"frameworks": ["numpy"]}}}'
    )
    every = seedlock_cli("validate", "m2.json", cwd=tmp_path)
    assert [line.rsplit(" at ", 1)[1] for line in every.stderr.splitlines()] == ["'/inputs/0'", "'/inputs/2'"]
    assert "error[io-error]" in resolve.stderr and "at '/params/0'" in resolve.stderr
    (tmp_path / "p.yaml").write_text("lr: 0.1\n")
    assert seedlock_cli("validate", "m.json", cwd=tmp_path).returncode == 0


def test_validate_fails_an_input_outside_the_project_root(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    subprocess.run(["git", "init", "-q", str(project)], check=True)  # the project root: its git work tree
    (tmp_path / "outside.csv").write_text("x\n")
    (project / "m.json").write_text(
        '{"version": "1.0", "seed": 1, "inputs": ["../outside.csv"], "stages": {"t": {"frameworks": ["numpy"]}}}'
    )
    out = seedlock_cli("validate", "m.json", cwd=project)
    assert out.returncode == 2 and "error[path-outside-root]" in out.stderr and "at '/inputs/0'" in out.stderr


def test_resolve_warns_about_a_misspelt_stage_variable_and_strict_makes_it_an_error(tmp_path: Path) -> None:
    (tmp_path / "m.json").write_text('{"version": "1.0", "seed": 1, "stages": {"train": {"frameworks": ["numpy"]}}}')
    env = {"SEEDLOCK_SEED_TRIAN": "5"}
    out = seedlock_cli("resolve", "--no-provenance", "m.json", cwd=tmp_path, env=env)
    assert out.returncode == 0
    assert out.stderr == (
        "seedlock: warning[unknown-stage-variable] SEEDLOCK_SEED_TRIAN matches no stage of the manifest "
        "(did you mean stage 'train', whose variable is SEEDLOCK_SEED_TRAIN?) at '/stages'\n"
    )
    assert json.loads(out.stdout)["stages"]["train"]["source"] == "derived"
    strict = seedlock_cli("resolve", "--no-provenance", "--strict", "m.json", "-o", "lock.json", cwd=tmp_path, env=env)
    assert strict.returncode == 2 and strict.stderr.startswith(
        "seedlock: error[unknown-stage-variable] m.json: SEEDLOCK_SEED_TRIAN"
    )
    assert strict.stderr.count("\n") == 1
    assert not (tmp_path / "lock.json").exists()


def test_validate_json_places_every_fault_at_its_line_and_column(tmp_path: Path) -> None:
    (tmp_path / "bad.json").write_text(
        '{\n  "version": "1.0",\n  "sed": 42,\n  "stages": {"train": {"frameworks": ["nunpy"]}}\n}\n'
    )
    out = seedlock_cli("validate", "--format", "json", "bad.json", cwd=tmp_path)
    places = [(p["pointer"], p["line"], p["column"]) for p in json.loads(out.stdout)["files"][0]["problems"]]
    # A member at its name, an element at its value, a missing member at the object that lacks it.
    assert places == [("/sed", 3, 3), ("/stages/train/frameworks/0", 4, 39), ("/seed", 1, 1)]


def test_resolve_lists_every_fault_as_validate_does(tmp_path: Path) -> None:
    (tmp_path / "bad.json").write_text(
        '{\n  "version": "1.0",\n  "sed": 42,\n  "stages": {"train": {"frameworks": ["nunpy"]}}\n}\n'
    )
    resolved = seedlock_cli("resolve", "bad.json", cwd=tmp_path)
    validated = seedlock_cli("validate", "bad.json", cwd=tmp_path)
    assert resolved.returncode == 2 and resolved.stdout == "" and "Traceback" not in resolved.stderr
    assert resolved.stderr == validated.stderr and resolved.stderr.count("\n") == 3
