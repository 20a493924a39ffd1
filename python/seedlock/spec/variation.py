"""Replicate identity (spec §13): which replicate a stage is and what varies across its replicates.

What a :class:`~seedlock.spec.lock.LockedStage` carries when it is a replicate. Apart from the lock module
because only replicates make it (:mod:`seedlock.spec.replicates`): every process that reads a lock would
otherwise build these classes too.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True, kw_only=True)
class Vary:
    """What varies across the replicates of one stage (spec §13), resolved against the stage.

    ``frameworks``: every seed of these frameworks varies. ``streams``: framework -> stream names that
    vary while the framework's other seeds are held. ``held``: frameworks pinned in the manifest that
    the default (everything) leaves alone, with the reason shown to users."""

    names: tuple[str, ...]
    frameworks: frozenset[str]
    streams: Mapping[str, frozenset[str]]
    held: tuple[str, ...] = ()

    @property
    def everything(self) -> bool:
        return not self.names

    def describe(self) -> str:
        what = "everything" if self.everything else ", ".join(self.names)
        if self.held:
            what += f" (held: {', '.join(self.held)}, pinned in the manifest; name them to vary them)"
        return what


@dataclass(frozen=True, kw_only=True)
class Replicate:
    """Which replicate a stage is, and what varies (``LockedStage.replicate``)."""

    index: int
    vary: Vary


__all__ = ["Replicate", "Vary"]
