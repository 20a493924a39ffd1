"""What applying a stage did: one :class:`Action` per step, gathered in an :class:`ApplyReport`.

Kept apart from :mod:`seedlock.seeding.apply` so that framework modules can build actions without an import
cycle (``apply`` loops over the frameworks, the frameworks report actions).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

Status = Literal["applied", "skipped", "failed"]


@dataclass(frozen=True, kw_only=True)
class Action:
    """One thing apply did or could not do."""

    framework: str
    what: str
    status: Status
    detail: str = ""

    def __str__(self) -> str:
        tail = f" ({self.detail})" if self.detail else ""
        return f"{self.framework:<10} {self.status:<8} {self.what}{tail}"


@dataclass(frozen=True, kw_only=True)
class ApplyReport:
    """What applying a stage did, per framework (``Session.report``)."""

    stage: str
    seeds: Mapping[str, int]
    actions: tuple[Action, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        """True when nothing failed."""
        return not self.failures

    @property
    def failures(self) -> tuple[Action, ...]:
        return tuple(a for a in self.actions if a.status == "failed")

    def __str__(self) -> str:
        head = f"seedlock: stage {self.stage!r}: " + ", ".join(f"{fw}={s}" for fw, s in self.seeds.items())
        return "\n".join([head, *(f"  {a}" for a in self.actions)])


__all__ = ["Action", "ApplyReport", "Status"]
