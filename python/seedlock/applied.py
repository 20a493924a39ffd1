"""The stage a process was seeded with, together with what seeding did (``apply_from_env()``'s result)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .apply import Action, ApplyReport
    from .workers import WorkerInit
    from .lock import LockedStage


@dataclass(frozen=True, kw_only=True)
class AppliedStage:
    """A :class:`LockedStage` and the :class:`ApplyReport` of applying it (with ``rank``, if any).

    It reads like the report ``apply_from_env()`` used to return (``ok``, ``failures``, ``actions``,
    ``seeds``, ``str()``), unpacks as ``stage, report = seedlock.apply_from_env()``, and offers the
    stage's generators and ``worker_init_fn`` for the same rank, so nothing is loaded twice.
    """

    stage: LockedStage
    report: ApplyReport
    rank: int | None = None

    @property
    def name(self) -> str:
        return self.stage.name

    @property
    def ok(self) -> bool:
        return self.report.ok

    @property
    def failures(self) -> tuple[Action, ...]:
        return self.report.failures

    @property
    def actions(self) -> tuple[Action, ...]:
        return self.report.actions

    @property
    def seeds(self) -> Mapping[str, int]:
        """The seeds applied, by framework (rank seeds with a rank)."""
        return self.report.seeds

    def seed_of(self, framework_name: str) -> int:
        """The seed applied to one framework (its rank seed with a rank)."""
        if self.rank is None:
            return self.stage.seed_of(framework_name)
        return self.stage.rank_seed(framework_name, self.rank)

    def numpy_generator(self, name: str | None = None, *, worker: Any = None) -> Any:
        """The numpy stream ``name`` of the applied rank (spec section 4.3); see ``LockedStage.numpy_generator``."""
        return self.stage.numpy_generator(name, rank=self.rank, worker=worker)

    def torch_generator(self, name: str | None = None, *, worker: Any = None) -> Any:
        """The torch stream ``name`` of the applied rank (e.g. a DataLoader's ``generator=``)."""
        return self.stage.torch_generator(name, rank=self.rank, worker=worker)

    def worker_init_fn(self) -> WorkerInit:
        """A DataLoader ``worker_init_fn`` for this rank (spec section 4.3)."""
        return self.stage.worker_init_fn(rank=self.rank)

    def seed_epoch(self, epoch: int, *, strict: bool = False) -> ApplyReport:
        """``LockedStage.seed_epoch`` for the applied rank."""
        return self.stage.seed_epoch(epoch, strict=strict)

    def jax_key(self, name: str | None = None, *, rank: int | None = None, worker: int | None = None) -> Any:
        """``LockedStage.jax_key``: without ``rank=`` the same key in every process, whatever rank was
        applied (spec section 6 ``jax``); it follows the entered epoch."""
        return self.stage.jax_key(name, rank=rank, worker=worker)

    def jax_seed(self, name: str | None = None, *, rank: int | None = None, worker: int | None = None) -> int:
        """``LockedStage.jax_seed``: the seed of :meth:`jax_key`, for ``jax.random.PRNGKey``."""
        return self.stage.jax_seed(name, rank=rank, worker=worker)

    def state_dict(self) -> dict[str, Any]:
        return self.stage.state_dict()

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        self.stage.load_state_dict(state)

    def keras_callback(self) -> Any:
        return self.stage.keras_callback()

    def __iter__(self) -> Iterator[Any]:
        yield self.stage
        yield self.report

    def __str__(self) -> str:
        return str(self.report)

    def __getattr__(self, name: str) -> Any:
        # Everything else a stage offers (process_seed, rank_seed, to_dict, seeded, ...) is the stage's:
        # what apply_from_env() returns must do whatever a stage does.
        if name.startswith("__") or name in ("stage", "report", "rank"):
            raise AttributeError(name)  # dunders and fields not set yet (copy, pickle) are not the stage's
        return getattr(self.stage, name)
