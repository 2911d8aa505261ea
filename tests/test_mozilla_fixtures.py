"""Mozilla's real pings and release calendars (../shared/fixtures), read as the job reads them.

Expected values are read off the fixture files by hand and written here, not
recomputed by the code under test.
"""

from __future__ import annotations

from datetime import date

import pytest

from lib.contract.vocabulary import Limits
from lib.ingest.calendar import read_calendar
from lib.ingest.pings import parse_pings
from lib.transform.classify import classify
from tests.conftest import compact
from tests.pingbuilder import lines

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
