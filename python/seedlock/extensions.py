"""Third-party seeders for extensions (spec §2.2): generators seedlock does not know by name.

A package registers a seeder for extension ``x-<name>`` as an entry point of that name in the group
``seedlock.seeders``::

    [project.entry-points."seedlock.seeders"]
    x-faker = "seedlock_faker:seed"

The object is called with the extension's seed (its rank seed under a rank) and returns a short
description of what it seeded (``"Faker.seed(123)"``), or None. It may have a ``save`` attribute:
a callable returning a function that puts the generator's state back (used by ``stage.seeded()``).
Which seeders are installed never changes validation or resolution: only applying a stage looks
them up, and a missing one is reported as not applied (``strict``: ``not-applied``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from .actions import Action

GROUP: Final = "seedlock.seeders"


def find(name: str) -> Any | None:
    """The seeder registered for extension ``name``, or None when no installed package provides one."""
    from importlib import metadata  # only when a stage lists an extension

    for entry in metadata.entry_points(group=GROUP, name=name):
        return entry.load()
    return None


def version(name: str) -> str | None:
    """Version of the distribution that registers the seeder of ``name`` (None when none is installed)."""
    from importlib import metadata

    for entry in metadata.entry_points(group=GROUP, name=name):
        dist = getattr(entry, "dist", None)
        return None if dist is None else str(dist.version)
    return None


def apply(name: str, seed: int) -> Action:
    """Call the seeder of extension ``name`` with ``seed``; a missing or failing seeder is a failed action."""
    what = f"{name} seeder({seed})"
    try:
        seeder = find(name)
    except Exception as exc:  # a broken plug-in must be reported, not crash the stage
        return Action(framework=name, what=what, status="failed", detail=f"its seeder cannot be loaded: {exc!r}")
    if seeder is None:
        return Action(framework=name, what=what, status="failed",
                      detail=f"no seeder installed (a package must register entry point {name!r} in group {GROUP!r})")
    try:
        done = seeder(seed)
    except Exception as exc:
        return Action(framework=name, what=what, status="failed", detail=f"its seeder raised {exc!r}")
    return Action(framework=name, what=str(done) if done else what, status="applied")


def save(name: str) -> Callable[[], None] | None:
    """A restorer from the seeder's optional ``save``; None when it has none (state is not restored)."""
    try:
        seeder = find(name)
    except Exception:
        return None
    saver = getattr(seeder, "save", None)
    return saver() if callable(saver) else None


__all__ = ["GROUP", "apply", "find", "save", "version"]
