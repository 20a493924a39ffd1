"""The JSON Schemas: complete enough for editors, and in agreement with the examples."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import seedlock
from conftest import SPEC
from seedlock.spec import _schema

SCHEMAS = {name: json.loads((SPEC / "schema" / f"{name}.schema.json").read_text()) for name in ("manifest", "lock")}


def _resolve(ref: str, schema_name: str) -> Any:
    doc_name, _, fragment = ref.partition("#")
    doc = SCHEMAS["manifest"] if doc_name.startswith("manifest") else SCHEMAS[schema_name]
    node = doc
    for part in fragment.strip("/").split("/"):
        node = node[part]
    return node


def _properties(node: Any, path: str) -> Iterator[tuple[str, Any]]:
    if isinstance(node, dict):
        for key, value in node.get("properties", {}).items():
            yield f"{path}/properties/{key}", value
        for key, value in node.items():
            yield from _properties(value, f"{path}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _properties(value, f"{path}/{i}")


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_every_property_has_a_description_for_editors(name: str) -> None:
    missing = []
    for path, prop in _properties(SCHEMAS[name], ""):
        if not isinstance(prop, dict) or "description" in prop:
            continue
        if "/if/" in path or "/allOf/1/" in path:
            continue  # constraints on an already described member, not members of their own
        if "$ref" in prop and "description" in _resolve(prop["$ref"], name):
            continue
        if "allOf" in prop or set(prop) <= {"$ref", "properties"}:
            continue  # described where the referenced framework settings are defined
        missing.append(path)
    assert not missing


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_objects_forbid_unknown_members(name: str) -> None:
    def walk(node: Any, path: str) -> Iterator[str]:
        if isinstance(node, dict):
            if (
                node.get("type") == "object"
                and "properties" in node
                and path != "/properties/provenance"
                and node.get("additionalProperties") is not False
                and node.get("unevaluatedProperties") is not False
            ):
                yield path
            for key, value in node.items():
                yield from walk(value, f"{path}/{key}")

    assert list(walk(SCHEMAS[name], "")) == []


@pytest.mark.parametrize("path", sorted((SPEC / "examples").glob("*.json")), ids=lambda p: p.name)
def test_the_examples_validate_and_resolve_to_locks_the_lock_schema_accepts(path: Any) -> None:
    manifest = seedlock.load_manifest(path)
    lock = seedlock.resolve(manifest)
    _schema.check("lock", lock.to_dict())


def test_schemas_name_themselves() -> None:
    assert SCHEMAS["manifest"]["$id"] == "https://seedlock.dev/schema/1/manifest.schema.json"
    assert SCHEMAS["lock"]["$id"] == "https://seedlock.dev/schema/1/lock.schema.json"
