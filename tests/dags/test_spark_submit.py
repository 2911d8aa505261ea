"""The production path: the DAG's task runs a job through ``spark-submit`` with the code zip.

A real ``spark-submit`` (pyspark's, master ``local[2]`` from the ``spark_default``
connection) runs ``aggregate_crashes`` for one night. Its driver's Python cannot see
the checkout or the editable install, so the job's packages and schemas can only
come from the ``--py-files`` zip the task built; the rows must match the generator's
truth, and the commit must carry the code version the task passed on.
"""

from __future__ import annotations

import json
import os
import stat
import sys
from pathlib import Path

import pendulum
import pytest

from lib.contract.deploy import code_version
from lib.runtime.session import jar_cache_dir
from lib.warehouse.tables import read_table
from tests.conftest import REPO, SHORT_LIVED
from tests.dags.conftest import SECOND, run_dag, task_states
from tests.truth import assert_aggregates_match_truth, generated_truth

pytestmark = pytest.mark.slow

# Runs the driver script with the editable install and the working directory taken
# off sys.path: what is left of this project is the zip on PYTHONPATH.
ZIP_ONLY_PYTHON = """#!/bin/sh
exec {python} -c '
import os, runpy, sys
sys.meta_path[:] = [f for f in sys.meta_path if "__editable__" not in getattr(f, "__module__", "")]
sys.argv = sys.argv[1:]
sys.path[0] = os.path.dirname(os.path.abspath(sys.argv[0]))
runpy.run_path(sys.argv[0], run_name="__main__")
' "$@"
"""


@pytest.fixture
def submit_env(airflow_env, monkeypatch, tmp_path):
    python = tmp_path / "zip-only-python"
    python.write_text(ZIP_ONLY_PYTHON.format(python=sys.executable))
    python.chmod(python.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PYSPARK_DRIVER_PYTHON", str(python))
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")  # spark-submit
    monkeypatch.setenv("AIRFLOW_CONN_SPARK_DEFAULT", json.dumps({"conn_type": "spark", "host": "local[2]"}))
    monkeypatch.setenv("AIRFLOW_VAR_CRASH_RATES_SPARK_MODE", "submit")
    # What a deployment puts in crash_rates_spark_conf, sized for two cores and tiny data.
    spark_conf = {
        "spark.jars.ivy": str(jar_cache_dir()),
        "spark.driver.memory": "1g",
        "spark.sql.shuffle.partitions": "2",
        "spark.databricks.delta.snapshotPartitions": "2",
        **SHORT_LIVED,  # a driver that lives for one night
        "spark.driver.extraJavaOptions": f"-Dlog4j2.configurationFile=file:{REPO / 'lib' / 'log4j2.properties'}",
    }
    monkeypatch.setenv("AIRFLOW_VAR_CRASH_RATES_SPARK_CONF", json.dumps(spark_conf))
    return airflow_env


def test_spark_submit_runs_the_job_from_the_code_zip(spark, dag, submit_env, landing, tmp_path):
    warehouse = tmp_path / "warehouse"
    submit_env.setenv("AIRFLOW_VAR_CRASH_RATES_RAW", str(landing / "raw"))
    submit_env.setenv("AIRFLOW_VAR_CRASH_RATES_WAREHOUSE", str(warehouse))
    submit_env.setenv("AIRFLOW_VAR_CRASH_RATES_RELEASES", str(landing / "releases"))

    run = run_dag(
        dag,
        logical_date=pendulum.datetime(SECOND.year, SECOND.month, SECOND.day, tz="UTC"),
        # One job is enough here.
        mark_success_pattern=r"^(validate_aggregates|compare_releases|release_health|alert_release_managers|housekeeping)$",
    )

    assert str(run.state) == "success", task_states(run)
    assert_aggregates_match_truth(
        read_table(spark, str(warehouse), "crash_aggregates"), generated_truth(landing, [SECOND])
    )
    history = spark.sql(f"DESCRIBE HISTORY delta.`{warehouse}/crash_aggregates` LIMIT 1").first()
    assert json.loads(history.userMetadata)["code_version"] == code_version()
