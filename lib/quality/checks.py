"""The two data-quality suites: what each check looks at, as frames and expectations.

* ``raw``: on the day's parsed and classified pings, before aggregation: the
  collection problems (duplicates, bad builds, implausible lengths, clock skew,
  unknown channels or platforms, missing fields, quarantine and exclusion rates).
* ``aggregates``: on the day's ``crash_aggregates`` partition: no negative
  numbers, a unique grain, totals that reconcile with ``dq_metrics``, volume per
  channel and platform against the same weekday of past weeks, and busy versions
  missing from the release calendar.

Thresholds and severities come from ``schemas/dq_checks.yaml``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from lib.analysis.stats import wilson_interval
from lib.contract.vocabulary import (
    CRASH_MEASURES,
    DESKTOP,
    KNOWN_CHANNELS,
    KNOWN_OS,
    OTHER,
    TIME_UNIT_SECONDS,
    UNKNOWN_COUNTRY,
    Limits,
)
from lib.quality.runner import MAX_DETAILS, Check, dq_config
from lib.runtime.local_frames import local_frame
from lib.transform.aggregate import DIMENSIONS, baseline_seconds
from lib.transform.classify import AGGREGATED, DUPLICATE, EXCLUDED, OTHER_USAGE_SOURCE, QUARANTINED

# One crash reaches us as at most two documents: its legacy and its Glean crash ping.
MAX_DOCUMENTS_PER_CRASH = 2
UUID = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
MAD_TO_SIGMA = 1.4826


def _gxe():  # type: ignore[no-untyped-def]
    """Great Expectations' expectations, imported when a check is built: the library takes
    seconds to import, which a job's ``--help`` or a bad argument should not wait for."""
    import great_expectations.expectations as gxe

    return gxe


def _check(suite: str, name: str, frame: str, threshold: str, expectation, key: str | None = None) -> Check:  # type: ignore[no-untyped-def]
    settings = dq_config()[suite][key or name]
    return Check(name, frame, expectation, threshold, settings["severity"], settings["description"])


def _pct(share: float) -> str:
    return f"{share:.1%}".replace(".0%", "%")


# -- raw -----------------------------------------------------------------------------
#
# One Spark aggregation counts, per submission date, the lines each raw check judges
# and those that fail it (:func:`raw_check_counts`); Great Expectations then judges
# that small frame, one row per date, in pandas (:func:`lib.quality.runner.run_checks`).
# A check that failed fetches its examples afterwards, and only then
# (:func:`failing_examples`): a clean night runs one Spark job for all of its checks.


@dataclass(frozen=True)
class RawMeasure:
    """What a raw check counts over the classified lines: the lines it judges, those that
    fail it, and what the report shows of a failing line (never a client identifier)."""

    judged: Column
    failing: Column
    population: str
    example: Column


def _document() -> Column:
    return F.concat_ws(":", "doc_type", F.coalesce("doc_id", F.lit("(no id)")))


def id_shape(value: Column) -> Column:
    """A client id's shape, never its value: letters and digits become ``x`` (the report
    writes their runs as lengths, ``{8-4-4-4-12}``), anything unusual ``?``."""
    return F.regexp_replace(F.regexp_replace(value, "[A-Za-z0-9]", "x"), "[^x{}()\\-_.:]", "?")


def _or_null(frame: DataFrame, column: str, kind: str) -> Column:
    """A column only crash pings have, null when the frame holds none of them."""
    return F.col(column) if column in frame.columns else F.lit(None).cast(kind)


def raw_check_frame(classified: DataFrame) -> DataFrame:
    """One row per input line, every doc type and date, with what the raw checks look at."""
    disposition = F.col("disposition")
    creation = _or_null(classified, "creation_date", "string")
    created = F.try_to_timestamp(F.substring(creation, 1, 10), F.lit("yyyy-MM-dd")).cast("date")
    parsed = F.col("json_error").isNull()
    return classified.select(
        "submission_date",
        "doc_type",
        F.when(disposition.isin(AGGREGATED, EXCLUDED), F.concat_ws(":", "doc_type", "doc_id")).alias("kept_document"),
        # Copies of a document id: a crash sent in both formats during the transition is not one.
        ((disposition == DUPLICATE) & F.col("same_document")).alias("is_duplicate"),
        (disposition == QUARANTINED).alias("is_quarantined"),
        # The desktop usage source the run does not count is excluded by design, not by a fault.
        ((disposition == EXCLUDED) & (F.col("exclusion") != OTHER_USAGE_SOURCE)).alias("is_excluded"),
        "reason",
        "client_id",
        # Only Firefox desktop's build ids hold a date (Android's is a version code).
        F.when(
            F.col("build_id").isNotNull() & (F.col("application") == DESKTOP), F.col("build_date").isNotNull()
        ).alias("build_id_well_formed"),
        F.when(parsed, F.col("channel")).alias("channel"),
        F.when(parsed, F.col("os")).alias("os"),
        F.when(parsed, F.col("country") != UNKNOWN_COUNTRY).alias("country_known"),
        F.when(parsed, F.col("check_field_error").isNull()).alias("check_fields_typed"),
        _or_null(classified, "subsession_length", "long").alias("subsession_length"),
        _or_null(classified, "duration_value", "long").alias("duration_value"),
        _or_null(classified, "duration_unit", "string").alias("duration_unit"),
        F.when(disposition != QUARANTINED, _or_null(classified, "hash_documents", "long")).alias("hash_documents"),
        _or_null(classified, "minidump_hash", "string").alias("minidump_hash"),
        # Glean crash pings carry no creationDate: they are not judged on clock skew.
        F.abs(F.datediff(F.col("submission_date"), created)).alias("clock_skew_days"),
        "doc_id",
        "version",
        "build_id",
        "source_file",
    )


def raw_measures(limits: Limits) -> dict[str, RawMeasure]:
    """Every raw check's count over :func:`raw_check_frame`, by check name (all but
    ``unique_document_ids``, which counts repeated keys, see :func:`raw_check_counts`)."""
    cfg = dq_config()["raw"]
    every = F.lit(True)
    length, skew = cfg["subsession_length_plausible"], cfg["clock_skew_share"]
    seconds = F.col("subsession_length")
    has_duration = F.col("duration_value").isNotNull()
    unit_known = F.coalesce(F.col("duration_unit").isin(*TIME_UNIT_SECONDS), F.lit(False))
    duration = baseline_seconds()

    def known(column: str, values: tuple[str, ...]) -> RawMeasure:
        return RawMeasure(F.col(column).isNotNull(), ~F.col(column).isin(*values), "parsed lines", _document())

    def flag_is_true(column: str, population: str, example: Column | None = None) -> RawMeasure:
        return RawMeasure(
            F.col(column).isNotNull(), ~F.col(column), population, _document() if example is None else example
        )

    measures = {
        "duplicate_share": RawMeasure(every, F.col("is_duplicate"), "lines", _document()),
        "quarantine_share": RawMeasure(
            every, F.col("is_quarantined"), "lines", F.concat_ws(": ", "doc_type", "reason")
        ),
        "exclusion_share": RawMeasure(
            every, F.col("is_excluded"), "lines", F.concat_ws(" build ", _document(), "build_id")
        ),
        "client_id_well_formed": RawMeasure(
            F.col("client_id").isNotNull(), ~F.col("client_id").rlike(UUID), "client ids", id_shape(F.col("client_id"))
        ),
        "build_id_well_formed": flag_is_true(
            "build_id_well_formed", "build ids", F.concat_ws(" build ", _document(), "build_id")
        ),
        "channel_known": known("channel", KNOWN_CHANNELS),
        "os_known": known("os", KNOWN_OS),
        "country_known": flag_is_true("country_known", "parsed lines"),
        "check_fields_typed": flag_is_true("check_fields_typed", "parsed lines"),
        "subsession_length_plausible": RawMeasure(
            seconds.isNotNull(),
            (seconds < length["min_seconds"]) | (seconds > limits.usage_cap_seconds),
            "main pings with a length",
            F.concat_ws(" length ", _document(), seconds.cast("string")),
        ),
        "baseline_time_unit_known": RawMeasure(
            has_duration,
            ~unit_known,
            "baseline pings with a duration",
            F.concat_ws(" unit ", _document(), F.coalesce(F.col("duration_unit"), F.lit("(none)"))),
        ),
        "baseline_duration_plausible": RawMeasure(
            has_duration & unit_known,
            (duration < length["min_seconds"]) | (duration > limits.usage_cap_seconds),
            "baseline pings with a duration",
            F.concat_ws(" seconds ", _document(), F.format_number(duration, 0)),
        ),
        "minidump_hash_shared": RawMeasure(
            F.col("hash_documents").isNotNull() & ~F.col("is_duplicate"),
            F.col("hash_documents") > MAX_DOCUMENTS_PER_CRASH,
            "crash pings with a minidump hash",
            F.format_string("%s... in %d documents", F.substring("minidump_hash", 1, 12), F.col("hash_documents")),
        ),
        "clock_skew_share": RawMeasure(
            F.col("clock_skew_days").isNotNull(),
            F.col("clock_skew_days") > skew["max_days"],
            "pings with a creation date",
            F.concat_ws(" days off ", _document(), F.col("clock_skew_days").cast("string")),
        ),
    }
    for column in cfg["fields_present"]["columns"]:
        file_name = F.element_at(F.split("source_file", "/"), -1)
        measures[f"fields_present:{column}"] = RawMeasure(
            every, F.col(column).isNull(), "lines", F.concat_ws(" in ", "doc_type", file_name)
        )
    return measures


UNIQUE = "unique_document_ids"


def raw_check_counts(frame: DataFrame, limits: Limits) -> dict[date, dict[str, tuple[int, int]]]:
    """One Spark job: per submission date, each raw check's (judged, failing) lines;
    for ``unique_document_ids``, (kept documents, documents kept more than once)."""
    measures = raw_measures(limits)
    counted = [
        column
        for name, m in measures.items()
        for column in (
            F.count_if(m.judged).alias(f"{name}/judged"),
            F.count_if(m.judged & m.failing).alias(f"{name}/failing"),
        )
    ]
    kept = F.col("kept_document")
    rows = (
        frame.groupBy("submission_date")
        .agg(
            F.count(kept).alias(f"{UNIQUE}/judged"),
            (F.count(kept) - F.count_distinct(kept)).alias(f"{UNIQUE}/failing"),
            *counted,
        )
        .collect()
    )
    names = [UNIQUE, *measures]
    return {r["submission_date"]: {n: (int(r[f"{n}/judged"]), int(r[f"{n}/failing"])) for n in names} for r in rows}


def _readable(text: str) -> str:
    """An example as the report shows it: control and formatting characters (NUL,
    right-to-left overrides) as ``?``, at most 80 characters."""
    text = "".join("?" if not ch.isprintable() else ch for ch in text)
    return text[:80]


def shape_text(masked: str) -> str:
    """``{xxxxxxxx-xxxx}`` -> ``{8-4}``: the shape :func:`id_shape` masked, as lengths."""
    return re.sub(r"x+", lambda run: str(len(run.group())), masked)


def failing_examples(frame: DataFrame, day: date, check: str, limits: Limits) -> list[str]:
    """Up to ten examples of the lines failing ``check`` on ``day``: fetched only for a
    check that failed, so a clean night pays nothing for them."""
    rows = frame.where(F.col("submission_date") == F.lit(day))
    if check == UNIQUE:
        repeated = rows.where(F.col("kept_document").isNotNull()).groupBy("kept_document").count()
        found = [r[0] for r in repeated.where(F.col("count") > 1).orderBy("kept_document").limit(MAX_DETAILS).collect()]
    else:
        m = raw_measures(limits)[check]
        failing = rows.where(m.judged & m.failing).select(m.example.alias("example")).distinct()
        found = [r[0] for r in failing.orderBy("example").limit(MAX_DETAILS).collect()]
        if check == "client_id_well_formed":
            found = [shape_text(value) for value in found]
    return [_readable(value or "(empty)") for value in found]


def raw_checks(limits: Limits) -> list[Check]:
    """The raw suite: each check an expectation on its failing share (a column of the
    small frame of :func:`raw_check_counts`), with the thresholds that follow the run's
    flags (the usage cap) taken from ``limits``."""
    cfg = dq_config()["raw"]

    def share_check(name: str, allowed: float, threshold: str, key: str | None = None) -> Check:
        return _check(
            "raw",
            name,
            "counts",
            threshold,
            lambda s: _gxe().ExpectColumnValuesToBeBetween(column=name, min_value=0, max_value=allowed, severity=s),
            key=key,
        )

    def at_most(name: str) -> Check:
        limit = cfg[name]["max_share"]
        return share_check(name, limit, f"at most {_pct(limit)} of lines")

    def at_least(name: str, what: str) -> Check:
        share = cfg[name]["min_share"]
        return share_check(name, 1 - share, f"at least {_pct(share)} {what}")

    length, skew = cfg["subsession_length_plausible"], cfg["clock_skew_share"]
    checks = [
        share_check(UNIQUE, 0, "no document id twice"),
        at_most("duplicate_share"),
        at_most("quarantine_share"),
        at_most("exclusion_share"),
        share_check(
            "minidump_hash_shared",
            cfg["minidump_hash_shared"]["max_share"],
            f"at most {_pct(cfg['minidump_hash_shared']['max_share'])} of hashed crash pings",
        ),
        at_least("client_id_well_formed", "of client ids"),
        at_least("build_id_well_formed", "of build ids"),
        at_least("channel_known", "of pings"),
        at_least("os_known", "of pings"),
        at_least("country_known", "of pings"),
        at_least("check_fields_typed", "of pings"),
        at_least(
            "subsession_length_plausible",
            f"of main pings within {length['min_seconds']}-{limits.usage_cap_seconds} s",
        ),
        at_least("clock_skew_share", f"of pings created within {skew['max_days']} days"),
        at_least("baseline_time_unit_known", "of baseline durations in a known time_unit"),
        at_least(
            "baseline_duration_plausible",
            f"of baseline durations within {length['min_seconds']}-{limits.usage_cap_seconds} s",
        ),
    ]
    present = cfg["fields_present"]
    for column in present["columns"]:
        checks.append(
            share_check(
                f"fields_present:{column}",
                1 - present["min_share"],
                f"at least {_pct(present['min_share'])} not null",
                key="fields_present",
            )
        )
    return checks


# A share check allows for chance: on a small day a few pings decide a share (4 stuck
# sessions of 305 main pings are 1.31%, over a 1% limit, and the generator's clean days
# of that size drew as many once in 180 seeds). A check judges the lowest share the day's pings are
# consistent with, the one-sided 99.9% Wilson bound, so a small day fails only when
# chance cannot explain it; a day of Firefox's size is judged on its share itself.
CHANCE_Z = 3.09


def share_beyond_chance(judged: int, failing: int) -> float:
    """The lowest failing share consistent with ``failing`` of ``judged`` (one-sided 99.9%)."""
    return wilson_interval(failing, judged, CHANCE_Z).low if judged and failing else 0.0


def observed(check: str, judged: int, failing: int, population: str) -> str:
    """What a raw check saw, in words: '1.10% of 364 main pings with a length fail (4;
    at least 0.27% allowing for chance)'."""
    if check == UNIQUE:
        return f"{failing:,} of {judged:,} kept documents repeat an id"
    if not failing:
        return f"0.00% of {judged:,} {population} fail (0)"
    return (
        f"{failing / judged:.2%} of {judged:,} {population} fail ({failing:,}; "
        f"at least {share_beyond_chance(judged, failing):.2%} allowing for chance)"
    )


def failing_share(check: str, judged: int, failing: int) -> float:
    """The value the expectation judges: the failing share of the lines judged, allowing
    for chance (:func:`share_beyond_chance`; 0 when none are judged), or, for
    ``unique_document_ids``, the count of repeated documents."""
    if check == UNIQUE:
        return float(failing)
    return share_beyond_chance(judged, failing)


# -- aggregates ----------------------------------------------------------------------


def day_frame(aggregates: DataFrame, day: date) -> DataFrame:
    """The day's partition, with its smallest measure for the non-negative check."""
    measures = ("ping_count", "usage_hours", "active_hours", *CRASH_MEASURES)
    return aggregates.where(F.col("submission_date") == F.lit(day)).withColumn(
        "smallest_measure", F.least(*[F.col(m).cast("double") for m in measures])
    )


def _median(column: str) -> Column:
    return F.percentile(F.col(column), 0.5)


def _daily(aggregates: DataFrame, day: date, weeks: int) -> DataFrame:
    """Per (submission_date, channel, os) of ``day`` and the same weekday of past weeks:
    pings, hours and the crashes a crash source feeds (main and content)."""
    past_days = [day - timedelta(days=7 * week) for week in range(1, weeks + 1)]
    return (
        aggregates.where(F.col("submission_date").isin(day, *past_days))
        .groupBy("submission_date", "channel", "os")
        .agg(
            F.sum("ping_count").cast("double").alias("pings"),
            F.sum("usage_hours").alias("hours"),
            F.sum(F.col("main_crashes") + F.col("content_crashes")).cast("double").alias("crashes"),
        )
    )


def _against_history(daily: DataFrame, day: date, cfg: dict, size: str, two_sided: bool) -> DataFrame:
    """Per (channel, os, measure) judged: today against the same weekday of past weeks.

    ``daily`` has submission_date, channel, os, measure, value and ``size`` (what must
    be large enough, on median, for the series to be judged: ``cfg["min_<size>"]``).
    Robust statistics, because history has outliers of its own: the median of the
    past weeks, and the median absolute deviation (MAD) to widen the band for noisy
    series (nightly is small and noisy, release large and steady). One-sided bands
    judge drops only; two-sided ones, rises too.
    """
    keys = ["channel", "os", "measure"]
    past = daily.where(F.col("submission_date") != F.lit(day))
    # The weeks judged against, kept for the report's chart of a failing series.
    week = F.struct(F.col("submission_date").cast("string").alias("day"), F.col("value"))
    typical = past.groupBy(*keys).agg(
        _median("value").alias("median"),
        _median(size).alias("median_size"),
        F.count("*").alias("weeks"),
        F.sort_array(F.collect_list(week)).alias("history"),
    )
    spread = (
        past.join(typical, keys)
        .withColumn("deviation", F.abs(F.col("value") - F.col("median")))
        .groupBy(*keys)
        .agg(_median("deviation").alias("mad"))
    )
    today = daily.where(F.col("submission_date") == F.lit(day)).select(*keys, F.col("value").alias("today"))
    limits = F.create_map(*[F.lit(x) for pair in cfg["max_change"].items() for x in pair])
    allowed = F.greatest(
        F.coalesce(limits[F.col("channel")], limits[F.lit(OTHER)]),
        F.lit(cfg["mad_factor"] * MAD_TO_SIGMA) * F.col("mad") / F.col("median"),
    )
    judged = (
        typical.join(spread, keys)
        .join(today, keys, "left")
        .where((F.col("weeks") >= cfg["min_weeks"]) & (F.col("median_size") >= cfg[f"min_{size}"]))
        # A platform with nothing at all today is the worst drop, not a missing row.
        .withColumn("today", F.coalesce("today", F.lit(0.0)))
        .withColumn("allowed", F.least(allowed, F.lit(1.0)) if not two_sided else allowed)
        .withColumn("change", F.col("today") / F.col("median") - 1)
    )
    within = F.col("change") >= -F.col("allowed")
    if two_sided:
        within = within & (F.col("change") <= F.col("allowed"))
    shown = ("channel", "os", "measure", "today", "median", "weeks")
    return judged.select(
        *shown,
        "allowed",
        "change",
        "history",
        within.alias("within_band"),
        F.format_string(
            f"%s %s %s: %,.{2 if two_sided else 0}f today vs median %,.{2 if two_sided else 0}f over %d weeks "
            f"(%+.0f%%, allowed {'±' if two_sided else '-'}%.0f%%)",
            *shown,
            F.col("change") * 100,
            F.col("allowed") * 100,
        ).alias("summary"),
    )


def volume_frame(aggregates: DataFrame, day: date) -> DataFrame:
    """Pings and usage hours per channel and platform against the same weekday of past weeks:
    a drop beyond the band fails (a platform whose telemetry stopped arriving)."""
    cfg = dq_config()["aggregates"]["volume_vs_history"]
    daily = (
        _daily(aggregates, day, cfg["weeks"])
        .withColumn("size", F.col("pings"))
        .unpivot(["submission_date", "channel", "os", "size"], ["pings", "hours"], "measure", "value")
    )
    return _against_history(daily, day, cfg, "size", two_sided=False).withColumnRenamed("allowed", "allowed_drop")


def crash_rate_frame(aggregates: DataFrame, day: date) -> DataFrame:
    """Main and content crashes per 1,000 usage hours per channel and platform against the
    same weekday of past weeks, both ways: a crash source that goes silent (a format
    Firefox stopped sending, a lost partition) or doubles (counted twice) fails."""
    cfg = dq_config()["aggregates"]["crash_rate_vs_history"]
    daily = _daily(aggregates, day, cfg["weeks"]).select(
        "submission_date",
        "channel",
        "os",
        F.lit("crashes per 1000 h").alias("measure"),
        F.when(F.col("hours") > 0, 1000 * F.col("crashes") / F.col("hours")).alias("value"),
        F.col("crashes").alias("size"),
    )
    return _against_history(daily, day, cfg, "size", two_sided=True)


def calendar_frame(day_rows: DataFrame) -> DataFrame:
    """Display versions dated from build ids, not the calendar, with their share of the channel."""
    cfg = dq_config()["aggregates"]["busy_version_missing_from_calendar"]
    in_channels = day_rows.where(F.col("channel").isin(*cfg["channels"]))
    totals = in_channels.groupBy("channel").agg(F.sum("ping_count").alias("channel_pings"))
    return (
        in_channels.where(F.col("release_date_source") == "build_id")
        .groupBy("channel", "display_version")
        .agg(F.sum("ping_count").alias("pings"))
        .join(totals, "channel")
        .select("channel", "display_version", "pings", (F.col("pings") / F.col("channel_pings")).alias("share"))
    )


def parity_frame(spark: SparkSession, parity: DataFrame | None, day: date) -> DataFrame:
    """Firefox desktop's usage hours from its two sources (table ``usage_parity``) per
    channel and platform, where both have enough hours to compare: ``drift`` is their
    difference over the larger. A warehouse without the table judges nothing."""
    cfg = dq_config()["aggregates"]["usage_sources_agree"]
    schema = "channel string, os string, main_hours double, baseline_hours double, drift double, summary string"
    if parity is None:
        return local_frame(spark, [], schema)
    main, baseline = F.sum("main_usage_hours"), F.sum("baseline_usage_hours")
    both = (
        parity.where(F.col("submission_date") == F.lit(day))
        .groupBy("channel", "os")
        .agg(main.alias("main_hours"), baseline.alias("baseline_hours"))
        .where(F.least("main_hours", "baseline_hours") >= cfg["min_hours"])
    )
    drift = F.abs(F.col("main_hours") - F.col("baseline_hours")) / F.greatest("main_hours", "baseline_hours")
    return both.withColumn("drift", drift).withColumn(
        "summary",
        F.format_string(
            "%s %s: main %,.1f h, baseline %,.1f h (%.1f%% apart)",
            "channel",
            "os",
            "main_hours",
            "baseline_hours",
            F.col("drift") * 100,
        ),
    )


def aggregate_checks(expected_pings: int) -> list[Check]:
    cfg = dq_config()["aggregates"]
    calendar = cfg["busy_version_missing_from_calendar"]

    def history_check(name: str, frame: str, what: str) -> Check:
        """Every judged (channel, os) of ``frame`` within its band (see :func:`_against_history`)."""
        limits = ", ".join(f"{k} {_pct(v)}" for k, v in cfg[name]["max_change"].items())
        return _check(
            "aggregates",
            name,
            frame,
            f"{what} no larger than the channel's limit or {cfg[name]['mad_factor']:g} MADs: {limits}",
            lambda s: _gxe().ExpectColumnValuesToBeInSet(column="within_band", value_set=[True], severity=s),
        )

    return [
        _check(
            "aggregates",
            "non_negative",
            "day",
            "smallest count or hours >= 0",
            lambda s: _gxe().ExpectColumnMinToBeBetween(column="smallest_measure", min_value=0, severity=s),
        ),
        _check(
            "aggregates",
            "grain_unique",
            "day",
            "one row per dimensions",
            lambda s: _gxe().ExpectCompoundColumnsToBeUnique(
                column_list=list(DIMENSIONS), ignore_row_if="never", severity=s
            ),
        ),
        _check(
            "aggregates",
            "reconciles_with_dq_metrics",
            "day",
            f"sum of ping_count = {expected_pings:,} (dq_metrics)",
            lambda s: _gxe().ExpectColumnSumToBeBetween(
                column="ping_count", min_value=expected_pings, max_value=expected_pings, severity=s
            ),
        ),
        history_check("volume_vs_history", "volume", "drop"),
        history_check("crash_rate_vs_history", "crash_rate", "change either way"),
        _check(
            "aggregates",
            "usage_sources_agree",
            "parity",
            f"desktop hours of main and baseline pings within {_pct(cfg['usage_sources_agree']['max_drift'])}",
            lambda s: _gxe().ExpectColumnValuesToBeBetween(
                column="drift", max_value=cfg["usage_sources_agree"]["max_drift"], severity=s
            ),
        ),
        _check(
            "aggregates",
            "busy_version_missing_from_calendar",
            "calendar",
            f"no undated version above {_pct(calendar['max_share'])} of its channel's pings",
            lambda s: _gxe().ExpectColumnValuesToBeBetween(column="share", max_value=calendar["max_share"], severity=s),
        ),
    ]


HISTORY_FRAMES = {"volume_vs_history": ("volume", False), "crash_rate_vs_history": ("crash_rate", True)}


def failing_histories(frame: DataFrame, day: date, two_sided: bool) -> list[dict]:
    """The series of a history frame that left their band, for the report's charts: per
    (channel, os, measure), the past weeks' values, today's, and the band allowed."""
    series = []
    for r in frame.where(~F.col("within_band")).orderBy("channel", "os", "measure").collect():
        allowed = r["allowed"] if "allowed" in r else r["allowed_drop"]
        points = [{"day": h["day"], "value": h["value"], "today": False} for h in r["history"]]
        points.append({"day": day.isoformat(), "value": r["today"], "today": True})
        series.append(
            {
                "title": f"{r['channel']} {r['os']} {r['measure']}",
                "measure": r["measure"],
                "points": points,
                "low": r["median"] * (1 - allowed),
                "high": r["median"] * (1 + allowed) if two_sided else None,
            }
        )
    return series


AGGREGATE_INDEX_COLUMNS = {
    "volume": ["summary"],
    "crash_rate": ["summary"],
    "calendar": ["channel", "display_version", "pings"],
    "parity": ["summary"],
}
