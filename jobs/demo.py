"""The demo: two weeks of generated Firefox telemetry, aggregated night by night, then the report.

1. ``jobs.generate_pings`` writes 14 days of landing data (realistic ping sizes,
   gzip) around the release of a new major version, with its release calendar;
2. ``jobs.aggregate_crashes`` runs once per submission date, as the nightly DAG
   would (one Spark session here, to save the JVM start-ups);
3. ``jobs.compare_releases`` prints the newest release against the previous one
   at the same release age, per channel and platform.

    python -m jobs.demo --out demo      (what `make demo` runs)
"""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

from jobs.aggregate_crashes import Config, run
from jobs.generate_pings import generate
from lib.cli import ArgumentParser, iso_date, main_wrapper
from lib.compare import compare_releases, format_report
from lib.spark_session import build_session
from lib.synthetic import Settings, current_major
from lib.tables import read_table

JOB = "demo"
# Firefox 158 ships on 2026-11-17 in the synthetic train: the window ends four days later.
FIRST_DAY = date(2026, 11, 7)


def _main(argv: list[str]) -> str:
    parser = ArgumentParser(prog=f"python -m jobs.{JOB}", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("demo"))
    parser.add_argument("--start", type=iso_date, default=FIRST_DAY)
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument("--clients", type=int, default=5000)
    args = parser.parse_args(argv)
    started = time.monotonic()

    # A regression planted in the newest major on Mac, for the report to find.
    settings = Settings(start=args.start, days=args.days, clients=args.clients, regression=("Darwin", 0, 3.0))
    print(f"== 1. generating {args.days} days of landing data into {args.out}/raw", flush=True)
    totals = generate(settings, args.out, compress=True)

    print(f"== 2. aggregating each submission date into {args.out}/warehouse", flush=True)
    spark = build_session(JOB)
    warehouse = str(args.out / "warehouse")
    for day in settings.dates:
        print(run(spark, Config(day, str(args.out / "raw"), warehouse, str(args.out / "releases"))), flush=True)

    last = settings.dates[-1]
    print(f"\n== 3. the morning report for {last}\n", flush=True)
    aggregates = read_table(spark, warehouse, "crash_aggregates")
    print(format_report(compare_releases(aggregates, last), last), flush=True)
    print(
        f"\nPlanted by the generator: Firefox {current_major(last)} on Mac crashes 3x as often as the"
        " model's base rate on the release channel; every new release is crashier in its first days."
    )
    print(
        f"\nTables: {warehouse}/crash_aggregates, quarantine, dq_metrics (Delta; README has queries)."
        f"\nThe report for any day: .venv/bin/python -m jobs.compare_releases"
        f" --date {last} --warehouse {warehouse}"
    )
    return (
        f"{JOB}: generated {totals['main']:,} main and {totals['crash']:,} crash pings over "
        f"{args.days} days, aggregated them and printed the report in {time.monotonic() - started:.0f}s"
    )


main = main_wrapper(JOB, _main)

if __name__ == "__main__":
    raise SystemExit(main())
