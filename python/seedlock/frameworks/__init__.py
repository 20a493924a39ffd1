"""One module per framework seedlock seeds (spec §6): behaviour only; the data is the registry's.

A framework is its row in ``spec/registry.json`` (name, version, distributions, the module whose
import seeds it, settings with types and defaults, launcher variables) and this package's module
``seedlock.frameworks.<name>``, which provides what only code can do, described by :class:`Framework`:

* ``NAME``: the framework's name in manifests (its actions say it).
* ``apply(seed, settings, context) -> list[Action]``: seed the framework with ``seed`` (the rank
  seed when ``context.rank`` is set) under its complete ``settings``; report every step.
* ``seed_on_import(module, seed, settings, context) -> list[Action]`` (optional): what to do when
  the program first imports ``module``, one of the registry's ``module``/``extra_modules`` (auto-seeding);
  without it, :func:`apply`. Third-party seeders name the same notion ``module``.
* ``save() -> Callable[[], None]``: snapshot RNG state and flags in this process; calling the result
  puts them back exactly (used by :func:`seedlock.seeding.apply.saved_state`).
* ``capture_state() -> object`` / ``restore_state(state)``: the same as plain, picklable data
  (builtins only), so it can be stored in a checkpoint and restored in another process.
* ``version() -> str | None``: the installed version, without importing the framework.

Settings are checked by :mod:`seedlock.spec.settings` (one checker per registry setting type) and launcher
variables are set from the registry's ``launcher_environment``. :data:`NAMES` (application order) and
everything else derived from the registry come from :mod:`seedlock.spec._registry`, which
``spec/tools/generate_from_registry.py`` writes. Adding a framework means its registry row, its
module here, and running that tool. Modules import their framework only inside functions, so
importing this package stays cheap.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib import import_module
from typing import TYPE_CHECKING, Any, Final, Protocol, cast

from ..spec import _registry

if TYPE_CHECKING:
    from ..seeding.actions import Action

#: Framework names in the order stages apply them (spec §6; ``spec/registry.json``).
NAMES: Final = _registry.FRAMEWORKS

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

    def apply(self, seed: int, settings: Mapping[str, Any], context: Context) -> list[Action]: ...

    def save(self) -> Callable[[], None]: ...

    def capture_state(self) -> Any: ...

    def restore_state(self, state: Any) -> None: ...

    def version(self) -> str | None: ...


def get(name: str) -> Framework:
    """The module of framework ``name`` (a ``KeyError`` for a name not in :data:`NAMES`)."""
    if name not in NAMES:
        raise KeyError(name)
    return cast(Framework, import_module(f".{name}", __name__))


def seed_on_import(name: str, module: str, seed: int, settings: Mapping[str, Any], context: Context) -> list[Action]:
    """Seed framework ``name`` right after the program first imported ``module`` (one of its registry
    ``module``/``extra_modules``): the module's own ``seed_on_import`` where it has one, else ``apply``."""
    framework = get(name)
    hook = getattr(framework, "seed_on_import", None)
    if hook is not None:
        return cast("list[Action]", hook(module, seed, settings, context))
    return framework.apply(seed, settings, context)


def all() -> tuple[Framework, ...]:
    """Every framework module, in application order."""
    return tuple(get(name) for name in NAMES)


__all__ = ["NAMES", "Check", "Context", "Framework", "all", "get", "seed_on_import"]
