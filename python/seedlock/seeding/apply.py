"""Applying a locked stage to the frameworks it lists (spec §6), and restoring their state.

Each framework is imported only when the stage lists it. Every step is reported: ``applied``,
``skipped`` (deliberately not done here, with the reason) or ``failed`` (could not be seeded or
set; ``strict`` turns it into ``not-applied``). What each framework does lives in its module in
:mod:`seedlock.frameworks`; this module only walks the registry.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from .. import frameworks as _frameworks
from ..spec.derivation import rank_seed
from ..spec.errors import SeedlockError, pointer_join
from .actions import Action, ApplyReport

if TYPE_CHECKING:
    from ..spec.lock import LockedStage


def seed_stage(stage: LockedStage, *, strict: bool = False, rank: int | None = None) -> ApplyReport:
    """Seed every framework ``stage`` lists with its process seed (its rank seed with ``rank``)."""
    autoseed = sys.modules.get("seedlock.seeding._autoseed")
    if autoseed is not None:  # under `seedlock run`: this call seeds the stage's frameworks, not their import
        autoseed.forget(stage.frameworks)
    seeds = {name: fw.seed if rank is None else rank_seed(fw.seed, rank) for name, fw in stage.frameworks.items()}
    return apply_with_seeds(stage, seeds, strict=strict, rank=rank)


def apply_with_seeds(
    stage: LockedStage,
    seeds: Mapping[str, int],
    *,
    strict: bool = False,
    rank: int | None = None,
    via: str = "apply",
    epoch: int | None = None,
) -> ApplyReport:
    """Apply every framework the stage lists with the given seed: its process seed, or its epoch seed
    (``seed_epoch``, ``via="seed_epoch"`` with ``epoch``, spec §4.3)."""
    actions: list[Action] = []
    for name in _frameworks.NAMES:
        fw = stage.frameworks.get(name)
        if fw is None:
            continue
        context = _frameworks.Context(stage=stage.name, framework_seed=fw.seed, rank=rank, epoch=epoch)
        actions.extend(_frameworks.get(name).apply(seeds[name], fw.settings, context))
    # Extensions after the built-in frameworks, in code-point order (spec §2.2).
    for name in _extension_names(stage.frameworks):
        from . import extensions

        actions.append(extensions.apply(name, seeds[name]))
    report = ApplyReport(stage=stage.name, seeds={n: seeds[n] for n in stage.frameworks}, actions=tuple(actions))
    from ._seedstatus import record

    # Tells `seedlock run` that this process was seeded, and how.
    record(via, stage.name, [(a.framework, a.status, a.what, a.detail) for a in report.actions])
    if strict and report.failures:
        first = report.failures[0]
        raise SeedlockError(
            "not-applied",
            "Not applied: " + "; ".join(f"{a.framework} {a.what}: {a.detail}" for a in report.failures),
            pointer_join("/stages", stage.name, "frameworks", first.framework),
        )
    return report


def _extension_names(frameworks: Mapping[str, Any]) -> list[str]:
    return sorted(name for name in frameworks if name not in _frameworks.NAMES)


@contextlib.contextmanager
def saved_state(frameworks: Mapping[str, Any]) -> Iterator[None]:
    """Save the RNG state and flags of ``frameworks`` and restore them on exit."""
    restorers: list[Callable[[], None]] = []
    for name in _frameworks.NAMES:
        if name in frameworks:
            restorers.append(_frameworks.get(name).save())
    for name in _extension_names(frameworks):
        from . import extensions

        restorer = extensions.save(name)
        if restorer is not None:
            restorers.append(restorer)
    try:
        yield
    finally:
        for restore in reversed(restorers):
            restore()


__all__ = ["apply_with_seeds", "saved_state", "seed_stage"]
