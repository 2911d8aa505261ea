"""The release managers' morning table: newest release against the previous one, same release age.

**Reads** ``<warehouse>/crash_aggregates`` up to ``--date``; **prints** per channel
and platform the crash rate per 1,000 usage hours of the newest release and of the
release before it, over the release ages both have, with raw crash counts, usage
hours, 95% intervals and a verdict that refuses to judge thin samples.

    python -m jobs.compare_releases --date 2026-11-20 --warehouse WH [--measure main_crashes]
"""

from __future__ import annotations

from lib.cli import ArgumentParser, iso_date, main_wrapper
from lib.compare import compare_releases, format_report
from lib.spark_session import build_session
from lib.tables import read_table

JOB = "compare_releases"
MEASURES = ("main_crashes", "content_crashes", "startup_crashes", "gpu_crashes")


def command(argv: list[str]) -> str:
    parser = ArgumentParser(prog=f"python -m jobs.{JOB}", description=__doc__.split("\n\n")[0])
    parser.add_argument("--date", type=iso_date, required=True, help="last submission date to include")
    parser.add_argument("--warehouse", required=True)
    parser.add_argument("--measure", choices=MEASURES, default="main_crashes")
    args = parser.parse_args(argv)
    spark = build_session(JOB)
    aggregates = read_table(spark, args.warehouse, "crash_aggregates")
    return format_report(compare_releases(aggregates, args.date, args.measure), args.date, args.measure)


main = main_wrapper(JOB, command)

if __name__ == "__main__":
    raise SystemExit(main())
