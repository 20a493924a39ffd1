"""Several epochs of an MLP with a 2-worker DataLoader, ``seed_epoch`` and checkpoints (conformance workload).

The full run trains ``EPOCHS`` epochs with the README pattern (``worker_init_fn``, a named shuffle
stream, ``session.seed_epoch(e)``) and saves two checkpoints: at the boundary before epoch
``RESUME_EPOCH`` (model and optimiser) and in the middle of epoch ``MID_EPOCH`` after ``MID_BATCHES``
batches (model, optimiser and ``session.state_dict()``, written with ``torch.save``). It then starts two
**fresh processes** of itself, which resume from those checkpoints (``--resume boundary|mid``) and
write their final weights. Outputs:

* ``final_*``: the full run's weights; ``resumed_boundary_*`` and ``resumed_mid_*``: the resumed runs'
  (must be equal to ``final_*``);
* ``aug_e<e>_w<w>``: the augmentation noise worker ``w`` drew in epoch ``e`` (must all differ:
  epochs and workers keep their own streams);
* ``losses``.

    seedlock run LOCK --stage torch -- python -m seedlock.workloads.torch_epochs OUTDIR
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path
from typing import Any

EPOCHS = 3
RESUME_EPOCH = 2
MID_EPOCH, MID_BATCHES = 1, 3
WORKERS = 2


class AugmentedData:
    """Fixed features; noise added per item inside the worker, from the worker's torch and numpy."""

    def __init__(self, n: int) -> None:
        import torch

        g = torch.Generator().manual_seed(0)
        self.x = torch.randn(n, 8, generator=g)
        self.y = (self.x.sum(dim=1) > 0).long()

    def __len__(self) -> int:
        return len(self.x)

    def __getitem__(self, i: int) -> Any:
        import numpy as np
        import torch
        from torch.utils.data import get_worker_info

        noise = torch.randn(8) * 0.1 + float(np.random.random()) * 0.01
        info = get_worker_info()
        return self.x[i] + noise, self.y[i], noise[0], -1 if info is None else info.id


def _setup(session: Any) -> tuple[Any, Any, Any]:
    import torch
    from torch.utils.data import DataLoader

    model = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Dropout(0.2), torch.nn.Linear(16, 2))
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    dataset: Any = AugmentedData(96)
    loader = DataLoader(
        dataset,
        batch_size=8,
        shuffle=True,
        num_workers=WORKERS,
        worker_init_fn=session.worker_init_fn(),
        generator=session.torch_generator("shuffle"),
    )
    return model, opt, loader


def _step(model: Any, opt: Any, batch: Any) -> float:
    import torch

    x, y, _, _ = batch
    opt.zero_grad()
    loss = torch.nn.functional.cross_entropy(model(x), y)
    loss.backward()
    opt.step()
    return float(loss.item())


def _weights(model: Any, prefix: str) -> dict[str, Any]:
    return {f"{prefix}{k.replace('.', '_')}": v.detach().numpy().copy() for k, v in sorted(model.state_dict().items())}


def _full(out: Path, session: Any) -> dict[str, Any]:
    import numpy as np
    import torch

    model, opt, loader = _setup(session)
    losses: list[float] = []
    aug: dict[str, list[float]] = {}
    for epoch in range(EPOCHS):
        if epoch == RESUME_EPOCH:
            torch.save({"model": model.state_dict(), "opt": opt.state_dict()}, out / "boundary.pt")
        session.seed_epoch(epoch)
        for step, batch in enumerate(loader):
            losses.append(_step(model, opt, batch))
            for value, worker in zip(batch[2].tolist(), batch[3].tolist(), strict=False):
                aug.setdefault(f"aug_e{epoch}_w{worker}", []).append(value)
            if (epoch, step + 1) == (MID_EPOCH, MID_BATCHES):
                torch.save(
                    {
                        "model": model.state_dict(),
                        "opt": opt.state_dict(),
                        "rng": session.state_dict(),
                        "epoch": epoch,
                        "done": step + 1,
                    },
                    out / "mid.pt",
                )
    return {**_weights(model, "final_"), **{k: np.array(v) for k, v in aug.items()}, "losses": np.array(losses)}


def _resume(out: Path, session: Any, how: str) -> None:
    import numpy as np
    import torch

    model, opt, loader = _setup(session)
    checkpoint = torch.load(out / f"{how}.pt", weights_only=True)
    model.load_state_dict(checkpoint["model"])
    opt.load_state_dict(checkpoint["opt"])
    if how == "boundary":
        first = RESUME_EPOCH
    else:
        # Re-enter the epoch, rebuild its batch order and worker seeds, skip what was done, restore the streams.
        epoch, done = checkpoint["epoch"], checkpoint["done"]
        session.seed_epoch(epoch)
        batches = iter(loader)
        for _ in range(done):
            next(batches)
        session.load_state_dict(checkpoint["rng"])
        for batch in batches:
            _step(model, opt, batch)
        first = epoch + 1
    for epoch in range(first, EPOCHS):
        session.seed_epoch(epoch)
        for batch in loader:
            _step(model, opt, batch)
    np.savez(out / f"resumed_{how}.npz", **_weights(model, f"resumed_{how}_"))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("--resume", choices=["boundary", "mid"])
    args = parser.parse_args(argv)

    import numpy as np
    import torch

    import seedlock
    from seedlock.workloads._common import report_meta, save, vector_isa

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(1)
    session = seedlock.apply_stage(seedlock.stage_from_env())
    if args.resume:
        _resume(out, session, args.resume)
        return
    arrays = _full(out, session)
    for how in ("boundary", "mid"):
        # A fresh process: nothing carries over but the lock (from the environment) and the checkpoint.
        subprocess.run([sys.executable, "-m", "seedlock.workloads.torch_epochs", str(out), "--resume", how], check=True)
        with np.load(out / f"resumed_{how}.npz") as data:
            arrays.update({k: data[k] for k in data.files})
    for name in ("boundary.pt", "mid.pt", "resumed_boundary.npz", "resumed_mid.npz"):
        (out / name).unlink()
    save(out, arrays, {**report_meta(session.report), "versions": {"torch": torch.__version__, "cpu": vector_isa()}})


if __name__ == "__main__":
    main()
