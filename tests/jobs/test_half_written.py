"""A run killed between two table commits leaves a date half-written: the readers refuse it,
by name, until the re-run; analysts read only whole dates (issue 36, defect 3)."""

from __future__ import annotations

import json

import pytest
from pyspark.sql import functions as F

import jobs.aggregate_crashes as job
import jobs.aggregate_hourly as hourly
import jobs.compare_releases as compare_releases
import jobs.release_day as release_day
import jobs.release_health as release_health
import jobs.validate_aggregates as validate_aggregates
from lib.contract.vocabulary import Limits
from lib.warehouse.runs import NIGHT_TABLES, HalfWrittenDate, half_written, whole_rows
from lib.warehouse.tables import read_table
from tests.conftest import write_partition
from tests.pingbuilder import DAY, crash_ping, main_ping

pytestmark = pytest.mark.slow


def _line(ping: dict | str) -> str:
    return ping if isinstance(ping, str) else json.dumps(ping, separators=(",", ":"))


def land(raw, main, crash, name="part-0.json"):
    write_partition(raw, "main", DAY.isoformat(), [_line(p) for p in main], name)
    write_partition(raw, "crash", DAY.isoformat(), [_line(p) for p in crash])


def night(spark, raw, warehouse):
    return job.run(spark, job.Config(DAY, str(raw), str(warehouse), None, Limits(), raw_checks="skip"))


def killed_after(spark, raw, warehouse, monkeypatch, survivor):
    """The night, killed once ``survivor`` is committed: every other table's write dies."""
    original = job.replace_partition

    def only_survivor(spark_, warehouse_, spec, *args, **kwargs):
        if spec.name != survivor:
            raise OSError("killed")
        original(spark_, warehouse_, spec, *args, **kwargs)

    monkeypatch.setattr(job, "replace_partition", only_survivor)
    with pytest.raises(OSError, match="killed"):
        night(spark, raw, warehouse)
    monkeypatch.undo()


def pings_of(spark, warehouse, read=read_table) -> tuple[int, int]:
    """(ping_count summed in crash_aggregates, main pings aggregated per dq_metrics) of DAY."""
    pings = read(spark, str(warehouse), "crash_aggregates").where(F.col("submission_date") == DAY)
    metrics = read(spark, str(warehouse), "dq_metrics").where(F.col("submission_date") == DAY)
    return (
        pings.agg(F.coalesce(F.sum("ping_count"), F.lit(0))).first()[0],
        sum(r.aggregated for r in metrics.where(F.col("doc_type") == "main").collect()),
    )


def test_a_night_killed_after_its_first_commit_is_refused_by_every_reader_until_the_rerun(
    spark, tmp_path, monkeypatch, capsys
):
    raw, warehouse = tmp_path / "raw", tmp_path / "wh"
    land(raw, [main_ping(id="m1"), main_ping(id="m2")], [crash_ping(id="c1")])
    night(spark, raw, warehouse)
    assert half_written(spark, str(warehouse), [DAY]) == {}
    recorded = read_table(spark, str(warehouse), "runs").collect()
    assert sorted(r.table_name for r in recorded) == sorted(NIGHT_TABLES)
    assert {r.table_name: r.row_count for r in recorded}["dq_metrics"] == 4  # one row a doc type
    assert len({r.run_id for r in recorded}) == 1

    # The input changes (a file lands late), and the next night dies after one commit.
    land(raw, [main_ping(id="m3")], [crash_ping(id="c1")], name="part-1.json")
    killed_after(spark, raw, warehouse, monkeypatch, "crash_aggregates")
    assert pings_of(spark, warehouse) == (3, 2)  # new aggregates beside old metrics
    assert half_written(spark, str(warehouse), [DAY]) == {DAY: ["crash_aggregates"]}

    message = f"{DAY} (crash_aggregates); re-run aggregate_crashes for it"
    with pytest.raises(HalfWrittenDate, match=r"half-written by an aggregate_crashes run that did not finish"):
        validate_aggregates.run(spark, DAY, str(warehouse))
    with pytest.raises(HalfWrittenDate, match=message.replace("(", r"\(").replace(")", r"\)")):
        hourly.run(spark, hourly.Config(DAY, str(raw), str(warehouse), None, Limits()))
    with pytest.raises(HalfWrittenDate, match=str(DAY)):
        release_day.run(spark, release_day.Config(DAY, 12, str(warehouse), None, str(tmp_path / "pages")))
    for main, argv in (
        (compare_releases.main, ["--date", str(DAY), "--warehouse", str(warehouse)]),
        (release_health.main, ["--date", str(DAY), "--warehouse", str(warehouse)]),
    ):
        capsys.readouterr()
        assert main(argv) == 1
        error = capsys.readouterr().err.strip()
        assert "\n" not in error and error.endswith(message), error

    # Analysts' way: each table's rows of the run recorded for their date only.
    assert pings_of(spark, warehouse, whole_rows) == (0, 2)

    night(spark, raw, warehouse)  # the re-run repairs, as before
    assert pings_of(spark, warehouse) == (3, 3)
    assert pings_of(spark, warehouse, whole_rows) == (3, 3)
    assert half_written(spark, str(warehouse), [DAY]) == {}
    validate_aggregates.run(spark, DAY, str(warehouse))  # no longer refused


def test_a_table_the_killed_run_emptied_disagrees_by_its_row_count(spark, tmp_path, monkeypatch):
    """Rows of no run carry no run id: a table rewritten to nothing is told by the count recorded."""
    raw, warehouse = tmp_path / "raw", tmp_path / "wh"
    land(raw, [main_ping(id="m1"), "not json"], [])
    night(spark, raw, warehouse)
    assert read_table(spark, str(warehouse), "quarantine").count() == 1

    land(raw, [main_ping(id="m1")], [])  # the same file, its bad line gone
    killed_after(spark, raw, warehouse, monkeypatch, "quarantine")
    assert read_table(spark, str(warehouse), "quarantine").count() == 0
    assert half_written(spark, str(warehouse), [DAY]) == {DAY: ["quarantine"]}
    night(spark, raw, warehouse)
    assert half_written(spark, str(warehouse), [DAY]) == {}
