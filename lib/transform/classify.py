"""Parsed pings to classified pings: every line gets its dimensions and one disposition.

Chain, for one doc type, over lines of one submission date or many (:func:`classify_lines`)::

    parsed.transform(with_dimensions(doc_type))
          .transform(with_crash_details(doc_type))
          .transform(with_quarantine_reason)
          .transform(keep_raw_for_quarantine)
          .transform(with_release_dates(calendar))

then, over the doc types (:func:`classify`), ``with_disposition``: main pings
on their own, the crash pings of both formats together, so one crash sent as a
legacy and as a Glean ping is counted once. ``disposition`` is ``aggregated``,
``duplicate``, ``excluded`` or ``quarantined``, one per line; the files' own line
count is what the job checks the sum against (SPEC sections 3 and 4).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from functools import reduce

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from lib.contract.vocabulary import (
    ANDROID,
    CRASH_DOC_TYPES,
    CRASH_KEYS,
    DEGENERATE_MINIDUMP_HASHES,
    DESKTOP,
    DOC_TYPES,
    GLEAN_DOC_TYPES,
    GLEAN_OS_NAMES,
    MOZ_CRASH_REASON_LENGTH,
    NAMESPACES,
    OS_NAMES,
    TIME_UNIT_SECONDS,
    Limits,
)
from lib.ingest.pings import leaves, ping_schema
from lib.transform import rules

AGGREGATED, DUPLICATE, EXCLUDED, QUARANTINED = "aggregated", "duplicate", "excluded", "quarantined"
# Why an excluded ping was: a namespace no application of ours, a build too old or too
# new, or the desktop usage source the run does not count (it feeds usage_parity).
UNKNOWN_APPLICATION, BUILD_AGE, OTHER_USAGE_SOURCE = "unknown_application", "build_age", "other_usage_source"
# Identifiers a quarantined line must not carry out of the job: any key named so, in any
# object (the legacy clientId and profileGroupId, Glean's client_info.client_id, and the
# legacy ids desktop baseline pings carry as Glean uuid metrics).
IDENTIFIER_FIELDS = (
    "clientId",
    "profileGroupId",
    "client_id",
    "profile_group_id",
    "legacy.telemetry.client_id",
    "legacy.telemetry.profile_group_id",
)

Transform = Callable[[DataFrame], DataFrame]


def _literal_map(mapping: Mapping[str, str | None]) -> Column:
    return F.create_map(*[F.lit(x) for pair in mapping.items() for x in pair])


def application(doc_type: str) -> Column:
    """``desktop`` or ``android``: a legacy ping is Firefox desktop's; a Glean ping's
    namespace names its application (none: desktop); null for a namespace not known."""
    if doc_type not in GLEAN_DOC_TYPES:
        return F.lit(DESKTOP)
    known = _literal_map({namespace: app for namespace, (app, _) in NAMESPACES.items()})
    return F.when(F.col("namespace").isNull(), F.lit(DESKTOP)).otherwise(known[F.col("namespace")])


def is_android() -> Column:
    """Needs ``application``: true for Firefox for Android, whose build-id rules differ."""
    return F.coalesce(F.col("application") == ANDROID, F.lit(False))


def _namespace_channel() -> Column:
    """The channel an Android app id implies (``org-mozilla-firefox-beta`` is beta)."""
    return _literal_map({namespace: channel for namespace, (_, channel) in NAMESPACES.items()})[F.col("namespace")]


def _legacy_dimensions(app: Column) -> dict[str, Column]:
    version = F.coalesce("app_version", "env_version")
    return {
        "channel": rules.channel(F.col("app_channel")),
        "version": version,
        "display_version": F.coalesce("app_display_version", "env_display_version", version),
        "build_id": F.coalesce("app_build_id", "env_build_id"),
        "os": rules.os_family(F.col("os_name"), OS_NAMES),
        "architecture": F.coalesce("env_architecture", "app_architecture"),
    }


def _glean_crash_dimensions(app: Column) -> dict[str, Column]:
    # The crash.app_* metrics first: the crash is often reported by the next start
    # of Firefox, maybe an updated build, and client_info describes that reporter.
    # Android's build is its version code in client_info, which its usage rows carry too.
    display_version = F.coalesce("crashed_display_version", "reporter_display_version")
    android = F.coalesce(app == ANDROID, F.lit(False))
    return {
        "channel": rules.channel(F.coalesce("crashed_channel", "reporter_channel", _namespace_channel())),
        "version": rules.version_of_display(display_version),
        "display_version": display_version,
        "build_id": F.when(android, F.col("reporter_build_id")).otherwise(
            F.coalesce("crashed_build_id", "reporter_build_id")
        ),
        "os": rules.os_family(F.col("os_name"), GLEAN_OS_NAMES),
        "architecture": F.col("architecture_raw"),
    }


def _glean_baseline_dimensions(app: Column) -> dict[str, Column]:
    display_version = F.col("reporter_display_version")
    return {
        "channel": rules.channel(F.coalesce("reporter_channel", _namespace_channel())),
        "version": rules.version_of_display(display_version),
        "display_version": display_version,
        "build_id": F.col("reporter_build_id"),
        "os": rules.os_family(F.col("os_name"), GLEAN_OS_NAMES),
        "architecture": F.col("architecture_raw"),
    }


DIMENSION_SOURCES = {
    "main": _legacy_dimensions,
    "crash": _legacy_dimensions,
    "glean_crash": _glean_crash_dimensions,
    "glean_baseline": _glean_baseline_dimensions,
}


def with_dimensions(doc_type: str) -> Transform:
    """Needs the parsed leaf columns of ``doc_type``; adds ``doc_type``, ``application``,
    the output dimensions and ``build_date``, each from its format's fields (SPEC section 3).

    The parse has already turned empty strings into nulls, so each ``coalesce``
    falls back on a missing, null or empty field alike. An Android build id is a
    version code: it has no build date (SPEC's Android rules).
    """

    def transform(pings: DataFrame) -> DataFrame:
        app = application(doc_type)
        source = DIMENSION_SOURCES[doc_type](app)
        desktop = F.coalesce(app == DESKTOP, F.lit(False))
        return pings.select(
            "*",
            F.lit(doc_type).alias("doc_type"),
            app.alias("application"),
            source["channel"].alias("channel"),
            source["version"].alias("version"),
            rules.major_version(source["version"]).alias("major_version"),
            source["display_version"].alias("display_version"),
            source["build_id"].alias("build_id"),
            F.when(desktop, rules.build_date(source["build_id"])).alias("build_date"),
            source["os"].alias("os"),
            rules.os_version(F.col("os_version_raw")).alias("os_version"),
            source["architecture"].alias("architecture"),
            rules.country(F.col("geo_country")).alias("country"),
        )

    return transform


def _present(column: str) -> Column:
    return F.col(column).isNotNull()


def _legacy_crash() -> dict[str, Column]:
    stack = F.col("stack_traces")
    return {
        "startup_crash": F.coalesce(F.col("startup_crash_flag") == "1", F.lit(False)),
        "oom_crash": _present("oom_allocation_size_text"),
        "shutdown_hang_crash": _present("async_shutdown_timeout_text"),
        "background_task_crash": _present("background_task_name"),
        "crash_type": F.try_variant_get(stack, "$.crash_info.type", "string"),
        "crashing_module": rules.crashing_module(
            stack, F.try_variant_get(stack, "$.crash_info.crashing_thread", "int")
        ),
    }


def _glean_crash() -> dict[str, Column]:
    stack = F.col("stack_traces")
    return {
        "startup_crash": F.coalesce(F.col("startup_flag"), F.lit(False)),
        "oom_crash": _present("oom_allocation_size"),
        "shutdown_hang_crash": _present("async_shutdown_timeout"),
        "background_task_crash": _present("background_task_name"),
        "crash_type": F.try_variant_get(stack, "$.crash_type", "string"),
        "crashing_module": rules.crashing_module(stack, F.try_variant_get(stack, "$.crash_thread", "int")),
    }


CRASH_SOURCES = {"crash": _legacy_crash, "glean_crash": _glean_crash}


def with_crash_details(doc_type: str) -> Transform:
    """For a crash doc type, needs its parsed leaf columns; adds the crash classes
    (``startup_crash``, ``oom_crash``, ``shutdown_hang_crash``, ``background_task_crash``,
    booleans) and what the crash was (``crash_type``, ``crashing_module``,
    ``moz_crash_reason``), the same names whatever the format. Other doc types pass."""

    def transform(pings: DataFrame) -> DataFrame:
        if doc_type not in CRASH_SOURCES:
            return pings
        details = CRASH_SOURCES[doc_type]()
        reason = F.substring(F.col("moz_crash_reason_raw"), 1, MOZ_CRASH_REASON_LENGTH)
        return pings.select(
            "*", *[column.alias(name) for name, column in details.items()], reason.alias("moz_crash_reason")
        )

    return transform


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


def _negative_ticks(pings: DataFrame) -> Column:
    checks = [
        F.when(F.col(column) < 0, F.concat(F.lit(f"{column} = "), F.col(column)))
        for column in ("active_ticks", "active_ticks_flat", "active_ticks_non_synthesized")
        if column in pings.columns
    ]
    return F.coalesce(*checks) if checks else F.lit(None).cast("string")


def with_quarantine_reason(pings: DataFrame) -> DataFrame:
    """Needs :func:`with_dimensions`; adds ``reason`` and ``detail``, null for a good ping.

    The first problem found names the line, in the order below.
    """
    has_length = "subsession_length" in pings.columns
    negative_length = F.col("subsession_length") < 0 if has_length else F.lit(False)
    negative_sum = _negative_crash_sum(pings)
    negative_ticks = _negative_ticks(pings)
    has_duration = "duration_value" in pings.columns
    duration = F.col("duration_value") if has_duration else F.lit(None).cast("long")
    unit = F.col("duration_unit") if has_duration else F.lit(None).cast("string")
    problems: list[tuple[str, Column, Column]] = [
        ("not_json_object", F.col("json_error").isNotNull(), F.col("json_error")),
        ("wrong_type", F.col("type_error").isNotNull(), F.col("type_error")),
        ("missing_id", F.col("doc_id").isNull(), F.lit(None)),
        ("missing_channel", F.col("channel").isNull(), F.lit(None)),
        ("missing_version", F.col("version").isNull(), F.lit(None)),
        ("missing_build_id", F.col("build_id").isNull(), F.lit(None)),
        (
            "malformed_version",
            ~rules.looks_like_firefox_version(F.col("version"))
            | ~rules.looks_like_firefox_version(F.col("display_version")),
            F.concat_ws(" / ", rules.printable(F.col("version")), rules.printable(F.col("display_version"))),
        ),
        ("malformed_build_id", F.col("build_date").isNull() & (F.col("application") == DESKTOP), F.col("build_id")),
        (
            "negative_subsession_length",
            negative_length,
            F.col("subsession_length").cast("string") if has_length else F.lit(None),
        ),
        ("negative_active_ticks", negative_ticks.isNotNull(), negative_ticks),
        (
            "unknown_time_unit",
            duration.isNotNull() & ~F.coalesce(unit.isin(*TIME_UNIT_SECONDS), F.lit(False)),
            F.coalesce(rules.printable(unit), F.lit("(none)")),
        ),
        ("negative_baseline_duration", duration < 0, duration.cast("string")),
        ("negative_crash_sum", negative_sum.isNotNull(), negative_sum),
    ]
    reason = F.lit(None).cast("string")
    detail = F.lit(None).cast("string")
    for name, found, why in reversed(problems):
        reason = F.when(found, F.lit(name)).otherwise(reason)
        detail = F.when(found, why.cast("string")).otherwise(detail)
    return pings.withColumns({"reason": reason, "detail": detail})


def with_release_dates(calendar: DataFrame) -> Transform:
    """Needs ``submission_date``, ``application``, ``display_version``, ``major_version`` and
    ``build_date``; adds ``release_date``, ``release_date_source`` (``calendar`` or
    ``build_id``) and ``release_age_days``.

    ``calendar`` has ``display_version`` and ``release_date`` (see lib.ingest.calendar).
    Firefox for Android, whose build id holds no date, falls back on the calendar's
    date of its major version (``147.0`` for ``147.0.2``), else has none (SPEC section 3).
    """

    def transform(pings: DataFrame) -> DataFrame:
        dates = F.broadcast(calendar)
        by_display = dates.select("display_version", F.col("release_date").alias("_calendar_date"))
        by_major = dates.select(
            F.col("display_version").alias("_major_release"), F.col("release_date").alias("_major_date")
        )
        major_release = F.when(is_android(), F.concat(F.col("major_version").cast("string"), F.lit(".0")))
        joined = (
            pings.join(by_display, "display_version", "left")
            .withColumn("_major_release", major_release)
            .join(by_major, "_major_release", "left")
        )
        from_calendar = F.coalesce("_calendar_date", "_major_date")
        release_date = F.coalesce(from_calendar, "build_date")
        return joined.select(
            *pings.columns,
            release_date.alias("release_date"),
            F.when(from_calendar.isNotNull(), F.lit("calendar"))
            .when(F.col("build_date").isNotNull(), F.lit("build_id"))
            .alias("release_date_source"),
            F.datediff(F.col("submission_date"), release_date).alias("release_age_days"),
        )

    return transform


def submitted_at(timestamp: Column) -> Column:
    """``meta.submissionTimestamp`` as an instant, so ``...12.5+01:00`` sorts before
    ``...12.123Z`` when it happened first; text that is no timestamp is null (sorts last)."""
    return timestamp.try_cast("timestamp")


def first_copy_order() -> list[Column]:
    """Which copy of a ping is kept (SPEC section 3): the earliest instant, then the legacy
    format, then the smallest document id; file and line content make a re-run pick the same."""
    return [
        submitted_at(F.col("submission_timestamp")).asc_nulls_last(),
        F.when(F.col("doc_type") == "glean_crash", 1).otherwise(0),
        F.col("doc_id"),
        F.col("source_file"),
        F.col("line_hash"),
    ]


def with_disposition(limits: Limits, by_minidump_hash: bool = False) -> Transform:
    """Needs ``submission_date``, ``doc_type``, ``application``, ``reason``, ``doc_id`` and
    ``build_date`` (and ``minidump_hash``, ``client_id`` and ``process_type`` with
    ``by_minidump_hash``); adds ``disposition``, ``exclusion`` (why an excluded ping was)
    and ``same_document`` (true for a duplicate of a document id, as against one crash
    in two formats).

    With ``by_minidump_hash`` it also adds ``hash_documents``: how many documents of the
    date share the ping's minidump hash (what the ``minidump_hash_shared`` check judges),
    and ``hash_merges``: whether that hash identifies one crash (the guards below), which
    the hourly runs reuse across their batches (:mod:`lib.transform.hourly`).

    Quarantine comes first; among the remaining pings of a submission date, the first
    copy of each document id within a doc type, and (crash pings, across formats) of each
    minidump hash of one process type, is kept and the others are duplicates of their
    own doc type. A hash merges nothing when it is the empty file's (a failed minidump
    write) or when, within one format, more than one client sent it. A kept ping is
    excluded when its namespace is no application of ours, when it was built more than
    ``max_build_age_days`` before the submission date or more than
    ``max_build_lead_days`` after it (an Android build has no date: never), or when it
    is Firefox desktop's usage from the source the run does not count
    (``limits.desktop_usage``): that one feeds ``usage_parity`` only.
    """

    def transform(pings: DataFrame) -> DataFrame:
        quarantined = F.col("reason").isNotNull()
        by_id = Window.partitionBy("submission_date", quarantined, "doc_type", "doc_id").orderBy(*first_copy_order())
        # same_document: a later copy of a document id (a duplicate storm shows here); the
        # other duplicates are one crash sent in both formats, as the transition does.
        pings = pings.withColumn("same_document", ~quarantined & (F.row_number().over(by_id) > 1))
        duplicate = F.col("same_document")
        if by_minidump_hash:
            # A ping without a hash is its own group (a unique key), so no partition collects them all.
            own_key = F.concat_ws(":", "doc_type", "source_file", F.col("line_hash").cast("string"))
            hashed = F.col("minidump_hash")
            # Every window below groups within one (date, quarantined, hash or own key): one
            # shuffle by those columns serves them all (Spark reuses a hash partitioning for
            # any window whose keys include its keys), instead of one shuffle a window.
            pings = pings.withColumns(
                {"_quarantined": quarantined, "_crash": F.coalesce(hashed, own_key), "_own": own_key}
            ).repartition("submission_date", "_quarantined", "_crash")
            process = F.coalesce("process_type", F.lit("main"))
            crash = [F.col("submission_date"), F.col("_quarantined"), F.col("_crash"), process]
            # One crash is one client's crash of one process. Within one format, a hash that
            # several clients sent (a failed minidump write, a storm) merges nothing; across
            # formats the clients cannot be compared (Glean's client id is not the legacy one).
            client = F.coalesce("client_id", F.col("_own"))
            in_format = Window.partitionBy(*crash, "doc_type")
            one_client = (F.min(client).over(in_format) == F.max(client).over(in_format)).cast("int")
            pings = pings.withColumn("_one_client", one_client)
            usable = (
                hashed.isNotNull()
                & ~hashed.isin(*DEGENERATE_MINIDUMP_HASHES)
                & (F.min("_one_client").over(Window.partitionBy(*crash)) == 1)
            )
            pings = pings.withColumn("hash_merges", usable)
            # The copies of one crash: a merging hash's pings of one process, else a line and
            # its identical copies in the same file (the own key).
            copies = F.when(F.col("hash_merges"), F.lit(None).cast("string")).otherwise(F.col("_own"))
            by_hash = Window.partitionBy(*crash, copies).orderBy(*first_copy_order())
            duplicate = duplicate | (F.row_number().over(by_hash) > 1)
            sharing = Window.partitionBy("submission_date", "_quarantined", "_crash")
            documents = F.sum(F.when(~F.col("same_document"), 1).otherwise(0)).over(sharing)
            pings = pings.withColumn("hash_documents", F.when(hashed.isNotNull(), documents))
        build_age = F.datediff(F.col("submission_date"), F.col("build_date"))
        out_of_range = (build_age > limits.max_build_age_days) | (build_age < -limits.max_build_lead_days)
        parity_only = (F.col("doc_type") == limits.parity_doc_type) & (F.col("application") == DESKTOP)
        exclusion = (
            F.when(F.col("application").isNull(), F.lit(UNKNOWN_APPLICATION))
            .when(out_of_range, F.lit(BUILD_AGE))
            .when(parity_only, F.lit(OTHER_USAGE_SOURCE))
        )
        decided = pings.withColumn(
            "disposition",
            F.when(quarantined, F.lit(QUARANTINED))
            .when(duplicate, F.lit(DUPLICATE))
            .when(exclusion.isNotNull(), F.lit(EXCLUDED))
            .otherwise(F.lit(AGGREGATED)),
        ).withColumn("exclusion", F.when(F.col("disposition") == EXCLUDED, exclusion))
        return decided.drop("_one_client", "_quarantined", "_crash", "_own")

    return transform


def _any_spelling(name: str) -> str:
    """A Java regex of every JSON string body that decodes to ``name``: each character
    as itself or as a ``\\uXXXX`` escape (either case of hex digits), so that
    ``"\\u0063lientId"`` is the key ``clientId`` it means. The names hold only ASCII
    letters, dots and underscores, which JSON can spell no other way."""

    def escaped(char: str) -> str:
        digits = "".join(f"[{d.lower()}{d.upper()}]" if d.isalpha() else d for d in f"{ord(char):04x}")
        return rf"\\u{digits}"

    return "".join(f"(?:{re.escape(char)}|{escaped(char)})" for char in name)


# A JSON string, possessive so that a megabyte of text never recurses in Java's regex engine.
_JSON_STRING = r'"(?:[^"\\]++|\\.)*+"'
# A JSON value the redaction can replace: a string, a number or literal, or an object or
# array without nested brackets outside its strings. A deeper value is not matched, and
# the line is withheld.
_JSON_VALUE = (
    rf"{_JSON_STRING}|[-+0-9.eE]++|true|false|null"
    rf'|\{{(?:[^{{}}"]++|{_JSON_STRING})*+\}}|\[(?:[^\[\]"]++|{_JSON_STRING})*+\]'
)
_IDENTIFIER_KEY = '"(?:' + "|".join(_any_spelling(name) for name in IDENTIFIER_FIELDS) + ')"'
WITHHELD = "<line withheld: a client identifier in it could not be redacted>"


def redact_identifiers(raw: Column) -> Column:
    """The raw line with client identifiers replaced by ``"<redacted>"``, whatever their
    JSON type and however their key is spelled (``"client\\u0049d"`` is ``clientId``,
    spaces around the colon are JSON's): quarantine keeps lines, not people. The line
    need not be valid JSON (a truncated ping is quarantined too). A line where an
    identifier is left (a value nested deeper than the pattern reads, a value cut off
    by the end of the line) is withheld whole."""
    key = rf"({_IDENTIFIER_KEY}\s*+:\s*+)"
    # The value must end where JSON lets it (``1234abcd`` is no number to cut in two).
    value = rf"(?:{_JSON_VALUE})(?=\s*+(?:[,}}\]]|$))"
    redacted = F.regexp_replace(raw, key + value, '$1"<redacted>"')
    left = redacted.rlike(rf'{_IDENTIFIER_KEY}\s*+:\s*+(?!"<redacted>")')
    return F.when(left, F.lit(WITHHELD)).otherwise(redacted)


def keep_raw_for_quarantine(pings: DataFrame) -> DataFrame:
    """Needs ``reason``; blanks ``raw`` on good lines (so later shuffles do not carry
    kilobytes of JSON per ping) and redacts identifiers on the ones kept."""
    return pings.withColumn("raw", F.when(F.col("reason").isNotNull(), redact_identifiers(F.col("raw"))))


def with_quarantined_text(quarantined: DataFrame, lines: DataFrame) -> DataFrame:
    """Needs ``source_file``, ``line_hash`` and ``raw``, which the fast parse leaves null on
    the lines it read (:func:`lib.ingest.pings.fast_parse_pings`); fills it, redacted, from
    ``lines`` (:func:`lib.ingest.landing.read_lines` of the same partitions).

    For the few rows a rule quarantined after a clean parse (a missing id, a negative
    length): only their keys are broadcast to the scan of ``lines``, which keeps just
    the lines they name, and no parse runs again.
    """
    keys = ["source_file", "line_hash"]
    wanted = quarantined.where(F.col("raw").isNull()).select(*keys).distinct()
    # Identical lines of one file share a key and a text: one of them is enough.
    found = lines.select(*keys, "raw").join(F.broadcast(wanted), keys, "left_semi").dropDuplicates(keys)
    text = redact_identifiers(F.col("_text"))
    return quarantined.join(found.withColumnRenamed("raw", "_text"), keys, "left").select(
        *[F.coalesce("raw", text).alias("raw") if c == "raw" else F.col(c) for c in quarantined.columns]
    )


def classify_lines(parsed: DataFrame, doc_type: str, calendar: DataFrame) -> DataFrame:
    """One doc type's parsed lines with everything but their disposition, in order."""
    return (
        parsed.transform(with_dimensions(doc_type))
        .transform(with_crash_details(doc_type))
        .transform(with_quarantine_reason)
        .transform(keep_raw_for_quarantine)
        .transform(with_release_dates(calendar))
    )


def union_all(frames: list[DataFrame]) -> DataFrame:
    """The rows of every frame, by column name; a column some frames lack is null there."""
    return reduce(lambda a, b: a.unionByName(b, allowMissingColumns=True), frames)


def classify(parsed: Mapping[str, DataFrame], calendar: DataFrame, limits: Limits) -> DataFrame:
    """Parsed lines of every doc type (``{doc_type: parsed}``, each line with its
    ``submission_date``: one date or a range of them), classified: one
    frame with ``doc_type``. Crash pings of both formats are de-duplicated together."""
    lines = {doc_type: classify_lines(frame, doc_type, calendar) for doc_type, frame in parsed.items()}
    crashes = [lines[d] for d in CRASH_DOC_TYPES if d in lines]
    others = [frame for d, frame in lines.items() if d not in CRASH_DOC_TYPES]
    decided = [frame.transform(with_disposition(limits)) for frame in others]
    if crashes:
        decided.append(union_all(crashes).transform(with_disposition(limits, by_minidump_hash=True)))
    return with_every_field(union_all(decided))


def with_every_field(classified: DataFrame) -> DataFrame:
    """Every parsed field of every doc type, null where the doc types present lack it: the
    rules downstream read a field by name whichever doc types a run (or a test) has."""
    present = set(classified.columns)
    missing = {
        leaf.column: F.lit(None).cast(leaf.data_type)
        for doc_type in DOC_TYPES
        for leaf in leaves(ping_schema(doc_type))
        if leaf.column not in present
    }
    return classified.withColumns(missing) if missing else classified


def checkpointed(classified: DataFrame) -> DataFrame:
    """The classified lines, computed once and kept on the executors, with their plan cut.

    Everything after the classification (the checks' dozens of queries, every table's
    rows) reads these rows; a mere ``persist`` keeps the whole parse in each query's
    plan, and Spark analyses that plan again for every query (measured: 1 s a query
    against 0.2 s). A local checkpoint is not rebuilt if an executor holding it dies
    (the run fails and Airflow retries it); Spark keeps executors that hold it
    (``spark.dynamicAllocation.cachedExecutorIdleTimeout`` is infinite by default).
    """
    return classified.localCheckpoint(eager=True)
