"""Reading documents and writing files atomically."""

from __future__ import annotations

import errno
import os
import stat
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

    A regular file (or a path that does not exist yet) gets a temporary file in its directory,
    fsync, a rename over it, and an fsync of the directory. What the path names decides the rest,
    because a rename replaces whatever sits at the path:

    * a symbolic link is followed and its final target replaced, so the link survives and points
      at the new content (renaming over the link would turn it into a file and leave its target stale);
    * a character device or FIFO (``/dev/null``, ``/dev/stdout`` on a terminal or pipe, a named pipe)
      is written through, as the shell's ``>`` does: renaming over it would destroy the device node;
    * a path whose links lead through ``/proc`` (``/dev/stdout`` redirected to a file) is written
      through too, appending as ``>>`` does: the process's open file is the destination, not a
      name to replace, and what the shell already wrote there stays;
    * a directory, block device or socket is refused with ``io-error``.
    """
    target = Path(path)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    try:
        info: os.stat_result | None = os.stat(target)
    except FileNotFoundError:
        info = None  # a new file, or a symbolic link whose target does not exist yet
    except OSError as exc:
        raise SeedlockError("io-error", f"Cannot write {target}: {exc.strerror or exc}") from None
    if info is not None and not stat.S_ISREG(info.st_mode):
        kind = _refused_kind(info.st_mode)
        if kind:
            raise SeedlockError("io-error", f"Cannot write {target}: it is a {kind}, not a file")
        _write_through(target, payload)
        return
    hops = _link_chain(target)
    if info is not None and any(str(hop).startswith(_PROCESS_FILES) for hop in hops):
        _write_through(target, payload)
        return
    _replace(hops[-1], payload, mode, shown=target)


def replaces_by_name(path: str | os.PathLike[str]) -> bool:
    """Whether :func:`write_atomic` puts a file at ``path`` by name (a new or regular file, through
    links), rather than writing through to a stream (``/dev/stdout``, a pipe, a process's open file),
    beside which nothing belongs."""
    target = Path(path)
    try:
        if not stat.S_ISREG(os.stat(target).st_mode):
            return False
    except FileNotFoundError:
        return True
    except OSError:
        return False
    return not any(str(hop).startswith(_PROCESS_FILES) for hop in _link_chain(target))


# Names of a process's open files: `/dev/stdout` -> `/proc/self/fd/1` -> the file the shell opened.
_PROCESS_FILES = ("/proc/", "/dev/fd/", "/dev/stdout", "/dev/stderr")


def _link_chain(target: Path) -> list[Path]:
    """``target`` made absolute, then each symbolic link's destination in turn (the last may not exist)."""
    # No normpath: `..` after a linked directory means what the kernel says, not what the text says.
    hops = [target if target.is_absolute() else Path.cwd() / target]
    while hops[-1].is_symlink():
        if len(hops) > 40:
            raise SeedlockError("io-error", f"Cannot write {target}: {os.strerror(errno.ELOOP)}")
        hops.append(hops[-1].parent / os.readlink(hops[-1]))
    return hops


def create_new(path: str | os.PathLike[str], data: str | bytes, *, mode: int = 0o644) -> None:
    """Write a new file at ``path`` atomically, refusing (``io-error``) if anything is there already,
    even a dangling link: the complete file appears at once (hard link of a finished temporary file),
    and a file created meanwhile by someone else is never replaced."""
    target = Path(path)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    if os.path.lexists(target):
        raise SeedlockError("io-error", f"Cannot write {target}: it already exists (remove it or choose another path)")
    tmp = _synced_copy(target.parent if str(target.parent) else Path("."), target.name, payload, mode, shown=target)
    try:
        os.link(tmp, target)
    except FileExistsError:
        raise SeedlockError(
            "io-error", f"Cannot write {target}: it already exists (remove it or choose another path)"
        ) from None
    except OSError as exc:
        raise SeedlockError("io-error", f"Cannot write {target}: {exc.strerror or exc}") from None
    finally:
        _remove_quietly(tmp)


def check_writable(path: str | os.PathLike[str]) -> None:
    """Raise ``io-error`` now if :func:`write_atomic` (or an append) could not write ``path``, so a
    command can check every output before it writes any: the same messages the write would give."""
    target = Path(path)
    try:
        info: os.stat_result | None = os.stat(target)
    except FileNotFoundError:
        info = None
    except OSError as exc:
        raise SeedlockError("io-error", f"Cannot write {target}: {exc.strerror or exc}") from None
    if info is not None:
        kind = _refused_kind(info.st_mode)
        if kind:
            raise SeedlockError("io-error", f"Cannot write {target}: it is a {kind}, not a file")
        if not os.access(target, os.W_OK):
            raise SeedlockError("io-error", f"Cannot write {target}: {os.strerror(errno.EACCES)}")
        return
    directory = _link_chain(target)[-1].parent
    if not directory.is_dir():
        problem = os.strerror(errno.ENOTDIR if directory.exists() else errno.ENOENT)
        raise SeedlockError("io-error", f"Cannot write {target}: {problem}")
    if not os.access(directory, os.W_OK | os.X_OK):
        raise SeedlockError("io-error", f"Cannot write {target}: {os.strerror(errno.EACCES)}")


def _refused_kind(st_mode: int) -> str | None:
    if stat.S_ISDIR(st_mode):
        return "directory"
    if stat.S_ISBLK(st_mode):
        return "block device"  # writing a lock onto a disk would overwrite its data
    if stat.S_ISSOCK(st_mode):
        return "socket"
    return None


def _write_through(target: Path, payload: bytes) -> None:
    try:
        # Append: on a device or FIFO it is the same as truncating; on a file reached through
        # /proc/self/fd it keeps what the shell (or an earlier command) already wrote there.
        with open(target, "ab") as handle:
            handle.write(payload)
    except OSError as exc:
        raise SeedlockError("io-error", f"Cannot write {target}: {exc.strerror or exc}") from None


def _synced_copy(directory: Path, name: str, payload: bytes, mode: int, *, shown: Path) -> str:
    """A temporary file beside ``name`` holding ``payload``, on disk (fsync) with ``mode``; its path."""
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise SeedlockError("io-error", f"Cannot write {shown}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
    except OSError as exc:
        _remove_quietly(tmp)
        raise SeedlockError("io-error", f"Cannot write {shown}: {exc.strerror or exc}") from None
    return tmp


def _replace(real: Path, payload: bytes, mode: int, *, shown: Path) -> None:
    tmp = _synced_copy(real.parent, real.name, payload, mode, shown=shown)
    try:
        os.replace(tmp, real)
    except OSError as exc:
        _remove_quietly(tmp)
        raise SeedlockError("io-error", f"Cannot write {shown}: {exc.strerror or exc}") from None
    except BaseException:
        _remove_quietly(tmp)
        raise
    try:
        dir_fd = os.open(real.parent, os.O_RDONLY)
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


def rewrite_in_place(path: str | os.PathLike[str], data: str | bytes) -> None:
    """Replace the content of the existing regular file ``path`` (through links) and nothing else about it:
    its owner, group, mode and hard links stay as they were, even when root edits another user's file.

    A file with one link gets :func:`write_atomic`'s temporary file, given the file's owner, group and
    mode before the rename, so readers still see old or new content, never a mix. A file with several
    hard links, or whose owner this process cannot give away, is written through its own inode
    (truncate and write, then fsync): a rename would give this name a new inode and leave the other
    names with the old content. That write is not atomic; solver files are a few hundred bytes, written
    with one call.
    """
    target = Path(path)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    real = _link_chain(target)[-1]
    try:
        info = os.stat(real)
    except OSError as exc:
        raise SeedlockError("io-error", f"Cannot write {target}: {exc.strerror or exc}") from None
    if not stat.S_ISREG(info.st_mode):
        write_atomic(target, payload)
        return
    if info.st_nlink == 1:
        tmp = _synced_copy(real.parent, real.name, payload, stat.S_IMODE(info.st_mode), shown=target)
        try:
            if (info.st_uid, info.st_gid) != (os.geteuid(), os.getegid()):
                os.chown(tmp, info.st_uid, info.st_gid)
                os.chmod(tmp, stat.S_IMODE(info.st_mode))  # chown drops set-id bits; put them back
        except PermissionError:
            _remove_quietly(tmp)  # not ours to give away: keep the inode, and so its owner
        else:
            try:
                os.replace(tmp, real)
            except OSError as exc:
                _remove_quietly(tmp)
                raise SeedlockError("io-error", f"Cannot write {target}: {exc.strerror or exc}") from None
            return
    try:
        with open(real, "r+b") as handle:
            handle.write(payload)
            handle.truncate()
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as exc:
        raise SeedlockError("io-error", f"Cannot write {target}: {exc.strerror or exc}") from None
