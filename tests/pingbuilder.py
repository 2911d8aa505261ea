"""Minimal valid pings for tests, changed one field at a time with dotted paths."""

from __future__ import annotations

import copy
import json
from datetime import date
from typing import Any

from pyspark.sql import DataFrame, SparkSession

from lib.runtime.local_frames import local_frame

DAY = date(2026, 11, 20)
BUILD = "20261110093015"  # built 10 days before DAY
_MISSING = object()

MAIN: dict[str, Any] = {
    "type": "main",
    "id": "00000000-0000-4000-8000-000000000001",
    "clientId": "11111111-2222-4333-8444-555555555555",
    "creationDate": "2026-11-20T08:00:00.000Z",
    "application": {
        "channel": "release",
        "version": "145.0",
        "displayVersion": "145.0",
        "buildId": BUILD,
        "architecture": "x86-64",
    },
    "environment": {
        "build": {"version": "145.0", "buildId": BUILD, "architecture": "x86-64"},
        "system": {"os": {"name": "Windows_NT", "version": "10.0.19045"}},
    },
    "meta": {"submissionTimestamp": "2026-11-20T09:00:00.000Z", "geoCountry": "CA"},
    "payload": {"info": {"subsessionLength": 7200}, "keyedHistograms": {}},
}
CRASH: dict[str, Any] = {
    **{k: v for k, v in MAIN.items() if k != "payload"},
    "type": "crash",
    "payload": {"processType": "main", "metadata": {"StartupCrash": "0"}},
}


def build(base: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """``build(MAIN, **{"payload.info.subsessionLength": -1, "meta": DELETE})``; a path whose
    keys hold dots (Glean's metric names) is written with slashes: ``"metrics/string/crash.startup"``."""
    ping = copy.deepcopy(base)
    for dotted, value in changes.items():
        *parents, leaf = dotted.split("/") if "/" in dotted else dotted.split(".")
        node = ping
        for key in parents:
            node = node.setdefault(key, {})
        if value is DELETE:
            node.pop(leaf, None)
        else:
            node[leaf] = value
    return ping


DELETE = _MISSING

GLEAN_CRASH: dict[str, Any] = {
    "$schema": "moz://mozilla.org/schemas/glean/ping/1",
    "client_info": {
        "client_id": "11111111-2222-4333-8444-555555555555",
        "app_channel": "release",
        "app_display_version": "145.0",
        "app_build": BUILD,
        "os": "Windows",
        "os_version": "10.0.19045",
        "architecture": "x86-64",
        "first_run_date": "2025-03-01+00:00",
        "telemetry_sdk_build": "64.1.1",
    },
    "ping_info": {
        "seq": 3,
        "reason": "crash",
        "start_time": "2026-11-20T08:00+00:00",
        "end_time": "2026-11-20T08:59+00:00",
    },
    "metrics": {
        "string": {
            "crash.app_channel": "release",
            "crash.app_display_version": "145.0",
            "crash.app_build": BUILD,
            "crash.process_type": "main",
        },
        "boolean": {"crash.startup": False},
    },
    "meta": {
        "documentId": "00000000-0000-4000-8000-0000000000aa",
        "submissionTimestamp": "2026-11-20T09:00:00.000Z",
        "geoCountry": "CA",
    },
}


GLEAN_BASELINE: dict[str, Any] = {
    "$schema": "moz://mozilla.org/schemas/glean/ping/1",
    "client_info": {
        "client_id": "11111111-2222-4333-8444-555555555555",
        "app_channel": "release",
        "app_display_version": "145.0",
        "app_build": BUILD,
        "os": "Windows",
        "os_version": "10.0",
        "architecture": "x86_64",
        "first_run_date": "2025-03-01+00:00",
        "telemetry_sdk_build": "64.1.1",
    },
    # Valid by Mozilla's baseline schemas (tests/test_mozilla_fixtures.py checks it), meta aside.
    "ping_info": {
        "seq": 7,
        "reason": "inactive",
        "start_time": "2026-11-20T07:00+00:00",
        "end_time": "2026-11-20T09:00+00:00",
    },
    "metrics": {
        "timespan": {"glean.baseline.duration": {"time_unit": "second", "value": 7200}},
        "counter": {"browser.engagement.active_ticks_non_synthesized": 360, "browser.engagement.active_ticks": 400},
    },
    "meta": {
        "documentId": "00000000-0000-4000-8000-0000000000bb",
        "documentNamespace": "firefox-desktop",
        "submissionTimestamp": "2026-11-20T09:00:00.000Z",
        "geoCountry": "CA",
    },
}
# Firefox for Android's: its app id as namespace, a version code as its build (whose digits
# read as a real date of 2016: were the build-date rules applied, it would be excluded), no ticks.
ANDROID_BASELINE: dict[str, Any] = build(
    GLEAN_BASELINE,
    **{
        "meta.documentNamespace": "org-mozilla-firefox",
        "client_info.app_build": "2016111009",
        "client_info.os": "Android",
        "client_info.os_version": "14",
        "client_info.architecture": "arm64-v8a",
        "metrics.timespan": {"glean.baseline.duration": {"time_unit": "millisecond", "value": 1_800_000}},
        "metrics.counter": DELETE,
    },
)


def main_ping(**changes: Any) -> dict[str, Any]:
    return build(MAIN, **changes)


def crash_ping(**changes: Any) -> dict[str, Any]:
    return build(CRASH, **changes)


def glean_crash_ping(**changes: Any) -> dict[str, Any]:
    return build(GLEAN_CRASH, **changes)


def baseline_ping(**changes: Any) -> dict[str, Any]:
    return build(GLEAN_BASELINE, **changes)


def android_baseline_ping(**changes: Any) -> dict[str, Any]:
    return build(ANDROID_BASELINE, **changes)


def android_crash_ping(**changes: Any) -> dict[str, Any]:
    """Firefox for Android's Glean crash ping: crash.app_build a Gecko build id, client_info its version code."""
    android = {
        "meta.documentNamespace": "org-mozilla-firefox",
        "client_info.app_build": "2016111009",
        "client_info.os": "Android",
        "client_info.os_version": "14",
        "client_info.architecture": "arm64-v8a",
    }
    return build(GLEAN_CRASH, **android, **changes)


def text(ping: dict[str, Any] | str) -> str:
    """A ping's landing line: compact JSON, or the text itself where it is not a dict."""
    return ping if isinstance(ping, str) else json.dumps(ping, separators=(",", ":"))


def line_key(ping: dict[str, Any] | str) -> int:
    """The ``line_hash`` :func:`lines` gives a ping's line, which classified rows keep: how
    tests that classify many lines in one run find each line's row, whatever its fields."""
    return hash(text(ping))


def lines(
    spark: SparkSession, *pings: dict[str, Any] | str, source: str = "file:/landing/part-0.json", day: date = DAY
) -> DataFrame:
    """Landing lines of submission date ``day`` as :func:`lib.ingest.landing.read_lines` returns them.

    A local relation, not ``createDataFrame``'s RDD: classifying one line took 1.1 s
    instead of 1.6 s in a warm session (no tasks to schedule over the rows)."""
    rows = [(day, source, line_key(p), text(p)) for p in pings]
    return local_frame(spark, rows, "submission_date date, source_file string, line_hash bigint, raw string")


# The SHA-256 of an empty file: what a failed minidump write reports as the crash's hash.
EMPTY_FILE_HASH = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def hash_storm(count: int) -> list[dict[str, Any]]:
    """Issue 24's storm: Glean crash pings of ``count`` distinct documents and clients, of
    main, content and gpu processes in turn, all with the empty file's minidump hash."""
    processes = ("main", "content", "gpu")
    return [
        glean_crash_ping(
            **{
                "meta.documentId": f"00000000-0000-4000-8000-{n:012d}",
                "client_info.client_id": f"10000000-0000-4000-8000-{n:012d}",
                "metrics/string/crash.process_type": processes[n % 3],
                "metrics/string/crash.minidump_sha256_hash": EMPTY_FILE_HASH,
            }
        )
        for n in range(count)
    ]
