"""The aggregation job end to end on generated data with known truth."""

from __future__ import annotations

import math
from collections import defaultdict

import pytest
from pyspark.sql import functions as F

from lib.contract.vocabulary import DOC_TYPES
from lib.transform.aggregate import DIMENSIONS
from lib.warehouse.tables import read_table
from tests.jobs.conftest import CLEAN, DAYS, DROPPED, FAULTY
from tests.truth import assert_aggregates_match_truth, assert_reasons_match_truth

pytestmark = pytest.mark.slow
LINE_COUNTS = ("input_lines", "aggregated", "duplicates", "excluded", "quarantined")


def test_dq_metrics_account_for_every_line_as_the_generator_wrote_it(spark, warehouse, truth):
    rows = read_table(spark, str(warehouse), "dq_metrics").collect()
    actual = {(r.submission_date, r.doc_type): {k: r[k] for k in LINE_COUNTS} for r in rows}
    # A crash source not sent that day has no partition, and a row of zeros.
    expected = {
        (day, doc_type): {k: truth[day]["lines"].get(doc_type, {}).get(k, 0) for k in LINE_COUNTS}
        for day in DAYS
        for doc_type in DOC_TYPES
    }
    assert actual == expected
    for counts in actual.values():
        assert counts["input_lines"] == sum(counts[k] for k in LINE_COUNTS[1:])


def test_the_faulty_day_really_had_every_kind_of_set_aside_line(truth):
    main = truth[FAULTY]["lines"]["main"]
    assert min(main["duplicates"], main["excluded"], main["quarantined"]) > 10
    assert set(truth[FAULTY]["quarantine_reasons"]["main"]) == {
        "negative_subsession_length",
        "wrong_type",
        "not_json_object",
        "malformed_build_id",
    }


def test_quarantine_holds_each_line_with_the_reason_the_generator_caused(spark, warehouse, truth):
    rows = (
        read_table(spark, str(warehouse), "quarantine")
        .groupBy("submission_date", "doc_type", "reason")
        .count()
        .collect()
    )
    actual = {(r.submission_date, r.doc_type, r.reason): r["count"] for r in rows}
    expected = {
        (day, doc_type, reason): n
        for day in DAYS
        for doc_type, reasons in truth[day]["quarantine_reasons"].items()
        for reason, n in reasons.items()
    }
    assert actual == expected


def test_quarantined_raw_lines_carry_no_client_id(spark, warehouse, truth):
    raw = read_table(spark, str(warehouse), "quarantine").where(F.col("reason") != "not_json_object")
    parsed_lines = sum(
        n
        for day in DAYS
        for reasons in truth[day]["quarantine_reasons"].values()
        for reason, n in reasons.items()
        if reason != "not_json_object"
    )
    assert raw.count() == parsed_lines
    assert raw.where(F.col("raw").rlike(r'"clientId":"[0-9a-f]{8}-')).count() == 0
    # A line the fast parse read cleanly and a rule then quarantined keeps its text too,
    # looked up again after the parse, and redacted the same way.
    rule_quarantined = raw.where((F.col("doc_type") == "main") & (F.col("reason") == "malformed_build_id"))
    assert rule_quarantined.count() > 0
    assert rule_quarantined.where(~F.col("raw").contains('"clientId":"<redacted>"')).count() == 0


def test_the_days_span_the_crash_ping_transition(truth):
    assert [truth[day]["crash_formats"] for day in DAYS] == ["legacy", "both", "glean"]
    both = truth[FAULTY]["lines"]
    assert min(both["crash"]["aggregated"], both["glean_crash"]["aggregated"]) > 10
    assert min(both["crash"]["duplicates"], both["glean_crash"]["duplicates"]) > 10
    assert "crash" not in truth[DROPPED]["lines"] and "glean_crash" not in truth[CLEAN]["lines"]


def test_aggregates_match_the_generated_cells_exactly(spark, warehouse, truth):
    assert_aggregates_match_truth(read_table(spark, str(warehouse), "crash_aggregates"), truth)


def test_crash_reasons_match_what_the_generated_crashes_were(spark, warehouse, truth):
    assert_reasons_match_truth(read_table(spark, str(warehouse), "crash_reasons"), truth)


def test_crash_reasons_carry_the_release_dates_and_ages_of_crash_aggregates(spark, warehouse):
    reasons = read_table(spark, str(warehouse), "crash_reasons")
    releases = ["submission_date", "channel", "display_version", "os", "release_date", "release_age_days"]
    assert reasons.where(F.col("release_date").isNull()).count() == 0  # every desktop crash has a release
    ages = reasons.where(F.datediff("submission_date", "release_date") != F.col("release_age_days"))
    assert ages.count() == 0
    # Each crash's release is one crash_aggregates has for the same row: same dates, same ages.
    aggregated = read_table(spark, str(warehouse), "crash_aggregates").select(*releases).distinct()
    assert reasons.select(*releases).distinct().join(aggregated, releases, "left_anti").count() == 0


def test_crash_rates_recover_the_models_rates_within_sampling_error(spark, warehouse, truth):
    """Per channel and platform, observed main crashes against the model's expectation."""
    expected: dict[tuple[str, str], float] = defaultdict(float)
    for day in DAYS:
        for cell in truth[day]["expected_main_crashes"]:
            expected[(cell["channel"], cell["os"])] += cell["expected"]
    rows = (
        read_table(spark, str(warehouse), "crash_aggregates")
        .groupBy("channel", "os")
        .agg(F.sum("main_crashes").alias("n"))
        .collect()
    )
    observed = {(r.channel, r.os): r.n for r in rows}
    assert sum(expected.values()) > 1000
    for key, mean in expected.items():
        z = (observed[key] - mean) / math.sqrt(mean)
        assert abs(z) < 4, f"{key}: observed {observed[key]}, expected {mean:.1f} (z={z:.1f})"


def test_new_releases_are_crashier_in_their_first_days(spark, warehouse):
    """The model's early-days effect shows when release ages are kept apart."""
    rows = (
        read_table(spark, str(warehouse), "crash_aggregates")
        .where((F.col("channel") == "release") & (F.col("os") == "Windows"))
        .groupBy((F.col("release_age_days") <= 2).alias("early"))
        .agg((F.sum("main_crashes") / F.sum("usage_hours")).alias("rate"))
        .collect()
    )
    rate = {r.early: r.rate for r in rows}
    assert rate[True] > 1.3 * rate[False]


def test_a_dropped_platform_shows_in_the_volume(spark, warehouse):
    pings = {
        r.submission_date: r.n
        for r in read_table(spark, str(warehouse), "crash_aggregates")
        .where(F.col("os") == "Mac")
        .groupBy("submission_date")
        .agg(F.sum("ping_count").alias("n"))
        .collect()
    }
    assert pings[DROPPED] < 0.6 * pings[CLEAN]


def test_no_client_identifier_reaches_the_aggregates(spark, warehouse):
    columns = read_table(spark, str(warehouse), "crash_aggregates").columns
    assert not [c for c in columns if "client" in c.lower()]


def test_client_sums_have_the_grain_of_the_aggregates_and_agree_with_the_truths_clients(spark, warehouse, truth):
    aggregates = read_table(spark, str(warehouse), "crash_aggregates")
    sums = read_table(spark, str(warehouse), "crash_client_sums")
    keys = list(DIMENSIONS)
    assert sums.count() == aggregates.count()
    joined = aggregates.join(sums, keys, "inner")
    assert joined.count() == aggregates.count()  # row for row
    # A square of whole crashes is at least the crashes; no row without a client.
    assert joined.where((F.col("main_crashes_sq") < F.col("main_crashes")) | (F.col("clients") < 1)).count() == 0
    for day in DAYS:
        people = truth[day]["clients"]
        counted = {
            (r.channel, r.display_version, r.os): r["sum(clients)"]
            for r in sums.where(F.col("submission_date") == day)
            .groupBy("channel", "display_version", "os")
            .agg(F.sum("clients"))
            .collect()
        }
        for cell in people:
            key = (cell["channel"], cell["display_version"], cell["os"])
            # Clients with a main ping, and at most those with only crash pings besides.
            assert cell["active"] <= counted.get(key, 0) <= cell["active"] + cell["crashing"], (day, key)
