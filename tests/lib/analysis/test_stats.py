"""Intervals against published exact values (Garwood's Poisson limits)."""

from __future__ import annotations

import pytest

from lib.analysis.stats import (
    OutOfDomain,
    clamped_share,
    poisson_interval,
    rate_interval,
    rate_ratio_interval,
    wilson_interval,
)


@pytest.mark.parametrize(
    ("count", "low", "high"),
    # Exact 95% limits for a Poisson count, from standard tables.
    [(0, 0.0, 3.689), (1, 0.0253, 5.572), (5, 1.624, 11.668), (10, 4.795, 18.390), (100, 81.36, 121.63)],
)
def test_poisson_interval_is_close_to_the_exact_one(count, low, high):
    interval = poisson_interval(count)
    assert interval.low == pytest.approx(low, rel=1e-3)
    assert interval.high == pytest.approx(high, rel=1e-3)


def test_a_negative_count_is_an_error():
    with pytest.raises(ValueError, match="cannot be negative"):
        poisson_interval(-1)


def test_rate_interval_is_per_1000_hours_and_needs_hours():
    interval = rate_interval(10, 5000.0)
    assert (interval.low, interval.high) == pytest.approx((0.959, 3.678), rel=0.01)
    assert rate_interval(3, 0.0) is None


def test_wilson_interval_of_half():
    interval = wilson_interval(50, 100)
    assert (interval.low, interval.high) == pytest.approx((0.4038, 0.5962), abs=1e-3)


def test_rate_ratio_interval_covers_one_for_equal_rates_and_not_for_a_tripling():
    assert not rate_ratio_interval(40, 1000.0, 40, 1000.0).excludes(1.0)
    tripled = rate_ratio_interval(90, 1000.0, 30, 1000.0)
    assert tripled.low > 1.9 and tripled.high < 4.7
    assert rate_ratio_interval(0, 100.0, 0, 100.0) is None


# Issue 36: a share above 1 (3,000 crashing clients of 10 active ones) must be named, not
# die as Python's bare "math domain error" deep in a night of verdicts.
@pytest.mark.parametrize(("successes", "trials"), [(3000, 10), (11, 10), (-1, 10)])
def test_a_share_outside_zero_to_one_has_no_wilson_interval_and_says_why(successes, trials):
    with pytest.raises(OutOfDomain, match=f"0 <= successes <= trials, not {successes} of {trials}"):
        wilson_interval(successes, trials)


def test_a_share_of_all_or_nothing_is_still_an_interval():
    assert wilson_interval(10, 10).high == 1.0
    assert wilson_interval(0, 10).low == 0.0


@pytest.mark.parametrize(
    ("part", "whole", "clamped"),
    [
        (3000, 10, (10, "3,000 counted in a share of 10: taken as 10")),
        (-2, 10, (0, "-2 counted in a share of 10: taken as 0")),
        (10, 10, (10, None)),
        (0, 0, (0, None)),
    ],
)
def test_clamped_share_brings_a_part_within_its_whole_and_says_so(part, whole, clamped):
    assert clamped_share(part, whole) == clamped


def test_a_negative_count_has_no_poisson_interval_and_a_negative_rate_ratio_neither():
    with pytest.raises(OutOfDomain):
        rate_ratio_interval(-5, 100.0, 3, 100.0)
