"""The night's verdict rows: both sides' counts, intervals, the method, and a verdict that
needs a material change on enough data."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from lib.analysis.compare import Comparison, Side
from lib.analysis.release_comparisons import (
    Clients,
    _guarded,
    _incidence_row,
    _side_key,
    katz_ratio_interval,
    release_comparisons,
)
from tests.lib.analysis.test_clients import client_counts_of
from tests.lib.analysis.test_compare import FULL, SUMS

# With content crashes too: none here, so their comparison has not enough data.
AGGREGATES = FULL + ", content_crashes long"
CLIENT_SUMS = SUMS + ", content_crashes_sq long, content_crashes_hours double"

NIGHT = date(2026, 11, 20)
NEW, OLD = date(2026, 11, 18), date(2026, 10, 21)


def cell(version, released, os_name="Windows"):
    major = int(version.split(".")[0])
    return ("release", version, version, major, "20261110093015", os_name, "10.0", "x86-64", "CA", released)


def night(spark, new_crashes, old_crashes, hours=10_000.0, clients_per_day=400, crashing=(40, 20)):
    """Three days of two releases: aggregates, client sums (crashes spread one per client) and
    client counts sketched from made-up client ids."""
    aggregates, sums, people = [], [], []
    for version, released, crashes, crashing_clients in (
        ("158.0", NEW, new_crashes, crashing[0]),
        ("157.0", OLD, old_crashes, crashing[1]),
    ):
        for age in range(3):
            day = released + timedelta(days=age)
            aggregates.append((day, *cell(version, released), age, crashes, hours, 0))
            spread = (clients_per_day, clients_per_day * 625.0, crashes, crashes * 25.0, 0, 0.0)  # one crash a client
            sums.append((day, *cell(version, released), age, *spread))
            people += [
                (day, "release", version, "Windows", f"{version}-{n}", n < crashing_clients)
                for n in range(clients_per_day)
            ]
    return (
        spark.createDataFrame(aggregates, AGGREGATES),
        spark.createDataFrame(sums, CLIENT_SUMS),
        client_counts_of(spark, people),
    )


def rows_by_measure(spark, *frames):
    return {r.measure: r for r in release_comparisons(spark, *frames, NIGHT).collect()}


def test_a_doubled_crash_rate_on_enough_data_is_a_regression_with_both_sides_beside_it(spark):
    rows = rows_by_measure(spark, *night(spark, new_crashes=60, old_crashes=30))
    main = rows["main_crashes"]
    assert (main.channel, main.os, main.latest_version, main.previous_version) == (
        "release",
        "Windows",
        "158.0",
        "157.0",
    )
    assert (main.age_from, main.age_to) == (0, 2)
    assert (main.latest_crashes, main.previous_crashes) == (180, 90)
    assert (main.latest_hours, main.previous_hours) == (30_000.0, 30_000.0)
    assert main.latest_rate == pytest.approx(6.0) and main.ratio == pytest.approx(2.0)
    assert main.ratio_low > 1.1 and main.verdict == "regression"
    assert main.method == "cluster-robust (clients), log scale"
    assert rows["content_crashes"].verdict == "not enough data"  # no content crash on either side
    # 400 clients a day, the same ids every day: distinct clients, not client-days.
    assert main.latest_clients == pytest.approx(400, rel=0.05)


def test_a_certain_but_small_change_is_not_news(spark):
    # 5% more crashes on a huge sample: the interval excludes 1 but stays under the 1.1 materiality.
    rows = rows_by_measure(spark, *night(spark, new_crashes=21_000, old_crashes=20_000, hours=1e7))
    main = rows["main_crashes"]
    assert main.ratio_low > 1.0
    assert main.verdict == "no clear change"


def test_thin_data_is_not_enough_data(spark):
    rows = rows_by_measure(spark, *night(spark, new_crashes=3, old_crashes=1))
    assert rows["main_crashes"].verdict == "not enough data"


def test_crash_incidence_compares_the_shares_of_clients_who_crashed(spark):
    rows = rows_by_measure(spark, *night(spark, new_crashes=60, old_crashes=30, crashing=(120, 40)))
    incidence = rows["crash_incidence"]
    assert incidence.latest_crashes == pytest.approx(120, rel=0.05)  # crashing clients
    assert incidence.latest_clients == pytest.approx(400, rel=0.05)
    assert incidence.latest_rate == pytest.approx(0.3, rel=0.05)
    assert incidence.ratio == pytest.approx(3.0, rel=0.1)
    assert incidence.verdict == "regression"
    assert "Katz" in incidence.method


def test_katz_interval_holds_the_ratio_and_needs_crashes_on_both_sides():
    interval = katz_ratio_interval(Clients(1000, 100), Clients(1000, 50))
    assert interval.low < 2.0 < interval.high
    assert katz_ratio_interval(Clients(1000, 0), Clients(1000, 50)) is None


def test_crash_rates_come_per_usage_and_per_active_hour_and_incidence_once(spark):
    from pyspark.sql import functions as F

    from lib.analysis.compare import DENOMINATORS

    aggregates, _, counts = night(spark, new_crashes=60, old_crashes=60)  # equal per usage hour
    # The new release's sessions hold half the input: per active hour it crashes twice as often.
    active = F.when(F.col("display_version") == "158.0", 5_000.0).otherwise(10_000.0)
    denominators = (DENOMINATORS["usage"], DENOMINATORS["active"])
    rows = release_comparisons(spark, aggregates.withColumn("active_hours", active), None, counts, NIGHT, denominators)
    got = {(r.measure, r.denominator): r for r in rows.collect()}
    assert set(got) == {
        ("main_crashes", "usage"),
        ("main_crashes", "active"),
        ("content_crashes", "usage"),
        ("content_crashes", "active"),
        ("crash_incidence", "clients"),
    }
    usage, per_active = got[("main_crashes", "usage")], got[("main_crashes", "active")]
    assert (usage.ratio, usage.verdict) == (pytest.approx(1.0), "no clear change")
    assert (per_active.latest_hours, per_active.previous_hours) == (15_000.0, 30_000.0)
    assert (per_active.ratio, per_active.verdict) == (pytest.approx(2.0), "regression")


def _comparison(os_name="Windows"):
    latest = Side("158.0", NEW, crashes=60, hours=30_000.0)
    previous = Side("157.0", OLD, crashes=30, hours=30_000.0)
    return Comparison("release", os_name, (0, 2), latest, previous)


def _clients(comparison, latest: Clients, previous: Clients) -> dict:
    return {
        _side_key(comparison, comparison.latest): latest,
        _side_key(comparison, comparison.previous): previous,
    }


def test_more_crashing_than_active_clients_is_a_share_of_one_noted_without_a_verdict():
    # Issue 36: 3,000 crash pings from clients that sent no usage ping that day.
    c = _comparison()
    row = _incidence_row(NIGHT, c, _clients(c, Clients(active=10, crashing=3000), Clients(active=1200, crashing=60)))
    assert (row["latest_crashes"], row["latest_clients"], row["latest_rate"]) == (3000, 10, 1.0)
    assert row["latest_high"] == 1.0 and 0 < row["latest_low"] < 1
    assert row["previous_rate"] == 60 / 1200
    assert row["verdict"] == "not enough data"
    assert row["note"] == (
        "latest 158.0: 3,000 counted in a share of 10: taken as 10 (more crashing than active clients)"
    )


def test_a_sound_incidence_row_has_no_note():
    c = _comparison()
    row = _incidence_row(NIGHT, c, _clients(c, Clients(active=1200, crashing=120), Clients(active=1200, crashing=60)))
    assert (row["note"], row["verdict"]) == (None, "regression")


def test_a_cell_whose_statistics_leave_their_domain_is_noted_and_the_others_go_on():
    def broken() -> dict:
        raise ValueError("math domain error")

    def bug() -> dict:
        raise ValueError("something else")

    row = _guarded(NIGHT, "main_crashes", _comparison("Mac"), "usage", broken)
    assert (row["channel"], row["os"], row["latest_version"], row["previous_version"]) == (
        "release",
        "Mac",
        "158.0",
        "157.0",
    )
    assert (row["verdict"], row["note"], row["ratio"]) == ("not enough data", "not computed: math domain error", None)
    with pytest.raises(ValueError, match="something else"):
        _guarded(NIGHT, "main_crashes", _comparison(), "usage", bug)
