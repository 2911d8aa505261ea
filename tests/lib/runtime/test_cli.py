"""The command line every job shares: strict dates, flags that must make sense, one parser for all."""

from __future__ import annotations

import argparse

import pytest

from jobs import aggregate_crashes, compare_releases, housekeeping, release_day, validate_aggregates, validate_raw
from lib.contract.errors import UsageError
from lib.contract.vocabulary import Limits
from lib.runtime.cli import Progress, iso_date

BASE = ["--date", "2026-11-20", "--raw", "r", "--warehouse", "w"]


@pytest.mark.parametrize("text", ["20261120", "2026-W47-5", "2026-11-20T00:00", " 2026-11-20", "2026-324"])
def test_a_date_is_exactly_yyyy_mm_dd(text):
    with pytest.raises(argparse.ArgumentTypeError, match="not a date"):
        iso_date(text)


@pytest.mark.parametrize("text", ["0001-01-01", "1999-12-31", "9999-12-31"])
def test_a_date_no_telemetry_can_have_is_refused_before_any_arithmetic(text):
    """Issue 24: release_health --date 0001-01-01 ended in a bare IllegalArgumentException."""
    with pytest.raises(argparse.ArgumentTypeError, match=r"not a submission date \(from 2000-01-01 to 2999-12-31\)"):
        iso_date(text)


def test_a_real_date_is_read():
    assert iso_date("2026-11-20").isoformat() == "2026-11-20"


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--usage-cap-hours", "0"], "usage cap must be a positive number of hours, not 0.0"),
        (["--usage-cap-hours", "-1"], "usage cap must be a positive number of hours, not -1.0"),
        (["--usage-cap-hours", "nan"], "usage cap must be a positive number of hours, not nan"),
        (["--usage-cap-hours", "inf"], "usage cap must be a positive number of hours, not inf"),
        (["--max-build-age-days", "-1"], "max build age must be 0 days or more, not -1"),
        (["--max-build-lead-days", "-2"], "max build lead must be 0 days or more, not -2"),
    ],
)
def test_nonsense_limits_are_bad_arguments(flags, message):
    with pytest.raises(UsageError, match=f"^{message}$"):
        aggregate_crashes.read_config([*BASE, *flags])


def test_the_limit_flags_reach_the_config():
    config = aggregate_crashes.read_config([*BASE, "--usage-cap-hours", "48", "--max-build-age-days", "90"])
    assert config.limits == Limits(usage_cap_hours=48.0, max_build_age_days=90, max_build_lead_days=1)
    assert config.limits.usage_cap_seconds == 172800


@pytest.mark.parametrize(
    ("module", "argv"),
    [
        (validate_aggregates, ["--date", "2026-11-20", "--warehouse", "w", "--raw", "r"]),
        (validate_aggregates, ["--date", "2026-11-20", "--warehouse", "w", "--releases", "c"]),
        (housekeeping, ["--date", "2026-11-20", "--warehouse", "w", "--raw", "r"]),
        (compare_releases, ["--date", "2026-11-20", "--warehouse", "w", "--usage-cap-hours", "24"]),
    ],
)
def test_a_job_refuses_flags_it_would_ignore(module, argv):
    with pytest.raises(UsageError, match="unrecognized arguments"):
        module.command(argv)


def test_validate_raw_takes_the_same_limit_flags_as_the_aggregation():
    with pytest.raises(UsageError, match="usage cap must be a positive number"):
        validate_raw.command([*BASE, "--usage-cap-hours", "-5"])


def test_validate_raw_takes_a_range_as_the_aggregation_does(capsys):
    assert validate_raw.main(["--from", "2026-11-20", "--to", "2026-11-19", "--raw", "r", "--warehouse", "w"]) == 2
    assert "--to 2026-11-19 is before --from 2026-11-20" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("24", "argument --hour: not an hour of a day (0 to 23, UTC): '24'"),
        ("-1", "argument --hour: not an hour of a day (0 to 23, UTC): '-1'"),
        ("noon", "argument --hour: not an hour (a whole number from 0 to 23, UTC): 'noon'"),
    ],
)
def test_a_bad_hour_is_named_by_its_flag(text, message):
    # Issue 36: the error named the parser's internal `_hour`, not the flag.
    with pytest.raises(UsageError) as error:
        release_day.read_config(["--date", "2026-11-17", "--warehouse", "w", "--hour", text])
    assert str(error.value) == message


def test_an_hour_is_read():
    assert release_day.read_config(["--date", "2026-11-17", "--warehouse", "w", "--hour", "0"]).hour == 0


def test_a_stage_counts_its_own_spark_jobs_and_leaves_no_group_or_description_behind(spark):
    context = spark.sparkContext
    progress = Progress("aggregate_crashes", "2026-11-20")
    with progress.heartbeat(spark, "counting"):
        spark.range(3).collect()  # one Spark job

    (stage,) = progress.stages
    assert (stage.what, stage.spark_jobs) == ("counting", 1)
    assert context.getLocalProperty("spark.jobGroup.id") is None
    assert context.getLocalProperty("spark.job.description") is None
