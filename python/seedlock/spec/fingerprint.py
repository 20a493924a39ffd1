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
        out = subprocess.run(
            ["git", "-C", os.fspath(manifest_dir), "rev-parse", "--show-toplevel"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return os.path.realpath(manifest_dir)
    top = out.stdout.strip() if out.returncode == 0 else ""
    return os.path.realpath(top or manifest_dir)


_KINDS = ((0o010000, "FIFO"), (0o020000, "character device"), (0o060000, "block device"), (0o140000, "socket"))


def special_kind(st_mode: int) -> str | None:
    """What a file that is neither a regular file nor a directory is ("FIFO", ...); None for those two."""
    import stat

    if stat.S_ISREG(st_mode) or stat.S_ISDIR(st_mode):
        return None
    return next((name for bits, name in _KINDS if stat.S_IFMT(st_mode) == bits), "special file")


class NotRegular(OSError):
    """An input (or an entry below an input directory) that is a FIFO, device or socket: reading it
    could block forever or never end, so it is refused before it is opened."""


def _refuse_special(path: StrPath, st_mode: int) -> None:
    kind = special_kind(st_mode)
    if kind is not None:
        raise NotRegular(f"it is a {kind}, not a regular file or directory", os.fspath(path))


def file_sha256(path: StrPath) -> str:
    # O_NONBLOCK: a file swapped for a FIFO after the checks must not block the open; it is refused below.
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    with open(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        _refuse_special(path, info.st_mode)
        if getattr(os, "O_NONBLOCK", 0):
            os.set_blocking(fd, True)
        h = _sha256(info.st_size)
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            h.update(chunk)
    return str(h.hexdigest())


def _raise(exc: OSError) -> None:
    raise exc


def tree_files(path: StrPath) -> list[tuple[str, str]]:
    """``(relative path, full path)`` of every file below the directory ``path``, sorted by relative
    path; ``OSError`` for the first entry that is not a regular file once links are followed (a FIFO,
    device or socket: :class:`NotRegular`; a dangling link: not found) or a directory that cannot be
    listed. ``validate`` and ``resolve`` both walk with this, so they refuse the same trees."""
    entries = []
    for dirpath, dirnames, filenames in os.walk(path, onerror=_raise, followlinks=False):
        dirnames.sort()
        for name in filenames:
            full = os.path.join(dirpath, name)
            _refuse_special(full, os.stat(full).st_mode)
            entries.append((os.path.relpath(full, path).replace(os.sep, "/"), full))
    return sorted(entries)


def tree_sha256(path: StrPath) -> str:
    """SHA-256 of ``sha256sum``-style lines ``<hash>  <relative path>`` for every file, sorted by path
    (``/``-separated)."""
    h = _sha256(0)
    for rel, full in tree_files(path):
        h.update(f"{file_sha256(full)}  {rel}\n".encode())
    return str(h.hexdigest())


def _unreadable(raw: str, exc: OSError, where: str) -> SeedlockError:
    """The ``io-error`` for ``raw`` (an input as written), naming the entry below it that failed."""
    detail = exc.strerror or (exc.args[0] if exc.args else str(exc))
    entry = f" ({exc.filename})" if exc.filename and not isinstance(exc, NotRegular) else ""
    if isinstance(exc, NotRegular):
        entry = f": {exc.filename}" if exc.filename else ""
        return SeedlockError("io-error", f"Cannot read {raw}{entry}: {detail}", where)
    return SeedlockError("io-error", f"Cannot read {raw}: {detail}{entry}", where)


def locate(
    paths: Iterable[str], *, base: StrPath, root: StrPath, allow_external: bool, pointer: str
) -> list[tuple[str, str, str]]:
    """``(path as written, resolved path, pointer)`` for each path, or ``path-outside-root`` /
    ``io-error`` naming the offending entry; reads no content (``validate`` runs this too)."""
    return [
        (
            raw,
            locate_one(raw, base=base, root=root, allow_external=allow_external, where=pointer_join(pointer, i)),
            pointer_join(pointer, i),
        )
        for i, raw in enumerate(paths)
    ]


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
    try:
        _refuse_special(resolved, os.stat(resolved).st_mode)
    except OSError as exc:
        raise _unreadable(raw, exc, where) from None
    top = os.fspath(root)
    if not allow_external and resolved != top and not resolved.startswith(top.rstrip(os.sep) + os.sep):
        raise SeedlockError(
            "path-outside-root",
            f"{raw} resolves to {resolved}, outside the project root {top} (set allow_external_paths to allow it)",
            where,
        )
    return resolved


def fingerprint(
    paths: Iterable[str], *, base: StrPath, root: StrPath, allow_external: bool, pointer: str
) -> dict[str, str]:
    """``{path as written: sha256}``; ``path-outside-root`` / ``io-error`` name the offending entry."""
    out: dict[str, str] = {}
    for raw, resolved, where in locate(paths, base=base, root=root, allow_external=allow_external, pointer=pointer):
        try:
            out[raw] = tree_sha256(resolved) if os.path.isdir(resolved) else file_sha256(resolved)
        except OSError as exc:
            raise _unreadable(raw, exc, where) from None
    return out


def path_problems(
    manifest_path: str | None, inputs: Iterable[str], params: Iterable[str], *, allow_external: bool
) -> list[SeedlockError]:
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
            problem = _read_problem(raw, resolved, where)
            if problem is not None:
                out.append(problem)
    return out


def _read_problem(raw: str, resolved: str, where: str) -> SeedlockError | None:
    """What reading ``resolved`` (a file, or every file below a directory) would refuse, from metadata:
    the walk :func:`tree_sha256` makes, and the read permission of each file (spec §5.2: validate and
    resolve agree)."""
    import errno

    try:
        files = tree_files(resolved) if os.path.isdir(resolved) else [("", resolved)]
    except OSError as exc:
        return _unreadable(raw, exc, where)
    for _, full in files:
        if not os.access(full, os.R_OK):
            return _unreadable(
                raw, PermissionError(errno.EACCES, os.strerror(errno.EACCES), None if full == resolved else full), where
            )
    return None


def base_directory(lock_doc: Mapping[str, Any], lock_path: StrPath | None) -> str:
    """Where the lock's input and parameter paths are relative to (spec §5.2): the directory of the
    manifest the lock records. ``manifest.path`` is relative to the lock's directory (what ``seedlock
    resolve -o`` writes); a lock written to standard output, or by an older binding, holds it relative
    to the working directory of its resolution, so the working directory and then the lock's parent
    directories are tried too. Without a manifest there, the lock's own directory."""
    found = manifest_file(lock_doc, lock_path)
    if found is not None:
        return os.path.dirname(found)
    if lock_path is not None:
        return os.path.dirname(os.path.realpath(lock_path))
    return os.getcwd()


def manifest_file(lock_doc: Mapping[str, Any], lock_path: StrPath | None) -> str | None:
    """The manifest file the lock records (``manifest.path``, spec §5), symbolic links resolved, or None
    when it is not where the lock says: relative to the lock's directory, then the working directory and
    the lock's parent directories."""
    manifest_path = (lock_doc.get("manifest") or {}).get("path")
    if not isinstance(manifest_path, str) or not manifest_path:
        return None
    # A lock reached through a symbolic link (current.lock.json -> locks/...) was written where it
    # really is: that directory first, then the link's.
    lock_dirs = (
        []
        if lock_path is None
        else list(dict.fromkeys(os.path.dirname(p) for p in (os.path.realpath(lock_path), os.path.abspath(lock_path))))
    )
    lock_dir = lock_dirs[0] if lock_dirs else None
    candidates = (
        [manifest_path]
        if os.path.isabs(manifest_path)
        else [
            *(os.path.join(directory, manifest_path) for directory in lock_dirs),
            os.path.join(os.getcwd(), manifest_path),
            *(os.path.join(parent, manifest_path) for parent in (_parents(lock_dir) if lock_dir is not None else ())),
        ]
    )
    for candidate in candidates:
        if os.path.isfile(candidate):
            return os.path.realpath(candidate)
    return None


def manifest_change(lock_doc: Mapping[str, Any], lock_path: StrPath) -> tuple[str, str] | None:
    """``(path as shown, how it changed)`` when the manifest the lock records is there and its canonical
    hash is not the lock's ``manifest.sha256`` (spec §5.4, a stale lock); None otherwise. A manifest
    that is not there is no change: locks travel without their manifests."""
    from . import _json, _lockfile
    from .derivation import small_sha256
    from .errors import SeedlockError

    path = manifest_file(lock_doc, lock_path)
    locked = (lock_doc.get("manifest") or {}).get("sha256")
    if path is None or not isinstance(locked, str):
        return None
    try:
        with open(path, "rb") as handle:
            now = small_sha256(_json.canonical(_lockfile.parse(handle.read())).encode("utf-8")).hexdigest()
    except (OSError, SeedlockError) as exc:
        now, why = None, f"can no longer be read ({exc})"
    else:
        why = "changed since the lock was resolved"
    if now == locked:
        return None
    shown = os.path.relpath(path)
    return (path if shown.startswith("..") else shown), why


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


def hashes_now(paths: Iterable[str], base: StrPath, key: str, *, allow_external: bool = False) -> dict[str, str | None]:
    """The SHA-256 of each path a lock recorded, now (spec §5.2); ``None`` for a path that is missing
    or unreadable. A lock is a file anyone can edit: its paths get the rules a manifest's get, so a
    path outside the project root is ``path-outside-root`` (unless ``allow_external``) and a FIFO or
    device is ``io-error``, at ``/provenance/<key>/<path>``, before anything is read."""
    out: dict[str, str | None] = {}
    top = os.path.realpath(base)
    root: str | None = None
    for path in paths:
        where = pointer_join("/provenance", key, path)
        try:
            resolved = os.path.realpath(os.path.join(base, path), strict=True)
            _refuse_special(resolved, os.stat(resolved).st_mode)
        except NotRegular as exc:
            raise _unreadable(path, exc, where) from None
        except OSError:
            out[path] = None
            continue
        if not allow_external and not resolved.startswith(top.rstrip(os.sep) + os.sep) and resolved != top:
            # Only paths outside the manifest's directory ask git where the project root is.
            root = root if root is not None else project_root(base)
            locate_one(path, base=base, root=root, allow_external=False, where=where)
        try:
            out[path] = tree_sha256(resolved) if os.path.isdir(resolved) else file_sha256(resolved)
        except NotRegular as exc:
            raise _unreadable(path, exc, where) from None
        except OSError:
            out[path] = None
    return out


def recorded_hashes(lock_doc: Mapping[str, Any], base: StrPath) -> tuple[dict[str, str | None], dict[str, str | None]]:
    """The hashes now of the inputs and parameter files a lock records (``None`` for one missing or
    unreadable), under the path rules of :func:`hashes_now` and the manifest's ``allow_external_paths``:
    what refuses a lock at the start of a run (``path-outside-root``, ``io-error``)."""
    prov = lock_doc.get("provenance") or {}
    inputs, params = prov.get("inputs") or {}, prov.get("params") or {}
    if not (inputs or params):
        return {}, {}
    external = allows_external(lock_doc, base)
    return (
        hashes_now(inputs, base, "inputs", allow_external=external) if inputs else {},
        hashes_now(params, base, "params", allow_external=external) if params else {},
    )


def allows_external(lock_doc: Mapping[str, Any], base: StrPath) -> bool:
    """Whether the manifest a lock records (found in ``base``, :func:`base_directory`) sets
    ``allow_external_paths``; False when it cannot be read."""
    from ._lockfile import parse  # the launcher's JSON reader: json itself is not loaded for a plain file
    from .errors import SeedlockError

    name = (lock_doc.get("manifest") or {}).get("path")
    if not isinstance(name, str) or not name:
        return False
    try:
        with open(os.path.join(base, os.path.basename(name)), "rb") as handle:
            data = parse(handle.read(16 << 20))
    except (OSError, ValueError, RecursionError, SeedlockError):
        return False
    return isinstance(data, dict) and data.get("allow_external_paths") is True
