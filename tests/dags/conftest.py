"""Airflow for the DAG tests: a home and SQLite database of their own, set before Airflow loads.

Airflow reads its configuration once, when first imported, so the environment is
set here, at collection, and every ``airflow`` import in these tests stays inside a
fixture or test. Tasks run in this process (``dag.test()``), on the suite's Spark
session; the alert goes to a real SMTP server on localhost.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from jobs.generate_pings import generate
from lib.synthetic.generator import Settings
from tests.conftest import REPO
from tests.smtp_server import Inbox, smtp_server

AIRFLOW_HOME = Path(tempfile.mkdtemp(prefix="crash_rates_airflow_"))
os.environ.update(
    {
        "AIRFLOW_HOME": str(AIRFLOW_HOME),
        "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "airflow_dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{AIRFLOW_HOME}/airflow.db",
        "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(AIRFLOW_HOME / "logs"),
    }
)
# Airflow's logging config makes py4j chatty at INFO, into streams pytest has closed by exit.
logging.getLogger("py4j").setLevel(logging.WARNING)
DAG_ID = "crash_rates_nightly"
# Three generated days: two clean, then one with a duplicate storm.
FIRST, SECOND, FAULTY = date(2026, 11, 18), date(2026, 11, 19), date(2026, 11, 20)
ALERT_TO = "oncall@example.org, data-engineers@example.org"
RELEASE_MANAGERS = "release-managers@example.org"


def airflow_cli(*args: str) -> str:
    """Run the ``airflow`` command line of this environment; returns its output."""
    command = [str(Path(sys.executable).with_name("airflow")), *args]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    if result.returncode != 0:
        raise AssertionError(f"airflow {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


@pytest.fixture(scope="session")
def airflow_db() -> Iterator[Path]:
    airflow_cli("db", "migrate")
    yield AIRFLOW_HOME
    shutil.rmtree(AIRFLOW_HOME, ignore_errors=True)


@pytest.fixture(scope="session")
def landing(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dag_landing")
    settings = Settings(start=FIRST, days=3, clients=200, ping_size="small", faults={"duplicates": frozenset({FAULTY})})
    generate(settings, out, compress=True)
    return out


@pytest.fixture(scope="module")
def inbox() -> Iterator[Inbox]:
    with smtp_server() as server:
        yield server


@pytest.fixture(scope="module")
def airflow_env(airflow_db, inbox) -> Iterator[pytest.MonkeyPatch]:
    """The connections and Variables a deployment would set, as Airflow's environment variables.

    Each test points ``crash_rates_raw`` and ``crash_rates_warehouse`` where it wants.
    """
    with pytest.MonkeyPatch.context() as env:
        env.setenv(
            "AIRFLOW_CONN_SMTP_DEFAULT",
            json.dumps(
                {
                    "conn_type": "smtp",
                    "host": "127.0.0.1",
                    "port": inbox.port,
                    "extra": {"disable_tls": True, "disable_ssl": True, "from_email": "crash-rates@example.org"},
                }
            ),
        )
        env.setenv("AIRFLOW_VAR_CRASH_RATES_ALERT_TO", ALERT_TO)
        env.setenv("AIRFLOW_VAR_CRASH_RATES_RELEASE_MANAGERS", RELEASE_MANAGERS)
        env.setenv("AIRFLOW_VAR_CRASH_RATES_SPARK_MODE", "in_process")
        env.setenv("AIRFLOW_VAR_CRASH_RATES_CRASH_SOURCES", "legacy")  # the generated nights send legacy pings
        # The jobs' own email (lib.quality.notify) stays off: under Airflow the DAG's notifier sends the one alert.
        env.delenv("CRASH_RATES_SMTP_HOST", raising=False)
        yield env


@pytest.fixture(scope="module")
def dag(airflow_env):
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(REPO / "airflow_dags"))
    assert bag.import_errors == {}
    return bag.get_dag(DAG_ID)


def run_dag(dag, **test_args):
    """``dag.test(**test_args)`` with every task's retries off for the run.

    ``dag.test()`` waits out a failed task's retry delay in this process (5 minutes, then
    longer, twice): a task failing in a test held its worker for a quarter of an hour and
    more, and looked like a hang. Here a task fails at its first error, and the test
    fails then, with the task's log. The retry policy itself is tests/dags/test_dag_file.py's.
    """
    retries = {task.task_id: task.retries for task in dag.tasks}
    for task in dag.tasks:
        task.retries = 0
    try:
        return dag.test(**test_args)
    finally:
        for task in dag.tasks:
            task.retries = retries[task.task_id]


def run_night(
    dag, env: pytest.MonkeyPatch, day: date, raw: Path, warehouse: Path, releases: Path, skip: tuple[str, ...] = ()
):
    """One whole night for ``day`` with ``dag.test()``, the tasks in ``skip`` marked
    successful without running; returns the finished DagRun."""
    import pendulum

    env.setenv("AIRFLOW_VAR_CRASH_RATES_RAW", str(raw))
    env.setenv("AIRFLOW_VAR_CRASH_RATES_WAREHOUSE", str(warehouse))
    env.setenv("AIRFLOW_VAR_CRASH_RATES_RELEASES", str(releases))
    pattern = f"^({'|'.join(skip)})$" if skip else None
    return run_dag(
        dag, logical_date=pendulum.datetime(day.year, day.month, day.day, tz="UTC"), mark_success_pattern=pattern
    )


def task_states(run) -> dict[str, str]:
    return {ti.task_id: str(ti.state) for ti in run.get_task_instances()}
