"""``session.seed_epoch(e)`` (spec §4.3, epochs): every epoch starts from seeds of its own.

Each listed framework is applied again with its epoch seed ``E = derive(P, "epoch", e)`` in place of
the process seed, and every stream the stage handed out (a DataLoader's ``generator=`` included) is
reseeded in place to ``derive(E, "stream", name)``. What epoch ``e`` draws then depends on ``e`` and
the lock only, so training resumed at an epoch boundary in a new process repeats the uninterrupted
run. JAX keys are values, not state, so nothing is reseeded for them: ``session.jax_key()`` follows the
epoch entered (its base becomes the epoch seed), and the report says so.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..spec.derivation import _index, epoch_seed
from .actions import ApplyReport
from .apply import apply_with_seeds
from .streams import StageRuntime, reseed, stream_seed_for

if TYPE_CHECKING:
    from ..spec.lock import LockedStage


def seed_epoch(stage: LockedStage, runtime: StageRuntime, epoch: int, *, strict: bool = False) -> ApplyReport:
    """Enter ``epoch`` in the process state ``runtime`` of ``stage``."""
    _index(epoch, "epoch")
    rank = runtime.rank
    seeds = {name: epoch_seed(fw.seed, epoch, rank) for name, fw in stage.frameworks.items()}
    # JAX keys are values the stage makes on request: `jax` reports that keys from now on are epoch
    # `epoch`'s (spec §6 jax), and runtime.epoch, set below, is what jax_key() reads.
    report = apply_with_seeds(stage, seeds, strict=strict, rank=rank, via="seed_epoch", epoch=epoch)
    numpy = stage.frameworks.get("numpy")
    bit_generator = numpy.settings["bit_generator"] if numpy is not None else "PCG64"
    for stream in runtime.streams:
        fw = stage.frameworks[stream.framework]
        reseed(
            stream,
            stream_seed_for(
                fw.seed,
                stream.name,
                rules=stage.rules,
                rank=stream.rank,
                epoch=epoch,
                replicate=fw.stream_replicate(stream.name),
            ),
            bit_generator,
        )
    runtime.epoch = epoch
    return report


__all__ = ["seed_epoch"]
