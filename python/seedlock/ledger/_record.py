"""A run record: the lock a run used, next to what was true when it ran (spec §5.3)."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..records.metrics import Metric
from ..spec import _json
from ..spec.errors import SeedlockError

#: The export line format (JSON Lines); bump when its members change meaning.
EXPORT_FORMAT = "seedlock-run-1"
EVENTS = ("resolve", "run")


def digest(value: Any) -> str | None:
    """SHA-256 of the canonical JSON of a hash map (inputs, params): one comparable value, or None."""
    if not value:
        return None
    return hashlib.sha256(_json.canonical(dict(value)).encode("utf-8")).hexdigest()


def lock_sha256(lock_doc: Mapping[str, Any]) -> str:
    return hashlib.sha256(_json.canonical(dict(lock_doc)).encode("utf-8")).hexdigest()


def stage_key(stage: Mapping[str, Any]) -> str:
    """Every framework seed of a stage in one comparable string: ``numpy:1,torch:2,``."""
    return "".join(f"{fw}:{entry['seed']}," for fw, entry in sorted(stage["frameworks"].items()))


def pipeline_id(lock_doc: Mapping[str, Any]) -> str:
    """The pipeline a run belongs to: the lock's provenance id (one resolution), else the lock's hash."""
    prov = lock_doc.get("provenance") or {}
    value = prov.get("id")
    return str(value) if isinstance(value, str) and value else lock_sha256(lock_doc)[:32]


@dataclass(frozen=True, kw_only=True)
class RunRecord:
    """One ledger entry. ``run`` is unique across machines and ledgers (a random 128-bit id, hex);
    ``pipeline`` groups the runs of one resolved lock. ``provenance`` is the run's own: its time,
    git state, CI job, versions, platform and the input/params hashes measured when it ran."""

    run: str
    pipeline: str
    created: str
    event: str
    stage: str | None
    exit_code: int | None
    root_seed: int
    stage_seeds: Mapping[str, int]
    lock_sha256: str
    manifest_sha256: str
    git_commit: str | None
    git_dirty: bool | None
    inputs_sha256: str | None
    params_sha256: str | None
    ci: Mapping[str, Any] | None
    provenance: Mapping[str, Any]
    lock_text: str = field(default="", repr=False)
    #: For a replicate (spec §12): ``group``, ``index``, ``vary`` (names), ``seeds`` (the replicate's
    #: framework seeds and varied streams) and ``attempt``; None for any other run.
    replicate: Mapping[str, Any] | None = None
    #: The metrics the run logged, in the order logged (spec §12.4).
    metrics: tuple[Metric, ...] = ()

    @property
    def stage_key(self) -> str | None:
        """The framework seeds of the stage that ran (None for a resolve)."""
        if self.stage is None:
            return None
        stage = self.lock()["stages"].get(self.stage)
        return stage_key(stage) if stage else None

    @property
    def ci_pipeline(self) -> str | None:
        ci = self.ci or {}
        value = ci.get("pipeline_id") or ci.get("run_id")
        return None if value is None else str(value)

    @property
    def ci_job(self) -> str | None:
        ci = self.ci or {}
        value = ci.get("job_id") or ci.get("job") or ci.get("job_name")
        return None if value is None else str(value)

    def lock(self) -> dict[str, Any]:
        return dict(json.loads(self.lock_text))

    def to_dict(self) -> dict[str, Any]:
        """For ``history --format json``: everything but the lock text."""
        return {
            "run": self.run,
            "pipeline": self.pipeline,
            "created": self.created,
            "event": self.event,
            "stage": self.stage,
            "exit_code": self.exit_code,
            "root_seed": self.root_seed,
            "stage_seeds": dict(self.stage_seeds),
            "git_commit": self.git_commit,
            "git_dirty": self.git_dirty,
            "inputs_sha256": self.inputs_sha256,
            "params_sha256": self.params_sha256,
            "ci": dict(self.ci) if self.ci else None,
            "lock_sha256": self.lock_sha256,
            "manifest_sha256": self.manifest_sha256,
            "provenance": dict(self.provenance),
            "replicate": dict(self.replicate) if self.replicate else None,
            "metrics": [m.to_dict() for m in self.metrics],
        }

    def export_line(self) -> str:
        """One JSON Lines entry holding everything needed to rebuild the record (the exact lock text too)."""
        data: dict[str, Any] = {
            "format": EXPORT_FORMAT,
            "run": self.run,
            "event": self.event,
            "stage": self.stage,
            "exit_code": self.exit_code,
            "provenance": dict(self.provenance),
            "lock": self.lock_text,
        }
        # Members added with replicates (spec §12): present only when there is something to carry, so
        # the lines of other runs are what earlier seedlocks wrote and read.
        if self.replicate:
            data["replicate"] = dict(self.replicate)
        if self.metrics:
            data["metrics"] = [m.to_dict() for m in self.metrics]
        return json.dumps(data, sort_keys=True)  # ASCII: any terminal or pipe encoding carries it unchanged


def new_record(
    lock_doc: Mapping[str, Any],
    *,
    event: str,
    stage: str | None,
    exit_code: int | None,
    provenance: Mapping[str, Any],
    lock_text: str | None = None,
    run: str | None = None,
    replicate: Mapping[str, Any] | None = None,
    metrics: tuple[Metric, ...] = (),
) -> RunRecord:
    """A record of ``lock_doc`` with the run's own ``provenance``
    (see :func:`seedlock.records.provenance.run_state`)."""
    if event not in EVENTS:
        raise SeedlockError("invalid-value", f"Unknown event {event!r} (expected resolve or run)", "/event")
    text = lock_text if lock_text is not None else _json.pretty(dict(lock_doc))
    git = provenance.get("git") or {}
    ci = provenance.get("ci")
    stages = lock_doc["stages"]
    if stage is not None and stage not in stages:
        raise SeedlockError("unknown-stage", f"No stage {stage!r} in the lock", f"/stages/{stage}")
    return RunRecord(
        run=run or uuid.uuid4().hex,
        pipeline=pipeline_id(lock_doc),
        created=str(provenance.get("created") or ""),
        event=event,
        stage=stage,
        exit_code=exit_code,
        root_seed=int(lock_doc["root"]["seed"]),
        stage_seeds={name: int(st["seed"]) for name, st in stages.items()},
        lock_sha256=lock_sha256(lock_doc),
        manifest_sha256=str(lock_doc["manifest"]["sha256"]),
        git_commit=git.get("commit"),
        git_dirty=None if not git else bool(git.get("dirty")),
        inputs_sha256=digest(provenance.get("inputs")),
        params_sha256=digest(provenance.get("params")),
        ci=dict(ci) if ci else None,
        provenance=dict(provenance),
        lock_text=text,
        replicate=_check_replicate(replicate, stage) if replicate else None,
        metrics=tuple(metrics),
    )


def _check_replicate(replicate: Mapping[str, Any], stage: str | None) -> dict[str, Any]:
    """A record's replicate member, checked where it enters (an import line, a new run)."""
    from ..spec.replicates import check_group, check_index

    if stage is None or not isinstance(replicate, Mapping):
        raise SeedlockError("invalid-value", "Only a stage run can be a replicate", "/replicate")
    group = replicate.get("group")
    if not isinstance(group, str):
        raise SeedlockError("invalid-type", "A replicate's group is a string", "/replicate/group")
    check_group(group, "/replicate/group")
    check_index(replicate.get("index"), "/replicate/index")
    attempt = replicate.get("attempt", 0)
    if type(attempt) is not int or attempt < 0:
        raise SeedlockError("invalid-value", "A replicate's attempt is a non-negative integer", "/replicate/attempt")
    vary = replicate.get("vary", [])
    if not isinstance(vary, (list, tuple)) or not all(isinstance(v, str) for v in vary):
        raise SeedlockError("invalid-type", "A replicate's vary is a list of names", "/replicate/vary")
    seeds = replicate.get("seeds", {})
    if not isinstance(seeds, Mapping):
        raise SeedlockError("invalid-type", "A replicate's seeds are an object", "/replicate/seeds")
    return {"group": group, "index": replicate["index"], "attempt": attempt, "vary": list(vary), "seeds": dict(seeds)}


def from_export_line(line: str, where: str) -> RunRecord:
    """Rebuild a record from :meth:`RunRecord.export_line`; ``where`` names the line for errors."""
    from ..spec.documents import parse
    from ..spec.lock import Lock

    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        raise SeedlockError("invalid-json", f"{where}: not JSON ({exc.msg})") from None
    if not isinstance(data, dict) or data.get("format") != EXPORT_FORMAT:
        raise SeedlockError("invalid-value", f"{where}: not a {EXPORT_FORMAT} record", "/format")
    for key, kind in (("run", str), ("event", str), ("provenance", dict), ("lock", str)):
        if not isinstance(data.get(key), kind):
            raise SeedlockError("invalid-type", f"{where}: member {key!r} missing or of the wrong type", f"/{key}")
    run = data["run"]
    if len(run) != 32 or any(c not in "0123456789abcdef" for c in run):
        raise SeedlockError("invalid-value", f"{where}: run id {run!r} is not 32 lower-case hex digits", "/run")
    lock = parse(data["lock"])  # validated like any lock, integrity included
    if not isinstance(lock, Lock):
        raise SeedlockError("invalid-value", f"{where}: the recorded document is a manifest, not a lock", "/lock")
    exit_code = data.get("exit_code")
    if exit_code is not None and type(exit_code) is not int:
        raise SeedlockError("invalid-type", f"{where}: exit_code must be an integer", "/exit_code")
    from ..records.metrics import check_metric

    metrics_raw = data.get("metrics", [])
    if not isinstance(metrics_raw, list) or not all(isinstance(m, dict) for m in metrics_raw):
        raise SeedlockError("invalid-type", f"{where}: member 'metrics' must be a list of objects", "/metrics")
    metrics = tuple(check_metric(m.get("name"), m.get("value"), m.get("step")) for m in metrics_raw)
    return new_record(
        json.loads(data["lock"]),
        event=data["event"],
        stage=data.get("stage"),
        exit_code=exit_code,
        provenance=data["provenance"],
        lock_text=data["lock"],
        run=run,
        replicate=data.get("replicate"),
        metrics=metrics,
    )
