"""Tables from their contracts: created whole in one commit, completed when a part is missing,
safe when two runs create them at once, with constraints that follow the run's flags."""

from __future__ import annotations

import threading
from datetime import date

import pyarrow as pa
import pytest
from delta.tables import DeltaTable
from deltalake import write_deltalake

import lib.warehouse.tables as tables
from lib.warehouse.tables import SCHEMA_VERSION, TableCreationFailed, ensure_table, table_spec

SPEC = table_spec("crash_aggregates")
DAY = date(2026, 11, 20)


def contract_state(spark, path: str) -> dict:
    table = DeltaTable.forPath(spark, path)
    detail = table.detail().first()
    return {
        "description": detail.description,
        "version": detail.properties.get(SCHEMA_VERSION),
        # Delta keeps a constraint added by ALTER TABLE as spaced tokens: compare without spaces.
        "constraints": {
            k: v.replace(" ", "") for k, v in detail.properties.items() if k.startswith("delta.constraints.")
        },
        "comments": {f.name: f.metadata.get("comment") for f in table.toDF().schema.fields},
    }


def expected_state(cap: str) -> dict:
    return {
        "description": SPEC.description,
        "version": str(SPEC.version),
        "constraints": {
            f"delta.constraints.{name}": expression.format(usage_cap_hours=cap).replace(" ", "")
            for name, expression in SPEC.constraints.items()
        },
        "comments": {c.name: c.description for c in SPEC.columns},
    }


def test_a_new_table_is_created_whole_in_one_commit(spark, tmp_path):
    path = ensure_table(spark, str(tmp_path), SPEC, {"usage_cap_hours": 24.0})
    assert contract_state(spark, path) == expected_state("24")
    assert [r.version for r in DeltaTable.forPath(spark, path).history().collect()] == [0]


def test_a_complete_table_is_left_as_it_is(spark, tmp_path):
    path = ensure_table(spark, str(tmp_path), SPEC, {"usage_cap_hours": 24.0})
    spark.sql(f"ALTER TABLE delta.`{path}` DROP CONSTRAINT non_negative_classes")
    ensure_table(spark, str(tmp_path), SPEC, {"usage_cap_hours": 24.0})  # adds it back, spaced by Delta
    versions = len(DeltaTable.forPath(spark, path).history().collect())
    ensure_table(spark, str(tmp_path), SPEC, {"usage_cap_hours": 24.0})
    assert len(DeltaTable.forPath(spark, path).history().collect()) == versions


def test_a_table_left_half_made_by_a_killed_run_is_completed_by_the_next(spark, tmp_path):
    # What the old two-step creation left after a kill: columns without comments, no
    # description or version, one constraint of three.
    path = f"{tmp_path}/crash_aggregates"
    builder = DeltaTable.create(spark).location(path).partitionedBy("submission_date")
    for column in SPEC.columns:
        builder = builder.addColumn(column.name, column.type, column.nullable)
    builder.execute()
    spark.sql(f"ALTER TABLE delta.`{path}` ADD CONSTRAINT non_negative_hours CHECK (usage_hours >= 0)")

    ensure_table(spark, str(tmp_path), SPEC, {"usage_cap_hours": 24.0})
    assert contract_state(spark, f"file:{path}") == expected_state("24")


def test_the_usage_cap_constraint_widens_and_never_narrows(spark, tmp_path):
    path = ensure_table(spark, str(tmp_path), SPEC, {"usage_cap_hours": 24.0})
    ensure_table(spark, str(tmp_path), SPEC, {"usage_cap_hours": 48.0})
    assert contract_state(spark, path) == expected_state("48")
    ensure_table(spark, str(tmp_path), SPEC, {"usage_cap_hours": 12.0})  # rows of other dates hold up to 48 h
    assert contract_state(spark, path) == expected_state("48")


def test_two_runs_creating_the_same_table_at_once_both_succeed(spark, tmp_path):
    paths, errors = [], []

    def create() -> None:
        try:
            paths.append(ensure_table(spark, str(tmp_path), SPEC, {"usage_cap_hours": 24.0}))
        except Exception as error:  # collected: an exception in a thread would not fail the test
            errors.append(error)

    threads = [threading.Thread(target=create) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(paths) == 2 and paths[0] == paths[1]
    assert contract_state(spark, paths[0]) == expected_state("24")


def test_a_table_another_run_is_creating_is_waited_for_then_completed(spark, tmp_path):
    """Delta makes the log folder, then commits version 0, and refuses a second creator
    in between: a cold JVM beside another took seconds there, longer than the retries."""
    log = tmp_path / "crash_aggregates" / "_delta_log"
    log.mkdir(parents=True)
    # The other run's first commit, a second later (delta-rs writes it into the folder there).
    first_commit = pa.table({"submission_date": pa.array([], pa.date32())})
    other = threading.Timer(1.0, write_deltalake, (str(log.parent), first_commit))
    other.start()
    try:
        path = ensure_table(spark, str(tmp_path), SPEC, {"usage_cap_hours": 24.0})
    finally:
        other.join()
    assert contract_state(spark, path) == expected_state("24")


def test_a_log_left_without_a_commit_is_an_error_naming_it(spark, tmp_path, monkeypatch):
    log = tmp_path / "crash_aggregates" / "_delta_log"
    log.mkdir(parents=True)
    monkeypatch.setattr(tables, "FIRST_COMMIT_WAIT", 0.5)
    with pytest.raises(TableCreationFailed, match=r"crash_aggregates .* without a first commit .*_delta_log; remove"):
        ensure_table(spark, str(tmp_path), SPEC, {"usage_cap_hours": 24.0})


def test_a_table_of_an_older_schema_version_gains_the_new_columns_in_place(spark, tmp_path):
    from dataclasses import replace

    from lib.contract.vocabulary import CRASH_CLASS_MEASURES

    # Version 1: no crash classes (added by version 2), no active_hours, and release dates
    # never null (version 3 adds active_hours after usage_hours and lets Android's be null).
    new = {*CRASH_CLASS_MEASURES, "active_hours", "run_id"}  # run_id: version 4
    dated = {"release_date", "release_age_days", "release_date_source"}
    version_1 = replace(
        SPEC,
        version=1,
        columns=tuple(replace(c, nullable=False) if c.name in dated else c for c in SPEC.columns if c.name not in new),
        constraints={"non_negative_counts": SPEC.constraints["non_negative_counts"]},
    )
    path = ensure_table(spark, str(tmp_path), version_1, {"usage_cap_hours": 24.0})
    row = {c.name: 0 for c in version_1.columns}
    row |= {"submission_date": DAY, "channel": "release", "version": "1.0", "display_version": "1.0"}
    row |= {"build_id": "2026111000", "os": "Linux", "country": "??", "release_date": DAY}
    row |= {"release_date_source": "build_id", "usage_hours": 0.0, "os_version": None, "architecture": None}
    spark.createDataFrame([row], version_1.schema).write.format("delta").mode("append").save(path)

    ensure_table(spark, str(tmp_path), SPEC, {"usage_cap_hours": 24.0})
    assert contract_state(spark, path) == expected_state("24")
    table = DeltaTable.forPath(spark, path).toDF()
    assert table.columns == SPEC.column_names  # active_hours right after usage_hours, as a new table has it
    assert all(table.schema[name].nullable for name in dated)
    old = table.first()
    assert [old[m] for m in (*CRASH_CLASS_MEASURES, "active_hours")] == [None, None, None, None]
