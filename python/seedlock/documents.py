"""Reading a user's manifest or lock file for a command: errors name the file first."""

from __future__ import annotations

import os

from .errors import SeedlockError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .lock import Lock
    from .manifest import Manifest


def labelled(path: str | os.PathLike[str], err: SeedlockError) -> SeedlockError:
    """The same error with the file it concerns named first."""
    return SeedlockError(err.code, f"{os.fspath(path)}: {err.problem}", err.pointer)


def read_document(path: str | os.PathLike[str], *, schema: bool = False) -> Manifest | Lock:
    """A manifest or a lock, validated (``schema``: by the JSON Schema too); errors start with ``path``."""
    import seedlock

    try:
        return seedlock.read(path, schema=schema)
    except SeedlockError as err:
        raise labelled(path, err) from None


def read_lock_document(path: str | os.PathLike[str]) -> Lock:
    """A lock; a manifest is ``not-a-lock`` (resolve it first)."""
    from .lock import Lock

    document = read_document(path)
    if not isinstance(document, Lock):
        raise SeedlockError("not-a-lock", f"{os.fspath(path)}: a manifest, not a lock (resolve it first)",
                            "/lock-version")
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
