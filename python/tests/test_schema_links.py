"""Editors can load the schemas: `seedlock schema` prints them, and every example's `$schema` is a
relative path that resolves, from the file's own directory as editors resolve it, to the schema."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from conftest import REPO, SPEC, seedlock_cli

_CANDIDATES = sorted({*SPEC.glob("examples/*.json"), *REPO.glob("examples/**/*.json"), REPO / "caffe" / "manifest.json",
                   REPO / "python" / "seedlock" / "_conformance" / "manifest.json",
                   *REPO.glob("python/seedlock/_spec/examples/*.json"), *REPO.glob("r/seedlock/inst/extdata/spec/examples/*.json")})
EXAMPLES = [p for p in _CANDIDATES if '"$schema"' in p.read_text()]  # manifests; params files have none
MANIFEST_SCHEMA = json.loads((SPEC / "schema" / "manifest.schema.json").read_text())


@pytest.mark.parametrize("kind", ["manifest", "lock"])
def test_schema_prints_the_specs_schema_byte_for_byte(kind: str) -> None:
    out = seedlock_cli("schema", kind)
    assert out.returncode == 0, out.stderr
    assert out.stdout == (SPEC / "schema" / f"{kind}.schema.json").read_text()


def test_schema_writes_a_file_an_editor_setting_can_point_at(tmp_path: Path) -> None:
    out = seedlock_cli("schema", "lock", "-o", str(tmp_path / "lock.schema.json"))
    assert out.returncode == 0, out.stderr
    assert json.loads((tmp_path / "lock.schema.json").read_text())["title"] == "seedlock lock"


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: str(p.relative_to(REPO)))
def test_every_examples_schema_reference_resolves_to_the_manifest_schema(example: Path) -> None:
    doc = json.loads(example.read_text())
    reference = doc["$schema"]
    assert "://" not in reference, "a URL editors cannot fetch: nothing is served at the schema's $id"
    target = (example.parent / reference).resolve()
    assert json.loads(target.read_text()) == MANIFEST_SCHEMA
    jsonschema.Draft202012Validator(MANIFEST_SCHEMA).validate(doc)


def test_the_readme_documents_the_schema_ids_and_the_editor_settings() -> None:
    readme = (REPO / "README.md").read_text()
    assert MANIFEST_SCHEMA["$id"] in readme
    assert '"json.schemas"' in readme and "JSON Schema Mappings" in readme
