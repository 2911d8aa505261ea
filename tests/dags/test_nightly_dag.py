"""The whole night through Airflow: ``dag.test()`` on generated data, local Spark, SMTP on localhost.

Three generated days: two clean, then one with a duplicate storm. The first clean night
runs alone, then the backfill Airflow's own command plans over both clean nights runs it
again and the second for the first time; the faulty night must stop at
``aggregate_crashes`` (its raw checks) with nothing aggregated and email the on-call list the report.
"""

from __future__ import annotations

import re
import shutil
from datetime import date
from email.message import Message
from html import escape

import pytest

from lib.analysis.signature_changes import bugzilla_url, crash_stats_url
from lib.contract.layout import report_path
from lib.synthetic.generator import PLANTED_SIGNATURE
from lib.warehouse.tables import read_table, table_exists
from tests.dags.conftest import (
    ALERT_TO,
    DAG_ID,
    FAULTY,
    FIRST,
    RELEASE_MANAGERS,
    SECOND,
    airflow_cli,
    run_night,
    task_states,
)
from tests.delta_state import snapshot, versions
from tests.truth import assert_aggregates_match_truth, generated_truth

pytestmark = pytest.mark.slow

PAGE_AND_COMPACTION = ("release_health", "alert_release_managers", "housekeeping")
SPARK_TASKS = ("aggregate_crashes", "validate_aggregates", "compare_releases", "release_health", "housekeeping")


def night(dag, airflow_env, landing, day, warehouse):
    return run_night(dag, airflow_env, day, landing / "raw", warehouse, landing / "releases")


def day_rows(spark, warehouse, name, day) -> int:
    return read_table(spark, str(warehouse), name).where(f"submission_date = DATE'{day}'").count()


@pytest.fixture(scope="module")
def first_night(spark, dag, airflow_env, landing, tmp_path_factory):
    """The first clean night, every task, into a fresh warehouse: its DagRun and the warehouse."""
    warehouse = tmp_path_factory.mktemp("first_night")
    return night(dag, airflow_env, landing, FIRST, warehouse), warehouse


def test_a_clean_night_succeeds_and_writes_the_days_partitions(spark, first_night, inbox):
    run, warehouse = first_night
    assert str(run.state) == "success"
    assert set(task_states(run).values()) == {"success"}
    assert set(task_states(run)) >= {"wait_for_usage", "wait_for_crash_sources", *SPARK_TASKS}
    for name in ("crash_aggregates", "dq_metrics", "dq_results"):  # a clean day quarantines nothing
        assert day_rows(spark, warehouse, name, FIRST) > 0, name
        # housekeeping compacted the day into one file
        files = read_table(spark, str(warehouse), name).where(f"submission_date = DATE'{FIRST}'").inputFiles()
        assert len(files) == 1, name
    assert (warehouse / "dq_reports" / f"{FIRST}.html").is_file()
    assert (warehouse / "release_health" / str(FIRST) / "index.html").is_file()
    assert task_states(run)["alert_release_managers"] == "success"
    assert inbox.messages == []  # a quiet night: no alert, no regression email
    # the jobs ran on this process's session and left its settings alone
    assert spark.conf.get("spark.sql.shuffle.partitions") == "2"


def backfill_dates(start: date, end: date) -> list[date]:
    """The submission dates ``airflow backfill create`` runs for [start, end], in its order.

    ``--reprocess-behavior completed``: dates that already ran are run again, as a re-run
    of a month finds some of them.
    """
    listing = airflow_cli(
        "backfill", "create", "--dag-id", DAG_ID, "--from-date", str(start), "--to-date", str(end),
        "--reprocess-behavior", "completed", "--dry-run",
    )  # fmt: skip
    return [date.fromisoformat(d) for d in re.findall(r"^\| (\d{4}-\d\d-\d\d) 00:00:00\+00:00 ", listing, re.M)]


def test_a_backfill_rewrites_a_night_already_run_into_the_same_rows_and_adds_a_new_one(
    spark, dag, airflow_env, landing, first_night
):
    """A backfill over the two clean nights, the first already run: re-running it rewrites
    every table and leaves exactly the rows it had; the second, new, writes the generator's
    cells exactly, beside the first's.

    The runs are the ones ``airflow backfill create`` lists; ``dag.test()`` runs each
    (a scheduler would run the same DAG for the same logical dates).
    """
    run, warehouse = first_night
    assert str(run.state) == "success"
    before, before_versions = snapshot(spark, warehouse), versions(spark, warehouse)

    dates = backfill_dates(FIRST, SECOND)

    assert dates == [FIRST, SECOND]
    for day in dates:
        # The tables are the claim here: the page and the compaction have tests of their own.
        backfilled = run_night(
            dag, airflow_env, day, landing / "raw", warehouse, landing / "releases", skip=PAGE_AND_COMPACTION
        )
        assert str(backfilled.state) == "success", task_states(backfilled)
        if day == FIRST:
            assert snapshot(spark, warehouse) == before
            # Every table with rows was rewritten (an empty partition replaced by nothing commits nothing).
            stale = [n for n, v in versions(spark, warehouse).items() if v == before_versions[n] and before[n]]
            assert stale == []
    assert_aggregates_match_truth(
        read_table(spark, str(warehouse), "crash_aggregates"), generated_truth(landing, dates)
    )
    for name in ("dq_metrics", "dq_results"):
        assert day_rows(spark, warehouse, name, SECOND) > 0, name


def parts(message: Message) -> tuple[str, list[Message]]:
    body, *attachments = [p for p in message.walk() if not p.is_multipart()]
    return body.get_payload(decode=True).decode(), attachments


def test_a_faulty_night_stops_at_the_raw_checks_and_emails_the_report(
    spark, dag, airflow_env, landing, inbox, tmp_path
):
    inbox.messages.clear()

    run = night(dag, airflow_env, landing, FAULTY, tmp_path)

    states = task_states(run)
    assert str(run.state) == "failed"
    assert states["aggregate_crashes"] == "failed"
    downstream = ("validate_aggregates", "compare_releases", "release_health", "alert_release_managers", "housekeeping")
    assert {states[t] for t in downstream} == {"upstream_failed"}
    assert not table_exists(spark, str(tmp_path), "crash_aggregates")
    (message,) = inbox.messages
    assert message["Subject"] == f"[crash-rates] {FAULTY} aggregate_crashes data quality failed"
    assert message["To"] == ALERT_TO
    body, (attachment,) = parts(message)
    assert str(FAULTY) in body and "aggregate_crashes (try 1)" in body
    assert "duplicate_share" in body
    assert re.search(r"<th align='left'>Log</th><td>https?://\S+</td>", body)
    assert report_path(str(tmp_path), FAULTY) in body
    assert attachment.get_filename() == f"data-quality-{FAULTY}.html"
    assert b"duplicate_share" in attachment.get_payload(decode=True)


def test_a_broken_setting_fails_the_first_job_at_once_and_emails_why(dag, airflow_env, landing, inbox, tmp_path):
    inbox.messages.clear()
    airflow_env.setenv("AIRFLOW_VAR_CRASH_RATES_SPARK_MODE", "cluster")
    try:
        run = night(dag, airflow_env, landing, FIRST, tmp_path)
    finally:
        airflow_env.setenv("AIRFLOW_VAR_CRASH_RATES_SPARK_MODE", "in_process")

    assert str(run.state) == "failed"
    assert task_states(run)["aggregate_crashes"] == "failed"
    (message,) = inbox.messages
    assert message["Subject"] == f"[crash-rates] {FIRST} aggregate_crashes failed"
    body, attachments = parts(message)
    assert "crash_rates_spark_mode must be one of" in body and attachments == []


def test_a_night_with_a_regression_emails_the_release_managers_the_verdicts_and_the_page(
    dag, airflow_env, inbox, release_window, tmp_path
):
    """The demo's population, its newest release 1.5x crashier on Mac: the night's page is
    written and emailed to the release managers, not the on-call."""
    warehouse = tmp_path / "warehouse"
    shutil.copytree(release_window.warehouse, warehouse)
    inbox.messages.clear()

    day = release_window.last
    # The window's tables already hold the night's verdicts: the run writes the page and alerts.
    skip = ("aggregate_crashes", "validate_aggregates", "compare_releases", "housekeeping")
    run = run_night(dag, airflow_env, day, release_window.raw, warehouse, release_window.releases, skip=skip)

    assert str(run.state) == "success", task_states(run)
    (message,) = inbox.messages
    assert message["To"] == RELEASE_MANAGERS
    assert message["Subject"] == f"[crash-rates] {day}: regression in release Mac"
    body, (attachment,) = parts(message)
    lines = re.findall(r"<li><p>(.*?)</p>", body)  # each regression: its line, then its signatures
    assert lines and all(line.startswith("release Mac, ") for line in lines)
    assert any(line.startswith("release Mac, main-process crashes: REGRESSION: 158.0 ") for line in lines)
    # The planted signature leads, new, linked to Crash Stats and Bugzilla (links only).
    lead = f'<b>NEW</b> <code>{PLANTED_SIGNATURE}</code>: <a href="{escape(crash_stats_url(PLANTED_SIGNATURE))}">'
    assert lead in body
    assert f'<a href="{escape(bugzilla_url(PLANTED_SIGNATURE))}">Bugzilla</a>' in body
    assert attachment.get_filename() == f"release-health-{day}.html"
    page = attachment.get_payload(decode=True).decode()
    assert page == (warehouse / "release_health" / str(day) / "index.html").read_text()
