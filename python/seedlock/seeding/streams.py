"""Named streams (spec §4.3): the generator objects a stage hands out.

A stream is a numpy ``Generator`` or a torch ``Generator`` seeded with ``derive(B, "stream", name)``,
where the base ``B`` is the process seed ``P``, the epoch seed after ``seed_epoch``, or the worker
seed inside a DataLoader worker. Streams are never the global generator's stream (issue 11, defect
7), two names never share one, and the stage remembers every stream it handed out so that
``seed_epoch`` and ``worker_init_fn`` can reseed them in place — including the DataLoader's
``generator=`` that the loader keeps.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..spec.derivation import epoch_seed, loader_worker_seed, process_seed, stream_seed, worker_seed

if TYPE_CHECKING:
    from ..spec.lock import FrameworkSeed, LockedStage

#: The name of a stream requested without one (rules 2).
DEFAULT_STREAM = "default"


@dataclass(eq=False)
class Stream:
    """One generator a stage handed out: which framework, name and rank it was made for."""

    framework: str
    name: str | None
    rank: int | None
    generator: Any
    #: How many streams of the same framework, name and rank were handed out before this one.
    index: int = 0


@dataclass(eq=False)
class StageRuntime:
    """A stage's state in this process: the rank applied, the epoch entered, the streams handed out.
    A :class:`~seedlock.seeding.session.Session` owns one.

    Plain attributes only, so a ``worker_init_fn`` holding it pickles (spawned DataLoader workers)
    together with the dataset and keeps referring to the same generator objects.
    """

    rank: int | None = None
    epoch: int | None = None
    streams: list[Stream] = field(default_factory=list)
    #: Stream states from a loaded state dict whose streams are not handed out yet.
    pending: dict[tuple[str, str | None, int | None, int], Any] = field(default_factory=dict)

    def __getstate__(self) -> dict[str, Any]:
        # Pickled only for spawned DataLoader workers, together with the dataset: numpy streams travel
        # (and stay the dataset's objects); torch generators do not survive PyTorch's spawn pickling
        # (a dataset holding one fails in plain PyTorch too), and the loader's own stays in the parent.
        return {
            "rank": self.rank,
            "epoch": self.epoch,
            "pending": {},
            "streams": [s for s in self.streams if s.framework != "torch"],
        }

    def remember(self, stream: Stream) -> None:
        stream.index = sum(
            1 for s in self.streams if (s.framework, s.name, s.rank) == (stream.framework, stream.name, stream.rank)
        )
        self.streams.append(stream)
        if os.environ.get("SEEDLOCK_LOCATE"):  # `verify --locate`: a named stream's state is a probe for free
            from ..locate._record import watch_stream

            watch_stream(stream)
        state = self.pending.pop((stream.framework, stream.name, stream.rank, stream.index), None)
        if state is not None:
            restore_stream(stream, state)


def stream_seed_for(
    fw_seed: int, name: str | None, *, rules: int, rank: int | None, epoch: int | None, replicate: int = 0
) -> int:
    """Seed of stream ``name`` of a framework seed in the process of ``rank`` at ``epoch`` (spec §4.3);
    ``replicate``: the index a varied stream's label path carries in a replicate (spec §13)."""
    base = process_seed(fw_seed, rank) if epoch is None else epoch_seed(fw_seed, epoch, rank)
    return _below(base, name, rules, replicate)


def worker_base(fw_seed: int, worker: int, loader_seed: int, *, rules: int, rank: int | None) -> int:
    """The worker seed ``W`` (spec §4.3): per iterator under rules 2, constant under rules 1."""
    if rules == 1:
        return worker_seed(fw_seed, worker, rank or 0)
    return loader_worker_seed(fw_seed, worker, loader_seed, rank)


def _below(base: int, name: str | None, rules: int, replicate: int = 0) -> int:
    if name is None:
        # Rules 1 handed out the process seed itself: the global generator's stream (defect 7).
        return base if rules == 1 else stream_seed(base, DEFAULT_STREAM, replicate)
    return stream_seed(base, name, replicate)


def _rank(stage: LockedStage, runtime: StageRuntime, rank: int | None) -> int | None:
    if rank is not None or stage.rules == 1:
        return rank  # rules 1: a rank is only used when asked for, as in seedlock 0.1
    return runtime.rank


def _seed(
    stage: LockedStage, runtime: StageRuntime, fw: FrameworkSeed, name: str | None, rank: int | None, worker: Any
) -> tuple[int, bool]:
    """(seed, whether to remember the stream): worker streams belong to that worker only."""
    if worker is None:
        return stream_seed_for(
            fw.seed, name, rules=stage.rules, rank=rank, epoch=runtime.epoch, replicate=fw.stream_replicate(name)
        ), True
    wid, loader_seed = worker_identity(worker)
    base = worker_base(fw.seed, wid, loader_seed, rules=stage.rules, rank=rank)
    return _below(base, name, stage.rules, fw.stream_replicate(name)), False


def worker_identity(worker: Any) -> tuple[int, int]:
    """(worker id, loader seed) from PyTorch's ``WorkerInfo`` (``seed`` is ``base_seed + id``)."""
    try:
        wid, seed = int(worker.id), int(worker.seed)
    except AttributeError:
        raise TypeError(
            f"`worker` must be torch.utils.data.get_worker_info() inside a worker, not {worker!r}"
        ) from None
    return wid, seed - wid


def numpy_stream(stage: LockedStage, runtime: StageRuntime, name: str | None, *, rank: int | None, worker: Any) -> Any:
    """The numpy ``Generator`` of stream ``name`` (remembered in ``runtime`` unless it is a worker's)."""
    import numpy as np

    fw = stage.framework("numpy")
    rank = _rank(stage, runtime, rank)
    seed, remember = _seed(stage, runtime, fw, name, rank, worker)
    generator = np.random.Generator(getattr(np.random, fw.settings["bit_generator"])(seed))
    if remember:
        runtime.remember(Stream(framework="numpy", name=name, rank=rank, generator=generator))
    return generator


def torch_stream(stage: LockedStage, runtime: StageRuntime, name: str | None, *, rank: int | None, worker: Any) -> Any:
    """The CPU ``torch.Generator`` of stream ``name`` (remembered in ``runtime`` unless it is a worker's)."""
    import torch

    fw = stage.framework("torch")
    rank = _rank(stage, runtime, rank)
    seed, remember = _seed(stage, runtime, fw, name, rank, worker)
    generator = torch.Generator().manual_seed(seed)
    if remember:
        runtime.remember(Stream(framework="torch", name=name, rank=rank, generator=generator))
    return generator


def reseed(stream: Stream, seed: int, bit_generator: str = "PCG64") -> None:
    """Put ``stream``'s generator, in place, where a new one seeded with ``seed`` would start."""
    if stream.framework == "torch":
        stream.generator.manual_seed(seed)
    else:
        import numpy as np

        stream.generator.bit_generator.state = getattr(np.random, bit_generator)(seed).state


def restore_stream(stream: Stream, state: Any) -> None:
    """Put a stream back to a state :mod:`seedlock.seeding.checkpoint` captured (arrays as little-endian bytes)."""
    if stream.framework == "torch":
        import torch

        stream.generator.set_state(torch.frombuffer(bytearray(state), dtype=torch.uint8))
    else:
        stream.generator.bit_generator.state = _arrays(state)


def _arrays(value: Any) -> Any:
    if isinstance(value, Mapping):
        if "__array__" in value:
            import numpy as np

            return np.frombuffer(value["bytes"], dtype=value["__array__"]).copy()
        return {k: _arrays(v) for k, v in value.items()}
    return value


__all__ = [
    "DEFAULT_STREAM",
    "StageRuntime",
    "Stream",
    "numpy_stream",
    "reseed",
    "restore_stream",
    "stream_seed_for",
    "torch_stream",
    "worker_base",
    "worker_identity",
]
