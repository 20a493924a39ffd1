"""A small MLP trained on CPU with a 2-worker DataLoader, seeded from the stage (conformance workload).

Each sample gets random augmentation noise drawn inside the DataLoader worker, so the weights
depend on per-worker seeding (``worker_init_fn``) as well as on the model's initialisation.
"""

from __future__ import annotations

from typing import Any


class NoisyData:
    """Fixed features; noise added per item from the worker's torch generator."""

    def __init__(self, n: int) -> None:
        import torch

        g = torch.Generator().manual_seed(0)
        self.x = torch.randn(n, 16, generator=g)
        self.y = (self.x.sum(dim=1) > 0).long()

    def __len__(self) -> int:
        return len(self.x)

    def __getitem__(self, i: int) -> Any:
        import numpy as np
        import torch

        noise = torch.randn(16) * 0.1 + float(np.random.random()) * 0.01
        return self.x[i] + noise, self.y[i]


def main() -> None:
    import numpy as np
    import torch
    from torch.utils.data import DataLoader

    import seedlock
    from seedlock.workloads._common import env_int, out_dir, report_meta, save, vector_isa

    out = out_dir()
    session = seedlock.apply_from_env()
    torch.set_num_threads(1)
    model = torch.nn.Sequential(torch.nn.Linear(16, 32), torch.nn.ReLU(), torch.nn.Dropout(0.2), torch.nn.Linear(32, 2))
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    dataset: Any = NoisyData(256)  # a map-style dataset without torch's base class
    loader = DataLoader(
        dataset,
        batch_size=32,
        shuffle=True,
        num_workers=2,
        worker_init_fn=session.worker_init_fn(),
        generator=session.torch_generator("shuffle"),
        persistent_workers=True,
    )
    steps, losses = 0, []
    target = env_int("SEEDLOCK_TORCH_STEPS", 200)
    while steps < target:
        for x, y in loader:
            opt.zero_grad()
            loss = torch.nn.functional.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
            losses.append(loss.item())
            steps += 1
            if steps >= target:
                break
    weights = {f"w_{k.replace('.', '_')}": v.detach().numpy() for k, v in sorted(model.state_dict().items())}
    draws = {"torch.manual_seed_42": torch.rand(5, generator=torch.Generator().manual_seed(42)).tolist()}
    save(
        out,
        {**weights, "losses": np.array(losses)},
        {
            **report_meta(session.report),
            "framework_draws": draws,
            "versions": {"torch": torch.__version__, "cpu": vector_isa()},
            "device": "cpu",
        },
    )


if __name__ == "__main__":
    main()
