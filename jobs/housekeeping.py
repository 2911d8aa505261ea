"""Table housekeeping after a night's load: compact the day, then drop unreferenced files.

**Does**, for each table under ``<warehouse>``, several tables side by side: Delta
``OPTIMIZE`` of the submission date's partition, so each day is read from one file
instead of one per Spark task, then ``VACUUM`` of files no version from the last
``--retain-hours`` (default 168, a week of time travel) refers to. Rewrites files,
never rows: the tables read the same before and after, and a second run finds
nothing to compact.

**Schedule**: nightly, last, after ``validate_aggregates`` passed.

    python -m jobs.housekeeping --date 2026-11-20 --warehouse WH [--retain-hours 168]
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date

from pyspark.sql import SparkSession

from lib.runtime.cli import RANGED, Progress, date_label, job_parser, main_wrapper, parse_args
from lib.runtime.concurrent import run_all
from lib.runtime.session import build_session
from lib.warehouse.tables import TABLES, compact_partition, table_exists, vacuum

JOB = "housekeeping"
WEEK_HOURS = 7 * 24


def run(spark: SparkSession, day: date | Sequence[date], warehouse: str, retain_hours: int = WEEK_HOURS) -> str:
    """Compact ``day`` (or each date of a range) and vacuum every existing table once;
    returns the summary."""
    days = [day] if isinstance(day, date) else list(day)
    label = date_label(days)
    progress = Progress(JOB, label)

    def keep(name: str) -> Callable[[], tuple[int, int]]:
        def action() -> tuple[int, int]:  # (files removed, files added)
            removed = added = 0
            for one in days:
                r, a = compact_partition(spark, warehouse, name, one)
                removed, added = removed + r, added + a
            vacuum(spark, warehouse, name, retain_hours)
            progress(f"{name}: compacted {removed} file(s) into {added}; vacuumed")
            return removed, added

        return action

    present = [name for name in TABLES if table_exists(spark, warehouse, name)]
    for name in TABLES:
        if name not in present:
            progress(f"{name}: no table yet, skipped")
    # Each table is its own commits; side by side, one table's waits (its log, its
    # listing, S3's round trips) overlap another's work.
    files = run_all({name: keep(name) for name in present})
    compacted = [f"{name} {removed}->{added}" for name, (removed, added) in files.items()]
    return (
        f"{JOB} {label}: compacted {', '.join(compacted) or 'no table'} (files before->after); "
        f"vacuumed files older than {retain_hours} h in {warehouse}; {progress.elapsed:.1f}s"
    )


def command(argv: list[str]) -> str:
    parser = job_parser(JOB, __doc__, *RANGED)
    parser.add_argument("--retain-hours", type=int, default=WEEK_HOURS, help="VACUUM retention (default 168)")
    args = parse_args(parser, argv)
    if args.retain_hours < WEEK_HOURS:
        parser.error(f"--retain-hours under {WEEK_HOURS} would break running readers and time travel")
    return run(build_session(JOB), args.days, args.warehouse, args.retain_hours)


main = main_wrapper(JOB, command)

if __name__ == "__main__":
    raise SystemExit(main())
