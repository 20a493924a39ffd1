"""Reading documents and writing files atomically."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from .errors import SeedlockError


def read_bytes(path: str | os.PathLike[str], limit: int | None = None) -> bytes:
    """Read a file or raise ``io-error`` naming it; with ``limit``, refuse larger files without reading them."""
    try:
        with open(path, "rb") as handle:
            if limit is None:
                return handle.read()
            if os.fstat(handle.fileno()).st_size > limit:
                raise SeedlockError("invalid-json", f"Document larger than {limit} bytes")
            data = handle.read(limit + 1)  # files that report no size (pipes) are capped too
            if len(data) > limit:
                raise SeedlockError("invalid-json", f"Document larger than {limit} bytes")
            return data
    except IsADirectoryError:
        raise SeedlockError("io-error", f"Cannot read {os.fspath(path)}: Is a directory") from None
    except OSError as exc:
        raise SeedlockError("io-error", f"Cannot read {os.fspath(path)}: {exc.strerror or exc}") from None


def write_atomic(path: str | os.PathLike[str], data: str | bytes, *, mode: int = 0o644) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the new one, never a mix.

    Temp file in the same directory, fsync, rename over the target, fsync the directory.
    """
    target = Path(path)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    directory = target.parent if str(target.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise SeedlockError("io-error", f"Cannot write {target}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except OSError as exc:
        _remove_quietly(tmp)
        raise SeedlockError("io-error", f"Cannot write {target}: {exc.strerror or exc}") from None
    except BaseException:
        _remove_quietly(tmp)
        raise
    try:
        dir_fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return  # some file systems cannot open directories; the rename itself is already atomic
    try:
        os.fsync(dir_fd)
    except OSError:
        pass  # fsync on a directory is unsupported on some file systems; data is already renamed
    finally:
        os.close(dir_fd)


def _remove_quietly(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
