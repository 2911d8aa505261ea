"""Crashing users without client ids: crash incidence and crash-free users from ``client_counts``.

The share of users who crashed is what other release-health products lead with
(crash-free users). ``client_counts`` keeps, per day, channel, version and platform,
HyperLogLog sketches of active and crashing clients; a roll-up over days or versions
merges the sketches (``hll_union_agg``), so a client seen on five days is one client,
and no client id is ever read back.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F


def _distinct(sketch: str) -> Column:
    return F.coalesce(F.hll_sketch_estimate(F.hll_union_agg(sketch)), F.lit(0))


def crash_incidence(client_counts: DataFrame, *group: str) -> DataFrame:
    """Per ``group`` (e.g. ``"channel", "display_version", "os"``) over the rows given: distinct
    ``active_clients`` and ``crashing_clients``, ``crash_incidence`` (crashing / active) and
    ``crash_free_share`` (1 - incidence); both null without active clients."""
    counted = client_counts.groupBy(*group).agg(
        _distinct("active_clients_sketch").alias("active_clients"),
        _distinct("crashing_clients_sketch").alias("crashing_clients"),
    )
    incidence = F.when(F.col("active_clients") > 0, F.col("crashing_clients") / F.col("active_clients"))
    return counted.withColumns({"crash_incidence": incidence, "crash_free_share": 1 - incidence})
