"""Data-quality checks on one day of crash_aggregates, after aggregation.

**Checks** the day's ``crash_aggregates`` partition (suite ``aggregates`` of
``schemas/dq_checks.yaml``): no negative numbers, a unique grain, ping totals that
reconcile with ``dq_metrics``, pings and usage hours per channel and platform
against the same weekday of the trailing weeks, and busy display versions missing
from the release calendar.

**Writes** ``<warehouse>/dq_results`` (the day's ``aggregates`` rows) and the day's
report; on a critical failure, emails the report and exits 3. **Schedule**:
nightly, after ``aggregate_crashes``.

    python -m jobs.validate_aggregates --date 2026-11-20 --warehouse WH [--raw RAW] [--reports DIR]
"""

from __future__ import annotations

from datetime import date

from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from lib.checks import AGGREGATE_INDEX_COLUMNS, aggregate_checks, calendar_frame, day_frame, volume_frame
from lib.cli import ArgumentParser, JobError, Progress, iso_date, main_wrapper
from lib.dq_run import publish
from lib.quality import run_checks
from lib.spark_session import build_session
from lib.tables import read_table

JOB = "validate_aggregates"


def run(spark: SparkSession, day: date, warehouse: str, reports: str | None = None) -> str:
    """Check one day of crash_aggregates; returns the summary, raises CriticalChecksFailed."""
    progress = Progress(JOB, day)
    metrics = (
        read_table(spark, warehouse, "dq_metrics")
        .where((F.col("submission_date") == F.lit(day)) & (F.col("doc_type") == "main"))
        .collect()
    )
    if not metrics:
        raise JobError(f"no dq_metrics for {day} in {warehouse}: run aggregate_crashes for that date first")
    aggregates = read_table(spark, warehouse, "crash_aggregates")
    today = day_frame(aggregates, day).persist()
    frames = {"day": today, "volume": volume_frame(aggregates, day), "calendar": calendar_frame(today)}
    progress(f"checking {today.count():,} aggregate rows")
    results = run_checks(
        spark, "aggregates", day, frames, aggregate_checks(metrics[0]["aggregated"]), AGGREGATE_INDEX_COLUMNS
    )
    today.unpersist()
    progress(f"{sum(not r.success for r in results)} of {len(results)} checks failed")
    return publish(spark, warehouse, reports, day, "aggregates", results)


def command(argv: list[str]) -> str:
    p = ArgumentParser(prog=f"python -m jobs.{JOB}", description=__doc__.split("\n\n")[0])
    p.add_argument("--date", type=iso_date, required=True)
    p.add_argument("--warehouse", required=True)
    p.add_argument("--raw", help="accepted for symmetry with the other jobs; not read")
    p.add_argument("--releases", help="accepted for symmetry with the other jobs; not read")
    p.add_argument("--reports", help="folder for the HTML reports (default <warehouse>/dq_reports)")
    args = p.parse_args(argv)
    return run(build_session(JOB), args.date, args.warehouse, args.reports)


main = main_wrapper(JOB, command)

if __name__ == "__main__":
    raise SystemExit(main())
