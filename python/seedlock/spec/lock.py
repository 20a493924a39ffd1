"""The lock (spec §5): every resolved seed with its source; final and self-contained."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

from ._lockcheck import check
from ._lockfile import SOURCES as _SOURCES
from .derivation import CURRENT_RULES, DERIVATION, rank_seed, worker_seed
from .errors import SeedlockError, pointer_join

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .variation import Replicate  # its own module: only replicates make one (two dataclasses fewer to build)

Source = Literal["manifest", "env", "generated", "derived"]
SOURCES: tuple[Source, ...] = _SOURCES  # type: ignore[assignment]


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
    #: In a replicate (spec §13) whose ``vary`` names streams of this framework but not the framework:
    #: those stream names and the replicate index. Not lock data.
    varied_streams: frozenset[str] = field(default=frozenset(), repr=False)
    replicate: int = field(default=0, repr=False)

    def stream_replicate(self, name: str | None) -> int:
        """The replicate index a stream's label path carries (0: the lock's stream, spec §13)."""
        if self.replicate and ("default" if name is None else name) in self.varied_streams:
            return self.replicate
        return 0

    def to_dict(self) -> dict[str, Any]:
        out = super().to_dict()
        out["settings"] = dict(self.settings)
        return out


@dataclass(frozen=True, kw_only=True)
class LockedStage(Resolved):
    """A resolved stage: its seed and one :class:`FrameworkSeed` per framework it lists.

    Lock data only, with the seeds derived from it. Applying it to this process is
    :func:`seedlock.apply_stage` (or :func:`seedlock.apply_from_env`), which returns the process's
    :class:`~seedlock.seeding.session.Session`: streams, epochs, workers, checkpoints and JAX keys.
    """

    name: str
    frameworks: Mapping[str, FrameworkSeed]
    #: The lock's rules version (spec §5.3): which label paths streams and workers use.
    rules: int = CURRENT_RULES
    #: The stage's ``take_over`` (spec §6.4, from 1.2), as the lock has it (None: absent, false).
    take_over: bool | None = None
    #: Which replicate of the locked stage this is (spec §13); None for the stage as locked.
    replicate: Replicate | None = field(default=None, compare=False)

    def to_dict(self) -> dict[str, Any]:
        out = super().to_dict()
        out["frameworks"] = {name: fw.to_dict() for name, fw in self.frameworks.items()}
        if self.take_over is not None:
            out["take_over"] = self.take_over
        return out

    @property
    def seeds(self) -> dict[str, int]:
        """Framework name → seed."""
        return {name: fw.seed for name, fw in self.frameworks.items()}

    def seed_of(self, framework_name: str) -> int:
        """The seed of one framework the stage lists (``framework-not-in-stage`` otherwise)."""
        return self.framework(framework_name).seed

    def rank_seed(self, framework_name: str, rank: int) -> int:
        """Seed of a distributed rank for one framework (spec §4.3)."""
        return rank_seed(self.framework(framework_name).seed, rank)

    def worker_seed(self, framework_name: str, worker: int, rank: int = 0) -> int:
        """Seed of a data-loader worker for one framework (spec §4.3)."""
        return worker_seed(self.framework(framework_name).seed, worker, rank)

    def process_seed(self, framework_name: str, *, rank: int | None = None, worker: int | None = None) -> int:
        """The seed of one process (spec §4.3): the framework seed, a rank's, or a worker's (of rank 0
        unless ``rank`` is given)."""
        seed = self.framework(framework_name).seed
        if worker is not None:
            return worker_seed(seed, worker, 0 if rank is None else rank)
        return seed if rank is None else rank_seed(seed, rank)

    def framework(self, name: str) -> FrameworkSeed:
        """The seed and settings of one framework the stage lists (``framework-not-in-stage`` otherwise)."""
        try:
            return self.frameworks[name]
        except KeyError:
            from ._suggest import hint

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
            from ._suggest import hint

            raise SeedlockError(
                "unknown-stage",
                f"No stage {name!r}{hint(name, self.stages)} (stages: {', '.join(self.stages)})",
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
                f"The lock records manifest sha256 {self.manifest_sha256[:12]}..., "
                f"this manifest is {manifest.sha256[:12]}...",
                "/manifest/sha256",
            )
        if self.root.source == "manifest" and manifest.seed != self.root.seed:
            raise SeedlockError(
                "lock-mismatch", f"Root seed {self.root.seed} is not the manifest's {manifest.seed!r}", "/root/seed"
            )
        for name, stage in self.stages.items():
            declared = manifest.stages.get(name)
            if declared is None:
                raise SeedlockError(
                    "lock-mismatch", f"Stage {name!r} is not in the manifest", pointer_join("/stages", name)
                )
            if stage.source == "manifest" and declared.seed != stage.seed:
                raise SeedlockError(
                    "lock-mismatch",
                    f"Stage seed {stage.seed} is not the manifest's {declared.seed!r}",
                    pointer_join("/stages", name, "seed"),
                )
            for fw, entry in stage.frameworks.items():
                if entry.source == "manifest" and declared.seeds.get(fw) != entry.seed:
                    raise SeedlockError(
                        "lock-mismatch",
                        f"Seed {entry.seed} is not the manifest's {declared.seeds.get(fw)!r}",
                        pointer_join("/stages", name, "frameworks", fw, "seed"),
                    )

    @classmethod
    def from_dict(cls, data: Any, *, path: str | None = None) -> Lock:
        """Validate a parsed lock, including its integrity (spec §5.1), by :func:`seedlock.spec._lockcheck.check`."""
        return cls.from_checked(check(data), path=path)

    @classmethod
    def from_checked(cls, data: Mapping[str, Any], *, path: str | None = None) -> Lock:
        """The lock of data that :func:`seedlock.spec._lockcheck.check` returned (nothing is checked again)."""
        rules = data["rules"]
        stages = {name: _locked_stage(name, stage, rules) for name, stage in data["stages"].items()}
        return cls(
            root=Resolved(**data["root"]),
            stages=MappingProxyType(stages),
            manifest_sha256=data["manifest"]["sha256"],
            manifest_path=data["manifest"].get("path"),
            provenance=MappingProxyType(dict(data["provenance"])),
            version=data["lock-version"],
            derivation=data["derivation"],
            rules=rules,
            path=path,
        )


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _plain(x) for k, x in value.items()}
    return value


def _locked_stage(name: str, stage: Mapping[str, Any], rules: int) -> LockedStage:
    fws = {
        fw: FrameworkSeed(
            framework=fw,
            seed=entry["seed"],
            source=entry["source"],
            variable=entry.get("variable"),
            settings=MappingProxyType(dict(entry["settings"])),
        )
        for fw, entry in stage["frameworks"].items()
    }
    return LockedStage(
        name=name,
        seed=stage["seed"],
        source=stage["source"],
        variable=stage.get("variable"),
        frameworks=MappingProxyType(fws),
        rules=rules,
        take_over=stage.get("take_over"),
    )


__all__ = ["FrameworkSeed", "Lock", "LockedStage", "Resolved", "Source"]
