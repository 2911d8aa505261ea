"""A change of crash rate split by crash reason: exact sums, honest intervals, calibrated flags."""

from __future__ import annotations

import random

import pytest

from lib.analysis.reasons import OTHER_REASONS, Exposure, reason_changes
from lib.analysis.stats import ClientSums, rate_interval, robust_rate_interval

MIN_CRASHES, MIN_REASON_CRASHES = 10, 5


def poisson_exposure(version: str, crashes: int, hours: float) -> Exposure:
    interval = rate_interval(crashes, hours)
    assert interval is not None
    return Exposure(version, crashes, hours, interval.low, interval.high)


def changes(latest, previous, latest_hours=10_000.0, previous_hours=20_000.0, newest=None, before=None):
    newest = newest or poisson_exposure("158.0", sum(latest.values()), latest_hours)
    before = before or poisson_exposure("157.0", sum(previous.values()), previous_hours)
    return reason_changes(latest, previous, newest, before, MIN_CRASHES, MIN_REASON_CRASHES)


def test_the_differences_add_up_to_the_change_of_the_total_rate():
    latest = {"main: OOM": 60, "main: nvwgf2umx.dll": 25, "main: xul.dll": 15}
    previous = {"main: OOM": 100, "main: xul.dll": 40, "main: rare": 2}
    found = changes(latest, previous)
    total = 1000 * 100 / 10_000 - 1000 * 142 / 20_000
    assert sum(c.difference for c in found) == pytest.approx(total)
    assert sum(c.share_of_change for c in found) == pytest.approx(1.0)
    by_reason = {c.reason: c for c in found}
    assert (by_reason["main: OOM"].latest_rate, by_reason["main: OOM"].previous_rate) == (6.0, 5.0)
    assert "main: rare" not in by_reason  # 2 crashes in all: pooled
    assert by_reason[OTHER_REASONS].previous_crashes == 2


def test_a_new_reason_is_named_first_with_most_of_the_change():
    latest = {"main: OOM": 50, "main: xul.dll": 20, "main: nvwgf2umx.dll": 40}
    previous = {"main: OOM": 100, "main: xul.dll": 40}
    first, *rest = changes(latest, previous)
    assert (first.reason, first.flag, first.previous_crashes) == ("main: nvwgf2umx.dll", "new", 0)
    assert first.share_of_change == pytest.approx(1.0)  # the others did not change at all
    assert {c.flag for c in rest} == {"steady"}


def test_a_reason_gone_is_shrunk_and_one_under_the_minimum_is_grown_not_new():
    latest, previous = {"main: a": 100, "main: c": 6, "main: d": 2}, {"main: a": 200, "main: b": 60, "main: d": 3}
    found = {c.reason: c.flag for c in changes(latest, previous)}
    # c: 6 crashes against none in twice the hours is certain, but under 10 crashes it is not "new".
    assert found == {"main: a": "steady", "main: b": "shrunk", "main: c": "grown", "main: d": "steady"}


def test_one_machine_crashing_100_times_on_one_reason_does_not_flag_it():
    """The total's interval is cluster-robust: that one machine widens it, and each reason's with it."""
    rng = random.Random(7)

    # 2,000 clients of 5 hours on each side, crashing at the same rate (about 1 per 100 hours).
    def side(extra: int) -> tuple[dict[str, int], ClientSums]:
        per_client = [sum(rng.random() < 0.01 for _ in range(5)) for _ in range(2000)]
        per_client[0] += extra
        counts = {"main: OOM": sum(per_client) - extra, "main: driver.dll": extra}
        sums = ClientSums(
            sum(per_client),
            2000 * 5.0,
            float(sum(y * y for y in per_client)),
            float(sum(y * 5.0 for y in per_client)),
            2000 * 25.0,
            2000,
        )
        return counts, sums

    (latest, latest_sums), (previous, previous_sums) = side(100), side(0)
    robust = [robust_rate_interval(s) for s in (latest_sums, previous_sums)]
    newest = Exposure("158.0", latest_sums.crashes, latest_sums.hours, robust[0].low, robust[0].high)
    before = Exposure("157.0", previous_sums.crashes, previous_sums.hours, robust[1].low, robust[1].high)
    found = {c.reason: c.flag for c in changes(latest, previous, newest=newest, before=before)}
    assert found["main: driver.dll"] not in ("new", "grown")
    # The same counts read as independent crashes (Poisson) would have called it new.
    naive = {c.reason: c.flag for c in changes(latest, previous, 10_000.0, 10_000.0)}
    assert naive["main: driver.dll"] == "new"


def test_equal_releases_flag_at_most_five_percent_of_their_reasons():
    """Calibration: 400 simulated nights, eight reasons at fixed rates on both sides."""
    rng = random.Random(2026)
    rates = [3.0, 1.5, 0.8, 0.5, 0.3, 0.2, 0.1, 0.05]  # per 1,000 hours
    flagged = judged = 0
    for _ in range(400):
        hours = (rng.choice([5_000.0, 20_000.0, 80_000.0]), rng.choice([5_000.0, 20_000.0, 80_000.0]))
        sides = [{f"main: r{i}": poisson(rng, rate * h / 1000) for i, rate in enumerate(rates)} for h in hours]
        found = changes(sides[0], sides[1], *hours)
        judged += len(found)
        flagged += sum(c.flag != "steady" for c in found)
    assert flagged / judged <= 0.05, f"{flagged} of {judged} equal reasons flagged"


def poisson(rng: random.Random, mean: float) -> int:
    """Knuth's method, in pieces of at most 30 so exp() never underflows."""
    count = 0
    while mean > 0:
        piece, mean = min(mean, 30.0), mean - 30.0
        limit, product = pow(2.718281828459045, -piece), rng.random()
        while product > limit:
            count += 1
            product *= rng.random()
    return count
