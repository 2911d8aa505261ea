"""crash_signatures and signature_first_seen written by the nightly job: a tiny landing
zone, a symbol store in tmp_path, nights run out of order, then without symbols."""

from __future__ import annotations

import json
import logging
from datetime import date

import pytest

from jobs.aggregate_crashes import Config, read_config, run
from lib.transform.crash_signature import SIGGEN_VERSION, sym_path
from lib.warehouse.runs import RUN_ID
from lib.warehouse.tables import read_table
from tests.conftest import write_partition
from tests.pingbuilder import crash_ping, glean_crash_ping, main_ping

EARLY, LATE = date(2026, 11, 19), date(2026, 11, 20)
EARLY_BUILD, LATE_BUILD = "20261105000000", "20261110093015"
SYM = "MODULE windows x86_64 AAAA1 xul.pdb\nFUNC 1000 20 0 mozilla::dom::Element::Crash()\n"
STACK = {
    "crash_thread": 0,
    "modules": [{"filename": "xul.dll", "debug_file": "xul.pdb", "debug_id": "AAAA1", "base_address": "0x10000"}],
    "threads": [{"frames": [{"module_index": 0, "ip": "0x11005"}]}],
}
CRASH = "mozilla::dom::Element::Crash"

pytestmark = pytest.mark.slow


def _glean(doc_id: str, build: str, client: str) -> dict:
    return glean_crash_ping(
        **{
            "meta.documentId": doc_id,
            "metrics/string/crash.app_build": build,
            "metrics/object/crash.stack_traces": STACK,
            "client_info.client_id": client,
        }
    )


def _landing(tmp_path):
    raw = tmp_path / "raw"

    def write(doc_type: str, day: date, pings: list[dict]) -> None:
        write_partition(raw, doc_type, str(day), [json.dumps(p) for p in pings])

    for day in (EARLY, LATE):
        write("main", day, [main_ping()])
    write("glean_crash", EARLY, [_glean("early-1", EARLY_BUILD, "11111111-2222-4333-8444-000000000001")])
    write(
        "glean_crash",
        LATE,
        [
            _glean("late-1", LATE_BUILD, "11111111-2222-4333-8444-000000000001"),
            _glean("late-2", LATE_BUILD, "11111111-2222-4333-8444-000000000001"),
            _glean("late-3", LATE_BUILD, "11111111-2222-4333-8444-000000000002"),
        ],
    )
    write("crash", LATE, [crash_ping(**{"id": "legacy-oom", "payload.metadata.OOMAllocationSize": "100"})])
    store = tmp_path / "symbols"
    (store / sym_path("xul.pdb", "AAAA1")).parent.mkdir(parents=True)
    (store / sym_path("xul.pdb", "AAAA1")).write_text(SYM)
    return raw, store


def _rows(spark, warehouse, name: str) -> list[tuple]:
    """A table's rows but the run id, which is each run's own (lib.warehouse.runs)."""
    table = read_table(spark, str(warehouse), name)
    return sorted(tuple(r) for r in table.drop(RUN_ID).collect())


def test_the_nightly_writes_signatures_and_first_seen_in_any_order(spark, tmp_path, caplog):
    """A night run again writes the same two tables: tests/jobs/test_reruns.py's, on the
    generated days (their crashes are signed from their stacks, without symbols)."""
    raw, store = _landing(tmp_path)
    warehouse = tmp_path / "warehouse"

    def night(day: date, symbols: str | None = str(store)) -> None:
        run(spark, Config(day, str(raw), str(warehouse), raw_checks="skip", symbols=symbols))

    night(LATE)
    signatures = read_table(spark, str(warehouse), "crash_signatures").where("submission_date = DATE'2026-11-20'")
    got = {
        (r.channel, r.os, r.build_id, r.process_type, r.signature): (
            r.crashes,
            r.clients,
            r.crashes_sq,
            r.siggen_version,
        )
        for r in signatures.collect()
    }
    assert got == {
        ("release", "Windows", LATE_BUILD, "main", CRASH): (3, 2, 5, SIGGEN_VERSION),  # 2 + 1 crashes: 4 + 1
        ("release", "Windows", LATE_BUILD, "main", "OOM | small"): (1, 1, 1, SIGGEN_VERSION),
    }
    assert _rows(spark, warehouse, "signature_first_seen") == sorted(
        [("release", CRASH, LATE, "145.0", LATE_BUILD), ("release", "OOM | small", LATE, "145.0", LATE_BUILD)]
    )

    night(EARLY)  # a backfill of the night before, run after
    first_seen = _rows(spark, warehouse, "signature_first_seen")
    assert first_seen == sorted(
        [("release", CRASH, EARLY, "145.0", EARLY_BUILD), ("release", "OOM | small", LATE, "145.0", LATE_BUILD)]
    )

    caplog.clear()
    caplog.set_level(logging.INFO)
    night(LATE, symbols=None)  # without symbols: module and offset, and one line says so
    late = read_table(spark, str(warehouse), "crash_signatures").where("submission_date = DATE'2026-11-20'")
    assert {r.signature for r in late.collect()} == {
        "xul.dll",
        "OOM | small",
    }  # siggen names a bare frame by its module
    said = [r.getMessage() for r in caplog.records if "no --symbols" in r.getMessage()]
    assert len(said) == 1


def test_symbols_flag_is_parsed():
    argv = ["--date", "2026-11-20", "--raw", "r", "--warehouse", "w"]
    assert read_config(argv).symbols is None
    assert read_config([*argv, "--symbols", "s3a://bucket/symbols"]).symbols == "s3a://bucket/symbols"
