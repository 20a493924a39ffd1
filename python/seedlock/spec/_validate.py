"""Small checks shared by manifest, lock and settings validation; each raises a coded error.

``seedlock run`` validates every lock with these before every job: this module imports nothing but
:mod:`seedlock.spec.errors` and :mod:`seedlock.spec.derivation` (no ``re``, ``typing``), and loads the "did you
mean" rule only to word an error."""

from __future__ import annotations

from .derivation import SEED_MAX
from .errors import SeedlockError, pointer_join

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Any

_DIGITS = frozenset("0123456789")
SUPPORTED_MAJOR = 1
SUPPORTED_MINOR = 2


class Inexact(float):
    """A number whose exact decimal value is not an integer though its nearest double is (``1e-400``
    is 0.0, ``1.0000000000000000001`` is 1.0): spec §1.2 judges the number as written, so it is
    ``invalid-type`` where an integer is expected (every number in a seedlock document is)."""

    text: str

    def __new__(cls, text: str) -> Inexact:
        self = super().__new__(cls, float(text))
        self.text = text
        return self


_JSON_TYPE = {dict: "object", list: "array", str: "string", bool: "boolean", int: "integer", float: "number"}


def json_type(value: Any) -> str:
    """The JSON name of a parsed value's type (``null`` for None)."""
    if isinstance(value, Inexact):
        return "number"
    return "null" if value is None else _JSON_TYPE.get(type(value), type(value).__name__)


def wrong_type(value: Any, expected: str, pointer: str) -> SeedlockError:
    return SeedlockError("invalid-type", f"Unexpected type {json_type(value)} (expected {expected})", pointer)


def obj(value: Any, pointer: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise wrong_type(value, "object", pointer)
    return value


def members(value: dict[str, Any], pointer: str, required: Iterable[str], optional: Iterable[str]) -> None:
    """Raise ``unknown-field`` for a member not allowed, ``missing-field`` for an absent required one."""
    required = tuple(required)
    allowed = set(required) | set(optional)
    for key in sorted(value):
        if key not in allowed:
            from ._suggest import hint

            raise SeedlockError(
                "unknown-field", f"Unknown field {key!r}{hint(key, allowed - set(value))}", pointer_join(pointer, key)
            )
    for key in required:
        if key not in value:
            raise SeedlockError("missing-field", f"Missing required field {key!r}", pointer_join(pointer, key))


def integer(value: Any, pointer: str) -> int:
    """An integer per spec §1.2: ints, and floats with an integral value (``42.0``); never bools."""
    if type(value) is int:
        return value
    if isinstance(value, Inexact):
        raise SeedlockError("invalid-type", f"Unexpected non-integral number {value.text} (expected integer)", pointer)
    if type(value) is float:
        if value != value or value in (float("inf"), float("-inf")):
            raise SeedlockError("invalid-type", f"Unexpected number {value} (expected integer)", pointer)
        if value.is_integer():
            return int(value)
        raise SeedlockError("invalid-type", f"Unexpected non-integral number {value!r} (expected integer)", pointer)
    raise wrong_type(value, "integer", pointer)


def seed(value: Any, pointer: str, *, allow_generate: bool = False) -> int | str:
    """A seed in [0, 2**31-1], or ``"generate"`` where allowed (spec §1.3)."""
    expected = 'integer or "generate"' if allow_generate else "integer"
    if isinstance(value, str):
        if allow_generate and value == "generate":
            return value
        raise SeedlockError("invalid-seed", f"Unexpected string {value!r} (expected {expected})", pointer)
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        raise wrong_type(value, expected, pointer)
    if value in (float("inf"), float("-inf")):
        raise SeedlockError("seed-out-of-range", f"Seed {_huge(value)} is outside [0, {SEED_MAX}]", pointer)
    number = integer(value, pointer)
    if not 0 <= number <= SEED_MAX:
        raise SeedlockError("seed-out-of-range", f"Seed {_shown(number)} is outside [0, {SEED_MAX}]", pointer)
    return number


def _huge(value: float) -> str:
    """An infinite seed as the number it was: too large for a double (``1e400``, thousands of digits)."""
    return ("-" if value < 0 else "") + "beyond 1.8e308"


def _shown(number: int) -> str:
    """A seed for a message: long ones (400 digits) abbreviated to their start and length."""
    text = str(number)
    digits = len(text.lstrip("-"))
    return text if digits <= 20 else f"{text[:12]}... ({digits} digits)"


def string(value: Any, pointer: str) -> str:
    if not isinstance(value, str):
        raise wrong_type(value, "string", pointer)
    return value


def paths(value: Any, pointer: str) -> list[str]:
    """An array of non-empty strings (file paths)."""
    if not isinstance(value, list):
        raise wrong_type(value, "array", pointer)
    for i, item in enumerate(value):
        string(item, pointer_join(pointer, i))
        if not item:
            raise SeedlockError("invalid-value", "A path cannot be empty", pointer_join(pointer, i))
    return list(value)


def boolean(value: Any, pointer: str) -> bool:
    if not isinstance(value, bool):
        raise wrong_type(value, "boolean", pointer)
    return value


def choice(value: Any, allowed: Iterable[str], pointer: str) -> str:
    allowed = tuple(allowed)
    string(value, pointer)
    if value not in allowed:
        raise SeedlockError(
            "invalid-value", f"Unexpected value {value!r} (expected one of {', '.join(allowed)})", pointer
        )
    return value


def version(value: Any, pointer: str) -> str:
    """A ``MAJOR.MINOR`` version this binding implements (spec §2.1)."""
    string(value, pointer)
    if not _is_version(value):
        raise SeedlockError("invalid-value", f"Invalid version {value!r} (expected MAJOR.MINOR)", pointer)
    major, minor = (int(part) for part in value.split("."))
    if major != SUPPORTED_MAJOR or minor > SUPPORTED_MINOR:
        raise SeedlockError(
            "unsupported-version",
            f"Unsupported version {value!r} (this seedlock reads {SUPPORTED_MAJOR}.0 to "
            f"{SUPPORTED_MAJOR}.{SUPPORTED_MINOR})",
            pointer,
        )
    return value


def _is_version(text: str) -> bool:
    """``MAJOR.MINOR`` in decimal parts without leading zeros (spec §2.1): "01.0" is not a way to write "1.0"."""
    parts = text.split(".")
    return len(parts) == 2 and all(p and set(p) <= _DIGITS and (p == "0" or p[0] != "0") for p in parts)


def version_tuple(value: str) -> tuple[int, int]:
    """``"1.1"`` → ``(1, 1)``, for a version :func:`version` accepted."""
    major, _, minor = value.partition(".")
    return int(major), int(minor)


#: The version that introduced a stage's ``take_over`` (spec §2.1, §6.4).
TAKE_OVER_SINCE = "1.2"


def take_over_member(value: Any, pointer: str, version: str) -> bool | None:
    """A stage's ``take_over`` (manifest or lock): a boolean, in documents of version 1.2 or later."""
    if "take_over" not in value:
        return None
    item = pointer_join(pointer, "take_over")
    if version_tuple(version) < version_tuple(TAKE_OVER_SINCE):
        raise SeedlockError(
            "unknown-field",
            f"Unknown field 'take_over' (version {TAKE_OVER_SINCE} defines it; this document is {version})",
            item,
        )
    return boolean(value["take_over"], item)
