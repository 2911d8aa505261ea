"""A range of dates in one run: a date a critical check stops is left unwritten, the others are
written, and bad bounds are one line (that a range equals its nights one by one is
tests/jobs/test_reruns.py's, against the shared warehouse, itself one range run)."""

from __future__ import annotations

import pytest
from pyspark.sql import functions as F

import jobs.aggregate_crashes as job
from lib.warehouse.tables import read_table
from tests.jobs.conftest import CLEAN, DROPPED, FAULTY

pytestmark = pytest.mark.slow


def test_a_date_a_critical_check_stops_is_left_unwritten_and_named_the_others_are_written(
    spark, landing, tmp_path, capsys
):
    argv = ["--from", str(CLEAN), "--to", str(DROPPED), "--raw", str(landing / "raw"), "--warehouse", str(tmp_path)]
    argv += ["--releases", str(landing / "releases")]
    assert job.main(argv) == 3
    error = capsys.readouterr().err.strip().splitlines()
    assert len(error) == 1 and error[0].startswith("aggregate_crashes: error: ")
    assert f"failed for {FAULTY} (raw)" in error[0] and "the other 2 date(s) were written" in error[0]
    written = read_table(spark, str(tmp_path), "crash_aggregates").select("submission_date").distinct().collect()
    assert sorted(r[0] for r in written) == [CLEAN, DROPPED]
    verdicts = read_table(spark, str(tmp_path), "dq_results").where(F.col("suite") == "raw")
    assert sorted(r[0] for r in verdicts.select("submission_date").distinct().collect()) == [CLEAN, FAULTY, DROPPED]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--from", "2026-11-20"], "--from needs --to"),
        (["--from", "2026-11-20", "--to", "2026-11-19"], "--to 2026-11-19 is before --from 2026-11-20"),
        (["--date", "2026-11-20", "--to", "2026-11-21"], "--to goes with --from"),
        (["--from", "2025-01-01", "--to", "2026-11-21"], "a range holds at most 366 dates"),
    ],
)
def test_a_bad_range_is_one_line_and_exit_2(argv, message, tmp_path, capsys):
    assert job.main([*argv, "--raw", str(tmp_path), "--warehouse", str(tmp_path)]) == 2
    error = capsys.readouterr().err.strip()
    assert message in error and "\n" not in error
