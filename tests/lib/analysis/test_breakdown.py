"""What the breakdowns by reason and by signature share, on Python values."""

from __future__ import annotations

from datetime import date

from lib.analysis.breakdown import change_flag, format_leaders, leaders, rate_difference, release_sides
from lib.analysis.stats import Interval

NIGHT = date(2026, 11, 20)


def verdict(**changes) -> dict:
    v = {
        "submission_date": NIGHT,
        "channel": "release",
        "os": "Mac",
        "measure": "main_crashes",
        "verdict": "regression",
        "latest_version": "158.0",
        "previous_version": "157.0.2",
        "latest_release_date": date(2026, 11, 17),
        "previous_release_date": date(2026, 11, 10),
        "age_from": 0,
        "age_to": 3,
    }
    return v | changes


def test_a_part_is_new_only_where_its_rise_is_sure_and_the_callers_rule_says_new():
    assert change_flag(Interval(0.1, 0.9), new=True) == "new"
    assert change_flag(Interval(0.1, 0.9), new=False) == "grown"
    assert change_flag(Interval(-0.1, 0.9), new=True) == "steady"
    assert change_flag(Interval(-0.9, -0.1), new=False) == "shrunk"


def test_the_difference_is_per_1000_hours_and_its_interval_widens_with_the_variance():
    narrow = rate_difference((20, 1000.0, 20.0), (10, 2000.0, 10.0))
    wide = rate_difference((20, 1000.0, 400.0), (10, 2000.0, 10.0))
    assert narrow[0] == wide[0] == 20.0 - 5.0
    assert wide[1].high - wide[1].low > 3 * (narrow[1].high - narrow[1].low)


def test_both_releases_of_a_verdict_are_asked_for_once_whatever_its_denominators():
    per_usage, per_active = verdict(), verdict()  # the same releases per usage and per active hour
    sides = release_sides([per_usage, per_active], {}, {"main_crashes": "main"})
    assert [s[5] for s in sides] == ["latest", "previous"]
    assert all(s[8] for s in sides)  # the versions alone tell them apart


def test_nightly_builds_of_one_version_are_told_apart_by_their_dates_and_one_release_is_no_comparison():
    nightly = verdict(latest_version="159.0a1", previous_version="159.0a1", channel="nightly")
    sides = release_sides([nightly], {}, {"main_crashes": "main"})
    assert len(sides) == 2 and not any(s[8] for s in sides)
    same = verdict(previous_version="158.0", previous_release_date=date(2026, 11, 17))
    assert release_sides([same], {}, {"main_crashes": "main"}) == []


def test_the_leaders_of_a_regression_are_its_own_parts_new_first_then_by_share():
    def part(name, flag, share, os_name="Mac", process="main"):
        return {
            "submission_date": NIGHT,
            "channel": "release",
            "os": os_name,
            "process_type": process,
            "reason": name,
            "flag": flag,
            "share_of_change": share,
        }

    rows = [
        part("grown a lot", "grown", 0.7),
        part("new but small", "new", 0.1),
        part("steady", "steady", 0.0),
        part("on Windows", "new", 0.9, os_name="Windows"),
        part("in content", "new", 0.9, process="content"),
    ]
    top = leaders(rows, verdict(), "reason", count=2)
    assert [d["reason"] for d in top] == ["new but small", "grown a lot"]
    printed = format_leaders([verdict(), verdict(verdict="ok")], lambda v: top, "driven by", lambda d: d["reason"])
    assert printed == "release Mac main_crashes: driven by\n  new but small\n  grown a lot\n"
