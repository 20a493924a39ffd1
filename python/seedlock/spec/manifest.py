"""The seed manifest (spec §2): parsed, validated, immutable."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal, cast

from . import _json
from . import _validate as v
from .derivation import DERIVATION, check_label
from .errors import SeedlockError, pointer_join
from .settings import framework, settings_block

SeedSpec = int | Literal["generate"]
_ENV_UNSAFE = re.compile(r"[-.]")


def stage_variable(stage: str) -> str:
    """The variable that overrides a stage's seed: ``pre-process.v2`` → ``SEEDLOCK_SEED_PRE_PROCESS_V2``."""
    return "SEEDLOCK_SEED_" + _ENV_UNSAFE.sub("_", stage.upper())


@dataclass(frozen=True, kw_only=True)
class Stage:
    """One stage of a manifest: which frameworks it seeds and any explicit seeds."""

    name: str
    frameworks: tuple[str, ...]
    seed: SeedSpec | None = None
    seeds: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    settings: Mapping[str, Mapping[str, Any]] = field(default_factory=lambda: MappingProxyType({}))
    description: str | None = None
    #: Optional members (``seeds``, ``settings``) the document wrote even though empty: they count in
    #: the manifest's hash, so the dict must keep them.
    explicit: frozenset[str] = field(default=frozenset(), repr=False)
    #: ``take_over`` (spec §6.3, from 1.2): the program's own seeding calls are seeded from the lock;
    #: None when the document does not say.
    take_over: bool | None = None

    @property
    def variable(self) -> str:
        """The environment variable that overrides this stage's seed."""
        return stage_variable(self.name)

    def to_dict(self) -> dict[str, Any]:
        """The stage as plain JSON data, built from its fields."""
        out: dict[str, Any] = {}
        if self.description is not None:
            out["description"] = self.description
        if self.seed is not None:
            out["seed"] = self.seed
        out["frameworks"] = list(self.frameworks)
        if self.seeds or "seeds" in self.explicit:
            out["seeds"] = dict(self.seeds)
        if self.settings or "settings" in self.explicit:
            out["settings"] = _settings_dict(self.settings)
        if self.take_over is not None:
            out["take_over"] = self.take_over
        return out


@dataclass(frozen=True, kw_only=True)
class Manifest:
    """A validated manifest. Build one with :meth:`from_dict` or :func:`seedlock.load`."""

    version: str
    seed: SeedSpec
    stages: Mapping[str, Stage]
    derivation: str = DERIVATION
    settings: Mapping[str, Mapping[str, Any]] = field(default_factory=lambda: MappingProxyType({}))
    description: str | None = None
    inputs: tuple[str, ...] = ()
    params: tuple[str, ...] = ()
    allow_external_paths: bool = False
    schema: str | None = None
    path: str | None = None
    #: Optional members the document wrote with their default value (``"derivation": "sha256-v1"``,
    #: ``"inputs": []``, ...): they count in the hash, so the dict must keep them.
    explicit: frozenset[str] = field(default=frozenset(), repr=False)

    @classmethod
    def from_dict(cls, data: Any, *, path: str | None = None) -> Manifest:
        """Validate a parsed manifest (spec §2); raises :class:`SeedlockError` with code and pointer."""
        v.obj(data, "")
        # Check the version first: a later version may define members this one calls unknown.
        if "version" in data:
            v.version(data["version"], "/version")
        v.members(
            data,
            "",
            ("version", "seed", "stages"),
            ("$schema", "description", "derivation", "settings", "inputs", "params", "allow_external_paths"),
        )
        for key in ("$schema", "description"):
            if key in data:
                v.string(data[key], pointer_join("", key))
        paths = {key: v.paths(data[key], pointer_join("", key)) for key in ("inputs", "params") if key in data}
        allow_external = (
            v.boolean(data["allow_external_paths"], "/allow_external_paths")
            if "allow_external_paths" in data
            else False
        )
        derivation = _derivation(data.get("derivation", DERIVATION), "/derivation")
        root = cast(SeedSpec, v.seed(data["seed"], "/seed", allow_generate=True))
        version = data["version"]
        settings = settings_block(data["settings"], "/settings", version) if "settings" in data else {}
        stages_raw = v.obj(data["stages"], "/stages")
        if not stages_raw:
            raise SeedlockError("invalid-value", "A manifest needs at least one stage", "/stages")
        stages: dict[str, Stage] = {}
        variables: dict[str, str] = {}
        for name in sorted(stages_raw):
            pointer = pointer_join("/stages", name)
            check_label(name, pointer)
            stage = _stage(name, stages_raw[name], pointer, version)
            other = variables.get(stage.variable)
            if other is not None:
                raise SeedlockError(
                    "env-name-collision",
                    f"Stages {other!r} and {name!r} share the variable {stage.variable}",
                    pointer,
                )
            variables[stage.variable] = name
            stages[name] = stage
        return cls(
            version=data["version"],
            seed=root,
            stages=MappingProxyType({name: stages[name] for name in stages_raw}),
            derivation=derivation,
            settings=MappingProxyType(settings),
            description=data.get("description"),
            inputs=tuple(paths.get("inputs", ())),
            params=tuple(paths.get("params", ())),
            allow_external_paths=allow_external,
            schema=data.get("$schema"),
            path=path,
            explicit=frozenset(key for key in _OPTIONAL if key in data),
        )

    def to_dict(self) -> dict[str, Any]:
        """The manifest as plain JSON data, built from its fields (integers normalised: ``42.0`` → ``42``).

        The canonical hash (:attr:`sha256`) is taken from this dict, so a manifest changed with
        ``dataclasses.replace`` hashes as its new fields say.
        """
        out: dict[str, Any] = {}
        if self.schema is not None:
            out["$schema"] = self.schema
        out["version"] = self.version
        if self.description is not None:
            out["description"] = self.description
        if self.derivation != DERIVATION or "derivation" in self.explicit:
            out["derivation"] = self.derivation
        out["seed"] = self.seed
        if self.settings or "settings" in self.explicit:
            out["settings"] = _settings_dict(self.settings)
        for key, paths in (("inputs", self.inputs), ("params", self.params)):
            if paths or key in self.explicit:
                out[key] = list(paths)
        if self.allow_external_paths or "allow_external_paths" in self.explicit:
            out["allow_external_paths"] = self.allow_external_paths
        out["stages"] = {name: stage.to_dict() for name, stage in self.stages.items()}
        return out

    @property
    def sha256(self) -> str:
        """Hex SHA-256 of the canonical form (spec §5)."""
        import hashlib  # loads OpenSSL: only when a manifest is resolved, never for showing a lock

        return hashlib.sha256(_json.canonical(self.to_dict()).encode("utf-8")).hexdigest()


def _derivation(value: Any, pointer: str) -> str:
    v.string(value, pointer)
    if value != DERIVATION:
        raise SeedlockError("unknown-derivation", f"Unknown derivation {value!r} (expected {DERIVATION!r})", pointer)
    return value  # type: ignore[no-any-return]


def _stage(name: str, value: Any, pointer: str, version: str) -> Stage:
    v.obj(value, pointer)
    v.members(value, pointer, ("frameworks",), ("description", "seed", "seeds", "settings", "take_over"))
    take_over = v.take_over_member(value, pointer, version)
    if "description" in value:
        v.string(value["description"], pointer_join(pointer, "description"))
    fw_pointer = pointer_join(pointer, "frameworks")
    fws = value["frameworks"]
    if not isinstance(fws, list):
        raise v.wrong_type(fws, "array", fw_pointer)
    if not fws:
        raise SeedlockError("invalid-value", "A stage needs at least one framework", fw_pointer)
    listed: list[str] = []
    for i, fw in enumerate(fws):
        item = pointer_join(fw_pointer, i)
        framework(fw, item, version)
        if fw in listed:
            raise SeedlockError("duplicate-framework", f"Framework {fw!r} is listed twice", item)
        listed.append(fw)
    seed = (
        cast(SeedSpec, v.seed(value["seed"], pointer_join(pointer, "seed"), allow_generate=True))
        if "seed" in value
        else None
    )
    seeds: dict[str, int] = {}
    if "seeds" in value:
        seeds_pointer = pointer_join(pointer, "seeds")
        for fw in sorted(v.obj(value["seeds"], seeds_pointer)):
            item = pointer_join(seeds_pointer, fw)
            framework(fw, item, version)
            if fw not in listed:
                raise SeedlockError("unlisted-framework", f"Seed for {fw!r}, which the stage does not list", item)
            seeds[fw] = v.seed(value["seeds"][fw], item)  # type: ignore[assignment]
    settings: dict[str, dict[str, Any]] = {}
    if "settings" in value:
        settings_pointer = pointer_join(pointer, "settings")
        settings = settings_block(value["settings"], settings_pointer, version)
        for fw in sorted(settings):
            if fw not in listed:
                raise SeedlockError(
                    "unlisted-framework",
                    f"Settings for {fw!r}, which the stage does not list",
                    pointer_join(settings_pointer, fw),
                )
    return Stage(
        name=name,
        frameworks=tuple(listed),
        seed=seed,
        seeds=MappingProxyType(seeds),
        settings=MappingProxyType(settings),
        description=value.get("description"),
        explicit=frozenset(key for key in ("seeds", "settings") if key in value),
        take_over=take_over,
    )


_OPTIONAL = ("derivation", "settings", "inputs", "params", "allow_external_paths")


def _settings_dict(settings: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    return {
        name: {key: list(value) if isinstance(value, list | tuple) else value for key, value in values.items()}
        for name, values in settings.items()
    }
