"""Nightly crash aggregates from one day of raw Firefox telemetry, checked first.

**One parse per night.** The job reads and parses the raw day once, classifies
every line, then judges the raw data-quality checks (suite ``raw`` of
``schemas/dq_checks.yaml``, the same as ``jobs.validate_raw``) on those classified
lines. A critical failure keeps the day's results in ``dq_results``, writes and
emails the report, and exits 3 with no aggregate written; otherwise the job writes
the tables below.

**Produces** six Delta tables under ``<warehouse>``, each partitioned by
``submission_date``: ``crash_aggregates`` (crash counts and usage hours),
``crash_client_sums`` (at the same grain: clients, and the per-client sums a
cluster-robust interval needs, no client id), ``client_counts`` (HyperLogLog
sketches of active and crashing clients per channel, version and platform),
``crash_reasons`` (what the crashes were), ``quarantine`` (lines that could not be
used, with the reason) and ``dq_metrics`` (where every input line went).

**Grain** of ``crash_aggregates``: one row per distinct (submission_date, channel,
version, display_version, major_version, build_id, os, os_version, architecture,
country, release_date, release_age_days).

**Source**: ``<raw>/main/``, ``<raw>/crash/`` (legacy) and ``<raw>/glean_crash/``
``submission_date=YYYY-MM-DD/<files>``, one ping per line, plus a release calendar
in Mozilla's product-details format. One crash sent in both formats counts once.

**Schedule**: daily, once the main partition and the configured crash sources of
the submission date carry ``_SUCCESS``. A run replaces exactly its date's
partition in every table, so re-runs and backfills are safe in any order.

    python -m jobs.aggregate_crashes --date 2026-11-20 --raw RAW --warehouse WH [--releases DIR] [--reports DIR]
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date

from pyspark.sql import DataFrame, SparkSession

from lib.contract.deploy import code_version
from lib.contract.errors import JobError
from lib.contract.vocabulary import DOC_TYPES, Limits
from lib.ingest.calendar import ReleaseCalendar, read_calendar
from lib.ingest.landing import Partition, UnreadableInput, count_lines, open_day, read_lines
from lib.ingest.pings import files_not_json_lines, read_pings
from lib.quality.publish import CriticalChecksFailed, judge_raw
from lib.runtime.cli import NIGHTLY, Progress, job_parser, main_wrapper, parse_args
from lib.runtime.session import build_session
from lib.transform.aggregate import (
    to_client_counts,
    to_client_sums,
    to_crash_aggregates,
    to_crash_reasons,
    to_dq_metrics,
    to_ping_measures,
    to_quarantine,
)
from lib.transform.classify import checkpointed, classify, union_all
from lib.warehouse.tables import replace_partition, table_spec

JOB = "aggregate_crashes"


@dataclass(frozen=True)
class Config:
    day: date
    raw: str
    warehouse: str
    releases: str | None = None
    limits: Limits = field(default_factory=Limits)
    reports: str | None = None
    raw_checks: str = "enforce"  # see RAW_CHECKS


# What the raw checks may do to a run.
RAW_CHECKS = {
    "enforce": "judge them; a critical failure stops the run before anything is aggregated (the nightly)",
    "report": "judge and publish them, and aggregate whatever they find (a fault understood and accepted)",
    "skip": "do not judge them (re-aggregating a day whose verdict is already in dq_results)",
}


def read_config(argv: list[str]) -> Config:
    parser = job_parser(JOB, __doc__, *NIGHTLY, "raw", "releases", "reports", "limits")
    parser.add_argument(
        "--raw-checks",
        choices=RAW_CHECKS,
        default="enforce",
        help="; ".join(f"{name}: {what}" for name, what in RAW_CHECKS.items()),
    )
    args = parse_args(parser, argv)
    return Config(args.date, args.raw, args.warehouse, args.releases, args.limits, args.reports, args.raw_checks)


ACCOUNTING = ("aggregated", "duplicates", "excluded", "quarantined")


def _accounting(counts: dict[str, int]) -> str:
    """Where the lines went: '9,870 aggregated, 100 duplicates, 20 excluded, 10 quarantined'."""
    return ", ".join(f"{counts[key]:,} {key}" for key in ACCOUNTING)


class LinesUnaccounted(JobError):
    """The lines classified do not add up to the lines in the files: a bug, never data."""


def _count_and_check(
    spark: SparkSession,
    config: Config,
    partitions: dict[str, Partition],
    classified: DataFrame,
    progress: Progress,
) -> tuple[DataFrame, dict[str, dict[str, int]]]:
    """Count where every line went and check it against the files' own line counts;
    any unreadable input fails here, before any write."""
    with progress.heartbeat(spark, "reading and classifying"):
        if bad := files_not_json_lines(classified):
            raise UnreadableInput(f"not JSON lines: {', '.join(bad)}")
        lines = count_lines(spark, partitions.values())
        metrics = union_all([to_dq_metrics(classified, d, config.day, config.limits, lines[d]) for d in DOC_TYPES])
        counts = {row["doc_type"]: row.asDict() for row in metrics.collect()}
    for doc_type, row in counts.items():
        progress(f"{doc_type}: {row['input_lines']:,} lines: {_accounting(row)}")
        accounted = sum(row[key] for key in ACCOUNTING)
        if accounted != row["input_lines"]:
            raise LinesUnaccounted(
                f"{doc_type}: the files hold {row['input_lines']:,} lines but {accounted:,} were accounted for "
                f"({_accounting(row)}); nothing written"
            )
    return metrics.persist(), counts


def _judge(spark: SparkSession, config: Config, classified: DataFrame, progress: Progress) -> None:
    """The raw checks on the lines already classified, not on a second read of the day;
    when enforced, a critical failure raises here, before anything is aggregated."""
    if config.raw_checks == "skip":
        progress("raw checks skipped (--raw-checks skip)")
        return
    with progress.heartbeat(spark, "checking the raw pings"):
        try:
            progress(judge_raw(spark, classified, config.day, config.warehouse, config.reports, config.limits, JOB))
        except CriticalChecksFailed as failure:
            if config.raw_checks == "enforce":
                raise
            progress(f"aggregating despite the raw checks (--raw-checks report): {failure}")


def _write(
    spark: SparkSession,
    config: Config,
    calendar: ReleaseCalendar,
    classified: DataFrame,
    lines: DataFrame,
    metrics: DataFrame,
    progress: Progress,
) -> None:
    """Write the tables, dq_metrics last: a day's dq_metrics commit says the run finished."""
    commit_info = {
        "job": JOB,
        "submission_date": config.day.isoformat(),
        "code_version": code_version(),
        "raw": config.raw,
        "limits": asdict(config.limits),
        "calendar": calendar.describe(),
    }
    ping_measures = union_all([to_ping_measures(classified, d, config.day, config.limits) for d in DOC_TYPES])
    outputs = {
        "crash_aggregates": to_crash_aggregates(ping_measures),
        "crash_client_sums": to_client_sums(ping_measures),
        "client_counts": to_client_counts(classified, config.day, config.limits),
        "crash_reasons": to_crash_reasons(classified, config.day),
        "quarantine": to_quarantine(classified, lines, config.day),
        "dq_metrics": metrics,
    }
    for name, rows in outputs.items():
        with progress.heartbeat(spark, f"writing {name}"):
            replace_partition(
                spark, config.warehouse, table_spec(name), rows, config.day, commit_info, bounds=asdict(config.limits)
            )
        progress(f"wrote {name}")


def run(spark: SparkSession, config: Config) -> str:
    """Aggregate one submission date; returns the one-line summary."""
    progress = Progress(JOB, config.day)
    calendar = read_calendar(spark, config.releases)
    progress(f"release calendar: {calendar.describe()['versions']} versions")

    partitions = open_day(spark, config.raw, config.day)
    for doc_type, partition in partitions.items():
        progress(f"{doc_type}: {len(partition.files)} file(s), {sum(f.size for f in partition.files):,} bytes")
        for warning in partition.warnings:
            progress(f"warning: {warning}")
    parsed = {d: read_pings(spark, partition) for d, partition in partitions.items()}
    lines = union_all([read_lines(spark, partition) for partition in partitions.values()])
    classified = checkpointed(classify(parsed, calendar.to_frame(spark), config.day, config.limits))
    metrics = None
    try:
        metrics, counts = _count_and_check(spark, config, partitions, classified, progress)
        _judge(spark, config, classified, progress)
        _write(spark, config, calendar, classified, lines, metrics, progress)
    finally:  # a shared session (tests, the demo, a backfill loop) must not keep them
        classified.unpersist()
        if metrics is not None:
            metrics.unpersist()

    total = {key: sum(row[key] for row in counts.values()) for key in ACCOUNTING}
    read = ", ".join(f"{counts[d]['input_lines']:,} {d}" for d in DOC_TYPES)
    return (
        f"{JOB} {config.day}: read {read} lines; {_accounting(total)}; "
        f"wrote {config.warehouse}; {progress.elapsed:.1f}s"
    )


def command(argv: list[str]) -> str:
    config = read_config(argv)
    return run(build_session(JOB), config)


main = main_wrapper(JOB, command)

if __name__ == "__main__":
    raise SystemExit(main())
