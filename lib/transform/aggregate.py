"""Classified pings to the output tables' rows (SPEC section 4).

The measures are declared once, as data: what one ping of each doc type adds to
each measure. :func:`to_crash_aggregates` sums them over the grain, and the
column descriptions live beside them in ``schemas/tables/crash_aggregates.json``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import reduce

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from lib.contract.vocabulary import (
    ACTIVE_TICK_SECONDS,
    CRASH_CLASS_MEASURES,
    CRASH_DOC_TYPES,
    CRASH_KEYS,
    CRASH_MEASURES,
    CRASH_REASON_DIMENSIONS,
    DESKTOP,
    DESKTOP_USAGE_SOURCES,
    HISTOGRAM_MEASURES,
    SECONDS_PER_HOUR,
    TIME_UNIT_SECONDS,
    USAGE_DOC_TYPES,
    Limits,
)
from lib.transform import rules
from lib.transform.classify import (
    AGGREGATED,
    DUPLICATE,
    EXCLUDED,
    OTHER_USAGE_SOURCE,
    QUARANTINED,
    is_android,
    submitted_at,
    union_all,
    with_quarantined_text,
)

DIMENSIONS = (
    "submission_date",
    "channel",
    "version",
    "display_version",
    "major_version",
    "build_id",
    "os",
    "os_version",
    "architecture",
    "country",
    "release_date",
    "release_age_days",
)
# Functionally dependent on display_version and build_id, so it does not change the grain.
ATTRIBUTES = ("release_date_source",)


def _sum_of(key: str) -> Callable[[Limits], Column]:
    return lambda _: F.coalesce(F.col(f"{key}_crash_sum"), F.lit(0))


def _process_is(kind: str) -> Column:
    return F.col("process_type") == kind


def _shutdown_kill() -> Column:
    return F.coalesce(F.col("ipc_channel_error").contains("ShutDownKill"), F.lit(False))


def tick_seconds(ticks: Column) -> Column:
    """Five-second active ticks as seconds (in doubles: a hostile count cannot overflow)."""
    return ticks.cast("double") * ACTIVE_TICK_SECONDS


def baseline_seconds() -> Column:
    """A baseline ping's ``glean.baseline.duration`` in seconds, from its ``time_unit``
    (a unit not known is quarantined before this is read); null when the ping has none."""
    unit = F.col("duration_unit")

    def per_unit(part: str) -> Column:
        return F.create_map(*[F.lit(x) for u, f in TIME_UNIT_SECONDS.items() for x in (u, getattr(f, part))])[unit]

    # Multiplied, then divided by an exact integer: correctly rounded whole seconds.
    return F.col("duration_value").cast("double") * per_unit("numerator") / per_unit("denominator")


def _desktop_active_ticks() -> Column:
    # Synthesized pointer events inflate the plain counter since Firefox 140.
    return F.coalesce("active_ticks_non_synthesized", "active_ticks")


# Usage is summed in whole capped seconds, then turned into hours once: integer sums
# are exact in any order, so a re-run writes bit-identical hours.
MAIN_PING: dict[str, Callable[[Limits], Column]] = {
    "ping_count": lambda _: F.lit(1),
    "usage_seconds": lambda limits: rules.usage_seconds(F.col("subsession_length"), limits.usage_cap_seconds),
    "active_seconds": lambda limits: rules.usage_seconds(
        tick_seconds(F.coalesce("active_ticks", "active_ticks_flat")), limits.usage_cap_seconds
    ),
    **{f"{key}_crashes": _sum_of(key) for key in CRASH_KEYS},
}
BASELINE_PING: dict[str, Callable[[Limits], Column]] = {
    "ping_count": lambda _: F.lit(1),
    "usage_seconds": lambda limits: rules.usage_seconds(baseline_seconds(), limits.usage_cap_seconds),
    # Android has no ticks: its active hours are its foreground hours, as Mozilla counts them.
    "active_seconds": lambda limits: rules.usage_seconds(
        F.when(is_android(), baseline_seconds()).otherwise(tick_seconds(_desktop_active_ticks())),
        limits.usage_cap_seconds,
    ),
}
CRASH_PING: dict[str, Callable[[Limits], Column]] = {
    "main_crashes": lambda _: rules.flag(F.col("process_type").isNull() | _process_is("main")),
    "startup_crashes": lambda _: rules.flag(F.col("startup_crash")),
    "content_crashes": lambda _: rules.flag(_process_is("content") & ~_shutdown_kill()),
    "content_shutdown_crashes": lambda _: rules.flag(_process_is("content") & _shutdown_kill()),
    "oom_crashes": lambda _: rules.flag(F.col("oom_crash")),
    "shutdown_hang_crashes": lambda _: rules.flag(F.col("shutdown_hang_crash")),
    "background_task_crashes": lambda _: rules.flag(F.col("background_task_crash")),
}
# Both crash formats read into the same crash columns (lib.transform.classify.with_crash_details).
PER_PING = {"main": MAIN_PING, "crash": CRASH_PING, "glean_crash": CRASH_PING, "glean_baseline": BASELINE_PING}
# The release and its age beside what the crash was: so two releases' reasons are compared
# over the same ages, and nightly's builds (one version, each its own release date) apart.
REASON_GRAIN = ("submission_date", "release_date", "release_age_days", *CRASH_REASON_DIMENSIONS)
PING_MEASURES = ("ping_count", "usage_seconds", "active_seconds", *CRASH_MEASURES)


def measures() -> list[Column]:
    """The aggregate expressions of crash_aggregates, in its column order."""
    return [
        F.sum("ping_count").alias("ping_count"),
        (F.sum("usage_seconds") / SECONDS_PER_HOUR).alias("usage_hours"),
        (F.sum("active_seconds") / SECONDS_PER_HOUR).alias("active_hours"),
        *[F.sum(name).alias(name) for name in CRASH_MEASURES],
    ]


def _of(classified: DataFrame, doc_type: str) -> DataFrame:
    return classified.where(F.col("doc_type") == doc_type)


CLIENT_KEY = "_client"  # never leaves the job: to_crash_aggregates and to_client_sums drop it


def to_ping_measures(
    classified: DataFrame, doc_type: str, limits: Limits, dimensions: tuple[str, ...] = DIMENSIONS
) -> DataFrame:
    """Aggregated pings of one doc type: the dimensions, what each ping adds to each
    measure, and ``_client``, the client the ping came from (a ping without a client id
    is a client of its own), for :func:`to_client_sums`."""
    pings = _of(classified, doc_type).where(F.col("disposition") == AGGREGATED)
    return _measures_of(pings, doc_type, PER_PING[doc_type], limits, dimensions)


def _measures_of(
    pings: DataFrame,
    doc_type: str,
    own: dict[str, Callable[[Limits], Column]],
    limits: Limits,
    dimensions: tuple[str, ...],
) -> DataFrame:
    own_key = F.concat_ws(":", F.lit(doc_type), "source_file", F.col("line_hash").cast("string"))
    return pings.select(
        *dimensions,
        *ATTRIBUTES,
        *[(own[m](limits) if m in own else F.lit(0)).cast("long").alias(m) for m in PING_MEASURES],
        F.coalesce("client_id", own_key).alias(CLIENT_KEY),
    )


def to_subprocess_crashes(classified: DataFrame, limits: Limits) -> DataFrame:
    """The subprocess crashes (gpu_crashes ... utility_crashes) of desktop main pings whose
    hours the run does not count (``--desktop-usage glean``), as ping measures with no
    ping, hour or other crash: only the main ping carries those crashes, so they count
    whichever source gives the hours. A ping without one adds nothing and is left out;
    with the main pings' hours counted (the default), this is empty."""
    other_source = _of(classified, "main").where(F.col("exclusion") == OTHER_USAGE_SOURCE)
    own = {m: MAIN_PING[m] for m in HISTOGRAM_MEASURES}
    crashed = reduce(Column.__or__, [own[m](limits) > 0 for m in HISTOGRAM_MEASURES])
    return _measures_of(other_source.where(crashed), "main", own, limits, DIMENSIONS)


def to_crash_aggregates(ping_measures: DataFrame) -> DataFrame:
    """Changes the grain from one ping to one row per distinct dimensions (main and crash together)."""
    return ping_measures.groupBy(*DIMENSIONS).agg(*[F.first(a).alias(a) for a in ATTRIBUTES], *measures())


# Per client, then summed over the clients of a row (lib.analysis.stats.ClientSums).
# Seconds, not hours, until the end: integer sums are exact in any order, so a re-run
# writes the same bits.
ROBUST_MEASURES = ("main_crashes", "content_crashes")


def to_client_sums(ping_measures: DataFrame) -> DataFrame:
    """Changes the grain to crash_aggregates' through each client's own totals in the row:
    the number of clients and the sums of squares and products a cluster-robust interval
    needs, per usage and per active hour (table ``crash_client_sums``). The client key
    is dropped here."""
    per_client = ping_measures.groupBy(*DIMENSIONS, CLIENT_KEY).agg(
        *[F.sum(m).alias(m) for m in ("usage_seconds", "active_seconds", *ROBUST_MEASURES)]
    )
    square = SECONDS_PER_HOUR * SECONDS_PER_HOUR

    def products(seconds: Column, hours: str) -> list[Column]:
        return [(F.sum(F.col(m) * seconds) / SECONDS_PER_HOUR).alias(f"{m}_{hours}") for m in ROBUST_MEASURES]

    # Doubles: a cloned profile's thousands of capped pings under one id must not overflow a long.
    usage, active = F.col("usage_seconds").cast("double"), F.col("active_seconds").cast("double")
    return per_client.groupBy(*DIMENSIONS).agg(
        F.count(F.lit(1)).alias("clients"),
        (F.sum(usage * usage) / square).alias("hours_sq"),
        *[F.sum(F.col(m) * F.col(m)).alias(f"{m}_sq") for m in ROBUST_MEASURES],
        *products(usage, "hours"),
        (F.sum(active * active) / square).alias("active_hours_sq"),
        *products(active, "active_hours"),
    )


CLIENT_COUNT_GRAIN = ("submission_date", "channel", "display_version", "os")
HLL_LG_CONFIG_K = 12  # 4,096 registers: about 1.6% standard error, a few KB per sketch
# The relative standard error of an HLL estimate with 2**lgConfigK registers (DataSketches'
# HIP estimator does better on one stream, 0.836/sqrt(k); this holds after unions too).
# Below about a tenth of k distinct clients the sketch still counts exactly.
HLL_RELATIVE_ERROR = 1.04 / math.sqrt(2**HLL_LG_CONFIG_K)


def to_client_counts(classified: DataFrame, limits: Limits) -> DataFrame:
    """Changes the grain to (submission_date, channel, display_version, os): HyperLogLog
    sketches of the clients with an aggregated usage ping (main or baseline, whichever
    counts their hours) and of those with an aggregated main or content crash (table
    ``client_counts``), and their estimates. The sketches
    merge over days and versions (``hll_union_agg``); the client ids stay in the job."""
    kept = classified.where(F.col("disposition") == AGGREGATED)
    crashed = (CRASH_PING["main_crashes"](limits) + CRASH_PING["content_crashes"](limits)) > 0

    def sketch(rows: DataFrame, name: str) -> DataFrame:
        # A sketch's bytes depend on the order its ids arrive in (a small one keeps them as a
        # list, a large one its HIP estimate): each cell's ids reach it in one partition,
        # sorted, so a re-run or a range writes the same bytes as the night.
        ordered = rows.repartition(*CLIENT_COUNT_GRAIN).sortWithinPartitions(*CLIENT_COUNT_GRAIN, "client_id")
        return ordered.groupBy(*CLIENT_COUNT_GRAIN).agg(F.hll_sketch_agg("client_id", HLL_LG_CONFIG_K).alias(name))

    active = sketch(kept.where(F.col("doc_type").isin(*USAGE_DOC_TYPES)), "active_clients_sketch")
    crashing = sketch(kept.where(F.col("doc_type").isin(*CRASH_DOC_TYPES) & crashed), "crashing_clients_sketch")

    def estimate(name: str) -> Column:
        return F.coalesce(F.hll_sketch_estimate(f"{name}_sketch"), F.lit(0)).alias(name)

    return active.join(crashing, list(CLIENT_COUNT_GRAIN), "full").select(
        *CLIENT_COUNT_GRAIN,
        "active_clients_sketch",
        "crashing_clients_sketch",
        estimate("active_clients"),
        estimate("crashing_clients"),
    )


def to_crash_reasons(classified: DataFrame) -> DataFrame:
    """Changes the grain to what the crashes were: aggregated crash pings of both formats
    (after de-duplication) per crash type, crashing module and ``MozCrashReason``, beside
    the release (version and release date) and its age, as ``crash_aggregates`` has them."""
    crashes = classified.where(F.col("doc_type").isin(*CRASH_DOC_TYPES) & (F.col("disposition") == AGGREGATED))
    return crashes.groupBy(*REASON_GRAIN).agg(F.count(F.lit(1)).alias("crashes"))


def to_quarantine(classified: DataFrame, lines: DataFrame) -> DataFrame:
    """The quarantined lines of every doc type, each with its reason and its text, redacted;
    ``lines`` are the lines of the same dates (:func:`lib.ingest.landing.read_lines`), read again only
    for quarantined lines the fast parse kept no text of (:func:`with_quarantined_text`)."""
    quarantined = classified.where(F.col("disposition") == QUARANTINED).select(
        "submission_date", "doc_type", "reason", "detail", "source_file", "line_hash", "raw"
    )
    return with_quarantined_text(quarantined, lines).select(
        "submission_date", "doc_type", "reason", "detail", "source_file", "raw"
    )


def _count_where(condition: Column) -> Column:
    """How many rows meet the condition; 0, not null, over no rows."""
    return F.coalesce(F.sum(rules.flag(condition)), F.lit(0)).cast("long")


def _usage_seconds_read(classified: DataFrame) -> Column:
    """The usage a usage ping reports, in seconds before the cap: a main ping's
    subsessionLength, a baseline ping's duration; null when it reports none."""
    length = F.col("subsession_length") if "subsession_length" in classified.columns else F.lit(None)
    duration = baseline_seconds() if "duration_value" in classified.columns else F.lit(None)
    return F.when(F.col("doc_type") == "main", length).when(F.col("doc_type") == "glean_baseline", duration)


def to_dq_metrics(classified: DataFrame, input_lines: DataFrame, limits: Limits) -> DataFrame:
    """Exactly one row per (submission_date, doc_type) of ``input_lines``, even for an
    empty partition: where every line went.

    ``input_lines`` has ``submission_date``, ``doc_type`` and ``input_lines``, the files'
    own line counts (:func:`lib.ingest.landing.count_lines`), not a count of
    ``classified``: so the accounting identity can catch a line lost or doubled on the
    way (the table's CHECK constraint holds it).
    """
    aggregated = F.col("disposition") == AGGREGATED
    usage = F.col("doc_type").isin(*USAGE_DOC_TYPES)  # crash pings carry no usage
    seconds = _usage_seconds_read(classified)
    capped = _count_where(usage & aggregated & (seconds > limits.usage_cap_seconds))
    missing = _count_where(usage & aggregated & seconds.isNull())
    counts = [
        (F.col("disposition") == kind, column)
        for kind, column in (
            (AGGREGATED, "aggregated"),
            (DUPLICATE, "duplicates"),
            (EXCLUDED, "excluded"),
            (QUARANTINED, "quarantined"),
        )
    ]
    keys = ["submission_date", "doc_type"]
    counted = classified.groupBy(*keys).agg(
        *[_count_where(condition).alias(column) for condition, column in counts],
        capped.alias("usage_capped"),
        missing.alias("missing_usage"),
        _count_where(F.col("exclusion") == OTHER_USAGE_SOURCE).alias("other_usage_source"),
    )
    zero = F.lit(0).cast("long")
    return input_lines.join(counted, keys, "left").select(
        *keys,
        F.col("input_lines").cast("long").alias("input_lines"),
        *[F.coalesce(column, zero).alias(column) for column in counted.columns if column not in keys],
    )


USAGE_PARITY_GRAIN = ("submission_date", "channel", "os", "display_version")
SOURCE_PREFIX = {"main": "main", "glean_baseline": "baseline"}


def to_usage_parity(ping_measures_of_both: DataFrame, limits: Limits) -> DataFrame:
    """Firefox desktop's two usage sources side by side (table ``usage_parity``): per
    (submission_date, channel, os, display_version), the pings, usage hours and active
    hours each source would count. ``ping_measures_of_both`` are :func:`usage_measures`
    of both desktop sources: the one the run counts and the one it only compares."""
    columns = []
    for doc_type, prefix in SOURCE_PREFIX.items():

        def total(measure: str, doc_type: str = doc_type) -> Column:
            return F.sum(F.when(F.col("doc_type") == doc_type, F.col(measure)).otherwise(0))

        columns += [
            total("ping_count").cast("long").alias(f"{prefix}_pings"),
            (total("usage_seconds") / SECONDS_PER_HOUR).alias(f"{prefix}_usage_hours"),
            (total("active_seconds") / SECONDS_PER_HOUR).alias(f"{prefix}_active_hours"),
        ]
    return (
        ping_measures_of_both.groupBy(*USAGE_PARITY_GRAIN)
        .agg(*columns)
        .withColumn("usage_source", F.lit(limits.desktop_usage))
    )


def usage_measures(classified: DataFrame, limits: Limits) -> DataFrame:
    """Each desktop usage ping either source would count (aggregated, or excluded only for
    being the source the run does not count), with ``doc_type`` and its usage measures."""
    desktop = classified.where(
        F.col("doc_type").isin(*DESKTOP_USAGE_SOURCES.values())
        & (F.col("application") == DESKTOP)
        & ((F.col("disposition") == AGGREGATED) | (F.col("exclusion") == OTHER_USAGE_SOURCE))
    )
    frames = []
    for doc_type in DESKTOP_USAGE_SOURCES.values():
        own = PER_PING[doc_type]
        frames.append(
            _of(desktop, doc_type).select(
                *USAGE_PARITY_GRAIN,
                "doc_type",
                *[own[m](limits).cast("long").alias(m) for m in ("ping_count", "usage_seconds", "active_seconds")],
            )
        )
    return frames[0].unionByName(frames[1])


# -- the provisional hours of a release day -------------------------------------------

HOURLY_DIMENSIONS = ("submission_date", "submission_hour", "channel", "display_version", "os")
HOURLY_CRASHES = ("main_crashes", "content_crashes", "startup_crashes", *CRASH_CLASS_MEASURES)
HOURLY_ROBUST = ("main_crashes", "content_crashes")


def with_submission_hour(classified: DataFrame) -> DataFrame:
    """Adds ``submission_hour``: the UTC hour (0-23) the ingestion edge received the
    ping, null where ``meta.submissionTimestamp`` is missing, no timestamp, or of
    another date than the ping's partition (an hour of another day is no hour of this one)."""
    instant = submitted_at(F.col("submission_timestamp"))  # sessions run in UTC
    same_day = F.to_date(instant) == F.col("submission_date")
    return classified.withColumn("submission_hour", F.when(same_day, F.hour(instant)))


def to_hourly_aggregates(classified: DataFrame, limits: Limits) -> DataFrame:
    """Changes the grain to one row per (submission_date, submission_hour, channel,
    display_version, os), usage and crash pings together (table
    ``crash_aggregates_hourly``): pings, hours, the crash measures a release day
    watches, and per client within the rows' pings, the clients and the sums of their
    crashes squared that measure how clustered the crashes are. No client id."""
    hourly = with_submission_hour(classified)
    pings = union_all([to_ping_measures(hourly, d, limits, HOURLY_DIMENSIONS) for d in PER_PING])
    summed = ("ping_count", "usage_seconds", "active_seconds", *HOURLY_CRASHES)
    per_client = pings.groupBy(*HOURLY_DIMENSIONS, CLIENT_KEY).agg(*[F.sum(m).alias(m) for m in summed])
    return per_client.groupBy(*HOURLY_DIMENSIONS).agg(
        F.sum("ping_count").alias("ping_count"),
        (F.sum("usage_seconds") / SECONDS_PER_HOUR).alias("usage_hours"),
        (F.sum("active_seconds") / SECONDS_PER_HOUR).alias("active_hours"),
        *[F.sum(m).alias(m) for m in HOURLY_CRASHES],
        F.count(F.lit(1)).alias("clients"),
        *[F.sum(F.col(m) * F.col(m)).alias(f"{m}_sq") for m in HOURLY_ROBUST],
    )
