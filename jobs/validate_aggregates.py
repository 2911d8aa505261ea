"""Data-quality checks on one day of crash_aggregates, after aggregation.

**Checks** the day's ``crash_aggregates`` partition (suite ``aggregates`` of
``schemas/dq_checks.yaml``): no negative numbers, a unique grain, ping totals that
reconcile with ``dq_metrics``, pings and usage hours per channel and platform
against the same weekday of the trailing weeks, Firefox desktop's hours from its two
usage sources where both are sent (``usage_parity``), and busy display versions
missing from the release calendar.

**Writes** ``<warehouse>/dq_results`` (the day's ``aggregates`` rows) and the day's
report; on a critical failure, emails the report and exits 3. **Schedule**:
nightly, after ``aggregate_crashes``.

    python -m jobs.validate_aggregates --date 2026-11-20 --warehouse WH [--reports DIR]
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from datetime import date

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from lib.contract.errors import JobError
from lib.contract.vocabulary import USAGE_DOC_TYPES
from lib.quality.checks import (
    AGGREGATE_INDEX_COLUMNS,
    HISTORY_FRAMES,
    aggregate_checks,
    calendar_frame,
    crash_rate_frame,
    day_frame,
    failing_histories,
    parity_frame,
    volume_frame,
)
from lib.quality.publish import CriticalChecksFailed, publish
from lib.quality.runner import CheckResult, run_checks
from lib.runtime.cli import RANGED, Progress, date_label, job_parser, main_wrapper, parse_args
from lib.runtime.session import build_session
from lib.warehouse.runs import require_whole
from lib.warehouse.tables import read_table, read_table_if_exists

JOB = "validate_aggregates"


def run(spark: SparkSession, day: date, warehouse: str, reports: str | None = None) -> str:
    """Check one day of crash_aggregates; returns the summary, raises CriticalChecksFailed."""
    progress = Progress(JOB, day)
    require_whole(spark, warehouse, [day])  # its reconciliation with dq_metrics needs one run's tables
    metrics = (
        read_table(spark, warehouse, "dq_metrics")
        .where((F.col("submission_date") == F.lit(day)) & F.col("doc_type").isin(*USAGE_DOC_TYPES))
        .collect()
    )
    if not metrics:
        raise JobError(f"no dq_metrics for {day} in {warehouse}: run aggregate_crashes for that date first")
    usage_pings = sum(row["aggregated"] for row in metrics)  # main and baseline: every ping_count
    aggregates = read_table(spark, warehouse, "crash_aggregates")
    today = day_frame(aggregates, day).persist()
    frames = {
        "day": today,
        "volume": volume_frame(aggregates, day),
        "crash_rate": crash_rate_frame(aggregates, day),
        "calendar": calendar_frame(today),
        "parity": parity_frame(spark, read_table_if_exists(spark, warehouse, "usage_parity"), day),
    }
    progress(f"checking {today.count():,} aggregate rows")
    results = run_checks(spark, "aggregates", day, frames, aggregate_checks(usage_pings), AGGREGATE_INDEX_COLUMNS)
    today.unpersist()
    results = [_with_history(r, frames, day) for r in results]
    progress(f"{sum(not r.success for r in results)} of {len(results)} checks failed")
    return publish(spark, warehouse, reports, day, "aggregates", results)


def _with_history(result: CheckResult, frames: dict[str, DataFrame], day: date) -> CheckResult:
    """A failing history check carries the series it judged, for the report's chart."""
    if result.success or result.check not in HISTORY_FRAMES:
        return result
    frame, two_sided = HISTORY_FRAMES[result.check]
    return replace(result, history=json.dumps(failing_histories(frames[frame], day, two_sided)))


def run_range(spark: SparkSession, days: Sequence[date], warehouse: str, reports: str | None = None) -> str:
    """Check each date in order, each against the dates before it (those of the range
    included, already aggregated); every date is judged, then the failed ones are named."""
    summaries, failures = [], []
    for day in days:
        try:
            summaries.append(run(spark, day, warehouse, reports))
        except CriticalChecksFailed as failure:
            failures.append(str(failure))
    if failures:
        raise CriticalChecksFailed(f"{len(failures)} of {len(days)} date(s) failed: " + "; ".join(failures))
    return summaries[0] if len(days) == 1 else f"{JOB} {date_label(days)}: {len(days)} dates, no critical failure"


def command(argv: list[str]) -> str:
    args = parse_args(job_parser(JOB, __doc__, *RANGED, "reports"), argv)
    return run_range(build_session(JOB), args.days, args.warehouse, args.reports)


main = main_wrapper(JOB, command)

if __name__ == "__main__":
    raise SystemExit(main())
