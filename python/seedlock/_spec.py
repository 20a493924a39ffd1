"""Where this binding finds the specification's schemas and vectors after installation."""

from __future__ import annotations

import os
from pathlib import Path

SPEC_DIR_VARIABLE = "SEEDLOCK_SPEC_DIR"
_PACKAGED = Path(__file__).parent / "_spec"


def spec_dir() -> Path:
    """``$SEEDLOCK_SPEC_DIR`` when set (a checkout's ``spec/``), else the copy shipped in the package."""
    override = os.environ.get(SPEC_DIR_VARIABLE)
    return Path(override) if override else _PACKAGED


def schema_path(name: str) -> Path:
    """Path of ``manifest.schema.json`` or ``lock.schema.json``."""
    return spec_dir() / "schema" / name


def vectors_dir() -> Path:
    return spec_dir() / "vectors"


SCHEMA_KINDS = ("manifest", "lock")


def schema_text(kind: str) -> str:
    """The JSON Schema of a ``manifest`` or a ``lock``, exactly as shipped (for editors: `seedlock schema`)."""
    if kind not in SCHEMA_KINDS:
        raise ValueError(f"no schema {kind!r} (choose from {', '.join(SCHEMA_KINDS)})")
    return schema_path(f"{kind}.schema.json").read_text("utf-8")
