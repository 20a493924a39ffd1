"""Framework names and their settings: defaults, validation and merging (spec §6)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

from . import _validate as v
from .errors import SeedlockError, pointer_join

#: Framework names defined by spec 1.0, in the order frameworks are applied.
FRAMEWORKS: Final = ("tensorflow", "torch", "numpy", "python", "r", "caffe")

R_KINDS: Final = (
    "Wichmann-Hill",
    "Marsaglia-Multicarry",
    "Super-Duper",
    "Mersenne-Twister",
    "Knuth-TAOCP",
    "Knuth-TAOCP-2002",
    "L'Ecuyer-CMRG",
)
R_NORMAL_KINDS: Final = ("Kinderman-Ramage", "Ahrens-Dieter", "Box-Muller", "Inversion")
R_SAMPLE_KINDS: Final = ("Rejection", "Rounding")
BIT_GENERATORS: Final = ("PCG64", "PCG64DXSM", "MT19937", "Philox", "SFC64")

DEFAULTS: Final[Mapping[str, Mapping[str, Any]]] = {
    "python": {"hash_seed": True},
    "numpy": {"bit_generator": "PCG64"},
    "torch": {"deterministic": True, "warn_only": False, "num_threads": None},
    "tensorflow": {"op_determinism": True},
    "r": {"kind": "Mersenne-Twister", "normal_kind": "Inversion", "sample_kind": "Rejection"},
    "caffe": {"solvers": []},
}


def _threads(value: Any, pointer: str) -> int | None:
    if value is None:
        return None
    if type(value) not in (int, float):
        raise v.wrong_type(value, "integer or null", pointer)
    number = v.integer(value, pointer)
    if number < 1:
        raise SeedlockError("invalid-value", f"Thread count {number} is below 1", pointer)
    return number


_CHECKS: Final[Mapping[str, Mapping[str, Callable[[Any, str], Any]]]] = {
    "python": {"hash_seed": v.boolean},
    "numpy": {"bit_generator": lambda x, p: v.choice(x, BIT_GENERATORS, p)},
    "torch": {"deterministic": v.boolean, "warn_only": v.boolean, "num_threads": _threads},
    "tensorflow": {"op_determinism": v.boolean},
    "r": {
        "kind": lambda x, p: v.choice(x, R_KINDS, p),
        "normal_kind": lambda x, p: v.choice(x, R_NORMAL_KINDS, p),
        "sample_kind": lambda x, p: v.choice(x, R_SAMPLE_KINDS, p),
    },
    "caffe": {"solvers": v.paths},
}


def framework(name: Any, pointer: str) -> str:
    """Return ``name`` if it is a framework of spec 1.0, else raise ``unknown-framework``."""
    v.string(name, pointer)
    if name not in FRAMEWORKS:
        raise SeedlockError(
            "unknown-framework", f"Unknown framework {name!r} (expected one of {', '.join(sorted(FRAMEWORKS))})", pointer
        )
    return name


def framework_settings(name: str, value: Any, pointer: str, *, complete: bool = False) -> dict[str, Any]:
    """Validate one framework's settings object; with ``complete`` every member is required (locks)."""
    checks = _CHECKS[name]
    v.obj(value, pointer)
    v.members(value, pointer, checks if complete else (), checks)
    return {key: checks[key](value[key], pointer_join(pointer, key)) for key in checks if key in value}


def settings_block(value: Any, pointer: str) -> dict[str, dict[str, Any]]:
    """Validate a ``settings`` object keyed by framework."""
    v.obj(value, pointer)
    for key in sorted(value):
        framework(key, pointer_join(pointer, key))
    return {key: framework_settings(key, value[key], pointer_join(pointer, key)) for key in value}


def merged(name: str, *layers: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """Defaults, then each layer's settings for ``name`` member by member (later layers win)."""
    out = {key: list(value) if isinstance(value, list) else value for key, value in DEFAULTS[name].items()}
    for layer in layers:
        out.update(layer.get(name, {}))
    return out
