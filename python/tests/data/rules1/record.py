"""Records what a lock made by seedlock 0.1 (rules 1) produces; run once with that release on the path.

    PYTHONPATH=<seedlock 0.1>/python python python/tests/data/rules1/record.py python/tests/data/rules1

The outputs are what ``test_compat`` requires later releases to replay from ``lock.json``.
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path
from typing import Any

import numpy as np
import seedlock
import torch
from torch.utils.data import DataLoader


class Draws:
    def __len__(self) -> int:
        return 8

    def __getitem__(self, i: int) -> Any:
        return torch.tensor([float(np.random.random()), random.random(), torch.rand(1).item()], dtype=torch.float64)


def outputs(stage: Any) -> dict[str, Any]:
    torch.set_num_threads(1)
    session = seedlock.apply_stage(stage)
    out: dict[str, Any] = {
        "random": [random.random() for _ in range(3)],
        "numpy": np.random.random(3).tolist(),
        "torch": torch.rand(3, dtype=torch.float64).tolist(),
        "numpy_generator": session.numpy_generator().random(3).tolist(),
        "torch_generator": torch.rand(3, generator=session.torch_generator(), dtype=torch.float64).tolist(),
    }
    dataset: Any = Draws()
    loader = DataLoader(
        dataset,
        batch_size=2,
        shuffle=True,
        num_workers=2,
        worker_init_fn=session.worker_init_fn(),
        generator=session.torch_generator(),
    )
    out["epochs"] = [torch.cat(list(loader)).tolist() for _ in range(2)]
    return out


def main() -> None:
    directory = Path(sys.argv[1])
    if not (directory / "lock.json").exists():
        manifest = seedlock.Manifest.from_dict(
            {
                "version": "1.0",
                "seed": 11,
                "stages": {
                    "train": {"frameworks": ["python", "numpy", "torch"], "settings": {"python": {"hash_seed": False}}}
                },
            }
        )
        lock = seedlock.resolve(manifest, {}, provenance=False)
        (directory / "lock.json").write_text(json.dumps(lock.to_dict(), indent=1) + "\n")
    stage = seedlock.load_lock(directory / "lock.json").stage("train")
    (directory / "outputs.json").write_text(json.dumps(outputs(stage), indent=1) + "\n")


if __name__ == "__main__":
    main()
