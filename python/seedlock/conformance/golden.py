"""Pinned reference values: the golden outputs of the conformance manifest's stages, and framework drift.

``golden`` (``_conformance/golden.json``): what each case's workload *outputs* when it runs from the
lock the built-in conformance manifest resolves to, keyed ``"<case>/<stage>"``: one SHA-256 per
output array (dtype, shape and little-endian bytes; JSON members by their canonical text) and its
first values, for the report. These values depend on the seeds ``apply()`` must set, so a binding
whose ``apply()`` does nothing fails here even where ``repeat`` passes (torch's default seed is fixed,
so an unseeded torch workload repeats). They apply only to the seeds they were recorded with (the
file holds the fingerprint of the lock's seeds and settings); under another manifest, or with a seed
overridden from the environment, the check is skipped and says why. A mismatch under other versions
(Python, the framework, the machine architecture) than those recorded is reported as *drift* with
both; under the same versions it is a failure.

``framework-drift`` (``_conformance/framework-draws.json``): each framework's own draws from seed 42,
which involve no seedlock code at all. It cannot tell whether seedlock seeded anything; it tells
whether the framework's generators changed, which explains golden drift after an upgrade.
"""

from __future__ import annotations

import hashlib
import json
import platform
from pathlib import Path
from typing import Any

GOLDEN_FILE = "golden.json"
FRAMEWORK_DRAWS_FILE = "framework-draws.json"
#: Leading values of each output kept in golden.json, so a report can show what changed.
HEAD = 3


def seeds_fingerprint(lock: Any) -> str:
    """SHA-256 of everything in a lock a workload's outputs may depend on: every seed and setting."""
    data = {
        "root": lock.root.seed,
        "stages": {
            name: {
                "seed": stage.seed,
                "frameworks": {
                    fw: {"seed": e.seed, "settings": dict(e.settings)} for fw, e in stage.frameworks.items()
                },
            }
            for name, stage in lock.stages.items()
        },
    }
    return hashlib.sha256(json.dumps(data, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def summarise(path: Path) -> dict[str, dict[str, Any]]:
    """Per output member: ``sha256`` of its exact value, ``size`` and its first values."""
    if path.suffix == ".npz":
        import numpy as np

        from ..workloads._digest import arrays_sha256

        with np.load(path, allow_pickle=False) as data:
            return {
                k: {
                    "sha256": arrays_sha256([data[k]]),
                    "size": int(data[k].size),
                    "head": data[k].ravel()[:HEAD].tolist(),
                }
                for k in sorted(data.files)
            }
    if path.suffix == ".json":
        values = json.loads(path.read_text("utf-8"))
        out = {}
        for k in sorted(values):
            v = values[k]
            text = json.dumps(v, sort_keys=True, separators=(",", ":"))
            out[k] = {
                "sha256": hashlib.sha256(text.encode()).hexdigest(),
                "size": len(v) if isinstance(v, list) else 1,
                "head": v[:HEAD] if isinstance(v, list) else [v],
            }
        return out
    raise ValueError(f"no golden summary for {path.name}")


def versions(meta: dict[str, Any]) -> dict[str, str]:
    """What a run's outputs may depend on besides the seeds: interpreter, framework and architecture."""
    out = {k: str(v) for k, v in meta.get("versions", {}).items() if isinstance(v, str)}
    if "python" in meta:
        out["python"] = str(meta["python"])
    out["machine"] = platform.machine()
    return dict(sorted(out.items()))


def _changed(recorded: dict[str, str], running: dict[str, str]) -> str:
    """``"numpy 2.4.6 -> 2.5.0"`` for every version that differs (empty when none does)."""
    return ", ".join(
        f"{k} {recorded.get(k, '?')} -> {running.get(k, '?')}"
        for k in sorted(set(recorded) | set(running))
        if recorded.get(k) != running.get(k)
    )


def golden_check(
    key: str, lock: Any, outputs: Path, meta: dict[str, Any], reference: dict[str, Any], recorded: dict[str, Any]
) -> tuple[str, str, str]:
    """Compare a run's outputs with the pinned golden outputs of ``key`` (``"<case>/<stage>"``)."""
    fingerprint = seeds_fingerprint(lock)
    running = versions(meta)
    summary = summarise(outputs)
    recorded.setdefault("seeds_sha256", fingerprint)
    recorded.setdefault("outputs", {})[key] = {"recorded_with": running, "outputs": summary}
    if reference.get("seeds_sha256") != fingerprint:
        return (
            "golden",
            "skipped",
            "golden outputs are pinned for the seeds of the built-in conformance manifest; "
            "this lock's seeds differ (another manifest, or a seed set from the environment)",
        )
    ref = reference.get("outputs", {}).get(key)
    if ref is None:
        return ("golden", "FAIL", f"no golden outputs recorded for {key} (record them with --write-golden)")
    expected = ref["outputs"]
    differ = [
        k
        for k in sorted(set(expected) | set(summary))
        if expected.get(k, {}).get("sha256") != summary.get(k, {}).get("sha256")
    ]
    if not differ:
        shown = ", ".join(f"{k} {v}" for k, v in running.items() if k != "machine")
        return ("golden", "pass", f"{len(summary)} outputs equal the pinned outputs of {key} ({shown})")
    first = differ[0]
    what = (
        f"{key}: {first} is missing"
        if first not in summary
        else f"{key}: {first} was never recorded"
        if first not in expected
        else f"{key}: {first} starts {summary[first]['head']}, golden {expected[first]['head']}"
    )
    what += f" ({len(differ)} of {len(expected)} outputs differ)"
    changed = _changed(ref["recorded_with"], running)
    if changed:
        return ("golden", "drift", f"{what}; versions changed since recording: {changed}")
    return (
        "golden",
        "FAIL",
        f"{what}; same versions as recorded ({', '.join(f'{k} {v}' for k, v in running.items())})",
    )


def framework_drift_check(
    framework: str, meta: dict[str, Any], reference: dict[str, Any], recorded: dict[str, Any]
) -> tuple[str, str, str]:
    """The framework's own draws from seed 42 against the recorded ones; another version: *drift*."""
    values = meta.get("framework_draws", {})
    found = {**meta.get("versions", {}), "python": meta.get("python", meta.get("versions", {}).get("python"))}
    version = str(found.get(framework))
    checked: list[str] = []
    drift: list[str] = []
    fails: list[str] = []
    for key, got in sorted(values.items()):
        recorded[key] = {"framework": framework, "values": got, "recorded_with": version}
        ref = reference.get(key)
        if ref is None:
            continue
        checked.append(key)
        if _as_floats(got) != _as_floats(ref["values"]):
            (fails if ref["recorded_with"] == version else drift).append(
                f"{key}: {got} != reference {ref['values']} (recorded with {framework} {ref['recorded_with']}, "
                f"running {version})"
            )
    if fails:
        return ("framework-drift", "FAIL", fails[0])
    if drift:
        return ("framework-drift", "drift", drift[0])
    if not checked:
        return ("framework-drift", "skipped", f"no reference draws for {', '.join(sorted(values)) or 'this workload'}")
    return (
        "framework-drift",
        "pass",
        f"{framework} {version} draws the recorded values from seed 42 "
        f"({len(checked)} stream{'s' if len(checked) != 1 else ''})",
    )


def _as_floats(values: Any) -> list[float]:
    return [float(v) for v in values]


def read(directory: Path) -> dict[str, Any]:
    """The references in ``directory``: ``{"golden": ..., "framework-drift": ...}`` (empty when absent)."""
    out: dict[str, Any] = {}
    for check, name in (("golden", GOLDEN_FILE), ("framework-drift", FRAMEWORK_DRAWS_FILE)):
        path = directory / name
        out[check] = json.loads(path.read_text("utf-8")) if path.exists() else {}
    return out


def write(directory: Path, references: dict[str, Any], recorded: dict[str, Any]) -> None:
    """Merge what this run recorded into ``directory``'s reference files (cases not run keep theirs)."""
    from ..spec._io import write_atomic

    directory.mkdir(parents=True, exist_ok=True)
    golden = recorded.get("golden", {})
    old = references.get("golden", {})
    keep = old.get("outputs", {}) if old.get("seeds_sha256") == golden.get("seeds_sha256") else {}
    merged_golden = {
        "seeds_sha256": golden.get("seeds_sha256", old.get("seeds_sha256")),
        "outputs": dict(sorted({**keep, **golden.get("outputs", {})}.items())),
    }
    write_atomic(directory / GOLDEN_FILE, json.dumps(merged_golden, indent=1) + "\n")
    draws = dict(sorted({**references.get("framework-drift", {}), **recorded.get("framework-drift", {})}.items()))
    write_atomic(directory / FRAMEWORK_DRAWS_FILE, json.dumps(draws, indent=1) + "\n")
