"""Mozilla's real pings and release calendars (../shared/fixtures), read as the job reads them.

Expected values are read off the fixture files by hand and written here, not
recomputed by the code under test.
"""

from __future__ import annotations

import json
from datetime import date

import jsonschema
import pytest

from lib.contract.vocabulary import NAMESPACES, TIME_UNIT_SECONDS, Limits
from lib.ingest.calendar import read_calendar
from lib.ingest.pings import parse_pings
from lib.synthetic.generator import Generator, Settings
from lib.transform.classify import classify
from tests.conftest import compact
from tests.pingbuilder import android_baseline_ping, baseline_ping, lines

pytestmark = pytest.mark.fixtures

# The fixtures were created on 2015-11-05 (main) and 2018-04-10 (crash, gc_sample).
MAIN_DAY, CRASH_DAY = date(2015, 11, 5), date(2018, 4, 10)


def classify_fixture(spark, fixtures, name, doc_type, day, calendar=None):
    text = compact(fixtures / "firefox-pings" / name)
    calendar_rows = (calendar or read_calendar(spark, None)).to_frame(spark)
    rows = classify({doc_type: parse_pings(lines(spark, text, day=day), doc_type)}, calendar_rows, Limits()).collect()
    assert len(rows) == 1
    return rows[0].asDict()


@pytest.fixture(scope="module")
def calendar(spark, fixtures):
    return read_calendar(spark, str(fixtures / "product-details"))


def test_the_full_main_sample_ping(spark, fixtures, calendar):
    row = classify_fixture(spark, fixtures, "main.4.sample.pass.json", "main", MAIN_DAY, calendar)
    assert row["disposition"] == "aggregated"
    assert row["doc_id"] == "0fdac909-d2ec-454c-b625-261a3e5d5c9b"
    assert (row["channel"], row["version"], row["display_version"], row["major_version"]) == (
        "beta",
        "45.0",
        "45.0b6",
        45,
    )
    assert row["build_id"] == "20151103030248"
    assert (row["os"], row["os_version"], row["architecture"]) == ("Mac", "14.5.0", "x86-64")
    assert row["subsession_length"] == 38376
    assert row["country"] == "??"
    # 45.0b6 is in Mozilla's development calendar, dated after this test ping was made.
    assert (row["release_date"], row["release_date_source"], row["release_age_days"]) == (
        date(2016, 2, 16),
        "calendar",
        -103,
    )


def test_the_calendar_dates_are_mozillas(spark, calendar):
    assert calendar.dates["45.0b6"] == date(2016, 2, 16)
    assert calendar.dates["120.0"] == date(2023, 11, 21)
    assert calendar.dates["120.0.1"] == date(2023, 11, 30)
    assert calendar.dates["121.0b3"] == date(2023, 11, 24)
    assert calendar.describe()["versions"] == len(calendar.dates) > 1000


@pytest.mark.parametrize(
    ("name", "version", "usage"),
    [
        ("main.4.profile.pass.json", "45.0b6", 38376),
        ("main.4.min.pass.json", "45.0", None),
        ("main.4.good_histogram.pass.json", "45.0", None),
        ("main.4.negative_count.fail.json", "45.0", None),
        ("main.4.histogram.fail.json", "45.0", None),
    ],
)
def test_every_other_main_fixture_is_read_without_error(spark, fixtures, name, version, usage):
    row = classify_fixture(spark, fixtures, name, "main", MAIN_DAY)
    assert (row["disposition"], row["reason"]) == ("aggregated", None)
    assert (row["channel"], row["display_version"], row["subsession_length"]) == ("beta", version, usage)


def test_the_gc_sample_ping_from_nightly(spark, fixtures):
    row = classify_fixture(spark, fixtures, "main.4.gc_sample.pass.json", "main", date(2018, 3, 8))
    assert (row["disposition"], row["channel"], row["display_version"]) == ("aggregated", "nightly", "60.0a1")
    assert (row["build_id"], row["os"], row["os_version"], row["subsession_length"]) == (
        "20180209220324",
        "Mac",
        "17.4.0",
        44742,
    )
    assert (row["release_date"], row["release_date_source"]) == (date(2018, 2, 9), "build_id")
    # Its parent process counted 846 five-second ticks of input, under the key Firefox sends.
    assert (row["active_ticks"], row["active_ticks_flat"]) == (846, None)


def test_the_empty_main_fixture_is_quarantined_for_its_missing_id(spark, fixtures):
    row = classify_fixture(spark, fixtures, "main.4.empty.fail.json", "main", MAIN_DAY)
    assert (row["disposition"], row["reason"], row["raw"]) == ("quarantined", "missing_id", "{}")


@pytest.mark.parametrize(
    "name", ["crash.4.sample.pass.json", "crash.4.null_vendor.pass.json", "crash.4.stackTraces.pass.json"]
)
def test_every_crash_fixture_is_a_content_process_killed_at_shutdown(spark, fixtures, name):
    row = classify_fixture(spark, fixtures, name, "crash", CRASH_DAY)
    assert (row["disposition"], row["reason"]) == ("aggregated", None)
    assert (row["channel"], row["display_version"], row["build_id"]) == (
        "nightly",
        "61.0a1",
        "20180409100035",
    )
    assert (row["os"], row["os_version"], row["architecture"]) == ("Windows", "6.1", "x86")
    assert (row["process_type"], row["ipc_channel_error"], row["startup_crash_flag"]) == (
        "content",
        "ShutDownKill",
        "0",
    )


def test_fixtures_are_excluded_when_read_years_later(spark, fixtures):
    row = classify_fixture(spark, fixtures, "main.4.sample.pass.json", "main", date(2026, 11, 20))
    assert row["disposition"] == "excluded"


# -- Glean baseline pings: Mozilla's schemas of both applications ------------------------

DESKTOP_BASELINE, ANDROID_BASELINE = (
    "firefox-desktop.baseline.1.schema.json",
    "org-mozilla-firefox.baseline.1.schema.json",
)


def glean_schema(fixtures, name: str) -> dict:
    return json.loads((fixtures / "glean-pings" / name).read_text())


def schema_errors(schema: dict, ping: dict) -> list[str]:
    """Where a ping breaks Mozilla's schema; ``meta`` is the ingestion edge's, not Glean's."""
    body = {key: value for key, value in ping.items() if key != "meta"}
    return [f"{list(e.path)}: {e.message}" for e in jsonschema.Draft6Validator(schema).iter_errors(body)]


def test_the_time_units_read_are_the_ones_mozillas_schema_allows(fixtures):
    for name in (DESKTOP_BASELINE, ANDROID_BASELINE):
        timespan = glean_schema(fixtures, name)["properties"]["metrics"]["properties"]["timespan"]
        assert set(timespan["additionalProperties"]["properties"]["time_unit"]["enum"]) == set(TIME_UNIT_SECONDS)


def test_the_tests_baseline_pings_are_valid_by_mozillas_schemas(fixtures):
    assert schema_errors(glean_schema(fixtures, DESKTOP_BASELINE), baseline_ping()) == []
    assert schema_errors(glean_schema(fixtures, ANDROID_BASELINE), android_baseline_ping()) == []


def test_the_generators_baseline_pings_are_valid_by_mozillas_schemas(fixtures):
    day = date(2026, 11, 20)
    settings = Settings(day, 1, clients=60, ping_size="small", desktop_baseline_from=day, android_clients=40)
    lines_of_day, _ = Generator(settings).day(day)
    schemas = {
        namespace: glean_schema(fixtures, DESKTOP_BASELINE if app == "desktop" else ANDROID_BASELINE)
        for namespace, (app, _) in NAMESPACES.items()
    }
    pings = [json.loads(line) for line in lines_of_day["glean_baseline"]]
    assert {p["meta"]["documentNamespace"] for p in pings} >= {"firefox-desktop", "org-mozilla-firefox"}
    errors = [e for p in pings for e in schema_errors(schemas[p["meta"]["documentNamespace"]], p)]
    assert errors == []


def test_mozillas_example_baseline_ping_is_read_as_androids_usage(spark, fixtures):
    # Mozilla's example (an Android client) carries no duration: a ping of use with no hours.
    ping = json.loads((fixtures / "glean-pings" / "glean.1.baseline.pass.json").read_text())
    ping["meta"] = {"documentId": "example", "documentNamespace": "org-mozilla-firefox"}
    text = json.dumps(ping, separators=(",", ":"))
    frame = classify(
        {"glean_baseline": parse_pings(lines(spark, text), "glean_baseline")},
        read_calendar(spark, None).to_frame(spark),
        Limits(),
    )
    (row,) = frame.collect()
    assert (row.disposition, row.reason, row.application) == ("aggregated", None, "android")
    assert (row.channel, row.display_version, row.build_id) == ("release", "1.0.0", "59f330e5")
    assert (row.os, row.os_version, row.architecture) == ("Android", "3.2.1", "arm")
    assert (row.duration_value, row.release_date) == (None, None)
