"""Content hashes of a manifest's inputs and parameter files (spec §5.2), streamed."""

from __future__ import annotations

import os

from .errors import SeedlockError, pointer_join

# `seedlock run` hashes a lock's inputs before every job: paths are strings handled
# by os.path (pathlib and the re/fnmatch/urllib it loads cost about 9 ms, half a bare interpreter
# start) and small files are hashed by the interpreter's built-in SHA-256 (hashlib loads OpenSSL: 2 ms).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from typing import Any

    StrPath = str | os.PathLike[str]

CHUNK = 1 << 20
#: From this size on, OpenSSL's SHA-256 (about 5x the built-in one's speed) repays loading hashlib.
LARGE_FILE = 8 << 20


def _sha256(size: int) -> Any:
    """A SHA-256 object for ``size`` bytes: both give the same digest."""
    if size < LARGE_FILE:
        from .derivation import small_sha256

        return small_sha256()
    import hashlib

    return hashlib.sha256()


def project_root(manifest_dir: StrPath) -> str:
    """The git work tree holding the manifest, or the manifest's directory outside git."""
    import subprocess  # here, not at the top: `seedlock run` hashes inputs before every job

    try:
        out = subprocess.run(["git", "-C", os.fspath(manifest_dir), "rev-parse", "--show-toplevel"],
                             capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return os.path.realpath(manifest_dir)
    top = out.stdout.strip() if out.returncode == 0 else ""
    return os.path.realpath(top or manifest_dir)


def file_sha256(path: StrPath) -> str:
    with open(path, "rb") as handle:
        h = _sha256(os.fstat(handle.fileno()).st_size)
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            h.update(chunk)
    return str(h.hexdigest())


def tree_sha256(path: StrPath) -> str:
    """SHA-256 of ``sha256sum``-style lines ``<hash>  <relative path>`` for every file, sorted by path
    (``/``-separated)."""
    entries = []
    for dirpath, dirnames, filenames in os.walk(path, followlinks=False):
        dirnames.sort()
        for name in filenames:
            full = os.path.join(dirpath, name)
            entries.append((os.path.relpath(full, path).replace(os.sep, "/"), full))
    h = _sha256(0)
    for rel, full in sorted(entries):
        h.update(f"{file_sha256(full)}  {rel}\n".encode())
    return str(h.hexdigest())


def locate(paths: Iterable[str], *, base: StrPath, root: StrPath, allow_external: bool, pointer: str) -> list[tuple[str, str, str]]:
    """``(path as written, resolved path, pointer)`` for each path, or ``path-outside-root`` /
    ``io-error`` naming the offending entry; reads no content (``validate`` runs this too)."""
    return [(raw, locate_one(raw, base=base, root=root, allow_external=allow_external, where=pointer_join(pointer, i)),
             pointer_join(pointer, i)) for i, raw in enumerate(paths)]


def locate_one(raw: str, *, base: StrPath, root: StrPath, allow_external: bool, where: str) -> str:
    """One path of ``inputs``/``params`` resolved, or the error naming it (pointer ``where``)."""
    import errno

    try:
        resolved = os.path.realpath(os.path.join(base, raw), strict=True)
    except FileNotFoundError:
        raise SeedlockError("io-error", f"Cannot read {raw}: No such file or directory", where) from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise SeedlockError("io-error", f"Cannot read {raw}: Symlink loop from {exc.filename!r}", where) from None
        raise SeedlockError("io-error", f"Cannot read {raw}: {exc.strerror or exc}", where) from None
    top = os.fspath(root)
    if not allow_external and resolved != top and not resolved.startswith(top.rstrip(os.sep) + os.sep):
        raise SeedlockError(
            "path-outside-root",
            f"{raw} resolves to {resolved}, outside the project root {top} (set allow_external_paths to allow it)",
            where,
        )
    return resolved


def fingerprint(paths: Iterable[str], *, base: StrPath, root: StrPath, allow_external: bool, pointer: str) -> dict[str, str]:
    """``{path as written: sha256}``; ``path-outside-root`` / ``io-error`` name the offending entry."""
    out: dict[str, str] = {}
    for raw, resolved, where in locate(paths, base=base, root=root, allow_external=allow_external, pointer=pointer):
        try:
            out[raw] = tree_sha256(resolved) if os.path.isdir(resolved) else file_sha256(resolved)
        except OSError as exc:
            raise SeedlockError("io-error", f"Cannot read {raw}: {exc.strerror or exc}", where) from None
    return out


def path_problems(manifest_path: str | None, inputs: Iterable[str], params: Iterable[str], *,
                  allow_external: bool) -> list[SeedlockError]:
    """What :func:`fingerprint` would refuse in a manifest's ``inputs`` and ``params``, every path,
    reading only metadata: ``validate`` and ``resolve`` agree on which manifests have usable paths."""
    inputs, params = list(inputs), list(params)
    if not inputs and not params:
        return []
    base = os.path.dirname(os.path.realpath(manifest_path)) if manifest_path else os.getcwd()
    root = project_root(base)
    out = []
    for key, paths in (("inputs", inputs), ("params", params)):
        for i, raw in enumerate(paths):
            where = pointer_join(f"/{key}", i)
            try:
                resolved = locate_one(raw, base=base, root=root, allow_external=allow_external, where=where)
            except SeedlockError as err:
                out.append(err)
                continue
            if not os.access(resolved, os.R_OK):
                out.append(SeedlockError("io-error", f"Cannot read {raw}: Permission denied", where))
    return out


def base_directory(lock_doc: Mapping[str, Any], lock_path: StrPath | None) -> str:
    """Where the lock's input and parameter paths are relative to (spec §5.2): the directory of the
    manifest the lock records. ``manifest.path`` is relative to the lock's directory (what ``seedlock
    resolve -o`` writes); a lock written to standard output, or by an older binding, holds it relative
    to the working directory of its resolution, so the working directory and then the lock's parent
    directories are tried too. Without a manifest there, the lock's own directory."""
    manifest_path = (lock_doc.get("manifest") or {}).get("path")
    # A lock reached through a symbolic link (current.lock.json -> locks/...) was written where it
    # really is: that directory first, then the link's.
    lock_dirs = [] if lock_path is None else list(dict.fromkeys(
        os.path.dirname(p) for p in (os.path.realpath(lock_path), os.path.abspath(lock_path))))
    lock_dir = lock_dirs[0] if lock_dirs else None
    if manifest_path:
        candidates = [manifest_path] if os.path.isabs(manifest_path) else [
            *(os.path.join(directory, manifest_path) for directory in lock_dirs),
            os.path.join(os.getcwd(), manifest_path),
            *(os.path.join(parent, manifest_path) for parent in (_parents(lock_dir) if lock_dir is not None else ())),
        ]
        for candidate in candidates:
            if os.path.isfile(candidate):
                return os.path.dirname(os.path.realpath(candidate))
    if lock_dir is not None:
        return lock_dir
    return os.getcwd()


def _parents(directory: str) -> list[str]:
    """The directories above ``directory`` (absolute), nearest first, as ``Path.parents`` lists them."""
    out = []
    while (up := os.path.dirname(directory)) != directory:
        out.append(up)
        directory = up
    return out


def manifest_path_for(manifest_path: str, lock_path: StrPath) -> str:
    """``manifest_path`` (as given, relative to the working directory) relative to the directory of a
    lock written to ``lock_path``, with ``/`` separators: what ``manifest.path`` records (spec §5). The
    writer follows a symbolic link, so the directory is the one the file really lands in."""
    lock_dir = os.path.dirname(os.path.realpath(lock_path))
    return os.path.relpath(os.path.abspath(manifest_path), lock_dir).replace(os.sep, "/")


def hashes_now(paths: Iterable[str], base: StrPath, key: str) -> dict[str, str | None]:
    """The SHA-256 of each path now (spec §5.2); ``None`` for a path that is missing or unreadable."""
    out: dict[str, str | None] = {}
    for path in paths:
        try:
            # The lock already passed the project-root rule when it was resolved.
            out.update(fingerprint([path], base=base, root=base, allow_external=True, pointer=f"/{key}"))
        except SeedlockError:
            out[path] = None
    return out
