"""The DAG folder as the scheduler parses it: no import errors, every task owned and retried, light."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta

from tests.conftest import REPO
from tests.dags.conftest import DAG_ID

SPARK_TASKS = {"aggregate_crashes", "validate_aggregates", "compare_releases", "release_health", "housekeeping"}


def test_the_dag_folder_imports_cleanly_and_every_task_is_owned_and_retried(airflow_db):
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(REPO / "airflow_dags"))

    assert bag.import_errors == {}
    assert sorted(bag.dag_ids) == ["crash_rates_hourly", DAG_ID]
    dag = bag.get_dag(DAG_ID)
    waits_and_alerts = {"submission_date", "wait_for_usage", "wait_for_crash_sources", "alert_release_managers"}
    assert waits_and_alerts | SPARK_TASKS == set(dag.task_ids)
    assert dag.get_task("alert_release_managers").upstream_task_ids == {"release_health", "submission_date"}
    for task in dag.tasks:
        assert task.owner == "crash-rates", task.task_id
        assert task.retries >= 1, task.task_id
        assert task.retry_exponential_backoff, task.task_id
        assert task.on_failure_callback, task.task_id
    for task_id in SPARK_TASKS:
        assert timedelta(0) < dag.get_task(task_id).execution_timeout <= timedelta(hours=2)
    assert dag.max_active_runs == 1 and dag.catchup


def test_parsing_the_dag_loads_neither_spark_nor_great_expectations(airflow_db):
    """The scheduler parses DAG files every few seconds: the heavy imports wait for the task."""
    probe = (
        "import sys\n"
        "from airflow.dag_processing.dagbag import DagBag\n"
        f"bag = DagBag(dag_folder={str(REPO / 'airflow_dags')!r})\n"
        "assert bag.import_errors == {}, bag.import_errors\n"
        "print(sorted(m for m in ('pyspark', 'great_expectations', 'boto3') if m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_the_symbol_store_variable_reaches_aggregate_crashes_and_unset_means_no_symbols(airflow_db):
    """The command line as the task renders it, with and without ``crash_rates_symbols``:
    no DAG run, the job's own argument parsing on what it would be given."""
    from airflow.dag_processing.dagbag import DagBag

    from jobs.aggregate_crashes import read_config

    task = DagBag(dag_folder=str(REPO / "airflow_dags")).get_dag(DAG_ID).get_task("aggregate_crashes")
    env = task.dag.get_template_env()
    settings = {"crash_rates_raw": "raw", "crash_rates_warehouse": "wh", "crash_rates_releases": "rel"}

    def rendered(variables: dict[str, str]) -> list[str]:
        context = {"var": {"value": settings | variables}}
        args = ["2026-11-20" if not isinstance(a, str) else a for a in task.application_args]  # the date: an XCom
        return [env.from_string(a).render(**context) for a in args]

    with_store = rendered({"crash_rates_symbols": "s3a://symbols/v1"})
    assert with_store[with_store.index("--symbols") + 1] == "s3a://symbols/v1"
    assert read_config(with_store).symbols == "s3a://symbols/v1"
    without = rendered({})
    assert without[without.index("--symbols") + 1] == ""
    assert read_config(without).symbols is None
