"""The night's reason breakdown of every verdict, as rows of table ``reason_comparisons``.

The edge between Spark and :mod:`lib.analysis.reasons`: per verdict of
``release_comparisons`` (main and content crashes, two different releases), the
crashes of each reason of both releases over the verdict's release ages, from
``crash_reasons`` in one query, then the arithmetic in plain Python (a few hundred
rows), then the rows as a small frame for the write.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from lib.analysis.breakdown import (
    PROCESS_OF_MEASURE,
    SIDES,
    broken_down,
    format_leaders,
    leaders,
    release_dates,
    release_sides,
)
from lib.analysis.compare import thresholds
from lib.analysis.reasons import Exposure, reason_changes
from lib.runtime.local_frames import local_frame
from lib.warehouse.tables import table_spec

MIN_REASON_CRASHES = 5  # fewer on both sides together: pooled as "other reasons"


def reason_label(with_process: bool = True) -> Column:
    """What the page prints of a crash reason: ``MozCrashReason``, else the crashing
    module, else the crash type (``process: reason`` with ``with_process``)."""
    reason = F.coalesce("moz_crash_reason", "crashing_module", "crash_type", F.lit("(no reason given)"))
    return F.concat_ws(": ", F.coalesce("process_type", F.lit("main")), reason) if with_process else reason


ANY_PROCESS = "*"  # a verdict whose releases' reasons of every process type are wanted (the page's table)


def crashes_by_reason(
    reasons: DataFrame,
    verdicts: list[dict[str, Any]],
    released: dict[tuple[str, str], date],
    label: Column,
    processes: dict[str, str] = PROCESS_OF_MEASURE,
) -> dict[tuple[str, str, str], dict[str, dict[str, int]]]:
    """Each verdict's two releases' crashes by reason (``label``) over the verdict's release
    ages, in one query of ``crash_reasons``: {(channel, os, process): {side: {reason: crashes}}},
    where ``processes`` names each measure's process type (:data:`ANY_PROCESS`: all of them).

    A release is its version and release date, so nightly's builds (one version) are told
    apart. ``released`` gives a version's release date where a verdict names none (rows
    written before release_comparisons' version 3); a ``crash_reasons`` row written before
    its version 2 has no release date or age: its version's, and the age from its date
    (for versions that tell the releases apart; nightly's such rows are not counted).
    """
    sides = release_sides(verdicts, released, processes)
    if not sides:
        return {}
    wanted = local_frame(reasons.sparkSession, sides, SIDES)
    release_date, side_date = F.col("release_date"), F.col("side_release_date")
    same_release = F.when(release_date.isNull(), F.col("apart")).otherwise(release_date == side_date)
    age = F.coalesce(F.col("release_age_days"), F.datediff("submission_date", side_date))
    process = F.col("side_process")
    same_process = (process == F.lit(ANY_PROCESS)) | (process == F.coalesce("process_type", F.lit("main")))
    rows = (
        reasons.join(F.broadcast(wanted), ["channel", "os", "display_version"])
        .where(same_process & same_release & age.between(F.col("age_from"), F.col("age_to")))
        .groupBy("channel", "os", "side_process", "side", label.alias("reason"))
        .agg(F.sum("crashes").alias("crashes"))
        .collect()
    )
    counts: dict[tuple[str, str, str], dict[str, dict[str, int]]] = defaultdict(lambda: defaultdict(dict))
    for r in rows:
        counts[(r.channel, r.os, r.side_process)][r.side][r.reason] = int(r.crashes)
    return counts


def reason_comparisons(
    spark: SparkSession,
    reasons: DataFrame,
    verdicts: list[dict[str, Any]],
    released: dict[tuple[str, str], date],
    night: date,
) -> DataFrame:
    """Rows of ``reason_comparisons`` for ``night``: ``verdicts`` are the night's
    ``release_comparisons`` rows, ``released`` each (channel, display_version)'s release
    date (as crash_aggregates has it), ``reasons`` the table ``crash_reasons``."""
    counts = crashes_by_reason(reasons, verdicts, released, reason_label(with_process=False))
    limits = thresholds()
    out = []
    for v, process in broken_down(verdicts, counts):
        by_side = counts[(v["channel"], v["os"], process)]
        latest, previous = by_side.get("latest", {}), by_side.get("previous", {})
        # The total's crashes and interval, as the verdict has them: their overdispersion
        # is what each reason's interval borrows.
        newest = Exposure(
            v["latest_version"], v["latest_crashes"], v["latest_hours"], v["latest_low"], v["latest_high"]
        )
        before = Exposure(
            v["previous_version"], v["previous_crashes"], v["previous_hours"], v["previous_low"], v["previous_high"]
        )
        days = release_dates(v, released)
        for c in reason_changes(latest, previous, newest, before, limits.min_crashes, MIN_REASON_CRASHES):
            out.append(
                (
                    night, v["channel"], v["os"], process, c.reason, v["latest_version"], v["previous_version"],
                    *days, v["age_from"], v["age_to"], c.latest_crashes, c.previous_crashes, v["latest_hours"],
                    v["previous_hours"], c.latest_rate, c.previous_rate, c.difference, c.difference_low,
                    c.difference_high, c.share_of_change, c.flag,
                )
            )  # fmt: skip
    return local_frame(spark, out, table_spec("reason_comparisons").schema)


TOP_DRIVERS = 3


def top_drivers(drivers: list[Any], verdict: dict[str, Any], count: int = TOP_DRIVERS) -> list[Any]:
    """The reasons that drove ``verdict`` (a release_comparisons row), new ones first, then
    by share of the change; ``drivers`` are reason_comparisons rows of the same night."""
    return leaders(drivers, verdict, "reason", count)


def driver_text(d: Any) -> str:
    """``nvwgf2umx.dll (NEW, 81% of the change): 0.80 vs 0.00 per 1,000 h, +0.80 [+0.52, +1.08]``."""
    share = f", {d['share_of_change']:.0%} of the change" if d["share_of_change"] is not None else ""
    return (
        f"{d['reason']} ({d['flag'].upper() if d['flag'] == 'new' else d['flag']}{share}): "
        f"{d['latest_rate']:.2f} vs {d['previous_rate']:.2f} per 1,000 h ({d['latest_crashes']} vs "
        f"{d['previous_crashes']} crashes), {d['difference']:+.2f} [{d['difference_low']:+.2f}, "
        f"{d['difference_high']:+.2f}]"
    )


def format_drivers(verdicts: list[Any], drivers: list[Any]) -> str:
    """For each regression, the crash reasons that drove it: what the job prints and emails say."""
    return format_leaders(verdicts, lambda v: top_drivers(drivers, v), "driven by", driver_text)
