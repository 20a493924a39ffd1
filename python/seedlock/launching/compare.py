"""Comparing the outputs of two runs: identical, or exactly where and by how much they differ.

Understands .npz/.npy (arrays), .json (keys and values), .csv (cells), .pt (torch tensors and
state dicts), .h5/.hdf5 (datasets); anything else is compared byte for byte. Directories are
compared file by file.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Difference:
    """One way two outputs differ."""

    where: str
    what: str

    def __str__(self) -> str:
        return f"{self.where}: {self.what}"


def compare_paths(a: Path, b: Path, label: str = "") -> list[Difference]:
    """Differences between two files or directories (empty when identical)."""
    label = label or a.name
    if not a.exists() or not b.exists():  # before the directory test: a missing side is no "file"
        return [Difference(label, f"missing in the {'first' if not a.exists() else 'second'} run")]
    if a.is_dir() or b.is_dir():
        if not (a.is_dir() and b.is_dir()):
            return [Difference(label, "a directory in one run, a file in the other")]
        names_a = {p.relative_to(a) for p in a.rglob("*") if p.is_file()}
        names_b = {p.relative_to(b) for p in b.rglob("*") if p.is_file()}
        out = [Difference(f"{label}/{n}", "only in the first run") for n in sorted(names_a - names_b)]
        out += [Difference(f"{label}/{n}", "only in the second run") for n in sorted(names_b - names_a)]
        for name in sorted(names_a & names_b):
            out += compare_paths(a / name, b / name, f"{label}/{name}")
        return out
    if a.read_bytes() == b.read_bytes():
        return []
    suffix = a.suffix.lower()
    try:
        if suffix in (".npz", ".npy"):
            return _compare_mappings(_load_numpy(a), _load_numpy(b), label)
        if suffix == ".json":
            return _compare_values(json.loads(a.read_text()), json.loads(b.read_text()), label)
        if suffix == ".csv":
            return _compare_csv(a, b, label)
        if suffix == ".pt":
            return _compare_values(_load_torch(a), _load_torch(b), label)
        if suffix in (".h5", ".hdf5"):
            return _compare_mappings(_load_h5(a), _load_h5(b), label)
    except Exception as exc:  # a file that fails to load is still a difference: say why
        return [Difference(label, f"bytes differ; could not load as {suffix}: {type(exc).__name__}: {exc}")]
    return [Difference(label, f"bytes differ ({a.stat().st_size} vs {b.stat().st_size} bytes)")]


def _load_numpy(path: Path) -> dict[str, Any]:
    import numpy as np

    loaded = np.load(path, allow_pickle=False)
    if isinstance(loaded, np.ndarray):
        return {"": loaded}
    with loaded:
        return {k: loaded[k] for k in loaded.files}


def _load_torch(path: Path) -> Any:
    import torch

    return torch.load(path, map_location="cpu", weights_only=True)


def _load_h5(path: Path) -> dict[str, Any]:
    import h5py

    out: dict[str, Any] = {}
    with h5py.File(path, "r") as handle:
        handle.visititems(lambda name, obj: out.__setitem__(name, obj[()]) if isinstance(obj, h5py.Dataset) else None)
    return out


def compare_values(a: Any, b: Any, label: str) -> list[Difference]:
    """Differences between two loaded values (dicts, lists, arrays, tensors, scalars)."""
    return _compare_values(a, b, label)


def _compare_mappings(a: dict[str, Any], b: dict[str, Any], label: str) -> list[Difference]:
    out = [Difference(f"{label}[{k}]", "only in the first run") for k in sorted(set(a) - set(b))]
    out += [Difference(f"{label}[{k}]", "only in the second run") for k in sorted(set(b) - set(a))]
    for key in sorted(set(a) & set(b)):
        out += _compare_values(a[key], b[key], f"{label}[{key}]" if key != "" else label)
    return out


def _compare_values(a: Any, b: Any, label: str) -> list[Difference]:
    if isinstance(a, dict) and isinstance(b, dict):
        return _compare_mappings(a, b, label)
    if _is_array_like(a) and _is_array_like(b):
        return _compare_arrays(a, b, label)
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        out: list[Difference] = []
        for i, (x, y) in enumerate(zip(a, b, strict=False)):
            out += _compare_values(x, y, f"{label}[{i}]")
        return out
    if a == b and type(a) is type(b):
        return []
    return [Difference(label, f"{_short(a)} != {_short(b)}")]


def _is_array_like(x: Any) -> bool:
    if hasattr(x, "shape") and hasattr(x, "dtype"):
        return True
    return (
        isinstance(x, list)
        and bool(x)
        and all(isinstance(v, (int, float, str)) and not isinstance(v, bool) for v in x)
        and all(_numeric(v) is not None for v in x)
    )


def _numeric(v: Any) -> float | None:
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def _compare_arrays(a: Any, b: Any, label: str) -> list[Difference]:
    import numpy as np

    x = np.asarray(a.detach().cpu().numpy() if hasattr(a, "detach") else a)
    y = np.asarray(b.detach().cpu().numpy() if hasattr(b, "detach") else b)
    if x.dtype.kind in "US":
        x, y = x.astype(np.float64), y.astype(np.float64) if y.dtype.kind in "US" else y
    if x.shape != y.shape:
        return [Difference(label, f"shape {x.shape} != {y.shape}")]
    if x.dtype != y.dtype:
        return [Difference(label, f"dtype {x.dtype} != {y.dtype}")]
    if x.dtype.kind in "fc":
        same = (x == y) | (np.isnan(x) & np.isnan(y))
    else:
        same = x == y
    if bool(np.all(same)):
        return []
    bad = np.argwhere(~same)
    first = tuple(int(i) for i in bad[0])
    detail = f"{len(bad)} of {x.size} elements differ; first at {first}: {_item(x[first])} != {_item(y[first])}"
    if x.dtype.kind in "fciu":
        diff = np.abs(x.astype(np.float64) - y.astype(np.float64))
        detail += f"; max abs difference {float(np.nanmax(diff)):.6g}"
    return [Difference(label, detail)]


def _compare_csv(a: Path, b: Path, label: str) -> list[Difference]:
    with open(a, newline="") as fa, open(b, newline="") as fb:
        rows_a, rows_b = list(csv.reader(fa)), list(csv.reader(fb))
    if len(rows_a) != len(rows_b):
        return [Difference(label, f"{len(rows_a)} rows != {len(rows_b)} rows")]
    cells = [
        (r, c, x, y)
        for r, (ra, rb) in enumerate(zip(rows_a, rows_b, strict=False))
        for c, (x, y) in enumerate(zip(ra + [""] * (len(rb) - len(ra)), rb + [""] * (len(ra) - len(rb)), strict=False))
        if x != y
    ]
    if not cells:
        return []
    r, c, x, y = cells[0]
    detail = f"{len(cells)} cells differ; first at row {r + 1}, column {c + 1}: {x!r} != {y!r}"
    numeric = [
        abs(_numeric(x2) - _numeric(y2))  # type: ignore[operator]
        for _, _, x2, y2 in cells
        if _numeric(x2) is not None and _numeric(y2) is not None
    ]
    if numeric:
        detail += f"; max abs difference {max(numeric):.6g}"
    return [Difference(label, detail)]


def _item(x: Any) -> str:
    value = x.item() if hasattr(x, "item") else x
    return repr(value)


def _short(x: Any) -> str:
    text = repr(x)
    return text if len(text) <= 60 else text[:57] + "..."
