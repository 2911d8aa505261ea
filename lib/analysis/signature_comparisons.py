"""The night's signature breakdown of every verdict, as rows of table ``signature_comparisons``.

The edge between Spark and :mod:`lib.analysis.signature_changes`, beside
:mod:`lib.analysis.reason_comparisons`: per main- or content-crash verdict of
``release_comparisons``, each signature's sums (crashes, clients, crashes_sq) of both
releases over the verdict's release ages, from ``crash_signatures`` in one query, and
``signature_first_seen`` on the verdict's channels; then the arithmetic in plain Python
(a few hundred rows), then the rows as a small frame for the write.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from pyspark.sql import DataFrame, SparkSession
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
from lib.analysis.signature_changes import (
    FirstSeen,
    Release,
    SignatureChange,
    SignatureSums,
    signature_changes,
    signature_links,
)
from lib.runtime.local_frames import local_frame
from lib.warehouse.tables import table_spec

MIN_SIGNATURE_CRASHES = 5  # fewer on both sides together: pooled as "other signatures"

Sums = dict[tuple[str, str, str], dict[str, dict[str, SignatureSums]]]


def sums_by_signature(
    signatures: DataFrame, verdicts: list[dict[str, Any]], released: dict[tuple[str, str], date]
) -> Sums:
    """Each verdict's two releases' sums by signature over the verdict's release ages, in one
    query of ``crash_signatures``: {(channel, os, process): {side: {signature: sums}}}.
    A release is its version and release date (nightly's builds share a version)."""
    sides = release_sides(verdicts, released, PROCESS_OF_MEASURE)
    if not sides:
        return {}
    wanted = local_frame(signatures.sparkSession, sides, SIDES)
    same_process = F.col("side_process") == F.coalesce("process_type", F.lit("main"))
    rows = (
        signatures.join(F.broadcast(wanted), ["channel", "os", "display_version"])
        .where(
            same_process
            & (F.col("release_date") == F.col("side_release_date"))
            & F.col("release_age_days").between(F.col("age_from"), F.col("age_to"))
        )
        .groupBy("channel", "os", "side_process", "side", "signature")
        .agg(*(F.sum(c).alias(c) for c in ("crashes", "clients", "crashes_sq")))
        .collect()
    )
    sums: Sums = defaultdict(lambda: defaultdict(dict))
    for r in rows:
        sums[(r.channel, r.os, r.side_process)][r.side][r.signature] = SignatureSums(
            int(r.crashes), int(r.clients), int(r.crashes_sq)
        )
    return sums


def first_seen_of(first_seen: DataFrame | None, channels: set[str]) -> dict[str, dict[str, FirstSeen]]:
    """``signature_first_seen`` of ``channels``: {channel: {signature: FirstSeen}}."""
    if first_seen is None or not channels:
        return {}
    seen: dict[str, dict[str, FirstSeen]] = defaultdict(dict)
    for r in first_seen.where(F.col("channel").isin(*sorted(channels))).collect():
        seen[r.channel][r.signature] = FirstSeen(r.first_date, r.first_version)
    return seen


def _row(night: date, v: dict[str, Any], process: str, days: list[date | None], c: SignatureChange) -> tuple:
    seen = c.first_seen
    return (
        night, v["channel"], v["os"], process, c.signature, v["latest_version"], v["previous_version"], *days,
        v["age_from"], v["age_to"], c.latest.crashes, c.previous.crashes, c.latest.clients, c.previous.clients,
        c.latest.crashes_sq, c.previous.crashes_sq, v["latest_hours"], v["previous_hours"], c.latest_rate,
        c.previous_rate, c.difference, c.difference_low, c.difference_high, c.share_of_change, c.flag,
        seen.first_date if seen else None, seen.first_version if seen else None,
    )  # fmt: skip


def signature_comparisons(
    spark: SparkSession,
    signatures: DataFrame,
    first_seen: DataFrame | None,
    verdicts: list[dict[str, Any]],
    released: dict[tuple[str, str], date],
    night: date,
) -> DataFrame:
    """Rows of ``signature_comparisons`` for ``night``: ``verdicts`` are the night's
    ``release_comparisons`` rows, ``released`` each (channel, display_version)'s release
    date, ``signatures`` the table ``crash_signatures``, ``first_seen`` the table
    ``signature_first_seen`` (None: no signature is ``new``)."""
    sums = sums_by_signature(signatures, verdicts, released)
    seen = first_seen_of(first_seen, {channel for channel, _, _ in sums})
    limits = thresholds()
    out = []
    for v, process in broken_down(verdicts, sums):
        by_side = sums[(v["channel"], v["os"], process)]
        days = release_dates(v, released)
        newest = Release(v["latest_version"], days[0], by_version=v["latest_version"] != v["previous_version"])
        changes = signature_changes(
            by_side.get("latest", {}),
            by_side.get("previous", {}),
            v["latest_hours"],
            v["previous_hours"],
            newest,
            seen.get(v["channel"], {}),
            limits.min_crashes,
            MIN_SIGNATURE_CRASHES,
        )
        out += [_row(night, v, process, days, c) for c in changes]
    return local_frame(spark, out, table_spec("signature_comparisons").schema)


TOP_SIGNATURES = 3


def top_signatures(rows: list[Any], verdict: dict[str, Any], count: int = TOP_SIGNATURES) -> list[Any]:
    """The signatures that drove ``verdict`` (a release_comparisons row), new ones first, then
    by share of the change; ``rows`` are signature_comparisons rows of the same night."""
    return leaders(rows, verdict, "signature", count)


def signature_text(d: Any) -> str:
    """``AppleGPUDriverPlanted.bundle@0x2 (NEW, first seen 2026-11-17 in 158.0, 81% of the change):
    0.80 vs 0.00 per 1,000 h (95 vs 0 crashes, 90 vs 0 clients), +0.80 [+0.52, +1.08]``."""
    flag = d["flag"].upper() if d["flag"] == "new" else d["flag"]
    seen = f", first seen {d['first_date']} in {d['first_version']}" if d["flag"] == "new" else ""
    share = f", {d['share_of_change']:.0%} of the change" if d["share_of_change"] is not None else ""
    return (
        f"{d['signature']} ({flag}{seen}{share}): {d['latest_rate']:.2f} vs {d['previous_rate']:.2f} per 1,000 h "
        f"({d['latest_crashes']} vs {d['previous_crashes']} crashes, {d['latest_clients']} vs "
        f"{d['previous_clients']} clients), {d['difference']:+.2f} [{d['difference_low']:+.2f}, "
        f"{d['difference_high']:+.2f}]"
    )


def signature_items(rows: list[Any]) -> list[dict[str, Any]]:
    """Plain values for a template: each signature, its sentence and its two links."""
    return [
        {"signature": d["signature"], "flag": d["flag"], "text": signature_text(d), **signature_links(d["signature"])}
        for d in rows
    ]


def format_signatures(verdicts: list[Any], rows: list[Any]) -> str:
    """For each regression, the signatures that drove it: what the job prints."""
    return format_leaders(verdicts, lambda v: top_signatures(rows, v), "signatures", signature_text)
