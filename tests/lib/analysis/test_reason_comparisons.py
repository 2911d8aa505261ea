"""Which crash drove it, read from ``crash_reasons``: each verdict's two releases over the
same release ages, nightly's builds (one version) told apart by their dates, and rows
written before the release columns existed still counted by version."""

from __future__ import annotations

from datetime import date, timedelta

from lib.analysis.reason_comparisons import crashes_by_reason, reason_comparisons, reason_label
from lib.runtime.local_frames import local_frame
from lib.warehouse.tables import table_spec

NIGHT = date(2026, 11, 20)
SPEC = table_spec("crash_reasons")
SCHEMA = SPEC.schema


def reason_row(channel: str, version: str, released: date | None, day: date, module: str, crashes: int) -> tuple:
    values = {
        "submission_date": day,
        "channel": channel,
        "display_version": version,
        "release_date": released,
        "release_age_days": (day - released).days if released else None,
        "os": "Mac",
        "process_type": "main",
        "crashing_module": module,
        "crashes": crashes,
    }
    return tuple(values.get(c.name) for c in SPEC.columns)


def verdict(channel: str, latest: tuple[str, date | None], previous: tuple[str, date | None], **extra) -> dict:
    return {
        "submission_date": NIGHT,
        "channel": channel,
        "os": "Mac",
        "measure": "main_crashes",
        "latest_version": latest[0],
        "latest_release_date": latest[1],
        "previous_version": previous[0],
        "previous_release_date": previous[1],
        "age_from": 0,
        "age_to": 1,
        **extra,
    }


def test_nightly_builds_of_one_version_are_compared_build_against_build_at_the_same_ages(spark):
    older, newer = date(2026, 11, 17), date(2026, 11, 19)
    rows = [
        # The older build at ages 0-1, then at age 3 (outside the ages compared).
        reason_row("nightly", "148.0a1", older, older, "xul.dll", 4),
        reason_row("nightly", "148.0a1", older, older + timedelta(days=1), "xul.dll", 3),
        reason_row("nightly", "148.0a1", older, older + timedelta(days=3), "xul.dll", 50),
        # The newer build of the same version, at ages 0-1: a new module.
        reason_row("nightly", "148.0a1", newer, newer, "nvwgf2umx.dll", 9),
        reason_row("nightly", "148.0a1", newer, newer + timedelta(days=1), "xul.dll", 2),
    ]
    reasons = local_frame(spark, rows, SCHEMA)
    counts = crashes_by_reason(
        reasons, [verdict("nightly", ("148.0a1", newer), ("148.0a1", older))], {}, reason_label(with_process=False)
    )
    assert counts[("nightly", "Mac", "main")] == {
        "latest": {"nvwgf2umx.dll": 9, "xul.dll": 2},
        "previous": {"xul.dll": 7},
    }


def test_rows_written_before_the_release_columns_are_counted_by_version_and_date(spark):
    released = {("release", "158.0"): date(2026, 11, 17), ("release", "157.0.2"): date(2026, 11, 10)}
    rows = [
        reason_row("release", "158.0", None, date(2026, 11, 18), "xul.dll", 5),  # age 1
        reason_row("release", "158.0", None, date(2026, 11, 20), "xul.dll", 40),  # age 3: outside
        reason_row("release", "157.0.2", None, date(2026, 11, 10), "xul.dll", 6),  # age 0
    ]
    reasons = local_frame(spark, rows, SCHEMA)
    old_verdict = verdict("release", ("158.0", None), ("157.0.2", None))  # release_comparisons before version 3
    counts = crashes_by_reason(reasons, [old_verdict], released, reason_label(with_process=False))
    assert counts[("release", "Mac", "main")] == {"latest": {"xul.dll": 5}, "previous": {"xul.dll": 6}}
    # A nightly verdict over such rows cannot tell its builds apart: no counts rather than wrong ones.
    nightly = verdict("nightly", ("148.0a1", None), ("148.0a1", None))
    assert crashes_by_reason(reasons, [nightly], {}, reason_label(with_process=False)) == {}


def test_a_nightly_regression_is_split_by_reason_with_both_builds_named(spark):
    older, newer = date(2026, 11, 17), date(2026, 11, 19)
    rows = [reason_row("nightly", "148.0a1", older, older + timedelta(days=age), "xul.dll", 10) for age in (0, 1)] + [
        reason_row("nightly", "148.0a1", newer, newer + timedelta(days=age), module, 10)
        for age in (0, 1)
        for module in ("xul.dll", "nvwgf2umx.dll")
    ]
    sides = {
        "latest_crashes": 40, "latest_hours": 10_000.0, "latest_low": 2.86, "latest_high": 5.45,
        "previous_crashes": 20, "previous_hours": 10_000.0, "previous_low": 1.22, "previous_high": 3.09,
    }  # fmt: skip
    v = verdict("nightly", ("148.0a1", newer), ("148.0a1", older), **sides)
    out = {r.reason: r for r in reason_comparisons(spark, local_frame(spark, rows, SCHEMA), [v], {}, NIGHT).collect()}
    assert out["nvwgf2umx.dll"].flag == "new"
    assert (out["nvwgf2umx.dll"].latest_crashes, out["nvwgf2umx.dll"].previous_crashes) == (20, 0)
    assert (out["xul.dll"].latest_crashes, out["xul.dll"].previous_crashes) == (20, 20)
    assert {(r.latest_release_date, r.previous_release_date) for r in out.values()} == {(newer, older)}
