"""Data-quality checks catch each data-collection fault by name, with its severity, and email the report.

One generated month, small pings, a different fault on each of the last days; the
same weekday of the four weeks before the last day is clean, for the volume check.
The month is aggregated as the nightly aggregation's one range run, its raw checks
enforced, then the last day alone: one parse judges every date's raw checks.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from datetime import date, timedelta

import pytest
from pyspark.sql import functions as F

import jobs.aggregate_crashes as aggregate_crashes
import jobs.validate_aggregates as validate_aggregates
import jobs.validate_raw as validate_raw
from jobs.aggregate_crashes import Config
from jobs.aggregate_crashes import run as aggregate
from jobs.generate_pings import generate
from lib.quality.publish import CriticalChecksFailed
from lib.quality.runner import dq_config
from lib.runtime.cli import date_range
from lib.synthetic.generator import Settings
from lib.warehouse.tables import read_table, table_exists
from tests.smtp_server import smtp_server

pytestmark = pytest.mark.slow

LAST = date(2026, 11, 20)
FAULT_DAYS = {
    "duplicates": LAST - timedelta(days=6),
    "negative_lengths": LAST - timedelta(days=5),
    "clock_skew": LAST - timedelta(days=4),
    "bogus_builds": LAST - timedelta(days=3),
    "malformed_lines": LAST - timedelta(days=2),
    "wrong_types": LAST - timedelta(days=1),
    "platform_drop": LAST,
}
SAME_WEEKDAY = [LAST - timedelta(days=7 * w) for w in (4, 3, 2, 1, 0)]


@pytest.fixture(scope="module")
def month(tmp_path_factory):
    out = tmp_path_factory.mktemp("dq_month")
    settings = Settings(
        start=LAST - timedelta(days=28),
        days=29,
        clients=900,
        ping_size="small",
        faults={name: frozenset({day}) for name, day in FAULT_DAYS.items()},
        # Enough crashes a day for the crash-rate check to judge the big channels.
        rate_scale=5.0,
        # The transition the crash-rate check must not mistake for a change: legacy crash
        # pings, then both formats, then Glean only for the last week.
        crash_formats="legacy",
        format_changes=((LAST - timedelta(days=13), "both"), (LAST - timedelta(days=6), "glean")),
    )
    generate(settings, out, compress=False, files=1)
    return out


# Every date the raw-check tests judge: three fault-free weeks, then a fault a day.
VALIDATED = date_range(LAST - timedelta(days=21), LAST - timedelta(days=1))


@pytest.fixture(scope="module")
def aggregated_month(spark, month, tmp_path_factory):
    """The month before the last day as the nightly aggregation's one range run, its raw
    checks enforced (a date they stop is judged and left unaggregated), then the last day
    alone: the warehouse, and the range's message naming the dates it stopped."""
    path = tmp_path_factory.mktemp("dq_warehouse")
    ranged = Config(LAST - timedelta(days=28), str(month / "raw"), str(path), str(month / "releases"))
    try:
        aggregate(spark, replace(ranged, until=LAST - timedelta(days=1)))
        named = ""
    except CriticalChecksFailed as failure:
        named = str(failure)
    # The platform drop is the aggregate checks' to find: its raw checks are not the subject.
    aggregate(spark, Config(LAST, str(month / "raw"), str(path), str(month / "releases"), raw_checks="skip"))
    return path, named


@pytest.fixture(scope="module")
def warehouse(aggregated_month):
    """Every date of the month aggregated but those its raw checks stopped."""
    return aggregated_month[0]


@pytest.fixture(scope="module")
def validated(spark, aggregated_month):
    """For a date of VALIDATED, its raw checks as the range run judged them, {check:
    (success, severity)}, and whether the run named it failed."""
    warehouse, named = aggregated_month
    results: dict[date, dict[str, tuple[bool, str]]] = {day: {} for day in VALIDATED}
    for row in read_table(spark, str(warehouse), "dq_results").where("suite = 'raw'").collect():
        if row.submission_date in results:
            results[row.submission_date][row.check] = (row.success, row.severity)

    def outcome(day: date) -> tuple[dict[str, tuple[bool, str]], bool]:
        return results[day], f"failed for {day} (raw)" in named

    return outcome


@pytest.fixture
def smtp(monkeypatch):
    """A real SMTP server on localhost, and the environment that points the jobs at it."""
    with smtp_server() as inbox:
        monkeypatch.setenv("CRASH_RATES_SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("CRASH_RATES_SMTP_PORT", str(inbox.port))
        monkeypatch.setenv("CRASH_RATES_SMTP_FROM", "crash-rates@example.org")
        monkeypatch.setenv("CRASH_RATES_SMTP_TO", "oncall@example.org, release-managers@example.org")
        yield inbox


def test_a_clean_day_passes_every_raw_check(validated):
    results, failed = validated(LAST - timedelta(days=7))
    assert not failed
    assert all(success for success, _ in results.values()), results
    configured = dq_config()["raw"]
    present = [f"fields_present:{c}" for c in configured["fields_present"]["columns"]]
    assert set(results) == {*configured, *present} - {"fields_present"}


@pytest.mark.parametrize(
    ("fault", "check", "severity"),
    [
        ("duplicates", "duplicate_share", "critical"),
        ("negative_lengths", "subsession_length_plausible", "critical"),
        ("clock_skew", "clock_skew_share", "warning"),
        ("bogus_builds", "build_id_well_formed", "critical"),
        ("bogus_builds", "exclusion_share", "warning"),
        ("malformed_lines", "quarantine_share", "critical"),
        ("wrong_types", "quarantine_share", "critical"),
    ],
)
def test_each_fault_fails_its_check_with_its_severity(validated, fault, check, severity):
    results, failed = validated(FAULT_DAYS[fault])
    assert results[check] == (False, severity)
    assert failed == any(not ok and sev == "critical" for ok, sev in results.values())
    if severity == "warning" and fault == "clock_skew":
        assert not failed, "clock skew alone only warns"


def test_a_platform_whose_pings_drop_fails_the_volume_check(spark, warehouse):
    with pytest.raises(CriticalChecksFailed, match="volume_vs_history"):
        validate_aggregates.run(spark, LAST, str(warehouse))
    row = (
        read_table(spark, str(warehouse), "dq_results")
        .where((F.col("submission_date") == F.lit(LAST)) & (F.col("check") == "volume_vs_history"))
        .first()
    )
    assert (row.success, row.severity) == (False, "critical")
    assert "Mac" in row.details and "Windows" not in row.details
    # The report draws what the drop was judged against: the same weekday of the past
    # weeks, the band allowed, and today below it.
    series = json.loads(row.history)
    assert {s["title"].split()[1] for s in series} == {"Mac"}
    for s in series:
        days = [p["day"] for p in s["points"]]
        assert days == [str(d) for d in SAME_WEEKDAY]
        (today,) = [p for p in s["points"] if p["today"]]
        assert today["day"] == str(LAST) and today["value"] < s["low"]
        assert all(p["value"] >= s["low"] for p in s["points"] if not p["today"])
        assert s["high"] is None  # a drop is judged one way
    report = (warehouse / "dq_reports" / f"{LAST}.html").read_text()
    assert report.count("<figcaption>") == len(series)
    assert f"<figcaption>{series[0]['title']}</figcaption>" in report


def check_row(spark, warehouse, day, check):
    return (
        read_table(spark, str(warehouse), "dq_results")
        .where((F.col("submission_date") == F.lit(day)) & (F.col("check") == check))
        .first()
    )


def test_crash_rates_hold_steady_across_the_switch_to_glean_crash_pings(spark, warehouse):
    with pytest.raises(CriticalChecksFailed):  # the platform drop of that day
        validate_aggregates.run(spark, LAST, str(warehouse))
    row = check_row(spark, warehouse, LAST, "crash_rate_vs_history")
    assert (row.success, row.severity) == (True, "critical")


def glean_lines_again(text: str) -> str:
    """The same crashes once more, as new pings: new document ids and minidump hashes."""
    pings = [json.loads(line) for line in text.splitlines() if line]
    for ping in pings:
        ping["meta"]["documentId"] += "-again"
        metrics = ping["metrics"]["string"]
        if "crash.minidump_sha256_hash" in metrics:
            metrics["crash.minidump_sha256_hash"] += "-again"
    return "".join(json.dumps(p) + "\n" for p in pings)


@pytest.mark.parametrize("source", ["silent", "doubled"])
def test_a_crash_source_gone_silent_or_doubled_fails_the_crash_rate_check(spark, month, warehouse, tmp_path, source):
    raw, own = tmp_path / "raw", tmp_path / "warehouse"
    shutil.copytree(month / "raw", raw)
    shutil.copytree(warehouse, own)
    glean = raw / "glean_crash" / f"submission_date={LAST}"
    for part in glean.glob("part-*"):
        text = part.read_text()
        part.write_text("" if source == "silent" else text + glean_lines_again(text))
    aggregate(spark, Config(LAST, str(raw), str(own), str(month / "releases")))
    with pytest.raises(CriticalChecksFailed, match="crash_rate_vs_history"):
        validate_aggregates.run(spark, LAST, str(own))
    row = check_row(spark, own, LAST, "crash_rate_vs_history")
    assert (row.success, row.severity) == (False, "critical")
    assert "release Windows crashes per 1000 h" in row.details
    assert ("(-100%" in row.details) == (source == "silent")


def test_an_ordinary_day_with_history_passes_every_aggregate_check(spark, warehouse):
    summary = validate_aggregates.run(spark, LAST - timedelta(days=7), str(warehouse))
    assert "no critical failure, 0 warning(s)" in summary


def test_a_busy_version_missing_from_the_calendar_warns(spark, month, tmp_path):
    releases = tmp_path / "releases"
    shutil.copytree(month / "releases", releases)
    majors = json.loads((releases / "firefox_history_major_releases.json").read_text())
    newest = max(majors, key=majors.get)
    del majors[newest]
    (releases / "firefox_history_major_releases.json").write_text(json.dumps(majors))
    aggregate(spark, Config(LAST, str(month / "raw"), str(tmp_path / "wh"), str(releases)))
    summary = validate_aggregates.run(spark, LAST, str(tmp_path / "wh"))
    assert "1 warning(s)" in summary
    row = (
        read_table(spark, str(tmp_path / "wh"), "dq_results")
        .where("check = 'busy_version_missing_from_calendar'")
        .first()
    )
    assert (row.success, row.severity) == (False, "warning")
    assert f"display_version={newest}" in row.details


def test_a_critical_failure_emails_the_report(spark, month, warehouse, smtp):
    day = FAULT_DAYS["duplicates"]
    with pytest.raises(CriticalChecksFailed):
        validate_raw.run(spark, day, str(month / "raw"), str(warehouse), str(month / "releases"))
    (message,) = smtp.messages
    assert message["To"] == "oncall@example.org, release-managers@example.org"
    assert str(day) in message["Subject"] and "duplicate_share" in message["Subject"]
    body, attachment = [part for part in message.walk() if not part.is_multipart()]
    text = body.get_content() if hasattr(body, "get_content") else body.get_payload(decode=True).decode()
    assert "[critical] raw/duplicate_share" in text
    assert "allowed at most 5% of lines" in text
    assert attachment.get_filename() == f"data-quality-{day}.html"
    assert b"duplicate_share" in attachment.get_payload(decode=True)


def test_the_nightly_aggregation_stops_at_a_critical_raw_failure_and_exits_3(spark, month, tmp_path, capsys):
    """One parse per night: aggregate_crashes judges the raw checks itself, and a critical
    failure leaves the verdict in dq_results, nothing aggregated, and exit 3 (no retry)."""
    day = FAULT_DAYS["duplicates"]
    argv = ["--date", str(day), "--raw", str(month / "raw"), "--warehouse", str(tmp_path / "wh")]
    status = aggregate_crashes.main([*argv, "--releases", str(month / "releases")])
    assert status == 3
    (line,) = capsys.readouterr().err.strip().splitlines()[-1:]
    assert line.startswith("aggregate_crashes: error:") and "duplicate_share" in line
    assert not table_exists(spark, str(tmp_path / "wh"), "crash_aggregates")
    row = check_row(spark, tmp_path / "wh", day, "duplicate_share")
    assert (row.success, row.severity) == (False, "critical")


def test_raw_checks_report_publishes_the_verdict_and_aggregates_anyway(spark, month, tmp_path):
    day = FAULT_DAYS["duplicates"]
    summary = aggregate(
        spark, Config(day, str(month / "raw"), str(tmp_path / "wh"), str(month / "releases"), raw_checks="report")
    )
    assert summary.startswith(f"aggregate_crashes {day}: read")
    assert read_table(spark, str(tmp_path / "wh"), "crash_aggregates").count() > 0
    assert not check_row(spark, tmp_path / "wh", day, "duplicate_share").success


def test_a_clean_day_sends_no_email(spark, month, warehouse, smtp):
    validate_raw.run(spark, LAST - timedelta(days=14), str(month / "raw"), str(warehouse), str(month / "releases"))
    assert smtp.messages == []


def test_dq_results_keeps_a_checks_history(spark, warehouse, validated):
    for day in (FAULT_DAYS["duplicates"], LAST - timedelta(days=21)):
        validated(day)
    history = (
        read_table(spark, str(warehouse), "dq_results")
        .where("suite = 'raw' AND check = 'duplicate_share'")
        .select("submission_date", "success")
        .collect()
    )
    by_day = {r.submission_date: r.success for r in history}
    assert by_day[FAULT_DAYS["duplicates"]] is False
    assert by_day[LAST - timedelta(days=21)] is True


def test_the_report_is_a_page_that_puts_failures_first(warehouse, validated):
    validated(FAULT_DAYS["duplicates"])
    page = (warehouse / "dq_reports" / f"{FAULT_DAYS['duplicates']}.html").read_text()
    assert page.index("duplicate_share") < page.index("client_id_well_formed")
    assert "critical check(s) failed" in page


def test_a_range_judges_each_date_as_a_run_of_that_date_alone(spark, month, warehouse, validated, tmp_path):
    day = FAULT_DAYS["bogus_builds"]
    in_range, _ = validated(day)
    judged = ("check", "severity", "success", "observed_value", "threshold", "details")
    ranged = read_table(spark, str(warehouse), "dq_results").where(F.col("submission_date") == F.lit(day))
    with pytest.raises(CriticalChecksFailed, match=f"failed for {day} \\(raw\\): .*build_id_well_formed"):
        validate_raw.run(spark, day, str(month / "raw"), str(tmp_path / "wh"), str(month / "releases"))
    alone = read_table(spark, str(tmp_path / "wh"), "dq_results")
    assert len(in_range) > 10
    assert sorted(alone.select(*judged).collect()) == sorted(ranged.where("suite = 'raw'").select(*judged).collect())


def test_a_range_leaves_the_dates_its_checks_stop_unwritten_names_them_and_writes_the_others(
    spark, aggregated_month, validated
):
    warehouse, named = aggregated_month
    stopped = {d for d in VALIDATED if validated(d)[1]}
    assert stopped == {
        FAULT_DAYS[f] for f in ("duplicates", "negative_lengths", "bogus_builds", "malformed_lines", "wrong_types")
    }
    ranged = set(date_range(LAST - timedelta(days=28), LAST - timedelta(days=1)))
    assert named.count("critical check(s) failed for") == len(stopped)
    assert (
        f"nothing written for {len(stopped)} date(s); the other {len(ranged) - len(stopped)} date(s) were written"
        in named
    )
    tables = {name: read_table(spark, str(warehouse), name) for name in ("crash_aggregates", "dq_results")}
    written = {r[0] for r in tables["crash_aggregates"].select("submission_date").distinct().collect()}
    assert written == ranged - stopped | {LAST}
    # Every date of the range judged, stopped or not.
    judged = tables["dq_results"].where(F.col("suite") == "raw").select("submission_date").distinct().collect()
    assert {r[0] for r in judged} >= ranged


def test_a_clean_month_raises_no_critical_alarm(spark, warehouse, validated):
    """Every fault-free day before the faults through the raw suite, and every
    aggregated day with at least two weeks of history through the aggregates suite."""
    fault_free = [day for day in VALIDATED if day < min(FAULT_DAYS.values())]
    alarms = {}
    for day in fault_free:
        results, failed = validated(day)
        if failed:
            alarms[day] = [check for check, (ok, severity) in results.items() if not ok and severity == "critical"]
    for day in SAME_WEEKDAY[2:-1]:
        try:
            validate_aggregates.run(spark, day, str(warehouse))
        except CriticalChecksFailed as error:
            alarms[day] = [str(error)]
    assert alarms == {}
