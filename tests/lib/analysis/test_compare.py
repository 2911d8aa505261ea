"""The same-age comparison: which releases, which ages, which verdict.

The choice of releases and ages and the verdicts are pure (``comparisons_of`` on rows by
release age, Python values); Spark is the subject only where the rows are summed and
joined to their client sums (``compare_releases`` on tables' frames)."""

from __future__ import annotations

from datetime import date, timedelta

from lib.analysis.compare import (
    DENOMINATORS,
    AgeRow,
    Side,
    compare_releases,
    comparisons_of,
    format_report,
    rows_by_release_age,
)

AS_OF = date(2026, 11, 20)
SCHEMA = (
    "submission_date date, channel string, os string, display_version string, release_date date, "
    "release_age_days int, main_crashes long, usage_hours double"
)


def ages_of(version, released, ages, crashes, hours, os_name="Windows", channel="release", **sums) -> list[AgeRow]:
    """A release's rows by age, as :func:`rows_by_release_age` yields them, up to AS_OF."""
    return [
        AgeRow(channel, os_name, version, released, a, crashes, hours, **sums)
        for a in ages
        if released + timedelta(days=a) <= AS_OF
    ]


def test_releases_are_compared_only_at_the_ages_both_have():
    new, old = date(2026, 11, 18), date(2026, 10, 21)
    rows = ages_of("158.0", new, range(3), 30, 1000.0) + ages_of("157.0", old, range(31), 10, 1000.0)
    rows += ages_of("140.0", date(2026, 1, 1), range(300, 305), 99, 1000.0)  # older still: ignored
    (comparison,) = comparisons_of(rows)
    assert (comparison.channel, comparison.os, comparison.ages) == ("release", "Windows", (0, 2))
    assert comparison.latest == Side("158.0", new, 90, 3000.0)
    assert comparison.previous == Side("157.0", old, 30, 3000.0)
    assert comparison.ratio == 3.0
    assert comparison.verdict == "regression"


def test_thin_samples_get_no_verdict_and_are_marked():
    new, old = date(2026, 11, 19), date(2026, 11, 10)
    rows = ages_of("158.0", new, range(2), 4, 100.0, "Linux") + ages_of("157.0", old, range(11), 1, 100.0, "Linux")
    (comparison,) = comparisons_of(rows)
    assert comparison.verdict == "not enough data"
    assert "(small sample)" in format_report([comparison], AS_OF)


def test_a_release_without_an_earlier_one_at_the_same_ages_says_so():
    rows = ages_of("158.0", date(2026, 11, 18), range(3), 30, 1000.0) + ages_of(
        "157.0", date(2026, 9, 1), range(60, 80), 10, 1000.0
    )
    (comparison,) = comparisons_of(rows)
    assert comparison.previous is None
    assert comparison.verdict == "not enough data"


def test_a_release_without_usage_is_never_the_newest_one():
    """Issue 24: one crash ping of a junk version, dated from its build id, took the verdicts over."""
    new, old = date(2026, 11, 18), date(2026, 10, 21)
    rows = ages_of("158.0", new, range(3), 30, 1000.0, "Mac") + ages_of("157.0", old, range(31), 10, 1000.0, "Mac")
    rows.append(AgeRow("release", "Mac", "999.0", AS_OF, 0, 1, 0.0))  # a crash-only row, newest by date
    (comparison,) = comparisons_of(rows)
    assert (comparison.latest.display_version, comparison.previous.display_version) == ("158.0", "157.0")


def rows_for(version, released, ages, crashes, hours, os_name="Windows", channel="release"):
    """The same as table rows (``crash_aggregates``' columns the comparison reads)."""
    return [
        (released + timedelta(days=a), channel, os_name, version, released, a, crashes, hours)
        for a in ages
        if released + timedelta(days=a) <= AS_OF
    ]


def test_later_submission_dates_are_left_out(spark):
    rows = rows_for("158.0", date(2026, 11, 18), range(3), 30, 1000.0)
    rows.append((AS_OF + timedelta(days=1), "release", "Windows", "159.0", AS_OF, 1, 5, 10.0))
    (comparison,) = compare_releases(spark.createDataFrame(rows, SCHEMA), AS_OF)
    assert comparison.latest.display_version == "158.0"


def test_each_denominator_sums_only_the_rows_that_have_its_hours(spark):
    """One query for every (measure, denominator): a row written before active hours were
    kept counts per usage hour only, and an age with no active hours has no row for them."""
    released = date(2026, 11, 18)
    rows = [  # SCHEMA's columns, then active hours
        (released, "release", "Mac", "158.0", released, 0, 3, 10.0, 4.0),
        (released, "release", "Mac", "158.0", released, 0, 5, 20.0, None),
        (released + timedelta(days=1), "release", "Mac", "158.0", released, 1, 7, 30.0, None),
    ]
    frame = spark.createDataFrame(rows, SCHEMA + ", active_hours double")
    usage, active = DENOMINATORS["usage"], DENOMINATORS["active"]

    got = rows_by_release_age(frame, AS_OF, [("main_crashes", usage), ("main_crashes", active)])

    def by_age(name):
        return {r.release_age_days: (r.crashes, r.hours, r.rows_without_sums) for r in got[("main_crashes", name)]}

    assert by_age("usage") == {0: (8, 30.0, 1), 1: (7, 30.0, 1)}
    assert by_age("active") == {0: (3, 4.0, 1)}


# -- with per-client sums: crashes that cluster on one machine ---------------------------

FULL = (
    "submission_date date, channel string, version string, display_version string, major_version int, "
    "build_id string, os string, os_version string, architecture string, country string, release_date date, "
    "release_age_days int, main_crashes long, usage_hours double"
)
SUMS = (
    "submission_date date, channel string, version string, display_version string, major_version int, "
    "build_id string, os string, os_version string, architecture string, country string, release_date date, "
    "release_age_days int, clients long, hours_sq double, main_crashes_sq long, main_crashes_hours double"
)


def day_rows(version, released, crashes, crash_sq, crash_hours):
    """Three days of one release on Windows: 200 clients of 5 hours a day."""
    major = int(version.split(".")[0])
    cell = ("release", version, version, major, "20261110093015", "Windows", "10.0", "x86-64", "CA", released)
    aggregates, sums = [], []
    for age in range(3):
        day = released + timedelta(days=age)
        aggregates.append((day, *cell, age, crashes, 1000.0))
        sums.append((day, *cell, age, 200, 200 * 25.0, crash_sq, crash_hours))
    return aggregates, sums


def two_releases(spark, latest_from_one_machine: bool):
    # 40 crashes a day on the newest release against 20 on the previous: twice the rate.
    one_machine = (40 * 40, 40 * 5.0)  # one client crashed 40 times in its 5 hours
    spread = (40, 40 * 5.0)  # 40 clients crashed once each
    new = day_rows("158.0", date(2026, 11, 18), 40, *(one_machine if latest_from_one_machine else spread))
    old = day_rows("157.0", date(2026, 10, 21), 20, 20, 20 * 5.0)
    aggregates = spark.createDataFrame(new[0] + old[0], FULL)
    return aggregates, spark.createDataFrame(new[1] + old[1], SUMS)


def test_one_machine_crashing_over_and_over_does_not_make_a_release_crashier(spark):
    aggregates, sums = two_releases(spark, latest_from_one_machine=True)
    (poisson,) = compare_releases(aggregates, AS_OF)
    (robust,) = compare_releases(aggregates, AS_OF, client_sums=sums)
    assert poisson.verdict == "regression" and "exact Poisson" in format_report([poisson], AS_OF)
    assert robust.verdict == "no clear change"
    assert robust.method == "cluster-robust (clients), log scale"
    assert "cluster-robust" in format_report([robust], AS_OF)
    assert robust.latest.crashes == poisson.latest.crashes == 120  # the counts do not change, the certainty does


def with_sums(version, released, crashes, crash_sq, crash_hours, without_sums=()) -> list[AgeRow]:
    """:func:`day_rows`' three days as rows by age with their client sums (none on the ages
    in ``without_sums``)."""
    return [
        row._replace(rows_without_sums=1)
        if row.release_age_days in without_sums
        else row._replace(clients=200, hours_sq=200 * 25.0, crashes_sq=crash_sq, crashes_hours=crash_hours)
        for row in ages_of(version, released, range(3), crashes, 1000.0, rows_without_sums=0)
    ]


def test_crashes_spread_over_many_clients_keep_their_verdict():
    rows = with_sums("158.0", date(2026, 11, 18), 40, 40, 40 * 5.0) + with_sums(
        "157.0", date(2026, 10, 21), 20, 20, 100.0
    )
    (robust,) = comparisons_of(rows)
    assert robust.verdict == "regression"
    assert robust.method == "cluster-robust (clients), log scale"


def test_days_without_client_sums_fall_back_to_poisson():
    one_machine = with_sums("158.0", date(2026, 11, 18), 40, 40 * 40, 40 * 5.0, without_sums={0})
    (comparison,) = comparisons_of(one_machine + with_sums("157.0", date(2026, 10, 21), 20, 20, 100.0))
    assert comparison.method == "exact Poisson"
    assert comparison.verdict == "regression"
