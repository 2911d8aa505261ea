"""The demo's population end to end, where crashes cluster: what the verdicts and the page rest on.

Its newest release crashes 1.5x as often on Mac (release channel) and nowhere else;
a few clients hold much of every platform's crashes. Through the real jobs, the
night's ``release_comparisons`` must flag that regression, on Mac only, with an
interval that holds the truth, and ``client_counts`` must count clients within the
sketch's stated error.
"""

from __future__ import annotations

import pytest
from pyspark.sql import functions as F

from lib.analysis.stats import ROBUST
from lib.synthetic.generator import PLANTED_MODULE, PLANTED_SIGNATURE
from lib.transform.aggregate import HLL_RELATIVE_ERROR
from lib.warehouse.tables import read_table

pytestmark = pytest.mark.slow


def test_the_mac_regression_is_driven_by_the_planted_new_reason_and_nothing_else_is_new(spark, release_window):
    table = read_table(spark, str(release_window.warehouse), "reason_comparisons")
    rows = table.where(F.col("submission_date") == F.lit(release_window.last)).collect()
    mac = sorted(
        (r for r in rows if (r.channel, r.os, r.process_type) == ("release", "Mac", "main")),
        key=lambda r: -(r.share_of_change or 0),
    )
    assert (mac[0].reason, mac[0].flag, mac[0].previous_crashes) == (PLANTED_MODULE, "new", 0)
    assert mac[0].share_of_change > 0.5
    assert sum(r.difference for r in mac) == pytest.approx(
        sum(r.latest_rate for r in mac) - sum(r.previous_rate for r in mac)
    )
    assert [r for r in rows if r.flag == "new" and r.reason != PLANTED_MODULE] == []


def test_the_mac_regression_is_led_by_the_planted_signature_new_and_first_seen_in_the_newest_release(
    spark, release_window
):
    table = read_table(spark, str(release_window.warehouse), "signature_comparisons")
    rows = table.where(F.col("submission_date") == F.lit(release_window.last)).collect()
    mac = sorted(
        (r for r in rows if (r.channel, r.os, r.process_type) == ("release", "Mac", "main")),
        key=lambda r: (r.flag != "new", -(r.share_of_change or 0)),
    )
    lead = mac[0]
    assert (lead.signature, lead.flag, lead.previous_crashes) == (PLANTED_SIGNATURE, "new", 0)
    assert (lead.latest_version, lead.first_version, lead.first_date) == ("158.0", "158.0", lead.latest_release_date)
    assert lead.share_of_change > 0.5
    assert lead.difference_low > 0
    assert sum(r.difference for r in mac) == pytest.approx(sum(r.latest_rate - r.previous_rate for r in mac))
    # signature_first_seen agrees: the planted signature first crashed on 158.0's release day.
    seen = read_table(spark, str(release_window.warehouse), "signature_first_seen")
    (first,) = seen.where((F.col("channel") == "release") & (F.col("signature") == PLANTED_SIGNATURE)).collect()
    assert (first.first_date, first.first_version) == (lead.latest_release_date, "158.0")
    # Nothing else is new anywhere, and nothing is flagged where no regression was planted.
    assert [r.signature for r in rows if r.flag == "new"] == [PLANTED_SIGNATURE]
    elsewhere = {r.flag for r in rows if (r.channel, r.os) != ("release", "Mac")}
    assert elsewhere <= {"steady", "grown", "shrunk"} and "new" not in elsewhere


def night_rows(spark, window):
    """The last night's verdicts per usage hour (the model's truth is per usage hour) and crash incidence."""
    table = read_table(spark, str(window.warehouse), "release_comparisons")
    return table.where((F.col("submission_date") == F.lit(window.last)) & (F.col("denominator") != "active")).collect()


def true_ratio(window, row) -> float:
    """The model's rate ratio over the cells compared: expected crashes per hour, newest over previous."""
    sums = {row.latest_version: [0.0, 0.0], row.previous_version: [0.0, 0.0]}
    for night in window.nights:
        for cell in window.truth(night)["expected_main_crashes"]:
            key = cell["display_version"]
            same_cell = (cell["channel"], cell["os"]) == (row.channel, row.os) and key in sums
            if same_cell and row.age_from <= cell["release_age_days"] <= row.age_to:
                sums[key][0] += cell["expected"]
                sums[key][1] += cell["usage_hours"]
    (latest_crashes, latest_hours), (previous_crashes, previous_hours) = sums.values()
    return (latest_crashes / latest_hours) / (previous_crashes / previous_hours)


def test_a_one_and_a_half_times_regression_on_mac_is_flagged_there_and_nowhere_else(spark, release_window):
    rows = night_rows(spark, release_window)
    flagged = {(r.channel, r.os) for r in rows if r.verdict == "regression"}
    assert flagged == {("release", "Mac")}
    (mac,) = [r for r in rows if (r.channel, r.os, r.measure) == ("release", "Mac", "main_crashes")]
    assert mac.verdict == "regression"
    assert (mac.latest_version, mac.previous_version, mac.age_from, mac.age_to) == ("158.0", "157.0.2", 0, 3)
    assert mac.method == ROBUST
    assert mac.ratio_low < true_ratio(release_window, mac) < mac.ratio_high
    # The other platforms, same releases and ages: no change, and their intervals hold the truth.
    for r in rows:
        if (r.channel, r.measure) == ("release", "main_crashes") and r.os != "Mac":
            assert r.verdict == "no clear change", r
            assert r.ratio_low < true_ratio(release_window, r) < r.ratio_high, r


def test_client_counts_are_within_the_sketchs_stated_error_of_the_exact_counts(spark, release_window):
    counts = read_table(spark, str(release_window.warehouse), "client_counts")
    checked = 0
    for night in release_window.nights:
        estimated = {
            (r.channel, r.display_version, r.os): r
            for r in counts.where(F.col("submission_date") == F.lit(night)).collect()
        }
        for cell in release_window.truth(night)["clients"]:
            row = estimated[(cell["channel"], cell["display_version"], cell["os"])]
            for exact, estimate in ((cell["active"], row.active_clients), (cell["crashing"], row.crashing_clients)):
                # Three standard errors: a one-in-370 miss per cell.
                assert abs(estimate - exact) <= 3 * HLL_RELATIVE_ERROR * exact, (night, cell, estimate)
                checked += exact > 2**12 // 10  # beyond the sketch's exact warm-up
    assert checked > 20, "the window must hold cells large enough to be estimated, not counted"
