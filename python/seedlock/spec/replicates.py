"""Replicates of a stage and the coordinates of the task that runs one (spec §13).

Replicate ``k`` of a stage is a pure function of the lock, ``k`` and what ``vary`` names: replicate 0
is the stage itself; in replicate ``k >= 1`` a varied framework seed ``F`` becomes
``derive(F, "replicate", k)`` (everything below it follows), and a varied stream ``n`` of a framework
that does not vary as a whole is seeded with ``derive(B, "stream", n, "replicate", k)`` below every
base. The replicate reaches a child through the environment ``seedlock run --replicate`` sets
(``SEEDLOCK_REPLICATE``, ``SEEDLOCK_VARY``); the lock file is never rewritten, so a replicate's record
keeps the exact lock text it ran from.

A task's index comes from its engine (``SEEDLOCK_REPLICATE_INDEX``, Slurm's ``SLURM_ARRAY_TASK_ID``,
Kubernetes' ``JOB_COMPLETION_INDEX``); its attempt (a requeue, a restarted pod, a Ray retry) is
recorded with the run and never mixed into a seed, so a retry repeats its first attempt.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from types import MappingProxyType
from typing import Any

from . import _registry
from .derivation import SEED_MAX, check_label, replicate_seed
from .errors import SeedlockError, pointer_join
from .lock import LockedStage
from .variation import Replicate, Vary

#: Set by ``seedlock run --replicate`` for the child: the replicate index, and the names that vary.
REPLICATE_VARIABLE = "SEEDLOCK_REPLICATE"
VARY_VARIABLE = "SEEDLOCK_VARY"
#: The replicate group a run belongs to (informative for the child; the ledger records it).
GROUP_VARIABLE = "SEEDLOCK_GROUP"
#: Where a run's metrics go: a JSON Lines file any program may append to (see :mod:`seedlock.records.metrics`).
METRICS_VARIABLE = "SEEDLOCK_METRICS"
#: Where ``--replicate from-env`` finds the task index, first set wins: seedlock's own engines (Ray),
#: Slurm job arrays, Kubernetes Indexed Jobs.
TASK_INDEX_VARIABLES = ("SEEDLOCK_REPLICATE_INDEX", "SLURM_ARRAY_TASK_ID", "JOB_COMPLETION_INDEX")
#: The attempt of a task (0 for the first): an engine's retry counter. Recorded, never seeded.
ATTEMPT_VARIABLES = ("SEEDLOCK_ATTEMPT", "SLURM_RESTART_COUNT")
#: The engine that started the task, when it says so (seedlock's engines set it).
ENGINE_VARIABLE = "SEEDLOCK_ENGINE"
#: Identifiers recorded per engine: record member -> variable.
TASK_FIELDS: Mapping[str, Mapping[str, str]] = MappingProxyType(
    {
        "slurm": {
            "job_id": "SLURM_JOB_ID",
            "array_job_id": "SLURM_ARRAY_JOB_ID",
            "array_task_id": "SLURM_ARRAY_TASK_ID",
            "restart_count": "SLURM_RESTART_COUNT",
            "cluster": "SLURM_CLUSTER_NAME",
            "node": "SLURMD_NODENAME",
        },
        "kubernetes": {
            "completion_index": "JOB_COMPLETION_INDEX",
            "pod": "HOSTNAME",
            "job": "SEEDLOCK_K8S_JOB",
            "restart": "SEEDLOCK_K8S_RESTART",
        },
        "ray": {"job_id": "SEEDLOCK_RAY_JOB_ID", "task_id": "SEEDLOCK_RAY_TASK_ID", "node_id": "SEEDLOCK_RAY_NODE_ID"},
        "local": {"job_id": "SEEDLOCK_LOCAL_JOB"},
    }
)
_DECIMAL = re.compile(r"(0|[1-9][0-9]*)")
#: Frameworks that hand out named streams (spec §4.3): only these can vary a stream alone.
STREAM_FRAMEWORKS = _registry.STREAM_FRAMEWORKS


def parse_vary_text(text: str | None) -> tuple[str, ...]:
    """``SEEDLOCK_VARY``'s value (comma-separated names; empty or unset: everything)."""
    if not text:
        return ()
    return tuple(part.strip() for part in text.split(",") if part.strip())


def resolve_vary(stage: LockedStage, names: Sequence[str] = ()) -> Vary:
    """Resolve ``names`` against ``stage`` (spec §13): a framework the stage lists, ``f:n`` (stream
    ``n`` of framework ``f``), or a stream name ``n`` (stream ``n`` of every framework of the stage).
    A known framework the stage does not list is ``framework-not-in-stage``; a stream of no framework
    with named streams is ``invalid-value`` (nothing would vary); anything else that is not a label is
    ``invalid-label`` (pointer ``/vary/<i>``)."""
    if not names:
        pinned = tuple(fw for fw, entry in stage.frameworks.items() if entry.source == "manifest")
        return Vary(
            names=(),
            frameworks=frozenset(fw for fw in stage.frameworks if fw not in pinned),
            streams=MappingProxyType({}),
            held=pinned,
        )
    fws: set[str] = set()
    streams: dict[str, set[str]] = {}
    seen: list[str] = []
    for i, raw in enumerate(names):
        pointer = pointer_join("/vary", i)
        if not isinstance(raw, str):
            raise SeedlockError("invalid-type", f"Unexpected type {type(raw).__name__} (expected str)", pointer)
        name = raw.strip()
        if name in seen:
            continue
        seen.append(name)
        if ":" in name:
            fw, _, stream = name.partition(":")
            _known_framework(stage, fw, pointer, _registry.FRAMEWORKS)
            if fw not in STREAM_FRAMEWORKS:
                raise SeedlockError(
                    "invalid-value",
                    f"--vary {name}: framework {fw!r} has no named streams (those "
                    f"that do: {', '.join(STREAM_FRAMEWORKS)})",
                    pointer,
                )
            streams.setdefault(fw, set()).add(check_label(stream, pointer))
        elif name in stage.frameworks:
            fws.add(name)
        elif name in _registry.FRAMEWORKS or name.startswith("x-"):
            _known_framework(stage, name, pointer, _registry.FRAMEWORKS)
        else:
            check_label(name, pointer)
            owners = [fw for fw in stage.frameworks if fw in STREAM_FRAMEWORKS]
            if not owners:
                raise SeedlockError(
                    "invalid-value",
                    f"--vary {name}: stage {stage.name!r} lists no framework with "
                    f"named streams ({', '.join(STREAM_FRAMEWORKS)}), so nothing "
                    f"would vary",
                    pointer,
                )
            for fw in owners:
                streams.setdefault(fw, set()).add(name)
    return Vary(
        names=tuple(seen),
        frameworks=frozenset(fws),
        streams=MappingProxyType({fw: frozenset(n) for fw, n in streams.items() if fw not in fws}),
    )


def _known_framework(stage: LockedStage, fw: str, pointer: str, names: Sequence[str]) -> None:
    if fw not in stage.frameworks:
        from ._suggest import hint

        raise SeedlockError(
            "framework-not-in-stage",
            f"--vary names framework {fw!r}, which stage {stage.name!r} does not list"
            f"{hint(fw, stage.frameworks)} (it lists {', '.join(stage.frameworks)})",
            pointer,
        )


def check_index(value: object, pointer: str = "/replicate") -> int:
    """A replicate index: an integer in [0, 2**31 - 1] (``invalid-value`` otherwise)."""
    if type(value) is not int or not 0 <= value <= SEED_MAX:
        raise SeedlockError(
            "invalid-value", f"A replicate index is an integer in [0, {SEED_MAX}], not {value!r}", pointer
        )
    return value


def replicate_stage(stage: LockedStage, index: int, vary: Vary | Sequence[str] = ()) -> LockedStage:
    """Replicate ``index`` of ``stage`` (spec §13): a new stage whose seeds are that replicate's.

    Replicate 0 is ``stage`` itself. The result carries the replicate (``stage.replicate``), so its
    named streams, epochs, workers and JAX keys are the replicate's too."""
    check_index(index)
    resolved = vary if isinstance(vary, Vary) else resolve_vary(stage, vary)
    if index == 0:
        return replace(stage, replicate=Replicate(index=0, vary=resolved))
    fws = {}
    for name, fw in stage.frameworks.items():
        if name in resolved.frameworks:
            fw = replace(fw, seed=replicate_seed(fw.seed, index))
        elif name in resolved.streams:
            fw = replace(fw, varied_streams=resolved.streams[name], replicate=index)
        fws[name] = fw
    return replace(stage, frameworks=MappingProxyType(fws), replicate=Replicate(index=index, vary=resolved))


def replicate_seeds(stage: LockedStage) -> dict[str, Any]:
    """The seeds a replicate ran with, for its record: framework -> seed, and the varied streams."""
    out: dict[str, Any] = {"frameworks": {name: fw.seed for name, fw in stage.frameworks.items()}}
    streams = {name: sorted(fw.varied_streams) for name, fw in stage.frameworks.items() if fw.varied_streams}
    if streams:
        out["streams"] = streams
    return out


def parse_index(value: str, variable: str, code: str = "invalid-env-value") -> int:
    """A decimal replicate index from ``variable`` (``code``, by default ``invalid-env-value``, otherwise)."""
    if not _DECIMAL.fullmatch(value) or int(value) > SEED_MAX:
        raise SeedlockError(
            code,
            f"{variable}={value!r} is not a replicate index (a decimal integer in [0, {SEED_MAX}] or from-env)",
            "/replicate",
        )
    return int(value)


def task_index(env: Mapping[str, str]) -> tuple[int, str]:
    """The replicate index of this task and the variable it came from (``--replicate from-env``)."""
    for variable in TASK_INDEX_VARIABLES:
        value = env.get(variable, "")
        if value:
            return parse_index(value, variable), variable
    raise SeedlockError(
        "missing-environment",
        f"--replicate from-env needs the task index in one of {', '.join(TASK_INDEX_VARIABLES)} "
        f"(a Slurm array task, a Kubernetes Indexed Job, or seedlock's Ray engine)",
        "/replicate",
    )


def task_attempt(env: Mapping[str, str]) -> int:
    """This task's attempt, 0 for the first (a retry gets the same seeds; only its record differs)."""
    for variable in ATTEMPT_VARIABLES:
        value = env.get(variable, "")
        if value:
            if not _DECIMAL.fullmatch(value):
                raise SeedlockError(
                    "invalid-env-value", f"{variable}={value!r} is not a non-negative integer", "/attempt"
                )
            return int(value)
    return 0


def task_engine(env: Mapping[str, str]) -> str | None:
    """The engine that started this task: what seedlock's engines say, else Slurm or Kubernetes by
    their variables, else None (a task started by hand)."""
    if env.get(ENGINE_VARIABLE):
        return env[ENGINE_VARIABLE]
    if env.get("SLURM_JOB_ID"):
        return "slurm"
    if env.get("JOB_COMPLETION_INDEX"):
        return "kubernetes"
    return None


def task_coordinates(env: Mapping[str, str]) -> dict[str, Any]:
    """The task's engine, identifiers and attempt (a run's ``provenance.task``)."""
    engine = task_engine(env)
    out: dict[str, Any] = {"engine": engine or "none", "attempt": task_attempt(env)}
    for key, variable in TASK_FIELDS.get(engine or "", {}).items():
        if env.get(variable):
            out[key] = env[variable]
    return out


def replicate_environment(index: int, vary: Vary, group: str | None) -> dict[str, str]:
    """What ``seedlock run --replicate`` adds to the child's environment (spec §13)."""
    env = {REPLICATE_VARIABLE: str(index), VARY_VARIABLE: ",".join(vary.names)}
    if group:
        env[GROUP_VARIABLE] = group
    return env


def stage_from_environment(stage: LockedStage, env: Mapping[str, str]) -> LockedStage:
    """``stage`` as the environment says (``SEEDLOCK_REPLICATE``, ``SEEDLOCK_VARY``): itself when no
    replicate is set, else that replicate."""
    raw = env.get(REPLICATE_VARIABLE, "")
    if not raw:
        return stage
    return replicate_stage(stage, parse_index(raw, REPLICATE_VARIABLE), parse_vary_text(env.get(VARY_VARIABLE)))


def check_group(group: str, pointer: str = "/group") -> str:
    """A group name is a label (spec §1.4), so it is safe in file names, job names and URLs."""
    return check_label(group, pointer)


def new_group(stage: str) -> str:
    """A fresh group name when none is given: the stage and 8 random hex digits."""
    import secrets

    return f"{stage}-{secrets.token_hex(4)}"[:63]


__all__ = [
    "ATTEMPT_VARIABLES",
    "ENGINE_VARIABLE",
    "GROUP_VARIABLE",
    "METRICS_VARIABLE",
    "REPLICATE_VARIABLE",
    "TASK_INDEX_VARIABLES",
    "VARY_VARIABLE",
    "Replicate",
    "Vary",
    "check_group",
    "check_index",
    "new_group",
    "parse_index",
    "parse_vary_text",
    "replicate_environment",
    "replicate_seeds",
    "replicate_stage",
    "resolve_vary",
    "stage_from_environment",
    "task_attempt",
    "task_coordinates",
    "task_engine",
    "task_index",
]
