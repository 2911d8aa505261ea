"""The demo: two weeks of generated Firefox telemetry, aggregated night by night, then the morning page.

1. ``jobs.generate_pings`` writes 14 days of landing data (gzip) around the release
   of a new major version, with its release calendar, from :func:`population`: crashes
   cluster on a few clients, and the new major crashes 1.5x as often on Mac; Firefox
   sends crashes as legacy crash pings, then in both formats, then as Glean crash
   pings only (the legacy ping stops); in its second week Firefox desktop also sends
   Glean baseline pings of the same sessions, and Firefox for Android (its baseline
   and Glean crash pings) is there throughout;
2. ``jobs.aggregate_crashes --from --to`` aggregates the fortnight in one run, as a
   backfill would (per date, exactly what the nights one by one write): it parses the
   days once, judges each date's raw data-quality checks, then aggregates; the main crashes
   of each stretch of the transition are printed beside what the generator's model
   expects for the same hours and release ages: each ratio's interval holds 1; then
   desktop's hours from either usage source side by side (``usage_parity``), and
   Firefox for Android's crash rates, which only its Glean pings give;
3. ``jobs.compare_releases`` writes and prints the newest release against the
   previous one at the same release ages, per channel and platform;
4. ``jobs.validate_aggregates`` checks the last clean night and ``jobs.release_health``
   writes its page; the demo prints the page's path;
5. one more night, with a duplicate storm and Mac pings dropping, goes through
   ``aggregate_crashes``, whose raw checks stop it before anything is written; the
   demo says where that night's data-quality report is (it would be emailed, were
   SMTP configured: see README).

    python -m jobs.demo --out demo      (what `make demo` runs)
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

import jobs.compare_releases as compare_releases
import jobs.release_day as release_day
import jobs.release_health as release_health
import jobs.validate_aggregates as validate_aggregates
from jobs.aggregate_crashes import Config, run
from jobs.generate_pings import generate
from lib.analysis.stats import poisson_interval
from lib.contract.layout import HEALTH_PAGE, health_folder
from lib.quality.publish import CriticalChecksFailed
from lib.runtime.cli import iso_date, job_parser, main_wrapper, parse_args
from lib.runtime.session import build_session
from lib.synthetic.generator import Settings, current_major
from lib.warehouse.tables import read_table

JOB = "demo"
# Firefox 158 ships on 2026-11-17 in the synthetic train: the window ends four days later.
FIRST_DAY = date(2026, 11, 7)
# The demo's population, which the tests of what the demo shows generate too.
CLIENTS = 20_000
# Crash rates x10: 20,000 simulated clients crash as often as some 200,000 real ones
# would, enough to tell a 1.5x regression on one platform from noise in four days.
RATE_SCALE = 10.0
# Crashes cluster on clients: a gamma crash-proneness of shape 0.5 gives the most
# crash-prone tenth of clients about 45% of the crashes.
PRONENESS_SHAPE = 0.5
REGRESSION = ("Darwin", 0, 1.5)  # the newest major crashes 1.5x as often on Mac, release channel
ANDROID_CLIENTS = 3_000


def population(start: date, days: int, clients: int = CLIENTS) -> Settings:
    """The demo's generated Firefox population (small pings: the benchmark has the realistic bytes)."""
    return Settings(
        start=start,
        days=days,
        clients=clients,
        ping_size="small",
        regression=REGRESSION,
        rate_scale=RATE_SCALE,
        proneness_shape=PRONENESS_SHAPE,
    )


def command(argv: list[str]) -> str:
    parser = job_parser(JOB, __doc__)
    parser.add_argument("--out", type=Path, default=Path("demo"))
    parser.add_argument("--start", type=iso_date, default=FIRST_DAY)
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument("--clients", type=int, default=CLIENTS)
    args = parse_args(parser, argv)
    started = time.monotonic()

    # One extra night after the window with data-collection faults, for the checks to find.
    faulty = args.start + timedelta(days=args.days)
    settings = replace(
        population(args.start, args.days + 1, args.clients),
        faults={"duplicates": frozenset({faulty}), "platform_drop": frozenset({faulty})},
        crash_formats="legacy",
        format_changes=((args.start + timedelta(days=4), "both"), (args.start + timedelta(days=9), "glean")),
        desktop_baseline_from=args.start + timedelta(days=7),
        android_clients=ANDROID_CLIENTS * args.clients // CLIENTS,
    )
    print(f"== 1. generating {args.days} days (and one faulty night) into {args.out}/raw", flush=True)
    totals = generate(settings, args.out, compress=True)

    print(f"== 2. aggregating the {args.days} submission dates in one run into {args.out}/warehouse", flush=True)
    spark = build_session(JOB)
    warehouse = str(args.out / "warehouse")
    nightly = [d for d in settings.dates if d != faulty]
    # One range run: what the nights one by one would write, in one pass (a backfill's way).
    ranged = Config(nightly[0], str(args.out / "raw"), warehouse, str(args.out / "releases"), until=nightly[-1])
    print(run(spark, ranged), flush=True)

    aggregates = read_table(spark, warehouse, "crash_aggregates")
    print("\n   The switch to Glean crash pings, release channel: the counts follow the model", flush=True)
    print(_transition(spark, aggregates, settings, args.out), flush=True)
    print("\n   Firefox desktop's hours from either usage source, on the days both are sent (usage_parity)", flush=True)
    print(_usage_sources(spark, warehouse), flush=True)
    print("\n   Firefox for Android, release channel: crashes per 1,000 hours, from Glean pings alone", flush=True)
    print(_android(aggregates), flush=True)

    last = faulty - timedelta(days=1)
    print(f"\n== 3. the morning verdicts for {last}\n", flush=True)
    print(compare_releases.command(["--date", str(last), "--warehouse", warehouse]), flush=True)
    print(
        f"\nPlanted by the generator: Firefox {current_major(last)} on Mac crashes {REGRESSION[2]:g}x as often"
        " on the release channel; every new release is crashier in its first days; crash rates are"
        f" {RATE_SCALE:g}x Firefox's (see README)."
    )
    print(f"\n== 4. data quality of {last}, and the release-health page", flush=True)
    _alarm_on_failure(lambda: validate_aggregates.run(spark, last, warehouse))
    print(release_health.command(["--date", str(last), "--warehouse", warehouse]), flush=True)
    page = Path(health_folder(warehouse, last)) / HEALTH_PAGE
    print(f"\nOpen the morning page: {page.resolve()}", flush=True)
    print(f"\n== 4b. release day, as the hourly run reads it at {last} 23:00 (always-valid intervals)", flush=True)
    print(release_day.command(["--date", str(last), "--hour", "23", "--warehouse", warehouse,
                               "--releases", str(args.out / "releases")]), flush=True)  # fmt: skip
    print(_release_day(spark, warehouse, last), flush=True)
    print("\n== 5. a faulty night", flush=True)
    _alarm_on_failure(lambda: run(spark, Config(faulty, str(args.out / "raw"), warehouse, str(args.out / "releases"))))
    pings = ", ".join(f"{n:,} {doc_type}" for doc_type, n in totals.items())
    return (
        f"{JOB}: generated {pings} pings over {len(settings.dates)} days, "
        f"aggregated {len(nightly)} nights, checked {last}, wrote its page {page} and stopped the faulty night "
        f"in {time.monotonic() - started:.0f}s"
    )


def _transition(spark: SparkSession, aggregates: DataFrame, settings: Settings, out: Path) -> str:
    """Main crashes of the release channel per stretch of the crash-ping transition (days
    sending legacy, both or Glean crash pings), against what the generator's model expects
    for the same hours and release ages: the ratio stays at 1 whatever format carried them."""
    expected: dict[str, float] = {}
    for day in settings.dates[:-1]:
        truth = json.loads((out / "truth" / f"{day}.json").read_text())
        cells = [c for c in truth["expected_main_crashes"] if c["channel"] == "release"]
        expected[truth["crash_formats"]] = expected.get(truth["crash_formats"], 0.0) + sum(c["expected"] for c in cells)
    stretches = spark.createDataFrame(
        [(day, settings.formats_on(day)) for day in settings.dates], "submission_date date, crash_pings string"
    )
    rows = (
        # The model's expectation is desktop's: Firefox for Android is shown on its own below.
        aggregates.where((F.col("channel") == "release") & (F.col("os") != "Android"))
        .join(stretches, "submission_date")
        .groupBy("crash_pings")
        .agg(
            F.countDistinct("submission_date").alias("days"),
            F.sum("main_crashes").alias("crashes"),
            F.sum("usage_hours").alias("hours"),
        )
        .collect()
    )
    header = (
        f"{'crash pings sent':<18}{'days':>5}{'hours':>10}{'main crashes':>14}{'model expects':>15}"
        f"  ratio [95% Poisson interval]"
    )
    lines = ["   " + header]
    for row in sorted(rows, key=lambda r: ["legacy", "both", "glean"].index(r.crash_pings)):
        model, interval = expected[row.crash_pings], poisson_interval(row.crashes)
        lines.append(
            f"   {row.crash_pings:<18}{row.days:>5}{row.hours:>10,.0f}{row.crashes:>14,}{model:>15,.1f}"
            f"  {row.crashes / model:.2f} [{interval.low / model:.2f}, {interval.high / model:.2f}]"
        )
    return "\n".join(lines)


def _usage_sources(spark: SparkSession, warehouse: str) -> str:
    """Per platform, the hours the legacy main pings and the Glean baseline pings give over
    the days desktop sends both, and the main-crash rate each would make."""
    parity = read_table(spark, warehouse, "usage_parity").where(F.col("baseline_pings") > 0)
    days = [r[0] for r in parity.select("submission_date").distinct().collect()]
    crashes = (
        read_table(spark, warehouse, "crash_aggregates")
        .where(F.col("submission_date").isin(*days))
        .groupBy("os")
        .agg(F.sum("main_crashes").alias("crashes"))
    )
    rows = (
        parity.groupBy("os")
        .agg(
            F.sum("main_usage_hours").alias("main"),
            F.sum("baseline_usage_hours").alias("baseline"),
            F.sum("main_active_hours").alias("main_active"),
            F.sum("baseline_active_hours").alias("baseline_active"),
        )
        .join(crashes, "os")
        .orderBy("os")
        .collect()
    )
    header = f"{'os':<10}{'main pings: hours':>18}{'baseline: hours':>16}{'active h':>10}{'/ active h':>11}"
    header += f"{'main crashes':>14}{'rate (main)':>12}{'rate (baseline)':>16}"
    lines = [f"   {header}"]
    for r in rows:
        lines.append(
            f"   {r.os:<10}{r.main:>18,.0f}{r.baseline:>16,.0f}{r.main_active:>10,.0f}{r.baseline_active:>11,.0f}"
            f"{r.crashes:>14,}{1000 * r.crashes / r.main:>12.2f}{1000 * r.crashes / r.baseline:>16.2f}"
        )
    return "\n".join(lines)


def _android(aggregates: DataFrame) -> str:
    rows = (
        aggregates.where((F.col("os") == "Android") & (F.col("channel") == "release"))
        .groupBy("display_version")
        .agg(
            F.sum("ping_count").alias("pings"),
            F.sum("usage_hours").alias("hours"),
            F.sum("main_crashes").alias("main"),
            F.sum("content_crashes").alias("content"),
        )
        .where(F.col("hours") > 0)
        .orderBy("display_version")
        .collect()
    )
    lines = [f"   {'version':<10}{'pings':>9}{'hours':>10}{'main':>7}{'rate':>7}{'content':>9}{'rate':>7}"]
    for r in rows:
        lines.append(
            f"   {r.display_version:<10}{r.pings:>9,}{r.hours:>10,.0f}{r.main:>7,}{1000 * r.main / r.hours:>7.2f}"
            f"{r.content:>9,}{1000 * r.content / r.hours:>7.2f}"
        )
    return "\n".join(lines)


def _release_day(spark: SparkSession, warehouse: str, last: date) -> str:
    """The last hour's release-day verdicts: main crashes per platform, and when each was established."""
    rows = (
        read_table(spark, warehouse, "release_day_verdicts")
        .where((F.col("submission_date") == F.lit(last)) & (F.col("as_of_hour") == 23))
        .where((F.col("channel") == "release") & (F.col("measure") == "main_crashes"))
        .orderBy("os")
        .collect()
    )
    lines = [f"   {'os':<9}{'newest':>8}{'hours':>7}{'crashes':>9}{'ratio':>7}  always-valid 95%   verdict"]
    for r in rows:
        high = "inf" if r.ratio_high is None else f"{r.ratio_high:.2f}"
        ratio = "n/a" if r.ratio is None else f"{r.ratio:.2f}"
        established = f", established at hour {r.established_hour}" if r.established_hour is not None else ""
        lines.append(
            f"   {r.os:<9}{r.latest_version:>8}{r.hours_since_release:>7}{r.latest_crashes:>9,}{ratio:>7}"
            f"  {r.ratio_low:.2f} to {high:<8}  {r.verdict}{established}"
        )
    return "\n".join(lines)


def _alarm_on_failure(job: Callable[[], str]) -> None:
    """Run a checking job and print its summary; an alarm is printed, not raised: the demo goes on."""
    try:
        print(job(), flush=True)
    except CriticalChecksFailed as failure:
        print(f"ALARM: {failure}", flush=True)


main = main_wrapper(JOB, command)

if __name__ == "__main__":
    raise SystemExit(main())
