"""The stage a process was seeded with, together with what seeding did (``apply_from_env()``'s result)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .apply import Action, ApplyReport, WorkerInit
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

    def numpy_generator(self) -> Any:
        """A fresh ``numpy.random.Generator`` on the stage's bit generator and the applied numpy seed."""
        return self.stage.numpy_generator(rank=self.rank)

    def torch_generator(self) -> Any:
        """A fresh CPU ``torch.Generator`` with the applied torch seed (e.g. for a DataLoader)."""
        return self.stage.torch_generator(rank=self.rank)

    def worker_init_fn(self) -> WorkerInit:
        """A DataLoader ``worker_init_fn`` for this rank (spec section 4.3)."""
        return self.stage.worker_init_fn(rank=self.rank or 0)

    def __iter__(self) -> Iterator[Any]:
        yield self.stage
        yield self.report

    def __str__(self) -> str:
        return str(self.report)
