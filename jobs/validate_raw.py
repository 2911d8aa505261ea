"""Data-quality checks on one day of raw pings, on their own: nothing aggregated.

The nightly ``jobs.aggregate_crashes`` judges these same checks on its own parse of
the day before it writes anything (one parse per night); this job is for checking a
day by hand, e.g. after ingestion re-delivered it.

**Checks** the day's parsed and classified main, legacy crash and Glean crash pings
(suite ``raw`` of ``schemas/dq_checks.yaml``): duplicates, quarantine and exclusion
shares, client and build id formats, known channels, platforms and countries,
fields of the right type, plausible subsession lengths, clock skew, and the
presence of the fields the aggregation needs.

**Writes** the results to ``<warehouse>/dq_results`` (replacing the day's ``raw``
rows) and the day's report to ``<reports>/<date>.html``; on a critical failure,
emails the report and exits 3. **Schedule**: none; on demand.

    python -m jobs.validate_raw --date 2026-11-20 --raw RAW --warehouse WH [--releases DIR] [--reports DIR]
        [--usage-cap-hours H --max-build-age-days D --max-build-lead-days D: as given to aggregate_crashes]
"""

from __future__ import annotations

from datetime import date

from pyspark.sql import SparkSession

from lib.contract.vocabulary import Limits
from lib.ingest.calendar import read_calendar
from lib.ingest.landing import open_day
from lib.ingest.pings import read_pings
from lib.quality.publish import CriticalChecksFailed, judge_raw
from lib.runtime.cli import NIGHTLY, Progress, job_parser, main_wrapper, parse_args
from lib.runtime.session import build_session
from lib.transform.classify import checkpointed, classify

JOB = "validate_raw"
DEFAULT_LIMITS = Limits()


def run(
    spark: SparkSession,
    day: date,
    raw: str,
    warehouse: str,
    releases: str | None = None,
    reports: str | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> str:
    """Check one day of raw pings; returns the summary, raises CriticalChecksFailed."""
    progress = Progress(JOB, day)
    calendar = read_calendar(spark, releases).to_frame(spark)
    parsed = {
        d: read_pings(spark, partition)
        for d, partition in open_day(spark, raw, day, limits.desktop_usage_doc_type).items()
    }
    classified = checkpointed(classify(parsed, calendar, limits))
    try:
        progress(f"checking {classified.count():,} lines")
        (verdict,) = judge_raw(spark, classified, [day], warehouse, reports, limits)
    finally:
        classified.unpersist()
    if verdict.failed:
        raise CriticalChecksFailed(verdict.summary)
    return verdict.summary


def command(argv: list[str]) -> str:
    args = parse_args(job_parser(JOB, __doc__, *NIGHTLY, "raw", "releases", "reports", "limits"), argv)
    return run(build_session(JOB), args.date, args.raw, args.warehouse, args.releases, args.reports, args.limits)


main = main_wrapper(JOB, command)

if __name__ == "__main__":
    raise SystemExit(main())
