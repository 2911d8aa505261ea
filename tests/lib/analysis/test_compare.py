"""The same-age comparison: which releases, which ages, which verdict."""

from __future__ import annotations

from datetime import date, timedelta

from lib.analysis.compare import Side, compare_releases, format_report

AS_OF = date(2026, 11, 20)
SCHEMA = (
    "submission_date date, channel string, os string, display_version string, release_date date, "
    "release_age_days int, main_crashes long, usage_hours double"
)


def rows_for(version, released, ages, crashes, hours, os_name="Windows", channel="release"):
    return [
        (released + timedelta(days=a), channel, os_name, version, released, a, crashes, hours)
        for a in ages
        if released + timedelta(days=a) <= AS_OF
    ]


def test_releases_are_compared_only_at_the_ages_both_have(spark):
    new, old = date(2026, 11, 18), date(2026, 10, 21)
    rows = rows_for("158.0", new, range(3), 30, 1000.0) + rows_for("157.0", old, range(31), 10, 1000.0)
    rows += rows_for("140.0", date(2026, 1, 1), range(300, 305), 99, 1000.0)  # older still: ignored
    (comparison,) = compare_releases(spark.createDataFrame(rows, SCHEMA), AS_OF)
    assert (comparison.channel, comparison.os, comparison.ages) == ("release", "Windows", (0, 2))
    assert comparison.latest == Side("158.0", new, 90, 3000.0)
    assert comparison.previous == Side("157.0", old, 30, 3000.0)
    assert comparison.ratio == 3.0
    assert comparison.verdict == "CRASHIER"


def test_thin_samples_get_no_verdict_and_are_marked(spark):
    new, old = date(2026, 11, 19), date(2026, 11, 10)
    rows = rows_for("158.0", new, range(2), 4, 100.0, "Linux") + rows_for("157.0", old, range(11), 1, 100.0, "Linux")
    (comparison,) = compare_releases(spark.createDataFrame(rows, SCHEMA), AS_OF)
    assert comparison.verdict == "too little data to judge"
    assert "(small sample)" in format_report([comparison], AS_OF)


def test_a_release_without_an_earlier_one_at_the_same_ages_says_so(spark):
    rows = rows_for("158.0", date(2026, 11, 18), range(3), 30, 1000.0) + rows_for(
        "157.0", date(2026, 9, 1), range(60, 80), 10, 1000.0
    )
    (comparison,) = compare_releases(spark.createDataFrame(rows, SCHEMA), AS_OF)
    assert comparison.previous is None
    assert comparison.verdict == "no earlier release at these ages in the data"


def test_later_submission_dates_are_left_out(spark):
    rows = rows_for("158.0", date(2026, 11, 18), range(3), 30, 1000.0)
    rows.append((AS_OF + timedelta(days=1), "release", "Windows", "159.0", AS_OF, 1, 5, 10.0))
    (comparison,) = compare_releases(spark.createDataFrame(rows, SCHEMA), AS_OF)
    assert comparison.latest.display_version == "158.0"
