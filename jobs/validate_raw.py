"""Data-quality checks on one day of raw pings, or on each day of a range, on their own: nothing aggregated.

The nightly ``jobs.aggregate_crashes`` judges these same checks on its own parse of
the day before it writes anything (one parse per night); this job is for checking a
day by hand, e.g. after ingestion re-delivered it.

**Checks** the day's parsed and classified main, legacy crash and Glean crash pings
(suite ``raw`` of ``schemas/dq_checks.yaml``): duplicates, quarantine and exclusion
shares, client and build id formats, known channels, platforms and countries,
fields of the right type, plausible subsession lengths, clock skew, and the
presence of the fields the aggregation needs.

A range (``--from``/``--to``) is read and parsed once, and each date judged on its own.

**Writes** the results to ``<warehouse>/dq_results`` (replacing each date's ``raw``
rows) and each date's report to ``<reports>/<date>.html``; on a critical failure,
emails that date's report, and exits 3 naming every date that failed. **Schedule**:
none; on demand.

    python -m jobs.validate_raw --date 2026-11-20 --raw RAW --warehouse WH [--releases DIR] [--reports DIR]
        [--usage-cap-hours H --max-build-age-days D --max-build-lead-days D: as given to aggregate_crashes]
    python -m jobs.validate_raw --from 2026-11-01 --to 2026-11-20 --raw RAW --warehouse WH [...]
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from pyspark.sql import SparkSession

from lib.contract.vocabulary import Limits
from lib.ingest.calendar import read_calendar
from lib.ingest.landing import open_day
from lib.ingest.pings import read_pings
from lib.quality.publish import CriticalChecksFailed, judge_raw
from lib.runtime.cli import RANGED, Progress, date_label, job_parser, main_wrapper, parse_args
from lib.runtime.session import build_session
from lib.transform.classify import checkpointed, classify

JOB = "validate_raw"
DEFAULT_LIMITS = Limits()


def run(
    spark: SparkSession,
    day: date | Sequence[date],
    raw: str,
    warehouse: str,
    releases: str | None = None,
    reports: str | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> str:
    """Check the raw pings of ``day`` (or of each date of a range, all read and parsed in
    one pass); returns the summary. Every date is judged, then the failed ones are
    named (CriticalChecksFailed)."""
    days = [day] if isinstance(day, date) else list(day)
    label = date_label(days)
    progress = Progress(JOB, label)
    calendar = read_calendar(spark, releases).to_frame(spark)
    opened = [open_day(spark, raw, one, limits.desktop_usage_doc_type) for one in days]
    parsed = {doc_type: read_pings(spark, *[each[doc_type] for each in opened]) for doc_type in opened[0]}
    classified = checkpointed(classify(parsed, calendar, limits))
    try:
        progress(f"checking {classified.count():,} lines")
        verdicts = judge_raw(spark, classified, days, warehouse, reports, limits)
    finally:
        classified.unpersist()
    failures = [verdict.summary for verdict in verdicts if verdict.failed]
    if len(days) == 1:
        if failures:
            raise CriticalChecksFailed(failures[0])
        return verdicts[0].summary
    if failures:
        raise CriticalChecksFailed(f"{len(failures)} of {len(days)} date(s) failed: " + "; ".join(failures))
    return f"{JOB} {label}: {len(days)} dates, no critical failure"


def command(argv: list[str]) -> str:
    args = parse_args(job_parser(JOB, __doc__, *RANGED, "raw", "releases", "reports", "limits"), argv)
    return run(build_session(JOB), args.days, args.raw, args.warehouse, args.releases, args.reports, args.limits)


main = main_wrapper(JOB, command)

if __name__ == "__main__":
    raise SystemExit(main())
