"""Helpers shared by framework modules (every import here is paid by every lock that is loaded)."""

from __future__ import annotations

import os
from collections.abc import Iterable


def distribution_version(names: Iterable[str]) -> str | None:
    """Version of the first installed distribution of ``names``; None when none is installed."""
    from ..seeding._machine import distribution_version as version

    return version(names)


def installed_version(framework: str) -> str | None:
    """Version of the first installed distribution the registry lists for ``framework``."""
    from ..spec._registry import DISTRIBUTIONS

    return distribution_version(DISTRIBUTIONS[framework])


def restore_env(name: str, value: str | None) -> None:
    """Put environment variable ``name`` back to ``value`` (None: unset)."""
    if value is None:
        os.environ.pop(name, None)
    else:
        os.environ[name] = value


def words(values: Iterable[int]) -> bytes:
    """Unsigned 32-bit words (a generator's state) as little-endian bytes.

    Checkpoints read with ``torch.load(weights_only=True)`` unpickle a list element by element in
    Python (about 0.9 ms for a 624-word Mersenne-Twister state); one bytes object is a single step.
    """
    from array import array

    out = array("I" if array("I").itemsize == 4 else "L", values)
    if _BIG_ENDIAN:
        out.byteswap()
    return out.tobytes()


def unwords(data: bytes) -> tuple[int, ...]:
    """The words :func:`words` wrote."""
    from array import array

    out = array("I" if array("I").itemsize == 4 else "L")
    out.frombytes(data)
    if _BIG_ENDIAN:
        out.byteswap()
    return tuple(out)


_BIG_ENDIAN = __import__("sys").byteorder == "big"
