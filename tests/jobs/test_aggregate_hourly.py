"""The hourly run on a release day landing file by file: every ping counted once however
often it runs, whatever lands twice, whenever it dies; and the night has the last word."""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
from pathlib import Path

import pytest
from pyspark.sql import functions as F

import jobs.aggregate_hourly as hourly
from jobs.aggregate_crashes import run as run_night
from lib.ingest.landing import UnreadableInput
from lib.warehouse.tables import read_table
from tests.hourly_landing import land, lines_by_hour
from tests.jobs.conftest import FAULTY, config

REPO = Path(__file__).resolve().parents[2]
# The faulty day: both crash formats for the same crashes, duplicates, malformed lines.
DAY = FAULTY
TOTALS = ("ping_count", "usage_hours", "main_crashes", "content_crashes")


def _totals(spark, warehouse: Path, table: str = "crash_aggregates_hourly") -> dict[str, float]:
    rows = read_table(spark, str(warehouse), table).where(F.col("submission_date") == F.lit(DAY))
    row = rows.agg(*[F.sum(c).alias(c) for c in TOTALS]).first()
    return {c: round(float(row[c] or 0), 6) for c in TOTALS}


def _hourly(landing: Path, raw: Path, warehouse: Path) -> hourly.Config:
    return hourly.Config(DAY, str(raw), str(warehouse), str(landing / "releases"))


@pytest.fixture(scope="module")
def lines(landing) -> dict[tuple[str, int], list[str]]:
    return lines_by_hour(landing / "raw", DAY)


@pytest.fixture(scope="module")
def whole_day(spark, landing, lines, tmp_path_factory) -> dict[str, float]:
    """The day's totals as one hourly run counts it, landed whole: what a run killed half-way
    or two runs at once must leave in the end."""
    folder = tmp_path_factory.mktemp("whole_day")
    land(folder / "raw", DAY, lines, range(0, 24), "day")
    hourly.run(spark, _hourly(landing, folder / "raw", folder / "warehouse"))
    return _totals(spark, folder / "warehouse")


def test_a_gzip_file_named_in_upper_case_is_refused_before_anything_is_counted(spark, tmp_path):
    folder = tmp_path / "raw" / "main" / f"submission_date={DAY}"
    folder.mkdir(parents=True)
    (folder / "late.json.GZ").write_bytes(gzip.compress(b"{}\n"))
    with pytest.raises(UnreadableInput, match=r"late\.json\.GZ.*lower-case \.gz"):
        hourly.run(spark, hourly.Config(DAY, str(tmp_path / "raw"), str(tmp_path / "wh")))
    assert not (tmp_path / "wh").exists()


@pytest.mark.slow
def test_a_day_landing_file_by_file_is_counted_once_and_the_night_has_the_last_word(spark, landing, lines, tmp_path):
    raw, warehouse = tmp_path / "raw", tmp_path / "warehouse"
    land(raw, DAY, lines, range(0, 8), "morning")
    summary = hourly.run(spark, _hourly(landing, raw, warehouse))
    assert "1 batch(es)" in summary
    morning = _totals(spark, warehouse)
    assert morning["ping_count"] > 0

    # Nothing new: nothing added. The rest of the day, with the morning's pings landing again.
    assert "0 new lines in 0 batch(es)" in hourly.run(spark, _hourly(landing, raw, warehouse))
    assert _totals(spark, warehouse) == morning
    land(raw, DAY, lines, range(8, 24), "afternoon")
    land(raw, DAY, lines, range(0, 8), "morning-again")
    hourly.run(spark, _hourly(landing, raw, warehouse))
    provisional = _totals(spark, warehouse)
    hours = read_table(spark, str(warehouse), "crash_aggregates_hourly").where(F.col("submission_date") == F.lit(DAY))
    assert {r.submission_hour for r in hours.select("submission_hour").distinct().collect()} <= set(range(24))
    assert hours.where(F.col("submission_hour").isNotNull()).count() > 0

    # The night: the date's rows rewritten from its parse, equal to crash_aggregates.
    for folder in raw.glob(f"*/submission_date={DAY}"):
        (folder / "_SUCCESS").touch()
    run_night(spark, config(landing, warehouse, DAY, raw=raw))
    night = _totals(spark, warehouse)
    assert night == pytest.approx(_totals(spark, warehouse, "crash_aggregates"))
    assert read_table(spark, str(warehouse), "crash_aggregates_hourly").where("batch_id IS NOT NULL").count() == 0
    # What the hours had counted is what the night counts: each ping and crash once.
    assert provisional == pytest.approx(night)
    assert "the night has run" in hourly.run(spark, _hourly(landing, raw, warehouse))
    assert _totals(spark, warehouse) == night


@pytest.mark.slow
def test_a_run_killed_half_way_and_run_again_counts_every_ping_once(
    spark, landing, lines, whole_day, tmp_path, monkeypatch
):
    raw = tmp_path / "raw"
    land(raw, DAY, lines, range(0, 24), "day")
    warehouse = tmp_path / "warehouse"
    original = hourly.append_once

    def dies_before_the_rows(spark_, warehouse_, spec, *args, **kwargs):
        if spec.name == "crash_aggregates_hourly":
            raise OSError("killed")
        original(spark_, warehouse_, spec, *args, **kwargs)

    monkeypatch.setattr(hourly, "append_once", dies_before_the_rows)
    with pytest.raises(Exception, match="killed"):
        hourly.run(spark, _hourly(landing, raw, warehouse))
    monkeypatch.undo()
    # Half-way: the batch's keys are committed, its rows are not.
    assert read_table(spark, str(warehouse), "hourly_counted").count() > 0
    hourly.run(spark, _hourly(landing, raw, warehouse))
    assert _totals(spark, warehouse) == whole_day


@pytest.mark.slow
def test_two_hourly_runs_at_once_count_every_ping_once(spark, landing, lines, whole_day, tmp_path):
    raw, warehouse = tmp_path / "raw", tmp_path / "warehouse"
    land(raw, DAY, lines, range(0, 24), "day")
    command = [
        sys.executable, "-m", "jobs.aggregate_hourly", "--date", str(DAY), "--raw", str(raw),
        "--warehouse", str(warehouse), "--releases", str(landing / "releases"),
    ]  # fmt: skip
    env = dict(os.environ, CRASH_RATES_DRIVER_MEMORY="1g")
    runs = [subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)]
    runs.append(subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    results = [(run.wait(timeout=600), *run.communicate()) for run in runs]
    for status, out, err in results:
        # Each either counted the files or stopped in one line, saying why.
        last = err.strip().splitlines()[-1] if err.strip() else ""
        stopped = last.startswith("aggregate_hourly: error: another aggregate_hourly run")
        assert status == 0 or (status == 1 and stopped and "Traceback" not in err), (status, out[-500:], err[-3000:])
    hourly.run(spark, _hourly(landing, raw, warehouse))  # whatever the loser left
    assert _totals(spark, warehouse) == whole_day
