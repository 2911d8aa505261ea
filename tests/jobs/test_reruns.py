"""Re-runs, backfills and runs that die half-way leave exactly the right rows."""

from __future__ import annotations

import gzip
import shutil

import pytest
from pyspark.sql import functions as F

import jobs.aggregate_crashes as job
from lib.warehouse.tables import read_table
from tests.delta_state import snapshot, versions
from tests.jobs.conftest import CLEAN, DAYS, FAULTY, config

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


def test_a_run_that_dies_half_way_leaves_readable_tables_and_a_rerun_repairs_them(
    spark, landing, tmp_path, monkeypatch
):
    warehouse = tmp_path / "warehouse"
    job.run(spark, config(landing, warehouse, CLEAN))
    quarantined = read_table(spark, str(warehouse), "quarantine").count()

    # New input for the same day: one of the two main files is gone.
    raw = tmp_path / "raw"
    shutil.copytree(landing / "raw", raw)
    (raw / "main" / f"submission_date={CLEAN}" / "part-0001.json.gz").unlink()

    written = []

    def only_crash_aggregates_gets_in(spark_, warehouse_, spec, *args, **kwargs):
        # The tables are written side by side: every other write dies, whichever starts first.
        if spec.name != "crash_aggregates":
            raise OSError("disk full")
        written.append(spec.name)
        original(spark_, warehouse_, spec, *args, **kwargs)

    original = job.replace_partition
    monkeypatch.setattr(job, "replace_partition", only_crash_aggregates_gets_in)
    with pytest.raises(OSError, match="disk full"):
        job.run(spark, config(landing, warehouse, CLEAN, raw=raw))
    monkeypatch.undo()

    # Each table is still a valid Delta table holding one whole version of the day.
    pings = read_table(spark, str(warehouse), "crash_aggregates").agg(F.sum("ping_count")).first()[0]
    metrics = read_table(spark, str(warehouse), "dq_metrics").where("doc_type = 'main'").first()
    assert written == ["crash_aggregates"]
    assert pings < metrics.aggregated  # new aggregates beside old metrics: the half-way state
    assert read_table(spark, str(warehouse), "quarantine").count() == quarantined

    job.run(spark, config(landing, warehouse, CLEAN, raw=raw))
    pings = read_table(spark, str(warehouse), "crash_aggregates").agg(F.sum("ping_count")).first()[0]
    metrics = read_table(spark, str(warehouse), "dq_metrics").where("doc_type = 'main'").first()
    with gzip.open(raw / "main" / f"submission_date={CLEAN}" / "part-0000.json.gz", "rt") as remaining:
        assert metrics.input_lines == sum(1 for _ in remaining)
    assert pings == metrics.aggregated
