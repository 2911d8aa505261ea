"""Each constant is declared once in lib.contract.vocabulary; the schemas, the checks' config
and the generator agree with it, and the package the DAG imports stays free of Spark."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import zipfile

import pytest

from lib.contract.deploy import build_code_zip
from lib.contract.vocabulary import CRASH_KEYS, CRASH_MEASURES, KNOWN_CHANNELS, KNOWN_OS, OS_NAMES, OTHER
from lib.quality.runner import dq_config
from lib.warehouse.tables import table_spec
from tests.conftest import REPO


def test_the_aggregate_table_has_one_column_per_declared_measure_in_order():
    names = [n for n in table_spec("crash_aggregates").column_names if n != "run_id"]  # the write's stamp
    assert names[-len(CRASH_MEASURES) :] == list(CRASH_MEASURES)
    assert names[-len(CRASH_MEASURES) - 3 : -len(CRASH_MEASURES)] == ["ping_count", "usage_hours", "active_hours"]


def test_the_non_negative_constraints_cover_every_count():
    constraints = table_spec("crash_aggregates").constraints
    counts = re.findall(r"(\w+) >= 0", constraints["non_negative_counts"])
    # The classes of schema version 2 are null in older rows, hence their own constraint.
    classes = re.findall(r"coalesce\((\w+), 0\) >= 0", constraints["non_negative_classes"])
    assert counts + classes == ["ping_count", *CRASH_MEASURES]


def test_the_main_ping_schema_reads_exactly_the_declared_crash_keys():
    schema = json.loads((REPO / "schemas" / "pings" / "main_payload.json").read_text())
    histograms = next(f for f in schema["fields"] if f["name"] == "keyedHistograms")["type"]["fields"]
    keys = [f["name"] for f in histograms[0]["type"]["fields"]]
    assert tuple(keys) == CRASH_KEYS


@pytest.mark.parametrize("check", ["volume_vs_history", "crash_rate_vs_history"])
def test_the_history_checks_have_a_limit_for_every_channel_the_rules_produce(check):
    limits = dq_config()["aggregates"][check]["max_change"]
    assert set(limits) == {*KNOWN_CHANNELS, OTHER}


def test_every_os_name_maps_to_a_known_platform():
    assert set(OS_NAMES.values()) == set(KNOWN_OS)


def test_the_contract_package_imports_nothing_heavy():
    code = (
        "import sys, lib.contract.layout, lib.contract.errors, lib.contract.deploy, lib.contract.vocabulary;"
        "heavy = [m for m in ('pyspark', 'great_expectations', 'delta', 'py4j') if m in sys.modules];"
        "print(heavy)"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_the_code_zip_ships_the_jobs_and_their_rooms_but_not_the_generator(tmp_path):
    with zipfile.ZipFile(build_code_zip(tmp_path)) as archive:
        names = set(archive.namelist())
    assert {"jobs/aggregate_crashes.py", "lib/contract/layout.py", "lib/runtime/log4j2.properties"} <= names
    assert "schemas/tables/crash_aggregates.json" in names
    assert not [n for n in names if n.startswith("lib/synthetic/") or n in {"jobs/demo.py", "jobs/benchmark.py"}]
