"""Nightly crash aggregates from one day of raw Firefox telemetry, checked first.

**One parse per night.** The job reads and parses the raw day once, classifies
every line, then judges the raw data-quality checks (suite ``raw`` of
``schemas/dq_checks.yaml``, the same as ``jobs.validate_raw``) on those classified
lines. A critical failure keeps the day's results in ``dq_results``, writes and
emails the report, and exits 3 with no aggregate written; otherwise the job writes
the tables below.

**Produces** ten Delta tables under ``<warehouse>``, each partitioned by
``submission_date`` but the last: ``crash_aggregates`` (crash counts and usage hours),
``crash_client_sums`` (at the same grain: clients, and the per-client sums a
cluster-robust interval needs, no client id), ``client_counts`` (HyperLogLog
sketches of active and crashing clients per channel, version and platform),
``crash_reasons`` (what the crashes were), ``crash_signatures`` (what they were as
Mozilla's siggen names them, symbolicated from ``--symbols`` when given),
``quarantine`` (lines that could not be
used, with the reason), ``usage_parity`` (desktop's two usage sources side by side),
``crash_aggregates_hourly`` (the date's hours, rewritten from this parse: the night
is the truth the hourly runs converge to), ``dq_metrics`` (where every input line
went) and ``signature_first_seen`` (per channel and signature, the first date, version
and build, rebuilt from the whole of ``crash_signatures`` after it is written). Every
row of the partitioned tables carries the run's ``run_id``; once all are committed,
one more table, ``runs``, records the run for each date: until then a killed run's
dates read as half-written (``lib.warehouse.runs``), and the re-run repairs them.

**Grain** of ``crash_aggregates``: one row per distinct (submission_date, channel,
version, display_version, major_version, build_id, os, os_version, architecture,
country, release_date, release_age_days).

**Source**: ``<raw>/main/``, ``<raw>/crash/`` (legacy) and ``<raw>/glean_crash/``
``submission_date=YYYY-MM-DD/<files>``, one ping per line, plus a release calendar
in Mozilla's product-details format. One crash sent in both formats counts once.

**Schedule**: daily, once the main partition and the configured crash sources of
the submission date carry ``_SUCCESS``. A run replaces exactly its date's
partition in every table, so re-runs and backfills are safe in any order.

**A range in one run** (``--from D1 --to D2`` instead of ``--date``, a backfill's
way): every partition of the range is read in one pass, and each table written in
one commit, with per date exactly the rows its night alone would write. A date whose
raw checks fail critically is left unwritten, the others are written, and the run
exits 3 naming it.

    python -m jobs.aggregate_crashes --date 2026-11-20 --raw RAW --warehouse WH [--releases DIR] [--reports DIR]
        [--symbols STORE]
    python -m jobs.aggregate_crashes --from 2026-10-01 --to 2026-10-31 --raw RAW --warehouse WH ...
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from lib.contract.deploy import code_version
from lib.contract.errors import JobError
from lib.contract.vocabulary import CRASH_DOC_TYPES, DOC_TYPES, Limits
from lib.ingest.calendar import ReleaseCalendar, read_calendar
from lib.ingest.landing import Partition, UnreadableInput, count_lines, open_day, read_lines
from lib.ingest.pings import files_not_json_lines, read_pings
from lib.ingest.symbols import read_symbols
from lib.quality.publish import CriticalChecksFailed, Verdict, judge_raw
from lib.runtime.cli import RANGED, Progress, date_label, date_range, job_parser, main_wrapper, parse_args
from lib.runtime.concurrent import run_all
from lib.runtime.local_frames import local_frame
from lib.runtime.session import build_session
from lib.transform.aggregate import (
    to_client_counts,
    to_client_sums,
    to_crash_aggregates,
    to_crash_reasons,
    to_dq_metrics,
    to_hourly_aggregates,
    to_ping_measures,
    to_quarantine,
    to_subprocess_crashes,
    to_usage_parity,
    usage_measures,
)
from lib.transform.classify import AGGREGATED, checkpointed, classify, union_all
from lib.transform.signatures import (
    crash_frames,
    symbol_modules,
    symbol_records,
    symbolicate,
    to_crash_signatures,
    to_signature_first_seen,
    with_crashing_thread,
    with_signatures,
)
from lib.warehouse.runs import RUN_ID, new_run_id, record_run
from lib.warehouse.tables import read_table, replace_partition, replace_table, table_spec

JOB = "aggregate_crashes"


@dataclass(frozen=True)
class Config:
    day: date  # the date, or the first date of a range
    raw: str
    warehouse: str
    releases: str | None = None
    limits: Limits = field(default_factory=Limits)
    reports: str | None = None
    raw_checks: str = "enforce"  # see RAW_CHECKS
    until: date | None = None  # the last date of a range, included
    symbols: str | None = None  # a Breakpad symbol store: a folder or an s3a:// prefix

    @property
    def days(self) -> tuple[date, ...]:
        return date_range(self.day, self.until or self.day)

    @property
    def label(self) -> str:
        """``2026-11-20``, or ``2026-10-01..2026-10-31`` for a range."""
        return date_label(self.days)


# What the raw checks may do to a run.
RAW_CHECKS = {
    "enforce": "judge them; a date with a critical failure is not aggregated, the others are (the nightly)",
    "report": "judge and publish them, and aggregate whatever they find (a fault understood and accepted)",
    "skip": "do not judge them (re-aggregating a day whose verdict is already in dq_results)",
}


def read_config(argv: list[str]) -> Config:
    parser = job_parser(JOB, __doc__, *RANGED, "raw", "releases", "reports", "limits")
    parser.add_argument(
        "--raw-checks",
        choices=RAW_CHECKS,
        default="enforce",
        help="; ".join(f"{name}: {what}" for name, what in RAW_CHECKS.items()),
    )
    parser.add_argument(
        "--symbols",
        help="Breakpad symbol store (folder or s3a:// prefix, <debug_file>/<debug_id>/<name>.sym) "
        "that names the frames of crash_signatures; without it (or empty, as the DAG passes an unset "
        "Variable), signatures use modules and offsets",
    )
    args = parse_args(parser, argv)
    first, last = args.days[0], args.days[-1]
    until = last if last != first else None
    symbols = args.symbols or None  # the DAG passes an unset Variable as ""
    return Config(
        first, args.raw, args.warehouse, args.releases, args.limits, args.reports, args.raw_checks, until, symbols
    )


ACCOUNTING = ("aggregated", "duplicates", "excluded", "quarantined")


def _accounting(counts: dict[str, int]) -> str:
    """Where the lines went: '9,870 aggregated, 100 duplicates, 20 excluded, 10 quarantined'."""
    return ", ".join(f"{counts[key]:,} {key}" for key in ACCOUNTING)


class LinesUnaccounted(JobError):
    """The lines classified do not add up to the lines in the files: a bug, never data."""


Counts = dict[tuple[date, str], dict[str, int]]


def _count_and_check(
    spark: SparkSession,
    config: Config,
    partitions: list[Partition],
    classified: DataFrame,
    progress: Progress,
) -> tuple[DataFrame, Counts]:
    """Count where every line of every date went and check it against the files' own line
    counts; any unreadable input fails here, before any write."""
    with progress.heartbeat(spark, "counting where every line went"):
        if bad := files_not_json_lines(classified):
            raise UnreadableInput(f"not JSON lines: {', '.join(bad)}")
        lines = count_lines(spark, partitions)
        rows = [(day, doc_type, n) for (day, doc_type), n in lines.items()]
        input_lines = local_frame(spark, rows, "submission_date date, doc_type string, input_lines long")
        metrics = to_dq_metrics(classified, input_lines, config.limits).persist()
        counts = {(row["submission_date"], row["doc_type"]): row.asDict() for row in metrics.collect()}
    for (day, doc_type), row in sorted(counts.items()):
        where = f"{day} {doc_type}" if config.until else doc_type
        progress(f"{where}: {row['input_lines']:,} lines: {_accounting(row)}")
        accounted = sum(row[key] for key in ACCOUNTING)
        if accounted != row["input_lines"]:
            raise LinesUnaccounted(
                f"{day} {doc_type}: the files hold {row['input_lines']:,} lines but {accounted:,} were accounted "
                f"for ({_accounting(row)}); nothing written"
            )
    return metrics, counts


def _judge(spark: SparkSession, config: Config, classified: DataFrame, progress: Progress) -> list[Verdict]:
    """The raw checks on the lines already classified, not on a second read of the day;
    returns the verdict of each date a critical check stopped (none unless enforced)."""
    if config.raw_checks == "skip":
        progress("raw checks skipped (--raw-checks skip)")
        return []
    with progress.heartbeat(spark, "checking the raw pings"):
        verdicts = judge_raw(spark, classified, config.days, config.warehouse, config.reports, config.limits, JOB)
    stopped = []
    for verdict in verdicts:
        if not verdict.failed:
            progress(verdict.summary)
        elif config.raw_checks == "enforce":
            stopped.append(verdict)
            progress(f"not aggregating {verdict.day}: {verdict.summary}")
        else:
            progress(f"aggregating {verdict.day} despite the raw checks (--raw-checks report): {verdict.summary}")
    return stopped


def _signed_crashes(spark: SparkSession, config: Config, classified: DataFrame, progress: Progress) -> DataFrame:
    """The aggregated crash rows with siggen's ``signature``, their frames named from the
    symbol store: only the ``.sym`` files of the modules the crashes' frames name are read."""
    crashes = classified.where(
        F.col("doc_type").isin(*CRASH_DOC_TYPES) & (F.col("disposition") == AGGREGATED)
    ).transform(with_crashing_thread)
    frames = crash_frames(crashes)
    records = None
    if config.symbols is None:
        progress("no --symbols: crash signatures from modules, offsets and annotations, without function names")
    else:
        with progress.heartbeat(spark, "finding the crashes' symbols"):
            modules = [(r.debug_file, r.debug_id) for r in symbol_modules(frames).collect()]
            lines, found = read_symbols(spark, config.symbols, modules)
        progress(
            f"symbols: {found} of the {len(modules)} modules in the crashes' frames have a file in {config.symbols}"
        )
        records = symbol_records(lines) if lines is not None else None
    return with_signatures(crashes, symbolicate(frames, records))


def _write(
    spark: SparkSession,
    config: Config,
    days: list[date],
    calendar: ReleaseCalendar,
    classified: DataFrame,
    lines: DataFrame,
    metrics: DataFrame,
    progress: Progress,
) -> None:
    """Write the tables for ``days``, one commit a table, each row stamped with the run's
    id; then record in ``runs`` that the run wrote them all (lib.warehouse.runs): until
    that commit, a date this run touched reads as half-written."""
    run_id = new_run_id()
    commit_info = {
        "job": JOB,
        "run_id": run_id,
        "submission_date": date_label(days),
        "code_version": code_version(),
        "raw": config.raw,
        "limits": asdict(config.limits),
        "calendar": calendar.describe(),
    }
    if len(days) < len(config.days):  # a date a critical check stopped is not written
        kept = F.col("submission_date").isin(*days)
        classified, lines, metrics = classified.where(kept), lines.where(kept), metrics.where(kept)
    # Desktop's subprocess crashes come from main pings whichever source gives the hours.
    subprocesses = to_subprocess_crashes(classified, config.limits)
    ping_measures = union_all([*(to_ping_measures(classified, d, config.limits) for d in DOC_TYPES), subprocesses])
    outputs = {
        "crash_aggregates": to_crash_aggregates(ping_measures),
        "crash_client_sums": to_client_sums(ping_measures),
        "client_counts": to_client_counts(classified, config.limits),
        "crash_reasons": to_crash_reasons(classified),
        "crash_signatures": to_crash_signatures(_signed_crashes(spark, config, classified, progress)),
        "quarantine": to_quarantine(classified, lines),
        "usage_parity": to_usage_parity(usage_measures(classified, config.limits), config.limits),
        # The release day's hourly rows, rewritten from the night's parse: the night is the truth.
        "crash_aggregates_hourly": to_hourly_aggregates(classified, config.limits).withColumn(
            "batch_id", F.lit(None).cast("long")
        ),
        "dq_metrics": metrics,
    }

    def writer(name: str) -> Callable[[], None]:
        def write() -> None:
            with progress.heartbeat(spark, f"writing {name}"):
                rows = outputs[name].withColumn(RUN_ID, F.lit(run_id))
                replace_partition(spark, config.warehouse, table_spec(name), rows, days, commit_info, bounds=bounds)
            stage = next(s for s in reversed(progress.stages) if s.what == f"writing {name}")
            progress(f"wrote {name} ({stage.spark_jobs} Spark jobs, {stage.seconds:.1f}s)")

        return write

    bounds = asdict(config.limits)
    since = time.time()
    # The tables are independent commits, written side by side; dq_metrics only once
    # every other table is in.
    run_all({name: writer(name) for name in outputs if name != "dq_metrics"})
    # From every date crash_signatures holds, this run's just written: re-runs and ranges
    # in any order leave it as the nights in order would.
    with progress.heartbeat(spark, "writing signature_first_seen"):
        first_seen = to_signature_first_seen(read_table(spark, config.warehouse, "crash_signatures"))
        replace_table(spark, config.warehouse, table_spec("signature_first_seen"), first_seen, commit_info)
    progress("wrote signature_first_seen")
    writer("dq_metrics")()
    with progress.heartbeat(spark, "recording the run"):
        record_run(spark, config.warehouse, run_id, days, list(outputs), commit_info, since)
    progress(f"recorded run {run_id} in runs: {len(outputs)} tables of {date_label(days)} written whole")


def run(spark: SparkSession, config: Config, progress: Progress | None = None) -> str:
    """Aggregate one submission date, or every date of a range in one pass; returns the
    one-line summary. ``progress`` (made here when not given) keeps each stage's time
    and Spark jobs for the caller. A date stopped by a critical raw check is left
    unwritten, the others are written, then :class:`CriticalChecksFailed` names it."""
    progress = progress or Progress(JOB, config.label)
    calendar = read_calendar(spark, config.releases)
    progress(f"release calendar: {calendar.describe()['versions']} versions")

    days = {day: open_day(spark, config.raw, day, config.limits.desktop_usage_doc_type) for day in config.days}
    for doc_type in DOC_TYPES:
        files = [f for partitions in days.values() for f in partitions[doc_type].files]
        progress(f"{doc_type}: {len(files)} file(s), {sum(f.size for f in files):,} bytes")
    for day, partitions in days.items():
        for warning in (w for p in partitions.values() for w in p.warnings):
            progress(f"warning: {day} {warning}" if config.until else f"warning: {warning}")
    by_type = {d: [partitions[d] for partitions in days.values()] for d in DOC_TYPES}
    parsed = {d: read_pings(spark, *partitions) for d, partitions in by_type.items()}
    lines = union_all([read_lines(spark, *partitions) for partitions in by_type.values()])
    with progress.heartbeat(spark, "reading, parsing and classifying"):
        classified = checkpointed(classify(parsed, calendar.to_frame(spark), config.limits))
    metrics = None
    try:
        all_partitions = [p for partitions in by_type.values() for p in partitions]
        metrics, counts = _count_and_check(spark, config, all_partitions, classified, progress)
        stopped = _judge(spark, config, classified, progress)
        written = [day for day in config.days if day not in {verdict.day for verdict in stopped}]
        if written:
            _write(spark, config, written, calendar, classified, lines, metrics, progress)
    finally:  # a shared session (tests, the demo, a backfill loop) must not keep them
        classified.unpersist()
        if metrics is not None:
            metrics.unpersist()

    if stopped:
        others = f"; the other {len(written)} date(s) were written" if written else ""
        failures = "; ".join(verdict.summary for verdict in stopped)
        raise CriticalChecksFailed(f"{failures}; nothing written for {len(stopped)} date(s){others}")
    total = {key: sum(row[key] for row in counts.values()) for key in ACCOUNTING}
    read = ", ".join(f"{sum(r['input_lines'] for (_, d), r in counts.items() if d == t):,} {t}" for t in DOC_TYPES)
    dates = f" ({len(written)} dates)" if config.until else ""
    return (
        f"{JOB} {config.label}: read {read} lines; {_accounting(total)}; "
        f"wrote {config.warehouse}{dates}; {progress.elapsed:.1f}s"
    )


def command(argv: list[str]) -> str:
    config = read_config(argv)
    return run(build_session(JOB), config)


main = main_wrapper(JOB, command)

if __name__ == "__main__":
    raise SystemExit(main())
