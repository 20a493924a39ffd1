"""The one lock validator (spec §5): :func:`check`, which :meth:`seedlock.spec.lock.Lock.from_dict` wraps.

Apart from :mod:`seedlock.spec._lockfile`, which reads a lock, so that reading one does not load the
validation helpers and the derivation (``_sha256``): ``seedlock run`` reads a lock before it starts the
command and, for an interpreter it holds back at the start gate, checks it while that interpreter starts
up. Framework names and settings are checked against the registry's generated literals
(:mod:`seedlock.spec._registry`); where a value is not plainly valid
(:func:`seedlock.spec._lockfile.plain_setting`), the framework's own checks in
:mod:`seedlock.spec.settings` word the error (imported only then).
"""

from __future__ import annotations

from . import _registry
from . import _validate as v
from ._lockfile import NOT_PLAIN, SOURCES, plain_setting
from .derivation import DERIVATION, check_label, check_rules, derive
from .errors import SeedlockError, pointer_join

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

_HEX = frozenset("0123456789abcdef")
_LABEL_REST = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_.-")
_LOCK_REQUIRED = ("lock-version", "derivation", "root", "stages", "manifest")
_LOCK_OPTIONAL = ("$schema", "provenance", "rules")


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
            found = plain_setting(spec, value[name])
            if found is NOT_PLAIN:
                break
            out[name] = found
        else:
            return out
    from .settings import framework_settings

    return framework_settings(fw, value, pointer, complete=True)  # raises (or, if it accepts, decides)


__all__ = ["check"]
