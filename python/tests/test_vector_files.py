"""The vector files themselves: well formed, unique, and identical wherever a binding ships them."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from conftest import REPO, SPEC, requires_r

VECTOR_FILES = sorted((SPEC / "vectors").rglob("*.json"))
CASE_FILES = [p for p in VECTOR_FILES if p.name != "vectors.schema.json"]


def test_there_are_vectors_in_every_required_area() -> None:
    areas = {p.parent.name for p in CASE_FILES}
    assert {"derive", "workers", "resolve", "lock", "query", "invalid"} <= areas


@pytest.mark.parametrize("path", CASE_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_vector_file_validates_against_the_vector_schema(path: Path) -> None:
    schema = json.loads((SPEC / "vectors" / "vectors.schema.json").read_text())
    doc = json.loads(path.read_text())
    jsonschema.Draft202012Validator(schema).validate(doc)
    assert doc["area"] == path.parent.name
    assert doc["concept"] == path.stem


@pytest.mark.parametrize("path", CASE_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_case_descriptions_are_unique_and_never_say_should(path: Path) -> None:
    descriptions = [c["description"] for c in json.loads(path.read_text())["cases"]]
    assert len(descriptions) == len(set(descriptions))
    assert not [d for d in descriptions if "should" in d.lower()]


def test_the_derive_area_has_at_least_fifty_cases_and_invalid_at_least_forty() -> None:
    def count(area: str) -> int:
        return sum(len(json.loads(p.read_text())["cases"]) for p in CASE_FILES if p.parent.name == area)

    assert count("derive") >= 50
    assert count("invalid") >= 40


def test_the_packaged_copies_equal_spec() -> None:
    out = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "sync_spec.py"), "--check"], capture_output=True, text=True
    )
    assert out.returncode == 0, "run scripts/sync_spec.py:\n" + out.stdout


def test_the_vectors_are_what_the_generator_writes(tmp_path: Path) -> None:
    # The generator computes expected values from the spec's formula, not from the package.
    subprocess.run([sys.executable, str(SPEC / "tools" / "generate_vectors.py"), "--out", str(tmp_path)], check=True)
    written = sorted(tmp_path.rglob("*.json"))
    assert len(written) >= 30
    for path in written:
        assert path.read_bytes() == (SPEC / "vectors" / path.parent.name / path.name).read_bytes(), path


def test_the_generator_check_names_a_vector_file_that_differs_from_what_it_writes(tmp_path: Path) -> None:
    generator = str(SPEC / "tools" / "generate_vectors.py")
    subprocess.run([sys.executable, generator, "--out", str(tmp_path)], check=True)
    fresh = subprocess.run(
        [sys.executable, generator, "--check", "--out", str(tmp_path)], capture_output=True, text=True
    )
    assert fresh.returncode == 0, fresh.stdout
    epochs = tmp_path / "training" / "epochs.json"
    epochs.write_text(epochs.read_text().replace('"seed": 0', '"seed": 1', 1))
    stale = subprocess.run(
        [sys.executable, generator, "--check", "--out", str(tmp_path)], capture_output=True, text=True
    )
    assert stale.returncode == 1
    assert f"{epochs} differs from what spec/tools/generate_vectors.py writes: run it" in stale.stdout.splitlines()


@requires_r
def test_the_r_vectors_are_what_real_r_writes(tmp_path: Path) -> None:
    subprocess.run(
        ["Rscript", str(SPEC / "tools" / "generate_r_vectors.R")],
        cwd=REPO,
        check=True,
        env={**os.environ, "SEEDLOCK_VECTORS_OUT": str(tmp_path)},
        capture_output=True,
    )
    written = sorted(tmp_path.rglob("*.json"))
    assert {p.parent.name for p in written} == {"stream", "split", "parallel"}
    for path in written:
        assert path.read_text() == (SPEC / "vectors" / path.parent.name / path.name).read_text(), path


def test_the_copy_check_fails_when_a_binding_directory_is_missing(tmp_path: Path) -> None:
    # A copy of the tree without the R package: --check compared nothing for R and must say so.
    root = tmp_path / "repo"
    shutil.copytree(REPO / "spec", root / "spec")
    shutil.copytree(REPO / "conformance", root / "conformance")
    shutil.copytree(REPO / "python" / "seedlock", root / "python" / "seedlock")
    shutil.copytree(REPO / "scripts", root / "scripts")
    out = subprocess.run(
        [sys.executable, str(root / "scripts" / "sync_spec.py"), "--check"], capture_output=True, text=True
    )
    assert out.returncode == 1
    assert f"missing {root / 'r' / 'seedlock' / 'inst' / 'extdata'}" in out.stdout.splitlines()
