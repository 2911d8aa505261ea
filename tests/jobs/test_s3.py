"""The nightly on S3: landing zone and warehouse in buckets of a real S3 server process
(moto's, authentication on) on localhost, reached through s3a with nothing but the
standard AWS variables, as SPEC section 5 says a deployment configures it.

One night is landed in a bucket, aggregated (with its raw checks and their report),
paged and compacted by the jobs' own command lines, each its own process; the tables,
read back from S3 by delta-rs, equal the same night run on local disk, and the page
and its charts are objects beside them. A missing bucket and a
wrong secret each fail with one line and leave the tables as they were.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from deltalake import DeltaTable

from tests.conftest import REPO
from tests.delta_state import night_rows
from tests.jobs.conftest import CLEAN
from tests.s3_server import S3Server, s3_server

pytestmark = pytest.mark.slow

LANDING, WAREHOUSE = "landing", "warehouse"
RAW, RELEASES, TABLES = f"s3a://{LANDING}/raw", f"s3a://{LANDING}/releases", f"s3a://{WAREHOUSE}/crash_rates"
OUTPUTS = ("crash_aggregates", "crash_client_sums", "crash_reasons", "quarantine", "dq_metrics")


@pytest.fixture(scope="module")
def s3() -> S3Server:
    with s3_server() as server:
        yield server


def job(server: S3Server, name: str, *args: str, **env: str) -> subprocess.CompletedProcess:
    """``python -m jobs.<name> args`` in its own process, configured only by the environment."""
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


@pytest.fixture(scope="module")
def night_on_s3(s3, landing) -> dict[str, subprocess.CompletedProcess]:
    upload(s3, landing)
    common = ("--date", str(CLEAN), "--warehouse", TABLES)
    return {
        "aggregate_crashes": job(s3, "aggregate_crashes", *common, "--raw", RAW, "--releases", RELEASES),
        "release_health": job(s3, "release_health", *common),
        "housekeeping": job(s3, "housekeeping", *common),
    }


def s3_table(server: S3Server, name: str) -> DeltaTable:
    options = {
        "AWS_ENDPOINT_URL": server.endpoint,
        "AWS_ACCESS_KEY_ID": server.access_key,
        "AWS_SECRET_ACCESS_KEY": server.secret_key,
        "AWS_REGION": "us-east-1",
        "AWS_ALLOW_HTTP": "true",
    }
    return DeltaTable(f"{TABLES.replace('s3a://', 's3://')}/{name}", storage_options=options)


def test_a_night_on_s3_runs_every_job_of_the_dag(night_on_s3):
    for name, run in night_on_s3.items():
        assert run.returncode == 0, f"{name}: {run.stderr.strip().splitlines()[-1:]}"
        assert run.stdout.strip().splitlines()[-1].startswith(f"{name} {CLEAN}"), name


@pytest.mark.parametrize("name", OUTPUTS)
def test_the_tables_on_s3_equal_the_same_night_on_local_disk(s3, night_on_s3, warehouse, name):
    assert night_on_s3["aggregate_crashes"].returncode == 0
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
