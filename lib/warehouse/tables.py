"""The Delta edge: output tables created from their contracts, one date replaced at a time.

Each table's columns, descriptions, partitioning and CHECK constraints are read
from ``schemas/tables/<name>.json``. A write replaces exactly one submission
date's partition in one Delta commit, so readers see the old day or the new day,
never half of one, and running a date twice equals running it once. The commit
carries the job's parameters (``userMetadata``, shown by DESCRIBE HISTORY), so a
number can be traced to how it was made.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources
from typing import Any

from delta.tables import DeltaTable
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from lib.contract.errors import one_line
from lib.warehouse.storage import list_files, path_exists, qualified

PARTITION_COLUMN = "submission_date"
SCHEMA_VERSION = "crash_rates.schema_version"  # table property: the contract version that wrote it
# Every table the nightly and hourly runs write, each with a contract in schemas/tables/.
TABLES = (
    "crash_aggregates",
    "crash_client_sums",
    "client_counts",
    "crash_reasons",
    "crash_signatures",
    "signature_first_seen",
    "quarantine",
    "dq_metrics",
    "runs",
    "dq_results",
    "release_comparisons",
    "reason_comparisons",
    "signature_comparisons",
    "usage_parity",
    "crash_aggregates_hourly",
    "hourly_counted",
    "release_day_verdicts",
    "release_day_alerts",
)


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    nullable: bool
    description: str


@dataclass(frozen=True)
class TableSpec:
    name: str
    version: int
    description: str
    partitioned_by: tuple[str, ...]
    columns: tuple[Column, ...]
    constraints: dict[str, str]
    # Parameters of the constraints that follow a run's flags, e.g. ``{usage_cap_hours}``:
    # each is an upper bound, and a table keeps the largest any run wrote with.
    constraint_bounds: tuple[str, ...] = ()

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def schema(self) -> str:
        """The columns as a DDL schema string (``name type, ...``), for frames built of rows."""
        return ", ".join(f"{c.name} {c.type}" for c in self.columns)

    def path(self, warehouse: str) -> str:
        return f"{warehouse.rstrip('/')}/{self.name}"

    def constraint_expressions(self, bounds: Mapping[str, float]) -> dict[str, str]:
        """The CHECK constraints with their bounds filled in; an error when one is not given."""
        missing = set(self.constraint_bounds) - set(bounds)
        if missing:
            raise ValueError(f"{self.name}: constraints need {sorted(missing)}")
        values = {name: f"{bounds[name]:g}" for name in self.constraint_bounds}
        return {name: expression.format(**values) for name, expression in self.constraints.items()}


@cache
def table_spec(name: str) -> TableSpec:
    raw = json.loads(resources.files("schemas").joinpath("tables", f"{name}.json").read_text())
    return TableSpec(
        name=raw["name"],
        version=raw["version"],
        description=raw["description"],
        partitioned_by=tuple(raw["partitioned_by"]),
        columns=tuple(Column(**c) for c in raw["columns"]),
        constraints=raw["constraints"],
        constraint_bounds=tuple(raw.get("constraint_bounds", ())),
    )


class TableCreationFailed(Exception):
    """A table could not be created or completed, even after retrying."""


def _bound_property(name: str) -> str:
    return f"crash_rates.bound.{name}"


def _create(spark: SparkSession, path: str, spec: TableSpec, bounds: Mapping[str, float]) -> None:
    """One commit creates the whole table: columns with comments, description, partitioning,
    schema version and CHECK constraints (Delta keeps them as ``delta.constraints.*``
    properties), so a run killed while creating leaves no table or a complete one.
    An error where the table already exists (another run created it first)."""
    builder = (
        DeltaTable.create(spark)
        .location(path)
        .comment(spec.description)
        .property(SCHEMA_VERSION, str(spec.version))
        # Plain files keep the tables readable by every delta-rs, DuckDB and Polars.
        .property("delta.enableDeletionVectors", "false")
    )
    if spec.partitioned_by:
        builder = builder.partitionedBy(*spec.partitioned_by)
    for name, value in bounds.items():
        builder = builder.property(_bound_property(name), f"{value:g}")
    for name, expression in spec.constraint_expressions(bounds).items():
        builder = builder.property(f"delta.constraints.{name}", expression)
    for column in spec.columns:
        builder = builder.addColumn(column.name, column.type, column.nullable, comment=column.description)
    builder.execute()


def _complete(spark: SparkSession, path: str, spec: TableSpec, bounds: Mapping[str, float]) -> None:
    """Add whatever an existing table lacks of its contract: a table created by an older
    version in several commits, and killed half-way, is repaired by the next run, and
    a table of an older schema version gains the new columns and constraints.

    A constraint bound only widens (the rows of other dates were written under the
    old one); the constraint is replaced, and DROP and ADD are two commits, so a run
    killed between them leaves it missing, and the next run adds it back.
    """
    table = f"delta.`{path}`"
    properties, description = _metadata(spark, table)
    fields = DeltaTable.forPath(spark, path).toDF().schema.fields
    comments = {f.name: f.metadata.get("comment") for f in fields}
    added = [c for c in spec.columns if c.name not in comments]
    if added:  # a newer schema version: Delta adds them, nullable, null in the rows written before
        names = spec.column_names
        columns = ", ".join(
            f"{c.name} {c.type} COMMENT {_sql_string(c.description)}{_placed(names, names.index(c.name))}"
            for c in added
        )
        spark.sql(f"ALTER TABLE {table} ADD COLUMNS ({columns})")
        comments |= {c.name: c.description for c in added}
    # A newer contract may allow nulls where an older one did not (never the reverse).
    for name in (f.name for f in fields if not f.nullable and name_is_nullable(spec, f.name)):
        spark.sql(f"ALTER TABLE {table} ALTER COLUMN {name} DROP NOT NULL")
    current = {n: float(properties[_bound_property(n)]) for n in bounds if _bound_property(n) in properties}
    widest = {n: max(value, current.get(n, value)) for n, value in bounds.items()}
    changed = {f"'{_bound_property(n)}' = '{v:g}'" for n, v in widest.items() if n not in current or current[n] != v}
    if description != spec.description:
        changed.add(f"'comment' = {_sql_string(spec.description)}")
    if properties.get(SCHEMA_VERSION) != str(spec.version):
        changed.add(f"'{SCHEMA_VERSION}' = '{spec.version}'")
    if changed:
        spark.sql(f"ALTER TABLE {table} SET TBLPROPERTIES ({', '.join(sorted(changed))})")
    for name, expression in spec.constraint_expressions(widest).items():
        existing = properties.get(f"delta.constraints.{name}")
        if existing is not None and _same_sql(existing, expression):
            continue
        if existing is not None:
            spark.sql(f"ALTER TABLE {table} DROP CONSTRAINT {name}")
        spark.sql(f"ALTER TABLE {table} ADD CONSTRAINT {name} CHECK ({expression})")
    for column in spec.columns:
        if comments.get(column.name) != column.description:
            spark.sql(f"ALTER TABLE {table} ALTER COLUMN {column.name} COMMENT {_sql_string(column.description)}")


def _metadata(spark: SparkSession, table: str) -> tuple[dict[str, str], str | None]:
    """The table's properties and description, from its metadata alone: ``DESCRIBE DETAIL``
    also counts the table's files, which rebuilds its state from the log (three Spark jobs,
    half a second a table in a warm session, seconds in a new one)."""
    properties = {row.key: row.value for row in spark.sql(f"SHOW TBLPROPERTIES {table}").collect()}
    described = [(row.col_name, row.data_type) for row in spark.sql(f"DESCRIBE TABLE EXTENDED {table}").collect()]
    details = [name for name, _ in described].index("# Detailed Table Information")
    description = next((value for name, value in described[details:] if name == "Comment"), None)
    return properties, description


def _placed(names: list[str], index: int) -> str:
    """Where an added column goes: after its predecessor in the contract, as a new table has it."""
    return f" AFTER {names[index - 1]}" if index else " FIRST"


def name_is_nullable(spec: TableSpec, name: str) -> bool:
    return any(c.name == name and c.nullable for c in spec.columns)


def _same_sql(stored: str, declared: str) -> bool:
    """Delta keeps a constraint added by ALTER TABLE as tokens (``coalesce ( x , 0 )``)."""
    return re.sub(r"\s+", "", stored) == re.sub(r"\s+", "", declared)


def _sql_string(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


CREATE_ATTEMPTS = 4
# Tables this process has created or completed, with the bounds it completed them for:
# a second night in one process (the demo, a backfill, the tests) skips the look at
# the table's metadata (two commands a table) once the table is still there.
_COMPLETED: set[tuple[str, str, int, tuple[tuple[str, float], ...]]] = set()


def ensure_table(
    spark: SparkSession, warehouse: str, spec: TableSpec, bounds: Mapping[str, float] | None = None
) -> str:
    """The table's path, created from its contract if missing, completed if a part is missing.

    Safe when two runs race to create the same table: the loser of Delta's commit
    race finds the winner's table on its next attempt, waiting for its first commit
    where the winner has begun it (:func:`_created_meanwhile`).
    """
    path = qualified(spark, spec.path(warehouse))
    bounds = {name: value for name, value in (bounds or {}).items() if name in spec.constraint_bounds}
    done = (path, spec.name, spec.version, tuple(sorted(bounds.items())))
    for attempt in range(1, CREATE_ATTEMPTS + 1):
        try:
            exists = DeltaTable.isDeltaTable(spark, path) or _created_meanwhile(spark, path, spec)
            if exists and done not in _COMPLETED:
                _complete(spark, path, spec, bounds)
            elif not exists:  # created whole from the contract: nothing to complete
                _create(spark, path, spec, bounds)
            _COMPLETED.add(done)
            return path
        except TableCreationFailed:
            raise
        except Exception as error:  # a concurrent creator's commit, or a real failure: look again
            if attempt == CREATE_ATTEMPTS:
                raise TableCreationFailed(
                    f"could not create or complete table {spec.name} at {path} after {attempt} attempts: "
                    f"{one_line(error)}"
                ) from error
            time.sleep(0.5 * attempt)
    raise AssertionError("unreachable")


# A Delta commit's file in a table's ``_delta_log``: its version, twenty digits.
COMMIT_FILE = re.compile(r"\d{20}\.json")


def commit_files(spark: SparkSession, log: str) -> list[str]:
    """The commit files in the log folder ``log`` (which must exist), oldest first."""
    return [path for path, _ in list_files(spark, log) if COMMIT_FILE.fullmatch(path.rsplit("/", 1)[-1])]


# How long a table's transaction log may stay without its first commit before a run
# calls it abandoned: another run creating the table commits within seconds, even a
# cold JVM beside another on two cores (tests/jobs/test_hostile_input.py's race).
FIRST_COMMIT_WAIT = 60.0


def _created_meanwhile(spark: SparkSession, path: str, spec: TableSpec) -> bool:
    """False where no run has begun the table. Where its log folder is there without a
    commit, another run is creating it (Delta makes the folder, then commits version 0,
    and refuses a second creator meanwhile): True once that commit shows, an error if
    none shows within FIRST_COMMIT_WAIT seconds (a creator killed between the two).

    The commit is looked for in the folder: once Delta has seen the folder without one,
    ``isDeltaTable`` keeps saying no from its cache."""
    log = f"{path.rstrip('/')}/_delta_log"
    deadline = time.monotonic() + FIRST_COMMIT_WAIT
    while path_exists(spark, log):
        if commit_files(spark, log):
            return True
        if time.monotonic() > deadline:
            raise TableCreationFailed(
                f"table {spec.name} at {path} has a transaction log without a first commit after "
                f"{FIRST_COMMIT_WAIT:g} s: a run killed while creating it left {log}; "
                "remove that folder once no run is writing the table"
            )
        time.sleep(0.25)
    return False


# Columns a write stamps on the rows, not the transforms that make them: null unless given
# (lib.warehouse.runs: a night's rows carry its run id, an hourly batch's none).
STAMPS = ("run_id",)


def conform(rows: DataFrame, spec: TableSpec) -> DataFrame:
    """The table's columns, in its order and types; an error if one is missing (a stamp
    missing is null)."""
    missing = set(spec.column_names) - set(rows.columns) - set(STAMPS)
    if missing:
        raise ValueError(f"{spec.name}: rows lack columns {sorted(missing)}")
    return rows.select(
        *[(F.col(c.name) if c.name in rows.columns else F.lit(None)).cast(c.type).alias(c.name) for c in spec.columns]
    )


def replace_partition(
    spark: SparkSession,
    warehouse: str,
    spec: TableSpec,
    rows: DataFrame,
    day: date | Sequence[date],
    commit_info: dict[str, Any],
    scope: dict[str, str] | None = None,
    bounds: Mapping[str, float] | None = None,
) -> None:
    """Atomically replace the partition of ``day`` (or of each of several dates, in the
    same one commit) with ``rows``; with ``scope`` (e.g. ``{"suite": "raw"}``), only the
    rows of those dates that match it. ``bounds`` fill the table's parameterised
    constraints (see :attr:`TableSpec.constraint_bounds`)."""
    path = ensure_table(spark, warehouse, spec, bounds)
    days = [day] if isinstance(day, date) else sorted(day)
    dates = ", ".join(f"DATE'{d.isoformat()}'" for d in days)
    predicate = " AND ".join(
        [f"{PARTITION_COLUMN} IN ({dates})" if len(days) > 1 else f"{PARTITION_COLUMN} = {dates}"]
        + [f"{column} = '{value}'" for column, value in (scope or {}).items()]
    )
    (
        conform(rows, spec)
        .write.format("delta")
        .mode("overwrite")
        .option("replaceWhere", predicate)
        .option("userMetadata", json.dumps(commit_info, sort_keys=True, default=str))
        .save(path)
    )


def replace_table(
    spark: SparkSession,
    warehouse: str,
    spec: TableSpec,
    rows: DataFrame,
    commit_info: dict[str, Any],
) -> None:
    """Atomically replace the whole table with ``rows``, in one commit: for a table
    rebuilt from another at every run (``signature_first_seen``), so running twice
    equals running once."""
    path = ensure_table(spark, warehouse, spec)
    (
        conform(rows, spec)
        .write.format("delta")
        .mode("overwrite")
        .option("userMetadata", json.dumps(commit_info, sort_keys=True, default=str))
        .save(path)
    )


def append_once(
    spark: SparkSession,
    warehouse: str,
    spec: TableSpec,
    rows: DataFrame,
    day: date,
    app_id: str,
    batch_id: int,
    commit_info: dict[str, Any],
) -> None:
    """Write the rows of micro-batch ``batch_id`` of ``day`` (column ``batch_id``) once:
    Delta's idempotent write skips a batch the table has already committed for
    ``app_id``, so a micro-batch run again after a crash adds nothing twice. The write
    replaces the batch's own rows, so a rewrite of the date (the night's) committed
    between its read and its commit fails it; one committed before its read is not seen
    here: the caller checks afterwards (and readers prefer the night's rows)."""
    path = ensure_table(spark, warehouse, spec)
    (
        conform(rows, spec)
        .write.format("delta")
        .mode("overwrite")
        .option("replaceWhere", f"{PARTITION_COLUMN} = DATE'{day.isoformat()}' AND batch_id = {int(batch_id)}")
        .option("txnAppId", app_id)
        .option("txnVersion", int(batch_id))
        .option("userMetadata", json.dumps(commit_info, sort_keys=True, default=str))
        .save(path)
    )


def delete_batch(spark: SparkSession, warehouse: str, name: str, day: date, batch_id: int) -> None:
    """Remove micro-batch ``batch_id``'s rows of ``day`` (see :func:`append_once`), in one commit."""
    table = DeltaTable.forPath(spark, qualified(spark, table_spec(name).path(warehouse)))
    table.delete(f"{PARTITION_COLUMN} = DATE'{day.isoformat()}' AND batch_id = {int(batch_id)}")


def read_table(spark: SparkSession, warehouse: str, name: str) -> DataFrame:
    return spark.read.format("delta").load(table_spec(name).path(warehouse))


def table_exists(spark: SparkSession, warehouse: str, name: str) -> bool:
    """True once the table has its first commit (a ``_delta_log`` folder alone is not a table)."""
    return bool(DeltaTable.isDeltaTable(spark, qualified(spark, table_spec(name).path(warehouse))))


def read_table_if_exists(spark: SparkSession, warehouse: str, name: str) -> DataFrame | None:
    """The table, or None before its first commit (a table an older run did not write yet)."""
    return read_table(spark, warehouse, name) if table_exists(spark, warehouse, name) else None


def compact_partition(spark: SparkSession, warehouse: str, name: str, day: date) -> tuple[int, int]:
    """Bin-pack ``day``'s small files into few (Delta OPTIMIZE); returns (files removed, files added).

    Only rewrites files, never rows: readers see the same data, and a second
    run finds nothing to do and commits nothing.
    """
    spec = table_spec(name)
    optimize = DeltaTable.forPath(spark, spec.path(warehouse)).optimize()
    if PARTITION_COLUMN in spec.partitioned_by:
        optimize = optimize.where(f"{PARTITION_COLUMN} = DATE'{day.isoformat()}'")
    metrics = optimize.executeCompaction()  # a table without dates (signature_first_seen) is small: all of it
    row = metrics.select("metrics.numFilesRemoved", "metrics.numFilesAdded").first()
    return (int(row[0]), int(row[1])) if row else (0, 0)


def vacuum(spark: SparkSession, warehouse: str, name: str, retain_hours: int) -> None:
    """Delete files no version younger than ``retain_hours`` needs (Delta VACUUM).

    Delta refuses a retention under its 7-day safety default unless told otherwise;
    that default protects running readers and a week of time travel.
    """
    DeltaTable.forPath(spark, table_spec(name).path(warehouse)).vacuum(float(retain_hours))
