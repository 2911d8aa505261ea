"""Which signature drove it, read from ``crash_signatures`` and ``signature_first_seen``: each
verdict's two releases over the same release ages, the client sums added up, and the rows
as the table's contract has them (tiny frames)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from lib.analysis.signature_comparisons import format_signatures, signature_comparisons, top_signatures
from lib.runtime.local_frames import local_frame
from lib.warehouse.tables import table_spec

NIGHT = date(2026, 11, 20)
NEW, OLD = date(2026, 11, 17), date(2026, 11, 10)
SPEC = table_spec("crash_signatures")
SCHEMA = SPEC.schema
FIRST_SEEN = table_spec("signature_first_seen").schema
PLANTED = "AppleGPUDriverPlanted.bundle@0x2"


def signature_row(
    version: str, released: date, age: int, signature: str, crashes: int, clients: int, sq: int, process="main"
):
    values = {
        "submission_date": released + timedelta(days=age),
        "channel": "release",
        "version": version,
        "display_version": version,
        "build_id": "20261110000000",
        "os": "Mac",
        "process_type": process,
        "release_date": released,
        "release_age_days": age,
        "signature": signature,
        "crashes": crashes,
        "clients": clients,
        "crashes_sq": sq,
        "siggen_version": "1.0",
        "run_id": None,
    }
    return tuple(values[c.name] for c in SPEC.columns)


VERDICT = {
    "submission_date": NIGHT,
    "channel": "release",
    "os": "Mac",
    "measure": "main_crashes",
    "verdict": "regression",
    "latest_version": "158.0",
    "latest_release_date": NEW,
    "previous_version": "157.0.2",
    "previous_release_date": OLD,
    "age_from": 0,
    "age_to": 1,
    "latest_hours": 10_000.0,
    "previous_hours": 10_000.0,
}


def test_each_signatures_sums_over_the_verdicts_ages_and_its_flag(spark):
    rows = [
        # The newest release, ages 0-1: the planted signature (new), a steady one, and one
        # machine's 150 crashes on a signature also first seen in it.
        signature_row("158.0", NEW, 0, PLANTED, 20, 20, 20),
        signature_row("158.0", NEW, 1, PLANTED, 22, 21, 24),
        signature_row("158.0", NEW, 0, "XUL@0x2", 30, 30, 30),
        signature_row("158.0", NEW, 1, "one::Machine", 150, 1, 22_500),
        signature_row("158.0", NEW, 1, "XUL@0x2", 9, 9, 9, process=None),  # null process: main
        signature_row("158.0", NEW, 1, "content::Only", 90, 90, 90, process="content"),
        signature_row("158.0", NEW, 2, PLANTED, 500, 500, 500),  # age 2: not compared
        # The previous release, ages 0-1 (and age 5, not compared).
        signature_row("157.0.2", OLD, 0, "XUL@0x2", 20, 20, 20),
        signature_row("157.0.2", OLD, 1, "XUL@0x2", 20, 20, 20),
        signature_row("157.0.2", OLD, 5, PLANTED, 7, 7, 7),
    ]
    seen = [
        ("release", PLANTED, NEW, "158.0", "20261117000000"),
        ("release", "one::Machine", NEW + timedelta(days=1), "158.0", "20261117000000"),
        ("release", "XUL@0x2", date(2026, 1, 1), "147.0", "20260101000000"),
    ]
    out = signature_comparisons(
        spark, local_frame(spark, rows, SCHEMA), local_frame(spark, seen, FIRST_SEEN), [VERDICT], {}, NIGHT
    )
    assert out.columns == [c.name for c in table_spec("signature_comparisons").columns]
    found = {r.signature: r for r in out.collect()}
    assert set(found) == {PLANTED, "XUL@0x2", "one::Machine"}
    planted = found[PLANTED]
    assert (planted.latest_crashes, planted.latest_clients, planted.latest_crashes_sq) == (42, 41, 44)
    assert (planted.previous_crashes, planted.previous_clients, planted.previous_crashes_sq) == (0, 0, 0)
    assert (planted.flag, planted.first_date, planted.first_version) == ("new", NEW, "158.0")
    assert planted.latest_rate == pytest.approx(4.2)
    assert (planted.process_type, planted.age_from, planted.age_to) == ("main", 0, 1)
    assert (planted.latest_release_date, planted.previous_release_date) == (NEW, OLD)
    assert (found["XUL@0x2"].latest_crashes, found["XUL@0x2"].flag) == (39, "steady")
    assert (found["one::Machine"].latest_crashes, found["one::Machine"].flag) == (150, "steady")
    assert sum(r.share_of_change for r in found.values()) == pytest.approx(1.0)

    written = [r.asDict() for r in out.collect()]
    assert [d["signature"] for d in top_signatures(written, VERDICT)] == [PLANTED, "one::Machine", "XUL@0x2"]
    printed = format_signatures([VERDICT], written)
    expected = f"release Mac main_crashes: signatures\n  {PLANTED} (NEW, first seen 2026-11-17 in 158.0, "
    assert printed.startswith(expected)


def test_without_first_seen_nothing_is_new_and_without_rows_nothing_is_written(spark):
    rows = [signature_row("158.0", NEW, 0, PLANTED, 40, 40, 40)]
    out = signature_comparisons(spark, local_frame(spark, rows, SCHEMA), None, [VERDICT], {}, NIGHT).collect()
    assert [(r.signature, r.flag, r.first_date) for r in out] == [(PLANTED, "grown", None)]
    empty = signature_comparisons(spark, local_frame(spark, [], SCHEMA), None, [VERDICT], {}, NIGHT)
    assert empty.collect() == []
