"""Framework and extension names and their settings: defaults, validation and merging (spec §2.2, §6)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any, Final

from . import _validate as v
from . import frameworks as _frameworks
from ._suggest import hint
from .errors import SeedlockError, pointer_join
from .frameworks import numpy as _numpy
from .frameworks import r as _r

#: Built-in framework names, in the order frameworks are applied.
FRAMEWORKS: Final = _frameworks.NAMES
#: The version of the specification that introduced each framework (spec §2.1).
SINCE: Final[Mapping[str, str]] = {fw.NAME: fw.SINCE for fw in _frameworks.all()}
#: Every extension name starts with this prefix; no built-in framework ever will (spec §2.2).
EXTENSION_PREFIX: Final = "x-"
EXTENSIONS_SINCE: Final = "1.1"
#: The version that introduced a stage's ``take_over`` member (spec §2, §6.3).
TAKE_OVER_SINCE: Final = v.TAKE_OVER_SINCE
_EXTENSION = re.compile(r"x-[a-z0-9][a-z0-9_.-]{0,60}")
#: The newest version this binding implements; documents without a version are read under it.
LATEST: Final = f"{v.SUPPORTED_MAJOR}.{v.SUPPORTED_MINOR}"

# Kept under their old names: the values belong to the framework modules.
R_KINDS: Final = _r.KINDS
R_NORMAL_KINDS: Final = _r.NORMAL_KINDS
R_SAMPLE_KINDS: Final = _r.SAMPLE_KINDS
BIT_GENERATORS: Final = _numpy.BIT_GENERATORS

DEFAULTS: Final[Mapping[str, Mapping[str, Any]]] = {fw.NAME: fw.DEFAULTS for fw in _frameworks.all()}
_CHECKS: Final[Mapping[str, Mapping[str, Callable[[Any, str], Any]]]] = {fw.NAME: fw.CHECKS for fw in _frameworks.all()}


def is_extension(name: str) -> bool:
    """True for an extension name (``x-...``): seeded by a third-party seeder, not by seedlock."""
    return name.startswith(EXTENSION_PREFIX)


def framework(name: Any, pointer: str, version: str = LATEST) -> str:
    """Return ``name`` if a document of ``version`` may name it (a framework or an extension), else raise
    ``unknown-framework`` (``invalid-label`` for a malformed extension name)."""
    v.string(name, pointer)
    if is_extension(name):
        if _EXTENSION.fullmatch(name) is None:
            raise SeedlockError("invalid-label", f"Extension name {name!r} is not x- followed by a label", pointer)
        _since(f"Extension {name!r}", EXTENSIONS_SINCE, version, pointer)
        return name
    if name not in FRAMEWORKS:
        guess = hint(name, FRAMEWORKS) or f" (expected one of {', '.join(sorted(FRAMEWORKS))}, or an extension x-<name>)"
        raise SeedlockError("unknown-framework", f"Unknown framework {name!r}{guess}", pointer)
    _since(f"Framework {name!r}", SINCE[name], version, pointer)
    return name


def _since(what: str, since: str, version: str, pointer: str) -> None:
    if v.version_tuple(version) < v.version_tuple(since):
        raise SeedlockError("unknown-framework", f"{what} is defined from version {since}; this document is version {version}", pointer)


def framework_settings(name: str, value: Any, pointer: str, *, complete: bool = False) -> dict[str, Any]:
    """Validate one framework's settings object; with ``complete`` every member is required (locks).
    Extensions have no settings: any member is ``unknown-field``."""
    checks = _CHECKS.get(name, {})
    v.obj(value, pointer)
    v.members(value, pointer, checks if complete else (), checks)
    return {key: checks[key](value[key], pointer_join(pointer, key)) for key in checks if key in value}


def settings_block(value: Any, pointer: str, version: str = LATEST) -> dict[str, dict[str, Any]]:
    """Validate a ``settings`` object keyed by framework, in a document of ``version``."""
    v.obj(value, pointer)
    for key in sorted(value):
        framework(key, pointer_join(pointer, key), version)
        if is_extension(key):
            raise SeedlockError("unknown-field", f"Extension {key!r} has no settings", pointer_join(pointer, key))
    return {key: framework_settings(key, value[key], pointer_join(pointer, key)) for key in value}


def merged(name: str, *layers: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """Defaults, then each layer's settings for ``name`` member by member (later layers win)."""
    out = {key: list(value) if isinstance(value, list) else value for key, value in DEFAULTS.get(name, {}).items()}
    for layer in layers:
        out.update(layer.get(name, {}))
    return out
