"""Reading and checking a lock (spec §5): the one lock validator, with few imports.

``seedlock run`` reads and checks a lock before every job it starts, so this module imports only
:mod:`seedlock.spec.errors`, :mod:`seedlock.spec.derivation` and :mod:`seedlock.spec._validate` (no ``json``, ``re``,
``typing`` or ``dataclasses``). :meth:`seedlock.spec.lock.Lock.from_dict` wraps :func:`check`: there is no
second set of lock rules.

* :func:`read` reads a file once, whatever it is (a regular file, a pipe, ``/dev/stdin``, a process
  substitution ``<(cat lock)``), capped at :data:`seedlock.spec._json.MAX_DOCUMENT_BYTES`.
* :func:`parse` parses with the C scanner behind ``json`` (without importing ``json``) under the rules of
  :mod:`seedlock.spec._json`; anything the scanner cannot take plainly (a syntax error, a duplicate key,
  ``NaN``, ``\\u`` escapes, deep nesting) is handed to :func:`seedlock.spec._json.loads`, which gives the exact
  error (or the value).
* :func:`check` validates parsed data and returns it normalised (``42.0`` → ``42``), or raises the first
  fault as a coded :class:`~seedlock.spec.errors.SeedlockError`. Framework names and settings are checked
  against the registry's generated literals (:mod:`seedlock.spec._registry`, already loaded: parsing
  ``registry.json`` took a third of a millisecond before every run); where a value is not plainly valid,
  the framework's own checks in :mod:`seedlock.spec.settings` word the error (imported only then).
"""

from __future__ import annotations

import os

from . import _registry
from . import _validate as v
from .derivation import DERIVATION, check_label, check_rules, derive
from .errors import SeedlockError, pointer_join

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, ClassVar

SOURCES = ("manifest", "env", "generated", "derived")
MAX_BYTES = 16 * 1024 * 1024  # seedlock.spec._json.MAX_DOCUMENT_BYTES (a test checks they agree)
MAX_DEPTH = 64  # seedlock.spec._json.MAX_DEPTH
_BOM = b"\xef\xbb\xbf"
_HEX = frozenset("0123456789abcdef")
_LABEL_REST = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_.-")
_LOCK_REQUIRED = ("lock-version", "derivation", "root", "stages", "manifest")
_LOCK_OPTIONAL = ("$schema", "provenance", "rules")


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


def parse(raw: bytes) -> Any:
    """One JSON document by spec §1.1 (a leading byte-order mark ignored)."""
    try:
        text = (raw[len(_BOM) :] if raw.startswith(_BOM) else raw).decode("utf-8")
        if "\\u" in text or text.count("[") + text.count("{") > MAX_DEPTH:
            raise _Unsure  # escapes may hide unpaired surrogates; deep documents: _json counts exactly
        return scan(text)
    except Exception:
        from . import _json

        return _json.loads(raw)


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        raise _Unsure  # a duplicate key: _json names it
    return out


def _constant(name: str) -> Any:
    raise _Unsure  # NaN, Infinity


def _float(text: str) -> Any:
    raise _Unsure  # a lock holds integers; 42.0 or 1e-400 is judged as written by _json (spec §1.2)


_scanner: Any = None


def scan(text: str) -> Any:
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
            memo: ClassVar[dict[str, str]] = {}

        _scanner = make_scanner(_Context())  # type: ignore[arg-type]  # any object with these attributes
    start = len(text) - len(text.lstrip(" \t\n\r"))
    try:
        value, end = _scanner(text, start)
    except StopIteration:
        raise _Unsure from None
    if text[end:].strip(" \t\n\r"):
        raise _Unsure  # extra data
    return value


def check(data: Any) -> dict[str, Any]:
    """Validate a parsed lock, including its integrity (spec §5.1); the lock's data, normalised."""
    v.obj(data, "")
    if "lock-version" in data:
        v.version(data["lock-version"], "/lock-version")
    v.members(data, "", _LOCK_REQUIRED, _LOCK_OPTIONAL)
    version = data["lock-version"]
    rules = check_rules(v.integer(data["rules"], "/rules")) if "rules" in data else 1
    if "$schema" in data:
        v.string(data["$schema"], "/$schema")
    v.string(data["derivation"], "/derivation")
    if data["derivation"] != DERIVATION:
        raise SeedlockError("unknown-derivation", f"Unknown derivation {data['derivation']!r}", "/derivation")
    root = _resolved(data["root"], "/root", ())
    if root["source"] == "derived":
        raise SeedlockError("invalid-value", "The root seed cannot be derived", "/root/source")
    stages_raw = v.obj(data["stages"], "/stages")
    if not stages_raw:
        raise SeedlockError("invalid-value", "A lock needs at least one stage", "/stages")
    stages = {}
    for name in stages_raw:
        pointer = pointer_join("/stages", name)
        check_label(name, pointer)
        stages[name] = _stage(name, stages_raw[name], pointer, root["seed"], version)
    manifest_raw = v.obj(data["manifest"], "/manifest")
    v.members(manifest_raw, "/manifest", ("sha256",), ("path",))
    sha = v.string(manifest_raw["sha256"], "/manifest/sha256")
    if len(sha) != 64 or not set(sha) <= _HEX:
        raise SeedlockError("invalid-value", "Expected 64 lower-case hex digits", "/manifest/sha256")
    manifest = {"sha256": sha}
    if "path" in manifest_raw:
        manifest["path"] = v.string(manifest_raw["path"], "/manifest/path")
    out: dict[str, Any] = {
        "lock-version": version,
        "derivation": DERIVATION,
        "rules": rules,
        "root": root,
        "stages": stages,
        "manifest": manifest,
        "provenance": v.obj(data["provenance"], "/provenance") if "provenance" in data else {},
    }
    if "$schema" in data:
        out["$schema"] = data["$schema"]
    return out


def _resolved(value: Any, pointer: str, extra: tuple[str, ...], optional: tuple[str, ...] = ()) -> dict[str, Any]:
    v.obj(value, pointer)
    v.members(value, pointer, ("seed", "source", *extra), ("variable", *optional))
    out = {
        "seed": v.seed(value["seed"], pointer_join(pointer, "seed")),
        "source": v.choice(value["source"], SOURCES, pointer_join(pointer, "source")),
    }
    if out["source"] == "env":
        if "variable" not in value:
            raise SeedlockError(
                "missing-field", "Missing required field 'variable' (source is env)", pointer_join(pointer, "variable")
            )
        out["variable"] = v.string(value["variable"], pointer_join(pointer, "variable"))
    elif "variable" in value:
        raise SeedlockError(
            "unknown-field",
            f"Field 'variable' is only allowed with source env, not {out['source']}",
            pointer_join(pointer, "variable"),
        )
    return out


def _stage(name: str, value: Any, pointer: str, root_seed: int, version: str) -> dict[str, Any]:
    stage = _resolved(value, pointer, ("frameworks",), ("take_over",))
    take_over = v.take_over_member(value, pointer, version)
    if take_over is not None:
        stage["take_over"] = take_over
    seed = stage["seed"]
    if stage["source"] == "derived" and seed != derive(root_seed, name):
        raise SeedlockError(
            "lock-mismatch",
            f"Stage seed {seed} does not match derive({root_seed}, {name!r}) = {derive(root_seed, name)}",
            pointer_join(pointer, "seed"),
        )
    fws_pointer = pointer_join(pointer, "frameworks")
    fws_raw = v.obj(value["frameworks"], fws_pointer)
    if not fws_raw:
        raise SeedlockError("invalid-value", "A stage needs at least one framework", fws_pointer)
    fws = {}
    for fw in fws_raw:
        fw_pointer = pointer_join(fws_pointer, fw)
        _framework(fw, fw_pointer, version)
        entry = _resolved(fws_raw[fw], fw_pointer, ("settings",))
        if entry["source"] == "derived" and entry["seed"] != derive(seed, fw):
            raise SeedlockError(
                "lock-mismatch",
                f"Framework seed {entry['seed']} does not match derive({seed}, {fw!r}) = {derive(seed, fw)}",
                pointer_join(fw_pointer, "seed"),
            )
        entry["settings"] = _settings(fw, fws_raw[fw]["settings"], pointer_join(fw_pointer, "settings"))
        fws[fw] = entry
    stage["frameworks"] = fws
    return stage


def _framework(name: str, pointer: str, version: str) -> None:
    """A name a document of ``version`` may list; :func:`seedlock.spec.settings.framework` words a refusal."""
    if name.startswith("x-"):
        since: str | None = _registry.EXTENSIONS_SINCE
        plain = (
            3 <= len(name) <= 63 and name[2] in _LABEL_REST and name[2] not in "_.-" and set(name[3:]) <= _LABEL_REST
        )
    else:
        since = _registry.SINCE.get(name)
        plain = since is not None
    if plain and since is not None and v.version_tuple(version) >= v.version_tuple(since):
        return
    from .settings import framework

    framework(name, pointer, version)  # raises: unknown-framework, invalid-label
    raise AssertionError(f"settings.framework accepted {name!r}, which the registry does not")  # pragma: no cover


def _settings(fw: str, value: Any, pointer: str) -> dict[str, Any]:
    """A framework's complete settings in a lock, normalised; the framework's own checks word a fault."""
    specs = _registry.SETTINGS.get(fw, {})
    if type(value) is dict and len(value) == len(specs) and all(name in value for name in specs):
        out = {}
        for name, spec in specs.items():
            found = _setting(spec, value[name])
            if found is _FAULT:
                break
            out[name] = found
        else:
            return out
    from .settings import framework_settings

    return framework_settings(fw, value, pointer, complete=True)  # raises (or, if it accepts, decides)


_FAULT = object()


def _setting(spec: dict[str, Any], value: Any) -> Any:
    """``value`` normalised when it is plainly valid for the registry's setting ``spec``, else ``_FAULT``."""
    kind = spec["type"]
    if kind == "boolean":
        return value if type(value) is bool else _FAULT
    if kind == "enum":
        return value if type(value) is str and value in spec["values"] else _FAULT
    if kind == "string-array":
        return list(value) if type(value) is list and all(type(x) is str and x for x in value) else _FAULT
    if kind == "integer-or-null":
        if value is None:
            return None
        if type(value) is float and value.is_integer():
            value = int(value)
        return value if type(value) is int and value >= spec.get("minimum", value) else _FAULT
    return _FAULT  # a setting type this module does not know: the framework's checks decide


__all__ = ["MAX_BYTES", "MAX_DEPTH", "check", "parse", "read", "scan"]
