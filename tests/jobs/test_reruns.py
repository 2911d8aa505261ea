"""Re-runs and backfills leave exactly the right rows. A run that dies half-way, its
tables refused until the re-run repairs them, is tests/jobs/test_half_written.py's."""

from __future__ import annotations

import pytest
from pyspark.sql import functions as F

import jobs.aggregate_crashes as job
from lib.warehouse.tables import read_table
from tests.delta_state import snapshot, versions
from tests.jobs.conftest import DAYS, FAULTY, config

pytestmark = pytest.mark.slow


def run_ids(spark, warehouse, day) -> set[str]:
    rows = read_table(spark, str(warehouse), "crash_aggregates").where(F.col("submission_date") == F.lit(day))
    return {r.run_id for r in rows.select("run_id").distinct().collect()}


def test_running_a_date_again_changes_nothing_but_the_history_and_the_run_ids(spark, landing, warehouse):
    before, before_versions = snapshot(spark, warehouse), versions(spark, warehouse)
    before_ids = run_ids(spark, warehouse, FAULTY)
    job.run(spark, config(landing, warehouse, FAULTY))
    assert snapshot(spark, warehouse) == before  # every column but run_id
    assert all(v > before_versions[n] for n, v in versions(spark, warehouse).items())
    after_ids = run_ids(spark, warehouse, FAULTY)
    assert len(before_ids) == len(after_ids) == 1 and before_ids != after_ids


def test_the_nights_one_by_one_in_another_order_write_what_the_range_wrote(spark, landing, aggregated, tmp_path):
    """The shared warehouse is one range run; a backfill of its nights one by one, last
    night first, gives the same tables: a range is its nights, in any order."""
    assert f"{DAYS[0]}..{DAYS[-1]}" in aggregated.summary and "(3 dates)" in aggregated.summary
    for day in reversed(DAYS):
        job.run(spark, config(landing, tmp_path, day))
    assert snapshot(spark, tmp_path) == snapshot(spark, aggregated.path)
