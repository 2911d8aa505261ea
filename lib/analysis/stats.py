"""Intervals for crash counts and rates, so no rate is shown without its uncertainty.

Crash counts over a known number of usage hours are Poisson. Two releases are
compared through the conditional binomial: given ``n = a + b`` crashes, ``a`` is
binomial with ``p = ha * ra / (ha * ra + hb * rb)``, so a Wilson interval for
``p`` becomes an interval for the rate ratio ``ra / rb``. Pure Python, on the
already-aggregated rows (scipy for the chi-square quantiles).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy.stats import chi2

Z95 = 1.959964


@dataclass(frozen=True)
class Interval:
    low: float
    high: float

    def excludes(self, value: float) -> bool:
        return value < self.low or value > self.high


def poisson_interval(count: int, confidence: float = 0.95) -> Interval:
    """The exact (Garwood) interval for a Poisson count, right even for 0 or 1 crash."""
    if count < 0:
        raise ValueError(f"a count cannot be negative: {count}")
    alpha = 1 - confidence
    low = 0.0 if count == 0 else float(chi2.ppf(alpha / 2, 2 * count)) / 2
    high = float(chi2.ppf(1 - alpha / 2, 2 * count + 2)) / 2
    return Interval(low, high)


def rate_per_1000(count: int, hours: float) -> float | None:
    return count / hours * 1000 if hours > 0 else None


def rate_interval(count: int, hours: float) -> Interval | None:
    if hours <= 0:
        return None
    counts = poisson_interval(count)
    return Interval(counts.low / hours * 1000, counts.high / hours * 1000)


def wilson_interval(successes: int, trials: int, z: float = Z95) -> Interval:
    if trials <= 0:
        return Interval(0.0, 1.0)
    p = successes / trials
    centre = (p + z * z / (2 * trials)) / (1 + z * z / trials)
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / (1 + z * z / trials)
    return Interval(max(0.0, centre - half), min(1.0, centre + half))


def rate_ratio_interval(count_a: int, hours_a: float, count_b: int, hours_b: float) -> Interval | None:
    """Interval for (count_a / hours_a) / (count_b / hours_b); None without hours or crashes."""
    if hours_a <= 0 or hours_b <= 0 or count_a + count_b == 0:
        return None
    share = wilson_interval(count_a, count_a + count_b)

    def ratio(p: float) -> float:
        return math.inf if p >= 1 else p / (1 - p) * hours_b / hours_a

    return Interval(ratio(share.low), ratio(share.high))
