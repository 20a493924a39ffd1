"""JSON Schema validation with jsonschema, compiled once per process and imported lazily.

The hand-written checks in manifest.py/lock.py decide error codes (the R binding has no JSON Schema
library, so codes must come from rules both bindings share); the schema is the same contract for
editors and other tools, and a document is accepted only when both agree.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from ._files import schema_path
from .errors import SeedlockError, pointer_join

_CODE_BY_KEYWORD = {
    "type": "invalid-type",
    "required": "missing-field",
    "additionalProperties": "unknown-field",
    "unevaluatedProperties": "unknown-field",
    "minimum": "seed-out-of-range",
    "maximum": "seed-out-of-range",
    "pattern": "invalid-value",
    "enum": "invalid-value",
    "const": "invalid-value",
}


@cache
def _validators() -> dict[str, Any]:
    from jsonschema import Draft202012Validator
    from referencing import Registry, Resource

    schemas = {name: json.loads(schema_path(f"{name}.schema.json").read_text("utf-8")) for name in ("manifest", "lock")}
    registry: Registry = Registry().with_resources(
        (schema["$id"], Resource.from_contents(schema)) for schema in schemas.values()
    )
    return {name: Draft202012Validator(schema, registry=registry) for name, schema in schemas.items()}


def check(kind: str, document: Any) -> None:
    """Raise :class:`SeedlockError` if ``document`` does not validate against the ``kind`` schema."""
    validator = _validators()[kind]
    error = next(iter(sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))), None)
    if error is None:
        return
    pointer = "".join(pointer_join("", part) for part in error.absolute_path)
    code = _CODE_BY_KEYWORD.get(str(error.validator), "invalid-value")
    raise SeedlockError(code, f"Schema violation: {error.message}", pointer)
