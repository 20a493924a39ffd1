"""spec/registry.json drives the code: what is derived from it is generated, and what it says holds.

The generated files (schemas' framework sections, the conformance case enum, both bindings' registry
data, SPEC tables) are checked by ``spec/tools/generate_from_registry.py --check`` (scripts/test.sh,
and the first test here); the other tests check behaviour the registry describes.
"""

from __future__ import annotations

import importlib.util
import json
import os
from types import SimpleNamespace
from typing import Any

import jsonschema
import pytest
from conftest import SPEC
from seedlock.launching import _launch_fast
from seedlock.spec import settings
from seedlock.spec.errors import SeedlockError

REGISTRY: dict[str, Any] = json.loads((SPEC / "registry.json").read_text(encoding="utf-8"))
FRAMEWORKS = {fw["name"]: fw for fw in REGISTRY["frameworks"]}


def _generator() -> Any:
    spec = importlib.util.spec_from_file_location(
        "generate_from_registry", SPEC / "tools" / "generate_from_registry.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


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


def test_every_file_generated_from_the_registry_is_current() -> None:
    stale = _generator().stale(SPEC.parent)
    assert not stale, f"stale: {sorted(str(p) for p in stale)}: run python3 spec/tools/generate_from_registry.py"


def test_the_generator_check_fails_naming_a_generated_file_someone_edited(tmp_path: Any) -> None:
    import shutil
    import subprocess
    import sys

    for part in ("spec", "python/seedlock/_conformance", "r/seedlock/R"):
        shutil.copytree(SPEC.parent / part, tmp_path / part)
    (tmp_path / "python/seedlock/spec").mkdir()
    (tmp_path / "python/seedlock/spec/_registry.py").write_text("FRAMEWORKS = ()\n", encoding="utf-8")
    check = [sys.executable, str(tmp_path / "spec/tools/generate_from_registry.py"), "--check"]
    out = subprocess.run(check, capture_output=True, text=True, check=False)
    assert (out.returncode, out.stdout) == (
        1,
        "python/seedlock/spec/_registry.py is stale: run python3 spec/tools/generate_from_registry.py\n",
    )
    subprocess.run(check[:-1], capture_output=True, check=True)
    assert subprocess.run(check, capture_output=True, check=False).returncode == 0


def test_the_registry_is_valid_against_its_schema() -> None:
    schema = json.loads((SPEC / "registry.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(schema).validate(REGISTRY)
    ranks = [fw["display_rank"] for fw in REGISTRY["frameworks"]]
    assert len(set(ranks)) == len(ranks), "display ranks are unique"


def test_registry_defaults_are_valid_values_of_their_settings() -> None:
    for fw in REGISTRY["frameworks"]:
        for s in fw["settings"]:
            jsonschema.validate(s["default"], _setting_schema(s))


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
    assert found and all(set(codes) == {e["code"] for e in REGISTRY["errors"]} for codes in found)


def test_the_one_settings_checker_accepts_what_the_registry_allows_and_rejects_the_rest() -> None:
    wrong = {
        "boolean": (1, "invalid-type"),
        "enum": ("Nope", "invalid-value"),
        "integer-or-null": (0, "invalid-value"),
        "string-array": ([""], "invalid-value"),
    }
    for name, row in FRAMEWORKS.items():
        checks = settings.CHECKS[name]
        for s in row["settings"]:
            pointer = f"/settings/{name}/{s['name']}"
            for value in s.get("values", [s["default"]]):
                assert checks[s["name"]](value, pointer) == value
            bad, code = wrong[s["type"]]
            with pytest.raises(SeedlockError) as info:
                checks[s["name"]](bad, pointer)
            assert info.value.code == code, (name, s["name"])


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


def _stage(**frameworks: dict[str, Any]) -> Any:
    return SimpleNamespace(
        name="train", frameworks={name: SimpleNamespace(seed=123, settings=value) for name, value in frameworks.items()}
    )


@pytest.mark.parametrize("name", list(FRAMEWORKS))
def test_the_launcher_sets_each_frameworks_registry_variables_only_when_their_setting_is_on(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    row = FRAMEWORKS[name]
    for v in row["launcher_environment"]:
        monkeypatch.delenv(v["variable"], raising=False)
    defaults = dict(settings.DEFAULTS[name])
    env = _launch_fast.stage_variables("lock.json", _stage(**{name: defaults}))
    expected = {
        v["variable"]: v["value"].replace("{seed}", "123") for v in row["launcher_environment"] if defaults[v["when"]]
    }
    assert env == {"SEEDLOCK_LOCK": os.path.abspath("lock.json"), "SEEDLOCK_STAGE": "train", **expected}
    for v in row["launcher_environment"]:
        off = _launch_fast.stage_variables("lock.json", _stage(**{name: {**defaults, v["when"]: False}}))
        assert v["variable"] not in off


def test_an_appended_launcher_variable_keeps_the_users_value(monkeypatch: pytest.MonkeyPatch) -> None:
    appended = [(name, v) for name, row in FRAMEWORKS.items() for v in row["launcher_environment"] if v.get("append")]
    assert appended, "the registry has an appended variable (jax's XLA_FLAGS)"
    for name, v in appended:
        stage = _stage(**{name: dict(settings.DEFAULTS[name])})
        monkeypatch.setenv(v["variable"], "--user_flag=1")
        assert _launch_fast.stage_variables("l", stage)[v["variable"]] == f"--user_flag=1 {v['value']}"
        monkeypatch.setenv(v["variable"], f"--user_flag=1 {v['value']}")
        assert _launch_fast.stage_variables("l", stage)[v["variable"]] == f"--user_flag=1 {v['value']}"


def test_a_framework_introduced_after_a_version_is_unknown_in_documents_of_that_version() -> None:
    for name, row in FRAMEWORKS.items():
        if row["since"] == "1.0":
            continue
        with pytest.raises(SeedlockError) as info:
            settings.framework(name, "/stages/s/frameworks/0", "1.0")
        assert info.value.code == "unknown-framework"
        assert settings.framework(name, "/p", row["since"]) == name
