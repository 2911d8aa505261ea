"""Dimensions, quarantine reasons, release dates and dispositions (SPEC section 3)."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest

from lib.contract.vocabulary import Limits
from lib.ingest.calendar import CALENDAR_SCHEMA
from lib.ingest.pings import parse_pings
from lib.runtime.local_frames import local_frame
from lib.transform.classify import WITHHELD, classify
from tests.pingbuilder import DAY, DELETE, crash_ping, line_key, lines, main_ping

DEFAULT_LIMITS = Limits()


def run(spark, *pings, doc_type="main", calendar=(), limits=DEFAULT_LIMITS):
    calendar_rows = local_frame(spark, calendar, CALENDAR_SCHEMA)
    return classify({doc_type: parse_pings(lines(spark, *pings), doc_type)}, calendar_rows, limits)


def one(spark, ping, **kwargs):
    rows = run(spark, ping, **kwargs).collect()
    assert len(rows) == 1
    return rows[0].asDict()


def build_id(day: date) -> str:
    return f"{day:%Y%m%d}093015"


PROBLEMS = [
    ("{not json", "not_json_object", "not a JSON object"),
    (
        main_ping(**{"payload.info.subsessionLength": "1"}),
        "wrong_type",
        "payload.info.subsessionLength is string, expected bigint",
    ),
    (main_ping(id=DELETE), "missing_id", None),
    (main_ping(id=""), "missing_id", None),
    (main_ping(**{"application.channel": None}), "missing_channel", None),
    (main_ping(**{"application.channel": ""}), "missing_channel", None),
    (
        main_ping(**{"application.version": DELETE, "environment.build.version": DELETE}),
        "missing_version",
        None,
    ),
    (
        main_ping(**{"application.buildId": DELETE, "environment.build.buildId": DELETE}),
        "missing_build_id",
        None,
    ),
    (
        main_ping(**{"application.displayVersion": "<script>alert(1)</script>"}),
        "malformed_version",
        "145.0 / <script>alert(1)</script>",
    ),
    (
        main_ping(**{"application.displayVersion": "145.0\u0000\u202e\U0001f600"}),
        "malformed_version",
        "145.0 / 145.0???",
    ),
    (main_ping(**{"application.version": "9" * 10_000}), "malformed_version", "9" * 40 + " / 145.0"),
    (main_ping(**{"application.version": "145.0\n"}), "malformed_version", "145.0? / 145.0"),
    (main_ping(**{"application.buildId": "2026111"}), "malformed_build_id", "2026111"),
    (main_ping(**{"application.buildId": "20261332093015"}), "malformed_build_id", "20261332093015"),
    (main_ping(**{"application.buildId": "0000000000"}), "malformed_build_id", "0000000000"),
    (main_ping(**{"payload.info.subsessionLength": -5}), "negative_subsession_length", "-5"),
    (
        main_ping(**{"payload.keyedHistograms.SUBPROCESS_CRASHES_WITH_DUMP.rdd.sum": -2}),
        "negative_crash_sum",
        "rdd.sum = -2",
    ),
]


@pytest.fixture(scope="module")
def quarantined(spark) -> dict[int, dict]:
    """Every line of PROBLEMS classified in one run, by its line: a quarantined line is
    never anyone's duplicate, so each is judged as it would be alone."""
    rows = run(spark, *(ping for ping, _, _ in PROBLEMS)).collect()
    assert len(rows) == len(PROBLEMS)
    return {row["line_hash"]: row.asDict() for row in rows}


@pytest.mark.parametrize(("ping", "reason", "detail"), PROBLEMS)
def test_each_problem_quarantines_the_line_with_its_reason(quarantined, ping, reason, detail):
    row = quarantined[line_key(ping)]
    assert (row["disposition"], row["reason"], row["detail"]) == ("quarantined", reason, detail)
    assert row["raw"] is not None


def test_the_first_problem_in_spec_order_names_the_line(spark):
    row = one(spark, main_ping(id=DELETE, **{"application.channel": None, "payload.info.subsessionLength": -1}))
    assert row["reason"] == "missing_id"


def test_a_good_ping_is_aggregated_and_keeps_no_raw_text(spark):
    row = one(spark, main_ping())
    assert (row["disposition"], row["reason"], row["raw"]) == ("aggregated", None, None)


def test_quarantined_lines_keep_their_text_without_client_identifiers(spark):
    row = one(spark, main_ping(id="", profileGroupId="aaaa-bbbb"))
    assert "11111111-2222-4333-8444-555555555555" not in row["raw"]
    assert "aaaa-bbbb" not in row["raw"]
    assert '"clientId":"<redacted>"' in row["raw"]
    assert '"profileGroupId":"<redacted>"' in row["raw"]


def test_dimensions_follow_the_fallbacks_of_spec_section_3(spark):
    row = one(
        spark,
        main_ping(
            **{
                "application.version": DELETE,
                "application.displayVersion": DELETE,
                "application.buildId": DELETE,
                "environment.build.version": "145.0.2",
                "environment.build.displayVersion": "145.0.2 (ESR)",
                "environment.build.architecture": None,
                "application.architecture": "aarch64",
                "application.channel": "Release-cck-acme",
                "environment.system.os": {"name": "Darwin", "version": "24.1.0-beta"},
                "meta.geoCountry": DELETE,
            }
        ),
    )
    assert row["version"] == "145.0.2"
    assert row["major_version"] == 145
    assert row["display_version"] == "145.0.2 (ESR)"
    assert row["build_id"] == "20261110093015"
    assert row["architecture"] == "aarch64"
    assert row["channel"] == "release"
    assert (row["os"], row["os_version"]) == ("Mac", "24.1.0")
    assert row["country"] == "??"


def test_display_version_falls_back_to_version(spark):
    row = one(spark, main_ping(**{"application.displayVersion": DELETE}))
    assert row["display_version"] == "145.0"


def test_application_fields_win_over_environment_ones(spark):
    row = one(spark, main_ping(**{"environment.build.version": "1.0", "environment.build.buildId": "2000010100"}))
    assert (row["version"], row["build_id"]) == ("145.0", "20261110093015")


def test_release_date_comes_from_the_calendar_and_else_from_the_build_id(spark):
    calendar = [("145.0", date(2026, 11, 11))]
    known = one(spark, main_ping(), calendar=calendar)
    assert (known["release_date"], known["release_date_source"], known["release_age_days"]) == (
        date(2026, 11, 11),
        "calendar",
        9,
    )
    unknown = one(spark, main_ping(**{"application.displayVersion": "146.0b1"}), calendar=calendar)
    assert (unknown["release_date"], unknown["release_date_source"], unknown["release_age_days"]) == (
        date(2026, 11, 10),
        "build_id",
        10,
    )


def test_release_age_may_be_negative(spark):
    row = one(spark, main_ping(), calendar=[("145.0", DAY + timedelta(days=3))])
    assert row["release_age_days"] == -3


@pytest.mark.parametrize(
    ("built", "disposition"),
    [
        (DAY - timedelta(days=183), "aggregated"),
        (DAY - timedelta(days=184), "excluded"),
        (DAY, "aggregated"),
        (DAY + timedelta(days=1), "aggregated"),
        (DAY + timedelta(days=2), "excluded"),
    ],
)
def test_builds_too_old_or_from_the_future_are_excluded(spark, built, disposition):
    bid = build_id(built)
    row = one(spark, main_ping(**{"application.buildId": bid, "environment.build.buildId": bid}))
    assert row["disposition"] == disposition


def test_exclusion_window_is_configurable(spark):
    bid = build_id(DAY - timedelta(days=10))
    row = one(spark, main_ping(**{"application.buildId": bid}), limits=Limits(max_build_age_days=7))
    assert row["disposition"] == "excluded"


def test_copies_of_a_document_id_count_once_and_the_earliest_copy_is_kept(spark):
    first = main_ping(**{"meta.submissionTimestamp": "2026-11-20T01:00:00.000Z", "application.channel": "beta"})
    later = main_ping(**{"meta.submissionTimestamp": "2026-11-20T05:00:00.000Z"})
    untimed = main_ping(meta=DELETE)
    rows = run(spark, later, untimed, first).select("channel", "disposition").collect()
    assert sorted((r.channel, r.disposition) for r in rows) == [
        ("beta", "aggregated"),
        ("release", "duplicate"),
        ("release", "duplicate"),
    ]


def test_a_quarantined_copy_does_not_make_the_good_one_a_duplicate(spark):
    rows = run(spark, main_ping(**{"payload.info.subsessionLength": -1}), main_ping()).collect()
    assert sorted(r.disposition for r in rows) == ["aggregated", "quarantined"]


def test_an_excluded_ping_and_its_copy_are_one_exclusion_and_one_duplicate(spark):
    old = main_ping(**{"application.buildId": "2020010100"})
    rows = run(spark, old, old).collect()
    assert sorted(r.disposition for r in rows) == ["duplicate", "excluded"]


def test_crash_pings_are_classified_by_the_same_rules(spark):
    rows = run(
        spark, crash_ping(), crash_ping(), crash_ping(id="", **{"payload.processType": 5}), doc_type="crash"
    ).collect()
    assert sorted(r.disposition for r in rows) == ["aggregated", "duplicate", "quarantined"]


def test_no_input_gives_no_rows_with_every_column(spark):
    calendar_rows = local_frame(spark, [], CALENDAR_SCHEMA)
    empty = parse_pings(lines(spark, main_ping()).limit(0), "main")
    out = classify({"main": empty}, calendar_rows, DEFAULT_LIMITS)
    assert out.collect() == []
    assert {"disposition", "reason", "detail", "release_date", "release_age_days", "country"} <= set(out.columns)


COUNTRIES = [("CA", "CA"), ("ca", "CA"), ("C\ufffd", "??"), ("", "??"), ("CAN", "??"), ("É1", "??"), (DELETE, "??")]


@pytest.fixture(scope="module")
def countries(spark) -> dict[str, str]:
    """Each geoCountry of COUNTRIES on a ping of its own id, classified in one run: {id: country}."""
    pings = [main_ping(id=f"geo-{n}", **{"meta.geoCountry": geo}) for n, (geo, _) in enumerate(COUNTRIES)]
    return {row.doc_id: row.country for row in run(spark, *pings).collect()}


@pytest.mark.parametrize(
    ("case", "country"),
    [(n, country) for n, (_, country) in enumerate(COUNTRIES)],
    ids=["missing" if geo is DELETE else repr(geo) for geo, _ in COUNTRIES],
)
def test_country_is_two_ascii_letters_else_unknown(countries, case, country):
    assert countries[f"geo-{case}"] == country


def test_empty_strings_fall_back_like_missing_ones(spark):
    row = one(
        spark,
        main_ping(
            **{
                "application.buildId": "",
                "environment.build.buildId": "20261112000000",
                "application.displayVersion": "",
                "environment.build.displayVersion": "",
                "application.version": "",
            }
        ),
    )
    assert (row["disposition"], row["build_id"], row["display_version"], row["version"]) == (
        "aggregated",
        "20261112000000",
        "145.0",
        "145.0",
    )


def test_the_copy_kept_is_the_earliest_instant_not_the_smallest_text(spark):
    # As text "...T10:00:00Z" sorts first; as instants 10:30+01:00 (09:30Z) came first.
    later = main_ping(**{"meta.submissionTimestamp": "2026-11-20T10:00:00Z", "payload.info.subsessionLength": 1})
    earlier = main_ping(
        **{"meta.submissionTimestamp": "2026-11-20T10:30:00.5+01:00", "payload.info.subsessionLength": 2}
    )
    kept = [r.subsession_length for r in run(spark, later, earlier).collect() if r.disposition == "aggregated"]
    assert kept == [2]


def test_a_wrong_type_in_a_field_the_aggregation_never_uses_keeps_the_ping(spark):
    row = one(spark, main_ping(clientId=7, creationDate={"t": 1}))
    assert (row["disposition"], row["check_field_error"]) == ("aggregated", "clientId is bigint, expected string")


def _without_id(old: str, new: str) -> str:
    """A main ping without a document id (so quarantined), one text replaced in it."""
    text = json.dumps(main_ping(id=DELETE), separators=(",", ":"))
    assert old in text
    return text.replace(old, new, 1)


CLIENT = '"clientId":"11111111-2222-4333-8444-555555555555"'
LONG_SECRET = "SECRET-" + "x" * 1_000_000
# Issue 36: a key is what it means, not how it is spelled. Each line, and the text its
# quarantined copy must have: every client identifier's value "<redacted>", the rest as sent.
SPELLINGS = {
    "escaped first letter": (
        _without_id(CLIENT, '"\\u0063lientId":"SECRET-1"'),
        _without_id(CLIENT, '"\\u0063lientId":"<redacted>"'),
    ),
    "escaped capital, upper-case hex": (
        _without_id(CLIENT, '"client\\u0049d":"SECRET-2","x":"\\u004A"'),
        _without_id(CLIENT, '"client\\u0049d":"<redacted>","x":"\\u004A"'),
    ),
    "every letter escaped": (
        _without_id(CLIENT, '"' + "".join(f"\\u{ord(c):04X}" for c in "clientId") + '":"SECRET-3"'),
        _without_id(CLIENT, '"' + "".join(f"\\u{ord(c):04X}" for c in "clientId") + '":"<redacted>"'),
    ),
    "spaces around the colon": (
        _without_id(CLIENT, '"clientId" :\t"SECRET-4"'),
        _without_id(CLIENT, '"clientId" :\t"<redacted>"'),
    ),
    "profile group id escaped": (
        _without_id(CLIENT, '"profile\\u0047roupId": "SECRET-5"'),
        _without_id(CLIENT, '"profile\\u0047roupId": "<redacted>"'),
    ),
    "Glean client_info.client_id escaped": (
        _without_id(CLIENT, '"client_info":{"client\\u005Fid":"SECRET-6","os":"Linux"}'),
        _without_id(CLIENT, '"client_info":{"client\\u005Fid":"<redacted>","os":"Linux"}'),
    ),
    "Glean legacy uuid metric, escaped dot": (
        _without_id(CLIENT, '"metrics":{"uuid":{"legacy\\u002etelemetry.client_id":"SECRET-7"}}'),
        _without_id(CLIENT, '"metrics":{"uuid":{"legacy\\u002etelemetry.client_id":"<redacted>"}}'),
    ),
    "an object value with brackets in its strings": (
        _without_id(CLIENT, '"clientId":{"a":"}","b":"SECRET-8"}'),
        _without_id(CLIENT, '"clientId":"<redacted>"'),
    ),
    "an array value": (
        _without_id(CLIENT, '"clientId":["]","SECRET-9"]'),
        _without_id(CLIENT, '"clientId":"<redacted>"'),
    ),
    "a megabyte-long id": (
        _without_id(CLIENT, f'"clientId":"{LONG_SECRET}"'),
        _without_id(CLIENT, '"clientId":"<redacted>"'),
    ),
    "a key-like value is no key": (
        _without_id(CLIENT, '"x":"clientId","clientId":"SECRET-10"'),
        _without_id(CLIENT, '"x":"clientId","clientId":"<redacted>"'),
    ),
}
# Lines whose identifier the pattern cannot delimit: withheld whole, never half-redacted.
WITHHELD_LINES = {
    "a number run into text": _without_id(CLIENT, '"clientId":1234SECRET-11'),
    "cut off inside the id": (cut := _without_id(CLIENT, '"clientId":"SECRET-12'))[: cut.index("SECRET-12") + 9],
    "nested deeper than read": _without_id(CLIENT, '"clientId":{"a":{"b":"SECRET-13"}}'),
    "escaped key, NaN value": _without_id(CLIENT, '"\\u0063lientId":NaN'),
}


def test_client_ids_are_redacted_whatever_the_spelling_of_their_key(spark):
    texts = [line for line, _ in SPELLINGS.values()] + list(WITHHELD_LINES.values())
    assert all("SECRET" in t or "NaN" in t for t in texts)
    rows = run(spark, *texts).select("disposition", "raw").collect()
    assert {r.disposition for r in rows} == {"quarantined"}
    kept = sorted(r.raw for r in rows)
    assert not [raw[:120] for raw in kept if "SECRET" in raw]
    assert kept == sorted([want for _, want in SPELLINGS.values()] + [WITHHELD] * len(WITHHELD_LINES))


def test_a_bare_major_version_is_a_version(spark):
    # Mozilla's telemetry-batch-view tests send "45" and no displayVersion (issue 36).
    row = one(spark, main_ping(**{"application.version": "45", "application.displayVersion": DELETE}))
    assert (row["disposition"], row["reason"]) == ("aggregated", None)
    assert (row["version"], row["display_version"], row["major_version"]) == ("45", "45", 45)


def test_a_whole_number_of_seconds_in_exponent_form_is_a_length(spark):
    text = json.dumps(main_ping(), separators=(",", ":")).replace('"subsessionLength":7200', '"subsessionLength":36e2')
    row = one(spark, text)
    assert (row["disposition"], row["subsession_length"]) == ("aggregated", 3600)
