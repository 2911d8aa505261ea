"""Waiting for the landing zone: the sensor defers instead of holding a slot, on disk and on S3.

S3 is a real S3 API on localhost (moto's server), reached by boto3 through
``AWS_ENDPOINT_URL_S3`` exactly as a deployment would reach an S3-compatible store.
"""

from __future__ import annotations

import asyncio
import importlib
import socket
import threading
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import boto3
import pytest
from moto.server import ThreadedMotoServer

from airflow_dags import object_store
from lib.contract.layout import success_marker_path

DAY = date(2026, 11, 20)
BUCKET = "landing"


def first_event(trigger, write_marker, timeout: float = 20.0):
    """Run the trigger as the triggerer would; ``write_marker`` is called once it has polled."""

    async def wait():
        events = trigger.run()
        writer = threading.Timer(0.3, write_marker)
        writer.start()
        try:
            return await asyncio.wait_for(anext(events), timeout)
        finally:
            writer.cancel()
            await events.aclose()

    return asyncio.run(wait())


def revived(trigger):
    """The trigger as the triggerer rebuilds it from its serialized form."""
    classpath, kwargs = trigger.serialize()
    module, _, name = classpath.rpartition(".")
    return getattr(importlib.import_module(module), name)(**kwargs)


def test_the_sensor_defers_while_the_marker_is_missing_and_passes_once_it_is_there(airflow_db, tmp_path):
    from airflow.sdk.exceptions import TaskDeferred

    from airflow_dags.sensors import LandingPartitionSensor, SuccessMarkerTrigger

    sensor = LandingPartitionSensor(
        task_id="wait_for_main", raw=str(tmp_path), doc_type="main", day=str(DAY), timeout=60
    )
    with pytest.raises(TaskDeferred) as deferred:
        sensor.execute({})
    trigger = deferred.value.trigger
    assert isinstance(trigger, SuccessMarkerTrigger)
    assert trigger.marker == f"{tmp_path}/main/submission_date={DAY}/_SUCCESS"
    assert deferred.value.timeout.total_seconds() == 60

    marker = Path(trigger.marker)
    marker.parent.mkdir(parents=True)
    marker.touch()
    assert sensor.execute({}) is None


@pytest.mark.parametrize(
    ("sources", "doc_types"), [("legacy", ["crash"]), ("glean", ["glean_crash"]), ("both", ["crash", "glean_crash"])]
)
def test_the_crash_sources_sensor_waits_for_each_configured_source_in_turn(airflow_db, tmp_path, sources, doc_types):
    from airflow.sdk.exceptions import TaskDeferred

    from airflow_dags.sensors import CrashSourcesSensor

    sensor = CrashSourcesSensor(task_id="wait_for_crash_sources", raw=str(tmp_path), sources=sources, day=str(DAY))
    for doc_type in doc_types:
        with pytest.raises(TaskDeferred) as deferred:
            sensor.execute({})
        marker = Path(deferred.value.trigger.marker)
        assert marker == Path(success_marker_path(str(tmp_path), doc_type, DAY))
        marker.parent.mkdir(parents=True)
        marker.touch()
    assert sensor.execute_complete({}, {"marker": str(marker)}) is None


def test_an_unknown_crash_source_is_an_error(airflow_db, tmp_path):
    from airflow_dags.sensors import CrashSourcesSensor

    sensor = CrashSourcesSensor(task_id="wait_for_crash_sources", raw=str(tmp_path), sources="glaen", day=str(DAY))
    with pytest.raises(ValueError, match="crash sources must be one of legacy, glean, both, not 'glaen'"):
        sensor.execute({})


@pytest.mark.parametrize(("source", "doc_type"), [("main", "main"), ("glean", "glean_baseline")])
def test_the_usage_sensor_waits_for_the_configured_desktop_source_only(airflow_db, tmp_path, source, doc_type):
    from airflow.sdk.exceptions import TaskDeferred

    from airflow_dags.sensors import UsageSourceSensor

    sensor = UsageSourceSensor(task_id="wait_for_usage", raw=str(tmp_path), source=source, day=str(DAY))
    with pytest.raises(TaskDeferred) as deferred:
        sensor.execute({})
    marker = Path(deferred.value.trigger.marker)
    assert marker == Path(success_marker_path(str(tmp_path), doc_type, DAY))
    marker.parent.mkdir(parents=True)
    marker.touch()
    assert sensor.execute({}) is None  # the other source is not waited for


def test_an_unknown_usage_source_is_an_error(airflow_db, tmp_path):
    from airflow_dags.sensors import UsageSourceSensor

    sensor = UsageSourceSensor(task_id="wait_for_usage", raw=str(tmp_path), source="baseline", day=str(DAY))
    with pytest.raises(ValueError, match="desktop usage source must be one of main, glean, not 'baseline'"):
        sensor.execute({})


def test_the_trigger_fires_when_ingestion_writes_the_marker_on_disk(airflow_db, tmp_path):
    from airflow_dags.sensors import SuccessMarkerTrigger

    marker = Path(success_marker_path(str(tmp_path), "crash", DAY))
    marker.parent.mkdir(parents=True)
    trigger = revived(SuccessMarkerTrigger(str(marker), poll_interval=0.05))

    event = first_event(trigger, marker.touch)

    assert event.payload == {"marker": str(marker)}


@pytest.fixture
def s3(monkeypatch) -> Iterator:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    client = boto3.client("s3")
    client.create_bucket(Bucket=BUCKET)
    yield client
    server.stop()


def test_the_trigger_fires_when_ingestion_writes_the_marker_on_s3(airflow_db, s3):
    from airflow_dags.sensors import SuccessMarkerTrigger

    marker = success_marker_path(f"s3a://{BUCKET}/raw", "main", DAY)
    assert marker == f"s3a://{BUCKET}/raw/main/submission_date={DAY}/_SUCCESS"
    assert not object_store.exists(marker)
    trigger = revived(SuccessMarkerTrigger(marker, poll_interval=0.05))

    event = first_event(trigger, lambda: s3.put_object(Bucket=BUCKET, Key=f"raw/main/submission_date={DAY}/_SUCCESS"))

    assert event.payload == {"marker": marker}
    assert object_store.exists(marker.replace("s3a://", "s3://"))


def test_a_report_on_s3_is_fetched_for_the_alert_and_a_missing_one_is_none(s3):
    s3.put_object(Bucket=BUCKET, Key="warehouse/dq_reports/2026-11-20.html", Body=b"<html>duplicate_share</html>")

    assert object_store.read_bytes(f"s3a://{BUCKET}/warehouse/dq_reports/2026-11-20.html") == (
        b"<html>duplicate_share</html>"
    )
    assert object_store.read_bytes(f"s3a://{BUCKET}/warehouse/dq_reports/2026-11-19.html") is None


def test_a_missing_bucket_is_an_error_not_a_missing_marker(s3):
    """Waiting 12 hours on a marker that can never appear would hide a typo in the setup."""
    with pytest.raises(FileNotFoundError, match="S3 bucket 'lnading' of s3a://lnading/raw"):
        object_store.exists(f"s3a://lnading/raw/main/submission_date={DAY}/_SUCCESS")
