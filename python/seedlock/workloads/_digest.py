"""Digests of numeric outputs that do not depend on the platform's byte order or array layout."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any


def arrays_sha256(arrays: Iterable[Any]) -> str:
    """SHA-256 over each array's dtype, shape and little-endian C-order bytes."""
    import numpy as np

    h = hashlib.sha256()
    for array in arrays:
        a = np.ascontiguousarray(array)
        a = a.astype(a.dtype.newbyteorder("<"), copy=False)
        h.update(f"{a.dtype.str}{a.shape}".encode())
        h.update(a.tobytes())
    return h.hexdigest()
