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

Z95 = 1.959964


@dataclass(frozen=True)
class Interval:
    low: float
    high: float

    def excludes(self, value: float) -> bool:
        return value < self.low or value > self.high


class OutOfDomain(ValueError):
    """A statistic's input outside what it is defined for (a share above 1, a negative
    count): named, so a caller can mark the one cell and go on with the others."""


def poisson_interval(count: int, confidence: float = 0.95) -> Interval:
    """The exact (Garwood) interval for a Poisson count, right even for 0 or 1 crash."""
    if count < 0:
        raise OutOfDomain(f"a count cannot be negative: {count}")
    # Imported here: scipy.stats takes seconds to import, and a job that neither compares
    # nor runs its checks (Great Expectations imports it) never needs it.
    from scipy.stats import chi2

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
    """The Wilson score interval of the share ``successes / trials``; (0, 1) without trials.

    A share outside [0, 1] has none: :class:`OutOfDomain`, never Python's bare ``math
    domain error`` (see :func:`clamped_share` for counts that may not nest)."""
    if trials <= 0:
        return Interval(0.0, 1.0)
    if not 0 <= successes <= trials:
        raise OutOfDomain(f"a share needs 0 <= successes <= trials, not {successes} of {trials}")
    p = successes / trials
    centre = (p + z * z / (2 * trials)) / (1 + z * z / trials)
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / (1 + z * z / trials)
    # Exactly 0 or 1 at the ends: rounding must not leave the observed share outside.
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == trials else min(1.0, centre + half)
    return Interval(low, high)


def clamped_share(part: int, whole: int) -> tuple[int, str | None]:
    """``part`` brought within [0, ``whole``] and, when it was not, why, in words: counts
    that should nest but come from two sources (crashing clients out of active clients,
    each a HyperLogLog estimate, or crash pings of clients that sent no usage ping)."""
    if part > whole:
        return whole, f"{part:,} counted in a share of {whole:,}: taken as {whole:,}"
    if part < 0:
        return 0, f"{part:,} counted in a share of {whole:,}: taken as 0"
    return part, None


def rate_ratio_interval(count_a: int, hours_a: float, count_b: int, hours_b: float) -> Interval | None:
    """Interval for (count_a / hours_a) / (count_b / hours_b); None without hours or crashes."""
    if min(count_a, count_b) < 0:
        raise OutOfDomain(f"a count cannot be negative: {count_a} and {count_b}")
    if hours_a <= 0 or hours_b <= 0 or count_a + count_b == 0:
        return None
    share = wilson_interval(count_a, count_a + count_b)

    def ratio(p: float) -> float:
        return math.inf if p >= 1 else p / (1 - p) * hours_b / hours_a

    return Interval(ratio(share.low), ratio(share.high))


# -- when crashes cluster on clients --------------------------------------------------


@dataclass(frozen=True)
class ClientSums:
    """Crashes and hours summed over clients, with what a cluster-robust interval needs
    and no client id: over the clients ``c`` of a cell, ``crashes`` = Σ y_c, ``hours`` =
    Σ h_c, ``crashes_sq`` = Σ y_c², ``crashes_hours`` = Σ y_c·h_c, ``hours_sq`` = Σ h_c²,
    and ``clients`` the number of clients. Sums of cells add up to the sums of their union
    (taking a client on two days as two clients: see the README)."""

    crashes: int
    hours: float
    crashes_sq: float
    crashes_hours: float
    hours_sq: float
    clients: int

    def __add__(self, other: ClientSums) -> ClientSums:
        return ClientSums(
            self.crashes + other.crashes,
            self.hours + other.hours,
            self.crashes_sq + other.crashes_sq,
            self.crashes_hours + other.crashes_hours,
            self.hours_sq + other.hours_sq,
            self.clients + other.clients,
        )

    @property
    def rate(self) -> float | None:
        return rate_per_1000(self.crashes, self.hours)

    def log_rate_variance(self) -> float | None:
        """The sandwich (cluster-robust) variance of log(crashes / hours), with the
        small-sample factor n / (n - 1); None where it is undefined (no crash, one client)."""
        if self.crashes <= 0 or self.hours <= 0 or self.clients < 2:
            return None
        ratio = self.crashes / self.hours
        residuals = self.crashes_sq - 2 * ratio * self.crashes_hours + ratio * ratio * self.hours_sq
        variance = max(residuals, 0.0) * self.clients / (self.clients - 1) / (self.hours * self.hours)
        return variance / (ratio * ratio)


ROBUST = "cluster-robust (clients), log scale"
POISSON = "exact Poisson"


def robust_rate_interval(sums: ClientSums, z: float = Z95) -> Interval | None:
    """A 95% interval for crashes per 1,000 hours that stays right when a few clients
    crash again and again: the sandwich interval on the log scale, never narrower than
    the exact Poisson one (which is all there is to say about 0 crashes or 1 client)."""
    poisson = rate_interval(sums.crashes, sums.hours)
    variance = sums.log_rate_variance()
    if poisson is None or variance is None:
        return poisson
    rate, spread = sums.crashes / sums.hours * 1000, z * math.sqrt(variance)
    return Interval(min(poisson.low, rate * math.exp(-spread)), max(poisson.high, rate * math.exp(spread)))


def robust_ratio_interval(a: ClientSums, b: ClientSums, z: float = Z95) -> Interval | None:
    """A 95% interval for rate(a) / rate(b), two independent populations of clients: the
    delta method on the log ratio with each side's sandwich variance, never narrower than
    the Poisson (conditional binomial) interval; None without hours or crashes."""
    poisson = rate_ratio_interval(a.crashes, a.hours, b.crashes, b.hours)
    va, vb = a.log_rate_variance(), b.log_rate_variance()
    if poisson is None or va is None or vb is None:
        return poisson
    ratio = (a.crashes / a.hours) / (b.crashes / b.hours)
    spread = z * math.sqrt(va + vb)
    return Interval(min(poisson.low, ratio * math.exp(-spread)), max(poisson.high, ratio * math.exp(spread)))
