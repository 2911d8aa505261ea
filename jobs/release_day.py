"""A release day's verdicts, every hour: is the newest release worse, and since which hour?

**Reads** ``crash_aggregates_hourly`` (the hourly runs' provisional rows, or the
nights' rewrites) up to the end of hour ``--hour`` of ``--date``: per channel, the
newest release against the previous one over the same hours since each first
appeared (from midnight of its date in the calendar, when given), per platform and
measure, through an always-valid interval
(:mod:`lib.analysis.release_day`); looking every hour does not make it lie.

**Writes** that hour's rows of ``release_day_verdicts``; for a regression established
for the first time (per release, platform and measure), a row of
``release_day_alerts`` and an alert file ``<warehouse>/release_day/alerts/<...>.json`` that the hourly
DAG emails to the release managers once; the page ``<out>/index.html`` with its
``summary.json``. ``<out>`` is ``<warehouse>/release_day`` unless given.

    python -m jobs.release_day --date 2026-11-17 --hour 14 --warehouse WH [--releases DIR] [--out DIR]
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from pyspark.sql import DataFrame, SparkSession, Window
from pyspark.sql import functions as F

from lib.analysis.compare import REGRESSION
from lib.analysis.release_day import MEASURES, HourlyRow, ReleaseDay, release_days, why_no_verdict
from lib.contract.deploy import code_version
from lib.contract.layout import release_day_alerts_folder, release_day_folder
from lib.ingest.calendar import read_calendar
from lib.pages.release_day_page import render
from lib.runtime.cli import Progress, hour_of_day, job_parser, main_wrapper, parse_args
from lib.runtime.local_frames import local_frame
from lib.runtime.session import build_session
from lib.warehouse.runs import require_whole
from lib.warehouse.storage import write_text
from lib.warehouse.tables import ensure_table, read_table_if_exists, replace_partition, table_spec

JOB = "release_day"
# The previous release's first hours are at most a release cycle or two back.
LOOK_BACK_DAYS = 70


@dataclass(frozen=True)
class Config:
    day: date
    hour: int
    warehouse: str
    releases: str | None = None
    out: str | None = None

    @property
    def as_of(self) -> datetime:
        return datetime(self.day.year, self.day.month, self.day.day, self.hour, tzinfo=UTC)

    @property
    def folder(self) -> str:
        return release_day_folder(self.warehouse, self.out)


def read_config(argv: list[str]) -> Config:
    parser = job_parser(JOB, __doc__, "date", "warehouse", "releases")
    parser.add_argument(
        "--hour", type=hour_of_day, default=23, help="the last hour (0-23, UTC) of --date to read (default 23)"
    )
    parser.add_argument(
        "--out", help="folder of the page, its summary and the alert files (default <warehouse>/release_day)"
    )
    args = parse_args(parser, argv)
    return Config(args.date, args.hour, args.warehouse, args.releases, args.out)


def hourly_rows(spark: SparkSession, config: Config) -> list[HourlyRow]:
    """The hourly rows up to the as-of hour, summed over batches (a few thousand); for a
    date whose night has run, its rows only."""
    table = read_table_if_exists(spark, config.warehouse, "crash_aggregates_hourly")
    if table is None:
        return []
    first = config.day - timedelta(days=LOOK_BACK_DAYS)
    # A date the night has rewritten counts the night's rows only: an hourly batch that
    # committed after the night's rewrite (a race at midnight) is never added to them.
    night_ran = F.max(F.col("batch_id").isNull().cast("int")).over(Window.partitionBy("submission_date")) == 1
    rows = (
        table.where(F.col("submission_date").between(F.lit(first), F.lit(config.day)))
        .withColumn("_night_ran", night_ran)
        .where(F.col("batch_id").isNull() | ~F.col("_night_ran"))
        .where(F.col("submission_hour").isNotNull())
        .where((F.col("submission_date") < F.lit(config.day)) | (F.col("submission_hour") <= config.hour))
        .groupBy("channel", "display_version", "os", "submission_date", "submission_hour")
        .agg(
            F.sum("usage_hours").alias("usage_hours"),
            *[F.sum(m).alias(m) for m in MEASURES],
            *[F.sum(f"{m}_sq").alias(f"{m}_sq") for m in MEASURES],
        )
    )
    return [
        HourlyRow(
            r.channel,
            r.display_version,
            r.os,
            r.submission_date,
            r.submission_hour,
            float(r.usage_hours),
            {m: int(r[m]) for m in MEASURES},
            {m: int(r[f"{m}_sq"]) for m in MEASURES},
        )
        for r in rows.collect()
    ]


def _finite(value: float | None) -> float | None:
    return None if value is None or math.isinf(value) else value


def to_verdict_rows(spark: SparkSession, config: Config, days: list[ReleaseDay]) -> DataFrame:
    spec = table_spec("release_day_verdicts")
    rows = [
        {
            "submission_date": config.day,
            "as_of_hour": config.hour,
            "channel": d.channel,
            "os": d.os,
            "measure": d.measure,
            "latest_version": d.latest_version,
            "previous_version": d.previous_version,
            "latest_first_hour": d.latest_first_hour,
            "previous_first_hour": d.previous_first_hour,
            "hours_since_release": len(d.looks),
            "latest_crashes": d.now.latest_crashes,
            "latest_hours": d.now.latest_hours,
            "previous_crashes": d.now.previous_crashes,
            "previous_hours": d.now.previous_hours,
            "ratio": _finite(d.now.ratio),
            "ratio_low": d.now.low,
            "ratio_high": _finite(d.now.high),
            "dispersion": d.now.dispersion,
            "verdict": d.verdict,
            "established_hour": d.established_hour,
        }
        for d in days
    ]
    return local_frame(spark, [tuple(r[c.name] for c in spec.columns) for r in rows], spec.schema)


def _alert_key(d: ReleaseDay) -> tuple[str, str, str, str]:
    return (d.channel, d.os, d.measure, d.latest_version)


def alert_file_name(d: ReleaseDay) -> str:
    return "-".join((d.channel, d.latest_version, d.os, d.measure)).replace(" ", "_") + ".json"


def new_findings(spark: SparkSession, config: Config, days: list[ReleaseDay]) -> list[ReleaseDay]:
    """The regressions established now that no earlier hour had alerted."""
    established = [d for d in days if d.verdict == REGRESSION]
    alerts = read_table_if_exists(spark, config.warehouse, "release_day_alerts")
    if not established or alerts is None:
        return established
    sent = {tuple(r) for r in alerts.select("channel", "os", "measure", "latest_version").collect()}
    return [d for d in established if _alert_key(d) not in sent]


def _alert(config: Config, d: ReleaseDay) -> dict:
    now = d.now
    return {
        "channel": d.channel,
        "os": d.os,
        "measure": d.measure,
        "latest_version": d.latest_version,
        "previous_version": d.previous_version,
        "as_of": config.as_of.strftime("%Y-%m-%d %H:00 UTC"),
        "established_hour": d.established_hour,
        "latest": f"{now.latest_crashes:,} crashes in {now.latest_hours:,.0f} hours",
        "previous": f"{now.previous_crashes:,} crashes in {now.previous_hours:,.0f} hours",
        "ratio": _finite(now.ratio),
        "interval": [now.low, _finite(now.high)],
        "page": f"{config.folder}/index.html",
    }


def run(spark: SparkSession, config: Config, progress: Progress | None = None) -> str:
    progress = progress or Progress(JOB, f"{config.day} {config.hour:02d}:00")
    # Its own date only: the look-back's earlier dates are read from one table, whole in itself.
    require_whole(spark, config.warehouse, [config.day])
    calendar = read_calendar(spark, config.releases)
    rows = hourly_rows(spark, config)
    days = release_days(rows, config.as_of, calendar.dates)
    info = {"job": JOB, "as_of": config.as_of.isoformat(), "code_version": code_version()}
    verdicts = to_verdict_rows(spark, config, days)
    replace_partition(
        spark, config.warehouse, table_spec("release_day_verdicts"), verdicts, config.day, info,
        scope={"as_of_hour": str(config.hour)},
    )  # fmt: skip
    found = new_findings(spark, config, days)
    # The alert file first: a run that dies before the row below writes it again next hour.
    for d in found:
        alert = json.dumps(_alert(config, d), indent=2)
        write_text(spark, f"{release_day_alerts_folder(config.warehouse)}/{alert_file_name(d)}", alert)
        progress(
            f"regression established: {d.channel} {d.latest_version} {d.os} {d.measure} at hour {d.established_hour}"
        )
    if found:
        keys = {_alert_key(d) for d in found}
        alerted = verdicts.where(
            F.struct("channel", "os", "measure", "latest_version").isin(*[F.struct(*map(F.lit, k)) for k in keys])
        )
        spec = table_spec("release_day_alerts")
        path = ensure_table(spark, config.warehouse, spec)
        alerted.select(*spec.column_names).write.format("delta").mode("append").option(
            "userMetadata", json.dumps(info)
        ).save(path)
    regressions = [f"{d.channel} {d.latest_version} {d.os} {d.measure}" for d in days if d.verdict == REGRESSION]
    summary = {
        "as_of": config.as_of.isoformat(),
        "verdicts": len(days),
        "regressions": regressions,
        "new_alerts": [alert_file_name(d) for d in found],
    }
    why_empty = why_no_verdict(rows, config.day, config.hour)
    write_text(spark, f"{config.folder}/index.html", render(config.as_of, days, why_empty))
    write_text(spark, f"{config.folder}/summary.json", json.dumps(summary, indent=2))
    compared = sorted({f"{d.channel} {d.latest_version} vs {d.previous_version} ({len(d.looks)} h)" for d in days})
    return (
        f"{JOB} {config.day} {config.hour:02d}:00: {len(days)} verdicts"
        + (f" ({'; '.join(compared)})" if compared else f" ({why_empty})")
        + f"; {len(regressions)} regression(s), {len(found)} new alert(s); {progress.elapsed:.1f}s"
    )


def command(argv: list[str]) -> str:
    config = read_config(argv)  # a bad argument fails before Spark starts
    return run(build_session(JOB), config)


main = main_wrapper(JOB, command)

if __name__ == "__main__":
    raise SystemExit(main())
