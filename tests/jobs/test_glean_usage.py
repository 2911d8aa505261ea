"""A generated day where Firefox desktop sends both usage formats and Firefox for Android
its own pings, aggregated once with each desktop usage source: the same rates either way,
Android's rows as the generator wrote them, and a drifting source caught."""

from __future__ import annotations

import gzip
import json
import shutil
from collections import Counter, defaultdict
from datetime import date
from pathlib import Path

import pytest
from pyspark.sql import functions as F

from jobs import validate_aggregates
from jobs.aggregate_crashes import Config, run
from jobs.generate_pings import generate
from lib.contract.vocabulary import Limits
from lib.ingest.landing import MissingPartition
from lib.quality.publish import CriticalChecksFailed
from lib.synthetic.generator import JAVA_EXCEPTION, JAVA_MODULE, Settings
from lib.warehouse.tables import read_table
from tests.truth import generated_truth

pytestmark = pytest.mark.slow

DAY = date(2026, 11, 18)
SOURCES = ("main", "glean")
DESKTOP = ("Windows", "Mac", "Linux")


@pytest.fixture(scope="module")
def landing(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("both_usage_formats")
    settings = Settings(
        DAY, 1, clients=400, ping_size="small", desktop_baseline_from=DAY, android_clients=250, rate_scale=10.0
    )
    generate(settings, out, compress=True)
    return out


@pytest.fixture(scope="module")
def truth(landing) -> dict:
    return generated_truth(landing, [DAY])[DAY]


def aggregate(spark, landing: Path, warehouse: Path, source: str, raw: Path | None = None) -> None:
    limits = Limits(desktop_usage=source)
    run(spark, Config(DAY, str(raw or landing / "raw"), str(warehouse), str(landing / "releases"), limits))


@pytest.fixture(scope="module")
def warehouses(spark, landing, tmp_path_factory) -> dict[str, Path]:
    """The day aggregated twice: desktop's hours from main pings, then from baseline pings."""
    found = {}
    for source in SOURCES:
        found[source] = tmp_path_factory.mktemp(f"warehouse_{source}")
        aggregate(spark, landing, found[source], source)
    return found


def totals(spark, warehouse: Path, *keys: str) -> dict[tuple, dict[str, float]]:
    rows = (
        read_table(spark, str(warehouse), "crash_aggregates")
        .groupBy(*keys)
        .agg(*[F.sum(m).alias(m) for m in MEASURES])
        .collect()
    )
    return {tuple(r[k] for k in keys): {m: r[m] for m in MEASURES} for r in rows}


MEASURES = ("ping_count", "usage_hours", "active_hours", "main_crashes", "content_crashes", "gpu_crashes")


def truth_cells(truth: dict, os_names: tuple[str, ...]) -> dict[tuple, Counter]:
    cells: dict[tuple, Counter] = defaultdict(Counter)
    for cell in truth["cells"]:
        if cell["os"] in os_names:
            cells[(cell["channel"], cell["display_version"], cell["os"])].update(
                {k: v for k, v in cell.items() if isinstance(v, int)}
            )
    return cells


def test_either_desktop_source_gives_the_same_hours_and_crashes(spark, warehouses):
    by_source = {s: totals(spark, warehouses[s], "channel", "os") for s in SOURCES}
    assert by_source["main"].keys() == by_source["glean"].keys()
    for key, main in by_source["main"].items():
        glean = by_source["glean"][key]
        for measure in ("usage_hours", "active_hours"):
            assert glean[measure] == pytest.approx(main[measure], rel=1e-12), (key, measure)
        assert (glean["main_crashes"], glean["content_crashes"]) == (main["main_crashes"], main["content_crashes"])
    assert sum(t["usage_hours"] for (_, os), t in by_source["main"].items() if os in DESKTOP) > 500


@pytest.mark.parametrize(
    ("source", "pings", "usage", "active"),
    [
        ("main", "ping_count", "usage_seconds", "active_seconds"),
        ("glean", "baseline_pings", "baseline_usage_seconds", "baseline_active_seconds"),
    ],
)
def test_desktop_rows_equal_the_generators_truth_from_either_source(
    spark, warehouses, truth, source, pings, usage, active
):
    """The crashes too: subprocess crashes (gpu_crashes here) come from the main pings
    whichever source gives the hours; the baseline source once turned them to 0 (issue 36)."""
    got = totals(spark, warehouses[source], "channel", "display_version", "os")
    want = truth_cells(truth, DESKTOP)
    assert {k for k in got if k[2] in DESKTOP} == set(want)
    assert sum(cell["gpu_crashes"] for cell in want.values()) > 0, "the day must hold subprocess crashes"
    for key, cell in want.items():
        row = got[key]
        assert row["ping_count"] == cell[pings], key
        assert round(row["usage_hours"] * 3600) == cell[usage], key
        assert round(row["active_hours"] * 3600) == cell[active], key
        crashes = ("main_crashes", "content_crashes", "gpu_crashes")
        assert tuple(row[c] for c in crashes) == tuple(cell[c] for c in crashes), key


@pytest.mark.parametrize("source", SOURCES)
def test_android_rows_equal_the_generators_truth(spark, warehouses, truth, source):
    got = totals(spark, warehouses[source], "channel", "display_version", "os")
    want = truth_cells(truth, ("Android",))
    assert {k for k in got if k[2] == "Android"} == set(want)
    assert sum(cell["main_crashes"] + cell["content_crashes"] for cell in want.values()) > 0
    for key, cell in want.items():
        row = got[key]
        assert row["ping_count"] == cell["ping_count"], key
        assert round(row["usage_hours"] * 3600) == cell["usage_seconds"] == cell["active_seconds"], key
        assert row["active_hours"] == row["usage_hours"], key
        assert (row["main_crashes"], row["content_crashes"]) == (cell["main_crashes"], cell["content_crashes"]), key


def test_android_rows_carry_version_codes_and_calendar_dates_only(spark, warehouses):
    rows = read_table(spark, str(warehouses["main"]), "crash_aggregates").where(F.col("os") == "Android").collect()
    assert rows and all(r.build_id.startswith("2016") for r in rows)  # version codes, never excluded as old
    dated = [r for r in rows if r.release_date is not None]
    assert dated and all(r.release_date_source == "calendar" for r in dated)
    assert {r.channel for r in rows if r.release_date is None} <= {"nightly"}  # nightlies are not in the calendar


@pytest.mark.parametrize(
    ("source", "counted", "compared"), [("main", "main", "glean_baseline"), ("glean", "glean_baseline", "main")]
)
def test_the_other_desktop_source_is_accounted_for_as_excluded(spark, warehouses, truth, source, counted, compared):
    rows = {r.doc_type: r for r in read_table(spark, str(warehouses[source]), "dq_metrics").collect()}
    desktop = truth["desktop_usage_pings"]
    assert rows[compared].other_usage_source == rows[compared].excluded == desktop[compared]
    assert rows[counted].other_usage_source == 0
    for row in rows.values():
        assert row.input_lines == row.aggregated + row.duplicates + row.excluded + row.quarantined


def test_usage_parity_holds_both_desktop_sources_side_by_side(spark, warehouses, truth):
    for source in SOURCES:
        parity = read_table(spark, str(warehouses[source]), "usage_parity")
        assert {r.usage_source for r in parity.select("usage_source").distinct().collect()} == {source}
        by_os = parity.groupBy("os").agg(
            F.sum("main_usage_hours").alias("main"), F.sum("baseline_usage_hours").alias("baseline")
        )
        for row in by_os.collect():
            assert row.os in DESKTOP and row["main"] == pytest.approx(row["baseline"], rel=1e-12)
        pings = parity.agg(F.sum("main_pings"), F.sum("baseline_pings")).first()
        assert tuple(pings) == (truth["desktop_usage_pings"]["main"], truth["desktop_usage_pings"]["glean_baseline"])


def test_the_usage_sources_check_passes_when_they_agree(spark, warehouses):
    summary = validate_aggregates.run(spark, DAY, str(warehouses["glean"]))
    assert "no critical failure" in summary


def test_a_desktop_source_that_drifts_fails_the_usage_sources_check(spark, landing, tmp_path):
    raw = tmp_path / "raw"
    shutil.copytree(landing / "raw", raw)
    for part in (raw / "glean_baseline" / f"submission_date={DAY}").glob("part-*.json.gz"):
        pings = [json.loads(line) for line in gzip.decompress(part.read_bytes()).decode().splitlines()]
        for ping in pings:  # desktop's baseline durations halved: a unit bug in one source
            duration = ping["metrics"].get("timespan", {}).get("glean.baseline.duration")
            if duration and ping["meta"]["documentNamespace"] == "firefox-desktop":
                duration["value"] //= 2
        part.write_bytes(gzip.compress("".join(json.dumps(p) + "\n" for p in pings).encode()))
    warehouse = tmp_path / "warehouse"
    aggregate(spark, landing, warehouse, "main", raw)
    with pytest.raises(CriticalChecksFailed, match="usage_sources_agree"):
        validate_aggregates.run(spark, DAY, str(warehouse))


def test_a_date_without_its_desktop_usage_source_fails_naming_it(spark, landing, tmp_path):
    raw = tmp_path / "raw"
    for doc_type in ("main", "glean_crash"):
        shutil.copytree(landing / "raw" / doc_type, raw / doc_type)
    with pytest.raises(MissingPartition, match=f"missing glean_baseline partition: .*submission_date={DAY}$"):
        aggregate(spark, landing, tmp_path / "warehouse", "glean", raw)


def test_androids_java_exceptions_are_signed_from_the_exception(spark, warehouses, truth):
    """The generated day's Android crashes in the Android runtime carry crash.java_exception:
    through the nightly, siggen's Java signature, never the native frame's module."""
    (throwable,) = JAVA_EXCEPTION["throwables"]
    top = throwable["stack"][0]
    java = f"{throwable['type_name']}: at {top['class_name']}.{top['method_name']}({top['file']})"
    rows = read_table(spark, str(warehouses["main"]), "crash_signatures").where(F.col("os") == "Android").collect()
    in_runtime = sum(
        c["crashes"] for c in truth["crash_reasons"] if c["os"] == "Android" and c["crashing_module"] == JAVA_MODULE
    )
    assert in_runtime > 0, "the day must hold Java crashes"
    signed = sum(r.crashes for r in rows if java in r.signature)
    assert 0 < signed <= in_runtime  # a shutdown hang's signature is its annotation's, Java or not
    assert [r.signature for r in rows if JAVA_MODULE in r.signature] == []
