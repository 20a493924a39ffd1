"""Framework names and their settings: defaults, validation and merging (spec §6)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

from . import _validate as v
from . import frameworks as _frameworks
from ._suggest import hint
from .errors import SeedlockError, pointer_join
from .frameworks import numpy as _numpy
from .frameworks import r as _r

#: Framework names defined by spec 1.0, in the order frameworks are applied.
FRAMEWORKS: Final = _frameworks.NAMES

# Kept under their old names: the values belong to the framework modules.
R_KINDS: Final = _r.KINDS
R_NORMAL_KINDS: Final = _r.NORMAL_KINDS
R_SAMPLE_KINDS: Final = _r.SAMPLE_KINDS
BIT_GENERATORS: Final = _numpy.BIT_GENERATORS

DEFAULTS: Final[Mapping[str, Mapping[str, Any]]] = {fw.NAME: fw.DEFAULTS for fw in _frameworks.all()}
_CHECKS: Final[Mapping[str, Mapping[str, Callable[[Any, str], Any]]]] = {fw.NAME: fw.CHECKS for fw in _frameworks.all()}


def framework(name: Any, pointer: str) -> str:
    """Return ``name`` if it is a framework of spec 1.0, else raise ``unknown-framework``."""
    v.string(name, pointer)
    if name not in FRAMEWORKS:
        guess = hint(name, FRAMEWORKS) or f" (expected one of {', '.join(sorted(FRAMEWORKS))})"
        raise SeedlockError("unknown-framework", f"Unknown framework {name!r}{guess}", pointer)
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
