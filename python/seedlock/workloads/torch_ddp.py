"""Two-rank DistributedDataParallel training on CPU (gloo), launched by torchrun (conformance workload).

Every rank applies its rank seed (spec §4.3); each rank's DataLoader runs 2 workers seeded with
the worker seeds of that rank. Rank 0 writes the final weights and every (rank, worker)
augmentation stream, so the suite can check both repeatability and that the streams are distinct.

    seedlock run LOCK --stage torch-ddp -- torchrun --standalone --nproc-per-node 2 \\
        -m seedlock.workloads.torch_ddp OUTDIR
"""

from __future__ import annotations

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


def main() -> None:
    import numpy as np
    import torch
    import torch.distributed as dist
    from torch.nn.parallel import DistributedDataParallel
    from torch.utils.data import DataLoader, DistributedSampler

    import seedlock
    from seedlock.workloads._common import out_dir, report_meta, save

    out = out_dir()
    rank, world = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
    torch.set_num_threads(1)
    dist.init_process_group("gloo")
    report = seedlock.apply_from_env(rank=rank)
    stage = seedlock.load_lock(os.environ["SEEDLOCK_LOCK"]).stage(os.environ["SEEDLOCK_STAGE"])
    model = DistributedDataParallel(torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Linear(16, 2)))
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    data = AugmentedData(128)
    # The sampler's shuffle must agree across ranks: it takes the framework seed, not a rank seed.
    dataset: Any = data  # a map-style dataset without torch's base class
    sampler: Any = DistributedSampler(dataset, num_replicas=world, rank=rank, shuffle=True, seed=stage.seed_of("torch"))
    loader = DataLoader(dataset, batch_size=8, sampler=sampler, num_workers=2, worker_init_fn=stage.worker_init_fn(rank=rank))
    streams: dict[int, list[float]] = {}
    for epoch in range(2):
        sampler.set_epoch(epoch)
        for x, y, noise, worker in loader:
            opt.zero_grad()
            torch.nn.functional.cross_entropy(model(x), y).backward()
            opt.step()
            for value, wid in zip(noise.tolist(), worker.tolist()):
                streams.setdefault(int(wid), []).append(value)
    gathered: list[Any] = [None] * world
    dist.all_gather_object(gathered, {"rank": rank, "streams": streams, "report": report_meta(report)})
    if rank == 0:
        arrays: dict[str, Any] = {f"w_{k.replace('.', '_')}": v.detach().numpy()
                                  for k, v in sorted(model.module.state_dict().items())}
        for item in gathered:
            for wid, values in sorted(item["streams"].items()):
                arrays[f"aug_rank{item['rank']}_worker{wid}"] = np.array(values[:32])
        save(out, arrays, {"ranks": {str(i["rank"]): i["report"] for i in gathered}, "world_size": world,
                           "versions": {"torch": torch.__version__}})
    dist.barrier()
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
