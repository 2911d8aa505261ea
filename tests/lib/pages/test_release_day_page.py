"""The release-day page: per platform, both releases' crash rates by hours since release
(the newest inside its always-valid band) and their ratio; markup in any field is text."""

from __future__ import annotations

import math
import re
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from lib.analysis.release_day import ReleaseDay
from lib.analysis.sequential import confidence_sequence
from lib.analysis.stats import rate_per_1000
from lib.pages.release_day_page import _rate_points, render
from lib.synthetic.release_days import Scenario, release_fortnight

RELEASED = datetime(2026, 11, 17, tzinfo=UTC)


def _day(os_name: str = "Mac", ratio: float = 1.5, hours: int = 96) -> ReleaseDay:
    looks = confidence_sequence(release_fortnight(replace(Scenario(ratio=ratio), hours=hours), seed=3))
    return ReleaseDay("release", os_name, "main_crashes", "158.0", RELEASED, "157.0.2", RELEASED, tuple(looks))


def test_each_hour_shows_both_rates_and_the_newest_inside_its_band():
    day = _day()
    points = _rate_points(day)
    assert len(points) == 2 * len(day.looks)
    for look in day.looks:
        latest, previous = (p for p in points if p["age"] == look.hour)
        assert latest["release"] == "158.0" and previous["release"] == "157.0.2"
        assert latest["value"] == rate_per_1000(look.latest_crashes, look.latest_hours)
        assert previous["value"] == rate_per_1000(look.previous_crashes, look.previous_hours)
        # The band is the always-valid ratio band on the previous rate's scale (no second,
        # differently calibrated interval), and none where the previous release has no rate.
        if previous["value"] is None or math.isinf(look.high):
            assert latest["low"] is latest["high"] is None
        else:
            assert latest["low"] == pytest.approx(look.low * previous["value"])
            assert latest["high"] == pytest.approx(look.high * previous["value"])
        assert previous["low"] == previous["high"] == previous["value"]  # the reference has no band


def test_the_page_draws_the_rates_and_the_ratio_per_platform():
    page = render(RELEASED, [_day("Mac"), _day("Linux", ratio=1.0)])
    assert "<script" not in page
    figures = re.findall(r"<figure>.*?</figure>", page, flags=re.S)
    assert len(figures) == 2
    for figure in figures:
        assert figure.count("<svg") == 2  # the rates, then the ratio
        rates = figure[: figure.index("<svg", figure.index("<svg") + 1)]
        assert "158.0" in rates and "157.0.2" in rates  # the legend names both releases
        assert "hours since release" in rates


def test_a_version_with_markup_is_printed_as_text():
    day = replace(_day(), latest_version="<b>158.0</b>")
    page = render(RELEASED, [day])
    assert "<b>158.0" not in page and "&lt;b&gt;158.0" in page


def test_a_page_without_verdicts_says_why():
    page = render(RELEASED, [], "no verdict: crash_aggregates_hourly has no rows of 2026-11-17 & <b>")
    assert "No verdict: crash_aggregates_hourly has no rows of 2026-11-17 &amp; &lt;b&gt;." in page
    assert "No verdict: no release is in its first fortnight" in render(RELEASED, [])
