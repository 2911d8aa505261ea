"""Release days in numbers only: hour-by-hour crashes and usage of a new release and of
the one before it, for calibrating the release-day verdicts without Spark.

Usage grows as the new release is adopted (each release the same way, so hour ``k``
since release sees about the same hours on both sides) and follows the day; crashes
come from clients in bursts within an hour (a crashing client crashes again), so they
are overdispersed as real crashes are; now and then one machine crashes 100 times in
an hour. A client crashing across many hours is not modelled (each hour draws its own
crashing clients), so the calibration says nothing about that case. Everything is
drawn from one seeded generator.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from lib.analysis.sequential import Hour

HOURS = 14 * 24


@dataclass(frozen=True)
class Scenario:
    """One platform's release fortnight: ``hours_per_hour`` once adopted, crashes per
    1,000 hours of the previous release, and the newest release's rate as a multiple."""

    hours_per_hour: float = 500.0  # about the demo's Mac at full adoption
    rate_per_1000: float = 3.0
    ratio: float = 1.0
    burst_mean: float = 1.5  # crashes per crashing client in an hour
    storm_probability: float = 0.01  # an hour in which one machine crashes 100 times
    hours: int = HOURS


def _usage(scenario: Scenario, rng: np.random.Generator) -> np.ndarray:
    k = np.arange(scenario.hours)
    adoption = 1 - np.exp(-(k + 1) / 36)
    daily = 1 + 0.4 * np.sin(2 * math.pi * k / 24)
    return scenario.hours_per_hour * adoption * daily * rng.uniform(0.9, 1.1, scenario.hours)


def _crashes(hours: np.ndarray, rate: float, scenario: Scenario, rng: np.random.Generator) -> tuple[int, int]:
    """(crashes, Σ y_c²) of one release in one hour."""
    p = 1 / scenario.burst_mean  # geometric bursts: mean 1/p crashes per crashing client
    clients = rng.poisson(rate / 1000 * hours / scenario.burst_mean)
    bursts = rng.geometric(p, clients)
    if rng.random() < scenario.storm_probability:
        bursts = np.append(bursts, 100)
    return int(bursts.sum()), int((bursts.astype(np.int64) ** 2).sum())


def release_fortnight(scenario: Scenario, seed: int) -> list[Hour]:
    """Hours since release 0..hours-1 of the newest and the previous release."""
    rng = np.random.default_rng(seed)
    latest, previous = _usage(scenario, rng), _usage(scenario, rng)
    out = []
    for k in range(scenario.hours):
        a, a_sq = _crashes(latest[k], scenario.rate_per_1000 * scenario.ratio, scenario, rng)
        b, b_sq = _crashes(previous[k], scenario.rate_per_1000, scenario, rng)
        out.append(Hour(a, float(latest[k]), b, float(previous[k]), a_sq, b_sq))
    return out
