"""Crash signatures in Spark: frames from both ping formats, symbolication from a
symbol store written in tmp_path, siggen per crash row, and the two tables' grains."""

from __future__ import annotations

import json
import warnings
from datetime import date
from pathlib import Path

import pytest
from chispa import assert_df_equality
from siggen.generator import SignatureGenerator

from lib.contract.vocabulary import Limits
from lib.ingest.calendar import CALENDAR_SCHEMA
from lib.ingest.pings import parse_pings
from lib.ingest.symbols import read_symbols
from lib.runtime.local_frames import local_frame
from lib.transform.classify import AGGREGATED, classify
from lib.transform.crash_signature import SIGGEN_VERSION, parse_sym, sym_path
from lib.transform.signatures import (
    crash_frames,
    symbol_modules,
    symbol_records,
    symbolicate,
    to_crash_signatures,
    to_signature_first_seen,
    with_crashing_thread,
    with_signatures,
)
from tests.pingbuilder import android_crash_ping, crash_ping, glean_crash_ping, lines

XUL_SYM = """MODULE windows x86_64 AAAA1 xul.pdb
FILE 0 dom/base/Element.cpp
FUNC 1000 20 0 mozilla::dom::Element::Crash()
1000 10 12 0
PUBLIC 1030 0 PublicAfterCrash
FUNC 2000 100 0 mozilla::dom::Element::Caller(int)
"""
XUL_BASE, FOO_BASE = 0x10000, 0x50000
# (module index, offset in it): a FUNC's inside, past that FUNC's end (a PUBLIC), a module
# without symbols, another FUNC.
CRASHING_FRAMES = [(0, 0x1005), (0, 0x1035), (1, 0x10), (0, 0x2050)]


def _store(tmp_path: Path) -> str:
    path = tmp_path / "symbols" / sym_path("xul.pdb", "AAAA1")
    path.parent.mkdir(parents=True)
    path.write_text(XUL_SYM)
    return str(tmp_path / "symbols")


def _stack(legacy: bool, hexadecimal: bool) -> dict:
    def addr(value: int) -> str | int:
        return hex(value) if hexadecimal else value

    base = "base_addr" if legacy else "base_address"
    modules = [
        {"filename": "xul.dll", "debug_file": "xul.pdb", "debug_id": "AAAA1", base: addr(XUL_BASE)},
        {"filename": "foo.dll", "debug_file": "foo.pdb", "debug_id": "BBBB2", base: addr(FOO_BASE)},
    ]
    bases = [XUL_BASE, FOO_BASE]
    frames = [{"module_index": m, "ip": addr(bases[m] + offset), "trust": "scan"} for m, offset in CRASHING_FRAMES]
    threads = [
        {"frames": [{"module_index": 0, "ip": addr(XUL_BASE + 0x2000)}]},
        {"frames": frames},
        {"frames": [{"module_index": 0, "ip": addr(XUL_BASE + 0x1000)}]},  # neither crashing nor 0
    ]
    if legacy:
        return {"crash_info": {"type": "SIGSEGV", "crashing_thread": 1}, "modules": modules, "threads": threads}
    return {"crash_type": "EXCEPTION_ACCESS_VIOLATION_READ", "crash_thread": 1, "modules": modules, "threads": threads}


def _siggen(os: str, crashing: list[dict], thread_zero: list[dict], **annotations) -> str:
    """siggen on a literal crash: what the pipeline must give for the pings above."""
    data = {"os": os, "crashing_thread": 1, "threads": [{"frames": thread_zero}, {"frames": crashing}], **annotations}
    return SignatureGenerator().generate(data).signature


SYMBOLICATED = [
    {"function": "mozilla::dom::Element::Crash()", "module": "xul.dll", "module_offset": "0x1005"},
    {"function": "PublicAfterCrash", "module": "xul.dll", "module_offset": "0x1035"},
    {"module": "foo.dll", "module_offset": "0x10"},
    {"function": "mozilla::dom::Element::Caller(int)", "module": "xul.dll", "module_offset": "0x2050"},
]
THREAD_ZERO = [{"function": "mozilla::dom::Element::Caller(int)", "module": "xul.dll", "module_offset": "0x2000"}]
UNSYMBOLICATED = [{k: v for k, v in f.items() if k != "function"} for f in SYMBOLICATED]
THREAD_ZERO_BARE = [{"module": "xul.dll", "module_offset": "0x2000"}]

TIMEOUT = {"phase": "profile-before-change", "conditions": json.dumps([{"name": "B"}, {"name": "A"}])}
JAVA = {
    "throwables": [
        {
            "type_name": "java.lang.IllegalStateException",
            "stack": [{"class_name": "org.mozilla.fenix.Foo", "method_name": "bar", "file": "Foo.kt"}],
        }
    ]
}
PINGS = {
    "crash": [
        crash_ping(**{"id": "legacy-numeric", "payload.stackTraces": _stack(legacy=True, hexadecimal=False)}),
        crash_ping(
            **{
                "id": "legacy-oom",
                "environment.system.os.name": "Linux",
                "payload.metadata.OOMAllocationSize": "100",
                "payload.metadata.MozCrashReason": "MOZ_CRASH(oom)",
            }
        ),
    ],
    "glean_crash": [
        glean_crash_ping(
            **{"meta.documentId": "glean-hex", "metrics/object/crash.stack_traces": _stack(False, hexadecimal=True)}
        ),
        glean_crash_ping(**{"meta.documentId": "glean-hang", "metrics/object/crash.async_shutdown_timeout": TIMEOUT}),
        glean_crash_ping(**{"meta.documentId": "glean-ipc", "metrics/string/crash.ipc_channel_error": "ShutDownKill"}),
        android_crash_ping(**{"meta.documentId": "android-java", "metrics/object/crash.java_exception": JAVA}),
    ],
}


@pytest.fixture(scope="module")
def crashes(spark):
    calendar = local_frame(spark, [], CALENDAR_SCHEMA)
    parsed = {d: parse_pings(lines(spark, *pings), d) for d, pings in PINGS.items()}
    classified = classify(parsed, calendar, Limits())
    kept = classified.where(classified.disposition == AGGREGATED).transform(with_crashing_thread)
    return kept.localCheckpoint()


def _signatures(spark, crashes, store: str | None) -> dict[str, str]:
    frames = crash_frames(crashes)
    records = None
    if store:
        modules = [(r.debug_file, r.debug_id) for r in symbol_modules(frames).collect()]
        assert sorted(modules) == [("foo.pdb", "BBBB2"), ("xul.pdb", "AAAA1")]
        sym_lines, found = read_symbols(spark, store, modules)
        assert found == 1  # foo.pdb has no file in the store
        records = symbol_records(sym_lines)
    signed = with_signatures(crashes, symbolicate(frames, records))
    return {r.doc_id: r.signature for r in signed.select("doc_id", "signature").collect()}


def test_signatures_with_symbols_equal_siggen_on_the_symbolicated_crash(spark, crashes, tmp_path):
    got = _signatures(spark, crashes, _store(tmp_path))
    windows = _siggen("Windows NT", SYMBOLICATED, THREAD_ZERO)
    assert windows == "mozilla::dom::Element::Crash"
    assert got == {
        "legacy-numeric": windows,  # numeric addresses and base_addr, as the legacy ping has them
        "glean-hex": windows,  # hex text and base_address
        "legacy-oom": "OOM | small",
        "glean-hang": "AsyncShutdownTimeout | profile-before-change | A,B",
        "glean-ipc": "IPCError-content | ShutDownKill",
        "android-java": "java.lang.IllegalStateException: at org.mozilla.fenix.Foo.bar(Foo.kt)",
    }


def test_signatures_without_symbols_come_from_modules_and_annotations(spark, crashes):
    got = _signatures(spark, crashes, None)
    bare = _siggen("Windows NT", UNSYMBOLICATED, THREAD_ZERO_BARE)
    assert bare == "xul.dll | foo.dll | xul.dll"  # siggen names unsymbolicated frames by module
    assert got["glean-hex"] == got["legacy-numeric"] == bare
    assert got["legacy-oom"] == "OOM | small"


def test_signing_warns_of_nothing_in_the_nights_output(spark, crashes):
    """A plain Python UDF, said outright: pyspark left to infer its kind from the type
    hints warned on every night's output that it could not."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with_signatures(crashes, symbolicate(crash_frames(crashes), None))


def test_symbolicate_agrees_with_the_pure_resolver(spark):
    frames = spark.createDataFrame(
        [
            ("x", 1, "xul.pdb", "AAAA1", offset)
            for offset in (0x900, 0x1000, 0x101F, 0x1020, 0x1030, 0x1035, 0x2000, 0x20FF, 0x2100, 0x9999)
        ]
        + [("x", 2, "foo.pdb", "BBBB2", 0x10), ("x", 3, None, None, None)],
        "key string, frame_index int, debug_file string, debug_id string, module_offset long",
    )
    sym_lines = spark.createDataFrame(
        [("xul.pdb", "AAAA1", line) for line in XUL_SYM.replace("\n", "\r\n").splitlines(keepends=False)],
        "debug_file string, debug_id string, value string",
    )
    got = {
        (r.debug_file, r.module_offset): r.function for r in symbolicate(frames, symbol_records(sym_lines)).collect()
    }
    table = parse_sym(XUL_SYM.splitlines())
    expected = {("xul.pdb", o): table.resolve(o) for (f, o) in got if f == "xul.pdb"}
    assert {k: v for k, v in got.items() if k[0] == "xul.pdb"} == expected
    assert expected[("xul.pdb", 0x1020)] is None  # past Crash()'s end, below every PUBLIC
    assert expected[("xul.pdb", 0x1035)] == "PublicAfterCrash"
    assert expected[("xul.pdb", 0x2100)] == "PublicAfterCrash"  # past Caller's end
    assert got[("foo.pdb", 0x10)] is None
    assert got[(None, None)] is None


GRAIN_SCHEMA = (
    "submission_date date, channel string, version string, display_version string, build_id string, "
    "os string, process_type string, release_date date, release_age_days int, signature string, "
    "client_id string, doc_type string, source_file string, line_hash long"
)
D1, D2, R = date(2026, 11, 20), date(2026, 11, 21), date(2026, 11, 10)


def test_crash_signatures_grain_and_per_client_sums(spark):
    row = (D1, "release", "145.0", "145.0", "20261110093015", "Windows", "main", R, 10)
    signed = spark.createDataFrame(
        [
            (*row, "A", "c1", "crash", "f", 1),
            (*row, "A", "c1", "glean_crash", "f", 2),
            (*row, "A", "c2", "crash", "f", 3),
            (*row, "A", None, "crash", "f", 4),  # no client id: a client of its own
            (*row[:6], None, *row[7:], "A", "c1", "crash", "f", 5),  # null process type: its own row
        ],
        GRAIN_SCHEMA,
    )
    expected = spark.createDataFrame(
        [(*row, "A", 4, 3, 6, SIGGEN_VERSION), (*row[:6], None, *row[7:], "A", 1, 1, 1, SIGGEN_VERSION)],
        GRAIN_SCHEMA.split(", client_id")[0] + ", crashes long, clients long, crashes_sq long, siggen_version string",
    )
    assert_df_equality(to_crash_signatures(signed), expected, ignore_row_order=True, ignore_nullable=True)


def test_crash_signatures_of_no_crashes(spark):
    assert to_crash_signatures(spark.createDataFrame([], GRAIN_SCHEMA)).count() == 0


def test_first_seen_is_the_earliest_date_then_smallest_build(spark):
    schema = "submission_date date, channel string, signature string, version string, build_id string"
    rows = spark.createDataFrame(
        [
            (D2, "release", "A", "145.0", "20261101000000"),
            (D1, "release", "A", "145.0", "20261110000000"),
            (D1, "release", "A", "144.0", "20261001000000"),
            (D2, "beta", "A", "146.0b1", "20261115000000"),
            (D1, "release", None, "145.0", "20261110000000"),
        ],
        schema,
    )
    expected = spark.createDataFrame(
        [
            ("release", "A", D1, "144.0", "20261001000000"),
            ("beta", "A", D2, "146.0b1", "20261115000000"),
            ("release", None, D1, "145.0", "20261110000000"),
        ],
        "channel string, signature string, first_date date, first_version string, first_build_id string",
    )
    assert_df_equality(to_signature_first_seen(rows), expected, ignore_row_order=True)
