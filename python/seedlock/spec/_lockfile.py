"""Reading a lock (spec §5) with few imports: ``seedlock run`` reads one before every job it starts.

This module imports only :mod:`seedlock.spec.errors` and the registry's literals (no ``json``, ``re``,
``typing`` or ``dataclasses``). The one lock validator is :func:`seedlock.spec._lockcheck.check`, loaded
when a lock is checked.

* :func:`read` reads a file once, whatever it is (a regular file, a pipe, ``/dev/stdin``, a process
  substitution ``<(cat lock)``), capped at :data:`seedlock.spec._json.MAX_DOCUMENT_BYTES`.
* :func:`parse` parses with the C scanner behind ``json`` (without importing ``json``) under the rules of
  :mod:`seedlock.spec._json`; anything the scanner cannot take plainly (a syntax error, a duplicate key,
  ``NaN``, ``\\u`` escapes, deep nesting) is handed to :func:`seedlock.spec._json.loads`, which gives the exact
  error (or the value).
* :func:`plain_stage` reads one stage as the validator would return it, where that needs no checking, and
  :func:`plain_setting` one setting (the validator's test of a plainly valid value).
"""

import os

from . import _registry
from .errors import SeedlockError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, ClassVar

SOURCES = ("manifest", "env", "generated", "derived")
MAX_BYTES = 16 * 1024 * 1024  # seedlock.spec._json.MAX_DOCUMENT_BYTES (a test checks they agree)
MAX_DEPTH = 64  # seedlock.spec._json.MAX_DEPTH
_BOM = b"\xef\xbb\xbf"
#: derivation.SEED_MAX (spec §1.3; a test holds them equal): the derivation is not loaded to read a lock.
_SEED_MAX = 2**31 - 1


def read(path: str) -> bytes:
    """The file's bytes, read once (a pipe cannot be read twice); ``io-error`` naming the file, or
    ``invalid-json`` above the size limit (checked before reading where the file tells its size)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError as exc:
        raise SeedlockError("io-error", f"Cannot read {path}: {exc.strerror or exc}") from None
    try:
        try:
            if os.fstat(fd).st_size > MAX_BYTES:
                raise SeedlockError("invalid-json", f"Document larger than {MAX_BYTES} bytes")
            chunks = []
            size = 0
            while size <= MAX_BYTES:  # files that report no size (pipes) are capped too
                chunk = os.read(fd, 1 << 20)
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
        except IsADirectoryError:
            raise SeedlockError("io-error", f"Cannot read {path}: Is a directory") from None
        except OSError as exc:
            raise SeedlockError("io-error", f"Cannot read {path}: {exc.strerror or exc}") from None
    finally:
        os.close(fd)
    if size > MAX_BYTES:
        raise SeedlockError("invalid-json", f"Document larger than {MAX_BYTES} bytes")
    return b"".join(chunks)


class _Unsure(Exception):
    """The quick parser cannot take this text plainly: :func:`seedlock.spec._json.loads` decides."""


def parse(raw: bytes) -> "Any":
    """One JSON document by spec §1.1 (a leading byte-order mark ignored)."""
    try:
        text = (raw[len(_BOM) :] if raw.startswith(_BOM) else raw).decode("utf-8")
        if "\\u" in text or text.count("[") + text.count("{") > MAX_DEPTH:
            raise _Unsure  # escapes may hide unpaired surrogates; deep documents: _json counts exactly
        return scan(text)
    except Exception:
        from . import _json

        return _json.loads(raw)


def _pairs(pairs: "list[tuple[str, Any]]") -> "dict[str, Any]":
    out = dict(pairs)
    if len(out) != len(pairs):
        raise _Unsure  # a duplicate key: _json names it
    return out


def _constant(name: str) -> "Any":
    raise _Unsure  # NaN, Infinity


def _float(text: str) -> "Any":
    raise _Unsure  # a lock holds integers; 42.0 or 1e-400 is judged as written by _json (spec §1.2)


_scanner: "Any" = None


def scan(text: str) -> "Any":
    """One JSON document by the C scanner ``json`` uses, without importing ``json`` (and ``re``);
    ``_Unsure`` (or the scanner's own exception) for anything but a plain document."""
    global _scanner
    if _scanner is None:
        from _json import make_scanner  # type: ignore[import-not-found]

        class _Context:
            strict = True
            object_hook = None
            object_pairs_hook = staticmethod(_pairs)
            parse_float = staticmethod(_float)
            parse_int = int  # past 4300 digits int() raises: _json turns the token into an infinity
            parse_constant = staticmethod(_constant)
            memo: "ClassVar[dict[str, str]]" = {}  # noqa: RUF012  (ClassVar, quoted: typing is not imported at run time)

        _scanner = make_scanner(_Context())  # type: ignore[arg-type]  # any object with these attributes
    start = len(text) - len(text.lstrip(" \t\n\r"))
    try:
        value, end = _scanner(text, start)
    except StopIteration:
        raise _Unsure from None
    if text[end:].strip(" \t\n\r"):
        raise _Unsure  # extra data
    return value


def plain_stage(data: "Any", name: str) -> "dict[str, Any] | None":
    """Stage ``name`` of a parsed lock as the validator (:func:`seedlock.spec._lockcheck.check`) returns it
    (its ``frameworks``, each ``seed`` and ``settings``, and ``take_over``), read without checking the
    lock, where every value it holds is plainly valid and written as the validator would return it; None
    otherwise (and for a document that is not a lock). ``seedlock run`` starts an interpreter it holds
    back at the start gate with these and checks the whole lock while it starts up: a value the validator
    would refuse or rewrite (``42.0``) makes it check first. Seeds are within spec §1.3's range, so
    ``PYTHONHASHSEED`` made of one is one the interpreter accepts."""
    try:
        if type(data) is not dict or "lock-version" not in data:
            return None
        stage = data["stages"][name]
        frameworks = stage["frameworks"]
        take_over = stage.get("take_over")
        if type(frameworks) is not dict or not frameworks or (take_over is not None and type(take_over) is not bool):
            return None
        out: dict[str, Any] = {}
        for framework, entry in frameworks.items():
            seed, settings = entry["seed"], entry["settings"]
            specs = _registry.SETTINGS.get(framework, {})
            if type(seed) is not int or not 0 <= seed <= _SEED_MAX or type(settings) is not dict:
                return None
            if len(settings) != len(specs):
                return None
            for key, spec in specs.items():
                value = settings.get(key, NOT_PLAIN)
                found = plain_setting(spec, value)
                if found is NOT_PLAIN or type(found) is not type(value) or found != value:
                    return None
            out[framework] = {"seed": seed, "settings": dict(settings)}
    except (KeyError, TypeError, AttributeError):
        return None
    return {"frameworks": out} if take_over is None else {"frameworks": out, "take_over": take_over}


#: What :func:`plain_setting` returns for a value the framework's own checks must judge.
NOT_PLAIN = object()


def plain_setting(spec: "dict[str, Any]", value: "Any") -> "Any":
    """``value`` normalised when it is plainly valid for the registry's setting ``spec``, else :data:`NOT_PLAIN`."""
    kind = spec["type"]
    if kind == "boolean":
        return value if type(value) is bool else NOT_PLAIN
    if kind == "enum":
        return value if type(value) is str and value in spec["values"] else NOT_PLAIN
    if kind == "string-array":
        return list(value) if type(value) is list and all(type(x) is str and x for x in value) else NOT_PLAIN
    if kind == "integer-or-null":
        if value is None:
            return None
        if type(value) is float and value.is_integer():
            value = int(value)
        return value if type(value) is int and value >= spec.get("minimum", value) else NOT_PLAIN
    return NOT_PLAIN  # a setting type this module does not know: the framework's checks decide


__all__ = ["MAX_BYTES", "MAX_DEPTH", "NOT_PLAIN", "SOURCES", "parse", "plain_setting", "plain_stage", "read", "scan"]
