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
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources
from typing import Any

from delta.tables import DeltaTable
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from lib.storage import path_exists, qualified

PARTITION_COLUMN = "submission_date"
# Every table the nightly run writes, each with a contract in schemas/tables/.
TABLES = ("crash_aggregates", "quarantine", "dq_metrics", "dq_results")


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

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def path(self, warehouse: str) -> str:
        return f"{warehouse.rstrip('/')}/{self.name}"


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
    )


def ensure_table(spark: SparkSession, warehouse: str, spec: TableSpec) -> str:
    """Create the table (columns with comments, partitioning, constraints) unless it exists."""
    path = qualified(spark, spec.path(warehouse))
    if path_exists(spark, f"{path}/_delta_log"):
        return path
    builder = (
        DeltaTable.createIfNotExists(spark)
        .location(path)
        .comment(spec.description)
        .partitionedBy(*spec.partitioned_by)
        .property("crash_rates.schema_version", str(spec.version))
        # Plain files keep the tables readable by every delta-rs, DuckDB and Polars.
        .property("delta.enableDeletionVectors", "false")
    )
    for column in spec.columns:
        builder = builder.addColumn(column.name, column.type, column.nullable, comment=column.description)
    builder.execute()
    for name, expression in spec.constraints.items():
        spark.sql(f"ALTER TABLE delta.`{path}` ADD CONSTRAINT {name} CHECK ({expression})")
    return path


def conform(rows: DataFrame, spec: TableSpec) -> DataFrame:
    """The table's columns, in its order and types; an error if one is missing."""
    missing = set(spec.column_names) - set(rows.columns)
    if missing:
        raise ValueError(f"{spec.name}: rows lack columns {sorted(missing)}")
    return rows.select(*[F.col(c.name).cast(c.type).alias(c.name) for c in spec.columns])


def replace_partition(
    spark: SparkSession,
    warehouse: str,
    spec: TableSpec,
    rows: DataFrame,
    day: date,
    commit_info: dict[str, Any],
    scope: dict[str, str] | None = None,
) -> None:
    """Atomically replace ``day``'s partition of the table with ``rows``; with ``scope``
    (e.g. ``{"suite": "raw"}``), only the day's rows that match it."""
    path = ensure_table(spark, warehouse, spec)
    predicate = " AND ".join(
        [f"{PARTITION_COLUMN} = DATE'{day.isoformat()}'"]
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


def read_table(spark: SparkSession, warehouse: str, name: str) -> DataFrame:
    return spark.read.format("delta").load(table_spec(name).path(warehouse))


def table_exists(spark: SparkSession, warehouse: str, name: str) -> bool:
    return path_exists(spark, f"{table_spec(name).path(warehouse)}/_delta_log")


def compact_partition(spark: SparkSession, warehouse: str, name: str, day: date) -> tuple[int, int]:
    """Bin-pack ``day``'s small files into few (Delta OPTIMIZE); returns (files removed, files added).

    Only rewrites files, never rows: readers see the same data, and a second
    run finds nothing to do and commits nothing.
    """
    table = DeltaTable.forPath(spark, table_spec(name).path(warehouse))
    metrics = table.optimize().where(f"{PARTITION_COLUMN} = DATE'{day.isoformat()}'").executeCompaction()
    row = metrics.select("metrics.numFilesRemoved", "metrics.numFilesAdded").first()
    return (int(row[0]), int(row[1])) if row else (0, 0)


def vacuum(spark: SparkSession, warehouse: str, name: str, retain_hours: int) -> None:
    """Delete files no version younger than ``retain_hours`` needs (Delta VACUUM).

    Delta refuses a retention under its 7-day safety default unless told otherwise;
    that default protects running readers and a week of time travel.
    """
    DeltaTable.forPath(spark, table_spec(name).path(warehouse)).vacuum(float(retain_hours))
