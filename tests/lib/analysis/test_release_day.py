"""Which releases a release day compares, hour against hour since each first appeared."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from lib.analysis.compare import NO_CLEAR_CHANGE, NOT_ENOUGH_DATA, REGRESSION
from lib.analysis.release_day import NO_VERDICT, WINDOW_HOURS, HourlyRow, release_days, why_no_verdict
from lib.synthetic.release_days import Scenario, release_fortnight

START = datetime(2026, 11, 3, tzinfo=UTC)  # the channel's first hour of data: 157.0 is already out
PREVIOUS = START + timedelta(days=7, hours=14)  # 157.0.2 ships
LATEST = START + timedelta(days=14, hours=14)  # 158.0 ships


def _row(version: str, os_name: str, at: datetime, hours: float, crashes: int, crashes_sq: int) -> HourlyRow:
    return HourlyRow(
        "release",
        version,
        os_name,
        at.date(),
        at.hour,
        hours,
        {"main_crashes": crashes, "content_crashes": 0},
        {"main_crashes": crashes_sq, "content_crashes": 0},
    )


def _releases(ratios: dict[str, float], seed: int = 3) -> list[HourlyRow]:
    """157.0 from the start, then 157.0.2 and 158.0 hour by hour from the hour each ships
    (ten times the demo's Mac volume); 158.0 crashes ``ratios[os]`` times as often."""
    rows = [_row("157.0", os_name, START, 800.0, 2, 2) for os_name in ratios]
    for i, (os_name, ratio) in enumerate(sorted(ratios.items())):
        for k, h in enumerate(release_fortnight(Scenario(ratio=ratio, hours_per_hour=5000), seed + i)):
            latest, previous = LATEST + timedelta(hours=k), PREVIOUS + timedelta(hours=k)
            rows.append(_row("158.0", os_name, latest, h.latest_hours, h.latest_crashes, h.latest_crashes_sq or 0))
            rows.append(
                _row("157.0.2", os_name, previous, h.previous_hours, h.previous_crashes, h.previous_crashes_sq or 0)
            )
    return rows


ROWS = _releases({"Mac": 1.5, "Windows": 1.0})


def _by_platform(as_of: datetime, rows: list[HourlyRow] = ROWS) -> dict:
    return {d.os: d for d in release_days(rows, as_of) if d.measure == "main_crashes"}


def test_the_newest_release_is_set_against_the_one_before_at_the_same_hours_since_release():
    mac = _by_platform(LATEST + timedelta(hours=71))["Mac"]
    assert (mac.latest_version, mac.previous_version) == ("158.0", "157.0.2")
    assert (mac.latest_first_hour, mac.previous_first_hour) == (LATEST, PREVIOUS)
    assert len(mac.looks) == 72
    # 157.0.2's first 72 hours, not its fortnight
    first_72 = [
        r
        for r in ROWS
        if r.display_version == "157.0.2" and r.os == "Mac" and r.instant < PREVIOUS + timedelta(hours=72)
    ]
    assert mac.now.previous_hours == pytest.approx(sum(r.usage_hours for r in first_72))
    assert mac.now.previous_crashes == sum(r.crashes["main_crashes"] for r in first_72)


def test_a_regression_on_one_platform_is_established_there_once_and_not_elsewhere():
    at_three_days = _by_platform(LATEST + timedelta(hours=71))
    mac, windows = at_three_days["Mac"], at_three_days["Windows"]
    assert mac.verdict == REGRESSION and windows.verdict in (NO_CLEAR_CHANGE, NOT_ENOUGH_DATA)
    established = mac.established_hour
    assert established is not None and established < 72
    # read an hour later, the finding is the same one, first established at the same hour
    assert _by_platform(LATEST + timedelta(hours=72))["Mac"].established_hour == established
    # and an hour before it was established, it was not
    assert _by_platform(LATEST + timedelta(hours=established - 1))["Mac"].verdict != REGRESSION


def test_the_first_hour_is_not_enough_data():
    assert _by_platform(LATEST)["Mac"].verdict == NOT_ENOUGH_DATA


def test_a_release_out_before_the_data_began_is_never_the_previous_one():
    without_157_0_2 = [r for r in ROWS if r.display_version != "157.0.2"]
    assert release_days(without_157_0_2, LATEST + timedelta(hours=24)) == []


def test_a_stray_crash_without_usage_is_no_release():
    stray = _row("999.0", "Mac", LATEST + timedelta(hours=5), 0.0, 1, 1)
    assert _by_platform(LATEST + timedelta(hours=24), [*ROWS, stray])["Mac"].latest_version == "158.0"


def test_after_a_fortnight_the_night_alone_judges():
    assert _by_platform(LATEST + timedelta(hours=WINDOW_HOURS - 1))
    assert _by_platform(LATEST + timedelta(hours=WINDOW_HOURS)) == {}


def test_with_a_calendar_a_release_counts_its_hours_from_midnight_of_its_date():
    from_midnight = LATEST.replace(hour=0)
    days = release_days(ROWS, LATEST + timedelta(hours=10), {"158.0": LATEST.date(), "157.0.2": PREVIOUS.date()})
    mac = next(d for d in days if d.os == "Mac")
    assert (mac.latest_first_hour, mac.previous_first_hour) == (from_midnight, PREVIOUS.replace(hour=0))
    assert len(mac.looks) == 10 + LATEST.hour + 1
    # a release dated on the first day of the data had its first hours in it
    calendar = {"157.0.2": PREVIOUS.date(), "158.0": LATEST.date()}
    assert release_days([r for r in ROWS if r.display_version != "157.0"], LATEST, calendar)
    # with a calendar, a version it does not name is no release, however late it appeared
    straggler = _row("156.0", "Mac", LATEST + timedelta(hours=3), 50.0, 0, 0)
    days = release_days([*ROWS, straggler], LATEST + timedelta(hours=10), calendar)
    assert {d.latest_version for d in days} == {"158.0"}


# Issue 36: before any hourly run, say what is missing, not "no release in its first fortnight".
def test_an_hour_without_verdicts_says_what_is_missing():
    day = datetime(2026, 11, 17, tzinfo=UTC)
    assert why_no_verdict([], day.date(), 5) == (
        "no verdict: crash_aggregates_hourly has no rows up to 2026-11-17 05:00 UTC (has jobs.aggregate_hourly run?)"
    )
    yesterday = [_row("158.0", "Windows", day - timedelta(hours=3), 100.0, 1, 1)]
    assert why_no_verdict(yesterday, day.date(), 5) == (
        "no verdict: crash_aggregates_hourly has no rows of 2026-11-17 up to 05:00 UTC (the last is of 2026-11-16): "
        "has jobs.aggregate_hourly run for 2026-11-17?"
    )
    today = [_row("158.0", "Windows", day + timedelta(hours=1), 100.0, 1, 1)]
    assert why_no_verdict(today, day.date(), 5) == NO_VERDICT
