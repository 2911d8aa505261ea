"""Calibration: do the intervals hold when a few clients crash again and again?

Plain Python on simulated clients, many times over: each client has usage hours and a
crash-proneness drawn from a gamma with a small shape (mean 1, so the population's
rate is known; a few percent of clients produce most crashes), and crashes Poisson
given both. A 95% interval must contain the true rate in about 95% of the samples.
The exact Poisson interval, which takes every crash as independent, does not; the
cluster-robust one does, from nothing but per-client sums.
"""

from __future__ import annotations

import numpy as np
import pytest

from lib.analysis.compare import thresholds, verdict
from lib.analysis.stats import (
    ClientSums,
    rate_interval,
    rate_ratio_interval,
    robust_rate_interval,
    robust_ratio_interval,
)

TRUE_RATE = 10.0  # crashes per 1,000 hours
CLIENTS, SAMPLES = 10_000, 400
# Gamma shape of the crash-proneness: some 3% of clients crash at all, and 1% hold most crashes.
SHAPE = 0.05


def samples(seed: int, shape: float, rate: float = TRUE_RATE) -> list[ClientSums]:
    """SAMPLES days of CLIENTS clients each, reduced to what the tables keep."""
    rng = np.random.default_rng(seed)
    hours = rng.lognormal(np.log(3.0), 1.0, size=(SAMPLES, CLIENTS))
    proneness = rng.gamma(shape, 1 / shape, size=(SAMPLES, CLIENTS))
    crashes = rng.poisson(rate / 1000 * hours * proneness)
    return [
        ClientSums(
            int(y.sum()), float(h.sum()), float((y * y).sum()), float((y * h).sum()), float((h * h).sum()), CLIENTS
        )
        for y, h in zip(crashes, hours, strict=True)
    ]


def coverage(intervals) -> float:
    return float(np.mean([i is not None and i.low <= TRUE_RATE <= i.high for i in intervals]))


def test_clustered_crashes_are_clustered():
    """The simulated population looks like crash data: 1% of clients hold most crashes."""
    rng = np.random.default_rng(1)
    hours = rng.lognormal(np.log(3.0), 1.0, size=100_000)
    crashes = rng.poisson(TRUE_RATE / 1000 * hours * rng.gamma(SHAPE, 1 / SHAPE, size=100_000))
    top = np.sort(crashes)[::-1][: len(crashes) // 100]
    assert top.sum() / crashes.sum() > 0.5
    assert (crashes > 0).mean() < 0.05


def test_the_robust_interval_holds_where_the_poisson_one_fails():
    days = samples(seed=7, shape=SHAPE)
    robust = coverage(robust_rate_interval(d) for d in days)
    poisson = coverage(rate_interval(d.crashes, d.hours) for d in days)
    assert 0.93 <= robust <= 0.98, robust
    assert poisson < 0.8, poisson


def test_without_clustering_the_robust_interval_is_the_poisson_one_in_all_but_name():
    days = samples(seed=8, shape=1e6)  # every client alike: crashes are Poisson
    robust = coverage(robust_rate_interval(d) for d in days)
    assert 0.93 <= robust <= 0.98, robust
    widths = [
        (robust_rate_interval(d).high - robust_rate_interval(d).low)
        / (rate_interval(d.crashes, d.hours).high - rate_interval(d.crashes, d.hours).low)
        for d in days[:50]
    ]
    assert np.median(widths) < 1.15  # not wider than Poisson where Poisson is right


def test_two_releases_alike_are_rarely_called_different():
    """Same true rate on both sides: a ratio interval should exclude 1 in about 5% of days."""
    a, b = samples(seed=11, shape=SHAPE), samples(seed=12, shape=SHAPE)
    robust = [robust_ratio_interval(x, y) for x, y in zip(a, b, strict=True)]
    poisson = [rate_ratio_interval(x.crashes, x.hours, y.crashes, y.hours) for x, y in zip(a, b, strict=True)]
    false_alarms = np.mean([i.excludes(1.0) for i in robust])
    assert false_alarms <= 0.08, false_alarms
    assert np.mean([i.excludes(1.0) for i in poisson]) > 0.2


def test_a_real_doubling_is_still_found():
    a, b = samples(seed=13, shape=SHAPE, rate=2 * TRUE_RATE), samples(seed=14, shape=SHAPE)
    found = np.mean([robust_ratio_interval(x, y).low > 1.0 for x, y in zip(a, b, strict=True)])
    assert found > 0.5, found


@pytest.mark.parametrize(
    "sums",
    [
        ClientSums(0, 100.0, 0.0, 0.0, 100.0, 5),  # no crash: Poisson's interval, from 0
        ClientSums(3, 10.0, 9.0, 30.0, 100.0, 1),  # one client: nothing robust to say
    ],
)
def test_where_the_sandwich_is_undefined_the_poisson_interval_stands(sums):
    assert robust_rate_interval(sums) == rate_interval(sums.crashes, sums.hours)


def test_sums_of_cells_add_up():
    a, b = ClientSums(1, 2.0, 1.0, 2.0, 4.0, 1), ClientSums(3, 4.0, 9.0, 12.0, 16.0, 2)
    assert a + b == ClientSums(4, 6.0, 10.0, 14.0, 20.0, 3)


def test_the_ratio_interval_covers_the_true_ratio_and_equal_releases_are_rarely_called_regressions():
    """Coverage of the true ratio (1.5 here) between 93% and 97%; with equal true rates, the
    verdict (which needs the lower bound above the 1.1 materiality) says regression in at
    most 5% of days. The Poisson interval's coverage on the same days, for the record."""
    a, b = samples(seed=21, shape=SHAPE, rate=1.5 * TRUE_RATE), samples(seed=22, shape=SHAPE)
    robust = np.mean(
        [robust_ratio_interval(x, y).low <= 1.5 <= robust_ratio_interval(x, y).high for x, y in zip(a, b, strict=True)]
    )
    poisson_intervals = [rate_ratio_interval(x.crashes, x.hours, y.crashes, y.hours) for x, y in zip(a, b, strict=True)]
    poisson = np.mean([i.low <= 1.5 <= i.high for i in poisson_intervals])
    assert 0.93 <= robust <= 0.97, robust
    assert poisson < 0.85, poisson
    same, other = samples(seed=23, shape=SHAPE), samples(seed=24, shape=SHAPE)
    regressions = np.mean(
        [
            verdict(robust_ratio_interval(x, y), True, thresholds().materiality) == "regression"
            for x, y in zip(same, other, strict=True)
        ]
    )
    assert regressions <= 0.05, regressions
