"""The night's verdicts as rows of ``release_comparisons``: per channel, platform and measure,
the newest release against the previous one at the same release ages.

``main_crashes`` and ``content_crashes`` come from :func:`lib.analysis.compare.compare_releases`
(rates per 1,000 hours, cluster-robust where ``crash_client_sums`` covers the rows).
``crash_incidence`` is the share of active clients who crashed, over the same releases
and ages, from the HyperLogLog sketches of ``client_counts`` (``hll_union_agg``: a client
seen on several days is one client): a Wilson interval per side, and Katz's log interval
for the ratio of the two shares. Each row carries both sides' raw counts, hours and
clients, both rates with intervals, the ratio with its interval, the method and the
verdict (:func:`lib.analysis.compare.verdict`, thresholds in ``schemas/verdicts.yaml``).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import partial

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from lib.analysis.compare import (
    NOT_ENOUGH_DATA,
    USAGE,
    Comparison,
    Denominator,
    Side,
    comparisons_of,
    rows_by_release_age,
    thresholds,
    verdict,
)
from lib.analysis.stats import Z95, Interval, OutOfDomain, clamped_share, wilson_interval
from lib.runtime.local_frames import local_frame

log = logging.getLogger("crash_rates.compare_releases")

MEASURES = ("main_crashes", "content_crashes", "crash_incidence")
CLIENTS = "clients"  # crash incidence's denominator: active clients, not hours
INCIDENCE_METHOD = "Wilson per side; ratio: Katz log (clients from HyperLogLog estimates)"
COLUMNS = (
    "submission_date date, channel string, os string, measure string, denominator string, latest_version string, "
    "previous_version string, latest_release_date date, previous_release_date date, age_from int, age_to int, "
    "latest_crashes bigint, latest_hours double, latest_clients bigint, "
    "previous_crashes bigint, previous_hours double, previous_clients bigint, "
    "latest_rate double, latest_low double, latest_high double, previous_rate double, previous_low double, "
    "previous_high double, ratio double, ratio_low double, ratio_high double, method string, verdict string, "
    "note string"
)


@dataclass(frozen=True)
class Clients:
    active: int
    crashing: int


def _side_key(c: Comparison, side: Side) -> tuple[str, str, str, date, date]:
    ages = c.ages or (0, 0)
    return (
        c.channel,
        c.os,
        side.display_version,
        side.release_date + timedelta(days=ages[0]),
        side.release_date + timedelta(days=ages[1]),
    )


def clients_of(spark: SparkSession, client_counts: DataFrame, comparisons: list[Comparison]) -> dict[tuple, Clients]:
    """Distinct active and crashing clients of each side compared, over its days."""
    keys = {_side_key(c, s) for c in comparisons for s in (c.latest, c.previous) if s is not None}
    if not keys:
        return {}
    wanted = local_frame(
        spark, keys, "channel string, os string, display_version string, first_day date, last_day date"
    )
    joined = client_counts.join(F.broadcast(wanted), ["channel", "os", "display_version"]).where(
        F.col("submission_date").between(F.col("first_day"), F.col("last_day"))
    )
    rows = (
        joined.groupBy("channel", "os", "display_version", "first_day", "last_day")
        .agg(
            F.coalesce(F.hll_sketch_estimate(F.hll_union_agg("active_clients_sketch")), F.lit(0)).alias("active"),
            F.coalesce(F.hll_sketch_estimate(F.hll_union_agg("crashing_clients_sketch")), F.lit(0)).alias("crashing"),
        )
        .collect()
    )
    return {(r.channel, r.os, r.display_version, r.first_day, r.last_day): Clients(r.active, r.crashing) for r in rows}


def katz_ratio_interval(a: Clients, b: Clients, z: float = Z95) -> Interval | None:
    """Interval for (a.crashing / a.active) / (b.crashing / b.active), two independent groups."""
    if min(a.crashing, b.crashing) <= 0 or min(a.active, b.active) <= 0:
        return None
    ratio = (a.crashing / a.active) / (b.crashing / b.active)
    spread = z * math.sqrt(max(1 / a.crashing - 1 / a.active + 1 / b.crashing - 1 / b.active, 0.0))
    return Interval(ratio * math.exp(-spread), ratio * math.exp(spread))


def _bounds(interval: Interval | None) -> tuple[float | None, float | None]:
    return (interval.low, interval.high) if interval else (None, None)


def _crash_row(
    night: date, measure: str, c: Comparison, clients: dict[tuple, Clients], denominator: str = USAGE.name
) -> dict:
    latest, previous = c.latest, c.previous
    row = {
        "submission_date": night,
        "channel": c.channel,
        "os": c.os,
        "measure": measure,
        "denominator": denominator,
        "latest_version": latest.display_version,
        "previous_version": previous.display_version if previous else None,
        "latest_release_date": latest.release_date,
        "previous_release_date": previous.release_date if previous else None,
        "age_from": c.ages[0] if c.ages else None,
        "age_to": c.ages[1] if c.ages else None,
        "method": c.method,
        "verdict": c.verdict,
        "note": None,
    }
    for name, side in (("latest", latest), ("previous", previous)):
        who = clients.get(_side_key(c, side)) if side else None
        low, high = _bounds(side.interval if side else None)
        row |= {
            f"{name}_crashes": side.crashes if side else None,
            f"{name}_hours": side.hours if side else None,
            f"{name}_clients": who.active if who else None,
            f"{name}_rate": side.rate if side else None,
            f"{name}_low": low,
            f"{name}_high": high,
        }
    ratio_low, ratio_high = _bounds(c.ratio_interval)
    return row | {"ratio": c.ratio, "ratio_low": ratio_low, "ratio_high": ratio_high}


def _incidence_row(night: date, c: Comparison, clients: dict[tuple, Clients]) -> dict:
    """Crash incidence over the releases and ages of the main-crash comparison ``c``.

    A side with more crashing than active clients (crash pings of clients that sent no
    usage ping; two HyperLogLog estimates that need not nest) has its share taken as
    1, said in ``note``, and no verdict: the share is not what the data says."""
    limits = thresholds()
    row = _crash_row(night, "crash_incidence", c, clients, CLIENTS)
    sides = {"latest": c.latest, "previous": c.previous}
    counted = {name: clients.get(_side_key(c, side)) if side else None for name, side in sides.items()}
    notes, nested = [], {}
    for name, side in sides.items():
        who = counted[name]
        if who is not None and side is not None:
            crashing, why = clamped_share(who.crashing, who.active)
            if why:
                notes.append(f"{name} {side.display_version}: {why} (more crashing than active clients)")
            nested[name] = Clients(who.active, crashing)
        share = nested[name].crashing / who.active if who and who.active else None
        low, high = _bounds(wilson_interval(nested[name].crashing, who.active) if who and who.active else None)
        row |= {f"{name}_crashes": who.crashing if who else None, f"{name}_rate": share}
        row |= {f"{name}_low": low, f"{name}_high": high}
    latest, previous = nested.get("latest"), nested.get("previous")
    interval = katz_ratio_interval(latest, previous) if latest and previous else None
    ratio = row["latest_rate"] / row["previous_rate"] if interval and row["previous_rate"] else None
    enough = not notes and all(
        who is not None and who.active >= limits.min_clients and who.crashing >= limits.min_crashes
        for who in counted.values()
    )
    low, high = _bounds(interval)
    return row | {
        "ratio": ratio,
        "ratio_low": low,
        "ratio_high": high,
        "method": INCIDENCE_METHOD,
        "verdict": verdict(interval, enough, limits.materiality),
        "note": "; ".join(notes) or None,
    }


def _unreadable_row(night: date, measure: str, c: Comparison, denominator: str, error: Exception) -> dict:
    """The row of a cell whose statistics could not be computed: who was compared, no
    numbers, ``not enough data``, and why in ``note``. One odd cell never stops the night."""
    names = [part.split()[0] for part in COLUMNS.split(", ")]
    return dict.fromkeys(names) | {
        "submission_date": night,
        "channel": c.channel,
        "os": c.os,
        "measure": measure,
        "denominator": denominator,
        "latest_version": c.latest.display_version,
        "previous_version": c.previous.display_version if c.previous else None,
        "latest_release_date": c.latest.release_date,
        "previous_release_date": c.previous.release_date if c.previous else None,
        "method": INCIDENCE_METHOD if denominator == CLIENTS else c.method,
        "verdict": NOT_ENOUGH_DATA,
        "note": f"not computed: {error}",
    }


def _guarded(night: date, measure: str, c: Comparison, denominator: str, build: Callable[[], dict]) -> dict:
    """``build()``'s row, or, where a statistic's input left its domain (a share above 1,
    a negative count, a division by zero, Python's ``math domain error``), the row of
    :func:`_unreadable_row`, with a warning in the log. Any other error is a bug: raised."""
    try:
        return build()
    except (ArithmeticError, ValueError) as error:
        if not isinstance(error, (OutOfDomain, ArithmeticError)) and "math domain error" not in str(error):
            raise
        log.warning("compare_releases %s: %s %s %s not computed: %s", night, c.channel, c.os, measure, error)
        return _unreadable_row(night, measure, c, denominator, error)


def release_comparisons(
    spark: SparkSession,
    aggregates: DataFrame,
    client_sums: DataFrame | None,
    client_counts: DataFrame | None,
    night: date,
    denominators: tuple[Denominator, ...] = (USAGE,),
) -> DataFrame:
    """The night's rows of ``release_comparisons`` (schema :data:`COLUMNS`): the crash
    measures once per denominator, crash incidence once (over the releases and ages of the
    first denominator's main-crash comparison)."""
    pairs = [(m, d) for d in denominators for m in ("main_crashes", "content_crashes")]
    by_age = rows_by_release_age(aggregates, night, pairs, client_sums)
    by_measure = {(m, d.name): comparisons_of(by_age[(m, d.name)]) for m, d in pairs}
    everything = [c for comparisons in by_measure.values() for c in comparisons]
    clients = clients_of(spark, client_counts, everything) if client_counts is not None else {}
    rows = [
        _guarded(night, m, c, d, partial(_crash_row, night, m, c, clients, d))
        for (m, d), comparisons in by_measure.items()
        for c in comparisons
    ]
    if client_counts is not None:
        rows += [
            _guarded(night, "crash_incidence", c, CLIENTS, partial(_incidence_row, night, c, clients))
            for c in by_measure[("main_crashes", denominators[0].name)]
        ]
    names = [part.split()[0] for part in COLUMNS.split(", ")]
    return local_frame(spark, [tuple(r[n] for n in names) for r in rows], COLUMNS)


def format_rows(rows: list) -> str:
    """The rows as the job prints them: one line per channel, platform and measure."""
    header = (
        f"{'channel':8} {'os':8} {'measure':16} {'ages':6} {'latest':>10} {'crashes':>8} {'hours':>10} "
        f"{'clients':>8} {'rate [95%]':>24} {'previous':>10} {'crashes':>8} {'hours':>10} {'clients':>8} "
        f"{'rate [95%]':>24} {'ratio [95%]':>20}  verdict"
    )
    lines = [header, "-" * len(header)]

    def num(value: float | None, spec: str) -> str:
        return "-" if value is None else format(value, spec)

    def rate(r, side: str) -> str:  # type: ignore[no-untyped-def]
        value, low, high = r[f"{side}_rate"], r[f"{side}_low"], r[f"{side}_high"]
        scale = 100 if r.measure == "crash_incidence" else 1  # incidence as a percentage
        if value is None:
            return "-"
        return f"{value * scale:.2f} [{num(low and low * scale, '.2f')}, {num(high and high * scale, '.2f')}]"

    for r in rows:
        ages = f"{r.age_from}-{r.age_to}" if r.age_from is not None else "-"
        ratio = f"{num(r.ratio, '.2f')} [{num(r.ratio_low, '.2f')}, {num(r.ratio_high, '.2f')}]"
        lines.append(
            f"{r.channel:8} {r.os:8} {r.measure:16} {ages:6} {r.latest_version:>10} {num(r.latest_crashes, ',')!s:>8} "
            f"{num(r.latest_hours, ',.0f'):>10} {num(r.latest_clients, ','):>8} {rate(r, 'latest'):>24} "
            f"{r.previous_version or '-':>10} {num(r.previous_crashes, ','):>8} {num(r.previous_hours, ',.0f'):>10} "
            f"{num(r.previous_clients, ','):>8} {rate(r, 'previous'):>24} {ratio:>20}  {r.verdict}"
        )
    lines += [f"note: {r.channel} {r.os} {r.measure} ({r.denominator}): {r.note}" for r in rows if r.note]
    per = " and ".join(sorted({f"{r.denominator} hours" for r in rows if r.denominator != CLIENTS})) or "usage hours"
    lines += ["", f"Crash rates per 1,000 {per}; crash incidence in % of active clients."]
    return "\n".join(lines)
