"""The nightly as a deployment runs it: on a real Spark cluster, against S3.

A standalone master and one worker are started on localhost from the project's own
pyspark (``spark-class`` with the deploy ``Master`` and ``Worker`` classes), as a
cluster's would be; the landing zone and the warehouse are buckets of a real S3 server
process (moto's, authentication on). The night is submitted with ``spark-submit
--master spark://...``, the code zip and the jars the set-up cached, against ``s3a://``
paths, so the parse runs in the worker's executors and every byte goes through s3a.
The worker holds the standard AWS variables, as a cluster node holds its credentials;
the job is configured by nothing else (SPEC section 5).

The page and the compaction then run from their command lines against the same
buckets, in the suite's own local session with s3a set for them as the AWS variables
set a job's (a process each would add a JVM's start and prove nothing more: the
missing-bucket and wrong-secret cases are processes). The tables, read back from S3 by
delta-rs, equal the same night run on local disk; the page and its charts are objects
beside them. A missing bucket and a wrong secret each fail with one line and leave the
tables as they were. Master, worker and S3 server are stopped whatever happens.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pyspark
import pytest
from deltalake import DeltaTable
from pyspark.sql import SparkSession

import jobs.housekeeping as housekeeping
import jobs.release_health as release_health
from lib.contract.deploy import build_code_zip, job_script, parse_jar
from lib.ingest.fastparse import JAVA_CLASS
from lib.runtime.session import cached_jars, s3_conf
from tests.conftest import REPO, SHORT_LIVED, submit_args
from tests.delta_state import night_rows
from tests.jobs.conftest import CLEAN
from tests.s3_server import S3Server, s3_server

pytestmark = pytest.mark.slow

SPARK_HOME = Path(pyspark.__file__).parent
LANDING, WAREHOUSE = "landing", "warehouse"
RAW, RELEASES, TABLES = f"s3a://{LANDING}/raw", f"s3a://{LANDING}/releases", f"s3a://{WAREHOUSE}/crash_rates"
OUTPUTS = ("crash_aggregates", "crash_client_sums", "crash_reasons", "crash_signatures", "quarantine", "dq_metrics")


@pytest.fixture(scope="module")
def s3() -> Iterator[S3Server]:
    with s3_server() as server:
        yield server


def _wait_for_line(log: Path, pattern: str, process: subprocess.Popen, timeout: float = 90.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if match := re.search(pattern, log.read_text() if log.exists() else ""):
            return match.group(0)
        if process.poll() is not None:
            raise RuntimeError(f"{log.name}: exited {process.returncode}: {log.read_text()[-2000:]}")
        time.sleep(0.5)
    raise RuntimeError(f"{log.name}: no {pattern!r} within {timeout:.0f}s")


def _start(role: str, args: list[str], folder: Path, extra_env: dict[str, str]) -> tuple[subprocess.Popen, Path]:
    log = folder / f"{role}.log"
    spark_env = {"SPARK_HOME": str(SPARK_HOME), "SPARK_LOCAL_IP": "127.0.0.1", "SPARK_WORKER_DIR": str(folder)}
    env = os.environ | extra_env | spark_env
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
def cluster(s3, tmp_path_factory) -> Iterator[tuple[str, Path]]:
    """A standalone master and one worker (2 cores, 2 GiB) whose executors reach the S3
    server with the worker's credentials; yields the master's URL and the logs' folder."""
    folder = tmp_path_factory.mktemp("standalone")
    started: list[subprocess.Popen] = []
    try:
        master_args = ["--host", "127.0.0.1", "--port", "0", "--webui-port", "0"]
        master, master_log = _start("master", ["org.apache.spark.deploy.master.Master", *master_args], folder, {})
        started.append(master)
        url = _wait_for_line(master_log, r"spark://127\.0\.0\.1:\d+", master)
        worker, worker_log = _start(
            "worker",
            ["org.apache.spark.deploy.worker.Worker", "--host", "127.0.0.1", "--cores", "2", "--memory", "2g",
             "--webui-port", "0", url],
            folder,
            s3.environment(),
        )  # fmt: skip
        started.append(worker)
        _wait_for_line(worker_log, r"Successfully registered with master", worker)
        yield url, folder
    finally:
        for process in reversed(started):
            _stop(process)


def job(server: S3Server, name: str, *args: str, **env: str) -> subprocess.CompletedProcess:
    """``python -m jobs.<name> args`` in its own local-mode process, configured only by the environment."""
    return subprocess.run(
        [sys.executable, "-m", f"jobs.{name}", *args],
        cwd=REPO,
        env=os.environ | server.environment(**env) | {"CRASH_RATES_DRIVER_MEMORY": "1g"},
        capture_output=True,
        text=True,
        timeout=600,
    )


def upload(server: S3Server, landing: Path) -> None:
    client = server.client()
    for bucket in (LANDING, WAREHOUSE):
        client.create_bucket(Bucket=bucket)
    for path in (landing / "raw").glob(f"*/submission_date={CLEAN}/*"):
        client.upload_file(str(path), LANDING, str(path.relative_to(landing)))
    for path in (landing / "releases").iterdir():
        client.upload_file(str(path), LANDING, f"releases/{path.name}")


def submit(master: str, server: S3Server, folder: Path) -> subprocess.CompletedProcess:
    """``spark-submit`` of ``aggregate_crashes`` to the cluster, from the code zip, on s3a paths."""
    argv = [
        str(SPARK_HOME / "bin" / "spark-submit"),
        "--master", master,
        "--py-files", str(build_code_zip(folder)),
        "--jars", ",".join(cached_jars()),
        "--conf", "spark.executor.memory=1g",
        "--conf", "spark.driver.memory=1g",
        # Sized for one small night, as a deployment sizes them for its own (docs/operators.md):
        # Delta rebuilds a table's state with 50 tasks by default, each a round trip to the executor.
        "--conf", "spark.sql.shuffle.partitions=2",
        "--conf", "spark.databricks.delta.snapshotPartitions=2",
        *submit_args(SHORT_LIVED),  # a driver and an executor that live for one night
        # The executors run Python for one thing, siggen's crash signatures: a cluster
        # ships an environment with it (docs/operators.md); here the worker shares the venv.
        "--conf", f"spark.pyspark.python={sys.executable}",
        str(job_script("aggregate_crashes")),
        "--date", str(CLEAN), "--raw", RAW, "--warehouse", TABLES, "--releases", RELEASES,
    ]  # fmt: skip
    # The driver runs in this venv.
    env = os.environ | server.environment() | {"SPARK_HOME": str(SPARK_HOME), "PYSPARK_DRIVER_PYTHON": sys.executable}
    return subprocess.run(argv, cwd=REPO, env=env, capture_output=True, text=True, timeout=900)


@contextmanager
def reaching(spark: SparkSession, server: S3Server) -> Iterator[None]:
    """The suite's session reaches ``server``'s buckets through s3a, as a job's session does
    from the AWS variables (lib.runtime.session.s3_conf), the keys given per bucket: a JVM
    reads its environment once, at start. Unset afterwards."""
    conf = spark.sparkContext._jsc.hadoopConfiguration()  # type: ignore[union-attr]
    settings = {key.removeprefix("spark.hadoop.fs.s3a."): value for key, value in s3_conf(server.environment()).items()}
    settings |= {"access.key": server.access_key, "secret.key": server.secret_key}
    per_bucket = {f"fs.s3a.bucket.{b}.{name}": value for b in (LANDING, WAREHOUSE) for name, value in settings.items()}
    for key, value in per_bucket.items():
        conf.set(key, value)
    try:
        yield
    finally:
        for key in per_bucket:
            conf.unset(key)


@dataclass(frozen=True)
class NightOnS3:
    submitted: subprocess.CompletedProcess  # aggregate_crashes, spark-submitted to the cluster
    summaries: dict[str, str]  # then the page's and the compaction's, each its job's last line


@pytest.fixture(scope="module")
def night_on_s3(spark, cluster, s3, landing, tmp_path_factory) -> NightOnS3:
    """The night's jobs in the DAG's order: the aggregation on the cluster, then the page
    and the compaction."""
    upload(s3, landing)
    master, _ = cluster
    submitted = submit(master, s3, tmp_path_factory.mktemp("on_cluster"))
    summaries = {}
    if submitted.returncode == 0:
        common = ["--date", str(CLEAN), "--warehouse", TABLES]
        with reaching(spark, s3):
            summaries = {module.JOB: module.command(common) for module in (release_health, housekeeping)}
    return NightOnS3(submitted, summaries)


def s3_table(server: S3Server, name: str) -> DeltaTable:
    options = {
        "AWS_ENDPOINT_URL": server.endpoint,
        "AWS_ACCESS_KEY_ID": server.access_key,
        "AWS_SECRET_ACCESS_KEY": server.secret_key,
        "AWS_REGION": "us-east-1",
        "AWS_ALLOW_HTTP": "true",
    }
    return DeltaTable(f"{TABLES.replace('s3a://', 's3://')}/{name}", storage_options=options)


def test_the_night_runs_on_the_standalone_cluster_then_the_dags_other_jobs_follow(cluster, night_on_s3):
    submitted = night_on_s3.submitted
    assert submitted.returncode == 0, submitted.stderr[-3000:]
    assert set(night_on_s3.summaries) == {"release_health", "housekeeping"}
    for name, summary in night_on_s3.summaries.items():
        assert summary.startswith(f"{name} {CLEAN}"), summary
    aggregated = submitted.stdout
    assert aggregated.strip().splitlines()[-1].startswith(f"aggregate_crashes {CLEAN}: read")
    # The parse ran in the JVM, from the jar shipped with --jars.
    assert f"parse: in the JVM, by {JAVA_CLASS} from {parse_jar().name}" in aggregated
    # The work ran in an executor the worker launched, not inside the driver.
    _, logs = cluster
    assert "Asked to launch executor" in (logs / "worker.log").read_text()


@pytest.mark.parametrize("name", OUTPUTS)
def test_the_tables_on_s3_equal_the_same_night_on_local_disk(s3, night_on_s3, warehouse, name):
    assert night_on_s3.submitted.returncode == 0
    local = night_rows(DeltaTable(f"{warehouse}/{name}"), CLEAN)
    assert local or name == "quarantine", (
        "the local night wrote nothing to compare"
    )  # a clean night quarantines nothing
    assert night_rows(s3_table(s3, name), CLEAN) == local


def test_the_report_page_and_charts_are_written_to_the_warehouse_bucket(s3, night_on_s3):
    keys = {o["Key"] for o in s3.client().list_objects_v2(Bucket=WAREHOUSE)["Contents"]}
    night = f"crash_rates/release_health/{CLEAN}/"
    assert {f"{night}index.html", f"{night}summary.json", f"crash_rates/dq_reports/{CLEAN}.html"} <= keys
    assert any(k.startswith(night) and k.endswith(".png") for k in keys)
    assert not any(k.startswith(night) and k.endswith(".crc") for k in keys)


def test_housekeeping_compacted_the_night_on_s3(s3, night_on_s3):
    for name in OUTPUTS:
        files = [f for f in s3_table(s3, name).file_uris() if f"submission_date={CLEAN}" in f]
        assert len(files) <= 1, name


def last_line(run: subprocess.CompletedProcess) -> str:
    return run.stderr.strip().splitlines()[-1]


@pytest.mark.parametrize(
    ("args", "env", "says"),
    [
        (("--raw", "s3a://no-such-landing/raw"), {}, "no-such-landing"),
        (("--raw", RAW), {"AWS_SECRET_ACCESS_KEY": "wrong"}, "403"),
    ],
    ids=["missing bucket", "wrong secret"],
)
def test_a_missing_bucket_or_a_wrong_secret_fails_in_one_line_and_writes_nothing(s3, night_on_s3, args, env, says):
    before = s3_table(s3, "crash_aggregates").version()
    run = job(s3, "aggregate_crashes", "--date", str(CLEAN), "--warehouse", TABLES, *args, **env)
    assert run.returncode == 1
    assert last_line(run).startswith("aggregate_crashes: error: ")
    assert says in last_line(run)
    assert "Traceback" not in run.stderr and "\tat " not in run.stderr
    assert s3_table(s3, "crash_aggregates").version() == before
