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

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import reduce

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from lib.contract.errors import JobError
from lib.runtime.local_frames import local_frame
from lib.warehouse.storage import path_exists, qualified, read_text
from lib.warehouse.tables import (
    PARTITION_COLUMN,
    commit_files,
    read_table,
    read_table_if_exists,
    replace_partition,
    table_spec,
)

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


@dataclass(frozen=True)
class Commit:
    """What :func:`record_run` needs of one Delta commit: the run that made it (from the
    ``userMetadata`` every write of ours carries), when, and the rows it added per date
    (from each added file's own ``numRecords``; None when a file has no statistics)."""

    run_id: str | None
    timestamp_ms: int
    rows: dict[date, int] | None


def read_commit(text: str) -> Commit:
    """A commit file's actions, one JSON object a line, as a :class:`Commit`."""
    actions = [json.loads(line) for line in text.splitlines() if line.strip()]
    info: dict = next((action["commitInfo"] for action in actions if "commitInfo" in action), {})
    metadata = info.get("userMetadata") or ""
    run_id = json.loads(metadata).get(RUN_ID) if metadata.startswith("{") else None
    added = [
        (
            (add.get("partitionValues") or {}).get(PARTITION_COLUMN),
            json.loads(add.get("stats") or "{}").get("numRecords"),
        )
        for action in actions
        if (add := action.get("add"))
    ]
    rows: dict[date, int] | None = None
    if all(day and records is not None for day, records in added):
        rows = {}
        for day, records in added:
            key = date.fromisoformat(str(day))
            rows[key] = rows.get(key, 0) + int(records)
    return Commit(run_id, int(info.get("timestamp", 0)), rows)


def _committed_rows(
    spark: SparkSession, warehouse: str, name: str, run_id: str, since_ms: int
) -> dict[date, int] | None:
    """The rows per date ``run_id`` committed to table ``name``, from its commit in the
    table's log, newest first back to ``since_ms`` (a write of no rows commits nothing,
    and a table never written has no log: none); None when its files carry no row counts."""
    log = f"{qualified(spark, table_spec(name).path(warehouse))}/_delta_log"
    for path in reversed(commit_files(spark, log) if path_exists(spark, log) else []):
        commit = read_commit(read_text(spark, path))
        if commit.run_id == run_id:
            return commit.rows
        if commit.timestamp_ms < since_ms:
            break
    return {}


def record_run(
    spark: SparkSession,
    warehouse: str,
    run_id: str,
    days: Sequence[date],
    tables: Sequence[str],
    commit_info: dict,
    since: float,
) -> None:
    """Record ``days`` as written whole by ``run_id``: call once every table is committed,
    with ``since`` the time (epoch seconds) its first write began. The row counts are the
    commits' own, as committed, read from each table's log: no table is read again
    (a table whose files carry no row counts is)."""
    counts: dict[tuple[str, date], int] = {}
    unknown = []
    # Commits are stamped by the clock of the process that made them: a minute's grace.
    since_ms = int((since - 60) * 1000)
    for name in tables:
        committed = _committed_rows(spark, warehouse, name, run_id, since_ms)
        if committed is None:
            unknown.append(name)
        else:
            counts.update({(name, day): n for day, n in committed.items()})
    if unknown:
        found = _rows_by_run(spark, warehouse, unknown, days).where(F.col(RUN_ID) == run_id).collect()
        counts.update({(row["table_name"], row[PARTITION_COLUMN]): row["row_count"] for row in found})
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
