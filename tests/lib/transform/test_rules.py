"""Each per-ping rule of SPEC section 3, as an exact column comparison."""

from __future__ import annotations

import json
from datetime import date

import pytest
from chispa import assert_column_equality
from pyspark.sql import functions as F

from lib.ingest.calendar import CALENDAR_FILES
from lib.transform import rules


def check(spark, rule, cases, input_type="string", expected_type="string"):
    df = spark.createDataFrame(cases, f"value {input_type}, expected {expected_type}")
    assert_column_equality(df.withColumn("actual", rule(F.col("value"))), "actual", "expected")


def test_channel_keeps_known_channels_folds_partner_builds_and_calls_the_rest_other(spark):
    check(
        spark,
        rules.channel,
        [
            ("release", "release"),
            ("Beta", "beta"),
            ("NIGHTLY", "nightly"),
            ("esr", "esr"),
            ("aurora", "aurora"),
            ("release-cck-yandex", "release"),
            ("beta-cck-partner-x", "beta"),
            ("default", "Other"),
            ("releases", "Other"),
            ("cck-release", "Other"),
            ("release-cck", "Other"),
            (None, None),
        ],
    )


def test_major_version_is_the_leading_integer(spark):
    check(
        spark,
        rules.major_version,
        [
            ("120.0.1", 120),
            ("121.0b3", 121),
            ("60.0a1", 60),
            ("45", 45),
            ("x1.0", None),
            ("", None),
            (None, None),
        ],
        expected_type="int",
    )


def test_os_family_maps_known_names_and_everything_else_to_other(spark):
    check(
        spark,
        rules.os_family,
        [
            ("Windows_NT", "Windows"),
            ("Windows_95", "Windows"),
            ("Windows_98", "Windows"),
            ("Darwin", "Mac"),
            ("Linux", "Linux"),
            ("Android", "Android"),
            ("windows_nt", "Other"),
            ("SunOS", "Other"),
            (None, "Other"),
        ],
    )


def test_os_version_keeps_at_most_three_numeric_components(spark):
    check(
        spark,
        rules.os_version,
        [
            ("10.0.19045", "10.0.19045"),
            ("6.1-foo", "6.1"),
            ("5.15.0.1.2", "5.15.0"),
            ("6.8.0-45-generic", "6.8.0"),
            ("23", "23"),
            ("Vista", None),
            ("", None),
            (None, None),
        ],
    )


def test_build_date_needs_ten_digits_and_a_real_calendar_date(spark):
    check(
        spark,
        rules.build_date,
        [
            ("20151103030248", date(2015, 11, 3)),
            ("2024022912", date(2024, 2, 29)),
            ("2023022912", None),  # no 29 February in 2023
            ("20151332010101", None),
            ("000000000000", None),
            ("201511030", None),  # nine digits
            ("2015110303abc", date(2015, 11, 3)),  # only the first 10 must be digits
            ("abc", None),
            (None, None),
        ],
        expected_type="date",
    )


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [(3600, 3600), (86400, 86400), (86401, 86400), (500000, 86400), (0, 0), (None, 0)],
)
def test_usage_seconds_are_capped_at_24_hours_and_missing_counts_zero(spark, seconds, expected):
    check(spark, lambda c: rules.usage_seconds(c, 86400), [(seconds, expected)], "bigint", "bigint")


def test_blank_strings_count_as_missing(spark):
    check(spark, rules.blank_to_null, [("release", "release"), ("", None), ("  ", None), (None, None)])


# Issue 36: every spelling Firefox and Mozilla's pipelines use, beside what is no version.
VERSIONS = ["45", "3.6", "120.0", "120.0.1", "2.0.0.20", "148.0a1", "45.0a2", "121.0b3", "3.0rc2", "4.0b8pre"]
VERSIONS += ["115.5.0esr", "147.0.2", "1.0", "0.8"]
NOT_VERSIONS = ["", "abc", "v120.0", "120.", ".120", "120..0", "1.2.3.4.5", "120.0 beta", "120.0\n", "120,0"]
NOT_VERSIONS += ["<b>120</b>", "120.0\u0000", "120.0\u202e", "9" * 10_000, "120.0b", "120.0esr1", "12345.0"]


def test_a_firefox_version_is_any_spelling_mozilla_uses_and_nothing_else(spark):
    cases = [(v, True) for v in VERSIONS] + [(v, False) for v in NOT_VERSIONS] + [(None, None)]
    check(spark, rules.looks_like_firefox_version, cases, expected_type="boolean")


def test_every_version_of_mozillas_release_calendar_looks_like_one(spark, fixtures):
    folder = fixtures / "product-details"
    versions = {v for name in CALENDAR_FILES for v in json.loads((folder / name).read_text())}
    assert len(versions) > 1500 and "1.0rc1" in versions
    check(spark, rules.looks_like_firefox_version, [(v, True) for v in sorted(versions)], expected_type="boolean")
