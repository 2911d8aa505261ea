"""A range of dates in one run: bad bounds are one line. That a date a critical check stops
is left unwritten and named, the others written, is tests/jobs/test_data_quality.py's,
whose month is one range run; that a range equals its nights one by one is
tests/jobs/test_reruns.py's, against the shared warehouse, itself one range run."""

from __future__ import annotations

import pytest

import jobs.aggregate_crashes as job


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
