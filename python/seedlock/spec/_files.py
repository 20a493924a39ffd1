"""Where this binding finds the specification's schemas and vectors after installation."""

from __future__ import annotations

import os
from pathlib import Path

SPEC_DIR_VARIABLE = "SEEDLOCK_SPEC_DIR"
_PACKAGED = Path(__file__).parent.parent / "_spec"


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


def referenced_schemas(kind: str) -> tuple[str, ...]:
    """The other schemas the ``kind`` schema's `$ref`s name by file name (the lock: the manifest).

    The references are relative (``manifest.schema.json#/$defs/seed``): against the schema's `$id`
    they give the other schema's `$id`, and against the file an editor loaded they give the file
    beside it, so a schema written with these companions resolves with no network."""
    import re

    named = set(re.findall(r'"\$ref":\s*"([a-z]+)\.schema\.json#', schema_text(kind)))
    return tuple(other for other in SCHEMA_KINDS if other in named and other != kind)


def write_schema(kind: str, path: str | os.PathLike[str]) -> tuple[Path, ...]:
    """Write the ``kind`` schema at ``path`` (atomically, creating its directory) and, when ``path``
    is a file, the schemas it refers to beside it under the names its references use; a companion
    already up to date is left alone. Returns the files written, ``path`` first."""
    from ._io import replaces_by_name, write_atomic
    from .errors import SeedlockError

    target = Path(path)
    beside = replaces_by_name(target)  # not /dev/stdout or a pipe: nothing is written beside a stream
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SeedlockError("io-error", f"Cannot create {target.parent}: {exc.strerror or exc}") from None
    write_atomic(target, schema_text(kind))
    written = [target]
    if beside:
        for other in referenced_schemas(kind):
            companion, text = target.parent / f"{other}.schema.json", schema_text(other)
            if companion.is_file() and companion.read_text("utf-8") == text:
                continue
            write_atomic(companion, text)  # seedlock's own file: refreshed when this seedlock's schema differs
            written.append(companion)
    return tuple(written)
