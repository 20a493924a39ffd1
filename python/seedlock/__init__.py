"""seedlock: reproducible randomness for ML pipelines.

Load a manifest or lock, resolve seeds (environment, generation, derivation by name), and seed
python/numpy/torch/tensorflow/R per stage::

    import seedlock
    lock = seedlock.load("seedlock.json")          # a manifest is resolved, a lock is read as is
    report = lock.stage("train").apply()           # seeds only the frameworks the stage lists
    print(report)

Importing this package imports no framework, no numpy and no jsonschema.
"""

from __future__ import annotations

import os

__version__ = "0.1.0"

# `typing` alone costs several milliseconds to import; the CLI's fast paths must not pay for it.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

    from .applied import AppliedStage
    from .derivation import derive, epoch_seed, loader_worker_seed, rank_seed, stream_seed, worker_seed
    from .errors import CODES, SeedlockError
    from .locate import probe
    from .lock import FrameworkSeed, Lock, LockedStage, Resolved
    from .manifest import Manifest, Stage
    from .metrics import log_metric
    from .replicates import replicate_stage

# Public names resolved on first use (PEP 562), so `import seedlock` stays nearly free.
_LAZY = {
    "derive": "derivation", "rank_seed": "derivation", "worker_seed": "derivation", "test_seed": "derivation",
    "epoch_seed": "derivation", "stream_seed": "derivation", "loader_worker_seed": "derivation",
    "CODES": "errors", "SeedlockError": "errors",
    "FrameworkSeed": "lock", "Lock": "lock", "LockedStage": "lock", "Resolved": "lock",
    "Manifest": "manifest", "Stage": "manifest", "AppliedStage": "applied", "probe": "locate",
    "log_metric": "metrics", "replicate_stage": "replicates",
}


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'seedlock' has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))

LOCK_VARIABLE = "SEEDLOCK_LOCK"
STAGE_VARIABLE = "SEEDLOCK_STAGE"


def parse(data: bytes | str, *, path: str | None = None, schema: bool = False) -> Manifest | Lock:
    """Parse and validate a manifest or lock from JSON text (spec §1); ``schema`` also runs jsonschema.

    The hand-written validator decides (and gives the error codes); it rejects every document the
    JSON Schema rejects (a test proves it over the invalid vectors and the hostile corpus), so the
    schema, whose import alone costs more than seeding, runs only where asked (``seedlock validate``)."""
    from . import _json

    document = _json.loads(data)
    return from_data(document, path=path, schema=schema)


def from_data(document: Any, *, path: str | None = None, schema: bool = False) -> Manifest | Lock:
    """Validate already-parsed JSON data as a manifest or a lock (a lock has ``lock-version``)."""
    is_lock = isinstance(document, dict) and "lock-version" in document
    result: Manifest | Lock
    if is_lock:  # a lock needs no manifest module (one import less for every job that loads one)
        from .lock import Lock

        result = Lock.from_dict(document, path=path)
    else:
        from .manifest import Manifest

        result = Manifest.from_dict(document, path=path)
    if schema:
        from . import _schema

        _schema.check("lock" if is_lock else "manifest", document)
    return result


def read(path: str | os.PathLike[str], *, schema: bool = False) -> Manifest | Lock:
    """Read a manifest or a lock from a file without resolving anything."""
    from ._io import read_bytes
    from ._json import MAX_DOCUMENT_BYTES

    return parse(read_bytes(path, limit=MAX_DOCUMENT_BYTES), path=os.fspath(path), schema=schema)


def load_manifest(path: str | os.PathLike[str]) -> Manifest:
    """Read a manifest; a lock given here is ``not-a-manifest``."""
    from .errors import SeedlockError
    from .manifest import Manifest

    document = read(path)
    if not isinstance(document, Manifest):
        raise SeedlockError("not-a-manifest", f"{os.fspath(path)} is a lock, not a manifest", "/lock-version")
    return document


def load_lock(path: str | os.PathLike[str]) -> Lock:
    """Read a lock (validated and integrity-checked); a manifest given here is ``not-a-lock``."""
    from .errors import SeedlockError
    from .lock import Lock

    document = read(path)
    if not isinstance(document, Lock):
        raise SeedlockError("not-a-lock", f"{os.fspath(path)} is a manifest, not a lock", "/lock-version")
    return document


def load(path: str | os.PathLike[str], *, env: Mapping[str, str] | None = None) -> Lock:
    """Read a lock as is, or read and :func:`resolve` a manifest (with ``env``, default ``os.environ``)."""
    from .lock import Lock

    document = read(path)
    if isinstance(document, Lock):
        return document
    return resolve(document, env=env)


def resolve(manifest: Manifest, env: Mapping[str, str] | None = None, *, provenance: bool = True,
            strict: bool = False) -> Lock:
    """Resolve a manifest into a lock, recording provenance (versions, git, CI) unless disabled.

    A ``SEEDLOCK_SEED_*`` variable that matches no stage is a warning, with ``strict`` an error
    (``unknown-stage-variable``)."""
    from . import provenance as _prov
    from .resolution import resolve as _resolve

    env_map = os.environ if env is None else env
    record = None
    if provenance:
        frameworks = {fw for stage in manifest.stages.values() for fw in stage.frameworks}
        record = _prov.collect(frameworks, manifest_path=manifest.path, env=env_map, inputs=manifest.inputs,
                               params=manifest.params, allow_external_paths=manifest.allow_external_paths)
    return _resolve(manifest, env_map, provenance=record, strict=strict)


def stage_from_env() -> LockedStage:
    """The stage ``seedlock run`` started this process with (``$SEEDLOCK_LOCK``, ``$SEEDLOCK_STAGE``),
    as the replicate ``seedlock run --replicate`` set (``$SEEDLOCK_REPLICATE``, ``$SEEDLOCK_VARY``, spec §13)."""
    from .errors import SeedlockError

    lock_path = os.environ.get(LOCK_VARIABLE)
    stage = os.environ.get(STAGE_VARIABLE)
    if not lock_path or not stage:
        missing = " and ".join(v for v, value in ((LOCK_VARIABLE, lock_path), (STAGE_VARIABLE, stage)) if not value)
        verb = "are" if " and " in missing else "is"
        raise SeedlockError(
            "missing-environment",
            f"{missing} {verb} not set: run this program with `seedlock run LOCK --stage STAGE -- COMMAND`",
        )
    locked = load_lock(lock_path).stage(stage)
    if os.environ.get("SEEDLOCK_REPLICATE"):
        from .replicates import stage_from_environment

        return stage_from_environment(locked, os.environ)
    return locked


def apply_from_env(*, strict: bool = False, rank: int | None = None) -> AppliedStage:
    """Seed this process from ``$SEEDLOCK_LOCK`` and ``$SEEDLOCK_STAGE`` (set by ``seedlock run``).

    Returns the stage with the report of applying it: ``.ok``, ``.failures``, ``.actions``,
    ``.seeds`` and ``str()`` read as the report does, ``stage, report = apply_from_env()`` unpacks,
    and ``.worker_init_fn()`` / ``.numpy_generator()`` / ``.torch_generator()`` use the same rank.
    Under ``seedlock run``'s auto-seeding this re-seeds every framework the stage lists at the point
    of the call (with the same seeds): what the program asks for.
    """
    from .applied import AppliedStage

    stage = stage_from_env()
    if os.environ.get("SEEDLOCK_RUN_CHECKED") != "1":
        _check_start(stage.name, strict=strict)  # started outside `seedlock run`, which checks itself
    report = stage.apply(strict=strict, rank=rank)
    _control_seedless(stage.name, report.seeds, strict=strict)
    from . import _autoseed, _intercept  # the program's own seeding calls after this one (issue 18 item 2)

    _autoseed.watch_forks(report.seeds, stage.name, strict or os.environ.get("SEEDLOCK_STRICT") == "1")

    _intercept.start(stage.name, report.seeds, via="apply",
                     strict=strict or os.environ.get("SEEDLOCK_STRICT") == "1",
                     takeover=_intercept.takeover_requested() or bool(stage.take_over))
    return AppliedStage(stage=stage, report=report, rank=rank)


def _control_seedless(stage: str, seeds: Mapping[str, int], *, strict: bool) -> None:
    """Generators the program makes without a seed from here on follow the lock (spec §6.3), with the
    process seeds just applied as their base; the count goes on where auto-seeding left it."""
    from . import _seedless

    for framework in _seedless.FRAMEWORKS:
        if framework in seeds:
            _seedless.control(framework, seeds[framework], stage=stage, via="apply", strict=strict)


def _check_start(stage: str, *, strict: bool) -> None:
    """Inputs and setup against the lock's provenance (spec §5.3): warnings, or ``lock-mismatch`` if strict."""
    import sys

    from .runcheck import base_directory, check_start

    lock_path = os.environ[LOCK_VARIABLE]
    doc = load_lock(lock_path).to_dict()
    check = check_start(doc, stage, base=base_directory(doc, lock_path), lock_path=lock_path)
    if strict:
        check.raise_if_any(lock_path)
    for line in check.warnings(stage):
        print(f"seedlock: {line}", file=sys.stderr)


__all__ = [
    "CODES",
    "AppliedStage",
    "LOCK_VARIABLE",
    "STAGE_VARIABLE",
    "FrameworkSeed",
    "Lock",
    "LockedStage",
    "Manifest",
    "Resolved",
    "SeedlockError",
    "Stage",
    "__version__",
    "apply_from_env",
    "derive",
    "epoch_seed",
    "from_data",
    "load",
    "load_lock",
    "load_manifest",
    "log_metric",
    "loader_worker_seed",
    "parse",
    "rank_seed",
    "read",
    "replicate_stage",
    "resolve",
    "stage_from_env",
    "stream_seed",
    "worker_seed",
]
