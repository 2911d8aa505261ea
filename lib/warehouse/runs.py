"""Which dates the night wrote whole: the ``runs`` table and the ``run_id`` of every row.

Delta commits one table at a time, so a night killed between two of its commits
leaves a date's tables from two runs: ``crash_aggregates`` of the new input beside
``dq_metrics`` of the old. Every row the night writes carries the id of its run
(``run_id``), and once all of :data:`NIGHT_TABLES` are committed, one more commit
records, per date and table, that run and how many rows of the date it wrote
(``runs``). A date is complete when each table holds exactly those rows; a killed
run leaves the previous run's record, which its new rows disagree with, until a
re-run rewrites every table and the record. A date no run has recorded yet (written
before this table existed) is complete as long as no row of it carries a run id.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from functools import reduce

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from lib.contract.errors import JobError
from lib.runtime.local_frames import local_frame
from lib.warehouse.tables import PARTITION_COLUMN, read_table, read_table_if_exists, replace_partition, table_spec

RUN_ID = "run_id"
RUNS = "runs"
# The tables a night of aggregate_crashes writes, each with a run_id column; a table
# added to the night joins the record here, with one line.
NIGHT_TABLES = (
    "crash_aggregates",
    "crash_client_sums",
    "client_counts",
    "crash_reasons",
    "crash_signatures",
    "quarantine",
    "usage_parity",
    "crash_aggregates_hourly",
    "dq_metrics",
)


def new_run_id() -> str:
    """A fresh id a run stamps on every row it writes: no two runs share one."""
    return uuid.uuid4().hex


def _dates_in(frame: DataFrame, days: Sequence[date]) -> DataFrame:
    return frame.where(F.col(PARTITION_COLUMN).isin(*sorted(set(days))))


def _rows_by_run(spark: SparkSession, warehouse: str, tables: Sequence[str], days: Sequence[date]) -> DataFrame:
    """(table_name, submission_date, run_id, row_count) of the rows that carry a run id,
    every table in one Spark job. An hourly batch's rows carry none: they are not the night's."""
    counts = [
        _dates_in(found, days)
        .where(F.col(RUN_ID).isNotNull())
        .groupBy(PARTITION_COLUMN, RUN_ID)
        .agg(F.count(F.lit(1)).alias("row_count"))
        .select(F.lit(name).alias("table_name"), PARTITION_COLUMN, RUN_ID, "row_count")
        for name in tables
        if (found := read_table_if_exists(spark, warehouse, name)) is not None and RUN_ID in found.columns
    ]
    empty = local_frame(spark, [], "table_name string, submission_date date, run_id string, row_count long")
    return reduce(DataFrame.unionByName, counts, empty)


def record_run(
    spark: SparkSession,
    warehouse: str,
    run_id: str,
    days: Sequence[date],
    tables: Sequence[str],
    commit_info: dict,
) -> None:
    """Record ``days`` as written whole by ``run_id``: call once every table is committed.
    The row counts are read back from the tables as committed, not predicted."""
    found = _rows_by_run(spark, warehouse, tables, days).where(F.col(RUN_ID) == run_id).collect()
    counts = {(row["table_name"], row[PARTITION_COLUMN]): row["row_count"] for row in found}
    rows = [(day, name, run_id, counts.get((name, day), 0)) for day in days for name in tables]
    spec = table_spec(RUNS)
    replace_partition(spark, warehouse, spec, local_frame(spark, rows, spec.schema), days, commit_info)


def half_written(spark: SparkSession, warehouse: str, days: Sequence[date]) -> dict[date, list[str]]:
    """The dates of ``days`` whose tables disagree with their record in ``runs``, each
    with the tables that do (in :data:`NIGHT_TABLES` order); empty when all are whole."""
    recorded: dict[date, dict[str, tuple[str, int]]] = {}
    if (runs := read_table_if_exists(spark, warehouse, RUNS)) is not None:
        for row in _dates_in(runs, days).collect():
            recorded.setdefault(row[PARTITION_COLUMN], {})[row["table_name"]] = (row[RUN_ID], row["row_count"])
    tables = list(NIGHT_TABLES) + sorted({t for r in recorded.values() for t in r} - set(NIGHT_TABLES))
    found: dict[tuple[date, str], dict[str, int]] = {}
    for row in _rows_by_run(spark, warehouse, tables, days).collect():
        found.setdefault((row[PARTITION_COLUMN], row["table_name"]), {})[row[RUN_ID]] = row["row_count"]
    disagree: dict[date, list[str]] = {}
    for day in sorted(set(days)):
        record = recorded.get(day, {})
        for name in tables:
            run_id, rows = record.get(name, ("", 0))
            expected = {run_id: rows} if rows else {}
            if found.get((day, name), {}) != expected:
                disagree.setdefault(day, []).append(name)
    return disagree


class HalfWrittenDate(JobError):
    """A date whose tables are of two runs of aggregate_crashes: one was killed half-way."""


def require_whole(spark: SparkSession, warehouse: str, days: Sequence[date]) -> None:
    """Refuse, in one line, dates whose tables a killed run left of two runs."""
    if bad := half_written(spark, warehouse, days):
        shown = "; ".join(f"{day} ({', '.join(tables)})" for day, tables in bad.items())
        raise HalfWrittenDate(
            f"half-written by an aggregate_crashes run that did not finish, its tables disagreeing with the "
            f"runs table: {shown}; re-run aggregate_crashes for {'it' if len(bad) == 1 else 'them'}"
        )


def whole_rows(spark: SparkSession, warehouse: str, name: str) -> DataFrame:
    """The rows of table ``name`` that the run recorded for their date wrote: a date a
    killed run left half-written has none here (its new rows are not recorded yet, its
    old ones were replaced), so joining two tables read this way never mixes runs.
    Dates written before runs were recorded (run_id null) are kept as they are."""
    rows = read_table(spark, warehouse, name)
    runs = read_table_if_exists(spark, warehouse, RUNS)
    if runs is None:
        return rows.where(F.col(RUN_ID).isNull())
    mine = runs.where(F.col("table_name") == name).select(PARTITION_COLUMN, F.col(RUN_ID).alias("_recorded"))
    joined = rows.join(mine, [PARTITION_COLUMN], "left")
    return joined.where(
        (F.col(RUN_ID) == F.col("_recorded")) | (F.col(RUN_ID).isNull() & F.col("_recorded").isNull())
    ).drop("_recorded")
