"""The morning verdicts as a job: written to release_comparisons, replaced on a re-run, printed."""

from __future__ import annotations

import shutil
from datetime import timedelta

import pytest
from pyspark.sql import functions as F

import jobs.compare_releases as job
from lib.warehouse.tables import read_table
from tests.jobs.conftest import CLEAN, DAYS, DROPPED

pytestmark = pytest.mark.slow

MEASURES = {"main_crashes", "content_crashes", "crash_incidence"}
VERDICTS = {"regression", "improvement", "no clear change", "not enough data"}


@pytest.fixture(scope="module")
def own_warehouse(warehouse, tmp_path_factory):
    """A copy of the three aggregated days: this module writes release_comparisons into it."""
    path = tmp_path_factory.mktemp("comparisons") / "warehouse"
    shutil.copytree(warehouse, path)
    return path


@pytest.fixture(scope="module")
def night(spark, own_warehouse):
    """The last night compared alone: what the job printed, and the rows it wrote."""
    printed = job.command(["--date", str(DROPPED), "--warehouse", str(own_warehouse)])
    return printed, sorted(map(tuple, read_table(spark, str(own_warehouse), "release_comparisons").collect()))


def test_the_night_is_written_once_per_channel_platform_and_measure_and_replaced_on_a_rerun(
    spark, own_warehouse, night
):
    printed, first = night
    job.command(["--date", str(DROPPED), "--warehouse", str(own_warehouse)])
    table = read_table(spark, str(own_warehouse), "release_comparisons")
    assert sorted(map(tuple, table.collect())) == first  # replaced, not appended
    every = table.collect()
    assert {r.measure for r in every} == MEASURES
    assert {r.verdict for r in every} <= VERDICTS
    keys = [(r.channel, r.os, r.measure, r.denominator) for r in every]
    assert len(keys) == len(set(keys))
    # Crash rates per usage and per active hour, crash incidence once.
    assert {(r.measure == "crash_incidence", r.denominator) for r in every} == {
        (False, "usage"),
        (False, "active"),
        (True, "clients"),
    }
    # Every row keeps its raw counts and hours beside its rate.
    assert all(r.latest_crashes is not None and r.latest_hours is not None for r in every)
    rows = [r for r in every if r.denominator != "active"]  # what the job prints: per usage hour
    regressions = sum(r.verdict == "regression" for r in rows)
    assert (
        printed.splitlines()[-1] == f"compare_releases {DROPPED}: {len(rows)} comparisons, {regressions} regression(s)"
    )
    assert all(f"{r.channel:8} {r.os:8} {r.measure:16}" in printed for r in rows)


def test_a_night_past_the_data_is_refused_not_published_with_older_numbers(own_warehouse, capsys):
    later = DROPPED + timedelta(days=1)
    assert job.main(["--date", str(later), "--warehouse", str(own_warehouse)]) == 1
    error = capsys.readouterr().err.strip()
    assert error == (
        f"compare_releases: error: no crash_aggregates rows for {later} (the last night with data is {DROPPED}): "
        "run aggregate_crashes for it first; its verdicts would be an older night's"
    )


def test_a_range_of_nights_is_written_in_one_commit_as_each_night_alone(spark, own_warehouse, night):
    table = lambda: read_table(spark, str(own_warehouse), "release_comparisons")  # noqa: E731
    _, alone = night
    summary = job.command(["--from", str(CLEAN), "--to", str(DROPPED), "--warehouse", str(own_warehouse)])
    assert summary.startswith(f"compare_releases {CLEAN}..{DROPPED}: ")
    assert sorted(map(tuple, table().where(F.col("submission_date") == DROPPED).collect())) == alone
    assert {r[0] for r in table().select("submission_date").distinct().collect()} == set(DAYS)
