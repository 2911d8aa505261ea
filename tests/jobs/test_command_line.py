"""The job's command line: exit status and one clear line for every kind of bad input."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import jobs.aggregate_crashes as job
from lib.ingest.calendar import CalendarError
from tests.conftest import REPO, write_partition
from tests.delta_state import snapshot, versions
from tests.jobs.conftest import CLEAN, config
from tests.pingbuilder import main_ping

pytestmark = pytest.mark.slow


def aggregate(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "CRASH_RATES_DEBUG"}
    return subprocess.run(
        [sys.executable, "-m", "jobs.aggregate_crashes", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def last_line(result: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in result.stderr
    return result.stderr.strip().splitlines()[-1]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--date", "2026-11-20", "--raw", "r", "--warehouse", "w", "--bogus"],
            "unrecognized arguments: --bogus",
        ),
        (["--raw", "r", "--warehouse", "w"], "one of the arguments --date --from is required"),
        (
            ["--date", "2026-13-01", "--raw", "r", "--warehouse", "w"],
            "argument --date: not a date (YYYY-MM-DD): '2026-13-01'",
        ),
        (
            ["--date", "2026-11-20", "--raw", "r", "--warehouse", "w", "--usage-cap-hours", "lots"],
            "argument --usage-cap-hours: invalid float value: 'lots'",
        ),
    ],
)
def test_bad_arguments_exit_2_with_one_line(args, message):
    result = aggregate(*args)
    assert result.returncode == 2
    assert result.stderr.strip() == f"aggregate_crashes: error: {message} (see --help)"
    assert result.stdout == ""


# The DAG's other jobs; each of their command lines once as its own process, as a task
# runs it (in-process elsewhere in the suite). A bad flag is refused before Spark starts.
OTHER_JOBS = (
    "validate_raw",
    "validate_aggregates",
    "compare_releases",
    "release_health",
    "housekeeping",
    "aggregate_hourly",
    "release_day",
)


@pytest.mark.parametrize("name", OTHER_JOBS)
def test_every_job_run_as_a_process_refuses_a_bad_flag_with_exit_2_and_one_line(name):
    result = subprocess.run(
        [sys.executable, "-m", f"jobs.{name}", "--date", "2026-13-01", "--warehouse", "w"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert (result.returncode, result.stdout) == (2, "")
    message = "argument --date: not a date (YYYY-MM-DD): '2026-13-01'"
    assert result.stderr.strip() == f"{name}: error: {message} (see --help)"


def test_the_nightly_job_starts_without_the_statistics_and_chart_libraries():
    """scipy.stats and Altair take seconds to import: a process that runs no check (a bad
    flag, a missing partition, raw checks skipped) never pays for them. Great Expectations
    imports both, so a night that runs its checks loads them then."""
    code = "import sys, jobs.aggregate_crashes; print(sorted(m for m in ('scipy', 'altair') if m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert (result.returncode, result.stdout.strip()) == (0, "[]"), result.stderr[-2000:]


def test_a_missing_partition_exits_1_with_one_line_and_creates_no_table(tmp_path):
    write_partition(tmp_path / "raw", "crash", "2026-11-20", [])
    result = aggregate("--date", "2026-11-20", "--raw", str(tmp_path / "raw"), "--warehouse", str(tmp_path / "wh"))
    assert result.returncode == 1
    assert last_line(result) == (
        f"aggregate_crashes: error: missing main partition: {tmp_path}/raw/main/submission_date=2026-11-20"
    )
    assert not (tmp_path / "wh").exists()
    # Progress goes to stdout; stderr holds the error line (after the JVM's own start-up lines).
    assert "aggregate_crashes 2026-11-20 [" in result.stdout and "release calendar" in result.stdout
    assert "aggregate_crashes 2026-11-20 [" not in result.stderr


def test_an_unreadable_file_exits_1_naming_it(spark, tmp_path, capsys):
    """The job's ``main`` in this process, on the suite's session: the exit status and the
    one line are the command line's (the process itself is the test above)."""
    import json

    write_partition(tmp_path / "raw", "main", "2026-11-20", [json.dumps(main_ping())])
    folder = write_partition(tmp_path / "raw", "crash", "2026-11-20", [])
    (folder / "broken.json.gz").write_bytes(b"\x1f\x8b\x08\x00 this is not gzip")
    status = job.main(["--date", "2026-11-20", "--raw", str(tmp_path / "raw"), "--warehouse", str(tmp_path / "wh")])
    assert status == 1
    error = capsys.readouterr().err
    assert "Traceback" not in error
    line = error.strip().splitlines()[-1]
    assert line.startswith("aggregate_crashes: error: ")
    assert "broken.json.gz" in line
    assert not (tmp_path / "wh").exists()


def test_an_unreadable_file_leaves_existing_tables_as_they_were(spark, landing, warehouse, tmp_path):
    raw = tmp_path / "raw"
    shutil.copytree(landing / "raw", raw)
    (raw / "crash" / f"submission_date={CLEAN}" / "part-0000.json.gz").write_bytes(b"\x1f\x8b\x08\x00 garbage")
    before, before_versions = snapshot(spark, warehouse), versions(spark, warehouse)
    with pytest.raises(Exception, match=r"part-0000\.json\.gz"):
        job.run(spark, config(landing, warehouse, CLEAN, raw=raw))
    assert versions(spark, warehouse) == before_versions
    assert snapshot(spark, warehouse) == before


def test_a_calendar_folder_without_its_files_is_an_error_before_any_reading(spark, landing, tmp_path):
    with pytest.raises(CalendarError, match=r"lacks firefox_history_major_releases\.json"):
        job.run(spark, job.Config(CLEAN, str(landing / "raw"), str(tmp_path / "wh"), str(tmp_path)))
    assert not Path(tmp_path / "wh").exists()
