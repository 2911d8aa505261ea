"""The nightly on a real Spark cluster: a standalone master and worker on localhost.

The master and one worker are started from the project's own pyspark (``spark-class``
with the deploy ``Master`` and ``Worker`` classes), as a cluster's would be; the job is
submitted to it with ``spark-submit --master spark://...``, the code zip and the jars
the set-up cached, so the parse runs in the worker's executors, not in this process.
The tables equal the same night run in local mode. Master and worker are stopped
whatever happens.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pyspark
import pytest
from deltalake import DeltaTable

from lib.contract.deploy import build_code_zip, job_script, parse_jar
from lib.ingest.fastparse import JAVA_CLASS
from lib.runtime.session import cached_jars
from tests.conftest import REPO
from tests.delta_state import night_rows
from tests.jobs.conftest import CLEAN

pytestmark = pytest.mark.slow

SPARK_HOME = Path(pyspark.__file__).parent
OUTPUTS = ("crash_aggregates", "crash_client_sums", "crash_reasons", "quarantine", "dq_metrics")


def _wait_for_line(log: Path, pattern: str, process: subprocess.Popen, timeout: float = 90.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if match := re.search(pattern, log.read_text() if log.exists() else ""):
            return match.group(0)
        if process.poll() is not None:
            raise RuntimeError(f"{log.name}: exited {process.returncode}: {log.read_text()[-2000:]}")
        time.sleep(0.5)
    raise RuntimeError(f"{log.name}: no {pattern!r} within {timeout:.0f}s")


def _start(role: str, args: list[str], folder: Path) -> tuple[subprocess.Popen, Path]:
    log = folder / f"{role}.log"
    env = os.environ | {"SPARK_HOME": str(SPARK_HOME), "SPARK_LOCAL_IP": "127.0.0.1", "SPARK_WORKER_DIR": str(folder)}
    with log.open("w") as out:
        process = subprocess.Popen(
            [str(SPARK_HOME / "bin" / "spark-class"), *args], env=env, stdout=out, stderr=subprocess.STDOUT
        )
    return process, log


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory) -> Iterator[tuple[str, Path]]:
    """A standalone master and one worker (2 cores, 2 GiB); yields the master's URL and the logs' folder."""
    folder = tmp_path_factory.mktemp("standalone")
    started: list[subprocess.Popen] = []
    try:
        master_args = ["--host", "127.0.0.1", "--port", "0", "--webui-port", "0"]
        master, master_log = _start("master", ["org.apache.spark.deploy.master.Master", *master_args], folder)
        started.append(master)
        url = _wait_for_line(master_log, r"spark://127\.0\.0\.1:\d+", master)
        worker, worker_log = _start(
            "worker",
            ["org.apache.spark.deploy.worker.Worker", "--host", "127.0.0.1", "--cores", "2", "--memory", "2g",
             "--webui-port", "0", url],
            folder,
        )  # fmt: skip
        started.append(worker)
        _wait_for_line(worker_log, r"Successfully registered with master", worker)
        yield url, folder
    finally:
        for process in reversed(started):
            _stop(process)


@pytest.fixture(scope="module")
def submitted(cluster, landing, tmp_path_factory) -> tuple[subprocess.CompletedProcess, Path]:
    master, _ = cluster
    folder = tmp_path_factory.mktemp("on_cluster")
    code = build_code_zip(folder)
    warehouse = folder / "warehouse"
    argv = [
        str(SPARK_HOME / "bin" / "spark-submit"),
        "--master", master,
        "--py-files", str(code),
        "--jars", ",".join(cached_jars()),
        "--conf", "spark.executor.memory=1g",
        "--conf", "spark.driver.memory=1g",
        "--conf", "spark.sql.shuffle.partitions=4",
        str(job_script("aggregate_crashes")),
        "--date", str(CLEAN), "--raw", str(landing / "raw"), "--warehouse", str(warehouse),
        "--releases", str(landing / "releases"),
    ]  # fmt: skip
    # The driver runs in this venv; the executors run no Python (the parse is in the JVM).
    env = os.environ | {"SPARK_HOME": str(SPARK_HOME), "PYSPARK_DRIVER_PYTHON": sys.executable}
    run = subprocess.run(argv, cwd=REPO, env=env, capture_output=True, text=True, timeout=900)
    return run, warehouse


def test_the_job_runs_on_the_standalone_cluster(cluster, submitted):
    run, _ = submitted
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.stdout.strip().splitlines()[-1].startswith(f"aggregate_crashes {CLEAN}: read")
    # The parse ran in the JVM, from the jar shipped with --jars.
    assert f"parse: in the JVM, by {JAVA_CLASS} from {parse_jar().name}" in run.stdout
    # The work ran in an executor the worker launched, not inside the driver.
    _, logs = cluster
    assert "Asked to launch executor" in (logs / "worker.log").read_text()


@pytest.mark.parametrize("name", OUTPUTS)
def test_the_cluster_writes_the_same_tables_as_local_mode(submitted, warehouse, name):
    run, on_cluster = submitted
    assert run.returncode == 0, run.stderr[-3000:]
    local = night_rows(DeltaTable(f"{warehouse}/{name}"), CLEAN)
    assert local or name == "quarantine", (
        "the local night wrote nothing to compare"
    )  # a clean night quarantines nothing
    assert night_rows(DeltaTable(f"{on_cluster}/{name}"), CLEAN) == local
