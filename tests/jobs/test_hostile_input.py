"""The aggregation job against hostile landing data and flags: each line counted, nothing half-written."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from deltalake import DeltaTable
from pyspark.sql import functions as F

import jobs.aggregate_crashes as job
from lib.contract.vocabulary import Limits
from lib.ingest.landing import UnreadableInput
from lib.quality.publish import CriticalChecksFailed
from lib.warehouse.tables import read_table
from tests.conftest import REPO, write_partition
from tests.pingbuilder import DAY, hash_storm, main_ping

pytestmark = pytest.mark.slow


def compact(ping: dict) -> str:
    return json.dumps(ping, separators=(",", ":"))


def land(raw, day=DAY, main=(), crash=()):
    write_partition(raw, "main", day.isoformat(), [compact(p) if isinstance(p, dict) else p for p in main])
    write_partition(raw, "crash", day.isoformat(), list(crash))


def run(spark, raw, warehouse, day=DAY, limits=None):
    return job.run(spark, job.Config(day, str(raw), str(warehouse), None, limits or Limits(), raw_checks="skip"))


def metrics(spark, warehouse, day=DAY) -> dict:
    rows = read_table(spark, str(warehouse), "dq_metrics").where(F.col("submission_date") == F.lit(day)).collect()
    return {r.doc_type: r.asDict() for r in rows}


def test_a_larger_usage_cap_is_applied_to_the_rows_and_their_constraint(spark, tmp_path):
    long_session = main_ping(**{"payload.info.subsessionLength": 100_000})
    land(tmp_path / "raw", main=[long_session])
    run(spark, tmp_path / "raw", tmp_path / "wh", limits=Limits(usage_cap_hours=48))
    hours = [r.usage_hours for r in read_table(spark, str(tmp_path / "wh"), "crash_aggregates").collect()]
    assert hours == [pytest.approx(100_000 / 3600)]
    # The next night, with the default cap, writes beside it under the widened constraint.
    later = DAY.replace(day=DAY.day + 1)
    land(tmp_path / "raw", day=later, main=[main_ping(**{"payload.info.subsessionLength": 100_000})])
    run(spark, tmp_path / "raw", tmp_path / "wh", day=later)
    rows = read_table(spark, str(tmp_path / "wh"), "crash_aggregates").orderBy("submission_date").collect()
    assert [r.usage_hours for r in rows] == [pytest.approx(100_000 / 3600), 24.0]


def test_a_carriage_return_inside_a_ping_does_not_split_it(spark, tmp_path):
    ping = compact(main_ping()).replace('"channel":', '"channel":\r')
    land(tmp_path / "raw", main=[ping, compact(main_ping(id="b")) + "\r"])
    run(spark, tmp_path / "raw", tmp_path / "wh")
    main = metrics(spark, tmp_path / "wh")["main"]
    assert (main["input_lines"], main["aggregated"], main["quarantined"]) == (2, 2, 0)


def test_a_file_that_is_not_json_lines_fails_naming_it_and_writes_nothing(spark, tmp_path):
    land(tmp_path / "raw", main=[main_ping()])
    binary = tmp_path / "raw" / "main" / f"submission_date={DAY}" / "part-1.parquet"
    binary.write_bytes(b"PAR1\x15\x00\x15\x1c\xff\xfe\x00\n\x89\x00\x01\x02PAR1")
    with pytest.raises(
        UnreadableInput, match=r"not JSON lines: file:.*/main/submission_date=2026-11-20/part-1\.parquet"
    ):
        run(spark, tmp_path / "raw", tmp_path / "wh")
    assert not (tmp_path / "wh").exists()


def test_two_dates_run_at_once_on_a_fresh_warehouse_both_land(tmp_path):
    days = [DAY, DAY.replace(day=DAY.day + 1)]
    for n, day in enumerate(days):
        land(tmp_path / "raw", day=day, main=[main_ping(id=f"m{n}")])
    env = {k: v for k, v in os.environ.items() if k != "CRASH_RATES_DEBUG"}
    # The race is over creating the tables: the raw checks have tests of their own.
    where = ["--raw", str(tmp_path / "raw"), "--warehouse", str(tmp_path / "wh"), "--raw-checks", "skip"]
    runs = [
        subprocess.Popen(
            [sys.executable, "-m", "jobs.aggregate_crashes", "--date", day.isoformat(), *where],
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for day in days
    ]
    outcomes = [(p.wait(timeout=300), p.stderr.read().strip().splitlines()[-1:]) for p in runs]
    assert [code for code, _ in outcomes] == [0, 0], outcomes
    for name in ("crash_aggregates", "dq_metrics"):
        dates = DeltaTable(str(tmp_path / "wh" / name)).to_pyarrow_table().column("submission_date").to_pylist()
        assert set(dates) == set(days), name


def test_one_hash_over_a_storm_of_crashes_stops_the_night_loudly_and_merges_nothing(spark, tmp_path):
    """Issue 24: 1,000 Glean crash pings of distinct clients and three process types, all
    with the empty file's hash, were 999 duplicates and one crash, and every check passed."""
    storm = [compact(ping) for ping in hash_storm(1000)]
    raw = tmp_path / "raw"
    land(raw, main=[main_ping()])
    write_partition(raw, "glean_crash", DAY.isoformat(), storm)
    config = job.Config(DAY, str(raw), str(tmp_path / "wh"), None)
    with pytest.raises(CriticalChecksFailed, match="minidump_hash_shared"):
        job.run(spark, config)
    results = read_table(spark, str(tmp_path / "wh"), "dq_results")
    result = results.where(F.col("check") == "minidump_hash_shared").first()
    assert not result.success
    assert (
        result.observed_value
        == "100.00% of 1,000 crash pings with a minidump hash fail (1,000; at least 99.05% allowing for chance)"
    )
    assert "e3b0c44298fc... in 1000 documents" in result.details
    # Aggregated anyway (a fault understood), it counts every crash: none merged.
    run(spark, raw, tmp_path / "wh")
    glean = metrics(spark, tmp_path / "wh")["glean_crash"]
    assert (glean["aggregated"], glean["duplicates"]) == (1000, 0)
    crashes = read_table(spark, str(tmp_path / "wh"), "crash_aggregates").agg(F.sum("main_crashes")).first()[0]
    assert crashes == 334
