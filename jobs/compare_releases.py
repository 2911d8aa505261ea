"""The release managers' morning table: newest release against the previous one, same release age.

**Reads** ``<warehouse>/crash_aggregates`` up to ``--date``; **prints** per channel
and platform the crash rate per 1,000 usage hours of the newest release and of the
release before it, over the release ages both have, with raw crash counts, usage
hours, 95% intervals (cluster-robust where ``crash_client_sums`` covers the rows) and
a verdict that refuses to judge thin samples.

    python -m jobs.compare_releases --date 2026-11-20 --warehouse WH [--measure main_crashes]
"""

from __future__ import annotations

from lib.analysis.compare import compare_releases, format_report
from lib.contract.vocabulary import CRASH_MEASURES
from lib.runtime.cli import NIGHTLY, job_parser, main_wrapper, parse_args
from lib.runtime.session import build_session
from lib.warehouse.tables import read_table, table_exists

JOB = "compare_releases"
MEASURES = CRASH_MEASURES


def command(argv: list[str]) -> str:
    parser = job_parser(JOB, __doc__, *NIGHTLY)
    parser.add_argument("--measure", choices=MEASURES, default="main_crashes")
    args = parse_args(parser, argv)
    spark = build_session(JOB)
    aggregates = read_table(spark, args.warehouse, "crash_aggregates")
    sums = (
        read_table(spark, args.warehouse, "crash_client_sums")
        if table_exists(spark, args.warehouse, "crash_client_sums")
        else None
    )
    return format_report(compare_releases(aggregates, args.date, args.measure, sums), args.date, args.measure)


main = main_wrapper(JOB, command)

if __name__ == "__main__":
    raise SystemExit(main())
