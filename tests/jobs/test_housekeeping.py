"""Housekeeping compacts a day's files and changes no row; a second run changes nothing."""

from __future__ import annotations

import shutil

import pytest
from chispa import assert_df_equality
from delta.tables import DeltaTable

import jobs.housekeeping as housekeeping
from lib.warehouse.tables import read_table, table_spec
from tests.delta_state import tables_in, versions
from tests.jobs.conftest import FAULTY

pytestmark = pytest.mark.slow


def day_files(spark, warehouse, name) -> list[str]:
    """The files of the day's partition; of the whole table where it has no dates (signature_first_seen)."""
    rows = read_table(spark, str(warehouse), name)
    if "submission_date" in table_spec(name).partitioned_by:
        rows = rows.where(f"submission_date = DATE'{FAULTY}'")
    return sorted(rows.inputFiles())


@pytest.fixture
def own_warehouse(warehouse, tmp_path):
    """A copy of the shared warehouse: housekeeping rewrites files other tests read."""
    return shutil.copytree(warehouse, tmp_path / "warehouse")


def history_since(spark, warehouse, name, version) -> list[str]:
    table = DeltaTable.forPath(spark, table_spec(name).path(str(warehouse)))
    return [row.operation for row in table.history().where(f"version > {version}").collect()]


def test_compaction_leaves_one_file_for_the_day_the_same_rows_and_nothing_for_a_second_run(spark, own_warehouse):
    tables = tables_in(spark, own_warehouse)
    before = {name: read_table(spark, str(own_warehouse), name).collect() for name in tables}
    files_before = {name: day_files(spark, own_warehouse, name) for name in tables}
    assert max(len(files) for files in files_before.values()) > 1, "nothing to compact: the test would prove nothing"

    summary = housekeeping.run(spark, FAULTY, str(own_warehouse))

    compacted = {name: day_files(spark, own_warehouse, name) for name in tables}
    for name in tables:
        assert len(compacted[name]) == 1, name
        after = read_table(spark, str(own_warehouse), name)
        assert_df_equality(after, spark.createDataFrame(before[name], after.schema), ignore_row_order=True)
    assert summary.startswith(f"housekeeping {FAULTY}: compacted crash_aggregates ")

    compacted_versions = versions(spark, own_warehouse)
    again = housekeeping.run(spark, FAULTY, str(own_warehouse))

    for name in tables:
        assert f" {name} 0->0" in again, name
        assert day_files(spark, own_warehouse, name) == compacted[name]
        # VACUUM logs its start and end; nothing else may be committed.
        since = history_since(spark, own_warehouse, name, compacted_versions[name])
        assert set(since) <= {"VACUUM START", "VACUUM END"}


def test_a_retention_under_a_week_is_refused(own_warehouse, capsys):
    status = housekeeping.main(["--date", str(FAULTY), "--warehouse", str(own_warehouse), "--retain-hours", "24"])
    assert status == 2
    assert "--retain-hours under 168" in capsys.readouterr().err
