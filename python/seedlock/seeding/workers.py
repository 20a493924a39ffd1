"""DataLoader ``worker_init_fn`` (spec §4.3, data-loader workers).

PyTorch already seeds ``random``, ``torch`` and numpy in every worker from ``base_seed + worker_id``,
where ``base_seed`` is drawn from the loader's ``generator=`` for every iterator (every epoch) unless
``persistent_workers=True``. The initialiser keeps that per-iterator variation — under rules 2 it
derives each worker's seeds from the iterator's ``base_seed`` (``torch.initial_seed() - worker_id``)
— and adds what PyTorch cannot know: distinct seeds per framework and per rank, and fresh states for
the numpy and torch streams the stage handed out, which every worker would otherwise hold as
identical copies (issue 11, defect 5). Rules 1 (locks made before) seeds workers from constants, as
seedlock 0.1 did, so those locks replay what they recorded.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .streams import StageRuntime, _below, reseed, worker_base

if TYPE_CHECKING:
    from ..spec.lock import LockedStage

#: What a worker initialiser seeds, in this order.
WORKER_FRAMEWORKS = ("python", "numpy", "torch")


@dataclass(frozen=True)
class WorkerInit:
    """DataLoader ``worker_init_fn`` for one stage in the process of ``rank`` (picklable)."""

    seeds: Mapping[str, int]
    rank: int | None = None
    rules: int = 2
    bit_generator: str = "PCG64"
    #: Framework -> (stream names, replicate index) of the streams a replicate varies (spec §13).
    varied: Mapping[str, tuple[frozenset[str], int]] = field(default_factory=dict)
    # The stage's live streams in this process: state, not part of what the initialiser is.
    runtime: StageRuntime | None = field(default=None, compare=False)

    def seeds_for(self, worker_id: int, loader_seed: int) -> dict[str, int]:
        """Framework → worker seed ``W`` for worker ``worker_id`` of an iterator with ``loader_seed``."""
        return {
            name: worker_base(seed, worker_id, loader_seed, rules=self.rules, rank=self.rank)
            for name, seed in self.seeds.items()
            if name in WORKER_FRAMEWORKS
        }

    def __call__(self, worker_id: int) -> None:
        loader_seed = 0
        if self.rules != 1:
            import torch

            # torch.initial_seed() in a worker is base_seed + worker_id (torch/utils/data/_utils/worker.py).
            loader_seed = torch.initial_seed() - worker_id
        seeds = self.seeds_for(worker_id, loader_seed)
        if "python" in seeds:
            random.seed(seeds["python"])
        if "numpy" in seeds:
            import numpy as np

            np.random.seed(seeds["numpy"])
        if "torch" in seeds:
            import torch

            torch.manual_seed(seeds["torch"])
        if self.rules == 1 or self.runtime is None:
            return
        for stream in self.runtime.streams:
            if stream.framework in seeds:
                names, index = self.varied.get(stream.framework, (frozenset(), 0))
                varied = index if ("default" if stream.name is None else stream.name) in names else 0
                reseed(stream, _below(seeds[stream.framework], stream.name, self.rules, varied), self.bit_generator)


def worker_init(stage: LockedStage, runtime: StageRuntime, *, rank: int | None) -> WorkerInit:
    """The initialiser of ``stage``'s workers in the process state ``runtime`` (its rank unless ``rank``)."""
    if stage.rules == 1:
        return WorkerInit(seeds=dict(stage.seeds), rank=rank or 0, rules=1)
    numpy = stage.frameworks.get("numpy")
    return WorkerInit(
        seeds=dict(stage.seeds),
        rank=runtime.rank if rank is None else rank,
        rules=stage.rules,
        bit_generator=numpy.settings["bit_generator"] if numpy is not None else "PCG64",
        varied={name: (fw.varied_streams, fw.replicate) for name, fw in stage.frameworks.items() if fw.varied_streams},
        # The live runtime, not a copy: streams handed out after this call (the loader's own
        # generator=) are reseeded too.
        runtime=runtime,
    )


__all__ = ["WORKER_FRAMEWORKS", "WorkerInit", "worker_init"]
