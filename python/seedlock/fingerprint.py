"""Content hashes of a manifest's inputs and parameter files (spec §5.2), streamed."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from .errors import SeedlockError, pointer_join

# `seedlock run` hashes a lock's inputs before every job: `typing` alone would cost milliseconds.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from typing import Any

CHUNK = 1 << 20


def project_root(manifest_dir: Path) -> Path:
    """The git work tree holding the manifest, or the manifest's directory outside git."""
    import subprocess  # here, not at the top: `seedlock run` hashes inputs before every job

    try:
        out = subprocess.run(["git", "-C", str(manifest_dir), "rev-parse", "--show-toplevel"],
                             capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return manifest_dir.resolve()
    return Path(out.stdout.strip()).resolve() if out.returncode == 0 and out.stdout.strip() else manifest_dir.resolve()


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            h.update(chunk)
    return h.hexdigest()


def tree_sha256(path: Path) -> str:
    """SHA-256 of ``sha256sum``-style lines ``<hash>  <relative path>`` for every file, sorted by path."""
    entries = []
    for dirpath, dirnames, filenames in os.walk(path, followlinks=False):
        dirnames.sort()
        for name in filenames:
            full = Path(dirpath) / name
            rel = full.relative_to(path).as_posix()
            entries.append((rel, full))
    h = hashlib.sha256()
    for rel, full in sorted(entries):
        h.update(f"{file_sha256(full)}  {rel}\n".encode())
    return h.hexdigest()


def locate(paths: Iterable[str], *, base: Path, root: Path, allow_external: bool, pointer: str) -> list[tuple[str, Path, str]]:
    """``(path as written, resolved path, pointer)`` for each path, or ``path-outside-root`` /
    ``io-error`` naming the offending entry; reads no content (``validate`` runs this too)."""
    return [(raw, locate_one(raw, base=base, root=root, allow_external=allow_external, where=pointer_join(pointer, i)),
             pointer_join(pointer, i)) for i, raw in enumerate(paths)]


def locate_one(raw: str, *, base: Path, root: Path, allow_external: bool, where: str) -> Path:
    """One path of ``inputs``/``params`` resolved, or the error naming it (pointer ``where``)."""
    candidate = base / raw
    try:
        resolved = candidate.resolve(strict=True)
    except FileNotFoundError:
        raise SeedlockError("io-error", f"Cannot read {raw}: No such file or directory", where) from None
    except RuntimeError as exc:  # Python < 3.13 reports symlink loops this way
        raise SeedlockError("io-error", f"Cannot read {raw}: {exc}", where) from None
    except OSError as exc:
        raise SeedlockError("io-error", f"Cannot read {raw}: {exc.strerror or exc}", where) from None
    if not allow_external and not resolved.is_relative_to(root):
        raise SeedlockError(
            "path-outside-root",
            f"{raw} resolves to {resolved}, outside the project root {root} (set allow_external_paths to allow it)",
            where,
        )
    return resolved


def fingerprint(paths: Iterable[str], *, base: Path, root: Path, allow_external: bool, pointer: str) -> dict[str, str]:
    """``{path as written: sha256}``; ``path-outside-root`` / ``io-error`` name the offending entry."""
    out: dict[str, str] = {}
    for raw, resolved, where in locate(paths, base=base, root=root, allow_external=allow_external, pointer=pointer):
        try:
            out[raw] = tree_sha256(resolved) if resolved.is_dir() else file_sha256(resolved)
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
    base = Path(manifest_path).resolve().parent if manifest_path else Path.cwd()
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


def base_directory(lock_doc: Mapping[str, Any], lock_path: str | os.PathLike[str] | None) -> Path:
    """Where the lock's input and parameter paths are relative to (spec §5.2): the directory of the
    manifest the lock records. ``manifest.path`` is relative to the lock's directory (what ``seedlock
    resolve -o`` writes); a lock written to standard output, or by an older binding, holds it relative
    to the working directory of its resolution, so the working directory and then the lock's parent
    directories are tried too. Without a manifest there, the lock's own directory."""
    manifest_path = (lock_doc.get("manifest") or {}).get("path")
    lock_dir = Path(os.path.abspath(lock_path)).parent if lock_path is not None else None
    if manifest_path:
        candidates = [Path(manifest_path)] if os.path.isabs(manifest_path) else [
            *([lock_dir / manifest_path] if lock_dir is not None else []),
            Path.cwd() / manifest_path,
            *(parent / manifest_path for parent in (lock_dir.parents if lock_dir is not None else ())),
        ]
        for candidate in candidates:
            if candidate.is_file():
                return candidate.resolve().parent
    if lock_dir is not None:
        return lock_dir
    return Path.cwd()


def manifest_path_for(manifest_path: str, lock_path: str | os.PathLike[str]) -> str:
    """``manifest_path`` (as given, relative to the working directory) relative to the directory of a
    lock written to ``lock_path``, with ``/`` separators: what ``manifest.path`` records (spec §5)."""
    lock_dir = os.path.dirname(os.path.abspath(lock_path))
    return Path(os.path.relpath(os.path.abspath(manifest_path), lock_dir)).as_posix()


def hashes_now(paths: Iterable[str], base: Path, key: str) -> dict[str, str | None]:
    """The SHA-256 of each path now (spec §5.2); ``None`` for a path that is missing or unreadable."""
    out: dict[str, str | None] = {}
    for path in paths:
        try:
            # The lock already passed the project-root rule when it was resolved.
            out.update(fingerprint([path], base=base, root=base, allow_external=True, pointer=f"/{key}"))
        except SeedlockError:
            out[path] = None
    return out
