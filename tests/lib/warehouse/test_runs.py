"""The run record's row counts, from the commits the run made: read without a read of the tables."""

from __future__ import annotations

import json
import time
from datetime import date

import pytest

from lib.runtime.local_frames import local_frame
from lib.warehouse.runs import NIGHT_TABLES, half_written, new_run_id, read_commit, record_run
from lib.warehouse.tables import read_table, replace_partition, table_spec

DAY, NEXT, OTHER = date(2026, 11, 20), date(2026, 11, 21), date(2026, 11, 22)


def added(day: str, stats: dict | None) -> dict:
    add = {"path": f"submission_date={day}/part-0.parquet", "partitionValues": {"submission_date": day}}
    return {"add": add | ({"stats": json.dumps(stats)} if stats is not None else {})}


def commit(*actions: dict, metadata: dict | None = None) -> str:
    info = {"timestamp": 1_795_000_000_000, "operation": "WRITE"}
    if metadata is not None:
        info["userMetadata"] = json.dumps(metadata)
    return "\n".join(json.dumps(a) for a in ({"commitInfo": info}, *actions)) + "\n"


def test_a_commit_tells_its_run_and_the_rows_it_added_per_date():
    text = commit(
        {"remove": {"path": "old.parquet"}},
        added("2026-11-20", {"numRecords": 3, "minValues": {}}),
        added("2026-11-20", {"numRecords": 4}),
        added("2026-11-21", {"numRecords": 0}),
        metadata={"job": "aggregate_crashes", "run_id": "abc"},
    )
    assert read_commit(text) == read_commit(text.replace("\n", "\n\n"))
    found = read_commit(text)
    assert (found.run_id, found.timestamp_ms, found.rows) == ("abc", 1_795_000_000_000, {DAY: 7, NEXT: 0})


@pytest.mark.parametrize(
    ("text", "run_id", "rows"),
    [
        (commit({"metaData": {"id": "t"}}, {"protocol": {}}), None, {}),
        (commit(added("2026-11-20", None), metadata={"run_id": "abc"}), "abc", None),
        (commit(added("2026-11-20", {"minValues": {}}), metadata={"run_id": "abc"}), "abc", None),
        (commit(added("2026-11-20", {"numRecords": 2}), metadata={"job": "housekeeping"}), None, {DAY: 2}),
    ],
    ids=["a table's creation", "a file without statistics", "statistics without a row count", "no run id"],
)
def test_a_commit_without_a_run_or_without_row_counts_says_so(text, run_id, rows):
    found = read_commit(text)
    assert (found.run_id, found.rows) == (run_id, rows)


@pytest.mark.parametrize("statistics", ["true", "false"], ids=["from the commit", "files without statistics"])
def test_the_record_counts_each_dates_rows_of_the_run_and_no_other(spark, tmp_path, statistics):
    warehouse, spec = str(tmp_path), table_spec("quarantine")
    mine, another = new_run_id(), new_run_id()

    def write(run_id: str, rows: dict[date, int]) -> None:
        lines = [(day, "main", "not_json", "", "part-0.json", "{", run_id) for day, n in rows.items() for _ in range(n)]
        replace_partition(
            spark, warehouse, spec, local_frame(spark, lines, spec.schema), list(rows), {"run_id": run_id}
        )

    since = time.time()
    spark.conf.set("spark.databricks.delta.stats.collect", statistics)
    try:
        write(mine, {DAY: 3, NEXT: 2})
        write(another, {OTHER: 5})  # a later commit of another run: the record looks past it
    finally:
        spark.conf.unset("spark.databricks.delta.stats.collect")
    record_run(spark, warehouse, mine, [DAY, NEXT], ["quarantine", "dq_metrics"], {"run_id": mine}, since)

    recorded = {
        (r.submission_date, r.table_name): (r.run_id, r.row_count)
        for r in read_table(spark, warehouse, "runs").collect()
    }
    assert recorded == {
        (DAY, "quarantine"): (mine, 3),
        (NEXT, "quarantine"): (mine, 2),
        (DAY, "dq_metrics"): (mine, 0),  # a table the run wrote nothing to
        (NEXT, "dq_metrics"): (mine, 0),
    }
    assert "quarantine" in NIGHT_TABLES and half_written(spark, warehouse, [DAY, NEXT]) == {}
