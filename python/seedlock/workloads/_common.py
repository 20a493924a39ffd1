"""What every workload shares: seed from the environment, write outputs, record versions."""

from __future__ import annotations

import json
import os
import platform
import sys
from pathlib import Path
from typing import Any


def out_dir() -> Path:
    """The directory given as the first argument, where outputs go."""
    if len(sys.argv) < 2:
        raise SystemExit(f"usage: python -m {sys.argv[0]} OUTDIR (run under `seedlock run`)")
    path = Path(sys.argv[1])
    path.mkdir(parents=True, exist_ok=True)
    return path


def save(directory: Path, arrays: dict[str, Any], meta: dict[str, Any], name: str = "outputs") -> None:
    """``outputs.npz`` holds what must repeat; ``meta.json`` holds the framework's own draws at a fixed seed,
    versions, the report."""
    import numpy as np

    np.savez(directory / f"{name}.npz", **{k: np.asarray(v) for k, v in arrays.items()})  # type: ignore[arg-type]
    meta = {"python": platform.python_version(), **meta}
    (directory / f"{name}.meta.json").write_text(json.dumps(meta, indent=1, sort_keys=True))


def report_meta(report: Any) -> dict[str, Any]:
    return {
        "seeds": dict(report.seeds),
        "problems": [str(a) for a in report.failures],
        "actions": [str(a) for a in report.actions],
    }


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def vector_isa() -> str:
    """The widest x86 vector instruction set of this CPU (``AVX512`` with its extensions, e.g.
    ``AVX512+VNNI+BF16+FP16+AMX``; ``AVX2``, ``DEFAULT``), recorded
    with golden outputs of float workloads as a version they depend on: torch, XLA and oneDNN pick
    their CPU kernels by it, and sums taken in other vector widths round differently, so another CPU
    gives golden *drift*, not a failure. ``unknown`` where ``/proc/cpuinfo`` cannot tell."""
    try:
        lines = Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:
        return "unknown"
    flags = next((set(line.split(":", 1)[1].split()) for line in lines if line.startswith("flags")), None)
    if flags is None:
        return "unknown"
    if "avx512f" not in flags:
        return "AVX2" if "avx2" in flags else "DEFAULT"
    # Within AVX512, MKL and oneDNN pick other float kernels on CPUs with these extensions (an Ice Lake
    # and a Sapphire Rapids round a float32 training run differently in the last bits): name them too.
    extras = [
        name
        for flag, name in (
            ("avx512_vnni", "VNNI"),
            ("avx512_bf16", "BF16"),
            ("avx512_fp16", "FP16"),
            ("amx_tile", "AMX"),
        )
        if flag in flags
    ]
    return "+".join(["AVX512", *extras])
