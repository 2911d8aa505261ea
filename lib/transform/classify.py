"""Parsed pings to classified pings: every line gets its dimensions and one disposition.

Chain, for one doc type and one submission date::

    parsed.transform(with_dimensions)
          .transform(with_quarantine_reason)
          .transform(keep_raw_for_quarantine)
          .transform(with_release_dates(calendar, day))
          .transform(with_disposition(day, limits))

``disposition`` is ``aggregated``, ``duplicate``, ``excluded`` or ``quarantined``,
so ``input lines = aggregated + duplicates + excluded + quarantined`` holds by
construction (SPEC section 3).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from lib.contract.vocabulary import CRASH_KEYS, Limits
from lib.transform import rules

AGGREGATED, DUPLICATE, EXCLUDED, QUARANTINED = "aggregated", "duplicate", "excluded", "quarantined"
# Identifiers a quarantined line must not carry out of the job.
IDENTIFIER_FIELDS = ("clientId", "profileGroupId")

Transform = Callable[[DataFrame], DataFrame]


def with_dimensions(pings: DataFrame) -> DataFrame:
    """Needs the parsed leaf columns; adds the output dimensions and ``build_date``.

    The parse has already turned empty strings into nulls, so each ``coalesce``
    falls back on a missing, null or empty field alike (SPEC section 3).
    """
    version = F.coalesce("app_version", "env_version")
    build_id = F.coalesce(F.col("app_build_id"), F.col("env_build_id"))
    return pings.select(
        "*",
        rules.channel(F.col("app_channel")).alias("channel"),
        version.alias("version"),
        rules.major_version(version).alias("major_version"),
        F.coalesce("app_display_version", "env_display_version", version).alias("display_version"),
        build_id.alias("build_id"),
        rules.build_date(build_id).alias("build_date"),
        rules.os_family(F.col("os_name")).alias("os"),
        rules.os_version(F.col("os_version_raw")).alias("os_version"),
        F.coalesce("env_architecture", "app_architecture").alias("architecture"),
        rules.country(F.col("geo_country")).alias("country"),
    )


def _negative_crash_sum(pings: DataFrame) -> Column:
    checks = [
        F.when(
            F.col(f"{key}_crash_sum") < 0,
            F.concat(F.lit(f"{key}.sum = "), F.col(f"{key}_crash_sum")),
        )
        for key in CRASH_KEYS
        if f"{key}_crash_sum" in pings.columns
    ]
    return F.coalesce(*checks) if checks else F.lit(None).cast("string")


def with_quarantine_reason(pings: DataFrame) -> DataFrame:
    """Needs :func:`with_dimensions`; adds ``reason`` and ``detail``, null for a good ping.

    The first problem found names the line, in the order below.
    """
    has_length = "subsession_length" in pings.columns
    negative_length = F.col("subsession_length") < 0 if has_length else F.lit(False)
    negative_sum = _negative_crash_sum(pings)
    problems: list[tuple[str, Column, Column]] = [
        ("not_json_object", F.col("json_error").isNotNull(), F.col("json_error")),
        ("wrong_type", F.col("type_error").isNotNull(), F.col("type_error")),
        ("missing_id", F.col("doc_id").isNull(), F.lit(None)),
        ("missing_channel", F.col("app_channel").isNull(), F.lit(None)),
        ("missing_version", F.col("version").isNull(), F.lit(None)),
        ("missing_build_id", F.col("build_id").isNull(), F.lit(None)),
        ("malformed_build_id", F.col("build_date").isNull(), F.col("build_id")),
        (
            "negative_subsession_length",
            negative_length,
            F.col("subsession_length").cast("string") if has_length else F.lit(None),
        ),
        ("negative_crash_sum", negative_sum.isNotNull(), negative_sum),
    ]
    reason = F.lit(None).cast("string")
    detail = F.lit(None).cast("string")
    for name, found, why in reversed(problems):
        reason = F.when(found, F.lit(name)).otherwise(reason)
        detail = F.when(found, why.cast("string")).otherwise(detail)
    return pings.withColumns({"reason": reason, "detail": detail})


def with_release_dates(calendar: DataFrame, day: date) -> Transform:
    """Needs ``display_version`` and ``build_date``; adds ``release_date``,
    ``release_date_source`` (``calendar`` or ``build_id``) and ``release_age_days``.

    ``calendar`` has ``display_version`` and ``release_date`` (see lib.ingest.calendar).
    """

    def transform(pings: DataFrame) -> DataFrame:
        joined = pings.join(
            F.broadcast(calendar.withColumnRenamed("release_date", "_calendar_date")),
            "display_version",
            "left",
        )
        release_date = F.coalesce("_calendar_date", "build_date")
        return joined.select(
            *pings.columns,
            release_date.alias("release_date"),
            F.when(F.col("_calendar_date").isNotNull(), F.lit("calendar"))
            .when(F.col("build_date").isNotNull(), F.lit("build_id"))
            .alias("release_date_source"),
            F.datediff(F.lit(day), release_date).alias("release_age_days"),
        )

    return transform


def submitted_at(timestamp: Column) -> Column:
    """``meta.submissionTimestamp`` as an instant, so ``...12.5+01:00`` sorts before
    ``...12.123Z`` when it happened first; text that is no timestamp is null (sorts last)."""
    return timestamp.try_cast("timestamp")


def with_disposition(day: date, limits: Limits) -> Transform:
    """Needs ``reason``, ``doc_id`` and ``build_date``; adds ``disposition``.

    Quarantine comes first; among the remaining pings, the first of each document
    id (earliest submission timestamp, then file and line content, so a re-run
    picks the same one) is kept and the others are duplicates; a kept ping built
    more than ``max_build_age_days`` before the submission date, or more than
    ``max_build_lead_days`` after it, is excluded.
    """

    def transform(pings: DataFrame) -> DataFrame:
        quarantined = F.col("reason").isNotNull()
        first_copy = Window.partitionBy(quarantined, F.col("doc_id")).orderBy(
            submitted_at(F.col("submission_timestamp")).asc_nulls_last(), "source_file", "line_hash"
        )
        build_age = F.datediff(F.lit(day), F.col("build_date"))
        out_of_range = (build_age > limits.max_build_age_days) | (build_age < -limits.max_build_lead_days)
        return pings.withColumn(
            "disposition",
            F.when(quarantined, F.lit(QUARANTINED))
            .when(F.row_number().over(first_copy) > 1, F.lit(DUPLICATE))
            .when(out_of_range, F.lit(EXCLUDED))
            .otherwise(F.lit(AGGREGATED)),
        )

    return transform


def redact_identifiers(raw: Column) -> Column:
    """The raw line with client identifiers blanked: quarantine keeps lines, not people."""
    for field in IDENTIFIER_FIELDS:
        raw = F.regexp_replace(raw, rf'("{field}"\s*:\s*)"[^"]*"', '$1"<redacted>"')
    return raw


def keep_raw_for_quarantine(pings: DataFrame) -> DataFrame:
    """Needs ``reason``; blanks ``raw`` on good lines (so later shuffles do not carry
    kilobytes of JSON per ping) and redacts identifiers on the ones kept."""
    return pings.withColumn("raw", F.when(F.col("reason").isNotNull(), redact_identifiers(F.col("raw"))))


def classify(parsed: DataFrame, calendar: DataFrame, day: date, limits: Limits) -> DataFrame:
    """All of the above, in order."""
    return (
        parsed.transform(with_dimensions)
        .transform(with_quarantine_reason)
        .transform(keep_raw_for_quarantine)
        .transform(with_release_dates(calendar, day))
        .transform(with_disposition(day, limits))
    )
