"""Third-party seeders for extensions (spec §2.2): generators seedlock does not know by name.

A package registers a seeder for extension ``x-<name>`` as an entry point of that name in the group
``seedlock.seeders``::

    [project.entry-points."seedlock.seeders"]
    x-faker = "seedlock_faker:seed"

The object is called with the extension's seed (its rank seed under a rank) and returns a short
description of what it seeded (``"Faker.seed(123)"``), or None. Optional attributes:

* ``module``: the import name of the library it seeds (``"faker"``). ``seedlock run`` seeds an
  unmodified program right after it first imports that module, as it does numpy or torch (spec §6.1);
  without it the seeder is called when the interpreter starts, which loads the library into every
  Python process of the stage.
* ``save``: a callable returning a function that puts the generator's state back (``seedlock.seeded()``).
* ``capture_state`` / ``restore_state``: the generator's state as plain data and back
  (``session.state_dict()``); without them a state dict says the extension was not captured, and loading
  it re-seeds it. (``capture`` / ``restore``, their first names, work too.)

These are the names built-in framework modules use for the same things (``seedlock.frameworks``:
``module`` is their registry row's, ``save``/``capture_state``/``restore_state`` their functions').

Which seeders are installed never changes validation or resolution: only applying a stage looks
them up, and a missing one is reported as not applied (``strict``: ``not-applied``).
"""

# Every auto-seeded interpreter of a stage with an extension imports this module at start: typing and
# the Action dataclass (dataclasses, inspect: a bare interpreter start's worth) only where an action is made.
from ..spec import _registry

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping
    from typing import Any, Final

    from .actions import Action

#: The entry-point group of seeders (spec/registry.json "extensions").
GROUP: "Final" = _registry.ENTRY_POINT_GROUP
#: What ``seedlock run`` found of a stage's seeders while its command started up (:func:`handoff`): set
#: in each auto-seeded interpreter it started (through the start gate) and so in that program's children.
SEEDERS_VARIABLE: "Final" = "SEEDLOCK_SEEDERS"


def find(name: str) -> "Any | None":
    """The seeder registered for extension ``name``, or None when no installed package provides one.

    Every auto-seeded interpreter of a stage with an extension looks its seeder up at start:
    what ``seedlock run`` found for it (:func:`handoff`) where that holds here, else ``sys.path``'s
    ``entry_points.txt`` files read directly (:func:`seedlock.seeding._machine.entry_point_value`;
    importing ``importlib.metadata`` costs more than a bare interpreter start), and ``importlib.metadata``
    decides where they cannot tell."""
    value = _handed_over(name)
    if value is _NOT_HANDED:
        from . import _machine

        value = _machine.entry_point_value(GROUP, name)
        if value is _machine.UNSURE:
            value = _NOT_HANDED
    if value is None:
        return None
    if value is not _NOT_HANDED:
        import sys

        module, _, attrs = str(value).partition("[")[0].strip().partition(":")
        __import__(module.strip())  # importlib.import_module's package is one more import at every start
        found = sys.modules[module.strip()]
        for attr in attrs.strip().split(".") if attrs.strip() else ():
            found = getattr(found, attr)
        return found
    from importlib import metadata

    for entry in metadata.entry_points(group=GROUP, name=name):
        return entry.load()
    return None


def handoff(names: "Iterable[str]") -> str | None:
    """For ``seedlock run``, while its command starts up: the entry points of extensions ``names`` as
    :func:`find` would read them from this interpreter's ``sys.path`` after its first entry (the
    launcher's own directory), for :data:`SEEDERS_VARIABLE`. An interpreter whose ``sys.path`` ends with
    the same entries then reads no ``entry_points.txt`` (about a millisecond at every start of a stage
    with an extension). The text: the number of entries, the entries, then ``name=value`` per extension
    (an empty value: none registered); a name only the standard library can answer for is left out.
    None when there is nothing to hand over."""
    import sys

    from . import _machine

    tail = sys.path[1:]
    if not tail or any("\n" in entry for entry in tail):
        return None
    found = []
    for name in names:
        value = _machine.entry_point_value(GROUP, name, tail)
        if value is not _machine.UNSURE and "\n" not in str(value):
            found.append(f"{name}={value or ''}")
    return "\n".join([str(len(tail)), *tail, *found]) if found else None


_NOT_HANDED = object()


def _handed_over(name: str) -> "Any":
    """The entry point of ``name`` in :data:`SEEDERS_VARIABLE` (None: none registered) where the launcher's
    search holds for this interpreter: its ``sys.path`` ends with the entries the launcher searched, the
    entries before them (the program's directory) hold no distribution metadata, and no finder other
    than the standard one lists distributions. ``_NOT_HANDED`` otherwise: :func:`find` searches itself."""
    import os
    import sys

    text = os.environ.get(SEEDERS_VARIABLE)
    if not text:
        return _NOT_HANDED
    lines = text.split("\n")
    count = int(lines[0]) if lines[0].isdigit() else 0
    lead = len(sys.path) - count
    if count < 1 or lead < 0 or sys.path[lead:] != lines[1 : 1 + count]:
        return _NOT_HANDED
    for entry in sys.path[:lead]:
        try:
            children = os.listdir(entry or ".")
        except NotADirectoryError:
            return _NOT_HANDED  # a zip: importlib.metadata reads its listing
        except OSError:
            continue
        if (entry or ".").lower().endswith(".egg") or any(
            child.lower().endswith((".dist-info", ".egg-info")) for child in children
        ):
            return _NOT_HANDED  # a distribution there comes first, or hides one of the same name
    from _frozen_importlib_external import PathFinder  # type: ignore[import-not-found]

    for finder in sys.meta_path:  # as _machine.entry_point_value: another finder may list distributions
        if getattr(finder, "find_distributions", None) is not None and finder is not PathFinder:
            return _NOT_HANDED
    for line in lines[1 + count :]:
        key, _, value = line.partition("=")
        if key == name:
            return value or None
    return _NOT_HANDED


def version(name: str) -> str | None:
    """Version of the distribution that registers the seeder of ``name`` (None when none is installed)."""
    from importlib import metadata

    for entry in metadata.entry_points(group=GROUP, name=name):
        dist = getattr(entry, "dist", None)
        return None if dist is None else str(dist.version)
    return None


def load(name: str, seed: int) -> "tuple[Any | None, Action | None]":
    """The seeder of extension ``name``, or None with the failed action that reports why."""
    try:
        seeder = find(name)
    except Exception as exc:  # a broken plug-in must be reported, not crash the stage
        detail = f"its seeder cannot be loaded: {exc!r}"
    else:
        if seeder is not None:
            return seeder, None
        detail = _missing(name)
    from .actions import Action

    return None, Action(framework=name, what=f"seeder({seed})", status="failed", detail=detail)


def _missing(name: str) -> str:
    import sys

    # The interpreter named: a program run by another environment's Python misses the launcher's plug-ins.
    return f"no seeder installed for {sys.executable} (a package must register entry point {name!r} in group {GROUP!r})"


def module_of(seeder: "Any") -> str | None:
    """The module whose first import ``seedlock run`` waits for before calling ``seeder`` (its ``module``)."""
    module = getattr(seeder, "module", None)
    return module if isinstance(module, str) and module else None


def apply(name: str, seed: int) -> "Action":
    """Call the seeder of extension ``name`` with ``seed``; a missing or failing seeder is a failed action."""
    seeder, failure = load(name, seed)
    if failure is not None:
        return failure
    return call(name, seeder, seed)


def call(name: str, seeder: "Any", seed: int) -> "Action":
    """Call a loaded ``seeder`` of extension ``name``, reporting it as :func:`apply` does."""
    from .actions import Action

    what = f"seeder({seed})"  # the report names the extension before it
    try:
        done = seeder(seed)
    except Exception as exc:
        return Action(framework=name, what=what, status="failed", detail=f"its seeder raised {exc!r}")
    return Action(framework=name, what=str(done) if done else what, status="applied")


def save(name: str) -> "Callable[[], None] | None":
    """A restorer from the seeder's optional ``save``; None when it has none (state is not restored)."""
    try:
        seeder = find(name)
    except Exception:
        return None  # apply() reports the broken plug-in as a failed step; nothing was seeded to put back
    saver = getattr(seeder, "save", None)
    return saver() if callable(saver) else None


def capture_state(name: str) -> "dict[str, Any]":
    """The extension's entry in a state dict: ``{"captured": True, "state": ...}`` from the seeder's
    ``capture``, or ``{"captured": False, "reason": ...}`` saying why there is none."""
    try:
        seeder = find(name)
    except Exception as exc:
        return {"captured": False, "reason": f"its seeder cannot be loaded: {exc!r}"}
    if seeder is None:
        return {"captured": False, "reason": _missing(name)}
    capture, restore = _hook(seeder, "capture_state", "capture"), _hook(seeder, "restore_state", "restore")
    if capture is None or restore is None:
        return {
            "captured": False,
            "reason": f"the {name} seeder offers no state capture (no capture/restore attributes)",
        }
    try:
        return {"captured": True, "state": capture()}
    except Exception as exc:
        return {"captured": False, "reason": f"its capture raised {exc!r}"}


def _hook(seeder: "Any", *names: str) -> "Callable[..., Any] | None":
    """The seeder's first callable attribute of ``names`` (the frameworks' name first, then the old one)."""
    for attribute in names:
        found = getattr(seeder, attribute, None)
        if callable(found):
            return found  # type: ignore[no-any-return]
    return None


def restore_state(name: str, entry: "Mapping[str, Any]", seed: int) -> str | None:
    """Put back what :func:`capture_state` captured. An entry without state re-seeds the extension with
    ``seed`` (the process seed), so a resumed run is still a function of the lock and the checkpoint;
    returns what the caller must warn about (None when the state was restored)."""
    if entry.get("captured"):
        seeder, failure = load(name, seed)
        restore = _hook(seeder, "restore_state", "restore")
        if failure is not None or restore is None:
            why = failure.detail if failure is not None else f"the {name} seeder offers no restore"
            return f"{name} state was captured but cannot be restored: {why}"
        try:
            restore(entry["state"])
        except Exception as exc:
            return f"{name} state was captured but cannot be restored: its restore raised {exc!r}"
        return None
    head = f"{name} state was not in the checkpoint ({entry.get('reason', 'no reason given')})"
    action = apply(name, seed)
    if action.status == "applied":
        return f"{head}: re-seeded with {action.what}, so its draws restart from the seed"
    return f"{head}: cannot re-seed it: {action.detail}"


__all__ = [
    "GROUP",
    "SEEDERS_VARIABLE",
    "apply",
    "call",
    "capture_state",
    "find",
    "handoff",
    "load",
    "module_of",
    "restore_state",
    "save",
    "version",
]
