"""Applying a locked stage to the frameworks it lists (spec §6), and restoring their state.

Each framework is imported only when the stage lists it. Every step is reported: ``applied``,
``skipped`` (deliberately not done here, with the reason) or ``failed`` (could not be seeded or
set; ``strict`` turns it into ``not-applied``). What each framework does lives in its module in
:mod:`seedlock.frameworks`; this module only walks the registry.
"""

from __future__ import annotations

import contextlib
import random
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from . import frameworks as _frameworks
from .actions import Action, ApplyReport, Status
from .derivation import rank_seed, worker_seed
from .errors import SeedlockError, pointer_join
from .frameworks.torch import CUBLAS_VALUE, CUBLAS_VARIABLE

if TYPE_CHECKING:
    from .lock import FrameworkSeed, LockedStage


def apply_stage(stage: LockedStage, *, strict: bool = False, rank: int | None = None) -> ApplyReport:
    autoseed = sys.modules.get("seedlock._autoseed")
    if autoseed is not None:  # under `seedlock run`: this call seeds the stage's frameworks, not their import
        autoseed.forget(stage.frameworks)
    seeds = {}
    actions: list[Action] = []
    for name in _frameworks.NAMES:
        fw = stage.frameworks.get(name)
        if fw is None:
            continue
        seed = fw.seed if rank is None else rank_seed(fw.seed, rank)
        seeds[name] = seed
        context = _frameworks.Context(stage=stage.name, framework_seed=fw.seed, rank=rank)
        actions.extend(_frameworks.get(name).apply(seed, fw.settings, context))
    report = ApplyReport(stage=stage.name, seeds={n: seeds[n] for n in stage.frameworks}, actions=tuple(actions))
    from ._seedstatus import record

    # Tells `seedlock run` that this process was seeded, and how.
    record("apply", stage.name, [(a.framework, a.status, a.what, a.detail) for a in report.actions])
    if strict and report.failures:
        first = report.failures[0]
        raise SeedlockError(
            "not-applied",
            "Not applied: " + "; ".join(f"{a.framework} {a.what}: {a.detail}" for a in report.failures),
            pointer_join("/stages", stage.name, "frameworks", first.framework),
        )
    return report


def numpy_generator(fw: FrameworkSeed, rank: int | None) -> Any:
    import numpy as np

    seed = fw.seed if rank is None else rank_seed(fw.seed, rank)
    return np.random.Generator(getattr(np.random, fw.settings["bit_generator"])(seed))


def torch_generator(fw: FrameworkSeed, rank: int | None) -> Any:
    import torch

    seed = fw.seed if rank is None else rank_seed(fw.seed, rank)
    return torch.Generator().manual_seed(seed)


@dataclass(frozen=True)
class WorkerInit:
    """DataLoader ``worker_init_fn``: seeds python, numpy and torch in worker ``w`` of rank ``rank``
    with ``derive(F, "rank", r, "worker", w)`` of each framework's seed ``F`` (spec §4.3).

    Without it numpy and ``random`` in workers are copies of the parent's state (pytorch issue 5059).
    """

    seeds: Mapping[str, int]
    rank: int = 0

    def __call__(self, worker_id: int) -> None:
        if "python" in self.seeds:
            random.seed(worker_seed(self.seeds["python"], worker_id, self.rank))
        if "numpy" in self.seeds:
            import numpy as np

            np.random.seed(worker_seed(self.seeds["numpy"], worker_id, self.rank))
        if "torch" in self.seeds:
            import torch

            torch.manual_seed(worker_seed(self.seeds["torch"], worker_id, self.rank))


@contextlib.contextmanager
def saved_state(frameworks: Mapping[str, Any]) -> Iterator[None]:
    """Save the RNG state and flags of ``frameworks`` and restore them on exit."""
    restorers: list[Callable[[], None]] = []
    for name in _frameworks.NAMES:
        if name in frameworks:
            restorers.append(_frameworks.get(name).save())
    try:
        yield
    finally:
        for restore in reversed(restorers):
            restore()


__all__ = [
    "CUBLAS_VALUE",
    "CUBLAS_VARIABLE",
    "Action",
    "ApplyReport",
    "Status",
    "WorkerInit",
    "apply_stage",
    "numpy_generator",
    "saved_state",
    "torch_generator",
]
