"""Reading manifests and locks: from text, parsed data or files, and resolving a manifest into a lock.

For a command, :func:`read_document` and :func:`read_lock_document` name the file first in errors.
"""

from __future__ import annotations

import os

from .errors import SeedlockError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from .lock import Lock
    from .manifest import Manifest


def parse(data: bytes | str, *, path: str | None = None, schema: bool = False) -> Manifest | Lock:
    """Parse and validate a manifest or lock from JSON text (spec §1); ``schema`` also runs jsonschema.

    The hand-written validator decides (and gives the error codes); it rejects every document the
    JSON Schema rejects (a test proves it over the invalid vectors and the hostile corpus), so the
    schema, whose import alone costs more than seeding, runs only where asked (``seedlock validate``)."""
    from . import _json

    document = _json.loads(data)
    return from_data(document, path=path, schema=schema)


def from_data(document: Any, *, path: str | None = None, schema: bool = False) -> Manifest | Lock:
    """Validate already-parsed JSON data as a manifest or a lock (a lock has ``lock-version``)."""
    is_lock = isinstance(document, dict) and "lock-version" in document
    result: Manifest | Lock
    if is_lock:  # a lock needs no manifest module (one import less for every job that loads one)
        from .lock import Lock

        result = Lock.from_dict(document, path=path)
    else:
        from .manifest import Manifest

        result = Manifest.from_dict(document, path=path)
    if schema:
        from . import _schema

        _schema.check("lock" if is_lock else "manifest", document)
    return result


def read(path: str | os.PathLike[str], *, schema: bool = False) -> Manifest | Lock:
    """Read a manifest or a lock from a file without resolving anything."""
    from ._io import read_bytes
    from ._json import MAX_DOCUMENT_BYTES

    return parse(read_bytes(path, limit=MAX_DOCUMENT_BYTES), path=os.fspath(path), schema=schema)


def load_manifest(path: str | os.PathLike[str]) -> Manifest:
    """Read a manifest; a lock given here is ``not-a-manifest``."""
    from .manifest import Manifest

    document = read(path)
    if not isinstance(document, Manifest):
        raise SeedlockError("not-a-manifest", f"{os.fspath(path)} is a lock, not a manifest", "/lock-version")
    return document


def load_lock(path: str | os.PathLike[str]) -> Lock:
    """Read a lock (validated and integrity-checked); a manifest given here is ``not-a-lock``."""
    from .lock import Lock

    document = read(path)
    if not isinstance(document, Lock):
        raise SeedlockError("not-a-lock", f"{os.fspath(path)} is a manifest, not a lock", "/lock-version")
    return document


def labelled(path: str | os.PathLike[str], err: SeedlockError) -> SeedlockError:
    """The same error with the file it concerns named first."""
    return SeedlockError(err.code, f"{os.fspath(path)}: {err.problem}", err.pointer)


def read_document(path: str | os.PathLike[str], *, schema: bool = False) -> Manifest | Lock:
    """A manifest or a lock, validated (``schema``: by the JSON Schema too); errors start with ``path``."""
    try:
        return read(path, schema=schema)
    except SeedlockError as err:
        raise labelled(path, err) from None


def read_lock_document(path: str | os.PathLike[str]) -> Lock:
    """A lock; a manifest is ``not-a-lock`` (resolve it first)."""
    from .lock import Lock

    document = read_document(path)
    if not isinstance(document, Lock):
        raise SeedlockError(
            "not-a-lock", f"{os.fspath(path)}: a manifest, not a lock (resolve it first)", "/lock-version"
        )
    return document


def for_output(lock: Lock, output: str | os.PathLike[str]) -> Lock:
    """``lock`` as it is written to the file ``output``: ``manifest.path`` relative to the lock's
    directory (spec §5), so the start-of-run check finds the inputs from any working directory.
    Devices, pipes and standard output keep the path as given (relative to the working directory)."""
    import dataclasses

    from .fingerprint import manifest_path_for

    if lock.manifest_path is None or (os.path.exists(output) and not os.path.isfile(output)):
        return lock
    return dataclasses.replace(lock, manifest_path=manifest_path_for(lock.manifest_path, output))


__all__ = [
    "for_output",
    "from_data",
    "labelled",
    "load_lock",
    "load_manifest",
    "parse",
    "read",
    "read_document",
    "read_lock_document",
]
