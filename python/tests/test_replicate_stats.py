"""The statistics of `seedlock report`, each held to numpy/scipy computed here independently."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats
from seedlock.records import replicate_stats as rs


def _sample(values, group="g", metric="m", seeds=None, indices=None) -> rs.Sample:  # type: ignore[no-untyped-def]
    values = tuple(float(v) for v in values)
    return rs.Sample(
        group=group,
        metric=metric,
        indices=tuple(indices or range(len(values))),
        values=values,
        seeds=tuple(seeds) if seeds is not None else None,
    )


@pytest.mark.parametrize("n", [2, 3, 7, 20, 101])
def test_the_summary_matches_numpy_and_scipy(n: int) -> None:
    x = np.random.default_rng(n).gamma(2.0, size=n)
    s = rs.summarize(_sample(x))
    assert s.n == n
    assert s.mean == pytest.approx(float(np.mean(x)), rel=1e-12)
    assert s.std == pytest.approx(float(np.std(x, ddof=1)), rel=1e-12)
    assert s.median == pytest.approx(float(np.median(x)), rel=1e-12)
    assert s.iqm == pytest.approx(float(stats.trim_mean(x, 0.25)), rel=1e-12)
    assert (s.min, s.max) == (float(x.min()), float(x.max()))


@pytest.mark.parametrize("n", [5, 12, 40, 300])
def test_the_interval_of_the_mean_is_scipys_bca_interval(n: int) -> None:
    x = np.random.default_rng(100 + n).lognormal(size=n)
    ours = rs.mean_interval(x, seed=7, resamples=4999)
    ref = stats.bootstrap((x,), np.mean, n_resamples=4999, method="BCa", rng=np.random.default_rng(7))
    assert ours.method == "BCa" and not ours.note
    assert ours.low == pytest.approx(float(ref.confidence_interval.low), rel=1e-9)
    assert ours.high == pytest.approx(float(ref.confidence_interval.high), rel=1e-9)


def test_the_interval_of_a_difference_of_independent_means_is_scipys_bca_interval() -> None:
    rng = np.random.default_rng(3)
    c, a = rng.normal(1.0, 1.0, size=15), rng.exponential(size=22)
    ours = rs.difference_interval(c, a, seed=11, resamples=3999)

    def diff(x, y, axis=-1):  # type: ignore[no-untyped-def]
        return np.mean(x, axis=axis) - np.mean(y, axis=axis)

    ref = stats.bootstrap((c, a), diff, n_resamples=3999, method="BCa", rng=np.random.default_rng(11))
    assert ours.method == "BCa"
    assert ours.low == pytest.approx(float(ref.confidence_interval.low), rel=1e-9)
    assert ours.high == pytest.approx(float(ref.confidence_interval.high), rel=1e-9)


def test_identical_values_fall_back_to_the_percentile_interval_and_say_so() -> None:
    s = rs.summarize(_sample([0.5] * 6))
    assert s.interval.method == "percentile"
    assert "same value" in s.interval.note
    assert (s.interval.low, s.interval.high) == (0.5, 0.5)


def test_a_single_replicate_has_no_interval() -> None:
    s = rs.summarize(_sample([0.5]))
    assert (s.interval.low, s.interval.high, s.interval.method, s.std) == (None, None, "none", None)


def test_groups_with_the_same_seeds_per_replicate_are_compared_pair_by_pair() -> None:
    rng = np.random.default_rng(5)
    base = rng.normal(size=30)
    cand = base + 0.1 + rng.normal(scale=0.01, size=30)
    seeds = [f"s{i}" for i in range(30)]
    # the candidate's replicates are listed in another order: pairing is by replicate index
    order = rng.permutation(30)
    cmp = rs.compare(
        _sample(cand[order], "new", seeds=[seeds[i] for i in order], indices=order.tolist()),
        _sample(base, "old", seeds=seeds),
    )
    assert cmp.paired and "same replicate seeds" in cmp.pairing
    d = cand - base
    ref = stats.bootstrap((d,), np.mean, method="BCa", rng=np.random.default_rng(rs.BOOTSTRAP_SEED))
    assert cmp.difference == pytest.approx(float(d.mean()), rel=1e-12)
    assert cmp.interval.low == pytest.approx(float(ref.confidence_interval.low), rel=1e-9)
    assert cmp.interval.high == pytest.approx(float(ref.confidence_interval.high), rel=1e-9)
    assert cmp.probability_of_improvement == float(np.mean(d > 0))
    # the same numbers unpaired would bury the change in seed noise: the paired interval is far narrower
    unpaired = rs.compare(_sample(cand, "new"), _sample(base, "old"))
    assert not unpaired.paired
    assert (cmp.interval.high - cmp.interval.low) < (unpaired.interval.high - unpaired.interval.low) / 10


def test_groups_with_different_seeds_are_independent_samples() -> None:
    rng = np.random.default_rng(8)
    c, a = rng.normal(0.2, size=25), rng.normal(size=25)
    cmp = rs.compare(
        _sample(c, "new", seeds=[f"x{i}" for i in range(25)]), _sample(a, "old", seeds=[f"y{i}" for i in range(25)])
    )
    assert not cmp.paired and "different seeds" in cmp.pairing
    pairs = c[:, None] - a[None, :]
    assert cmp.probability_of_improvement == pytest.approx(float(np.mean(pairs > 0) + 0.5 * np.mean(pairs == 0)))
    u = stats.mannwhitneyu(c, a).statistic / (c.size * a.size)
    assert cmp.probability_of_improvement == pytest.approx(float(u))


def test_probability_of_improvement_counts_ties_as_half_and_follows_the_better_direction() -> None:
    c, a = np.array([1.0, 2.0, 3.0]), np.array([2.0, 2.0])
    assert rs.probability_of_improvement(c, a) == pytest.approx(
        (0 + 0.5 * 2 + 2) / 6
    )  # 1 loses twice, 2 ties twice, 3 wins twice
    loss_new, loss_old = _sample([0.1, 0.2, 0.3], "new"), _sample([0.5, 0.6], "old")
    assert rs.compare(loss_new, loss_old, better="lower").probability_of_improvement == 1.0
    assert rs.compare(loss_new, loss_old, better="higher").probability_of_improvement == 0.0


def test_very_large_groups_use_fewer_resamples_and_report_how_many() -> None:
    assert rs.resamples_for(50) == 9999
    assert rs.resamples_for(10_000) == 1000
    s = rs.summarize(_sample(np.random.default_rng(0).normal(size=10_000)))
    assert s.interval.resamples == 1000 and s.interval.method == "BCa"
