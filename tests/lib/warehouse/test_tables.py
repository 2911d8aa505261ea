"""Tables from their contracts: created whole in one commit, completed when a part is missing,
safe when two runs create them at once, with constraints that follow the run's flags."""

from __future__ import annotations

import threading

from delta.tables import DeltaTable

from lib.warehouse.tables import SCHEMA_VERSION, ensure_table, table_spec

SPEC = table_spec("crash_aggregates")


def contract_state(spark, path: str) -> dict:
    table = DeltaTable.forPath(spark, path)
    detail = table.detail().first()
    return {
        "description": detail.description,
        "version": detail.properties.get(SCHEMA_VERSION),
        "constraints": {k: v for k, v in detail.properties.items() if k.startswith("delta.constraints.")},
        "comments": {f.name: f.metadata.get("comment") for f in table.toDF().schema.fields},
    }


def expected_state(cap: str) -> dict:
    return {
        "description": SPEC.description,
        "version": str(SPEC.version),
        "constraints": {
            "delta.constraints.non_negative_counts": SPEC.constraints["non_negative_counts"],
            "delta.constraints.non_negative_hours": "usage_hours >= 0",
            "delta.constraints.hours_need_pings": f"usage_hours <= ping_count * {cap}",
        },
        "comments": {c.name: c.description for c in SPEC.columns},
    }


def test_a_new_table_is_created_whole_in_one_commit(spark, tmp_path):
    path = ensure_table(spark, str(tmp_path), SPEC, {"usage_cap_hours": 24.0})
    assert contract_state(spark, path) == expected_state("24")
    assert [r.version for r in DeltaTable.forPath(spark, path).history().collect()] == [0]


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
