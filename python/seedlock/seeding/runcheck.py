"""The start-of-run check: is this run a repeat of the locked one (repeatability), or the same seeds
on another setup (reproducibility)?

Inputs and parameter files whose hashes differ from the lock's make the run something else than the
locked run. Other framework versions, another device kind or another platform keep the seeds but
can change the numbers (kernels, default algorithms, the order of floating-point reductions). Both
are reported before the program runs (``seedlock run`` checks while the command starts up; auto-seeded
Python programs wait for the warnings); ``strict`` turns them into ``lock-mismatch``, before the command
starts.
"""

from __future__ import annotations

import os

from ..spec.errors import SeedlockError, pointer_join

# `seedlock run` runs this check before every job: plain classes instead of dataclasses, whose import
# (inspect, re, ...) costs a third of a bare interpreter start.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from typing import Any

#: Set by ``seedlock run`` for its child: the check already ran, ``apply_from_env`` skips it.
CHECKED_VARIABLE = "SEEDLOCK_RUN_CHECKED"
_CAN_CHANGE = (
    "reproduction, not repetition: framework versions, device kind and platform can change the "
    "numbers (kernels, default algorithms, floating-point order) even with the same seeds"
)


class _Frozen:
    """Keyword-only, immutable, compared by value: what a frozen dataclass gives, without its import."""

    __slots__: tuple[str, ...] = ()

    def __init__(self, **values: Any) -> None:
        if set(values) != set(self.__slots__):
            raise TypeError(f"{type(self).__name__} takes exactly {', '.join(self.__slots__)}")
        for key, value in values.items():
            object.__setattr__(self, key, value)

    def __setattr__(self, key: str, value: Any) -> None:
        raise AttributeError(f"cannot assign to field {key!r}")

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and all(getattr(self, k) == getattr(other, k) for k in self.__slots__)

    def __hash__(self) -> int:
        return hash(tuple(repr(getattr(self, k)) for k in self.__slots__))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{k}={getattr(self, k)!r}' for k in self.__slots__)})"


class Difference(_Frozen):
    """One way the run differs from the lock: ``pointer`` into the lock's provenance, and what;
    ``changes_the_run`` is True for inputs/params (not the locked run any more), False for the setup
    (versions, platform)."""

    __slots__ = ("changes_the_run", "pointer", "problem")
    pointer: str
    problem: str
    changes_the_run: bool


class StartCheck(_Frozen):
    """The hashes measured now and the differences from the lock."""

    __slots__ = ("differences", "ignored_variables", "inputs", "params")
    inputs: Mapping[str, str | None]
    params: Mapping[str, str | None]
    differences: tuple[Difference, ...]
    #: Seed variables set for a run of a lock, which change nothing (a lock is final): warnings only.
    ignored_variables: tuple[str, ...]

    def warnings(self, stage: str) -> list[str]:
        """Lines to print (without the ``seedlock:`` prefix)."""
        lines = [f"warning: {d.problem}" for d in self.differences if d.changes_the_run]
        if self.ignored_variables:
            names = ", ".join(self.ignored_variables)
            lines.append(
                f"warning: {names} {'is' if len(self.ignored_variables) == 1 else 'are'} set but a lock is "
                "final: its seeds are used; to run with other seeds, resolve the manifest again with the "
                "variable set (`seedlock resolve MANIFEST -o LOCK`), then run that lock"
            )
        setup = [d.problem for d in self.differences if not d.changes_the_run]
        if setup:
            lines.append(
                f"warning: stage {stage!r} runs on another setup than the lock was made on ({'; '.join(setup)}): "
                f"this is {_CAN_CHANGE}"
            )
        return lines

    def raise_if_any(self, label: str) -> None:
        """``lock-mismatch`` naming every difference, at the first one's pointer (strict mode); ``label``
        names the lock."""
        if self.differences:
            problems = [
                d.problem + ("" if d.changes_the_run else " (reproduction, not repetition)") for d in self.differences
            ]
            raise SeedlockError("lock-mismatch", f"{label}: {'; '.join(problems)}", self.differences[0].pointer)


def check_start(
    lock_doc: Mapping[str, Any],
    stage: str,
    *,
    base: str | os.PathLike[str],
    current: Mapping[str, Any] | None = None,
    lock_path: str | os.PathLike[str] | None = None,
    environ: Mapping[str, str] | None = None,
    hashes: tuple[Mapping[str, str | None], Mapping[str, str | None]] | None = None,
) -> StartCheck:
    """Compare the lock's provenance with this machine now, for ``stage``. ``current`` is the run
    provenance already collected (:func:`seedlock.records.provenance.run_state`), else it is collected;
    ``hashes`` are the inputs' and parameter files' hashes already measured (:func:`recorded_hashes`). With
    ``lock_path``, the manifest the lock records is compared with the lock too (spec §5.4: a manifest
    edited after ``resolve`` is a stale lock); ``environ`` (default ``os.environ``) is searched for seed
    variables that a lock ignores."""
    prov = lock_doc.get("provenance") or {}
    locked_inputs: Mapping[str, str] = prov.get("inputs") or {}
    locked_params: Mapping[str, str] = prov.get("params") or {}
    if current is None:
        inputs, params = recorded_hashes(lock_doc, base) if hashes is None else hashes
    else:
        inputs, params = current.get("inputs") or {}, current.get("params") or {}
    diffs: list[Difference] = []
    for key, noun, locked, now in (
        ("inputs", "input", locked_inputs, inputs),
        ("params", "parameter file", locked_params, params),
    ):
        for path, digest in locked.items():
            if now.get(path) == digest:
                continue
            state = "is missing or unreadable" if now.get(path) is None else "changed since the lock was resolved"
            diffs.append(
                Difference(
                    pointer=pointer_join("/provenance", key, path),
                    problem=f"{noun} {path} {state} (not a repeat of the locked run)",
                    changes_the_run=True,
                )
            )
    stage_frameworks = list((lock_doc.get("stages", {}).get(stage) or {}).get("frameworks", {}))
    if current is None:
        from ._machine import device_kind, platform_tag

        current = {
            "frameworks": {fw: framework_version(fw, prov.get("frameworks", {}).get(fw)) for fw in stage_frameworks},
            "device": device_kind(),
            "platform": platform_tag(),
        }
    versions_then: Mapping[str, Any] = prov.get("frameworks") or {}
    versions_now: Mapping[str, Any] = current.get("frameworks") or {}
    for fw in stage_frameworks:
        if fw in versions_then and fw in versions_now and versions_then[fw] != versions_now[fw]:
            diffs.append(
                Difference(
                    pointer=pointer_join("/provenance", "frameworks", fw),
                    problem=f"{fw} {versions_now[fw]} here, {versions_then[fw]} when locked",
                    changes_the_run=False,
                )
            )
    for key in ("device", "platform"):
        if prov.get(key) and current.get(key) and prov[key] != current[key]:
            diffs.append(
                Difference(
                    pointer=pointer_join("/provenance", key),
                    problem=f"{key} {current[key]} here, {prov[key]} when locked",
                    changes_the_run=False,
                )
            )
    if lock_path is not None:
        stale = _stale_manifest(lock_doc, lock_path)
        if stale is not None:
            diffs.insert(0, stale)
    return StartCheck(
        inputs=inputs,
        params=params,
        differences=tuple(diffs),
        ignored_variables=ignored_seed_variables(os.environ if environ is None else environ),
    )


def _stale_manifest(lock_doc: Mapping[str, Any], lock_path: str | os.PathLike[str]) -> Difference | None:
    """The manifest the lock was resolved from, changed since (spec §5.4): a new pinned seed, a new
    stage or framework that the lock does not have."""
    from ..spec.fingerprint import manifest_change

    change = manifest_change(lock_doc, lock_path)
    if change is None:
        return None
    path, why = change
    return Difference(
        pointer="/manifest/sha256",
        problem=f"manifest {path} {why}: this lock no longer describes it (its seeds, stages and "
        "settings are the old ones); resolve it again (`seedlock resolve`) to run what it says now",
        changes_the_run=True,
    )


def ignored_seed_variables(environ: Mapping[str, str]) -> tuple[str, ...]:
    """``SEEDLOCK_SEED`` and ``SEEDLOCK_SEED_<STAGE>`` set (non-empty) in ``environ``: they choose seeds
    when a manifest is resolved, never when a lock runs (spec §4.4)."""
    return tuple(
        sorted(
            name
            for name, value in environ.items()
            if value and (name == "SEEDLOCK_SEED" or name.startswith("SEEDLOCK_SEED_"))
        )
    )


# fingerprint's functions, re-exported here, are loaded on first use: a lock without inputs needs neither.
def hashes_now(
    paths: Any, base: str | os.PathLike[str], key: str, *, allow_external: bool = False
) -> dict[str, str | None]:
    """:func:`seedlock.spec.fingerprint.hashes_now`."""
    from ..spec.fingerprint import hashes_now as now

    return now(paths, base, key, allow_external=allow_external)


def recorded_hashes(
    lock_doc: Mapping[str, Any], base: str | os.PathLike[str]
) -> tuple[dict[str, str | None], dict[str, str | None]]:
    """:func:`seedlock.spec.fingerprint.recorded_hashes`: the only part of :func:`check_start` that
    refuses a lock (``seedlock run`` measures them before the command starts, the rest while it starts up)."""
    from ..spec.fingerprint import recorded_hashes as measured

    return measured(lock_doc, base)


def base_directory(lock_doc: Mapping[str, Any], lock_path: str | os.PathLike[str] | None) -> str:
    """:func:`seedlock.spec.fingerprint.base_directory`."""
    from ..spec.fingerprint import base_directory as base

    return base(lock_doc, lock_path)


def framework_version(name: str, locked: str | None = None) -> str | None:
    """The version provenance records for framework or extension ``name``
    (:func:`seedlock.records.provenance.framework_versions`), read from ``sys.path``'s metadata directories by
    :mod:`seedlock.seeding._machine` where it can tell, without importing the framework modules or
    ``importlib.metadata``. ``locked`` is the version the lock recorded: for an extension, only the
    distributions of that version are looked at first."""
    from ..spec import _registry
    from . import _machine

    distributions = _registry.DISTRIBUTIONS.get(name)
    if distributions is None:  # an extension: the distribution that registers its seeder
        group = _registry.ENTRY_POINT_GROUP  # extensions.GROUP
        if locked and _machine.registered_with_version(group, name, locked):
            return locked
        from .extensions import version

        return version(name)
    if name == "python":
        return _machine.python_version()
    if name == "r":
        return _machine.rscript_version()
    quick: Sequence[str | object | None] = [_machine.quick_distribution_version(d) for d in distributions]
    if _machine.UNSURE not in quick:
        return next((found for found in quick if found is not None), None)  # type: ignore[return-value]
    from .. import frameworks

    return frameworks.get(name).version()


__all__ = [
    "CHECKED_VARIABLE",
    "Difference",
    "StartCheck",
    "base_directory",
    "check_start",
    "framework_version",
    "hashes_now",
    "ignored_seed_variables",
    "recorded_hashes",
]
