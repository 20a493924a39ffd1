"""Replicates (spec §12) as a conformance workload: ``seedlock run --replicate`` in fresh processes.

Run from the stage's lock, it starts the plain run, replicates 0-2 varying numpy and
replicates 0-2 with ``--vary data``, each a fresh ``seedlock run`` whose child records numpy's global
draws and the ``data`` and ``init`` streams. The case's structure check then holds: replicate 0 is
the plain run, ``--vary data`` changes only the data stream, and replicates differ from each other.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

_DRAW = "--draw"


def _draw(path: str) -> None:
    import numpy as np

    import seedlock

    session = seedlock.apply_from_env()
    row = {
        "global": np.random.random_sample(4).tolist(),
        "data": session.numpy_generator("data").random(4).tolist(),
        "init": session.numpy_generator("init").random(4).tolist(),
    }
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(row, handle)


def _run(lock: str, stage: str, out: str, name: str, extra: list[str]) -> dict[str, list[float]]:
    path = os.path.join(out, f"{name}.json")
    cmd = [
        sys.executable,
        "-m",
        "seedlock",
        "run",
        lock,
        "--stage",
        stage,
        *extra,
        "--",
        sys.executable,
        "-m",
        "seedlock.workloads.replicates",
        _DRAW,
        path,
    ]
    subprocess.run(cmd, check=True)
    with open(path, encoding="utf-8") as handle:
        return dict(json.load(handle))


def main() -> None:
    if sys.argv[1:2] == [_DRAW]:
        _draw(sys.argv[2])
        return
    from seedlock.workloads._common import out_dir, save

    out = out_dir()
    lock, stage = os.environ["SEEDLOCK_LOCK"], os.environ["SEEDLOCK_STAGE"]
    arrays: dict[str, list[float]] = {}
    # numpy named explicitly: a user's manifest may pin it, and the default holds pinned seeds (spec §12.1).
    runs: list[tuple[str, list[str]]] = [("plain", [])] + [
        (f"all_{k}", ["--replicate", str(k), "--vary", "numpy"]) for k in range(3)
    ]
    runs += [(f"data_{k}", ["--replicate", str(k), "--vary", "data"]) for k in range(3)]
    for name, extra in runs:
        for key, values in _run(lock, stage, str(out), name, extra).items():
            arrays[f"{name}_{key}"] = values
    save(out, arrays, {"runs": [name for name, _ in runs]})


if __name__ == "__main__":
    main()
