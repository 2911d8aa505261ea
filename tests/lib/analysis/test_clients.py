"""Crash incidence and crash-free users from the sketches: distinct clients over days, no ids."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from pyspark.sql import functions as F

from lib.analysis.clients import crash_incidence

DAY = date(2026, 11, 20)


PEOPLE = "submission_date date, channel string, display_version string, os string, client_id string, crashed boolean"


def client_counts_of(spark, people: list[tuple]):
    """client_counts rows sketched from (submission_date, channel, display_version, os,
    client_id, crashed) rows, as the job sketches them."""
    pings = spark.createDataFrame(people, PEOPLE)
    grain = ["submission_date", "channel", "display_version", "os"]

    def sketch(rows, name):
        return rows.groupBy(*grain).agg(F.hll_sketch_agg("client_id", 12).alias(name))

    return sketch(pings, "active_clients_sketch").join(
        sketch(pings.where("crashed"), "crashing_clients_sketch"), grain, "full"
    )


def sketches(spark, days: dict[date, tuple[range, range]]):
    """client_counts rows for one release: per day, the active and the crashing client numbers."""
    return client_counts_of(
        spark,
        [
            (day, "release", "158.0", "Mac", f"client-{n}", n in crashing)
            for day, (active, crashing) in days.items()
            for n in active
        ],
    )


def test_a_client_on_several_days_is_one_client_and_incidence_is_a_share_of_clients(spark):
    days = {
        DAY: (range(0, 1000), range(500, 550)),
        DAY + timedelta(days=1): (range(500, 1500), range(520, 590)),  # half the clients, some crashing again
    }
    (row,) = crash_incidence(sketches(spark, days), "channel", "display_version", "os").collect()
    assert row.active_clients == pytest.approx(1500, rel=0.05)  # not 2,000
    assert row.crashing_clients == pytest.approx(90, rel=0.05)  # not 120
    assert row.crash_incidence == pytest.approx(90 / 1500, rel=0.08)
    assert row.crash_free_share == pytest.approx(1 - 90 / 1500, rel=0.01)


def test_a_day_without_crashes_counts_no_crashing_clients(spark):
    (row,) = crash_incidence(sketches(spark, {DAY: (range(10), range(0))}), "os").collect()
    assert (row.active_clients, row.crashing_clients, row.crash_incidence) == (10, 0, 0.0)
