"""The lock (spec §5): every resolved seed with its source; final and self-contained."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal

from . import _validate as v
from ._suggest import hint
from .derivation import CURRENT_RULES, DERIVATION, check_label, check_rules, derive, rank_seed, worker_seed
from .errors import SeedlockError, pointer_join
from .settings import framework, framework_settings

if TYPE_CHECKING:
    from .apply import ApplyReport
    from .replicates import Replicate
    from .streams import StageRuntime
    from .workers import WorkerInit

Source = Literal["manifest", "env", "generated", "derived"]
SOURCES: tuple[Source, ...] = ("manifest", "env", "generated", "derived")


@dataclass(frozen=True, kw_only=True)
class Resolved:
    """A seed and where it came from (``variable`` names the environment variable for ``env``)."""

    seed: int
    source: Source
    variable: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"seed": self.seed, "source": self.source}
        if self.variable is not None:
            out["variable"] = self.variable
        return out


@dataclass(frozen=True, kw_only=True)
class FrameworkSeed(Resolved):
    """A framework's seed in a stage, with its complete settings."""

    framework: str
    settings: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    #: In a replicate (spec §12) whose ``vary`` names streams of this framework but not the framework:
    #: those stream names and the replicate index. Not lock data.
    varied_streams: frozenset[str] = field(default=frozenset(), repr=False)
    replicate: int = field(default=0, repr=False)

    def stream_replicate(self, name: str | None) -> int:
        """The replicate index a stream's label path carries (0: the lock's stream, spec §12)."""
        if self.replicate and ("default" if name is None else name) in self.varied_streams:
            return self.replicate
        return 0

    def to_dict(self) -> dict[str, Any]:
        out = super().to_dict()
        out["settings"] = dict(self.settings)
        return out


@dataclass(frozen=True, kw_only=True)
class LockedStage(Resolved):
    """A resolved stage: its seed and one :class:`FrameworkSeed` per framework it lists."""

    name: str
    frameworks: Mapping[str, FrameworkSeed]
    #: The lock's rules version (spec §5.3): which label paths streams and workers use.
    rules: int = CURRENT_RULES
    #: Which replicate of the locked stage this is (spec §12); None for the stage as locked.
    replicate: Replicate | None = field(default=None, compare=False)
    # Per-process state (rank applied, epoch entered, streams handed out): not lock data.
    _runtime: StageRuntime | None = field(default=None, compare=False, repr=False)

    def to_dict(self) -> dict[str, Any]:
        out = super().to_dict()
        out["frameworks"] = {name: fw.to_dict() for name, fw in self.frameworks.items()}
        return out

    @property
    def seeds(self) -> dict[str, int]:
        """Framework name → seed."""
        return {name: fw.seed for name, fw in self.frameworks.items()}

    def seed_of(self, framework_name: str) -> int:
        """The seed of one framework the stage lists (``framework-not-in-stage`` otherwise)."""
        return self._fw(framework_name).seed

    def rank_seed(self, framework_name: str, rank: int) -> int:
        """Seed of a distributed rank for one framework (spec §4.3)."""
        return rank_seed(self._fw(framework_name).seed, rank)

    def worker_seed(self, framework_name: str, worker: int, rank: int = 0) -> int:
        """Seed of a data-loader worker for one framework (spec §4.3)."""
        return worker_seed(self._fw(framework_name).seed, worker, rank)

    def process_seed(self, framework_name: str, *, rank: int | None = None, worker: int | None = None) -> int:
        """The seed of one process (spec §4.3): the framework seed, a rank's, or a worker's (of rank 0
        unless ``rank`` is given)."""
        from .apply import process_seed

        return process_seed(self._fw(framework_name).seed, rank, worker)

    def jax_key(self, name: str | None = None, *, rank: int | None = None, worker: int | None = None) -> Any:
        """A new-style typed JAX key (``jax.random.key``) on the stage's PRNG implementation (spec §6
        ``jax``). JAX has no global RNG: take keys from the stage and split them.

        ``name`` gives the key of a named stream (``"init"``, ``"dropout"``, …): names never share a
        key. ``rank`` gives that rank's key; without it the key is the same in every process, whatever
        rank the stage was applied with (JAX programs are SPMD: a computation over global arrays needs
        the same key everywhere, and JAX splits it across devices itself). ``worker`` gives a
        data-loading worker's key (of rank 0 when not distributed). After :meth:`seed_epoch` the keys are the
        epoch's: take them from the stage again in every epoch (a key taken earlier is a value and keeps
        its draws). Without a name, outside any epoch, the key is ``jax.random.key`` of the process seed.

        The raw-key form is ``jax.random.PRNGKey(stage.jax_seed(name, rank=r, worker=w))`` (or
        ``jax.random.key_data(stage.jax_key(...))``).
        """
        from .apply import jax_key

        return jax_key(self._fw("jax"), name, rank=rank, worker=worker, epoch=self.runtime.epoch)

    def jax_seed(self, name: str | None = None, *, rank: int | None = None, worker: int | None = None) -> int:
        """The seed of :meth:`jax_key` with the same arguments, for ``jax.random.PRNGKey`` (raw keys)."""
        from .frameworks.jax import key_seed

        fw = self._fw("jax")
        replicate = fw.stream_replicate(name) if name is not None else 0
        if replicate:  # a varied key of a replicate (spec §12); otherwise the plain call
            return key_seed(fw.seed, name, rank=rank, worker=worker, epoch=self.runtime.epoch, replicate=replicate)
        return key_seed(fw.seed, name, rank=rank, worker=worker, epoch=self.runtime.epoch)

    def apply(self, *, strict: bool = False, rank: int | None = None) -> ApplyReport:
        """Seed exactly the frameworks this stage lists, importing only those.

        Returns a report of what was applied and what was not; with ``strict`` anything not applied
        raises ``not-applied``. With ``rank`` every framework uses its rank seed, and (rules 2) the
        streams, epochs and workers of this stage in this process are those of that rank.
        """
        from .apply import apply_stage

        report = apply_stage(self, strict=strict, rank=rank)
        runtime = self.runtime
        runtime.rank, runtime.epoch = rank, None
        return report

    @contextlib.contextmanager
    def seeded(self, *, strict: bool = False, rank: int | None = None) -> Iterator[ApplyReport]:
        """Apply the stage, and on exit restore every RNG state and flag it touched."""
        from .apply import saved_state

        with saved_state(self.frameworks):
            yield self.apply(strict=strict, rank=rank)

    @property
    def runtime(self) -> StageRuntime:
        """This process's mutable state of the stage: rank applied, epoch entered, streams handed out."""
        if self._runtime is None:
            from .streams import StageRuntime

            object.__setattr__(self, "_runtime", StageRuntime())
        assert self._runtime is not None
        return self._runtime

    def numpy_generator(self, name: str | None = None, *, rank: int | None = None, worker: Any = None) -> Any:
        """The numpy ``Generator`` of the stream ``name`` (spec §4.3), on the stage's bit generator.

        Streams are distinct from the global generator and from each other; ``seed_epoch`` and the
        stage's ``worker_init_fn`` reseed them. ``worker`` (PyTorch's ``get_worker_info()`` inside a
        DataLoader worker) gives that worker's stream instead.
        """
        from .streams import numpy_stream

        return numpy_stream(self, self._fw("numpy"), name, rank=rank, worker=worker)

    def torch_generator(self, name: str | None = None, *, rank: int | None = None, worker: Any = None) -> Any:
        """The CPU ``torch.Generator`` of the stream ``name`` (spec §4.3), e.g. a DataLoader's
        ``generator=``; distinct from ``torch``'s global generator and reseeded by ``seed_epoch``."""
        from .streams import torch_stream

        return torch_stream(self, self._fw("torch"), name, rank=rank, worker=worker)

    def worker_init_fn(self, *, rank: int | None = None) -> WorkerInit:
        """A picklable DataLoader ``worker_init_fn`` seeding python/numpy/torch and the stage's streams
        in each worker, per worker, rank and iterator (spec §4.3)."""
        from .workers import worker_init

        return worker_init(self, rank=rank)

    def seed_epoch(self, epoch: int, *, strict: bool = False) -> ApplyReport:
        """Enter epoch ``epoch``: seed every listed framework with its epoch seed and reseed every stream
        handed out (spec §4.3), so that an epoch draws the same numbers however the run got there."""
        from .epochs import seed_epoch

        return seed_epoch(self, epoch, strict=strict)

    def state_dict(self) -> dict[str, Any]:
        """Every generator state the stage owns, as plain data for ``torch.save`` (spec §6.2)."""
        from .checkpoint import state_dict

        return state_dict(self)

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore what :meth:`state_dict` captured, so a resumed run continues the same streams."""
        from .checkpoint import load_state_dict

        load_state_dict(self, state)

    def keras_callback(self) -> Any:
        """A ``keras.callbacks.Callback`` calling :meth:`seed_epoch` at the start of every epoch of ``fit``."""
        from .keras_callback import seed_epoch_callback

        return seed_epoch_callback(self)

    def _fw(self, name: str) -> FrameworkSeed:
        try:
            return self.frameworks[name]
        except KeyError:
            raise SeedlockError(
                "framework-not-in-stage",
                f"Stage {self.name!r} does not list framework {name!r}{hint(name, self.frameworks)} "
                f"(it lists {', '.join(self.frameworks)})",
                pointer_join("/stages", self.name, "frameworks"),
            ) from None


@dataclass(frozen=True, kw_only=True)
class Lock:
    """A fully resolved, final record of a run's seeds. Build with :func:`seedlock.resolve` or load."""

    root: Resolved
    stages: Mapping[str, LockedStage]
    manifest_sha256: str
    manifest_path: str | None = None
    provenance: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    version: str = "1.0"
    derivation: str = DERIVATION
    rules: int = CURRENT_RULES
    path: str | None = field(default=None, compare=False)

    def stage(self, name: str) -> LockedStage:
        """One stage; ``unknown-stage`` when the lock has no such stage."""
        try:
            return self.stages[name]
        except KeyError:
            raise SeedlockError(
                "unknown-stage", f"No stage {name!r}{hint(name, self.stages)} (stages: {', '.join(self.stages)})",
                pointer_join("/stages", name),
            ) from None

    def to_dict(self, *, provenance: bool = True) -> dict[str, Any]:
        """The lock as JSON data (spec §5)."""
        manifest: dict[str, Any] = {"sha256": self.manifest_sha256}
        if self.manifest_path is not None:
            manifest["path"] = self.manifest_path
        out: dict[str, Any] = {
            "lock-version": self.version,
            "derivation": self.derivation,
            "root": self.root.to_dict(),
            "stages": {name: stage.to_dict() for name, stage in self.stages.items()},
            "manifest": manifest,
        }
        if self.rules != 1:
            # A lock of the first rules keeps the shape seedlock 0.1 wrote (no member means rules 1).
            out["rules"] = self.rules
        if provenance:
            out["provenance"] = _plain(self.provenance)
        return out

    def check_against(self, manifest: Any) -> None:
        """Raise ``lock-mismatch`` unless this lock was resolved from ``manifest``: same canonical hash,
        and every seed the lock says came from the manifest equal to the manifest's value."""
        if manifest.sha256 != self.manifest_sha256:
            raise SeedlockError(
                "lock-mismatch",
                f"The lock records manifest sha256 {self.manifest_sha256[:12]}..., this manifest is {manifest.sha256[:12]}...",
                "/manifest/sha256",
            )
        if self.root.source == "manifest" and manifest.seed != self.root.seed:
            raise SeedlockError("lock-mismatch", f"Root seed {self.root.seed} is not the manifest's {manifest.seed!r}", "/root/seed")
        for name, stage in self.stages.items():
            declared = manifest.stages.get(name)
            if declared is None:
                raise SeedlockError("lock-mismatch", f"Stage {name!r} is not in the manifest", pointer_join("/stages", name))
            if stage.source == "manifest" and declared.seed != stage.seed:
                raise SeedlockError("lock-mismatch", f"Stage seed {stage.seed} is not the manifest's {declared.seed!r}",
                                    pointer_join("/stages", name, "seed"))
            for fw, entry in stage.frameworks.items():
                if entry.source == "manifest" and declared.seeds.get(fw) != entry.seed:
                    raise SeedlockError("lock-mismatch", f"Seed {entry.seed} is not the manifest's {declared.seeds.get(fw)!r}",
                                        pointer_join("/stages", name, "frameworks", fw, "seed"))

    @classmethod
    def from_dict(cls, data: Any, *, path: str | None = None) -> Lock:
        """Validate a parsed lock, including its integrity (spec §5.1)."""
        v.obj(data, "")
        if "lock-version" in data:
            v.version(data["lock-version"], "/lock-version")
        v.members(data, "", ("lock-version", "derivation", "root", "stages", "manifest"), ("$schema", "provenance", "rules"))
        rules = check_rules(v.integer(data["rules"], "/rules")) if "rules" in data else 1
        if "$schema" in data:
            v.string(data["$schema"], "/$schema")
        v.string(data["derivation"], "/derivation")
        if data["derivation"] != DERIVATION:
            raise SeedlockError("unknown-derivation", f"Unknown derivation {data['derivation']!r}", "/derivation")
        root = _resolved(data["root"], "/root", ())
        stages_raw = v.obj(data["stages"], "/stages")
        if not stages_raw:
            raise SeedlockError("invalid-value", "A lock needs at least one stage", "/stages")
        stages = {}
        for name in stages_raw:
            pointer = pointer_join("/stages", name)
            check_label(name, pointer)
            stages[name] = _locked_stage(name, stages_raw[name], pointer, root.seed, rules, data["lock-version"])
        manifest = v.obj(data["manifest"], "/manifest")
        v.members(manifest, "/manifest", ("sha256",), ("path",))
        sha = v.string(manifest["sha256"], "/manifest/sha256")
        if len(sha) != 64 or any(c not in "0123456789abcdef" for c in sha):
            raise SeedlockError("invalid-value", "Expected 64 lower-case hex digits", "/manifest/sha256")
        manifest_path = v.string(manifest["path"], "/manifest/path") if "path" in manifest else None
        provenance = v.obj(data["provenance"], "/provenance") if "provenance" in data else {}
        return cls(
            root=root,
            stages=MappingProxyType(stages),
            manifest_sha256=sha,
            manifest_path=manifest_path,
            provenance=MappingProxyType(dict(provenance)),
            version=data["lock-version"],
            derivation=DERIVATION,
            rules=rules,
            path=path,
        )


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _plain(x) for k, x in value.items()}
    return value


_RESOLVED_MEMBERS = ("seed", "source")


def _resolved_fields(value: Any, pointer: str, extra_required: tuple[str, ...], extra_optional: tuple[str, ...]) -> tuple[int, Source, str | None]:
    v.obj(value, pointer)
    v.members(value, pointer, _RESOLVED_MEMBERS + extra_required, ("variable",) + extra_optional)
    seed = v.seed(value["seed"], pointer_join(pointer, "seed"))
    source = v.choice(value["source"], SOURCES, pointer_join(pointer, "source"))
    variable = None
    if source == "env":
        if "variable" not in value:
            raise SeedlockError("missing-field", "Missing required field 'variable' (source is env)", pointer_join(pointer, "variable"))
        variable = v.string(value["variable"], pointer_join(pointer, "variable"))
    elif "variable" in value:
        raise SeedlockError("unknown-field", f"Field 'variable' is only allowed with source env, not {source}", pointer_join(pointer, "variable"))
    return seed, source, variable  # type: ignore[return-value]


def _resolved(value: Any, pointer: str, extra: tuple[str, ...]) -> Resolved:
    seed, source, variable = _resolved_fields(value, pointer, extra, ())
    if source == "derived":
        raise SeedlockError("invalid-value", "The root seed cannot be derived", pointer_join(pointer, "source"))
    return Resolved(seed=seed, source=source, variable=variable)


def _locked_stage(name: str, value: Any, pointer: str, root_seed: int, rules: int, version: str) -> LockedStage:
    seed, source, variable = _resolved_fields(value, pointer, ("frameworks",), ())
    if source == "derived" and seed != derive(root_seed, name):
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
        framework(fw, fw_pointer, version)
        fw_seed, fw_source, fw_var = _resolved_fields(fws_raw[fw], fw_pointer, ("settings",), ())
        if fw_source == "derived" and fw_seed != derive(seed, fw):
            raise SeedlockError(
                "lock-mismatch",
                f"Framework seed {fw_seed} does not match derive({seed}, {fw!r}) = {derive(seed, fw)}",
                pointer_join(fw_pointer, "seed"),
            )
        settings = framework_settings(fw, fws_raw[fw]["settings"], pointer_join(fw_pointer, "settings"), complete=True)
        fws[fw] = FrameworkSeed(
            framework=fw, seed=fw_seed, source=fw_source, variable=fw_var, settings=MappingProxyType(settings)
        )
    ordered = {fw: fws[fw] for fw in fws_raw}
    return LockedStage(name=name, seed=seed, source=source, variable=variable, frameworks=MappingProxyType(ordered),
                       rules=rules)


__all__ = ["FrameworkSeed", "Lock", "LockedStage", "Resolved", "Source"]
