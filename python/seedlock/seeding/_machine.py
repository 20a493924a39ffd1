"""What this machine runs: interpreter, platform, device kind, installed framework versions.

Provenance (spec §5) records these when a lock is resolved, and ``seedlock run`` compares them with
the lock before every wrapped command (the start-of-run check). That check runs before every CI job,
so this module imports nothing beyond ``os`` and ``sys``: the answers come from ``os.uname``,
``sys.version``, two paths under ``/proc`` and ``/dev``, and a scan of ``sys.path`` for the
distribution's metadata directory, as :mod:`importlib.metadata` finds it.

Where the quick answer could differ from the standard library's (a zip on ``sys.path``, an ``.egg``,
a third-party metadata finder, two metadata directories for one name in one place), the functions
say :data:`UNSURE`; :func:`distribution_version` then asks :mod:`importlib.metadata` (tens of
milliseconds), as :func:`seedlock.seeding.runcheck.framework_version` does. ``test_machine.py``
holds every quick answer to the standard library's, over every distribution installed.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable


class _Unsure:
    """The quick look-up cannot tell for certain."""

    def __repr__(self) -> str:
        return "UNSURE"


#: Returned where only the slow, standard answer is certain.
UNSURE = _Unsure()


def device_kind() -> str:
    """``gpu-nvidia``, ``gpu-amd`` or ``cpu``: the accelerator a run could use, read from the OS
    (no framework is imported). Kernels differ between device kinds, so the numbers can too."""
    if os.path.exists("/proc/driver/nvidia/version"):
        return "gpu-nvidia"
    if os.path.exists("/dev/kfd"):
        return "gpu-amd"
    return "cpu"


def platform_tag() -> str:
    """``<system>-<release>-<machine>``, as ``platform.system()``, ``release()`` and ``machine()`` give them."""
    uname = getattr(os, "uname", None)
    if uname is not None and sys.platform in ("linux", "darwin"):
        # platform.uname() takes these from os.uname() on POSIX; importing platform costs milliseconds.
        u = uname()
        return f"{u.sysname}-{u.release}-{u.machine}"
    import platform

    return f"{platform.system()}-{platform.release()}-{platform.machine()}"


_VERSION_CHARS = frozenset("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_.+")


def python_version() -> str:
    """``platform.python_version()``: the first word of ``sys.version`` (``3.11.7``, ``3.13.0rc1``)."""
    word = sys.version.split(" ", 1)[0]
    if word and set(word) <= _VERSION_CHARS:
        return word
    import platform

    return platform.python_version()


def rscript_version() -> str | None:
    """R's version as ``Rscript --version`` prints it (``4.2.2``), without starting R; None without R."""
    read, write = os.pipe()
    try:
        pid = os.posix_spawnp(
            "Rscript",
            ["Rscript", "--version"],
            os.environ,
            file_actions=[(os.POSIX_SPAWN_DUP2, write, 1), (os.POSIX_SPAWN_DUP2, write, 2)],
        )
    except OSError:
        return None
    finally:
        os.close(write)
    with os.fdopen(read, "rb") as pipe:
        out = pipe.read()
    _, status = os.waitpid(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        return None
    return version_after(out.decode("utf-8", "replace"), "version ")


def version_after(text: str, marker: str) -> str | None:
    """The first ``N.N.N`` (ASCII digits) right after ``marker`` in ``text``: the regex
    ``marker(\\d+\\.\\d+\\.\\d+)`` without importing ``re``."""
    start = text.find(marker)
    while start >= 0:
        i = start + len(marker)
        numbers = []
        for _ in range(3):
            j = i
            while j < len(text) and "0" <= text[j] <= "9":
                j += 1
            if j == i:
                break
            numbers.append(text[i:j])
            i = j + 1
            if len(numbers) < 3 and (j >= len(text) or text[j] != "."):
                break
        if len(numbers) == 3:
            return ".".join(numbers)
        start = text.find(marker, start + 1)
    return None


def distribution_version(names: Iterable[str]) -> str | None:
    """Version of the first installed distribution of ``names`` (None when none is installed), as
    :func:`importlib.metadata.version` answers; quick where :func:`quick_distribution_version` is sure."""
    for name in names:
        found = quick_distribution_version(name)
        if found is UNSURE:
            from importlib import metadata

            try:
                return metadata.version(name)
            except metadata.PackageNotFoundError:
                continue
        if found is not None:
            return found  # type: ignore[return-value]
    return None


def quick_distribution_version(name: str) -> str | _Unsure | None:
    """:func:`importlib.metadata.version` of ``name`` (None: not installed) from ``sys.path``'s
    ``*.dist-info``/``*.egg-info`` directories, or :data:`UNSURE` where only the standard library
    can say (zips and eggs on the path, other metadata finders, ambiguous directories)."""
    import _frozen_importlib_external  # type: ignore[import-not-found]  # importlib.machinery's, loaded at start

    for finder in sys.meta_path:
        if (
            getattr(finder, "find_distributions", None) is not None
            and finder is not _frozen_importlib_external.PathFinder
        ):
            return UNSURE  # a finder of its own may know distributions the path does not show
    wanted = _normalize(name)
    for entry in sys.path:
        index = _index(entry or ".")
        if index is UNSURE:
            return UNSURE
        found = index.get(wanted) if index is not None else None  # type: ignore[union-attr]
        if not found:
            continue
        if len(found) > 1:
            return UNSURE  # importlib.metadata takes the first in listing order: not for us to guess
        return _metadata_version(os.path.join(entry or ".", found[0]))
    return None


_INDEXES: dict[str, dict[str, list[str]] | _Unsure | None] = {}


def _index(directory: str) -> dict[str, list[str]] | _Unsure | None:
    """Normalised distribution name -> metadata directories in ``directory`` (None: not a directory)."""
    if directory not in _INDEXES:
        try:
            children = os.listdir(directory)
        except NotADirectoryError:
            _INDEXES[directory] = UNSURE  # a zip file: importlib.metadata reads its listing
            return UNSURE
        except OSError:
            _INDEXES[directory] = None
            return None
        if os.path.basename(directory).lower().endswith(".egg"):
            _INDEXES[directory] = UNSURE
            return UNSURE
        index: dict[str, list[str]] = {}
        for child in children:
            low = child.lower()
            if low.endswith((".dist-info", ".egg-info")):
                index.setdefault(_normalize(low.rpartition(".")[0].partition("-")[0]), []).append(child)
        _INDEXES[directory] = index
    return _INDEXES[directory]


def _normalize(name: str) -> str:
    """PEP 503 normalisation with underscores, as importlib.metadata's ``Prepared.normalize``
    (``re.sub(r"[-_.]+", "-", name).lower().replace("-", "_")``)."""
    out = name.replace("-", "_").replace(".", "_")
    while "__" in out:
        out = out.replace("__", "_")
    return out.lower()


def _metadata_version(path: str) -> str | _Unsure:
    """The ``Version`` header of a metadata directory's ``METADATA`` (``PKG-INFO`` for egg-info)."""
    for filename in ("METADATA", "PKG-INFO"):
        try:
            with open(os.path.join(path, filename), "rb") as handle:
                # The headers come first (Version is the third): numpy's or torch's whole METADATA, tens of
                # kilobytes of description, took a quarter of a millisecond to read and split per check.
                head = handle.read(_HEAD_BYTES)
                whole = len(head) < _HEAD_BYTES
                found = _version_header((head if whole else head[: head.rfind(b"\n") + 1]).decode("utf-8"))
                if found is None and not whole:  # not decided by the first complete lines
                    found = _version_header((head + handle.read()).decode("utf-8"))
        except FileNotFoundError:
            continue
        except (OSError, UnicodeDecodeError):
            return UNSURE
        if not head:
            continue
        return UNSURE if found is None else found
    return UNSURE


_HEAD_BYTES = 8192


def _version_header(text: str) -> str | _Unsure | None:
    """The ``Version`` header's value in ``text``'s header lines, UNSURE when the headers end (a blank
    line) without one or with an empty one; None when ``text`` ends first."""
    for line in text.splitlines():
        if not line.strip():
            return UNSURE  # end of the headers
        key, sep, value = line.partition(":")
        if sep and key.strip().lower() == "version":
            return value.strip() if value.strip() else UNSURE
    return None


def registered_with_version(group: str, name: str, version: str) -> bool:
    """True when a distribution whose metadata directory names ``version`` registers entry point
    ``name`` in ``group``: what :func:`seedlock.seeding.extensions.version` would then answer, read from a few
    ``entry_points.txt`` files instead of every installed distribution's (False: ask it)."""
    suffix = f"-{version}.dist-info".lower()
    for entry in sys.path:
        index = _index(entry or ".")
        if not isinstance(index, dict):
            continue
        for found in index.values():
            for child in found:
                if child.lower().endswith(suffix) and _registers(
                    os.path.join(entry or ".", child, "entry_points.txt"), group, name
                ):
                    return True
    return False


def _read_text(path: str) -> str | _Unsure | None:
    """A small file's text (UTF-8, as importlib.metadata reads it); None when it does not exist."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        return None
    except OSError:
        return UNSURE
    try:
        chunks = []
        while chunk := os.read(fd, 65536):
            chunks.append(chunk)
        return b"".join(chunks).decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return UNSURE
    finally:
        os.close(fd)


def _registers(path: str, group: str, name: str) -> bool:
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except (OSError, UnicodeDecodeError):
        return False
    section = None
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1].strip()
        elif section == group and line.partition("=")[0].strip() == name and "=" in line:
            return True
    return False


def entry_point_value(group: str, name: str, path: Iterable[str] | None = None) -> str | _Unsure | None:
    """The value (``module:attr``) of the first entry point ``name`` in ``group`` that
    :func:`importlib.metadata.entry_points` lists, read from the ``entry_points.txt`` files of ``path``
    (``sys.path``); None when no distribution registers it, :data:`UNSURE` where only the standard
    library can say (other finders, zips, eggs, two metadata directories for one name)."""
    import _frozen_importlib_external  # type: ignore[import-not-found]

    for finder in sys.meta_path:
        if (
            getattr(finder, "find_distributions", None) is not None
            and finder is not _frozen_importlib_external.PathFinder
        ):
            return UNSURE
    # importlib.metadata's order: sys.path's entries, each directory's distributions in listing order
    # (the index keeps it), the first distribution of a name only; its first entry point of that name
    # is what extensions.find loads, so the search stops there.
    seen: set[str] = set()
    for entry in sys.path if path is None else path:
        index = _index(entry or ".")
        if index is UNSURE:
            return UNSURE
        if index is None:
            continue
        for dist, children in index.items():  # type: ignore[union-attr]
            if dist in seen:
                continue  # importlib.metadata takes the first distribution of a name on the path
            seen.add(dist)
            if len(children) > 1:
                return UNSURE
            value = _entry_point(os.path.join(entry or ".", children[0], "entry_points.txt"), group, name)
            if value is not None:
                return value  # or UNSURE
    return None


def _entry_point(path: str, group: str, name: str) -> str | _Unsure | None:
    # Every auto-seeded interpreter of a stage with an extension reads every distribution's file (about
    # 40 here, and as many that do not exist): os.read, no text wrapper, and no line loop unless the group
    # is in the text at all.
    text = _read_text(path)
    if not isinstance(text, str):
        return text  # None (no such file) or UNSURE
    if group not in text:  # no section of that name
        return None
    section = None
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1].strip()
        elif section == group and "=" in line and line.partition("=")[0].strip() == name:
            return line.partition("=")[2].strip()
    return None
