"""The release-health page's numbers: per channel and platform, what the morning page shows.

Read from the warehouse's tables up to the night (never later: a page re-made for
last March shows what last March's page showed), and brought to the driver as
plain records, because a page shows hundreds of numbers, not millions:

* crash rates per 1,000 usage hours against release age, for the newest release and
  the two before it (the releases :func:`lib.analysis.compare.compare_releases`
  orders), main and content crashes, each day's 95% interval cluster-robust where
  ``crash_client_sums`` covers it, exact Poisson elsewhere;
* the share of active clients who did not crash, per day against release age, with
  Wilson intervals, from ``client_counts``' estimates (nightly builds share a version,
  so there the series is per version, aged from its first build);
* adoption: each release's share of the platform's usage hours per day;
* the night's rows of ``release_comparisons``;
* the top crash reasons of the newest release against the previous one over the
  release ages compared (``crash_reasons``; nightly's builds told apart by their dates);
* the signatures that drove each verdict (``signature_comparisons``), with their links;
* the night's data-quality checks that failed or warned (``dq_results``).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from lib.analysis.compare import USAGE, AgeRow, rows_by_release_age, sums_over
from lib.analysis.reason_comparisons import ANY_PROCESS, crashes_by_reason, reason_label
from lib.analysis.release_comparisons import CLIENTS, MEASURES
from lib.analysis.stats import rate_interval, rate_per_1000, robust_rate_interval, wilson_interval
from lib.warehouse.tables import read_table, read_table_if_exists

CHART_RELEASES = 3
ADOPTION_DAYS = 28
TOP_REASONS = 8
# Charts show the newest release's ages and a week beyond (at least two weeks): the
# older releases' later life is not what the morning compares.
AGES_BEYOND_NEWEST, MIN_AGES_SHOWN = 7, 14
RATE_MEASURES = {"main_crashes": "main process", "content_crashes": "content processes"}
PANELS = list(RATE_MEASURES.values())


@dataclass(frozen=True)
class Release:
    version: str
    released: date
    label: str


@dataclass
class PlatformHealth:
    os: str
    rates: list[dict] = field(default_factory=list)  # release, panel, age, crashes, hours, value, low, high
    crash_free: list[dict] = field(default_factory=list)  # release, age, active, crashing, value, low, high
    adoption: list[dict] = field(default_factory=list)  # day, release, hours
    verdicts: list[dict] = field(default_factory=list)  # release_comparisons rows
    reasons: list[dict] = field(default_factory=list)  # reason, latest, latest_share, previous, previous_share
    drivers: list[dict] = field(default_factory=list)  # reason_comparisons rows: what drove each verdict
    # The same crash verdicts per 1,000 hours of the other denominator (active or usage hours).
    other_verdicts: list[dict] = field(default_factory=list)
    signatures: list[dict] = field(default_factory=list)  # signature_comparisons rows: the same, by signature


@dataclass
class ChannelHealth:
    channel: str
    releases: list[Release]  # newest first
    platforms: list[PlatformHealth]

    @property
    def crash_free_releases(self) -> list[str]:
        return list(dict.fromkeys(r.version for r in self.releases))


@dataclass
class NightHealth:
    night: date
    channels: list[ChannelHealth]
    checks: list[dict]  # the night's dq_results rows that failed or warned
    has_comparisons: bool
    suites_checked: tuple[str, ...] = ("raw", "aggregates")  # the suites with results for the night
    has_night_data: bool = True  # crash_aggregates has rows of the night itself (else the page is stale)
    last_data_night: date | None = None


def _newest_releases(rows: list[AgeRow]) -> dict[str, list[Release]]:
    """Per channel, the newest releases with usage, newest first, labelled; nightly
    builds share a version, so where versions repeat the build date tells them apart."""
    found: dict[str, set[tuple[date, str]]] = defaultdict(set)
    for r in rows:
        found[r.channel].add((r.release_date, r.display_version))
    newest = {}
    for channel, releases in found.items():
        chosen = sorted(releases)[-CHART_RELEASES:][::-1]
        repeated = len({v for _, v in chosen}) < len(chosen)
        newest[channel] = [Release(v, d, f"{v} {d:%m-%d}" if repeated else v) for d, v in chosen]
    return newest


def _last_age_shown(releases: list[Release], night: date) -> int:
    return max((night - releases[0].released).days + AGES_BEYOND_NEWEST, MIN_AGES_SHOWN - 1)


def _rate_points(rows: list[AgeRow], releases: list[Release], panel: str, last_age: int) -> dict[str, list[dict]]:
    """Per platform, each release's crashes per 1,000 hours per release age, with its interval."""
    labels = {(r.version, r.released): r.label for r in releases}
    points: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        label = labels.get((r.display_version, r.release_date))
        if label is None or not r.hours or r.release_age_days > last_age:
            continue
        sums = sums_over({r.release_age_days: r}, [r.release_age_days])
        interval = robust_rate_interval(sums) if sums else rate_interval(int(r.crashes), float(r.hours))
        points[r.os].append(
            {
                "release": label,
                "panel": panel,
                "age": r.release_age_days,
                "crashes": int(r.crashes),
                "hours": float(r.hours),
                "value": rate_per_1000(int(r.crashes), float(r.hours)),
                "low": interval.low if interval else None,
                "high": interval.high if interval else None,
            }
        )
    return points


def _crash_free_points(
    counts: DataFrame, channel: str, first_builds: dict[str, date], night: date, last_age: int
) -> dict:
    rows = (
        counts.where(
            (F.col("channel") == channel)
            & F.col("display_version").isin(*first_builds)
            & (F.col("submission_date") <= F.lit(night))
        )
        .select("submission_date", "display_version", "os", "active_clients", "crashing_clients")
        .collect()
    )
    points: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        age = (r.submission_date - first_builds[r.display_version]).days
        if age < 0 or age > last_age or not r.active_clients:
            continue
        crashed = wilson_interval(min(r.crashing_clients, r.active_clients), r.active_clients)
        points[r.os].append(
            {
                "release": r.display_version,
                "age": age,
                "active": int(r.active_clients),
                "crashing": int(r.crashing_clients),
                "value": 1 - min(r.crashing_clients / r.active_clients, 1.0),
                "low": 1 - crashed.high,
                "high": 1 - crashed.low,
            }
        )
    return points


def _adoption_points(aggregates: DataFrame, channel: str, versions: list[str], night: date) -> dict:
    """Usage hours per day and release (versions outside the chart's as ``other``)."""
    release = F.when(F.col("display_version").isin(*versions), F.col("display_version")).otherwise(F.lit("other"))
    rows = (
        aggregates.where(
            (F.col("channel") == channel)
            & F.col("submission_date").between(F.lit(night - timedelta(days=ADOPTION_DAYS - 1)), F.lit(night))
        )
        .groupBy("submission_date", "os", release.alias("release"))
        .agg(F.sum("usage_hours").alias("hours"))
        .collect()
    )
    points: dict[str, list[dict]] = defaultdict(list)
    for r in sorted(rows, key=lambda r: (r.submission_date, r.release)):
        points[r.os].append({"day": r.submission_date.isoformat(), "release": r.release, "hours": float(r.hours)})
    return points


def _reasons(reasons: DataFrame, verdicts: list[dict], released: dict[tuple[str, str], date]) -> dict:
    """Per platform, the newest release's top crash reasons over the days compared, beside
    the previous release's count of the same reason over its same release ages."""
    # The main-crash verdict names the releases and ages; the table shows every process's reasons.
    by_key = crashes_by_reason(reasons, verdicts, released, reason_label(), {"main_crashes": ANY_PROCESS})
    counts = {os_name: by_side for (_, os_name, _), by_side in by_key.items()}
    table: dict[str, list[dict]] = {}
    for os_name, by_side in counts.items():
        latest, previous = by_side.get("latest", {}), by_side.get("previous", {})
        total_latest, total_previous = sum(latest.values()), sum(previous.values())
        top = sorted(latest, key=lambda reason: (-latest[reason], reason))[:TOP_REASONS]
        table[os_name] = [
            {
                "reason": reason,
                "latest": latest[reason],
                "latest_share": latest[reason] / total_latest if total_latest else None,
                "previous": previous.get(reason, 0),
                "previous_share": previous.get(reason, 0) / total_previous if total_previous else None,
            }
            for reason in top
        ]
    return table


def _denominator_of(verdict: dict) -> str:
    """Rows written before release_comparisons' schema version 2 have none: per usage hour."""
    return verdict.get("denominator") or "usage"


def _night_rows(spark: SparkSession, warehouse: str, name: str, night: date) -> list[dict]:
    """The night's rows of table ``name`` as plain records; none where the table is not there yet."""
    table = read_table_if_exists(spark, warehouse, name)
    return [r.asDict() for r in table.where(F.col("submission_date") == F.lit(night)).collect()] if table else []


def night_health(
    spark: SparkSession, warehouse: str, night: date, channels: tuple[str, ...], denominator: str = "usage"
) -> NightHealth:
    """Everything the page shows for ``night``, for ``channels`` (in the order given); its
    verdicts are rates per ``denominator`` hour, the other denominator's kept beside them."""
    aggregates = read_table(spark, warehouse, "crash_aggregates").where(F.col("channel").isin(*channels))
    sums = read_table_if_exists(spark, warehouse, "crash_client_sums")
    by_age = rows_by_release_age(aggregates, night, [(m, USAGE) for m in RATE_MEASURES], sums)
    by_measure = {m: by_age[(m, USAGE.name)] for m in RATE_MEASURES}
    newest = _newest_releases(by_measure["main_crashes"])
    comparisons = read_table_if_exists(spark, warehouse, "release_comparisons")
    every_verdict = (
        [r.asDict() for r in comparisons.where(F.col("submission_date") == F.lit(night)).collect()]
        if comparisons is not None
        else []
    )
    shown = (denominator, CLIENTS)
    verdict_rows = [v for v in every_verdict if _denominator_of(v) in shown]
    other_rows = [v for v in every_verdict if _denominator_of(v) not in shown]
    counts = read_table_if_exists(spark, warehouse, "client_counts")
    reasons = read_table_if_exists(spark, warehouse, "crash_reasons")
    driver_rows = _night_rows(spark, warehouse, "reason_comparisons", night)
    signature_rows = _night_rows(spark, warehouse, "signature_comparisons", night)
    first_release: dict[tuple[str, str], date] = {}
    for r in by_measure["main_crashes"]:
        key = (r.channel, r.display_version)
        first_release[key] = min(first_release.get(key, r.release_date), r.release_date)

    result = []
    for channel in channels:
        releases = newest.get(channel, [])
        if not releases:
            continue
        last_age = _last_age_shown(releases, night)
        rates: dict[str, list[dict]] = defaultdict(list)
        for measure, panel in RATE_MEASURES.items():
            rows = [r for r in by_measure[measure] if r.channel == channel]
            for os_name, points in _rate_points(rows, releases, panel, last_age).items():
                rates[os_name] += points
        versions = list(dict.fromkeys(r.version for r in releases))
        first_builds = {v: first_release[(channel, v)] for v in versions}
        crash_free = _crash_free_points(counts, channel, first_builds, night, last_age) if counts is not None else {}
        adoption = _adoption_points(aggregates, channel, versions, night)
        verdicts = [v for v in verdict_rows if v["channel"] == channel]
        top = _reasons(reasons, verdicts, first_release) if reasons is not None else {}
        platforms = [
            PlatformHealth(
                os_name,
                sorted(rates[os_name], key=lambda p: (PANELS.index(p["panel"]), p["release"], p["age"])),
                sorted(crash_free.get(os_name, []), key=lambda p: (p["release"], p["age"])),
                adoption.get(os_name, []),
                sorted((v for v in verdicts if v["os"] == os_name), key=lambda v: MEASURES.index(v["measure"])),
                top.get(os_name, []),
                [d for d in driver_rows if (d["channel"], d["os"]) == (channel, os_name)],
                [v for v in other_rows if (v["channel"], v["os"]) == (channel, os_name)],
                [d for d in signature_rows if (d["channel"], d["os"]) == (channel, os_name)],
            )
            for os_name in sorted(rates)
        ]
        result.append(ChannelHealth(channel, releases, platforms))
    dq = read_table_if_exists(spark, warehouse, "dq_results")
    tonight = dq.where(F.col("submission_date") == F.lit(night)) if dq is not None else None
    checks = [r.asDict() for r in tonight.where(~F.col("success")).collect()] if tonight is not None else []
    suites = tuple(sorted(r.suite for r in tonight.select("suite").distinct().collect())) if tonight is not None else ()
    last = aggregates.where(F.col("submission_date") <= F.lit(night)).agg(F.max("submission_date")).first()
    last_night = last[0] if last is not None else None
    return NightHealth(night, result, checks, comparisons is not None, suites, last_night == night, last_night)
