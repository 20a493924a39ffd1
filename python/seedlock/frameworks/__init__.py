"""One module per framework seedlock seeds, and the registry that lists them (spec §6).

Every framework module (``seedlock.frameworks.<name>``) provides the same interface,
described by :class:`Framework`:

* ``NAME``: the framework's name in manifests; ``SINCE``: the spec version that introduced it
  (documents of earlier versions cannot name it); ``DISTRIBUTIONS``: distribution names whose
  installed version provenance records (first found wins).
* ``DEFAULTS``: its settings with their default values; ``CHECKS``: one validator per setting,
  ``check(value, pointer) -> value`` raising :class:`~seedlock.errors.SeedlockError`; ``VALUES``:
  the allowed values of each setting that takes one of a set of strings.
* ``apply(seed, settings, context) -> list[Action]``: seed the framework with ``seed`` (the rank
  seed when ``context.rank`` is set) under its complete ``settings``; report every step.
* ``save() -> Callable[[], None]``: snapshot RNG state and flags in this process; calling the result
  puts them back exactly (used by :func:`seedlock.apply.saved_state`).
* ``capture_state() -> object`` / ``restore_state(state)``: the same as plain, picklable data
  (builtins only), so it can be stored in a checkpoint and restored in another process.
* ``launcher_environment(seed, settings) -> dict[str, str]``: variables a launcher
  (``seedlock run``/``env``) sets for a child, given the framework's (unranked) stage seed.
* ``version() -> str | None``: the installed version, without importing the framework.

The application order and the names are :data:`NAMES`; ``spec/registry.json`` is the single source
and a test fails when this package disagrees with it. Adding a framework means one module here, its
name in :data:`NAMES` and one registry row. Modules import their framework only inside functions,
so importing this package stays cheap.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib import import_module
from typing import TYPE_CHECKING, Any, Final, Protocol, cast

if TYPE_CHECKING:
    from ..actions import Action

#: Framework names in the order stages apply them (spec §6; ``spec/registry.json``).
NAMES: Final = ("tensorflow", "torch", "numpy", "jax", "python", "r", "caffe")

Check = Callable[[Any, str], Any]


@dataclass(frozen=True, kw_only=True)
class Context:
    """What a framework may need beyond its seed when a stage is applied.

    ``framework_seed`` is the stage's seed for this framework before any rank derivation (python uses
    it for ``PYTHONHASHSEED``: ranks must hash alike); ``rank`` is the rank applied, or None;
    ``epoch`` is the epoch being entered when ``seed_epoch`` applies the stage, else None.
    """

    stage: str
    framework_seed: int
    rank: int | None = None
    epoch: int | None = None


class Framework(Protocol):
    """The interface every module in :mod:`seedlock.frameworks` provides (see the module docstring)."""

    NAME: str
    SINCE: str
    DISTRIBUTIONS: tuple[str, ...]
    DEFAULTS: Mapping[str, Any]
    VALUES: Mapping[str, tuple[str, ...]]
    CHECKS: Mapping[str, Check]

    def apply(self, seed: int, settings: Mapping[str, Any], context: Context) -> list[Action]: ...

    def save(self) -> Callable[[], None]: ...

    def capture_state(self) -> Any: ...

    def restore_state(self, state: Any) -> None: ...

    def launcher_environment(self, seed: int, settings: Mapping[str, Any]) -> dict[str, str]: ...

    def version(self) -> str | None: ...


def get(name: str) -> Framework:
    """The module of framework ``name`` (a ``KeyError`` for a name not in :data:`NAMES`)."""
    if name not in NAMES:
        raise KeyError(name)
    return cast(Framework, import_module(f".{name}", __name__))


def all() -> tuple[Framework, ...]:  # noqa: A001 - the registry accessor the issue names
    """Every framework module, in application order."""
    return tuple(get(name) for name in NAMES)


__all__ = ["NAMES", "Check", "Context", "Framework", "all", "get"]
