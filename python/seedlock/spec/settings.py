"""Framework and extension names and their settings: defaults, validation and merging (spec §2.2, §6)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any, Final

from . import _registry
from . import _validate as v
from ._suggest import hint
from .errors import SeedlockError, pointer_join

Check = Callable[[Any, str], Any]

#: Built-in framework names, in the order frameworks are applied.
FRAMEWORKS: Final = _registry.FRAMEWORKS
#: The version of the specification that introduced each framework (spec §2.1).
SINCE: Final[Mapping[str, str]] = _registry.SINCE
#: Every extension name starts with this prefix; no built-in framework ever will (spec §2.2).
EXTENSION_PREFIX: Final = _registry.EXTENSION_PREFIX
EXTENSIONS_SINCE: Final = _registry.EXTENSIONS_SINCE
#: The version that introduced a stage's ``take_over`` member (spec §2, §6.3).
TAKE_OVER_SINCE: Final = v.TAKE_OVER_SINCE
_EXTENSION = re.compile(_registry.EXTENSION_PATTERN.removeprefix("^").removesuffix("$"))
#: The newest version this binding implements; documents without a version are read under it.
LATEST: Final = f"{v.SUPPORTED_MAJOR}.{v.SUPPORTED_MINOR}"


def _values(framework: str, setting: str) -> tuple[str, ...]:
    return tuple(_registry.SETTINGS[framework][setting]["values"])


# Kept under their old names (public since 0.1): the values are the registry's.
R_KINDS: Final = _values("r", "kind")
R_NORMAL_KINDS: Final = _values("r", "normal_kind")
R_SAMPLE_KINDS: Final = _values("r", "sample_kind")
BIT_GENERATORS: Final = _values("numpy", "bit_generator")


def _default(setting: Mapping[str, Any]) -> Any:
    # Arrays are tuples in the generated module (immutable); documents and locks hold lists.
    return list(setting["default"]) if setting["type"] == "string-array" else setting["default"]


#: Each framework's settings with their default values (spec §6).
DEFAULTS: Final[Mapping[str, Mapping[str, Any]]] = {
    name: {key: _default(setting) for key, setting in settings.items()} for name, settings in _registry.SETTINGS.items()
}
#: The allowed values of each setting that takes one of a set of strings.
VALUES: Final[Mapping[str, Mapping[str, tuple[str, ...]]]] = {
    name: {key: tuple(setting["values"]) for key, setting in settings.items() if setting["type"] == "enum"}
    for name, settings in _registry.SETTINGS.items()
}


def _integer_at_least(minimum: int, quantity: str) -> Check:
    def check(value: Any, pointer: str) -> int | None:
        if value is None:
            return None
        if type(value) not in (int, float):
            raise v.wrong_type(value, "integer or null", pointer)
        number = v.integer(value, pointer)
        if number < minimum:
            raise SeedlockError("invalid-value", f"{quantity} {number} is below {minimum}", pointer)
        return number

    return check


def _enum(values: tuple[str, ...]) -> Check:
    return lambda value, pointer: v.choice(value, values, pointer)


def checker(setting: Mapping[str, Any]) -> Check:
    """The validator of one registry setting, by its type: ``check(value, pointer) -> value``, raising
    the coded error of spec §7 (the one checker every framework's settings go through)."""
    kind = setting["type"]
    if kind == "boolean":
        return v.boolean
    if kind == "enum":
        return _enum(tuple(setting["values"]))
    if kind == "integer-or-null":
        return _integer_at_least(setting["minimum"], setting["quantity"])
    if kind == "string-array":
        return v.paths
    raise ValueError(f"setting type {kind!r} has no checker (spec/registry.schema.json lists the types)")


#: One validator per setting of each framework.
CHECKS: Final[Mapping[str, Mapping[str, Check]]] = {
    name: {key: checker(setting) for key, setting in settings.items()} for name, settings in _registry.SETTINGS.items()
}
_CHECKS = CHECKS


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
        guess = (
            hint(name, FRAMEWORKS) or f" (expected one of {', '.join(sorted(FRAMEWORKS))}, or an extension x-<name>)"
        )
        raise SeedlockError("unknown-framework", f"Unknown framework {name!r}{guess}", pointer)
    _since(f"Framework {name!r}", SINCE[name], version, pointer)
    return name


def _since(what: str, since: str, version: str, pointer: str) -> None:
    if v.version_tuple(version) < v.version_tuple(since):
        raise SeedlockError(
            "unknown-framework", f"{what} is defined from version {since}; this document is version {version}", pointer
        )


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
