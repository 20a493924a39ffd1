"""Two-rank DistributedDataParallel training on CPU (gloo) over several epochs, launched by torchrun
(conformance workload).

Every rank applies its rank seed (spec §4.3) and enters each epoch with ``sampler.set_epoch(e)`` and
``session.seed_epoch(e)``; each rank's DataLoader runs 2 workers. Rank 0 writes, for the checks:

* ``init_r<r>_*`` / ``final_r<r>_*``: each rank's weights after DDP wrapped the model and at the end
  (ranks must agree);
* ``shard_e<e>_r<r>``: the indices rank ``r`` trained on in epoch ``e`` (disjoint across ranks, together
  every index: the ranks agree on the sampler's permutation; and a new permutation every epoch);
* ``global_e<e>_r<r>``: the first draws of the rank's global torch stream in the epoch, the stream
  dropout uses (must differ across ranks and epochs);
* ``aug_e<e>_r<r>_w<w>``: the augmentation stream of each worker (must all differ).

    seedlock run LOCK --stage torch-ddp -- torchrun --standalone --nproc-per-node 2 \\
        -m seedlock.workloads.torch_ddp OUTDIR
"""

from __future__ import annotations

import gc
import os
from typing import Any


class AugmentedData:
    def __init__(self, n: int) -> None:
        import torch

        g = torch.Generator().manual_seed(1)
        self.x = torch.randn(n, 8, generator=g)
        self.y = (self.x[:, 0] > 0).long()

    def __len__(self) -> int:
        return len(self.x)

    def __getitem__(self, i: int) -> Any:
        import torch
        from torch.utils.data import get_worker_info

        noise = torch.randn(8) * 0.1  # the augmentation stream of this worker
        info = get_worker_info()
        return self.x[i] + noise, self.y[i], noise[0], -1 if info is None else info.id


EPOCHS = 3


def main() -> None:
    import numpy as np
    import torch
    import torch.distributed as dist
    from torch.nn.parallel import DistributedDataParallel
    from torch.utils.data import DataLoader, DistributedSampler

    import seedlock
    from seedlock.workloads._common import out_dir, report_meta, save, vector_isa

    out = out_dir()
    rank, world = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
    torch.set_num_threads(1)
    dist.init_process_group("gloo")
    session = seedlock.apply_stage(seedlock.stage_from_env(), rank=rank)
    net = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Dropout(0.2), torch.nn.Linear(16, 2))
    model = DistributedDataParallel(net)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    data = AugmentedData(128)
    # The sampler's shuffle must agree across ranks: it takes the framework seed, not a rank seed.
    dataset: Any = data  # a map-style dataset without torch's base class
    sampler: Any = DistributedSampler(
        dataset, num_replicas=world, rank=rank, shuffle=True, seed=session.stage.seed_of("torch")
    )
    loader = DataLoader(
        dataset,
        batch_size=8,
        sampler=sampler,
        num_workers=2,
        worker_init_fn=session.worker_init_fn(),
        generator=session.torch_generator("loader"),
    )
    arrays: dict[str, Any] = _weights(net, f"init_r{rank}_")
    for epoch in range(EPOCHS):
        sampler.set_epoch(epoch)
        session.seed_epoch(epoch)
        arrays[f"global_e{epoch}_r{rank}"] = torch.rand(8).numpy()
        arrays[f"shard_e{epoch}_r{rank}"] = np.array(list(iter(sampler)))
        streams: dict[int, list[float]] = {}
        for x, y, noise, worker in loader:
            opt.zero_grad()
            torch.nn.functional.cross_entropy(model(x), y).backward()
            opt.step()
            for value, wid in zip(noise.tolist(), worker.tolist(), strict=False):
                streams.setdefault(int(wid), []).append(value)
        for wid, values in sorted(streams.items()):
            arrays[f"aug_e{epoch}_r{rank}_w{wid}"] = np.array(values[:32])
    arrays.update(_weights(net, f"final_r{rank}_"))
    gathered: list[Any] = [None] * world
    dist.all_gather_object(gathered, {"rank": rank, "arrays": arrays, "report": report_meta(session.report)})
    if rank == 0:
        merged = {k: v for item in gathered for k, v in item["arrays"].items()}
        save(
            out,
            merged,
            {
                "ranks": {str(i["rank"]): i["report"] for i in gathered},
                "world_size": world,
                "versions": {"torch": torch.__version__, "cpu": vector_isa()},
            },
        )
    dist.barrier()
    # torch's DDP Reducer holds the process group and is freed with the GIL held; were it the last
    # holder, ~ProcessGroupGloo would join gloo threads that wait for the GIL to free the all-gather's
    # tensors: a deadlock at exit in 5 runs of 82 (pytorch/pytorch#56297). Freeing the model while
    # the group is still registered leaves the last reference to destroy_process_group, whose binding
    # releases the GIL first.
    del model, opt
    gc.collect()
    dist.destroy_process_group()


def _weights(net: Any, prefix: str) -> dict[str, Any]:
    return {f"{prefix}{k.replace('.', '_')}": v.detach().numpy().copy() for k, v in sorted(net.state_dict().items())}


if __name__ == "__main__":
    main()
