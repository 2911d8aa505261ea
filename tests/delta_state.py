"""What a warehouse holds, for comparing runs: every row of every table, and each table's version."""

from __future__ import annotations

from delta.tables import DeltaTable

from lib.warehouse.runs import RUN_ID
from lib.warehouse.tables import TABLES, read_table, table_exists, table_spec


def tables_in(spark, warehouse) -> list[str]:
    return [name for name in TABLES if table_exists(spark, str(warehouse), name)]


def snapshot(spark, warehouse) -> dict[str, list[tuple]]:
    """Every row of every table there but its run id, sorted: equal snapshots mean equal
    tables. The run id (lib.warehouse.runs) is the one value a re-run changes, like Delta's
    history: it names the run, and a date whole in two warehouses is whole by different runs."""
    return {
        name: sorted(map(tuple, read_table(spark, str(warehouse), name).drop(RUN_ID).collect()), key=repr)
        for name in tables_in(spark, warehouse)
    }


def versions(spark, warehouse) -> dict[str, int]:
    """Each table's latest Delta version: a rewrite of the same rows still advances it."""
    return {
        name: DeltaTable.forPath(spark, table_spec(name).path(str(warehouse))).history(1).first().version
        for name in tables_in(spark, warehouse)
    }


def night_rows(table, day) -> list[tuple]:
    """One night's rows of a delta-rs ``DeltaTable``, comparable across stores and runs:
    a quarantined line's file by its name only (``file:/...`` here, ``s3a://...`` there),
    and without the run id, which is each run's own (lib.warehouse.runs)."""
    found = [r for r in table.to_pyarrow_table().to_pylist() if r["submission_date"] == day]
    for row in found:
        row.pop(RUN_ID, None)
        if "source_file" in row:
            row["source_file"] = row["source_file"].rsplit("/", 1)[-1]
    return sorted((tuple(r.items()) for r in found), key=repr)
