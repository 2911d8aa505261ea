"""Throughput of the nightly aggregation on realistic pings: numbers, not a pass or fail.

Generates one day of landing data (realistic 5-200 KB pings, gzip), aggregates it
``--runs`` times in one Spark session (the first run pays JVM warm-up), and prints
lines, megabytes and seconds per run, and lines and MB per second.

    python -m jobs.benchmark [--clients 5000] [--runs 3] [--out /tmp/crash-rates-bench]
"""

from __future__ import annotations

import gzip
import shutil
import time
from datetime import date
from pathlib import Path

from jobs.aggregate_crashes import Config, run
from jobs.generate_pings import generate
from lib.runtime.cli import job_parser, main_wrapper, parse_args
from lib.runtime.session import build_session
from lib.synthetic.generator import Settings

JOB = "benchmark"
DAY = date(2026, 11, 20)


def _uncompressed_mb(raw: Path) -> float:
    total = 0
    for path in raw.rglob("*.json.gz"):
        with gzip.open(path, "rb") as handle:
            while chunk := handle.read(1 << 20):
                total += len(chunk)
    return total / 1e6


def command(argv: list[str]) -> str:
    parser = job_parser(JOB, __doc__)
    parser.add_argument("--clients", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--out", type=Path, default=Path("/tmp/crash-rates-bench"))
    args = parse_args(parser, argv)
    shutil.rmtree(args.out, ignore_errors=True)
    totals = generate(Settings(start=DAY, days=1, clients=args.clients), args.out, compress=True)
    lines, megabytes = sum(totals.values()), _uncompressed_mb(args.out / "raw")
    spark = build_session(JOB)
    timings = []
    for attempt in range(1, args.runs + 1):
        started = time.monotonic()
        run(spark, Config(DAY, str(args.out / "raw"), str(args.out / "warehouse"), str(args.out / "releases")))
        timings.append(time.monotonic() - started)
        print(f"run {attempt}: {lines:,} lines, {megabytes:,.0f} MB in {timings[-1]:.1f}s", flush=True)
    best = min(timings)
    return (
        f"{JOB}: {lines:,} lines ({megabytes:,.0f} MB uncompressed) per day; best of {args.runs} runs "
        f"{best:.1f}s = {lines / best:,.0f} lines/s, {megabytes / best:,.1f} MB/s (first run {timings[0]:.1f}s)"
    )


main = main_wrapper(JOB, command)

if __name__ == "__main__":
    raise SystemExit(main())
