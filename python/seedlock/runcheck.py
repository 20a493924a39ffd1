"""The start-of-run check: is this run a repeat of the locked one (repeatability), or the same seeds
on another setup (reproducibility)?

Inputs and parameter files whose hashes differ from the lock's make the run something else than the
locked run. Other framework versions, another device kind or another platform keep the seeds but
can change the numbers (kernels, default algorithms, the order of floating-point reductions). Both
are reported before the run starts; ``strict`` turns them into ``lock-mismatch``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .errors import SeedlockError, pointer_join
from .fingerprint import allows_external, base_directory, hashes_now

#: Set by ``seedlock run`` for its child: the check already ran, ``apply_from_env`` skips it.
CHECKED_VARIABLE = "SEEDLOCK_RUN_CHECKED"
_CAN_CHANGE = ("reproduction, not repetition: framework versions, device kind and platform can change the "
               "numbers (kernels, default algorithms, floating-point order) even with the same seeds")


@dataclass(frozen=True, kw_only=True)
class Difference:
    """One way the run differs from the lock: ``pointer`` into the lock's provenance, and what."""

    pointer: str
    problem: str
    #: True for inputs/params (not the locked run any more); False for the setup (versions, platform).
    changes_the_run: bool


@dataclass(frozen=True, kw_only=True)
class StartCheck:
    """The hashes measured now and the differences from the lock."""

    inputs: Mapping[str, str | None]
    params: Mapping[str, str | None]
    differences: tuple[Difference, ...]
    #: Seed variables set for a run of a lock, which change nothing (a lock is final): warnings only.
    ignored_variables: tuple[str, ...] = ()

    def warnings(self, stage: str) -> list[str]:
        """Lines to print (without the ``seedlock:`` prefix)."""
        lines = [f"warning: {d.problem}" for d in self.differences if d.changes_the_run]
        if self.ignored_variables:
            names = ", ".join(self.ignored_variables)
            lines.append(f"warning: {names} {'is' if len(self.ignored_variables) == 1 else 'are'} set but a lock is "
                         "final: its seeds are used; to run with other seeds, resolve the manifest again with the "
                         "variable set (`seedlock resolve MANIFEST -o LOCK`), then run that lock")
        setup = [d.problem for d in self.differences if not d.changes_the_run]
        if setup:
            lines.append(f"warning: stage {stage!r} runs on another setup than the lock was made on ({'; '.join(setup)}): "
                         f"this is {_CAN_CHANGE}")
        return lines

    def raise_if_any(self, label: str) -> None:
        """``lock-mismatch`` naming every difference, at the first one's pointer (strict mode); ``label``
        names the lock."""
        if self.differences:
            problems = [d.problem + ("" if d.changes_the_run else " (reproduction, not repetition)") for d in self.differences]
            raise SeedlockError("lock-mismatch", f"{label}: {'; '.join(problems)}", self.differences[0].pointer)


def check_start(lock_doc: Mapping[str, Any], stage: str, *, base: str | os.PathLike[str],
                current: Mapping[str, Any] | None = None, lock_path: str | os.PathLike[str] | None = None,
                environ: Mapping[str, str] | None = None) -> StartCheck:
    """Compare the lock's provenance with this machine now, for ``stage``. ``current`` is the run
    provenance already collected (:func:`seedlock.provenance.run_state`), else it is collected. With
    ``lock_path``, the manifest the lock records is compared with the lock too (spec §5.4: a manifest
    edited after ``resolve`` is a stale lock); ``environ`` (default ``os.environ``) is searched for seed
    variables that a lock ignores."""
    prov = lock_doc.get("provenance") or {}
    locked_inputs: Mapping[str, str] = prov.get("inputs") or {}
    locked_params: Mapping[str, str] = prov.get("params") or {}
    external = allows_external(lock_doc, base) if current is None and (locked_inputs or locked_params) else False
    inputs = (hashes_now(locked_inputs, base, "inputs", allow_external=external) if current is None
              else (current.get("inputs") or {}))
    params = (hashes_now(locked_params, base, "params", allow_external=external) if current is None
              else (current.get("params") or {}))
    diffs: list[Difference] = []
    for key, noun, locked, now in (("inputs", "input", locked_inputs, inputs), ("params", "parameter file", locked_params, params)):
        for path, digest in locked.items():
            if now.get(path) == digest:
                continue
            state = "is missing or unreadable" if now.get(path) is None else "changed since the lock was resolved"
            diffs.append(Difference(pointer=pointer_join("/provenance", key, path),
                                    problem=f"{noun} {path} {state} (not a repeat of the locked run)", changes_the_run=True))
    stage_frameworks = list((lock_doc.get("stages", {}).get(stage) or {}).get("frameworks", {}))
    if current is None:
        from ._machine import device_kind, platform_tag
        from .provenance import framework_versions

        current = {"frameworks": framework_versions(stage_frameworks), "device": device_kind(), "platform": platform_tag()}
    versions_then: Mapping[str, Any] = prov.get("frameworks") or {}
    versions_now: Mapping[str, Any] = current.get("frameworks") or {}
    for fw in stage_frameworks:
        if fw in versions_then and fw in versions_now and versions_then[fw] != versions_now[fw]:
            diffs.append(Difference(pointer=pointer_join("/provenance", "frameworks", fw),
                                    problem=f"{fw} {versions_now[fw]} here, {versions_then[fw]} when locked",
                                    changes_the_run=False))
    for key in ("device", "platform"):
        if prov.get(key) and current.get(key) and prov[key] != current[key]:
            diffs.append(Difference(pointer=pointer_join("/provenance", key),
                                    problem=f"{key} {current[key]} here, {prov[key]} when locked", changes_the_run=False))
    if lock_path is not None:
        stale = _stale_manifest(lock_doc, lock_path)
        if stale is not None:
            diffs.insert(0, stale)
    return StartCheck(inputs=inputs, params=params, differences=tuple(diffs),
                      ignored_variables=ignored_seed_variables(os.environ if environ is None else environ))


def _stale_manifest(lock_doc: Mapping[str, Any], lock_path: str | os.PathLike[str]) -> Difference | None:
    """The manifest the lock was resolved from, changed since (spec §5.4): a new pinned seed, a new
    stage or framework that the lock does not have."""
    from .fingerprint import manifest_change

    change = manifest_change(lock_doc, lock_path)
    if change is None:
        return None
    path, why = change
    return Difference(pointer="/manifest/sha256",
                      problem=f"manifest {path} {why}: this lock no longer describes it (its seeds, stages and "
                              "settings are the old ones); resolve it again (`seedlock resolve`) to run what it says now",
                      changes_the_run=True)


def ignored_seed_variables(environ: Mapping[str, str]) -> tuple[str, ...]:
    """``SEEDLOCK_SEED`` and ``SEEDLOCK_SEED_<STAGE>`` set (non-empty) in ``environ``: they choose seeds
    when a manifest is resolved, never when a lock runs (spec §4.4)."""
    return tuple(sorted(name for name, value in environ.items()
                        if value and (name == "SEEDLOCK_SEED" or name.startswith("SEEDLOCK_SEED_"))))


__all__ = ["CHECKED_VARIABLE", "Difference", "StartCheck", "base_directory", "check_start", "hashes_now",
           "ignored_seed_variables"]
