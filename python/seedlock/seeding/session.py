"""A stage applied in this process: the one object that owns process state (spec §4.3, §6).

:class:`~seedlock.spec.lock.LockedStage` is lock data. Applying it (:func:`apply_stage`,
:func:`apply_from_env`, :func:`seeded`) seeds the frameworks it lists and returns a :class:`Session`:
what applying did (``report``), the rank applied, the epoch entered, the streams handed out, and
everything that reads or changes that state — named streams, ``worker_init_fn``, ``seed_epoch``,
``state_dict`` / ``load_state_dict``, ``keras_callback`` and JAX keys. Two sessions of one stage
share nothing but the stage.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from ..spec.derivation import process_seed
from ..spec.errors import SeedlockError
from .streams import StageRuntime

if TYPE_CHECKING:
    from ..spec.lock import Lock, LockedStage
    from .actions import ApplyReport
    from .workers import WorkerInit

LOCK_VARIABLE = "SEEDLOCK_LOCK"
STAGE_VARIABLE = "SEEDLOCK_STAGE"


class Session:
    """A stage in this process: what applying it did, the rank applied, the epoch entered and the
    streams handed out. Made by :func:`apply_stage`, :func:`apply_from_env` or :func:`seeded`."""

    def __init__(self, stage: LockedStage, report: ApplyReport, *, rank: int | None = None) -> None:
        #: The lock data this session seeds from.
        self.stage = stage
        #: What applying the stage did (``ok``, ``failures``, ``actions``, ``print(report)``).
        self.report = report
        self._runtime = StageRuntime(rank=rank)

    def __repr__(self) -> str:
        return f"Session(stage={self.stage.name!r}, rank={self.rank!r}, epoch={self.epoch!r})"

    @property
    def rank(self) -> int | None:
        """The rank applied (None: not distributed); a loaded state dict sets it."""
        return self._runtime.rank

    @property
    def epoch(self) -> int | None:
        """The epoch entered by :meth:`seed_epoch` or a loaded state dict (None: none yet)."""
        return self._runtime.epoch

    @property
    def seeds(self) -> dict[str, int]:
        """The process seed of every framework the stage lists (its rank seed with a rank)."""
        return {name: process_seed(fw.seed, self.rank) for name, fw in self.stage.frameworks.items()}

    def seed_of(self, framework_name: str) -> int:
        """The process seed of one framework (its rank seed with a rank; ``framework-not-in-stage``)."""
        return process_seed(self.stage.framework(framework_name).seed, self.rank)

    def numpy_generator(self, name: str | None = None, *, rank: int | None = None, worker: Any = None) -> Any:
        """The numpy ``Generator`` of the stream ``name`` (spec §4.3), on the stage's bit generator.

        Streams are distinct from the global generator and from each other; :meth:`seed_epoch` and
        :meth:`worker_init_fn` reseed them. ``rank`` asks for another rank's stream than the one applied;
        ``worker`` (PyTorch's ``get_worker_info()`` inside a DataLoader worker) gives that worker's stream.
        """
        from .streams import numpy_stream

        return numpy_stream(self.stage, self._runtime, name, rank=rank, worker=worker)

    def torch_generator(self, name: str | None = None, *, rank: int | None = None, worker: Any = None) -> Any:
        """The CPU ``torch.Generator`` of the stream ``name`` (spec §4.3), e.g. a DataLoader's
        ``generator=``; distinct from ``torch``'s global generator and reseeded by :meth:`seed_epoch`."""
        from .streams import torch_stream

        return torch_stream(self.stage, self._runtime, name, rank=rank, worker=worker)

    def worker_init_fn(self, *, rank: int | None = None) -> WorkerInit:
        """A picklable DataLoader ``worker_init_fn`` seeding python/numpy/torch and this session's streams
        in each worker, per worker, rank and iterator (spec §4.3)."""
        from .workers import worker_init

        return worker_init(self.stage, self._runtime, rank=rank)

    def seed_epoch(self, epoch: int, *, strict: bool = False) -> ApplyReport:
        """Enter epoch ``epoch``: seed every listed framework with its epoch seed and reseed every stream
        handed out (spec §4.3), so that an epoch draws the same numbers however the run got there."""
        from .epochs import seed_epoch

        return seed_epoch(self.stage, self._runtime, epoch, strict=strict)

    def state_dict(self) -> dict[str, Any]:
        """Every generator state the session owns, as plain data for ``torch.save`` (spec §6.2)."""
        from .checkpoint import state_dict

        return state_dict(self.stage, self._runtime)

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore what :meth:`state_dict` captured, so a resumed run continues the same streams."""
        from .checkpoint import load_state_dict

        load_state_dict(self.stage, self._runtime, state)

    def keras_callback(self) -> Any:
        """A ``keras.callbacks.Callback`` calling :meth:`seed_epoch` at the start of every epoch of ``fit``."""
        from .keras_callback import seed_epoch_callback

        return seed_epoch_callback(self.stage, self._runtime)

    def jax_key(self, name: str | None = None, *, rank: int | None = None, worker: int | None = None) -> Any:
        """A new-style typed JAX key (``jax.random.key``) on the stage's PRNG implementation (spec §6
        ``jax``). JAX has no global RNG: take keys from the session and split them.

        ``name`` gives the key of a named stream (``"init"``, ``"dropout"``, …): names never share a
        key. ``rank`` gives that rank's key; without it the key is the same in every process, whatever
        rank was applied (JAX programs are SPMD: a computation over global arrays needs the same key
        everywhere, and JAX splits it across devices itself). ``worker`` gives a data-loading worker's
        key (of rank 0 when not distributed). After :meth:`seed_epoch` the keys are the epoch's: take
        them from the session again in every epoch (a key taken earlier is a value and keeps its
        draws). Without a name, outside any epoch, the key is ``jax.random.key`` of the process seed.

        The raw-key form is ``jax.random.PRNGKey(session.jax_seed(name, rank=r, worker=w))``.
        """
        from ..frameworks import jax as _jax

        return _jax.key(self.jax_seed(name, rank=rank, worker=worker), self.stage.framework("jax").settings)

    def jax_seed(self, name: str | None = None, *, rank: int | None = None, worker: int | None = None) -> int:
        """The seed of :meth:`jax_key` with the same arguments, for ``jax.random.PRNGKey`` (raw keys)."""
        from ..frameworks.jax import key_seed

        fw = self.stage.framework("jax")
        replicate = fw.stream_replicate(name) if name is not None else 0
        if replicate:  # a varied key of a replicate (spec §12); otherwise the plain call
            return key_seed(fw.seed, name, rank=rank, worker=worker, epoch=self.epoch, replicate=replicate)
        return key_seed(fw.seed, name, rank=rank, worker=worker, epoch=self.epoch)


def apply_stage(stage: LockedStage, *, strict: bool = False, rank: int | None = None) -> Session:
    """Seed exactly the frameworks ``stage`` lists, importing only those, and return the session.

    ``session.report`` says what was applied and what was not; with ``strict`` anything not applied
    raises ``not-applied``. With ``rank`` every framework uses its rank seed, and (rules 2) the
    session's streams, epochs and workers are those of that rank.
    """
    from .apply import seed_stage

    return Session(stage, seed_stage(stage, strict=strict, rank=rank), rank=rank)


@contextlib.contextmanager
def seeded(stage: LockedStage, *, strict: bool = False, rank: int | None = None) -> Iterator[Session]:
    """:func:`apply_stage`, and on exit restore every RNG state and flag the stage touched."""
    from .apply import saved_state

    with saved_state(stage.frameworks):
        yield apply_stage(stage, strict=strict, rank=rank)


def stage_from_env() -> LockedStage:
    """The stage ``seedlock run`` started this process with (``$SEEDLOCK_LOCK``, ``$SEEDLOCK_STAGE``),
    as the replicate ``seedlock run --replicate`` set (``$SEEDLOCK_REPLICATE``, ``$SEEDLOCK_VARY``, spec §13)."""
    return _from_env()[1]


def _from_env() -> tuple[Lock, LockedStage]:
    from ..spec.documents import load_lock

    lock_path = os.environ.get(LOCK_VARIABLE)
    stage = os.environ.get(STAGE_VARIABLE)
    if not lock_path or not stage:
        missing = " and ".join(v for v, value in ((LOCK_VARIABLE, lock_path), (STAGE_VARIABLE, stage)) if not value)
        verb = "are" if " and " in missing else "is"
        raise SeedlockError(
            "missing-environment",
            f"{missing} {verb} not set: run this program with `seedlock run LOCK --stage STAGE -- COMMAND`",
        )
    lock = load_lock(lock_path)
    locked = lock.stage(stage)
    if os.environ.get("SEEDLOCK_REPLICATE"):
        from ..spec.replicates import stage_from_environment

        return lock, stage_from_environment(locked, os.environ)
    return lock, locked


def apply_from_env(*, strict: bool = False, rank: int | None = None) -> Session:
    """Seed this process from ``$SEEDLOCK_LOCK`` and ``$SEEDLOCK_STAGE`` (set by ``seedlock run``).

    Returns the :class:`Session` (``session.report``, ``session.numpy_generator()``, ...). Under
    ``seedlock run``'s auto-seeding this re-seeds every framework the stage lists at the point of the
    call (with the same seeds): what the program asks for.
    """
    lock, stage = _from_env()  # the lock is read once, for the stage and for the start-of-run check
    if os.environ.get("SEEDLOCK_RUN_CHECKED") != "1":
        _check_start(lock, stage.name, strict=strict)  # started outside `seedlock run`, which checks itself
    session = apply_stage(stage, strict=strict, rank=rank)
    seeds = session.seeds
    _control_seedless(stage.name, seeds, strict=strict)
    from . import _autoseed, _intercept  # the program's own seeding calls after this one (issue 18 item 2)

    _autoseed.watch_forks(seeds, stage.name, strict or os.environ.get("SEEDLOCK_STRICT") == "1")
    _intercept.start(
        stage.name,
        seeds,
        via="apply",
        strict=strict or os.environ.get("SEEDLOCK_STRICT") == "1",
        takeover=_intercept.takeover_requested() or bool(stage.take_over),
    )
    return session


def _control_seedless(stage: str, seeds: Mapping[str, int], *, strict: bool) -> None:
    """Generators the program makes without a seed from here on follow the lock (spec §6.3), with the
    process seeds just applied as their base; the count goes on where auto-seeding left it."""
    from . import _seedless

    for framework in _seedless.FRAMEWORKS:
        if framework in seeds:
            _seedless.control(framework, seeds[framework], stage=stage, via="apply", strict=strict)


def _check_start(lock: Lock, stage: str, *, strict: bool) -> None:
    """Inputs and setup against the lock's provenance (spec §5.3): warnings, or ``lock-mismatch`` if strict."""
    import sys

    from ..seeding.runcheck import base_directory, check_start

    lock_path = os.environ[LOCK_VARIABLE]
    doc = lock.to_dict()
    check = check_start(doc, stage, base=base_directory(doc, lock_path), lock_path=lock_path)
    if strict:
        check.raise_if_any(lock_path)
    for line in check.warnings(stage):
        print(f"seedlock: {line}", file=sys.stderr)


__all__ = ["LOCK_VARIABLE", "STAGE_VARIABLE", "Session", "apply_from_env", "apply_stage", "seeded", "stage_from_env"]
