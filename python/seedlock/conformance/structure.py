"""The ``structure`` check: the outputs keep the variation a framework intends, and agree where they must.

A case file's ``structure`` names output arrays by regular expressions (matched against the whole
array name) and says how they relate:

* ``equal``: ``[{"left": "final_(.*)", "right": "resumed_\\\\1"}]`` — every array matching ``left`` has a
  partner (``right`` with the groups substituted) with identical values: resumed runs equal the full
  run, ranks agree on weights;
* ``distinct``: ``["aug_.*"]`` — the arrays matching each pattern (at least two) all differ in their
  first elements: epochs, workers and ranks draw from streams of their own;
* ``partition``: ``[{"match": "shard_e(\\\\d+)_r\\\\d+", "size": 128}]`` — arrays grouped by the first group
  (at least two per group) are disjoint and together hold every index below ``size``: ranks shuffle
  disjoint shards of one permutation.

A rule that matches nothing fails: a check that ran nothing is a failure.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

#: Elements compared by ``distinct``: equal prefixes of this length mean a shared seed.
PREFIX_LENGTH = 8


def check(spec: Mapping[str, Any], outputs: Path) -> tuple[str, str]:
    """(``pass`` or ``FAIL``, detail) for one run's ``outputs.npz`` (or ``outputs.json``)."""
    import numpy as np

    if outputs.suffix == ".json":
        # Rscript and pytest workloads write {name: [numbers or 17-digit strings]}.
        import json

        arrays = {k: np.asarray([float(x) for x in np.ravel(v)]) for k, v in json.loads(outputs.read_text()).items()}
    else:
        with np.load(outputs) as data:
            arrays = {k: data[k] for k in data.files}
    problems: list[str] = []
    if not any(spec.get(kind) for kind in ("equal", "distinct", "partition")):
        problems.append("the case names no structure to check")
    counts = {"equal": 0, "distinct": 0, "partition": 0}
    for rule in spec.get("equal", []):
        left = re.compile(rule["left"])
        pairs = [(name, left.sub(rule["right"], name)) for name in sorted(arrays) if left.fullmatch(name)]
        if not pairs:
            problems.append(f"no output matches {rule['left']!r}")
        for name, partner in pairs:
            if partner not in arrays:
                problems.append(f"{name} has no partner {partner}")
            elif not np.array_equal(arrays[name], arrays[partner]):
                problems.append(f"{name} differs from {partner}")
        counts["equal"] += len(pairs)
    for pattern in spec.get("distinct", []):
        names = sorted(n for n in arrays if re.fullmatch(pattern, n))
        if len(names) < 2:
            problems.append(f"fewer than two outputs match {pattern!r}")
        clashes = [
            (a, b)
            for i, a in enumerate(names)
            for b in names[i + 1 :]
            if np.array_equal(arrays[a][:PREFIX_LENGTH], arrays[b][:PREFIX_LENGTH])
        ]
        if clashes:
            problems.append(f"{clashes[0][0]} and {clashes[0][1]} draw the same numbers")
        counts["distinct"] += len(names)
    for rule in spec.get("partition", []):
        groups: dict[str, list[str]] = {}
        for name in sorted(arrays):
            found = re.fullmatch(rule["match"], name)
            if found:
                groups.setdefault(found.group(1), []).append(name)
        if not groups:
            problems.append(f"no output matches {rule['match']!r}")
        for key, names in sorted(groups.items()):
            sets = [set(arrays[n].tolist()) for n in names]
            total = sum(len(s) for s in sets)
            union = set().union(*sets)
            if len(names) < 2:
                problems.append(f"group {key} of {rule['match']!r} has one member")
            elif total != len(union):
                problems.append(f"{', '.join(names)} overlap")
            elif union != set(range(rule["size"])):
                problems.append(f"{', '.join(names)} do not cover 0..{rule['size'] - 1}")
        counts["partition"] += sum(len(n) for n in groups.values())
    if problems:
        return "FAIL", "; ".join(problems[:3])
    done = [
        f"{n} {kind}"
        for kind, n in (
            ("equal to their partners", counts["equal"]),
            ("all distinct", counts["distinct"]),
            ("partitioning the data", counts["partition"]),
        )
        if n
    ]
    return "pass", "outputs " + ", ".join(done)


__all__ = ["PREFIX_LENGTH", "check"]
