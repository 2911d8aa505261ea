"""The morning question: is the newest release crashier than the one before, at the same age?

A release is a (channel, display_version, release_date): a major or point release,
a beta, or one day's nightly build. Per channel, the newest release with usage is
compared with the one released before it, both restricted to the release ages
(days since release) that both have in the data, so a new release in its crashy
first days is not set against an old one in its quiet middle age. Per platform,
so Windows volume does not hide Mac or Linux, and always with the raw counts and
95% intervals beside the rates.

The intervals are cluster-robust (``crash_client_sums``: a few clients crashing again
and again widen them, as they should) wherever the per-client sums cover every day
compared, for main and content crashes; elsewhere they are exact Poisson, and the
report names which.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources
from typing import NamedTuple

import yaml
from pyspark.sql import Column, DataFrame, Row
from pyspark.sql import functions as F

from lib.analysis.stats import (
    POISSON,
    ROBUST,
    ClientSums,
    Interval,
    rate_interval,
    rate_per_1000,
    rate_ratio_interval,
    robust_rate_interval,
    robust_ratio_interval,
)
from lib.contract.vocabulary import REPORTED_CHANNELS
from lib.transform.aggregate import DIMENSIONS, ROBUST_MEASURES

REGRESSION, IMPROVEMENT, NO_CLEAR_CHANGE, NOT_ENOUGH_DATA = (
    "regression",
    "improvement",
    "no clear change",
    "not enough data",
)


@dataclass(frozen=True)
class Thresholds:
    """``schemas/verdicts.yaml``: when a change is news, and when a sample is too thin."""

    materiality: float
    min_crashes: int
    min_hours: float
    min_clients: int


@cache
def thresholds() -> Thresholds:
    return Thresholds(**yaml.safe_load(resources.files("schemas").joinpath("verdicts.yaml").read_text()))


def verdict(interval: Interval | None, enough: bool, materiality: float) -> str:
    """``regression`` only when the ratio's lower bound exceeds ``materiality`` (a 2% change
    is not news even when certain), ``improvement`` symmetrically, both only with enough
    exposure on both sides."""
    if not enough or interval is None:
        return NOT_ENOUGH_DATA
    if interval.low > materiality:
        return REGRESSION
    if interval.high < 1 / materiality:
        return IMPROVEMENT
    return NO_CLEAR_CHANGE


@dataclass(frozen=True)
class Side:
    display_version: str
    release_date: date
    crashes: int
    hours: float
    # The per-client sums over the same rows; None where some row has none (see module doc).
    sums: ClientSums | None = None

    @property
    def rate(self) -> float | None:
        return rate_per_1000(self.crashes, self.hours)

    @property
    def interval(self) -> Interval | None:
        return robust_rate_interval(self.sums) if self.sums else rate_interval(self.crashes, self.hours)

    @property
    def method(self) -> str:
        return ROBUST if self.sums else POISSON

    @property
    def small(self) -> bool:
        limits = thresholds()
        return self.crashes < limits.min_crashes or self.hours < limits.min_hours


@dataclass(frozen=True)
class Comparison:
    channel: str
    os: str
    ages: tuple[int, int] | None
    latest: Side
    previous: Side | None

    @property
    def ratio(self) -> float | None:
        if self.previous is None or not self.previous.rate or self.latest.rate is None:
            return None
        return self.latest.rate / self.previous.rate

    @property
    def method(self) -> str:
        robust = self.latest.sums and (self.previous is None or self.previous.sums)
        return ROBUST if robust else POISSON

    @property
    def ratio_interval(self) -> Interval | None:
        if self.previous is None:
            return None
        latest, p = self.latest, self.previous
        if latest.sums and p.sums:
            return robust_ratio_interval(latest.sums, p.sums)
        return rate_ratio_interval(latest.crashes, latest.hours, p.crashes, p.hours)

    @property
    def verdict(self) -> str:
        """See :func:`verdict`; no earlier release at the same ages is not enough data."""
        enough = self.previous is not None and not (self.latest.small or self.previous.small)
        return verdict(self.ratio_interval, enough, thresholds().materiality)


SUMS = ("clients", "hours_sq", "crashes_sq", "crashes_hours")


@dataclass(frozen=True)
class Denominator:
    """The hours a rate divides by: the column of crash_aggregates, and the names of its
    sums in crash_client_sums (the square, and a measure's product with it)."""

    name: str
    hours: str
    hours_sq: str
    product_suffix: str

    def product(self, measure: str) -> str:
        return f"{measure}{self.product_suffix}"


# Usage hours (session time, the default) or active hours (time with keyboard or mouse input).
DENOMINATORS = {
    "usage": Denominator("usage", "usage_hours", "hours_sq", "_hours"),
    "active": Denominator("active", "active_hours", "active_hours_sq", "_active_hours"),
}
USAGE = DENOMINATORS["usage"]


class AgeRow(NamedTuple):
    """One row of :func:`rows_by_release_age` (a Spark ``Row`` of these fields reads alike):
    crashes and hours of one (channel, os, release, release age), and their client sums
    where every row under it had them."""

    channel: str
    os: str
    display_version: str
    release_date: date
    release_age_days: int
    crashes: int
    hours: float
    clients: int | None = None
    hours_sq: float | None = None
    crashes_sq: float | None = None
    crashes_hours: float | None = None
    rows_without_sums: int = 1


ByAge = dict[int, AgeRow | Row]  # one release's rows of one channel and platform, by release age


def rows_by_release_age(
    aggregates: DataFrame,
    as_of: date,
    pairs: Sequence[tuple[str, Denominator]],
    client_sums: DataFrame | None = None,
) -> dict[tuple[str, str], list[AgeRow]]:
    """Crashes and hours per (channel, os, release, release age) up to ``as_of``, for each
    (measure, denominator) of ``pairs``, keyed by (measure, denominator name); with
    ``client_sums`` (table ``crash_client_sums``) and a measure it covers, their sums too,
    and ``rows_without_sums`` (rows written before that table, or without a client, or
    before the denominator's sums were kept).

    One query for every pair: a night compares main and content crashes per usage and
    per active hour, and each query of its own was a join, a shuffle and a Spark job."""
    rows = aggregates.where(
        (F.col("submission_date") <= F.lit(as_of))
        & F.col("channel").isin(*REPORTED_CHANNELS)
        & (F.col("release_age_days") >= 0)
    )
    if not any(m in ROBUST_MEASURES for m, _ in pairs):
        client_sums = None  # no measure asked for has them
    if client_sums is not None:
        needed = {"clients"} | {
            c for m, d in pairs if m in ROBUST_MEASURES for c in (d.hours_sq, f"{m}_sq", d.product(m))
        }
        rows = rows.join(client_sums.select(*DIMENSIONS, *sorted(needed)), list(DIMENSIONS), "left")

    with_sums = [client_sums is not None and m in ROBUST_MEASURES for m, _ in pairs]
    columns = []
    for n, (measure, denominator) in enumerate(pairs):
        # Rows written before the denominator's hours were kept would add crashes without hours.
        counted = F.lit(True) if denominator == USAGE else F.col(denominator.hours).isNotNull()
        columns += [
            F.count_if(counted).alias(f"rows_{n}"),
            _sum_where(counted, measure).alias(f"crashes_{n}"),
            _sum_where(counted, denominator.hours).alias(f"hours_{n}"),
        ]
        if with_sums[n]:
            uncovered = F.col("clients").isNull() | F.col(denominator.hours_sq).isNull()
            columns += [
                _sum_where(counted, "clients").alias(f"clients_{n}"),
                _sum_where(counted, denominator.hours_sq).alias(f"hours_sq_{n}"),
                _sum_where(counted, f"{measure}_sq").alias(f"crashes_sq_{n}"),
                _sum_where(counted, denominator.product(measure)).alias(f"crashes_hours_{n}"),
                F.count_if(counted & uncovered).alias(f"rows_without_sums_{n}"),
            ]
    keys = ("channel", "os", "display_version", "release_date", "release_age_days")
    grouped = rows.groupBy(*keys).agg(*columns).collect()  # thousands of rows at most

    result: dict[tuple[str, str], list[AgeRow]] = {}
    for n, (measure, denominator) in enumerate(pairs):
        # Without sums, AgeRow's defaults: none, and every row without them.
        sums = (*SUMS, "rows_without_sums") if with_sums[n] else ()
        result[(measure, denominator.name)] = [
            AgeRow(
                **{k: r[k] for k in keys},
                crashes=r[f"crashes_{n}"],
                hours=r[f"hours_{n}"],
                **{c: r[f"{c}_{n}"] for c in sums},
            )
            for r in grouped
            if r[f"rows_{n}"]  # a (release, age) with none of this denominator's rows has no row for it
        ]
    return result


def _sum_where(counted: Column, column: str) -> Column:
    return F.sum(F.when(counted, F.col(column)))


def sums_over(by_age: dict, ages: list[int]) -> ClientSums | None:
    """The client sums over the ages compared, or None unless every one of them has them."""
    rows = [by_age[a] for a in ages if a in by_age]
    if not rows or any(r.rows_without_sums for r in rows):
        return None
    total = ClientSums(0, 0.0, 0.0, 0.0, 0.0, 0)
    for r in rows:
        total += ClientSums(int(r.crashes), float(r.hours), r.crashes_sq, r.crashes_hours, r.hours_sq, r.clients)
    return total


def compare_releases(
    aggregates: DataFrame,
    as_of: date,
    measure: str = "main_crashes",
    client_sums: DataFrame | None = None,
    denominator: Denominator = USAGE,
) -> list[Comparison]:
    """One :class:`Comparison` per channel and platform (see the module docstring), rates
    per 1,000 hours of ``denominator``."""
    rows = rows_by_release_age(aggregates, as_of, [(measure, denominator)], client_sums)
    return comparisons_of(rows[(measure, denominator.name)])


def comparisons_of(rows: Iterable[AgeRow | Row]) -> list[Comparison]:
    """The comparisons of :func:`compare_releases` from its rows by release age: the newest
    release of each channel (by usage) against the previous one, per platform, over the
    ages both have. Pure: the verdict rules are tested on Python values."""
    cells: dict[tuple[str, str], dict[tuple[str, date], dict[int, AgeRow | Row]]] = defaultdict(
        lambda: defaultdict(dict)
    )
    releases: dict[str, set[tuple[date, str]]] = defaultdict(set)
    for r in rows:
        cells[(r.channel, r.os)][(r.display_version, r.release_date)][r.release_age_days] = r
        if r.hours > 0:  # a release is chosen by its usage, never by a stray crash ping alone
            releases[r.channel].add((r.release_date, r.display_version))

    comparisons = []
    for channel in REPORTED_CHANNELS:
        ordered = sorted(releases[channel])
        if not ordered:
            continue
        latest_date, latest_version = ordered[-1]
        previous = ordered[-2] if len(ordered) > 1 else None
        for os_name in sorted({os_name for (ch, os_name) in cells if ch == channel}):
            by_release = cells[(channel, os_name)]
            latest_ages = by_release.get((latest_version, latest_date), {})
            if not latest_ages:
                continue
            previous_ages = by_release.get((previous[1], previous[0]), {}) if previous else {}
            common = sorted(set(latest_ages) & set(previous_ages))
            ages = common or sorted(latest_ages)

            def side(version: str, released: date, by_age: ByAge, ages: list[int] = ages) -> Side:
                crashes = sum(by_age[a].crashes for a in ages if a in by_age)
                hours = sum(by_age[a].hours for a in ages if a in by_age)
                return Side(version, released, int(crashes), float(hours), sums_over(by_age, ages))

            comparisons.append(
                Comparison(
                    channel,
                    os_name,
                    (ages[0], ages[-1]),
                    side(latest_version, latest_date, latest_ages),
                    side(previous[1], previous[0], previous_ages) if previous and common else None,
                )
            )
    return comparisons


def _rate_text(side: Side) -> str:
    interval = side.interval
    if side.rate is None or interval is None:
        return "no usage"
    mark = " (small sample)" if side.small else ""
    return f"{side.rate:5.2f} [{interval.low:.2f}, {interval.high:.2f}]{mark}"


def _side_text(side: Side, label: str) -> str:
    return f"{label:16} {side.crashes:8,} {side.hours:10,.0f}  {_rate_text(side):36}"


def _labels(c: Comparison) -> tuple[str, str]:
    """Release names; nightlies share a version, so their build dates tell them apart."""
    latest, previous = c.latest, c.previous
    if previous is None or previous.display_version != latest.display_version:
        return latest.display_version, previous.display_version if previous else "-"
    return (
        f"{latest.display_version} {latest.release_date:%m-%d}",
        f"{previous.display_version} {previous.release_date:%m-%d}",
    )


def format_report(
    comparisons: list[Comparison], as_of: date, measure: str = "main_crashes", denominator: Denominator = USAGE
) -> str:
    """A plain-text table a release manager reads in a minute."""
    lines = [
        f"{measure.replace('_', ' ')} per 1,000 {denominator.name} hours, newest release against the previous one "
        f"at the same release ages, as of {as_of} (95% intervals; raw counts beside every rate)",
        "",
    ]
    side = f"{'crashes':>8} {'hours':>10}  {'rate [95% CI]':36}"
    header = (
        f"{'channel':8} {'os':8} {'ages':6} {'release':16} {side} {'previous':16} {side} {'ratio [95% CI]':22} verdict"
    )
    lines += [header, "-" * len(header)]
    for c in comparisons:
        ages = f"{c.ages[0]}-{c.ages[1]}" if c.ages else ""
        latest_label, previous_label = _labels(c)
        latest = _side_text(c.latest, latest_label)
        earlier = _side_text(c.previous, previous_label) if c.previous else f"{'-':16} {'':8} {'':10}  {'':36}"
        interval = c.ratio_interval
        ratio = f"{c.ratio:.2f} [{interval.low:.2f}, {interval.high:.2f}]" if c.ratio and interval else "-"
        lines.append(f"{c.channel:8} {c.os:8} {ages:6} {latest} {earlier} {ratio:22} {c.verdict}")
    methods = sorted({c.method for c in comparisons})
    limits = thresholds()
    lines += [
        "",
        f"A rate on fewer than {limits.min_crashes} crashes or {limits.min_hours:,.0f} hours is marked small "
        f"and gets no verdict; a regression needs the ratio's lower bound above {limits.materiality:g} "
        "(schemas/verdicts.yaml).",
        f"Intervals: {' and '.join(methods) or 'none'}.",
    ]
    return "\n".join(lines)
