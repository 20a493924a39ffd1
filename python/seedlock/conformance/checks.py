"""The checks, judged on finished tasks: repeat, sensitivity, golden, framework-drift, distinct-streams,
structure, cross-binding.

* ``repeat``: every run from the same lock and stage gives bit-identical outputs (and ``apply()``
  reported nothing it could not seed);
* ``sensitivity``: a run whose framework seeds are changed gives different outputs, so ``repeat``
  cannot pass vacuously;
* ``golden``: the outputs equal the pinned outputs of the conformance manifest's stage, so a binding
  whose ``apply()`` does nothing fails; a mismatch under other versions than those recorded is
  reported as *drift* with both (:mod:`.golden`);
* ``framework-drift``: the framework's own draws from seed 42 equal the recorded ones (no seedlock
  code involved: it explains golden drift after an upgrade);
* ``distinct-streams``: the rank/worker streams the case file names all differ;
* ``structure``: the outputs keep the variation intended and agree where they must (epochs, workers
  and ranks differ, resumed runs equal the full run, ranks share weights and partition the data), as
  the case file's ``structure`` says (:mod:`.structure`);
* ``cross-binding``: outputs equal those of another binding exactly (``compare_with``, and the
  ``cross-binding`` kind: one task per binding side).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..launching.compare import compare_paths
from . import structure
from .execute import SKIP_EXIT, Execution, Outcome
from .golden import framework_drift_check, golden_check
from .plan import Case, CasePlan, Skip, Task
from .report import Result

#: Elements of each stream compared by distinct-streams: enough that equal prefixes mean a shared seed.
STREAM_PREFIX_LENGTH = 8
_SIDE_NAMES = {"python": "Python", "rscript": "Rscript"}


def skipped(skip: Skip) -> list[Result]:
    return [
        Result(skip.case.name, skip.case.framework, c, "skipped", skip.reason, skip.missing)
        for c in skip.case.reported_checks
    ]


def outputs(task: Task) -> Path:
    """What a run's repeatability is judged on: the workload outputs, not its meta data."""
    for name in ("outputs.npz", "outputs.json", "solver.prototxt"):
        if (task.out / name).exists():
            return task.out / name
    if (task.out / "out").exists():
        return task.out / "out"
    return task.out / "outputs.npz"


def _failure(task: Task, outcome: Outcome) -> str:
    tail = (outcome.stderr or outcome.stdout).strip().splitlines()[-3:]
    if outcome.timeout is not None:
        # A hang's last lines are whatever the kill made the process print: name the hang first.
        return f"{task.label} ran past its {outcome.timeout:.0f} s limit and was killed: " + " | ".join(tail)
    return f"{task.label} exited {outcome.code}: " + " | ".join(tail)


def _meta(task: Task) -> dict[str, Any]:
    path = task.out / "outputs.meta.json"
    return json.loads(path.read_text()) if path.exists() else {}


def evaluate(
    plan: CasePlan, done: Execution, references: dict[str, Any], recorded: dict[str, Any], plans: dict[str, CasePlan]
) -> list[Result]:
    """The results of one case. ``references`` holds the pinned values by check (``golden``,
    ``framework-drift``: :func:`.golden.read`); ``recorded`` collects this run's (``--write-golden``)."""
    case, same, control = plan.case, list(plan.runs), plan.control
    out: list[Result] = []

    def add(check: str, status: str, detail: str = "") -> None:
        out.append(Result(case.name, case.framework, check, status, detail))

    skips = [t for t in same if done.of(t).code == SKIP_EXIT]
    if skips:
        reason = (done.of(skips[0]).stdout.strip().splitlines() or ["skipped by the workload"])[-1]
        return [Result(case.name, case.framework, c, "skipped", reason) for c in case.reported_checks]
    broken = [t for t in plan.tasks if done.of(t).code != 0]
    if broken:
        return [
            Result(case.name, case.framework, c, "FAIL", _failure(broken[0], done.of(broken[0])))
            for c in case.reported_checks
        ]

    if case.kind == "cross-binding":
        base = same[0]
        found = [
            f"{base.label} vs {other.label}: {d}"
            for other in same[1:]
            for d in compare_paths(outputs(base), outputs(other), "probe")
        ]
        sides = ", ".join(_SIDE_NAMES.get(t.label, t.label) for t in same)
        add(
            "cross-binding",
            "FAIL" if found else "pass",
            "; ".join(found[:3]) if found else f"derived seeds, R stream and split equal in {_and(sides)}",
        )
        return out

    problems = [p for t in same for p in _meta(t).get("problems", [])]
    for rank in _meta(same[0]).get("ranks", {}).values():
        problems += rank.get("problems", [])
    if "repeat" in case.checks:
        diffs = [d for t in same[1:] for d in compare_paths(outputs(same[0]), outputs(t), f"run 1 vs {t.label}")]
        if problems:
            add("repeat", "FAIL", f"apply() reported: {problems[0]}")
        elif diffs:
            add("repeat", "FAIL", "; ".join(map(str, diffs[:3])))
        else:
            add("repeat", "pass", f"{len(same)} fresh runs identical")
        if case.kind == "caffe-writer":
            _check_written_seed(same[0], add)
    if "sensitivity" in case.checks and control is not None:
        diffs = compare_paths(outputs(same[0]), outputs(control), "run 1 vs other seed")
        add(
            "sensitivity",
            "pass" if diffs else "FAIL",
            f"another seed changed the outputs ({diffs[0]})"
            if diffs
            else "another seed gave identical outputs: the check is vacuous",
        )
    if "golden" in case.checks:
        import seedlock

        add(
            *golden_check(
                f"{case.name}/{plan.stage}",
                seedlock.load_lock(same[0].lock),
                outputs(same[0]),
                _meta(same[0]),
                references.get("golden", {}),
                recorded.setdefault("golden", {}),
            )
        )
    elif case.no_golden:
        # No pinned outputs, for the reason the case file gives: say so where a golden result would be.
        add("golden", "skipped", f"no golden outputs: {case.no_golden}")
    if "framework-drift" in case.checks:
        add(
            *framework_drift_check(
                case.framework,
                _meta(same[0]),
                references.get("framework-drift", {}),
                recorded.setdefault("framework-drift", {}),
            )
        )
    if "distinct-streams" in case.checks:
        add(*distinct_streams(case, same[0]))
    if "structure" in case.checks:
        assert case.structure is not None  # load_cases requires it with this check
        add("structure", *structure.check(case.structure, outputs(same[0])))
    if case.compare_with:
        ref = plans.get(case.compare_with)
        if ref is None:
            add("cross-binding", "skipped", f"{case.compare_with} did not run")
        else:
            diffs = compare_paths(outputs(ref.runs[0]), outputs(same[0]), f"{case.compare_with} vs {case.name}")
            add(
                "cross-binding",
                "FAIL" if diffs else "pass",
                "; ".join(map(str, diffs[:3])) if diffs else f"identical to {case.compare_with}",
            )
    return out


def _and(items: str) -> str:
    head, _, last = items.rpartition(", ")
    return f"{head} and {last}" if head else last


def distinct_streams(case: Case, task: Task) -> tuple[str, str, str]:
    import numpy as np

    assert case.streams is not None  # load_cases requires it with this check
    spec = case.streams
    with np.load(outputs(task)) as data:
        streams = {k: data[k] for k in data.files if k.startswith(spec.prefix)}
    keys = sorted(streams)
    clashes = [
        (a, b)
        for i, a in enumerate(keys)
        for b in keys[i + 1 :]
        if np.array_equal(streams[a][:STREAM_PREFIX_LENGTH], streams[b][:STREAM_PREFIX_LENGTH])
    ]
    if len(keys) < spec.count:
        return ("distinct-streams", "FAIL", f"expected {spec.layout} of streams, found {keys}")
    return (
        "distinct-streams",
        "FAIL" if clashes else "pass",
        f"identical streams: {clashes[0]}" if clashes else f"{len(keys)} rank/worker streams all differ",
    )


def _check_written_seed(task: Task, add: Callable[..., None]) -> None:
    import seedlock
    from seedlock.seeding import caffe_solver

    expected = seedlock.load_lock(task.lock).stage(task.stage).seed_of("caffe")
    info = caffe_solver.validate((task.out / "solver.prototxt").read_bytes())
    if info.random_seed != expected:
        add("cross-binding", "FAIL", f"solver has random_seed {info.random_seed}, Python derives {expected}")
    else:
        add("cross-binding", "pass", f"solver random_seed {expected} equals the seed Python derives")
