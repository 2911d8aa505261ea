"""Where a small night's seconds go: each stage's Spark jobs and time, beside Spark's floor.

Part of ``make bench`` (``jobs.benchmark`` runs it first), or on its own:

    python -m jobs.benchmark_small [--nights 30] [--clients 20000] [--out /tmp/crash-rates-bench-small]

On the demo's volume (its population, gzip landing files), generates ``--nights``
nights, then, each in one warm process as a backfill would be run:

1. **Spark's floor**: a bare job that reads a night's files as text, counts lines per
   doc type and writes one small Delta table: what any Spark job over these files costs;
2. **one warm night** of ``aggregate_crashes`` with its raw checks, stage by stage:
   the count and time of Spark jobs of each (read and classify, counting, checks,
   each table's write);
3. **the range**: every night in one ``aggregate_crashes --from --to`` run;

and, cold (a new process each, JVM start included), one night against the floor's
process. Prints the ratios the README quotes against the targets of issue 19.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from dataclasses import replace
from datetime import date
from pathlib import Path

from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from jobs.aggregate_crashes import Config, run
from jobs.demo import population
from jobs.generate_pings import generate
from lib.contract.vocabulary import DOC_TYPES
from lib.ingest.landing import open_day
from lib.runtime.cli import Progress, StageTime, job_parser, main_wrapper, parse_args
from lib.runtime.session import build_session
from lib.warehouse.tables import read_table

JOB = "benchmark_small"
FIRST = date(2026, 10, 1)


def floor(spark: SparkSession, raw: str, day: date, warehouse: str) -> float:
    """Read a night's files as text, count lines per doc type, write one small Delta
    table: the least any Spark job over these files costs. Returns seconds."""
    started = time.monotonic()
    partitions = [p for p in open_day(spark, raw, day).values() if p.files]
    scans = [spark.read.text([f.path for f in p.files]).select(F.lit(p.doc_type).alias("doc_type")) for p in partitions]
    counts = scans[0]
    for scan in scans[1:]:
        counts = counts.unionByName(scan)
    counts.groupBy("doc_type").count().write.format("delta").mode("overwrite").save(f"{warehouse}/floor")
    return time.monotonic() - started


def floor_process(raw: str, day: str, warehouse: str) -> None:
    """:func:`floor` in a process of its own (the cold floor)."""
    floor(build_session("floor"), raw, date.fromisoformat(day), warehouse)


def _covered(stages: list[StageTime]) -> float:
    """Seconds during which some stage ran (stages side by side count once)."""
    covered, end = 0.0, 0.0
    for stage in sorted(stages, key=lambda s: s.began):
        start, stop = max(stage.began, end), stage.began + stage.seconds
        covered += max(0.0, stop - start)
        end = max(end, stop)
    return covered


def _signed(spark: SparkSession, warehouse: str, day: date) -> int:
    """The night's crash pings that got a signature (every aggregated crash gets one)."""
    rows = read_table(spark, warehouse, "crash_signatures").where(F.col("submission_date") == F.lit(day))
    total = rows.agg(F.coalesce(F.sum("crashes"), F.lit(0))).first()
    return int(total[0]) if total else 0


def _signature_line(stages: list[StageTime], signed: int, cores: int) -> str:
    """Signatures per second per core over the warm night: siggen runs while crash_signatures is
    written (side by side with the other writes), so its stage's wall time is the bound."""
    stage = next((s for s in stages if s.what == "writing crash_signatures"), None)
    if stage is None or stage.seconds <= 0:
        return "signatures: no 'writing crash_signatures' stage measured"
    rate = signed / stage.seconds / cores
    return (
        f"signatures: {signed:,} crash pings of one night signed while writing crash_signatures in "
        f"{stage.seconds:.1f}s on {cores} cores: {rate:,.0f} per second per core (a lower bound: that stage's wall)"
    )


def _cold(argv: list[str]) -> float:
    started = time.monotonic()
    subprocess.run(argv, check=True, capture_output=True)
    return time.monotonic() - started


def command(argv: list[str]) -> str:
    parser = job_parser(JOB, __doc__)
    parser.add_argument("--nights", type=int, default=30)
    parser.add_argument("--clients", type=int, default=20_000, help="the demo's population by default")
    parser.add_argument("--out", type=Path, default=Path("/tmp/crash-rates-bench-small"))
    args = parse_args(parser, argv)
    shutil.rmtree(args.out, ignore_errors=True)
    settings = replace(population(FIRST, args.nights, args.clients), crash_formats="glean")
    generate(settings, args.out, compress=True)
    raw, releases = str(args.out / "raw"), str(args.out / "releases")
    nights = settings.dates
    megabytes = sum(p.stat().st_size for p in (args.out / "raw").rglob("*.gz") if f"={nights[1]}" in str(p)) / 1e6

    spark = build_session(JOB)
    spark.sparkContext.setLogLevel("ERROR")
    # Warm-up: the first night of a process pays for the JVM's first plans and classes.
    floor(spark, raw, nights[0], str(args.out / "floor_wh"))
    run(spark, Config(nights[0], raw, str(args.out / "warmup_wh"), releases))

    warm_floor = min(floor(spark, raw, nights[1], str(args.out / "floor_wh")) for _ in range(3))
    progress = Progress("aggregate_crashes", nights[1])
    started = time.monotonic()
    run(spark, Config(nights[1], raw, str(args.out / "night_wh"), releases), progress)
    warm_night = time.monotonic() - started
    signed = _signed(spark, str(args.out / "night_wh"), nights[1])
    cores = os.cpu_count() or 1  # the machine's (a local session's default parallelism can be larger)

    started = time.monotonic()
    run(spark, Config(nights[0], raw, str(args.out / "range_wh"), releases, until=nights[-1]))
    ranged = time.monotonic() - started
    spark.stop()

    python = sys.executable
    day = str(nights[1])
    cold_floor = _cold(
        [
            python,
            "-c",
            f"from jobs.benchmark_small import floor_process; floor_process({raw!r}, {day!r}, "
            f"{str(args.out / 'cold_floor_wh')!r})",
        ]
    )
    cold_night = _cold(
        [
            python,
            "-m",
            "jobs.aggregate_crashes",
            "--date",
            day,
            "--raw",
            raw,
            "--releases",
            releases,
            "--warehouse",
            str(args.out / "cold_wh"),
        ]
    )

    present = [d for d in DOC_TYPES if (Path(raw) / d / f"submission_date={nights[1]}").exists()]
    lines = [
        f"one night at the demo's volume: {megabytes:.1f} MB gzip ({', '.join(present)}), "
        f"{args.clients:,} clients; warm process, stage by stage:",
        f"  {'stage':<36}{'Spark jobs':>11}{'seconds':>9}",
    ]
    lines += [f"  {s.what:<36}{s.spark_jobs:>11}{s.seconds:>9.1f}" for s in progress.stages]
    writes = [s for s in progress.stages if s.what.startswith("writing") and s.what != "writing dq_metrics"]
    side_by_side = max(s.began + s.seconds for s in writes) - min(s.began for s in writes)
    staged = _covered(progress.stages)
    lines += [
        f"  {'(those writes side by side: wall)':<36}{'':>11}{side_by_side:>9.1f}",
        f"  {'(planning, listing, between stages)':<36}{'':>11}{warm_night - staged:>9.1f}",
        f"  {'one warm night':<36}{sum(s.spark_jobs for s in progress.stages):>11}{warm_night:>9.1f}",
        f"  {'Spark floor, warm (best of 3)':<36}{'':>11}{warm_floor:>9.1f}",
        "",
        f"warm night / warm floor: {warm_night / warm_floor:.1f}x (target 3x)",
        f"cold night {cold_night:.1f}s / cold floor {cold_floor:.1f}s: {cold_night / cold_floor:.1f}x (target 2x)",
        f"{len(nights)}-night range in one run: {ranged:.1f}s = {ranged / warm_night:.1f}x one warm night "
        f"(target 5x; {ranged / len(nights):.1f}s a night)",
        _signature_line(progress.stages, signed, cores),
    ]
    print("\n".join(lines), flush=True)
    return f"{JOB}: profiled one night, its floor and a {len(nights)}-night range in {args.out}"


main = main_wrapper(JOB, command)

if __name__ == "__main__":
    raise SystemExit(main())
