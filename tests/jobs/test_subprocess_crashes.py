"""Desktop's subprocess crashes come from its main pings, whichever source gives the hours
(issue 36): ``--desktop-usage glean`` once turned gpu_crashes and the others to 0."""

from __future__ import annotations

import json

import pytest
from pyspark.sql import functions as F

import jobs.aggregate_crashes as job
from lib.contract.vocabulary import HISTOGRAM_MEASURES, Limits
from lib.warehouse.tables import read_table
from tests.conftest import write_partition
from tests.pingbuilder import DAY, baseline_ping, crash_ping, main_ping

pytestmark = pytest.mark.slow

HISTOGRAM = "payload.keyedHistograms.SUBPROCESS_CRASHES_WITH_DUMP"


def _line(ping: dict) -> str:
    return json.dumps(ping, separators=(",", ":"))


@pytest.mark.parametrize("source", ["main", "glean"])
def test_subprocess_crashes_count_from_main_pings_whichever_source_gives_the_hours(spark, tmp_path, source):
    raw = tmp_path / "raw"
    main = [
        main_ping(id="m1", **{HISTOGRAM: {"gpu": {"sum": 2}, "rdd": {"sum": 1}}}),
        main_ping(id="m2", **{HISTOGRAM: {"utility": {"sum": 3}}}),
        main_ping(id="m3"),  # no subprocess crash
    ]
    write_partition(raw, "main", DAY.isoformat(), [_line(p) for p in main])
    write_partition(raw, "crash", DAY.isoformat(), [_line(crash_ping(id="c1"))])
    write_partition(raw, "glean_baseline", DAY.isoformat(), [_line(baseline_ping())])
    limits = Limits(desktop_usage=source)
    job.run(spark, job.Config(DAY, str(raw), str(tmp_path / "wh"), None, limits, raw_checks="skip"))

    rows = read_table(spark, str(tmp_path / "wh"), "crash_aggregates")
    totals = rows.agg(*[F.sum(c).alias(c) for c in ("ping_count", "usage_hours", "main_crashes", *HISTOGRAM_MEASURES)])
    found = totals.first().asDict()
    hours = {"main": 3 * 2.0, "glean": 2.0}[source]  # three main pings of 2 h, or one baseline ping of 2 h
    pings = {"main": 3, "glean": 1}[source]
    expected = {"gpu_crashes": 2, "rdd_crashes": 1, "utility_crashes": 3}
    assert found == {
        "ping_count": pings,
        "usage_hours": hours,
        "main_crashes": 1,
        **{m: expected.get(m, 0) for m in HISTOGRAM_MEASURES},
    }
    sums = read_table(spark, str(tmp_path / "wh"), "crash_client_sums").count()
    assert sums == rows.count()  # the same grain, row for row
    metrics = read_table(spark, str(tmp_path / "wh"), "dq_metrics").where(F.col("doc_type") == "main").first()
    assert (metrics.aggregated, metrics.other_usage_source) == {"main": (3, 0), "glean": (0, 3)}[source]
