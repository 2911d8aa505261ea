"""Data-quality checks on one day of raw pings, before aggregation.

**Checks** the day's parsed and classified main and crash pings (suite ``raw`` of
``schemas/dq_checks.yaml``): duplicates, quarantine and exclusion shares, client
and build id formats, known channels and platforms, plausible subsession lengths,
clock skew, and the presence of the fields the aggregation needs.

**Writes** the results to ``<warehouse>/dq_results`` (replacing the day's ``raw``
rows) and the day's report to ``<reports>/<date>.html``; on a critical failure,
emails the report and exits 3. **Schedule**: nightly, before ``aggregate_crashes``.

    python -m jobs.validate_raw --date 2026-11-20 --raw RAW --warehouse WH [--releases DIR] [--reports DIR]
"""

from __future__ import annotations

from datetime import date

from pyspark.sql import SparkSession

from lib.checks import raw_check_frame, raw_checks
from lib.classify import Limits, classify
from lib.cli import ArgumentParser, Progress, iso_date, main_wrapper
from lib.dq_run import publish
from lib.landing import DOC_TYPES
from lib.pings import read_pings
from lib.quality import run_checks
from lib.release_calendar import read_calendar
from lib.spark_session import build_session

JOB = "validate_raw"


def parser() -> ArgumentParser:
    p = ArgumentParser(prog=f"python -m jobs.{JOB}", description=__doc__.split("\n\n")[0])
    p.add_argument("--date", type=iso_date, required=True)
    p.add_argument("--raw", required=True)
    p.add_argument("--warehouse", required=True)
    p.add_argument("--releases")
    p.add_argument("--reports", help="folder for the HTML reports (default <warehouse>/dq_reports)")
    return p


def run(
    spark: SparkSession, day: date, raw: str, warehouse: str, releases: str | None = None, reports: str | None = None
) -> str:
    """Check one day of raw pings; returns the summary, raises CriticalChecksFailed."""
    progress = Progress(JOB, day)
    calendar = read_calendar(spark, releases).to_frame(spark)
    classified = {d: classify(read_pings(spark, raw, d, day), calendar, day, Limits()) for d in DOC_TYPES}
    frame = raw_check_frame(classified, day).persist()
    progress(f"checking {frame.count():,} lines")
    results = run_checks(spark, "raw", day, {"pings": frame}, raw_checks())
    frame.unpersist()
    progress(f"{sum(not r.success for r in results)} of {len(results)} checks failed")
    return publish(spark, warehouse, reports, day, "raw", results)


def command(argv: list[str]) -> str:
    args = parser().parse_args(argv)
    return run(build_session(JOB), args.date, args.raw, args.warehouse, args.releases, args.reports)


main = main_wrapper(JOB, command)

if __name__ == "__main__":
    raise SystemExit(main())
