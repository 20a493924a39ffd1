"""Two-rank DDP training (gloo, CPU) where rank 1 alone adds noise seeded by the OS to its batches from step 3."""

import gc
import os

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel


def main() -> None:
    torch.set_num_threads(1)
    dist.init_process_group("gloo")
    rank = dist.get_rank()
    torch.manual_seed(7)  # the same model on both ranks
    net = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Linear(16, 2))
    model = DistributedDataParallel(net)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    data = torch.Generator().manual_seed(100 + rank)
    noise = torch.Generator().manual_seed(int.from_bytes(os.urandom(7), "little"))
    for step in range(6):
        x = torch.randn(8, 8, generator=data)
        if rank == 1 and step >= 3:
            x = x + 0.1 * torch.randn(8, 8, generator=noise)
        loss = torch.nn.functional.cross_entropy(model(x), (x[:, 0] > 0).long())
        opt.zero_grad()
        loss.backward()
        opt.step()
    if rank == 0:
        torch.save(net.state_dict(), "out.pt")
    dist.barrier()
    # As in seedlock.workloads.torch_ddp: free DDP's reducer before the group, or exit can deadlock
    # (pytorch/pytorch#56297).
    del model, opt
    gc.collect()
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
