"""The generator's truth (``<landing>/truth/<date>.json``) against what the aggregation wrote."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from pathlib import Path

import pytest
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from lib.contract.vocabulary import CRASH_REASON_DIMENSIONS

MEASURES = (
    "ping_count",
    "main_crashes",
    "content_crashes",
    "content_shutdown_crashes",
    "startup_crashes",
    "gpu_crashes",
    "oom_crashes",
    "shutdown_hang_crashes",
    "background_task_crashes",
)


def generated_truth(landing: Path, days: Iterable[date]) -> dict[date, dict]:
    """What the generator wrote for each of ``days`` under ``landing`` (jobs.generate_pings)."""
    return {day: json.loads((landing / "truth" / f"{day}.json").read_text()) for day in days}


def assert_aggregates_match_truth(crash_aggregates: DataFrame, truth: dict[date, dict]) -> None:
    """Every generated cell (day, channel, version, platform) is in the table with its exact counts."""
    rows = (
        crash_aggregates.groupBy("submission_date", "channel", "display_version", "os")
        .agg(*[F.sum(m).alias(m) for m in MEASURES], F.sum("usage_hours").alias("usage_hours"))
        .collect()
    )
    actual = {(r.submission_date, r.channel, r.display_version, r.os): r.asDict() for r in rows}
    assert len(actual) == sum(len(day_truth["cells"]) for day_truth in truth.values())
    for day, day_truth in truth.items():
        for cell in day_truth["cells"]:
            got = actual[(day, cell["channel"], cell["display_version"], cell["os"])]
            assert {m: got[m] for m in MEASURES} == {m: cell.get(m, 0) for m in MEASURES}, cell
            assert got["usage_hours"] == pytest.approx(cell.get("usage_seconds", 0) / 3600, abs=1e-6)


def assert_reasons_match_truth(crash_reasons: DataFrame, truth: dict[date, dict]) -> None:
    """Every (day, what the crash was) the generator counted has its count, summed over the
    rows of its releases' dates and ages (a version built on two days has two), and no other."""
    actual: dict[tuple, int] = defaultdict(int)
    for r in crash_reasons.collect():
        actual[(r.submission_date, *(r[c] for c in CRASH_REASON_DIMENSIONS))] += r.crashes
    expected = {
        (day, *(row[c] for c in CRASH_REASON_DIMENSIONS)): row["crashes"]
        for day, day_truth in truth.items()
        for row in day_truth["crash_reasons"]
    }
    assert dict(actual) == expected
