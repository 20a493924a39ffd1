"""``seedlock report G [--metric M] [--vs G2] [--plot FILE] [--format table|json]``.

Reads a replicate group's metrics from the ledger (:meth:`seedlock.ledger.Ledger.replicates`: one
run per replicate index, the attempt that counts, each metric's final value), summarises each metric
with :mod:`seedlock.records.replicate_stats`, and with ``--vs`` compares the group (the candidate) with
another (the baseline). Replicates that failed (non-zero exit) are left out and listed. The table
and the JSON carry the same numbers; the JSON also the per-replicate ``values``. ``plot`` draws the
per-replicate points with each group's mean and interval (matplotlib, no display needed).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..records.metrics import final_values
from ..records.replicate_stats import (
    BOOTSTRAP_SEED,
    DEFAULT_RESAMPLES,
    Better,
    Comparison,
    Sample,
    Summary,
    compare,
    summarize,
)
from ..spec.errors import SeedlockError

if TYPE_CHECKING:
    from ..ledger import Ledger


@dataclass(frozen=True, kw_only=True)
class GroupData:
    """What the ledger holds for a group: a sample per metric, and the replicates left out (why)."""

    group: str
    replicates: int
    vary: tuple[str, ...]
    samples: dict[str, Sample]
    excluded: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class Report:
    group: GroupData
    summaries: tuple[Summary, ...]
    baseline: GroupData | None = None
    baseline_summaries: tuple[Summary, ...] = ()
    comparisons: tuple[Comparison, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"group": _group_dict(self.group, self.summaries)}
        if self.baseline is not None:
            out["vs"] = _group_dict(self.baseline, self.baseline_summaries)
            out["comparisons"] = {c.metric: c.to_dict() for c in self.comparisons}
        return out


def _group_dict(data: GroupData, summaries: Sequence[Summary]) -> dict[str, Any]:
    return {
        "name": data.group,
        "replicates": data.replicates,
        "vary": list(data.vary) or ["everything"],
        "excluded": list(data.excluded),
        "metrics": {s.metric: s.to_dict() for s in summaries},
    }


def load(ledger: Ledger, group: str, metric: str | None = None, *, seeds: bool = True) -> GroupData:
    """The metrics of ``group`` (only ``metric`` when given), per replicate index, with a fingerprint
    of each replicate's seeds when ``seeds`` (what pairing needs; a plain summary does not)."""
    runs = ledger.replicates(group)
    if not runs:
        known = ", ".join(g for g, _ in ledger.groups()[:10]) or "none"
        raise SeedlockError(
            "unknown-run", f"No replicates of group {group!r} in ledger {ledger.location} (groups: {known})", "/group"
        )
    excluded: list[str] = []
    rows: dict[str, list[tuple[int, float, str]]] = {}
    for run in runs:
        if run.exit_code != 0:
            excluded.append(f"replicate {run.index} (exit {run.exit_code})")
            continue
        fingerprint = json.dumps(run.seeds, sort_keys=True, separators=(",", ":")) if seeds else ""
        for name, value in final_values(run.metrics).items():  # one pass per run (10,000-replicate groups)
            if metric is None or name == metric:
                rows.setdefault(name, []).append((run.index, value, fingerprint))
    if metric is not None and metric not in rows:
        raise SeedlockError("invalid-value", f"No replicate of group {group!r} logged metric {metric!r}", "/metric")
    if not rows:
        raise SeedlockError(
            "invalid-value",
            f"No replicate of group {group!r} logged a metric (seedlock.log_metric, or a line in $SEEDLOCK_METRICS)",
            "/metric",
        )
    samples = {
        name: Sample(
            group=group,
            metric=name,
            indices=tuple(r[0] for r in values),
            values=tuple(r[1] for r in values),
            seeds=tuple(r[2] for r in values) if seeds else None,
        )
        for name, values in sorted(rows.items())
    }
    return GroupData(
        group=group, replicates=len(runs), vary=tuple(runs[0].vary), samples=samples, excluded=tuple(excluded)
    )


def build(
    ledger: Ledger,
    group: str,
    *,
    metric: str | None = None,
    vs: str | None = None,
    better: Better = "higher",
    seed: int = BOOTSTRAP_SEED,
    resamples: int = DEFAULT_RESAMPLES,
) -> Report:
    data = load(ledger, group, metric, seeds=vs is not None)
    summaries = tuple(summarize(s, seed=seed, resamples=resamples) for s in data.samples.values())
    if vs is None:
        return Report(group=data, summaries=summaries)
    base = load(ledger, vs, metric)
    shared = [name for name in data.samples if name in base.samples]
    if not shared:
        raise SeedlockError("invalid-value", f"Groups {group!r} and {vs!r} have no metric in common", "/metric")
    base_summaries = tuple(summarize(base.samples[n], seed=seed, resamples=resamples) for n in shared)
    comparisons = tuple(
        compare(data.samples[n], base.samples[n], better=better, seed=seed, resamples=resamples) for n in shared
    )
    return Report(
        group=data, summaries=summaries, baseline=base, baseline_summaries=base_summaries, comparisons=comparisons
    )


def _num(value: float | None, signed: bool = False) -> str:
    if value is None:
        return "-"
    return f"{value:+.6g}" if signed else f"{value:.6g}"


def _ci(low: float | None, high: float | None, signed: bool = False) -> str:
    return "-" if low is None else f"[{_num(low, signed)}, {_num(high, signed)}]"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    return ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=False)).rstrip() for r in [header, *rows]]


def _group_lines(data: GroupData, summaries: Sequence[Summary]) -> list[str]:
    vary = ", ".join(data.vary) or "everything"
    lines = [f"group {data.group}: {data.replicates} replicates (vary: {vary})"]
    header = ["metric", "n", "mean", "std", "median", "IQM", "min", "max", "95% CI of the mean"]
    rows = [
        [
            s.metric,
            str(s.n),
            _num(s.mean),
            _num(s.std),
            _num(s.median),
            _num(s.iqm),
            _num(s.min),
            _num(s.max),
            f"{_ci(s.interval.low, s.interval.high)} {s.interval.method}",
        ]
        for s in summaries
    ]
    lines += _table(header, rows)
    lines += [f"  {s.metric}: {s.interval.note}" for s in summaries if s.interval.note]
    if data.excluded:
        lines.append(f"  left out (failed): {', '.join(data.excluded)}")
    return lines


def render_table(report: Report) -> str:
    lines = _group_lines(report.group, report.summaries)
    if report.baseline is not None:
        lines += ["", *_group_lines(report.baseline, report.baseline_summaries), ""]
        first = report.comparisons[0]
        lines.append(f"{first.candidate} vs {first.baseline} ({first.better} is better): {first.pairing}")
        header = ["metric", "difference", "95% CI", "P(improvement)", "verdict"]
        rows = [
            [
                c.metric,
                _num(c.difference, True),
                f"{_ci(c.interval.low, c.interval.high, True)} {c.interval.method}",
                f"{c.probability_of_improvement:.3f}",
                _verdict(c),
            ]
            for c in report.comparisons
        ]
        lines += _table(header, rows)
        lines += [f"  {c.metric}: {c.interval.note}" for c in report.comparisons if c.interval.note]
    return "\n".join(lines) + "\n"


def _verdict(c: Comparison) -> str:
    """Plain words for the interval of the difference."""
    low, high = c.interval.low, c.interval.high
    if low is None or high is None:
        return "too few replicates to tell"
    if low <= 0 <= high:
        return "within seed noise (the interval contains 0)"
    improved = (low > 0) == (c.better == "higher")
    return "better beyond seed noise" if improved else "worse beyond seed noise"


def render_json(report: Report) -> str:
    return json.dumps(report.to_dict(), indent=2, allow_nan=False) + "\n"


def _jitter(index: int) -> float:
    # spread a group's points sideways by replicate index (golden-ratio steps): the same every time
    return ((index * 0.6180339887) % 1.0 - 0.5) * 0.25


def plot(report: Report, path: str) -> None:
    """Per-replicate points, each group's mean and interval, one panel per metric; paired
    replicates joined by a line. The format follows the file name (png, svg, pdf)."""
    import io

    from matplotlib.figure import Figure  # no pyplot: no display, no global state

    from ..spec._io import check_writable, write_atomic

    check_writable(path)
    metrics = [s.metric for s in report.summaries]
    if report.baseline is not None:
        metrics = [c.metric for c in report.comparisons]
    fig = Figure(figsize=(3.2 * len(metrics) + 0.8, 4.2), layout="constrained")
    axes = fig.subplots(1, len(metrics), squeeze=False)[0]
    by_metric = {s.metric: s for s in report.summaries}
    base_by_metric = {s.metric: s for s in report.baseline_summaries}
    comparisons = {c.metric: c for c in report.comparisons}
    for ax, name in zip(axes, metrics, strict=False):
        groups = [by_metric[name]] + ([base_by_metric[name]] if name in base_by_metric else [])
        groups.reverse()  # baseline left, candidate right
        for x, s in enumerate(groups):
            ax.scatter(
                [x + _jitter(i) for i in s.indices],
                s.values,
                s=14,
                alpha=0.55,
                color=f"C{x}",
                zorder=2,
                label=f"{s.group} (n={s.n})",
            )
            if s.interval.low is not None and s.interval.high is not None:
                ax.errorbar(
                    [x + 0.32],
                    [s.mean],
                    yerr=[[s.mean - s.interval.low], [s.interval.high - s.mean]],
                    fmt="o",
                    color="black",
                    capsize=4,
                    zorder=3,
                )
        c = comparisons.get(name)
        if c is not None and c.paired:
            base, cand = groups
            cand_at = dict(zip(cand.indices, cand.values, strict=False))
            for i, v in zip(base.indices, base.values, strict=False):
                ax.plot(
                    [_jitter(i), 1 + _jitter(i)], [v, cand_at[i]], color="grey", alpha=0.25, linewidth=0.7, zorder=1
                )
        ax.set_xticks(range(len(groups)), [s.group for s in groups])
        ax.set_xlim(-0.6, len(groups) - 0.4)
        title = name
        if c is not None:
            title += (
                f"\ndiff {_num(c.difference, True)} {_ci(c.interval.low, c.interval.high, True)}"
                f"\nP(improvement) {c.probability_of_improvement:.2f}" + (", paired" if c.paired else "")
            )
        ax.set_title(title, fontsize=9)
        ax.grid(axis="y", alpha=0.3)
    fig.suptitle("replicates (points), mean and 95% bootstrap CI (bars)", fontsize=9)
    buffer = io.BytesIO()
    suffix = path.rsplit(".", 1)[-1].lower() if "." in path else "png"
    try:
        fig.savefig(buffer, format=suffix, dpi=110)
    except ValueError as exc:  # an unknown format: matplotlib lists the ones it has
        raise SeedlockError("invalid-value", f"Cannot draw {path!r}: {exc}", "/plot") from None
    write_atomic(path, buffer.getvalue())


__all__ = ["GroupData", "Report", "build", "load", "plot", "render_json", "render_table"]
