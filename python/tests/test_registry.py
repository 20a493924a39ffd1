"""spec/registry.json is the single source of the closed lists: every hand-kept copy must agree with it.

A new error code, framework or setting added in one place only fails here, naming the place.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from seedlock import errors, frameworks, settings
from seedlock.errors import SeedlockError

from conftest import SPEC

REGISTRY: dict[str, Any] = json.loads((SPEC / "registry.json").read_text(encoding="utf-8"))
FRAMEWORKS = {fw["name"]: fw for fw in REGISTRY["frameworks"]}


def _schema(name: str) -> dict[str, Any]:
    return json.loads((SPEC / "schema" / name).read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def _setting_schema(setting: dict[str, Any]) -> dict[str, Any]:
    """The JSON Schema a registry setting stands for (without title and description)."""
    kind = setting["type"]
    if kind == "boolean":
        return {"type": "boolean"}
    if kind == "enum":
        return {"enum": setting["values"]}
    if kind == "integer-or-null":
        return {"type": ["integer", "null"], "minimum": setting["minimum"]}
    assert kind == "string-array"
    return {"type": "array", "items": {"type": "string", "minLength": 1}}


def test_the_registry_is_valid_against_its_schema() -> None:
    schema = json.loads((SPEC / "registry.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(schema).validate(REGISTRY)


def test_registry_defaults_are_valid_values_of_their_settings() -> None:
    for fw in REGISTRY["frameworks"]:
        for s in fw["settings"]:
            jsonschema.validate(s["default"], _setting_schema(s))


def test_the_spec_tables_are_generated_from_the_registry() -> None:
    spec = importlib.util.spec_from_file_location("generate_tables", SPEC / "tools" / "generate_tables.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    text = (SPEC / "SPEC.md").read_text(encoding="utf-8")
    assert module.render(text, REGISTRY) == text, "run python3 spec/tools/generate_tables.py"


def test_python_error_codes_are_the_registry_codes() -> None:
    assert set(errors.CODES) == {e["code"] for e in REGISTRY["errors"]}


def test_every_registry_code_can_be_raised_and_others_cannot() -> None:
    for e in REGISTRY["errors"]:
        assert SeedlockError(e["code"], "x").code == e["code"]
    with pytest.raises(AssertionError):
        SeedlockError("no-such-code", "x")


def test_the_vector_schema_allows_exactly_the_registry_codes() -> None:
    schema = json.loads((SPEC / "vectors" / "vectors.schema.json").read_text(encoding="utf-8"))
    found: list[list[str]] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if "code" in node.get("properties", {}):
                found.append(node["properties"]["code"]["enum"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(schema)
    assert found and all(set(codes) == set(errors.CODES) for codes in found)


def test_python_frameworks_are_the_registry_frameworks_in_application_order() -> None:
    assert frameworks.NAMES == tuple(FRAMEWORKS)
    assert settings.FRAMEWORKS == tuple(FRAMEWORKS)
    assert {name: frameworks.get(name).SINCE for name in FRAMEWORKS} == {name: row["since"] for name, row in FRAMEWORKS.items()}


def test_python_extension_rules_are_the_registry_rules() -> None:
    from seedlock import extensions

    ext = REGISTRY["extensions"]
    assert (settings.EXTENSION_PREFIX, settings.EXTENSIONS_SINCE, extensions.GROUP) == (ext["prefix"], ext["since"], ext["entry_point_group"])
    assert settings._EXTENSION.pattern == ext["pattern"].strip("^$")
    assert settings.LATEST == REGISTRY["spec_version"]


def test_an_appended_launcher_variable_keeps_the_users_value(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, row in FRAMEWORKS.items():
        module = frameworks.get(name)
        for v in row["launcher_environment"]:
            if not v.get("append"):
                continue
            monkeypatch.setenv(v["variable"], "--user_flag=1")
            assert module.launcher_environment(1, module.DEFAULTS)[v["variable"]] == f"--user_flag=1 {v['value']}"
            monkeypatch.setenv(v["variable"], f"--user_flag=1 {v['value']}")
            assert module.launcher_environment(1, module.DEFAULTS)[v["variable"]] == f"--user_flag=1 {v['value']}"


def test_each_framework_module_has_the_registry_settings_defaults_and_values() -> None:
    for name, row in FRAMEWORKS.items():
        module = frameworks.get(name)
        assert list(module.DEFAULTS) == [s["name"] for s in row["settings"]], name
        assert dict(module.DEFAULTS) == {s["name"]: s["default"] for s in row["settings"]}, name
        assert set(module.CHECKS) == set(module.DEFAULTS), name
        enums = {s["name"]: tuple(s["values"]) for s in row["settings"] if s["type"] == "enum"}
        assert dict(module.VALUES) == enums, name
        assert module.DISTRIBUTIONS == tuple(row["distributions"]), name


def test_each_framework_check_accepts_what_the_registry_allows_and_rejects_the_rest() -> None:
    wrong = {"boolean": (1, "invalid-type"), "enum": ("Nope", "invalid-value"), "integer-or-null": (0, "invalid-value"),
             "string-array": ([""], "invalid-value")}
    for name, row in FRAMEWORKS.items():
        checks = frameworks.get(name).CHECKS
        for s in row["settings"]:
            pointer = f"/settings/{name}/{s['name']}"
            for value in s.get("values", [s["default"]]):
                assert checks[s["name"]](value, pointer) == value
            bad, code = wrong[s["type"]]
            with pytest.raises(SeedlockError) as info:
                checks[s["name"]](bad, pointer)
            assert info.value.code == code, (name, s["name"])


@pytest.mark.parametrize("name", list(FRAMEWORKS))
def test_each_framework_sets_the_registry_launcher_variables(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    row = FRAMEWORKS[name]
    for v in row["launcher_environment"]:
        monkeypatch.delenv(v["variable"], raising=False)
    module = frameworks.get(name)
    defaults = dict(module.DEFAULTS)
    expected = {v["variable"]: v["value"].replace("{seed}", "123") for v in row["launcher_environment"]
                if defaults[v["when"]]}
    assert module.launcher_environment(123, defaults) == expected
    for v in row["launcher_environment"]:
        off = {**defaults, v["when"]: False}
        assert v["variable"] not in module.launcher_environment(123, off)


def test_the_manifest_schema_describes_exactly_the_registry_frameworks_and_settings() -> None:
    defs = _schema("manifest.schema.json")["$defs"]
    assert set(defs["builtinFramework"]["enum"]) == set(FRAMEWORKS)
    assert set(defs["framework10"]["enum"]) == {name for name, row in FRAMEWORKS.items() if row["since"] == "1.0"}
    assert defs["extension"]["pattern"] == REGISTRY["extensions"]["pattern"]
    assert set(defs["settings"]["properties"]) == set(FRAMEWORKS)
    for name, row in FRAMEWORKS.items():
        assert defs["settings"]["properties"][name] == {"$ref": f"#/$defs/{name}Settings"}
        block = defs[f"{name}Settings"]
        assert (block["title"], block["description"]) == (row["title"], row["description"]), name
        assert list(block["properties"]) == [s["name"] for s in row["settings"]], name
        for s in row["settings"]:
            prop = dict(block["properties"][s["name"]])
            assert (prop.pop("title"), prop.pop("description")) == (s["title"], s["description"]), (name, s["name"])
            assert prop == _setting_schema(s), (name, s["name"])


def test_the_lock_schema_requires_every_registry_setting_of_every_framework() -> None:
    frameworks_schema = _schema("lock.schema.json")["$defs"]["stage"]["properties"]["frameworks"]["properties"]
    assert set(frameworks_schema) == set(FRAMEWORKS)
    for name, row in FRAMEWORKS.items():
        parts = frameworks_schema[name]["properties"]["settings"]["allOf"]
        assert parts[0] == {"$ref": f"manifest.schema.json#/$defs/{name}Settings"}
        assert parts[1] == {"required": [s["name"] for s in row["settings"]]}


def test_the_packaged_registry_is_the_spec_registry() -> None:
    packaged = Path(frameworks.__file__).parent.parent / "_spec" / "registry.json"
    assert json.loads(packaged.read_text(encoding="utf-8")) == REGISTRY


def test_the_conformance_report_orders_every_registered_framework() -> None:
    from seedlock.conformance.report import FRAMEWORK_ORDER

    assert sorted(FRAMEWORK_ORDER) == sorted(FRAMEWORKS)


def test_the_conformance_versions_include_every_installed_framework_distribution() -> None:
    from importlib import metadata

    from seedlock.conformance.report import versions

    got = versions()
    for row in REGISTRY["frameworks"]:
        for dist in row["distributions"]:
            try:
                installed: str | None = metadata.version(dist)
            except metadata.PackageNotFoundError:
                installed = None
            assert got.get(dist) == installed, dist


def _names_a_schema_allows(node: dict[str, Any]) -> tuple[set[str], set[str]]:
    """The enum values and patterns of a property schema, through anyOf/oneOf branches."""
    values, patterns = set(node.get("enum", ())), {node["pattern"]} if "pattern" in node else set()
    for branch in (*node.get("anyOf", ()), *node.get("oneOf", ())):
        more_values, more_patterns = _names_a_schema_allows(branch)
        values |= more_values
        patterns |= more_patterns
    return values, patterns


def test_the_conformance_case_schema_allows_exactly_the_registry_frameworks() -> None:
    from seedlock.conformance import plan

    case_schema_file = Path(plan.__file__).parent.parent / "_conformance" / "case.schema.json"
    case_schema = json.loads(case_schema_file.read_text(encoding="utf-8"))
    found: list[tuple[str, set[str], set[str]]] = []

    def walk(node: Any, pointer: str) -> None:
        if isinstance(node, dict):
            for key, value in node.get("properties", {}).items():
                if key == "framework":
                    found.append((f"{pointer}/properties/framework", *_names_a_schema_allows(value)))
            for key, value in node.items():
                walk(value, f"{pointer}/{key}")
        elif isinstance(node, list):
            for i, value in enumerate(node):
                walk(value, f"{pointer}/{i}")

    walk(case_schema, "")
    assert found, "the case schema names the framework a case exercises"
    for pointer, values, patterns in found:
        assert values == set(FRAMEWORKS), f"{case_schema_file.name}{pointer}: not the registry's frameworks"
        # An extension case, if the schema allows one, is named by the registry's extension rule.
        assert patterns <= {REGISTRY["extensions"]["pattern"]}, pointer


def test_every_framework_seeded_through_a_package_has_an_install_extra_that_installs_it() -> None:
    import re
    import tomllib

    pyproject = tomllib.loads((SPEC.parent / "pyproject.toml").read_text(encoding="utf-8"))
    extras = pyproject["project"]["optional-dependencies"]
    for name, row in FRAMEWORKS.items():
        if not row["distributions"]:
            continue  # python is the standard library; Caffe is built from source, not pip-installed
        assert name in extras, f"pyproject.toml has no `{name}` extra"
        installed = {re.split(r"[\[<>=!~; ]", requirement, maxsplit=1)[0].lower() for requirement in extras[name]}
        assert installed & set(row["distributions"]), (name, extras[name])
