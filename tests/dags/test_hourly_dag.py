"""The hourly DAG on release day: each established regression emailed once, a quiet hour silent."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import REPO
from tests.dags.conftest import RELEASE_MANAGERS, run_dag, task_states

HOURLY = "crash_rates_hourly"


@pytest.fixture(scope="module")
def hourly_dag(airflow_env):
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(REPO / "airflow_dags"))
    assert bag.import_errors == {}
    return bag.get_dag(HOURLY)


def _run_hour(dag, env, at: datetime, raw, warehouse, releases):
    import pendulum

    env.setenv("AIRFLOW_VAR_CRASH_RATES_RAW", str(raw))
    env.setenv("AIRFLOW_VAR_CRASH_RATES_WAREHOUSE", str(warehouse))
    env.setenv("AIRFLOW_VAR_CRASH_RATES_RELEASES", str(releases))
    return run_dag(dag, logical_date=pendulum.datetime(at.year, at.month, at.day, at.hour, tz="UTC"))


def test_the_hourly_dag_is_one_run_at_a_time_without_catch_up_and_retried(hourly_dag):
    assert hourly_dag.max_active_runs == 1 and not hourly_dag.catchup
    assert set(hourly_dag.task_ids) == {"hour_of_run", "aggregate_hourly", "release_day", "velocity_alerts"}
    for task in hourly_dag.tasks:
        assert task.owner == "crash-rates" and task.retries >= 1 and task.on_failure_callback, task.task_id
    assert hourly_dag.get_task("velocity_alerts").upstream_task_ids == {"release_day"}


@pytest.mark.slow
def test_an_established_regression_is_emailed_to_the_release_managers_once(
    hourly_dag, airflow_env, inbox, release_window, tmp_path
):
    warehouse = tmp_path / "warehouse"
    shutil.copytree(release_window.warehouse, warehouse)
    inbox.messages.clear()
    # The demo's nights are in: by the fourth day after 158.0 shipped, the Mac regression is established.
    at = datetime(2026, 11, 20, 22, tzinfo=UTC)
    run = _run_hour(hourly_dag, airflow_env, at, release_window.raw, warehouse, release_window.releases)
    assert str(run.state) == "success", task_states(run)
    (message,) = inbox.messages
    assert message["To"] == RELEASE_MANAGERS
    assert message["Subject"] == "[crash-rates] release day: release 158.0 worse on Mac (main crashes)"
    (body,) = [p.get_payload(decode=True).decode() for p in message.walk() if p.get_content_type() == "text/html"]
    assert "release 158.0 against 157.0.2" in body and "hour 85 since release" in body

    # The next hour: the same finding, no second email (another finding may get its own).
    run = _run_hour(
        hourly_dag, airflow_env, at + timedelta(hours=1), release_window.raw, warehouse, release_window.releases
    )
    assert str(run.state) == "success", task_states(run)
    subjects = [m["Subject"] for m in inbox.messages]
    assert subjects[0] == message["Subject"] and len(subjects) == len(set(subjects))
