"""seedlock: reproducible randomness for ML pipelines.

Load a manifest or lock, resolve seeds (environment, generation, derivation by name), and seed
python/numpy/torch/tensorflow/R per stage::

    import seedlock
    lock = seedlock.load("seedlock.json")                  # a manifest is resolved, a lock is read as is
    session = seedlock.apply_stage(lock.stage("train"))    # seeds only the frameworks the stage lists
    print(session.report)

Importing this package imports no framework, no numpy and no jsonschema: it only re-exports, and
every name is imported from its module on first use (PEP 562).
"""

from __future__ import annotations

__version__ = "0.1.0"

# `typing` alone costs several milliseconds to import; the CLI's fast paths must not pay for it.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from .derivation import derive, epoch_seed, loader_worker_seed, rank_seed, stream_seed, test_seed, worker_seed
    from .documents import from_data, load, load_lock, load_manifest, parse, read, resolve
    from .errors import CODES, SeedlockError
    from .locate import probe
    from .lock import FrameworkSeed, Lock, LockedStage, Resolved
    from .manifest import Manifest, Stage
    from .metrics import log_metric
    from .replicates import replicate_stage
    from .session import (LOCK_VARIABLE, STAGE_VARIABLE, Session, apply_from_env, apply_stage, seeded,
                          stage_from_env)

# Public name -> the module that defines it.
_LAZY = {
    "derive": "derivation", "rank_seed": "derivation", "worker_seed": "derivation", "test_seed": "derivation",
    "epoch_seed": "derivation", "stream_seed": "derivation", "loader_worker_seed": "derivation",
    "parse": "documents", "from_data": "documents", "read": "documents", "load": "documents",
    "load_lock": "documents", "load_manifest": "documents", "resolve": "documents",
    "CODES": "errors", "SeedlockError": "errors",
    "FrameworkSeed": "lock", "Lock": "lock", "LockedStage": "lock", "Resolved": "lock",
    "Manifest": "manifest", "Stage": "manifest", "probe": "locate",
    "log_metric": "metrics", "replicate_stage": "replicates",
    "Session": "session", "apply_stage": "session", "apply_from_env": "session", "seeded": "session",
    "stage_from_env": "session", "LOCK_VARIABLE": "session", "STAGE_VARIABLE": "session",
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


__all__ = [
    "CODES",
    "LOCK_VARIABLE",
    "STAGE_VARIABLE",
    "FrameworkSeed",
    "Lock",
    "LockedStage",
    "Manifest",
    "Resolved",
    "SeedlockError",
    "Session",
    "Stage",
    "__version__",
    "apply_from_env",
    "apply_stage",
    "derive",
    "epoch_seed",
    "from_data",
    "load",
    "load_lock",
    "load_manifest",
    "log_metric",
    "loader_worker_seed",
    "parse",
    "probe",
    "rank_seed",
    "read",
    "replicate_stage",
    "resolve",
    "seeded",
    "stage_from_env",
    "stream_seed",
    "test_seed",
    "worker_seed",
]
