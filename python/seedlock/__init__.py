"""seedlock: reproducible randomness for ML pipelines.

Load a manifest or lock, resolve seeds (environment, generation, derivation by name), and seed
python/numpy/torch/tensorflow/R per stage::

    import seedlock
    lock = seedlock.load("seedlock.json")                  # a manifest is resolved, a lock is read as is
    session = seedlock.apply_stage(lock.stage("train"))    # seeds only the frameworks the stage lists
    print(session.report)

Importing this package imports no framework, no numpy and no jsonschema: it only re-exports, and
every name is imported from its module on first use (PEP 562).

PYTEST_DONT_REWRITE: the package holds no asserts, and ``seedlock run`` imports it before pytest starts
(auto-seeding), so pytest, which marks the package of every plug-in for assertion rewriting, would warn.
"""

# `typing` alone costs several milliseconds to import; the CLI's fast paths must not pay for it.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from .locate import probe
    from .records.metrics import log_metric
    from .records.resolving import load, resolve
    from .seeding.session import (
        LOCK_VARIABLE,
        STAGE_VARIABLE,
        Session,
        apply_from_env,
        apply_stage,
        seeded,
        stage_from_env,
    )
    from .spec.derivation import derive, epoch_seed, loader_worker_seed, rank_seed, stream_seed, test_seed, worker_seed
    from .spec.documents import from_data, load_lock, load_manifest, parse, read
    from .spec.errors import CODES, SeedlockError
    from .spec.lock import FrameworkSeed, Lock, LockedStage, Resolved
    from .spec.manifest import Manifest, Stage
    from .spec.replicates import replicate_stage

# Public name -> the module that defines it.
_LAZY = {
    "__version__": "spec._version",
    "derive": "spec.derivation",
    "rank_seed": "spec.derivation",
    "worker_seed": "spec.derivation",
    "test_seed": "spec.derivation",
    "epoch_seed": "spec.derivation",
    "stream_seed": "spec.derivation",
    "loader_worker_seed": "spec.derivation",
    "parse": "spec.documents",
    "from_data": "spec.documents",
    "read": "spec.documents",
    "load": "records.resolving",
    "load_lock": "spec.documents",
    "load_manifest": "spec.documents",
    "resolve": "records.resolving",
    "CODES": "spec.errors",
    "SeedlockError": "spec.errors",
    "FrameworkSeed": "spec.lock",
    "Lock": "spec.lock",
    "LockedStage": "spec.lock",
    "Resolved": "spec.lock",
    "Manifest": "spec.manifest",
    "Stage": "spec.manifest",
    "probe": "locate",
    "log_metric": "records.metrics",
    "replicate_stage": "spec.replicates",
    "Session": "seeding.session",
    "apply_stage": "seeding.session",
    "apply_from_env": "seeding.session",
    "seeded": "seeding.session",
    "stage_from_env": "seeding.session",
    "LOCK_VARIABLE": "seeding.session",
    "STAGE_VARIABLE": "seeding.session",
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
    "loader_worker_seed",
    "log_metric",
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
