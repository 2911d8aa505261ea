"""The Delta tables as analysts meet them: readable by delta-rs, DuckDB and Polars, and self-describing."""

from __future__ import annotations

import json

import duckdb
import polars as pl
import pytest
from deltalake import DeltaTable
from pyspark.sql import functions as F

from lib.warehouse.tables import read_table, table_spec
from tests.conftest import REPO
from tests.jobs.conftest import CLEAN, DAYS, FAULTY

pytestmark = pytest.mark.slow


@pytest.mark.parametrize(
    ("name", "dates"),
    [("crash_aggregates", DAYS), ("crash_reasons", DAYS), ("quarantine", (FAULTY,)), ("dq_metrics", DAYS)],
)
def test_delta_rs_reads_what_spark_wrote(spark, warehouse, name, dates):
    arrow = DeltaTable(f"{warehouse}/{name}").to_pyarrow_table()
    spark_rows = read_table(spark, str(warehouse), name)
    assert arrow.num_rows == spark_rows.count()
    assert arrow.column_names == table_spec(name).column_names
    assert set(arrow.column("submission_date").to_pylist()) == set(dates)


def test_duckdb_computes_the_same_rate_as_spark(spark, warehouse):
    aggregates = DeltaTable(f"{warehouse}/crash_aggregates").to_pyarrow_dataset()  # noqa: F841 (read by DuckDB)
    duck = duckdb.sql(
        "SELECT os, sum(main_crashes) / sum(usage_hours) * 1000 AS rate FROM aggregates "
        "WHERE channel = 'release' GROUP BY os ORDER BY os"
    ).fetchall()
    spark_rows = (
        read_table(spark, str(warehouse), "crash_aggregates")
        .where("channel = 'release'")
        .groupBy("os")
        .agg({"main_crashes": "sum", "usage_hours": "sum"})
        .collect()
    )
    expected = {r.os: r["sum(main_crashes)"] / r["sum(usage_hours)"] * 1000 for r in spark_rows}
    assert dict(duck) == pytest.approx(expected)


def test_polars_reads_one_partition(warehouse):
    frame = pl.read_delta(f"{warehouse}/dq_metrics").filter(pl.col("submission_date") == CLEAN)
    assert sorted(frame["doc_type"].to_list()) == ["crash", "glean_baseline", "glean_crash", "main"]


def readme_sql(after: str) -> str:
    """The first SQL block after the line starting with ``after``, in the README or docs/."""
    for path in (REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))):
        text = path.read_text()
        if after in text:
            return text[text.index(after) :].split("```sql\n", 1)[1].split("```", 1)[0]
    raise AssertionError(f"no query after {after!r} in README.md or docs/")


def test_the_readmes_top_crashing_modules_query_answers_from_the_tables(spark, warehouse, truth):
    crash_reasons = DeltaTable(f"{warehouse}/crash_reasons").to_pyarrow_dataset()  # noqa: F841 (read by DuckDB)
    crash_aggregates = DeltaTable(f"{warehouse}/crash_aggregates").to_pyarrow_dataset()  # noqa: F841
    rows = duckdb.sql(readme_sql("**Top crashing modules of the newest release on Windows")).fetchall()

    released = {
        r.display_version: r.released
        for r in read_table(spark, str(warehouse), "crash_aggregates")
        .where("channel = 'release' AND os = 'Windows'")
        .groupBy("display_version")
        .agg(F.min("release_date").alias("released"))
        .collect()
    }
    newest, previous = sorted(released, key=released.get, reverse=True)[:2]
    expected: dict[str, list[int]] = {}
    for day in DAYS:
        for row in truth[day]["crash_reasons"]:
            if row["channel"] == "release" and row["os"] == "Windows" and row["display_version"] in (newest, previous):
                counts = expected.setdefault(row["crashing_module"], [0, 0])
                counts[row["display_version"] == previous] += row["crashes"]
    assert {(m, n, p) for m, _, n, _, p in rows} == {(m, n, p) for m, (n, p) in expected.items()}
    assert {(new, old) for _, new, _, old, _ in rows} <= {(newest, previous), (None, previous), (newest, None)}


def test_negative_counts_are_refused_by_a_check_constraint(spark, warehouse):
    path = f"{warehouse}/crash_aggregates"
    row = read_table(spark, str(warehouse), "crash_aggregates").limit(1).withColumn("main_crashes", F.lit(-1))
    with pytest.raises(Exception, match="non_negative_counts"):
        row.write.format("delta").mode("append").save(path)


def test_columns_carry_their_descriptions(spark, warehouse):
    fields = {f.name: f.metadata.get("comment") for f in read_table(spark, str(warehouse), "crash_aggregates").schema}
    assert fields == {c.name: c.description for c in table_spec("crash_aggregates").columns}


def test_each_commit_records_how_its_numbers_were_made(warehouse):
    history = DeltaTable(f"{warehouse}/crash_aggregates").history()
    writes = [json.loads(h["userMetadata"]) for h in history if h.get("userMetadata")]
    # The shared warehouse was written by one range run, labelled with its dates (the
    # history lists the newest first; a later test may re-run one of its days).
    assert writes[-1]["submission_date"] == f"{DAYS[0]}..{DAYS[-1]}"
    latest = writes[0]
    assert latest["limits"] == {
        "usage_cap_hours": 24.0,
        "max_build_age_days": 183,
        "max_build_lead_days": 1,
        "desktop_usage": "main",
    }
    assert latest["calendar"]["versions"] > 10 and len(latest["calendar"]["sha256"]) == 64
    assert latest["code_version"].startswith("0.1.0")
