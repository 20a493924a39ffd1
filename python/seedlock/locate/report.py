"""The locator's one-screen report and its JSON (``verify --locate --json FILE``)."""

from __future__ import annotations

from typing import Any

from .compare import Located, RankFinding

MAX_LISTED = 6


def lines(found: Located) -> list[str]:
    if found.failed:
        return [f"seedlock: locate: could not locate: {found.failed}"]
    if not found.recorded:
        return [
            "seedlock: locate: nothing was recorded: the program trains no torch model or Keras fit and calls "
            "no seedlock.probe (add probes: seedlock.probe(name, value) in Python, probe(name, x) in R)"
        ]
    first = found.first
    if first is None or first.divergence is None:
        return ["seedlock: locate: no divergence: every recorded step and probe was identical in both runs"]
    out = [f"seedlock: locate: first divergence at step {first.divergence.step}, rank {first.rank}:"]
    out += _rank_lines(first, "  ")
    for other in found.findings:
        if other is first:
            continue
        if other.divergence is None:
            out.append(f"  rank {other.rank}: no divergence")
        else:
            d = other.divergence
            out.append(f"  rank {other.rank}: step {d.step}, {_what(other)}" + _diff(d.max_abs_diff))
    return out


def _what(f: RankFinding) -> str:
    d = f.divergence
    assert d is not None
    if d.kind in ("forward-output", "input-batch"):
        text = f"{d.kind} of {d.module or d.name}"
    elif d.kind == "probe":
        text = f"probe {d.name}"
    elif d.kind == "steps":
        text = "the number of steps"
    else:
        text = f"{d.kind} {d.name}"
    return text if f.located else f"{text} (module not located: {d.detail})"


def _diff(x: float | None) -> str:
    return f"; largest difference {x:.6g}" if x is not None else ""


def _rank_lines(f: RankFinding, indent: str) -> list[str]:
    d = f.divergence
    assert d is not None
    out = [f"{indent}{_what(f)}{_diff(d.max_abs_diff)}" + (f" ({d.detail})" if d.detail and f.located else "")]
    n = f.identical_steps
    # Every record of those steps: batches, module outputs, gradients and parameters, generators, probes.
    same = [
        "nothing earlier (step 0)"
        if n == 0
        else "the earlier step, all of it"
        if n == 1
        else f"all {n} earlier steps (batches, outputs, gradients, parameters, probes)"
    ]
    listed = list(f.identical_before[:MAX_LISTED])
    if len(f.identical_before) > MAX_LISTED:
        listed.append(f"{len(f.identical_before) - MAX_LISTED} more")
    if listed:
        same.append(f"at step {d.step}: " + ", ".join(listed))
    out.append(f"{indent}identical before it: " + "; ".join(same))
    if f.generators:
        out.append(f"{indent}generators in another state by then: " + ", ".join(f.generators))
    if f.cause:
        out.append(f"{indent}likely cause: {f.cause}")
    return out


def to_json(found: Located, *, reproducible: bool) -> dict[str, Any]:
    first = found.first
    return {
        "reproducible": reproducible,
        "recorded": found.recorded,
        "failed": found.failed,
        "fine_step": found.fine_step,
        "first_divergence": first.divergence.to_dict() if first is not None and first.divergence is not None else None,
        "identical_before": _identical(first) if first is not None and first.divergence is not None else None,
        "cause": first.cause if first is not None and first.divergence is not None else None,
        "ranks": [
            {
                "rank": f.rank,
                "located": f.located,
                "first_divergence": f.divergence.to_dict() if f.divergence is not None else None,
                "identical_before": _identical(f) if f.divergence is not None else None,
                "generators": list(f.generators),
                "cause": f.cause or None,
            }
            for f in found.findings
        ],
    }


def _identical(f: RankFinding) -> dict[str, Any]:
    return {"steps": f.identical_steps, "at_step": list(f.identical_before)}
