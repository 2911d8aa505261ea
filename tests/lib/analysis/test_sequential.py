"""The release-day confidence sequence: valid at every hourly look, robust to storms, and
able to find a real regression; measured against a fixed interval read hourly."""

from __future__ import annotations

import itertools
import math

import pytest

from lib.analysis.compare import thresholds
from lib.analysis.sequential import Hour, confidence_sequence, dispersion, fixed_interval_lower_bounds
from lib.synthetic.release_days import Scenario, release_fortnight

SEEDS = range(150)


def _flagged(scenario: Scenario, materiality: float) -> tuple[float, float]:
    """Share of seeds the sequence, and a fixed 95% interval recomputed every hour, call
    a regression (lower bound above ``materiality``) at some hour of the fortnight."""
    sequence = fixed = 0
    for seed in SEEDS:
        hours = release_fortnight(scenario, seed)
        sequence += any(look.low > materiality for look in confidence_sequence(hours))
        fixed += any(low > materiality for low in fixed_interval_lower_bounds(hours))
    return sequence / len(SEEDS), fixed / len(SEEDS)


@pytest.mark.parametrize(
    "scenario",
    [Scenario(), Scenario(storm_probability=0), Scenario(burst_mean=1.0, storm_probability=0)],
    ids=["bursts and storms", "bursts", "poisson"],
)
def test_equal_releases_monitored_hourly_for_a_fortnight_are_rarely_called_worse(scenario):
    sequence, fixed = _flagged(scenario, materiality=1.0)
    print(f"{scenario}: the sequence flags {sequence:.1%} of seeds, a fixed 95% interval read hourly {fixed:.1%}")
    assert sequence <= 0.05
    assert fixed > 2 * 0.05  # what the sequence is for: reading a fixed interval hourly is not honest


def test_a_release_at_the_materiality_threshold_is_called_a_regression_in_at_most_5_percent_of_seeds():
    materiality = thresholds().materiality
    sequence, fixed = _flagged(Scenario(ratio=materiality), materiality)
    assert sequence <= 0.05 < fixed


def test_the_true_ratio_stays_inside_the_sequence_at_every_hour_in_95_percent_of_seeds():
    scenario = Scenario(ratio=1.3)
    looks = (confidence_sequence(release_fortnight(scenario, seed)) for seed in SEEDS)
    missed = sum(any(look.low > scenario.ratio or look.high < scenario.ratio for look in seq) for seq in looks)
    assert missed / len(SEEDS) <= 0.05


def test_a_one_and_a_half_times_regression_is_established_and_its_interval_narrows_around_it():
    looks = confidence_sequence(release_fortnight(Scenario(ratio=1.5, hours_per_hour=5000), seed=1))
    first = next(look.hour for look in looks if look.low > thresholds().materiality)
    assert first < 48  # at ten times the demo's Mac volume, within two days
    last = looks[-1]
    assert last.low < 1.5 < last.high
    assert last.high - last.low < looks[first].high - looks[first].low
    # a running intersection: the interval never widens
    assert all(b.low >= a.low and b.high <= a.high for a, b in itertools.pairwise(looks))


def test_one_machine_crashing_a_hundred_times_in_an_hour_does_not_establish_a_regression():
    quiet = [Hour(2, 500.0, 2, 500.0, 2, 2) for _ in range(48)]
    storm = [*quiet[:24], Hour(102, 500.0, 2, 500.0, 100 * 100 + 2, 2), *quiet[25:]]
    assert all(look.low <= 1.0 for look in confidence_sequence(storm))
    # the same 100 crashes from 100 machines are a regression
    many = [*quiet[:24], Hour(102, 500.0, 2, 500.0, 102, 2), *quiet[25:]]
    assert confidence_sequence(many)[-1].low > 1.0


def test_no_hours_or_no_crashes_say_nothing():
    assert confidence_sequence([]) == []
    looks = confidence_sequence([Hour(0, 0.0, 0, 0.0), Hour(0, 100.0, 0, 100.0)])
    assert [(look.low, look.high) for look in looks] == [(0.0, math.inf), (0.0, math.inf)]
    assert looks[-1].ratio is None


def test_dispersion_is_one_for_single_crashes_and_grows_with_bursts():
    assert dispersion(10, 10) == 1.0
    assert dispersion(0, None) == 1.0
    assert dispersion(10, 100) == 10.0
