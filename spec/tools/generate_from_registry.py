"""Write everything that is derived from spec/registry.json, or check that it is current.

    python spec/tools/generate_from_registry.py          # rewrite every generated file
    python spec/tools/generate_from_registry.py --check  # exit 1 naming each stale file

The registry is the one place a framework's names, order, versions, import modules, settings and
launcher variables are written. From it this tool writes:

* spec/SPEC.md: the blocks between ``<!-- registry:NAME -->`` and ``<!-- /registry:NAME -->`` (settings
  §6, launcher variables §6.1, errors §7); text outside the blocks is never touched;
* spec/schema/manifest.schema.json and lock.schema.json: their framework sections (the framework enums,
  each framework's settings object, the 1.0 restrictions, the lock's resolved frameworks);
* python/seedlock/_conformance/case.schema.json: the enum of a case's framework;
* python/seedlock/spec/_registry.py: the registry as plain Python literals (imported by every auto-seeded
  child: no json, no typing);
* r/seedlock/R/registry-data.R: the same for R.

Generated files say so in their first lines. The spec copies in the bindings stay scripts/sync_spec.py's.
"""

from __future__ import annotations

import json
import re
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

SPEC = Path(__file__).resolve().parent.parent
ROOT = SPEC.parent
TOOL = "spec/tools/generate_from_registry.py"
WIDTH = 100
FIRST_VERSION = "1.0"


def load_registry(spec: Path = SPEC) -> dict[str, Any]:
    return json.loads((spec / "registry.json").read_text(encoding="utf-8"))


def display_order(registry: dict[str, Any]) -> list[dict[str, Any]]:
    """Frameworks as readers meet them (``display_rank``), for tables, enums and reports."""
    return sorted(registry["frameworks"], key=lambda fw: (fw["display_rank"], fw["name"]))


def _later(registry: dict[str, Any]) -> list[dict[str, Any]]:
    """Frameworks a 1.0 document cannot name. The schemas express one version boundary (1.0); a
    framework introduced later than 1.1 needs another, which this tool does not write yet."""
    later = [fw for fw in display_order(registry) if fw["since"] != FIRST_VERSION]
    for fw in later:
        if fw["since"] != "1.1":
            raise SystemExit(
                f"{fw['name']}: since {fw['since']} cannot be expressed in the schemas yet "
                f"(extend {TOOL}: one more version block)"
            )
    return later


# ---------------------------------------------------------------- SPEC.md tables
def _code(value: Any) -> str:
    return f"`{value}`" if isinstance(value, str) else f"`{json.dumps(value)}`"


def _type(setting: dict[str, Any]) -> str:
    kind = setting["type"]
    if kind == "enum":
        return setting.get("values_name") or ", ".join(_code(v) for v in setting["values"])
    if kind == "integer-or-null":
        return f"integer ≥ {setting['minimum']} or `null`"
    if kind == "string-array":
        return "array of non-empty strings"
    return str(kind)


def _wrap(text: str) -> str:
    return "\n".join(textwrap.wrap(text, WIDTH, break_on_hyphens=False, break_long_words=False))


def settings_table(registry: dict[str, Any]) -> str:
    rows = ["| framework | member | type | default | meaning |", "|---|---|---|---|---|"]
    named: list[str] = []
    for fw in display_order(registry):
        for s in fw["settings"]:
            rows.append(f"| `{fw['name']}` | `{s['name']}` | {_type(s)} | {_code(s['default'])} | {s['meaning']} |")
            if s.get("values_name"):
                named.append(f"{s['values_name']}s: " + ", ".join(_code(v) for v in s["values"]) + ".")
    order_line = (
        "Frameworks are applied in this order: " + ", ".join(f"`{f['name']}`" for f in registry["frameworks"]) + "."
    )
    later = [f"`{f['name']}` ({f['since']})" for f in registry["frameworks"] if f["since"] != FIRST_VERSION]
    if later:
        order_line += (
            " Frameworks introduced after 1.0, with the version that introduced them: "
            + ", ".join(later)
            + "; a document of an earlier version that names one is `unknown-framework` (§2.1)."
        )
    return "\n".join(rows) + "\n\n" + _wrap(" ".join(named)) + "\n\n" + _wrap(order_line)


def errors_table(registry: dict[str, Any]) -> str:
    rows = ["| code | meaning |", "|---|---|"]
    rows += [f"| `{e['code']}` | {e['meaning']} |" for e in registry["errors"]]
    return "\n".join(rows)


def launcher_table(registry: dict[str, Any]) -> str:
    rows = ["| variable | set when | value |", "|---|---|---|"]
    rows += [f"| `{v['variable']}` | always | {v['meaning']} |" for v in registry["launcher_environment"]]
    for fw in registry["frameworks"]:
        for v in fw["launcher_environment"]:
            value = f"the {fw['name']} seed" if v["value"] == "{seed}" else f"`{v['value']}`"
            if v.get("append"):
                value += ", appended (after a space) to the value the variable already has, unless already there"
            rows.append(f"| `{v['variable']}` | the stage lists `{fw['name']}` with `{v['when']}` true | {value} |")
    return "\n".join(rows)


BLOCKS = {"settings": settings_table, "errors": errors_table, "launcher": launcher_table}


def render(spec_text: str, registry: dict[str, Any]) -> str:
    """SPEC.md with its generated blocks rewritten."""
    for name, build in BLOCKS.items():
        pattern = re.compile(rf"(<!-- registry:{name} -->\n).*?(<!-- /registry:{name} -->)", re.DOTALL)
        if not pattern.search(spec_text):
            raise SystemExit(f"SPEC.md has no generated block {name!r}")
        block = build(registry)
        spec_text = pattern.sub(lambda m, block=block: m.group(1) + block + "\n" + m.group(2), spec_text)
    return spec_text


# ---------------------------------------------------------------- JSON Schemas
def _comment(sections: str) -> str:
    return f"{sections} are generated by {TOOL} from spec/registry.json: do not edit them here."


def _with_comment(schema: dict[str, Any], comment: str) -> dict[str, Any]:
    """``schema`` with ``$comment`` right after ``$id`` (so it is in the file's first lines)."""
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "$comment":
            continue
        out[key] = value
        if key == "$id":
            out["$comment"] = comment
    return out


def _setting_schema(setting: dict[str, Any]) -> dict[str, Any]:
    kind = setting["type"]
    if kind == "boolean":
        out: dict[str, Any] = {"type": "boolean"}
    elif kind == "enum":
        out = {"enum": list(setting["values"])}
    elif kind == "integer-or-null":
        out = {"type": ["integer", "null"], "minimum": setting["minimum"]}
    elif kind == "string-array":
        out = {"type": "array", "items": {"type": "string", "minLength": 1}}
    else:
        raise SystemExit(f"setting {setting['name']}: no schema for type {kind!r}")
    return {**out, "title": setting["title"], "description": setting["description"]}


def _settings_def(fw: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "additionalProperties": False,
        "title": fw["title"],
        "description": fw["description"],
        "properties": {s["name"]: _setting_schema(s) for s in fw["settings"]},
    }


def _not_named(names: list[str]) -> dict[str, Any]:
    return {"not": {"const": names[0]}} if len(names) == 1 else {"not": {"enum": names}}


def manifest_schema(schema: dict[str, Any], registry: dict[str, Any]) -> dict[str, Any]:
    ordered = display_order(registry)
    later = _later(registry)
    later_names = [fw["name"] for fw in later]
    since_text = ", ".join(f"{fw['name']} from version {fw['since']}" for fw in later)
    defs: dict[str, Any] = {}
    settings_defs = {f"{fw['name']}Settings": _settings_def(fw) for fw in ordered}
    for key, value in schema["$defs"].items():
        if re.fullmatch(r"[a-z][a-z0-9]*Settings", key):
            continue  # every framework's settings object is written after "settings", below
        if key == "builtinFramework":
            value = {
                "enum": [fw["name"] for fw in ordered],
                "title": "Framework",
                "description": "A framework seedlock can seed" + (f" ({since_text})." if later else "."),
            }
        elif key == "framework10":
            value = {
                "enum": [fw["name"] for fw in ordered if fw["since"] == FIRST_VERSION],
                "title": "Framework of version 1.0",
                "description": "The frameworks a 1.0 document can name.",
            }
        elif key == "settings":
            value = {**value, "properties": {fw["name"]: {"$ref": f"#/$defs/{fw['name']}Settings"} for fw in ordered}}
        defs[key] = value
        if key == "settings":
            defs.update(settings_defs)
    out = {**schema, "$defs": defs}
    if later:
        then = out["allOf"][0]["then"]["properties"]
        no_settings = f"A 1.0 document has no {' or '.join(later_names)} settings."
        then["settings"] = {"propertyNames": _not_named(later_names), "description": no_settings}
        stage = then["stages"]["additionalProperties"]["properties"]
        stage["settings"] = {"propertyNames": _not_named(later_names), "description": no_settings}
    return _with_comment(
        out,
        _comment(
            "$defs builtinFramework, framework10, settings, every <framework>Settings and the "
            "1.0 restrictions (allOf[0])"
        ),
    )


def lock_schema(schema: dict[str, Any], registry: dict[str, Any]) -> dict[str, Any]:
    frameworks = schema["$defs"]["stage"]["properties"]["frameworks"]
    frameworks["properties"] = {
        fw["name"]: {
            "$ref": "#/$defs/fw",
            "properties": {
                "settings": {
                    "allOf": [
                        {"$ref": f"manifest.schema.json#/$defs/{fw['name']}Settings"},
                        {"required": [s["name"] for s in fw["settings"]]},
                    ]
                }
            },
        }
        for fw in display_order(registry)
    }
    return _with_comment(schema, _comment("$defs/stage/properties/frameworks/properties"))


def case_schema(schema: dict[str, Any], registry: dict[str, Any]) -> dict[str, Any]:
    schema["properties"]["framework"]["anyOf"][0] = {"enum": [fw["name"] for fw in display_order(registry)]}
    return _with_comment(schema, _comment("properties/framework/anyOf[0] (the built-in frameworks)"))


def _schema_writer(
    build: Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]],
) -> Callable[[str, dict[str, Any]], str]:
    def write(current: str, registry: dict[str, Any]) -> str:
        return json.dumps(build(json.loads(current), registry), indent=2, ensure_ascii=False) + "\n"

    return write


# ---------------------------------------------------------------- binding data
def _py(value: Any, indent: int = 0) -> str:
    """A Python literal of ``value``: dicts and long lists one item a line, tuples for lists."""
    pad = " " * (indent + 4)
    if isinstance(value, dict):
        if not value:
            return "{}"
        one = "{" + ", ".join(f"{_py(k)}: {_py(v)}" for k, v in value.items()) + "}"
        if len(one) + indent < 100:
            return one
        return "{\n" + "".join(f"{pad}{_py(k)}: {_py(v, indent + 4)},\n" for k, v in value.items()) + " " * indent + "}"
    if isinstance(value, (list, tuple)):
        if not value:
            return "()"
        one = "(" + ", ".join(_py(v) for v in value) + ("," if len(value) == 1 else "") + ")"
        if len(one) + indent < 100:
            return one
        return "(\n" + "".join(f"{pad}{_py(v, indent + 4)},\n" for v in value) + " " * indent + ")"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return repr(value)


def _setting_data(setting: dict[str, Any]) -> dict[str, Any]:
    keep = ("type", "default", "values", "minimum", "quantity")
    return {key: setting[key] for key in keep if key in setting}


def binding_data(registry: dict[str, Any]) -> dict[str, tuple[str, Any]]:
    """Name -> (comment, value) of everything the bindings read from the registry."""
    fws = registry["frameworks"]
    triggers: dict[str, str] = {}
    for fw in fws:
        for module in ([fw["module"]] if fw["module"] else []) + list(fw["extra_modules"]):
            triggers[module] = fw["name"]
    ext = registry["extensions"]
    return {
        "SPEC_VERSION": ("The specification version the registry describes.", registry["spec_version"]),
        "ERROR_CODES": ("Every error code (spec §7), in table order.", [e["code"] for e in registry["errors"]]),
        "FRAMEWORKS": (
            "Built-in framework names in the order stages apply them (spec §6).",
            [fw["name"] for fw in fws],
        ),
        "DISPLAY_ORDER": (
            "The same as readers meet them: tables, reports, repaired documents.",
            [fw["name"] for fw in display_order(registry)],
        ),
        "SINCE": (
            "The specification version that introduced each framework (spec §2.1).",
            {fw["name"]: fw["since"] for fw in fws},
        ),
        "DISTRIBUTIONS": (
            "Distributions whose installed version provenance records (first installed wins).",
            {fw["name"]: fw["distributions"] for fw in fws},
        ),
        "MODULES": (
            "The module whose first import seeds each framework (None: seeded at interpreter start).",
            {fw["name"]: fw["module"] for fw in fws},
        ),
        "TRIGGERS": ("Every module whose first import seeds (part of) a framework -> that framework.", triggers),
        "PACKAGES": (
            "Top-level packages of each framework -> the framework: what they import is for their own use.",
            {package: fw["name"] for fw in fws for package in fw["packages"]},
        ),
        "STREAM_FRAMEWORKS": (
            "Frameworks that hand out named streams (spec §4.3).",
            [fw["name"] for fw in fws if fw["streams"]],
        ),
        "SETTINGS": (
            "Each framework's settings in table order: type, default and the type's constraints.",
            {fw["name"]: {s["name"]: _setting_data(s) for s in fw["settings"]} for fw in fws},
        ),
        "LAUNCHER_ENVIRONMENT": (
            "Variables a launcher sets for a stage listing the framework (spec §6.1).",
            {fw["name"]: fw["launcher_environment"] for fw in fws},
        ),
        "EXTENSION_PREFIX": ("Every extension name starts with it (spec §2.2).", ext["prefix"]),
        "EXTENSION_PATTERN": ("An extension name matches it.", ext["pattern"]),
        "EXTENSIONS_SINCE": ("The version that introduced extensions.", ext["since"]),
        "ENTRY_POINT_GROUP": ("Entry-point group of third-party seeders.", ext["entry_point_group"]),
    }


def python_module(current: str, registry: dict[str, Any]) -> str:
    lines = [
        f'"""Generated by {TOOL} from spec/registry.json: do not edit.',
        "",
        "The registry's closed lists as plain literals. Every auto-seeded child imports this module, so it",
        "imports nothing (no json, no typing, not even __future__: its annotations are strings); edit",
        'spec/registry.json and run the tool instead."""',
        "",
        "TYPE_CHECKING = False",
        "if TYPE_CHECKING:",
        "    from typing import Any, Final",
        "",
    ]
    types = {
        "SETTINGS": "dict[str, dict[str, dict[str, Any]]]",
        "LAUNCHER_ENVIRONMENT": "dict[str, tuple[dict[str, Any], ...]]",
    }
    for name, (comment, value) in binding_data(registry).items():
        lines.append(f"#: {comment}")
        annotation = f"Final[{types[name]}]" if name in types else "Final"
        lines.append(f'{name}: "{annotation}" = {_py(value)}')
    return "\n".join(lines) + "\n"


def _r(value: Any, indent: int = 0) -> str:
    """An R literal: named lists for objects, character vectors for lists of strings."""
    pad = " " * (indent + 2)
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        if not value:
            return "list()"
        if all(isinstance(v, str) for v in value):
            return "c(" + ", ".join(_r(v) for v in value) + ")"
        return "list(" + ", ".join(_r(v, indent) for v in value) + ")"
    if isinstance(value, dict):
        if not value:
            return "structure(list(), names = character(0))"
        if all(isinstance(v, str) for v in value.values()):
            one = "c(" + ", ".join(f"{_r_name(k)} = {_r(v)}" for k, v in value.items()) + ")"
        else:
            one = "list(" + ", ".join(f"{_r_name(k)} = {_r(v, indent + 2)}" for k, v in value.items()) + ")"
        if len(one) + indent < 100 or not isinstance(value, dict):
            return one
        opener = "c(" if one.startswith("c(") else "list("
        items = [f"{pad}{_r_name(k)} = {_r(v, indent + 2)}" for k, v in value.items()]
        return opener + "\n" + ",\n".join(items) + "\n" + " " * indent + ")"
    raise SystemExit(f"no R literal for {value!r}")


def _r_name(name: str) -> str:
    return name if re.fullmatch(r"[A-Za-z][A-Za-z0-9_.]*", name) else f"`{name}`"


R_NAMES = {
    "SPEC_VERSION": "registry_spec_version",
    "ERROR_CODES": "seedlock_codes",
    "FRAMEWORKS": "registry_frameworks",
    "DISPLAY_ORDER": "registry_display_order",
    "SINCE": "registry_since",
    "STREAM_FRAMEWORKS": "registry_stream_frameworks",
    "SETTINGS": "registry_settings",
    "EXTENSION_PREFIX": "registry_extension_prefix",
    "EXTENSION_PATTERN": "registry_extension_pattern",
    "EXTENSIONS_SINCE": "registry_extensions_since",
}


def r_file(current: str, registry: dict[str, Any]) -> str:
    lines = [
        f"# Generated by {TOOL} from spec/registry.json: do not edit.",
        "# The registry's closed lists for the R binding (settings.R, replicate.R, problems.R read them).",
        "",
    ]
    for name, (comment, value) in binding_data(registry).items():
        if name in R_NAMES:
            # R CMD check warns about non-ASCII characters in R files.
            lines.append("# " + comment.replace("spec §", "SPEC.md section "))
            lines.append(f"{R_NAMES[name]} <- {_r(value)}")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- driver
#: Generated file (relative to the repository root) -> its writer (current text, registry) -> wanted text.
OUTPUTS: dict[str, Callable[[str, dict[str, Any]], str]] = {
    "spec/SPEC.md": render,
    "spec/schema/manifest.schema.json": _schema_writer(manifest_schema),
    "spec/schema/lock.schema.json": _schema_writer(lock_schema),
    "python/seedlock/_conformance/case.schema.json": _schema_writer(case_schema),
    "python/seedlock/spec/_registry.py": python_module,
    "r/seedlock/R/registry-data.R": r_file,
}


def stale(root: Path = ROOT) -> dict[Path, str]:
    """Each generated file whose text differs from what the registry gives -> the wanted text. A file
    whose directory is absent (a tree without the R package) is not generated there."""
    registry = load_registry(root / "spec")
    out: dict[Path, str] = {}
    for relative, write in OUTPUTS.items():
        path = root / relative
        if not path.parent.is_dir():
            continue
        current = path.read_text(encoding="utf-8") if path.exists() else ""
        wanted = write(current, registry)
        if wanted != current:
            out[path] = wanted
    return out


def main(argv: list[str]) -> int:
    changes = stale()
    if "--check" in argv:
        for path in changes:
            print(f"{path.relative_to(ROOT)} is stale: run python3 {TOOL}")
        return 1 if changes else 0
    for path, text in changes.items():
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
