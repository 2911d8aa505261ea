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

from lib.analysis.compare import thresholds
from lib.analysis.reasons import Exposure, reason_changes
from lib.runtime.local_frames import local_frame
from lib.warehouse.tables import table_spec

# Which crashes of crash_reasons each verdict's measure counts.
PROCESS_OF_MEASURE = {"main_crashes": "main", "content_crashes": "content"}
MIN_REASON_CRASHES = 5  # fewer on both sides together: pooled as "other reasons"


def reason_label(with_process: bool = True) -> Column:
    """What the page prints of a crash reason: ``MozCrashReason``, else the crashing
    module, else the crash type (``process: reason`` with ``with_process``)."""
    reason = F.coalesce("moz_crash_reason", "crashing_module", "crash_type", F.lit("(no reason given)"))
    return F.concat_ws(": ", F.coalesce("process_type", F.lit("main")), reason) if with_process else reason


SIDE_NAMES = ("latest", "previous")
ANY_PROCESS = "*"  # a verdict whose releases' reasons of every process type are wanted (the page's table)
SIDES = (
    "channel string, os string, side_process string, display_version string, side_release_date date, "
    "side string, age_from int, age_to int, apart boolean"
)


def release_dates(verdict: dict[str, Any], released: dict[tuple[str, str], date]) -> list[date | None]:
    """Both releases' dates of a verdict; rows written before release_comparisons' version 3
    name none: the version's first, from ``released``."""
    return [
        verdict.get(f"{side}_release_date") or released.get((verdict["channel"], verdict[f"{side}_version"]))
        for side in SIDE_NAMES
    ]


def _sides(
    verdicts: list[dict[str, Any]], released: dict[tuple[str, str], date], processes: dict[str, str]
) -> list[tuple]:
    """Both releases of each verdict whose measure ``processes`` names, over its ages, once each."""
    sides = []
    for v in verdicts:
        process = processes.get(v["measure"])
        if process is None or v["age_from"] is None or v["previous_version"] is None:
            continue
        days = release_dates(v, released)
        versions = [v[f"{side}_version"] for side in SIDE_NAMES]
        if None in days or len(set(zip(versions, days, strict=True))) < 2:
            continue  # a release date unknown, or one release on both sides: nothing to compare
        apart = versions[0] != versions[1]  # a version alone tells them apart
        for side, version, day in zip(SIDE_NAMES, versions, days, strict=True):
            sides.append((v["channel"], v["os"], process, version, day, side, v["age_from"], v["age_to"], apart))
    return list(dict.fromkeys(sides))  # two verdicts of the same releases (per usage and active hour) count once


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
    sides = _sides(verdicts, released, processes)
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
    spec = table_spec("reason_comparisons")
    schema = ", ".join(f"{c.name} {c.type}" for c in spec.columns)
    counts = crashes_by_reason(reasons, verdicts, released, reason_label(with_process=False))
    limits = thresholds()
    out = []
    for v in verdicts:
        process = PROCESS_OF_MEASURE.get(v["measure"])
        key = (v["channel"], v["os"], process)
        if process is None or key not in counts or not v["latest_hours"] or not v["previous_hours"]:
            continue
        latest, previous = counts[key].get("latest", {}), counts[key].get("previous", {})
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
    return local_frame(spark, out, schema)


TOP_DRIVERS = 3


def top_drivers(drivers: list[Any], verdict: dict[str, Any], count: int = TOP_DRIVERS) -> list[Any]:
    """The reasons that drove ``verdict`` (a release_comparisons row), new ones first, then
    by share of the change; ``drivers`` are reason_comparisons rows of the same night."""
    process = PROCESS_OF_MEASURE.get(verdict["measure"])
    mine = [
        d
        for d in drivers
        if (d["channel"], d["os"], d["process_type"]) == (verdict["channel"], verdict["os"], process)
        and d["submission_date"] == verdict["submission_date"]
    ]
    return sorted(mine, key=lambda d: (d["flag"] != "new", -(d["share_of_change"] or 0.0), d["reason"]))[:count]


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
    lines = []
    for v in verdicts:
        if v["verdict"] != "regression" or v["measure"] not in PROCESS_OF_MEASURE:
            continue
        top = top_drivers(drivers, v)
        if top:
            lines.append(f"{v['channel']} {v['os']} {v['measure']}: driven by")
            lines += [f"  {driver_text(d)}" for d in top]
    return "\n".join(lines) + "\n" if lines else ""
