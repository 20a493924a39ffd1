"""Write the tables of SPEC.md that come from spec/registry.json (settings §6, errors §7), or check them.

    python spec/tools/generate_tables.py          # rewrite the generated blocks of spec/SPEC.md
    python spec/tools/generate_tables.py --check  # exit 1 when SPEC.md differs from the registry

A generated block sits between ``<!-- registry:NAME -->`` and ``<!-- /registry:NAME -->``; text
outside the blocks is never touched.
"""

from __future__ import annotations

import json
import re
import sys
import textwrap
from pathlib import Path
from typing import Any

SPEC = Path(__file__).resolve().parent.parent
WIDTH = 100


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


def settings_table(registry: dict[str, Any]) -> str:
    # The table lists python first, as readers meet frameworks; registry order is application order.
    order = ["python", "numpy", "torch", "tensorflow", "jax", "r", "caffe"]
    frameworks = sorted(registry["frameworks"], key=lambda f: order.index(f["name"]) if f["name"] in order else len(order))
    rows = ["| framework | member | type | default | meaning |", "|---|---|---|---|---|"]
    named: list[str] = []
    for fw in frameworks:
        for s in fw["settings"]:
            rows.append(f"| `{fw['name']}` | `{s['name']}` | {_type(s)} | {_code(s['default'])} | {s['meaning']} |")
            if s.get("values_name"):
                named.append(f"{s['values_name']}s: " + ", ".join(_code(v) for v in s["values"]) + ".")
    order_line = "Frameworks are applied in this order: " + ", ".join(f"`{f['name']}`" for f in registry["frameworks"]) + "."
    later = [f"`{f['name']}` ({f['since']})" for f in registry["frameworks"] if f["since"] != "1.0"]
    if later:
        order_line += (" Frameworks introduced after 1.0, with the version that introduced them: " + ", ".join(later)
                       + "; a document of an earlier version that names one is `unknown-framework` (§2.1).")
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


def _wrap(text: str) -> str:
    return "\n".join(textwrap.wrap(text, WIDTH, break_on_hyphens=False, break_long_words=False))


BLOCKS = {"settings": settings_table, "errors": errors_table, "launcher": launcher_table}


def render(spec_text: str, registry: dict[str, Any]) -> str:
    for name, build in BLOCKS.items():
        pattern = re.compile(rf"(<!-- registry:{name} -->\n).*?(<!-- /registry:{name} -->)", re.S)
        if not pattern.search(spec_text):
            raise SystemExit(f"SPEC.md has no generated block {name!r}")
        spec_text = _fill(pattern, spec_text, build(registry))
    return spec_text


def _fill(pattern: re.Pattern[str], spec_text: str, block: str) -> str:
    """Replace what lies between a generated block's markers (a function, not a string: ``block`` may hold
    backslashes, which a replacement string would read as escapes)."""
    return pattern.sub(lambda m: m.group(1) + block + "\n" + m.group(2), spec_text)


def main(argv: list[str]) -> int:
    registry = json.loads((SPEC / "registry.json").read_text(encoding="utf-8"))
    path = SPEC / "SPEC.md"
    current = path.read_text(encoding="utf-8")
    wanted = render(current, registry)
    if "--check" in argv:
        if wanted != current:
            print(f"{path} differs from spec/registry.json: run python spec/tools/generate_tables.py")
            return 1
        return 0
    path.write_text(wanted, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
