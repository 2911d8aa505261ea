"""Usage from Glean baseline pings, active hours, one usage source per application and
date, and Firefox for Android (SPEC section 3: the baseline table and the Android rules)."""

from __future__ import annotations

from datetime import date

import pytest

from lib.contract.vocabulary import Limits
from lib.ingest.calendar import CALENDAR_SCHEMA
from lib.ingest.pings import parse_pings
from lib.runtime.local_frames import local_frame
from lib.transform.aggregate import to_crash_aggregates, to_dq_metrics, to_ping_measures
from lib.transform.classify import classify, union_all
from tests.pingbuilder import (
    DAY,
    DELETE,
    android_baseline_ping,
    android_crash_ping,
    baseline_ping,
    crash_ping,
    line_key,
    lines,
    main_ping,
)

DURATION = "metrics/timespan/glean.baseline.duration"
TICKS = "metrics/counter/browser.engagement.active_ticks_non_synthesized"
PLAIN_TICKS = "metrics/counter/browser.engagement.active_ticks"
MAIN_TICKS = "payload/processes/parent/scalars/browser.engagement.active_ticks"  # the key Firefox sends
DEFAULT, GLEAN_SOURCE = Limits(), Limits(desktop_usage="glean")


def classified(spark, limits=DEFAULT, calendar=(), **by_doc_type):
    dates = local_frame(spark, calendar, CALENDAR_SCHEMA)
    parsed = {d: parse_pings(lines(spark, *pings), d) for d, pings in by_doc_type.items()}
    return classify(parsed, dates, limits)


def by_id(spark, pings, **options) -> dict:
    """Baseline pings classified together (one Spark job), by position: ``case-<n>``."""
    tagged = [{**ping, "meta": {**ping["meta"], "documentId": f"case-{n}"}} for n, ping in enumerate(pings)]
    return {r.doc_id: r.asDict() for r in classified(spark, **options, glean_baseline=tagged).collect()}


def usage(spark, pings, doc_type="glean_baseline", limits=GLEAN_SOURCE) -> list[tuple]:
    """(ping_count, usage_hours, active_hours) of each ping, sorted (rows come in any order)."""
    rows = to_ping_measures(classified(spark, limits, **{doc_type: pings}), doc_type, limits).collect()
    assert len(rows) == len(pings)
    return sorted((r.ping_count, r.usage_seconds / 3600, r.active_seconds / 3600) for r in rows)


DIMENSION_CASES = [
    (baseline_ping(), "channel", "release"),
    (baseline_ping(**{"client_info.app_channel": "Nightly"}), "channel", "nightly"),
    (baseline_ping(**{"client_info.app_display_version": "147.0b3"}), "display_version", "147.0b3"),
    (baseline_ping(**{"client_info.app_display_version": "147.0b3"}), "version", "147.0"),
    (baseline_ping(**{"client_info.app_display_version": "147.0b3"}), "major_version", 147),
    (baseline_ping(), "build_id", "20261110093015"),
    (baseline_ping(), "os", "Windows"),
    (baseline_ping(**{"client_info.os": "Darwin"}), "os", "Mac"),
    (baseline_ping(**{"client_info.os": "Linux", "client_info.os_version": "6.8"}), "os_version", "6.8"),
    (baseline_ping(), "architecture", "x86_64"),
    (baseline_ping(**{"meta.geoCountry": "de"}), "country", "DE"),
    (baseline_ping(), "application", "desktop"),
    (baseline_ping(**{"meta.documentNamespace": DELETE}), "application", "desktop"),  # older landing data
    # Android: the app id names the application, and the channel when client_info has none.
    (android_baseline_ping(), "application", "android"),
    (android_baseline_ping(), "os", "Android"),
    (android_baseline_ping(), "build_id", "2016111009"),  # a version code, kept as it is
    (
        android_baseline_ping(
            **{"meta.documentNamespace": "org-mozilla-firefox-beta", "client_info.app_channel": DELETE}
        ),
        "channel",
        "beta",
    ),
    (
        android_baseline_ping(**{"meta.documentNamespace": "org-mozilla-fenix", "client_info.app_channel": DELETE}),
        "channel",
        "nightly",
    ),
]


def test_each_dimension_comes_from_its_baseline_field(spark):
    rows = by_id(spark, [ping for ping, _, _ in DIMENSION_CASES], limits=GLEAN_SOURCE)
    got = [
        (rows[f"case-{n}"]["disposition"], rows[f"case-{n}"][column])
        for n, (_, column, _) in enumerate(DIMENSION_CASES)
    ]
    assert got == [("aggregated", value) for _, _, value in DIMENSION_CASES]


def test_a_namespace_of_no_application_of_ours_is_excluded_and_counted(spark):
    # Its build may be no desktop build id (Focus sends a version code): excluded all the same.
    pings = [
        baseline_ping(**{"meta.documentNamespace": "org-mozilla-focus", "client_info.app_build": build})
        for build in ("20261110093015", "1234")
    ]
    rows = by_id(spark, pings)
    assert [(r["disposition"], r["exclusion"], r["application"]) for r in rows.values()] == [
        ("excluded", "unknown_application", None)
    ] * 2


@pytest.mark.parametrize(
    ("unit", "value", "hours"),
    [
        ("nanosecond", 5_400_000_000_000, 1.5),
        ("microsecond", 5_400_000_000, 1.5),
        ("millisecond", 5_400_999, 1.5),  # whole seconds, as the main ping's lengths
        ("second", 5400, 1.5),
        ("minute", 90, 1.5),
        ("hour", 2, 2.0),
        ("day", 3, 24.0),  # capped
    ],
)
def test_the_duration_is_read_in_its_time_unit_and_capped(spark, unit, value, hours):
    ping = baseline_ping(**{DURATION: {"time_unit": unit, "value": value}, TICKS: 0})
    assert usage(spark, [ping]) == [(1, hours, 0.0)]


def test_a_ping_without_a_duration_counts_with_no_hours_and_is_reported_missing(spark):
    limits = GLEAN_SOURCE
    pings = [baseline_ping(**{DURATION: DELETE, "ping_info.reason": "active", TICKS: DELETE, PLAIN_TICKS: DELETE})]
    assert usage(spark, pings) == [(1, 0.0, 0.0)]
    frame = classified(spark, limits, glean_baseline=pings)
    counts = local_frame(spark, [(DAY, "glean_baseline", 1)], "submission_date date, doc_type string, input_lines long")
    (row,) = to_dq_metrics(frame, counts, limits).collect()
    assert (row.aggregated, row.missing_usage, row.usage_capped) == (1, 1, 0)


def test_active_hours_come_from_the_ticks_without_synthesized_events_first(spark):
    pings = [
        baseline_ping(**{TICKS: 720, PLAIN_TICKS: 900, "meta.documentId": "a"}),  # 1 h of input, not 1.25
        baseline_ping(**{TICKS: DELETE, PLAIN_TICKS: 360, "meta.documentId": "b"}),  # older Firefox: 0.5 h
        baseline_ping(**{TICKS: 100_000, "meta.documentId": "c"}),  # 138.9 h: capped at 24
    ]
    assert usage(spark, pings) == [(1, 2.0, 0.5), (1, 2.0, 1.0), (1, 2.0, 24.0)]


def test_android_active_hours_are_its_foreground_hours(spark):
    assert usage(spark, [android_baseline_ping()]) == [(1, 0.5, 0.5)]


def test_main_pings_give_active_hours_from_the_parent_process_ticks(spark):
    pings = [main_ping(id="a", **{MAIN_TICKS: 1440}), main_ping(id="b")]  # 2 h; none: 0
    assert usage(spark, pings, "main", Limits()) == [(1, 2.0, 0.0), (1, 2.0, 2.0)]


BAD_USAGE = [
    (baseline_ping(**{DURATION: {"time_unit": "second", "value": -5}}), "negative_baseline_duration", "-5"),
    (baseline_ping(**{DURATION: {"time_unit": "fortnight", "value": 1}}), "unknown_time_unit", "fortnight"),
    (baseline_ping(**{DURATION: {"value": 60}}), "unknown_time_unit", "(none)"),
    (baseline_ping(**{TICKS: -1}), "negative_active_ticks", "active_ticks_non_synthesized = -1"),
    (baseline_ping(**{"metrics.timespan": "7200"}), "wrong_type", "metrics.timespan is not an object"),
    (
        baseline_ping(**{DURATION: {"time_unit": "second", "value": 7200.5}}),
        "wrong_type",
        'metrics.timespan["glean.baseline.duration"].value is decimal(5,1), expected bigint',
    ),
    (baseline_ping(**{"client_info.app_build": "abc"}), "malformed_build_id", "abc"),
    (baseline_ping(**{"client_info.app_channel": DELETE}), "missing_channel", None),  # desktop: no fallback
    (baseline_ping(**{"meta.documentId": DELETE}), "missing_id", None),
    (main_ping(**{MAIN_TICKS: -3}), "negative_active_ticks", "active_ticks = -3"),
]


def _doc_type(ping: dict) -> str:
    return "main" if "payload" in ping else "glean_baseline"


@pytest.fixture(scope="module")
def quarantined(spark) -> dict[int, dict]:
    """Every ping of BAD_USAGE classified in one run, by its line (a quarantined line is
    never anyone's duplicate: each is judged as it would be alone)."""
    by_doc_type: dict[str, list] = {}
    for ping, _, _ in BAD_USAGE:
        by_doc_type.setdefault(_doc_type(ping), []).append(ping)
    rows = classified(spark, GLEAN_SOURCE, **by_doc_type).collect()
    assert len(rows) == len(BAD_USAGE)
    return {row["line_hash"]: row.asDict() for row in rows}


@pytest.mark.parametrize(("ping", "reason", "detail"), BAD_USAGE)
def test_bad_usage_is_quarantined_named(quarantined, ping, reason, detail):
    row = quarantined[line_key(ping)]
    assert (row["disposition"], row["reason"], row["detail"]) == ("quarantined", reason, detail)


def test_a_quarantined_baseline_line_keeps_no_client_id_glean_or_legacy(spark):
    legacy = {"legacy.telemetry.client_id": "SECRET-legacy", "legacy.telemetry.profile_group_id": "SECRET-group"}
    ping = baseline_ping(
        **{"meta.documentId": DELETE, "client_info.client_id": "SECRET-client", "metrics.uuid": legacy}
    )
    (row,) = classified(spark, glean_baseline=[ping]).collect()
    assert row.disposition == "quarantined" and "SECRET" not in row.raw
    assert '"client_id":"<redacted>"' in row.raw and '"legacy.telemetry.client_id":"<redacted>"' in row.raw


@pytest.mark.parametrize("source", ["main", "glean"])
def test_desktop_hours_come_from_one_source_and_android_from_its_baseline_pings(spark, source):
    limits = Limits(desktop_usage=source)
    frame = classified(
        spark,
        limits,
        main=[main_ping(id="m")],
        glean_baseline=[baseline_ping(**{"meta.documentId": "d"}), android_baseline_ping(**{"meta.documentId": "a"})],
    )
    got = {r.doc_id: (r.disposition, r.exclusion) for r in frame.collect()}
    counted, compared = ("m", "d") if source == "main" else ("d", "m")
    assert got == {
        counted: ("aggregated", None),
        compared: ("excluded", "other_usage_source"),  # read and compared (usage_parity), adding no hours
        "a": ("aggregated", None),  # Android's only usage, whatever desktop's source
    }


MEASURES = ("ping_count", "usage_hours", "active_hours", "main_crashes")


def test_the_same_session_gives_the_same_rates_from_either_desktop_source(spark):
    main = main_ping(id="m", **{"payload.info.subsessionLength": 5400, MAIN_TICKS: 360})
    baseline = baseline_ping(**{DURATION: {"time_unit": "millisecond", "value": 5_400_000}, TICKS: 360})
    rows = {}
    for source in ("main", "glean"):
        limits = Limits(desktop_usage=source)
        frame = classified(spark, limits, main=[main], glean_baseline=[baseline], crash=[crash_ping()])
        measures = union_all([to_ping_measures(frame, d, limits) for d in ("main", "glean_baseline", "crash")])
        totals = (
            to_crash_aggregates(measures).groupBy().sum("ping_count", "usage_hours", "active_hours", "main_crashes")
        )
        rows[source] = tuple(totals.first())
    assert rows["main"] == rows["glean"] == (1, 1.5, 0.5, 1)


ANDROID_CALENDAR = [("147.0", date(2026, 1, 13)), ("148.0b3", date(2026, 1, 20))]


@pytest.mark.parametrize(
    ("display_version", "release_date", "age"),
    [
        ("148.0b3", date(2026, 1, 20), (DAY - date(2026, 1, 20)).days),  # its own date first
        ("147.0.2", date(2026, 1, 13), (DAY - date(2026, 1, 13)).days),  # else its major version's
        ("150.0a1", None, None),  # else none: never a date read from a version code
    ],
)
def test_android_release_dates_come_from_the_calendar_only(spark, display_version, release_date, age):
    ping = android_baseline_ping(**{"client_info.app_display_version": display_version})
    (row,) = classified(spark, calendar=ANDROID_CALENDAR, glean_baseline=[ping]).collect()
    assert (row.disposition, row.release_date, row.release_age_days) == ("aggregated", release_date, age)


def test_an_android_crash_shares_the_row_of_its_builds_usage(spark):
    # crash.app_build is a Gecko build id; Android's build is client_info's version code.
    crash = android_crash_ping(**{"metrics/string/crash.app_build": "20261110093015"})
    limits = Limits()
    frame = classified(spark, limits, glean_crash=[crash], glean_baseline=[android_baseline_ping()])
    measures = union_all([to_ping_measures(frame, d, limits) for d in ("glean_crash", "glean_baseline")])
    (row,) = to_crash_aggregates(measures).collect()
    assert (row.os, row.build_id, row.ping_count, row.usage_hours, row.main_crashes) == (
        "Android",
        "2016111009",
        1,
        0.5,
        1,
    )
