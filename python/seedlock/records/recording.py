"""Recording runs: what ``seedlock run``/``resolve``/``check`` do around the ledger.

A record describes the run that happened: provenance is collected when the run starts (time, git
state, CI job, versions, platform, device, input/params hashes measured then), never copied from
the lock's resolve-time provenance.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..seeding.runcheck import StartCheck, base_directory, check_start, hashes_now
from ..spec._io import read_bytes
from ..spec.fingerprint import allows_external


@dataclass(frozen=True, kw_only=True)
class RunStart:
    """A stage run about to start: the lock as recorded (exact text), and the run's own provenance."""

    lock_doc: Mapping[str, Any]
    lock_text: str
    stage: str
    provenance: Mapping[str, Any]
    check: StartCheck


def start_run(
    lock_path: str,
    stage: str,
    env: Mapping[str, str] | None = None,
    command: Sequence[str] | None = None,
    *,
    raw: bytes | None = None,
    provenance: bool = True,
) -> RunStart:
    """Collect the run's provenance and compare it with the lock (the lock must already be validated);
    ``command`` (argv) is recorded with it: the reuse check compares it (spec §5.4). ``raw``: the lock's
    bytes when already read (a pipe cannot be read twice). Without ``provenance`` (no record, no reuse
    check) only what the start-of-run check needs is read: no git, no CI variables, and
    ``RunStart.provenance`` is empty."""
    from ..spec import _lockfile

    raw = read_bytes(lock_path) if raw is None else raw
    text = raw.decode("utf-8-sig")  # spec §1.1: a byte-order mark is ignored
    doc = _lockfile.parse(raw)
    base = base_directory(doc, lock_path)
    state = run_provenance(doc, lock_path, stage, base, env, command=command) if provenance else None
    return RunStart(
        lock_doc=doc,
        lock_text=text,
        stage=stage,
        provenance=state or {},
        check=check_start(doc, stage, base=base, current=state, lock_path=lock_path, environ=env),
    )


def run_provenance(
    lock_doc: Mapping[str, Any],
    lock_path: str,
    stage: str,
    base: str,
    env: Mapping[str, str] | None = None,
    *,
    command: Sequence[str] | None = None,
) -> Mapping[str, Any]:
    """The run's own provenance for its record (git, CI, versions, input hashes measured now, and the
    ``command`` when there is one), for a lock already read and checked; ``base`` is where its inputs are
    (:func:`seedlock.spec.fingerprint.base_directory`)."""
    from .provenance import run_state

    prov = lock_doc.get("provenance") or {}
    external = allows_external(lock_doc, base)
    inputs = hashes_now(prov.get("inputs") or {}, base, "inputs", allow_external=external)
    params = hashes_now(prov.get("params") or {}, base, "params", allow_external=external)
    frameworks = list(lock_doc["stages"][stage]["frameworks"])
    # The lock being run is no change to the code (its seeds are compared on their own): a lock that a
    # CI step wrote, untracked, must not make every run's tree dirty.
    state = run_state(
        frameworks, git_dir=Path(base), env=env, inputs=inputs, params=params, git_exclude=[Path(lock_path)]
    )
    return state if command is None else {**state, "command": list(command)}


def resolve_provenance(
    lock_doc: Mapping[str, Any], manifest_path: str | None, env: Mapping[str, str] | None = None
) -> Mapping[str, Any]:
    """A resolve record's provenance: the lock's own (collected just now), else collected for the record."""
    from .provenance import run_state

    prov = lock_doc.get("provenance")
    if prov and prov.get("created"):
        return dict(prov)
    frameworks = {fw for st in lock_doc["stages"].values() for fw in st["frameworks"]}
    base = Path(manifest_path).resolve().parent if manifest_path else Path.cwd()
    return run_state(frameworks, git_dir=base, env=env)


def record_resolve(ledger: Any, lock_doc: Mapping[str, Any], lock_text: str, provenance: Mapping[str, Any]) -> Any:
    """Append a ``resolve`` record of the lock (its exact ``lock_text``; ``provenance`` from
    :func:`resolve_provenance`) to ``ledger`` and return it."""
    from ..ledger import new_record

    record = new_record(
        lock_doc, event="resolve", stage=None, exit_code=None, lock_text=lock_text, provenance=provenance
    )
    ledger.record(record)
    return record


def reuse_report(
    ledger: Any, lock_doc: Mapping[str, Any], stages: Sequence[str], provenance: Mapping[str, Any]
) -> tuple[list[str], bool]:
    """Lines for the reuse check of ``stages`` (one per stage at most) and whether any adds no information."""
    from ..ledger import Dependent

    if not ledger.backend.exists():
        return [f"no ledger at {ledger.location} yet: no past run to compare with"], False
    uses = ledger.reuse(lock_doc, stages, Dependent.of(provenance))
    if not uses:
        return [
            "no recorded run of " + ", ".join(repr(s) for s in stages) + f" in {ledger.location} used these seeds"
        ], False
    return [u.describe() for u in uses], any(u.adds_no_information for u in uses)


def ledger_for(location: str | os.PathLike[str] | None) -> Any:
    from ..ledger import Ledger

    return Ledger(location)


__all__ = ["RunStart", "ledger_for", "record_resolve", "resolve_provenance", "reuse_report", "start_run"]
