"""`seedlock diff A B` says what differs between two locks, or a manifest and a lock: seeds,
sources, stages, settings, manifest, provenance; exit 1 when they differ, 0 when equal, 2 on error."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import SPEC, seedlock_cli

PIPELINE = SPEC / "examples" / "pipeline.json"


def _resolve(tmp_path: Path, name: str, manifest: Path = PIPELINE, **env: str) -> Path:
    out = seedlock_cli("resolve", str(manifest), "-o", str(tmp_path / name), env={"SEEDLOCK_SEED": "", **env})
    assert out.returncode == 0, out.stderr
    return tmp_path / name


def test_two_locks_of_the_same_run_are_equal_though_their_ids_and_times_differ(tmp_path: Path) -> None:
    a = _resolve(tmp_path, "a.json", SEEDLOCK_SEED="7")
    b = _resolve(tmp_path, "b.json", SEEDLOCK_SEED="7")
    assert json.loads(a.read_text())["provenance"]["id"] != json.loads(b.read_text())["provenance"]["id"]
    out = seedlock_cli("diff", str(a), str(b))
    assert (out.returncode, out.stdout, out.stderr) == (0, f"{a} and {b}: no differences\n", "")


def test_an_overridden_stage_shows_its_seed_and_source_and_exits_one(tmp_path: Path) -> None:
    a = _resolve(tmp_path, "a.json", SEEDLOCK_SEED="7")
    b = _resolve(tmp_path, "b.json", SEEDLOCK_SEED="7", SEEDLOCK_SEED_TRAIN="5")
    out = seedlock_cli("diff", str(a), str(b), "--ignore", "provenance")
    assert out.returncode == 1, out.stderr
    lines = out.stdout.splitlines()
    assert lines[:2] == [f"--- {a}", f"+++ {b}"]
    assert 'sources     /stages/train/source: "derived" -> "env"' in lines
    assert 'sources     /stages/train/variable: (absent) -> "SEEDLOCK_SEED_TRAIN"' in lines
    assert any(line.startswith("seeds       /stages/train/seed: ") and line.endswith("-> 5") for line in lines)
    assert lines[-1] == "6 differences (seeds 4, sources 2)"  # the stage seed and its three framework seeds


def test_settings_stages_and_the_manifest_hash_are_compared(tmp_path: Path) -> None:
    other = tmp_path / "other.json"
    doc = json.loads(PIPELINE.read_text())
    doc["stages"]["train"]["settings"]["torch"]["deterministic"] = False
    del doc["stages"]["evaluate"]
    other.write_text(json.dumps(doc))
    a = _resolve(tmp_path, "a.json", SEEDLOCK_SEED="7")
    b = _resolve(tmp_path, "b.json", other, SEEDLOCK_SEED="7")
    out = seedlock_cli("diff", str(a), str(b), "--format", "json", "--ignore", "provenance")
    assert out.returncode == 1, out.stderr
    found = {(d["area"], d["pointer"]) for d in json.loads(out.stdout)}
    assert ("settings", "/stages/train/frameworks/torch/settings/deterministic") in found
    assert ("stages", "/stages/evaluate") in found
    assert ("manifest", "/manifest/sha256") in found


def test_provenance_differences_are_reported_in_their_own_area(tmp_path: Path) -> None:
    a = _resolve(tmp_path, "a.json", SEEDLOCK_SEED="7")
    doc = json.loads(a.read_text())
    doc["provenance"]["frameworks"]["numpy"] = "1.0.0"
    b = tmp_path / "b.json"
    b.write_text(json.dumps(doc))
    out = seedlock_cli("diff", str(a), str(b), "--format", "json")
    assert out.returncode == 1, out.stderr
    assert [d["area"] + " " + d["pointer"] for d in json.loads(out.stdout)] == [
        "provenance /provenance/frameworks/numpy"
    ]


def test_a_lock_matches_its_manifest_even_with_generated_seeds(tmp_path: Path) -> None:
    lock = _resolve(tmp_path, "l.json")  # the pipeline's root seed is "generate"
    out = seedlock_cli("diff", str(PIPELINE), str(lock))
    assert (out.returncode, out.stdout) == (0, f"{PIPELINE} and {lock}: no differences\n")


def test_a_lock_that_overrode_its_manifest_shows_how_in_either_order(tmp_path: Path) -> None:
    lock = _resolve(tmp_path, "l.json", SEEDLOCK_SEED_EVALUATE="11")
    for args in ((str(PIPELINE), str(lock)), (str(lock), str(PIPELINE))):
        out = seedlock_cli("diff", *args, "--format", "json")
        assert out.returncode == 1, out.stderr
        found = {d["pointer"]: (d.get("a"), d.get("b")) for d in json.loads(out.stdout)}
        expected = (2024, 11) if args[0] == str(PIPELINE) else (11, 2024)
        assert found["/stages/evaluate/seed"] == expected
        assert set(found) == {
            "/stages/evaluate/seed",
            "/stages/evaluate/source",
            "/stages/evaluate/variable",
            "/stages/evaluate/frameworks/numpy/seed",
        }


def test_two_manifests_or_a_missing_file_exit_two_with_one_line(tmp_path: Path) -> None:
    out = seedlock_cli("diff", str(PIPELINE), str(PIPELINE))
    assert (out.returncode, out.stderr) == (
        2,
        "seedlock: error[not-a-lock] diff compares two locks, or a manifest with "
        "a lock (resolve one of the manifests first) at '/lock-version'\n",
    )
    out = seedlock_cli("diff", str(tmp_path / "nope.json"), str(PIPELINE))
    assert out.returncode == 2 and out.stderr.count("\n") == 1


def test_show_provenance_prints_the_recorded_provenance_after_the_table(tmp_path: Path) -> None:
    lock = _resolve(tmp_path, "l.json", SEEDLOCK_SEED="7")
    recorded = json.loads(lock.read_text())["provenance"]
    out = seedlock_cli("show", str(lock), "--provenance")
    assert out.returncode == 0, out.stderr
    text = out.stdout.split("provenance:\n", 1)[1]
    assert f"  id: {recorded['id']}\n" in text
    assert f"  frameworks:\n    numpy: {recorded['frameworks']['numpy']}\n" in text
    assert "provenance:" not in seedlock_cli("show", str(lock)).stdout
