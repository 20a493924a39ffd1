"""Editors can load the schemas: `seedlock schema` prints them, and every example's `$schema` is a
relative path that resolves, from the file's own directory as editors resolve it, to the schema."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit
from urllib.request import url2pathname

import jsonschema
import pytest
from conftest import REPO, SPEC, child_environ, seedlock_cli

_CANDIDATES = sorted(
    {
        *SPEC.glob("examples/*.json"),
        *REPO.glob("examples/**/*.json"),
        REPO / "caffe" / "manifest.json",
        REPO / "python" / "seedlock" / "_conformance" / "manifest.json",
        *REPO.glob("python/seedlock/_spec/examples/*.json"),
        *REPO.glob("r/seedlock/inst/extdata/spec/examples/*.json"),
    }
)
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


# A lock schema refers to the manifest schema's definitions. An editor resolves such a `$ref` against
# the file it loaded the schema from; a stock validator (jsonschema + referencing) against the
# schema's `$id`. Both must land on a file seedlock wrote, with no network and no seedlock code.


def _file_registry() -> Any:
    """Resolve every `$ref` as an editor does: a file URI, read from disk; anything else is missing."""
    from referencing import Registry, Resource
    from referencing.exceptions import NoSuchResource

    def retrieve(uri: str) -> Resource:
        parts = urlsplit(uri)
        if parts.scheme != "file":
            raise NoSuchResource(ref=uri)
        return Resource.from_contents(_without_id(json.loads(Path(url2pathname(parts.path)).read_text("utf-8"))))

    return Registry(retrieve=retrieve)  # type: ignore[call-arg]


def _without_id(schema: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in schema.items() if k != "$id"}


def _editor_validator(schema_file: Path) -> jsonschema.Draft202012Validator:
    """What VS Code and JetBrains do with a mapped schema file: refs resolve relative to the file."""
    return jsonschema.Draft202012Validator({"$ref": schema_file.resolve().as_uri()}, registry=_file_registry())


def _id_validator(directory: Path, kind: str) -> jsonschema.Draft202012Validator:
    """What a stock validator does offline: the schemas in ``directory``, known by their `$id`s, and
    every other URI (the `$id`'s host serves nothing) an error."""
    from referencing import Registry, Resource
    from referencing.exceptions import NoSuchResource

    schemas = [json.loads(p.read_text("utf-8")) for p in sorted(directory.glob("*.json"))]

    def offline(uri: str) -> Resource:
        raise NoSuchResource(ref=uri)

    registry = Registry(retrieve=offline).with_resources(  # type: ignore[call-arg]
        (s["$id"], Resource.from_contents(s)) for s in schemas
    )
    main = next(s for s in schemas if s["title"] == f"seedlock {kind}")
    return jsonschema.Draft202012Validator(main, registry=registry)


def _real_lock(tmp_path: Path) -> dict[str, Any]:
    lock = tmp_path / "pipeline.lock.json"
    out = seedlock_cli("resolve", str(SPEC / "examples" / "pipeline.json"), "-o", str(lock))
    assert out.returncode == 0, out.stderr
    return json.loads(lock.read_text())  # type: ignore[no-any-return]


def _external_refs(node: Any) -> set[str]:
    if isinstance(node, dict):
        here = {node["$ref"]} if isinstance(node.get("$ref"), str) and not node["$ref"].startswith("#") else set()
        return here.union(*(_external_refs(v) for v in node.values()))
    if isinstance(node, list):
        return set().union(*(_external_refs(v) for v in node))
    return set()


def test_the_lock_schema_written_alone_validates_a_real_lock_from_local_files_only(tmp_path: Path) -> None:
    schemas = tmp_path / "schemas"
    schemas.mkdir()
    out = seedlock_cli("schema", "lock", "-o", str(schemas / "lock.schema.json"))
    assert out.returncode == 0, out.stderr
    lock = _real_lock(tmp_path)
    for validator in (_editor_validator(schemas / "lock.schema.json"), _id_validator(schemas, "lock")):
        validator.validate(lock)
        # The referenced definitions are really applied, not skipped: a root seed out of range is
        # rejected by the manifest schema's `seed`, which the lock schema only refers to.
        bad = {**lock, "root": {**lock["root"], "seed": 2**31}}
        assert [e.validator for e in validator.iter_errors(bad)] == ["maximum"]


def test_every_reference_to_another_schema_names_the_file_seedlock_writes_and_its_id(tmp_path: Path) -> None:
    lock_schema = json.loads(seedlock_cli("schema", "lock").stdout)
    manifest_schema = json.loads(seedlock_cli("schema", "manifest").stdout)
    refs = _external_refs(lock_schema)
    assert refs, "the lock schema refers to the manifest schema's definitions"
    for ref in refs:
        target, _, _fragment = ref.partition("#")
        assert target == "manifest.schema.json", ref  # the name `seedlock schema manifest -o` and init use
        assert urljoin(lock_schema["$id"], target) == manifest_schema["$id"], ref


def test_the_readmes_editor_mapping_works_as_written(tmp_path: Path) -> None:
    readme = (REPO / "README.md").read_text()
    block = next(b for b in readme.split("```json\n")[1:] if '"json.schemas"' in b).split("```")[0]
    mappings = json.loads("{" + block + "}")["json.schemas"]
    for command in (
        ["init", "--stage", "train=python,numpy"],
        ["resolve", "seedlock.json", "-o", "seedlock.lock.json"],
        ["schema", "lock", "-o", ".seedlock/lock.schema.json"],
    ):
        out = seedlock_cli(*command, cwd=tmp_path)
        assert out.returncode == 0, (command, out.stderr)
    checked = []
    for mapping in mappings:
        validator = _editor_validator(tmp_path / mapping["url"])
        for pattern in mapping["fileMatch"]:
            for document in tmp_path.glob(pattern):
                validator.validate(json.loads(document.read_text()))
                checked.append(document.name)
    assert sorted(checked) == ["seedlock.json", "seedlock.lock.json"]


def test_writing_the_lock_schema_into_a_new_directory_creates_it_with_the_manifest_schema_beside(
    tmp_path: Path,
) -> None:
    out = seedlock_cli("schema", "lock", "-o", ".seedlock/lock.schema.json", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert sorted(p.name for p in (tmp_path / ".seedlock").iterdir()) == ["lock.schema.json", "manifest.schema.json"]
    assert (tmp_path / ".seedlock" / "manifest.schema.json").read_text() == (
        SPEC / "schema" / "manifest.schema.json"
    ).read_text()
    assert "manifest schema it refers to" in out.stderr


def test_the_lock_schema_written_to_standard_output_writes_nothing_beside_it(tmp_path: Path) -> None:
    with (tmp_path / "out.json").open("w") as sink:
        out = subprocess.run(
            [sys.executable, "-m", "seedlock", "schema", "lock", "-o", "/dev/stdout"],
            stdout=sink,
            stderr=subprocess.PIPE,
            text=True,
            env=child_environ(),
            timeout=300,
        )
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "out.json").read_text() == (SPEC / "schema" / "lock.schema.json").read_text()
    assert not Path("/dev/manifest.schema.json").exists() and "refers to" not in out.stderr
