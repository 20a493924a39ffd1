"""Compare the records of two runs: the first divergence of each rank, what was identical before it,
and the likely cause in words."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

Records = dict[int, list[dict[str, Any]]]  # rank -> records in the order the rank wrote them

#: Relative size under which a difference from identical inputs reads as rounding (thread count,
#: reduction order) rather than different random draws.
ROUNDING = 1e-4


def read_records(directory: Path) -> Records:
    """Every record under ``directory``, by rank; a rank's files in the order their processes started."""
    out: Records = {}
    if not directory.is_dir():
        return out
    files = sorted(
        directory.glob("rank*.jsonl"), key=lambda p: (int(p.name[4:].split("-")[0]), int(p.name.split("-")[1]))
    )
    for path in files:
        rank = int(path.name[4:].split("-")[0])
        with open(path) as f:
            out.setdefault(rank, []).extend(json.loads(line) for line in f if line.strip())
    return out


@dataclass(frozen=True)
class Divergence:
    """The first record of a rank that differs between the two runs."""

    rank: int
    step: int
    kind: str  # input-batch, forward-output, gradient, parameter, probe, stream, or "steps" (count differs)
    module: str | None
    name: str
    max_abs_diff: float | None
    detail: str = ""  # shapes or names that differ, when values cannot be compared
    position: int = 0  # index of the record in its step (orders ranks within one step)

    def to_dict(self) -> dict[str, Any]:
        return {
            "step": self.step,
            "module": self.module,
            "tensor": self.kind,
            "name": self.name,
            "rank": self.rank,
            "max_abs_diff": self.max_abs_diff,
            **({"detail": self.detail} if self.detail else {}),
        }


@dataclass(frozen=True)
class RankFinding:
    rank: int
    divergence: Divergence | None
    identical_steps: int  # steps before the divergence whose every digest was identical
    identical_before: tuple[str, ...] = ()  # records of the diverging step before it, all identical
    generators: tuple[str, ...] = ()  # global generators / named streams in another state by then
    cause: str = ""
    located: bool = True  # False: only the step is known (the fine pass did not repeat the divergence)


@dataclass(frozen=True)
class Located:
    """What the locator found: per rank (every rank that recorded), and the earliest of them."""

    findings: tuple[RankFinding, ...]
    recorded: bool  # False: the program recorded nothing (no torch training, Keras fit or probe)
    fine_step: int | None  # the step the fine pass ran at
    failed: str | None = None  # a run of the locator failed: why

    @property
    def first(self) -> RankFinding | None:
        found = [f for f in self.findings if f.divergence is not None]
        return min(found, key=lambda f: (f.divergence.step, f.divergence.position, f.rank)) if found else None  # type: ignore[union-attr]


@dataclass(frozen=True)
class Coarse:
    """What the coarse pass tells per rank: the first differing step (or None) and probe."""

    step: dict[int, int | None] = field(default_factory=dict)
    kinds: dict[int, tuple[str, ...]] = field(default_factory=dict)
    probe: dict[int, Divergence | None] = field(default_factory=dict)
    generators: dict[int, dict[str, int]] = field(default_factory=dict)  # name -> first step it differs
    steps: dict[int, tuple[int, int]] = field(default_factory=dict)  # steps recorded in each run


def compare_coarse(a: Records, b: Records) -> Coarse:
    result = Coarse()
    for rank in sorted(set(a) | set(b)):
        ra, rb = a.get(rank, []), b.get(rank, [])
        sa = [r for r in ra if r["type"] == "step"]
        sb = [r for r in rb if r["type"] == "step"]
        result.steps[rank] = (len(sa), len(sb))
        first: int | None = None
        kinds: tuple[str, ...] = ()
        for x, y in zip(sa, sb, strict=False):
            different = tuple(
                k for k in sorted(set(x["digests"]) | set(y["digests"])) if x["digests"].get(k) != y["digests"].get(k)
            )
            if different:
                first, kinds = x["step"], different
                break
        if first is None and len(sa) != len(sb) and any(s["digests"] for s in sa + sb):
            first, kinds = min(len(sa), len(sb)), ("steps",)
        result.step[rank], result.kinds[rank] = first, kinds
        gens: dict[str, int] = {}
        for x, y in zip(sa, sb, strict=False):
            for name in set(x["generators"]) | set(y["generators"]):
                if x["generators"].get(name) != y["generators"].get(name):
                    gens.setdefault(name, x["step"])
        result.generators[rank] = gens
        result.probe[rank] = _first_different(
            [r for r in ra if r["type"] == "probe"], [r for r in rb if r["type"] == "probe"], rank
        )
    return result


def _first_different(xs: Sequence[dict[str, Any]], ys: Sequence[dict[str, Any]], rank: int) -> Divergence | None:
    for i, (x, y) in enumerate(zip(xs, ys, strict=False)):
        if _key(x) != _key(y):
            return Divergence(
                rank,
                x["step"],
                x["kind"],
                x.get("module"),
                x["name"],
                None,
                position=i,
                detail=f"run 1 has {_describe(x)} where run 2 has {_describe(y)}",
            )
        if x["digest"] != y["digest"]:
            diff, detail = _max_abs_diff(x, y)
            return Divergence(rank, x["step"], x["kind"], x.get("module"), x["name"], diff, detail, i)
    if len(xs) != len(ys):
        longer, n = ("run 1", len(xs)) if len(xs) > len(ys) else ("run 2", len(ys))
        extra = (xs if len(xs) > len(ys) else ys)[min(len(xs), len(ys))]
        return Divergence(
            rank,
            extra["step"],
            extra["kind"],
            extra.get("module"),
            extra["name"],
            None,
            f"{longer} recorded more ({n} vs {min(len(xs), len(ys))})",
            min(len(xs), len(ys)),
        )
    return None


def _key(r: Mapping[str, Any]) -> tuple[Any, ...]:
    return (r["kind"], r.get("module"), r["name"])


def _describe(r: Mapping[str, Any]) -> str:
    return f"{r['kind']} {r['name']}"


def _numbers(values: Sequence[Any]) -> list[float] | None:
    out = []
    for v in values:
        if isinstance(v, (bool, int, float)) or (isinstance(v, str) and v in ("nan", "inf", "-inf")):
            out.append(float(v))
        else:
            return None
    return out


def _max_abs_diff(x: Mapping[str, Any], y: Mapping[str, Any]) -> tuple[float | None, str]:
    if x.get("shape") != y.get("shape"):
        return None, f"shape {tuple(x.get('shape') or ())} in run 1, {tuple(y.get('shape') or ())} in run 2"
    if "values" not in x or "values" not in y:
        return None, "too large to keep its values"
    a, b = _numbers(x["values"]), _numbers(y["values"])
    if a is None or b is None:
        return None, ""
    worst = 0.0
    for u, v in zip(a, b, strict=False):
        if (math.isnan(u) and math.isnan(v)) or u == v:
            continue
        d = abs(u - v)
        worst = max(worst, d if not math.isnan(d) else math.inf)
    return worst, ""


def _scale(x: Mapping[str, Any]) -> float:
    values = _numbers(x.get("values") or []) or []
    finite = [abs(v) for v in values if math.isfinite(v)]
    return max(finite, default=0.0)


def compare_fine(a: Records, b: Records, step: int, coarse: Coarse) -> list[RankFinding]:
    """Each rank's first differing record at ``step`` (fine pass), with what was identical before it."""
    findings = []
    for rank in sorted(set(a) | set(b)):
        xs = [r for r in a.get(rank, []) if r["step"] == step and r["type"] in ("tensor", "probe")]
        ys = [r for r in b.get(rank, []) if r["step"] == step and r["type"] in ("tensor", "probe")]
        div = _first_different(xs, ys, rank)
        if div is None:
            findings.append(_coarse_only(rank, coarse))
            continue
        before = list(xs[: div.position])
        gens = _generators_differing(
            a.get(rank, []), b.get(rank, []), step, xs[div.position]["seq"] if div.position < len(xs) else None
        )
        findings.append(
            RankFinding(
                rank, div, step, _summary(before, step), gens, _cause(div, before, xs, ys, gens, coarse, rank, step)
            )
        )
    return findings


def _generators_differing(
    ra: Sequence[dict[str, Any]], rb: Sequence[dict[str, Any]], step: int, until_seq: int | None
) -> tuple[str, ...]:
    """Generators whose state differed at ``step`` before the record numbered ``until_seq`` (run 1)."""
    ga = [
        r for r in ra if r["type"] == "generator" and r["step"] == step and (until_seq is None or r["seq"] < until_seq)
    ]
    gb = [r for r in rb if r["type"] == "generator" and r["step"] == step]
    seen: dict[str, None] = {}
    for x, y in zip(ga, gb, strict=False):
        if x["name"] == y["name"] and x["digest"] != y["digest"]:
            seen.setdefault(f"{x['name']} ({x['where']})", None)
    return tuple(seen)


def _summary(before: Sequence[dict[str, Any]], step: int) -> tuple[str, ...]:
    out: dict[str, None] = {}
    for r in before:
        if r["kind"] == "input-batch":
            out.setdefault("the input batch", None)
        elif r["kind"] == "forward-output":
            out.setdefault(f"forward output of {r['module'] or r['name']}", None)
        elif r["kind"] == "probe":
            out.setdefault(f"probe {r['name']}", None)
        else:
            out.setdefault(f"{r['kind']} {r['name']}", None)
    return tuple(out)


def _coarse_only(rank: int, coarse: Coarse) -> RankFinding:
    step = coarse.step.get(rank)
    if step is None:
        return RankFinding(rank, None, coarse.steps.get(rank, (0, 0))[0])
    kinds = coarse.kinds.get(rank, ())
    div = Divergence(
        rank,
        step,
        kinds[0] if kinds else "steps",
        None,
        ", ".join(kinds),
        None,
        "the fine pass did not repeat it: the divergence is not reproducible at module level",
    )
    return RankFinding(
        rank, div, step, cause=_generator_cause(coarse.generators.get(rank, {}), step) or "", located=False
    )


def probe_findings(coarse: Coarse) -> list[RankFinding]:
    """Ranks whose first difference is a probe no later than any step difference (no fine pass needed)."""
    out = []
    for rank, div in sorted(coarse.probe.items()):
        step = coarse.step.get(rank)
        if div is not None and (step is None or div.step < step):
            gens = tuple(name for name, s in coarse.generators.get(rank, {}).items() if s <= div.step)
            cause = (
                f"the values of probe {div.name!r} differ while every probe before it was identical: the "
                f"randomness entered between the previous probe and this one"
            )
            if gens:
                cause = _generator_cause(coarse.generators[rank], div.step) or cause
            out.append(RankFinding(rank, div, div.step, (), gens, cause))
    return out


def _generator_cause(gens: Mapping[str, int], step: int) -> str | None:
    named = sorted((s, name) for name, s in gens.items() if s <= step)
    if not named:
        return None
    first_step, name = named[0]
    when = "from the start" if first_step == 0 else f"from step {first_step} on (identical before)"
    return (
        f"the {name} generator is in another state {when}: something re-seeded it from outside the lock "
        f"(the clock, os.urandom) or drew a different number of values from it"
    )


def _cause(
    div: Divergence,
    before: Sequence[dict[str, Any]],
    xs: Sequence[dict[str, Any]],
    ys: Sequence[dict[str, Any]],
    gens: Sequence[str],
    coarse: Coarse,
    rank: int,
    step: int,
) -> str:
    if gens:
        name = gens[0].split(" (")[0]
        first = coarse.generators.get(rank, {}).get(name, step)
        when = "from the start" if first == 0 else f"from step {first} on (identical in every step before)"
        return (
            f"the {name} generator was in another state before it, {when}: something re-seeded it from "
            f"outside the lock (the clock, os.urandom) or drew a different number of values from it"
        )
    if div.kind == "input-batch":
        return (
            "the batch given to the model differs while everything before it was identical: the data order "
            "or the data itself (a shuffle, sampler or augmentation drawing from a generator the lock does not "
            "control, e.g. a DataLoader generator seeded from os.urandom)"
        )
    if div.kind == "probe":
        return (
            f"the values of probe {div.name!r} differ while everything before it was identical: the randomness "
            f"entered between the previous probe and this one"
        )
    if div.kind == "steps":
        return "the runs trained a different number of steps: control flow depends on something the lock does not fix"
    small = div.max_abs_diff is not None and div.max_abs_diff <= ROUNDING * max(_scale(xs[div.position]), 1e-30)
    where = div.module or div.name
    if div.kind == "forward-output":
        if small:
            return (
                f"{where} computes a slightly different result (rounding level) from identical inputs and "
                f"parameters: a reduction whose result depends on the number of threads or the order of summation "
                f"(torch.set_num_threads, OMP_NUM_THREADS), or a nondeterministic op on the device"
            )
        return (
            f"{where} gives a different output from identical inputs and parameters: it draws from a generator "
            f"the lock does not control (its own torch.Generator or numpy Generator seeded from os.urandom or the "
            f"clock, a Keras SeedGenerator or tf.random.Generator seeded so)"
        )
    if div.kind == "gradient":
        return (
            f"the gradient of {div.name} differs after identical forward passes: a nondeterministic backward op "
            f"(atomic adds on a GPU) or gradients averaged with another rank that diverged"
        )
    return (
        f"the update of {div.name} differs from identical gradients: randomness or a nondeterministic op "
        f"in the optimizer step"
    )
