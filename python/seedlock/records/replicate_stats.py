"""Statistics over the replicates of a group: is a change real, or seed noise?

Pure functions over plain values; numpy is imported here only (the ``report`` extra), never scipy.

* ``summarize(sample)`` -> ``Summary``: n, mean, standard deviation (n - 1), median, interquartile mean
  (IQM: the mean of the middle half, ``scipy.stats.trim_mean(x, 0.25)``, as rliable defines it),
  min/max and a 95% bootstrap confidence interval of the mean.
* ``compare(candidate, baseline)`` -> ``Comparison``: the difference of means with its interval and
  the probability of improvement. Two groups whose replicates ran with the same seeds index by index
  are a *paired* comparison (a change of code under the same seeds): the interval is that of the mean
  per-replicate difference, and the probability of improvement is the share of replicates that
  improved. Otherwise the groups are independent samples: the interval resamples each group on its
  own and the probability of improvement is P(candidate > baseline) over all pairs (ties count half).

Intervals are ``scipy.stats.bootstrap``'s (tests hold them to it, value for value, seeded alike):
BCa where it is defined, else the percentile interval, and the result says which and why. They are
computed here with numpy alone, for speed: importing ``scipy.stats`` costs more than the one second
a 10,000-replicate report may take, and scipy's BCa materialises the n leave-one-out samples of the
jackknife (n**2 values: 8 s for 10,000 replicates), while for a mean (and a difference of means) the
jackknife has a closed form, O(n). The resamples are drawn exactly as scipy draws them and the
interval follows scipy's formula (Efron & Tibshirani 14.3, 15.4). Resampling costs
``resamples x n``: the number of resamples is capped so that large groups stay within a second
(``resamples_for``) and is reported.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    import numpy as np

CONFIDENCE = 0.95
#: The bootstrap's generator seed when none is given: reports of the same data are identical.
BOOTSTRAP_SEED = 0
DEFAULT_RESAMPLES = 9999
_MIN_RESAMPLES = 999
#: resamples x replicates kept under this (about 0.1 s of resampling on an idle core).
_RESAMPLE_BUDGET = 10_000_000
#: values gathered at a time when averaging resamples.
_BLOCK = 2_000_000

Better = Literal["higher", "lower"]


@dataclass(frozen=True, kw_only=True)
class Sample:
    """One metric of one group: a value per replicate index, and (when known) a fingerprint of the
    seeds each replicate ran with, in the same order."""

    group: str
    metric: str
    indices: tuple[int, ...]
    values: tuple[float, ...]
    seeds: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        if len(self.indices) != len(self.values) or (self.seeds is not None and len(self.seeds) != len(self.values)):
            raise ValueError("indices, values and seeds must have the same length")


@dataclass(frozen=True, kw_only=True)
class Interval:
    """A bootstrap confidence interval; ``method`` is ``BCa`` or ``percentile`` (``note`` says why
    BCa was not used), ``None`` bounds when there is nothing to resample."""

    low: float | None
    high: float | None
    method: str
    confidence: float
    resamples: int
    seed: int
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "low": self.low,
            "high": self.high,
            "method": self.method,
            "confidence": self.confidence,
            "resamples": self.resamples,
            "seed": self.seed,
        }
        if self.note:
            out["note"] = self.note
        return out


@dataclass(frozen=True, kw_only=True)
class Summary:
    group: str
    metric: str
    n: int
    mean: float
    std: float | None
    median: float
    iqm: float
    min: float
    max: float
    interval: Interval
    indices: tuple[int, ...]
    values: tuple[float, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "group": self.group,
            "metric": self.metric,
            "n": self.n,
            "mean": self.mean,
            "std": self.std,
            "median": self.median,
            "iqm": self.iqm,
            "min": self.min,
            "max": self.max,
            "ci": self.interval.to_dict(),
            "values": [{"replicate": i, "value": v} for i, v in zip(self.indices, self.values, strict=False)],
        }


@dataclass(frozen=True, kw_only=True)
class Comparison:
    """``candidate - baseline`` for one metric."""

    metric: str
    candidate: str
    baseline: str
    paired: bool
    pairing: str
    better: Better
    difference: float
    interval: Interval
    probability_of_improvement: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "candidate": self.candidate,
            "baseline": self.baseline,
            "paired": self.paired,
            "pairing": self.pairing,
            "better": self.better,
            "difference": self.difference,
            "ci": self.interval.to_dict(),
            "probability_of_improvement": self.probability_of_improvement,
        }


def resamples_for(n: int, requested: int = DEFAULT_RESAMPLES) -> int:
    """The number of bootstrap resamples for ``n`` values: ``requested``, fewer for very large groups."""
    if n <= 0:
        return requested
    return max(min(requested, _RESAMPLE_BUDGET // n), min(requested, _MIN_RESAMPLES))


def summarize(sample: Sample, *, seed: int = BOOTSTRAP_SEED, resamples: int = DEFAULT_RESAMPLES) -> Summary:
    import numpy as np

    x = np.asarray(sample.values, dtype=float)
    n = int(x.size)
    if n == 0:
        raise ValueError(f"group {sample.group!r} has no values of metric {sample.metric!r}")
    interval = mean_interval(x, seed=seed, resamples=resamples)
    return Summary(
        group=sample.group,
        metric=sample.metric,
        n=n,
        mean=float(x.mean()),
        std=float(x.std(ddof=1)) if n > 1 else None,
        median=float(np.median(x)),
        iqm=iqm(x),
        min=float(x.min()),
        max=float(x.max()),
        interval=interval,
        indices=sample.indices,
        values=sample.values,
    )


def iqm(values: Sequence[float] | np.ndarray) -> float:
    """The interquartile mean: drop the lowest and highest quarter (``int(n / 4)`` values each, as
    ``scipy.stats.trim_mean(x, 0.25)``) and average the rest."""
    import numpy as np

    x = np.sort(np.asarray(values, dtype=float))
    cut = int(0.25 * x.size)
    return float(x[cut : x.size - cut].mean())


def mean_interval(x: np.ndarray, *, seed: int = BOOTSTRAP_SEED, resamples: int = DEFAULT_RESAMPLES) -> Interval:
    """The bootstrap confidence interval of the mean of ``x``."""

    n = int(x.size)
    b = resamples_for(n, resamples)
    if n < 2:
        return Interval(
            low=None,
            high=None,
            method="none",
            confidence=CONFIDENCE,
            resamples=0,
            seed=seed,
            note="one replicate: no interval",
        )
    dist = _distribution((x,), b, seed)
    total = float(x.sum())
    jack = [(total - x) / (n - 1)]
    return _interval(float(x.mean()), dist, jack, b, seed)


def compare(
    candidate: Sample,
    baseline: Sample,
    *,
    better: Better = "higher",
    seed: int = BOOTSTRAP_SEED,
    resamples: int = DEFAULT_RESAMPLES,
) -> Comparison:
    """``candidate`` against ``baseline`` for one metric (see the module's notes on pairing)."""
    import numpy as np

    paired, why = pairing(candidate, baseline)
    sign = 1.0 if better == "higher" else -1.0
    if paired:
        order_c = np.argsort(candidate.indices)
        order_b = np.argsort(baseline.indices)
        d = np.asarray(candidate.values, dtype=float)[order_c] - np.asarray(baseline.values, dtype=float)[order_b]
        diff = float(d.mean())
        interval = mean_interval(d, seed=seed, resamples=resamples)
        signed = sign * d
        poi = float((np.count_nonzero(signed > 0) + 0.5 * np.count_nonzero(signed == 0)) / d.size)
    else:
        c = np.asarray(candidate.values, dtype=float)
        a = np.asarray(baseline.values, dtype=float)
        diff = float(c.mean() - a.mean())
        interval = difference_interval(c, a, seed=seed, resamples=resamples)
        poi = probability_of_improvement(sign * c, sign * a)
    return Comparison(
        metric=candidate.metric,
        candidate=candidate.group,
        baseline=baseline.group,
        paired=paired,
        pairing=why,
        better=better,
        difference=diff,
        interval=interval,
        probability_of_improvement=poi,
    )


def pairing(candidate: Sample, baseline: Sample) -> tuple[bool, str]:
    """Whether two samples pair up replicate by replicate, and why (or why not)."""
    if sorted(candidate.indices) != sorted(baseline.indices):
        return False, "not paired: the groups ran different replicate indices"
    if candidate.seeds is None or baseline.seeds is None:
        return False, "not paired: the seeds of some replicates are not known"
    c = dict(zip(candidate.indices, candidate.seeds, strict=False))
    b = dict(zip(baseline.indices, baseline.seeds, strict=False))
    if any(c[i] != b[i] for i in c):
        return False, "not paired: the groups ran with different seeds"
    if len(c) < 2:
        return False, "not paired: fewer than two replicates"
    return True, (
        "paired by replicate index: both groups ran the same replicate seeds, so each difference "
        "is a change of code under the same seeds"
    )


def difference_interval(
    c: np.ndarray, a: np.ndarray, *, seed: int = BOOTSTRAP_SEED, resamples: int = DEFAULT_RESAMPLES
) -> Interval:
    """The bootstrap interval of ``mean(c) - mean(a)``, each group resampled on its own."""
    if c.size < 2 or a.size < 2:
        return Interval(
            low=None,
            high=None,
            method="none",
            confidence=CONFIDENCE,
            resamples=0,
            seed=seed,
            note="a group with one replicate: no interval",
        )
    b = resamples_for(max(c.size, a.size), resamples)
    dist = _distribution((c, a), b, seed)
    sc, sa = float(c.sum()), float(a.sum())
    mc, ma = float(c.mean()), float(a.mean())
    jack = [(sc - c) / (c.size - 1) - ma, mc - (sa - a) / (a.size - 1)]
    return _interval(mc - ma, dist, jack, b, seed)


def probability_of_improvement(c: np.ndarray, a: np.ndarray) -> float:
    """P(C > A) + P(C = A) / 2 for independent draws C of ``c`` and A of ``a`` (the Mann-Whitney U
    statistic over all pairs, n log n by sorting)."""
    import numpy as np

    a_sorted = np.sort(a)
    below = np.searchsorted(a_sorted, c, side="left")
    at_or_below = np.searchsorted(a_sorted, c, side="right")
    return float((below.sum() + at_or_below.sum()) / (2.0 * c.size * a.size))


def _ndtr(x: float) -> float:
    """The standard normal CDF (``scipy.special.ndtr``)."""
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


def _ndtri(p: float) -> float:
    """Its inverse (``scipy.special.ndtri``), infinite at 0 and 1."""
    if p <= 0.0:
        return -math.inf
    if p >= 1.0:
        return math.inf
    from statistics import NormalDist

    return NormalDist().inv_cdf(p)


def _distribution(data: tuple[np.ndarray, ...], resamples: int, seed: int) -> np.ndarray:
    """The bootstrap distribution of the mean (one sample) or of ``mean(c) - mean(a)`` (two), drawn as
    ``scipy.stats.bootstrap`` draws it (one ``integers(0, n, (resamples, n))`` call per sample, in
    order), so the same seed gives scipy's distribution; the means are taken in row blocks to bound
    the memory of large groups."""
    import numpy as np

    means = []
    for k, sample in enumerate(data):
        idx = _indices(seed, resamples, tuple(s.size for s in data[: k + 1]))
        rows = max(1, _BLOCK // sample.size)
        means.append(np.concatenate([sample[idx[i : i + rows]].mean(axis=-1) for i in range(0, resamples, rows)]))
    return means[0] if len(means) == 1 else means[0] - means[1]


@functools.lru_cache(maxsize=2)
def _indices(seed: int, resamples: int, sizes: tuple[int, ...]) -> np.ndarray:
    """The resample indices of the last of ``sizes`` from a generator seeded with ``seed`` that first drew
    those of the samples before it. Cached: every metric of a group (same replicates, same seed)
    resamples the same indices, as scipy would; drawing them is most of a large report's time."""
    import numpy as np

    rng = np.random.default_rng(seed)
    for size in sizes[:-1]:
        rng.integers(0, size, (resamples, size))
    return rng.integers(0, sizes[-1], (resamples, sizes[-1]))


def _interval(theta: float, dist: np.ndarray, jack: list[np.ndarray], resamples: int, seed: int) -> Interval:
    import numpy as np

    alpha = (1 - CONFIDENCE) / 2
    note = ""
    # BCa (scipy's _bca_interval): bias correction from where theta sits in the bootstrap
    # distribution, acceleration from the jackknife.
    share = (np.count_nonzero(dist < theta) + np.count_nonzero(dist <= theta)) / (2 * dist.size)
    z0 = _ndtri(float(share))
    nums = dens = 0.0
    for values in jack:
        m = float(values.size)
        u = (m - 1) * (values.mean() - values)
        nums += float(np.sum(u**3)) / m**3
        dens += float(np.sum(u**2)) / m**2
    with np.errstate(divide="ignore", invalid="ignore"):
        a_hat = float(np.float64(nums) / np.float64(dens) ** 1.5 / 6) if dens > 0 else math.nan
    if not math.isfinite(z0):
        note = "BCa undefined (the estimate lies outside every resample): percentile interval"
    elif not math.isfinite(a_hat):
        note = "BCa undefined (every replicate has the same value): percentile interval"
    if not note:
        z = _ndtri(alpha)
        lo_q = _ndtr(z0 + (z0 + z) / (1 - a_hat * (z0 + z)))
        hi_q = _ndtr(z0 + (z0 - z) / (1 - a_hat * (z0 - z)))
        lo, hi = (float(q) for q in np.quantile(dist, [lo_q, hi_q]))
        if math.isfinite(lo) and math.isfinite(hi):
            return Interval(low=lo, high=hi, method="BCa", confidence=CONFIDENCE, resamples=resamples, seed=seed)
        note = "BCa undefined for this distribution: percentile interval"
    lo, hi = (float(q) for q in np.quantile(dist, [alpha, 1 - alpha]))
    return Interval(
        low=lo, high=hi, method="percentile", confidence=CONFIDENCE, resamples=resamples, seed=seed, note=note
    )
