"""Seed derivation ``sha256-v1`` (spec §3) and the worker/rank label paths (spec §4.3).

Imports nothing beyond the standard library so that ``seedlock derive`` starts fast.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from typing import Final

from .errors import SeedlockError

SEED_MAX: Final = 2**31 - 1
DERIVATION: Final = "sha256-v1"
LABEL_RE: Final = re.compile(r"[a-z0-9][a-z0-9_.-]{0,62}")
_PREFIX: Final = b"seedlock/v1:"


def is_seed(value: object) -> bool:
    """True for an ``int`` (not ``bool``) in [0, 2**31-1]."""
    return type(value) is int and 0 <= value <= SEED_MAX


def check_seed(value: object, pointer: str = "") -> int:
    """Return ``value`` if it is a seed, else raise ``invalid-type``/``seed-out-of-range``."""
    if type(value) is not int:
        raise SeedlockError("invalid-type", f"Unexpected type {type(value).__name__} (expected int)", pointer)
    if not 0 <= value <= SEED_MAX:
        raise SeedlockError("seed-out-of-range", f"Seed {value} is outside [0, {SEED_MAX}]", pointer)
    return value


def check_label(label: object, pointer: str = "") -> str:
    """Return ``label`` if it matches ``^[a-z0-9][a-z0-9_.-]{0,62}$``, else raise ``invalid-label``."""
    if not isinstance(label, str) or LABEL_RE.fullmatch(label) is None:
        raise SeedlockError(
            "invalid-label",
            f"Invalid label {label!r} (expected 1-63 of a-z 0-9 _ . - starting with a-z or 0-9)",
            pointer,
        )
    return label


def message(seed: int, labels: Sequence[str]) -> bytes:
    """The exact bytes hashed for ``derive(seed, labels)``, e.g. ``b"seedlock/v1:42:train"``."""
    check_seed(seed)
    if not labels:
        raise SeedlockError("invalid-label", "Derivation needs at least one label")
    for i, label in enumerate(labels):
        check_label(label, f"/labels/{i}")
    return _PREFIX + str(seed).encode("ascii") + b":" + "/".join(labels).encode("ascii")


def derive(seed: int, *labels: str) -> int:
    """Derive a seed from ``seed`` and a label path: ``derive(42, "train") == 1677747947``.

    The result depends only on the seed and the labels (by name, never by order of registration).
    """
    digest = hashlib.sha256(message(seed, labels)).digest()
    return int.from_bytes(digest[:4], "big") & SEED_MAX


def derive_many(seed: int, label_paths: Iterable[Sequence[str]]) -> list[int]:
    """Derive one seed per label path from the same parent seed (validated once per path)."""
    check_seed(seed)
    head = _PREFIX + str(seed).encode("ascii") + b":"
    sha = hashlib.sha256
    out = []
    for path in label_paths:
        if not path:
            raise SeedlockError("invalid-label", "Derivation needs at least one label")
        for label in path:
            check_label(label)
        out.append(int.from_bytes(sha(head + "/".join(path).encode("ascii")).digest()[:4], "big") & SEED_MAX)
    return out


def rank_seed(framework_seed: int, rank: int) -> int:
    """Seed of rank ``rank`` of a distributed run (spec §4.3): ``derive(F, "rank", r)``."""
    return derive(framework_seed, "rank", _index(rank, "rank"))


def worker_seed(framework_seed: int, worker: int, rank: int = 0) -> int:
    """Seed of data-loader worker ``worker`` in the process of rank ``rank`` (0 when not distributed)."""
    return derive(framework_seed, "rank", _index(rank, "rank"), "worker", _index(worker, "worker"))


def _index(value: int, name: str) -> str:
    if type(value) is not int or value < 0:
        raise SeedlockError("invalid-value", f"`{name}` must be a non-negative int, not {value!r}")
    return str(value)
