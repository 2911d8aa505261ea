"""The fast parse against the exact one, row for row, and proof that it is the fast one.

Differential: Mozilla's real pings of every doc type, a generated day with every
fault switched on, and a corpus of hostile lines each go through both paths; every
column of every row must be equal. Then, that real and generated pings are *decided*
by the JVM reader (a fast path that sent every line to the exact parse would pass
the differential test and be no faster) and that the hostile ones are not.
"""

from __future__ import annotations

import json
import logging
from datetime import date
from pathlib import Path

import pytest
from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import VariantType

from jobs.generate_pings import generate
from lib.contract.vocabulary import DOC_TYPES
from lib.ingest import fastparse
from lib.ingest.fastparse import UNDECIDED
from lib.ingest.landing import open_day, open_partition, read_lines
from lib.ingest.pings import fast_parse_pings, narrow_fields, parse_pings
from lib.synthetic.generator import FAULTS, Settings
from tests.conftest import compact
from tests.pingbuilder import EMPTY_FILE_HASH, crash_ping, glean_crash_ping, lines, main_ping

DAY = date(2026, 11, 20)


def _flat(ping: dict) -> str:
    return json.dumps(ping, separators=(",", ":"))


def _main_with(old: str, new: str) -> str:
    text = _flat(main_ping())
    assert old in text
    return text.replace(old, new, 1)


CLIENT = '"clientId":"11111111-2222-4333-8444-555555555555"'
JUNK_VERSIONS = {
    "markup": "<script>alert(1)</script>",
    "NUL": "145.0\u0000",
    "right-to-left override": "145.0\u202e1",
    "emoji": "145.0\U0001f600",
    "10,000 nines": "9" * 10_000,
}
HOSTILE = {
    "blank": "",
    "spaces": "   ",
    "carriage return": _flat(main_ping()) + "\r",
    "not json": "this is not json",
    "array": "[1,2,3]",
    "string": '"a string"',
    "number": "42",
    "null": "null",
    "truncated": _flat(main_ping())[:-10],
    "trailing text": _flat(main_ping()) + " tail",
    "two objects": _flat(main_ping()) + _flat(main_ping()),
    "NaN in a field read": _main_with('"subsessionLength":7200', '"subsessionLength":NaN'),
    "NaN in a field not read": _main_with('"info":{', '"info":{"x":NaN,'),
    "Infinity": _main_with('"subsessionLength":7200', '"subsessionLength":-Infinity'),
    "huge integer": _main_with('"subsessionLength":7200', '"subsessionLength":123456789012345678901234567890'),
    "uint64 integer": _main_with('"subsessionLength":7200', '"subsessionLength":18446744073709551615'),
    "int64 max": _main_with('"subsessionLength":7200', '"subsessionLength":9223372036854775807'),
    "int64 max + 1": _main_with('"subsessionLength":7200', '"subsessionLength":9223372036854775808'),
    "int64 min": _main_with('"subsessionLength":7200', '"subsessionLength":-9223372036854775808'),
    "huge integer not read": _main_with('"info":{', '"info":{"x":123456789012345678901234567890,'),
    "float where bigint": _main_with('"subsessionLength":7200', '"subsessionLength":7200.0'),
    "exponent where bigint": _main_with('"subsessionLength":7200', '"subsessionLength":72e2'),
    "minus zero": _main_with('"subsessionLength":7200', '"subsessionLength":-0'),
    "string where bigint": _main_with('"subsessionLength":7200', '"subsessionLength":"7200"'),
    "bool where string": _main_with('"channel":"release"', '"channel":true'),
    "number where string": _main_with('"buildId":"20261110093015"', '"buildId":20261110093015'),
    "object where string": _main_with('"channel":"release"', '"channel":{"a":1}'),
    "array where string": _main_with('"channel":"release"', '"channel":["release"]'),
    "null where string": _main_with('"channel":"release"', '"channel":null'),
    "null where object": _main_with('"info":{"subsessionLength":7200}', '"info":null'),
    "string where object": _main_with('"info":{"subsessionLength":7200}', '"info":"x"'),
    "empty string": _main_with('"channel":"release"', '"channel":""'),
    "blank string": _main_with('"channel":"release"', '"channel":"  "'),
    "duplicate key read": _main_with('"subsessionLength":7200', '"subsessionLength":7200,"subsessionLength":60'),
    "duplicate key in a path": _main_with('"info":{', '"info":{"x":1,"x":2,'),
    "duplicate key not read": _main_with('"info":{', '"info":{"x":{"y":1,"y":2},'),
    "duplicate top key": _flat(main_ping())[:-1] + ',"id":"other"}',
    "escaped key": _main_with('"channel":"release"', '"ch\\u0061nnel":"release"'),
    "unicode escapes": _main_with('"channel":"release"', '"channel":"r\\u00e9lease \\ud83d\\ude00"'),
    "lone surrogate": _main_with('"channel":"release"', '"channel":"\\ud800"'),
    "nul escape": _main_with('"channel":"release"', '"channel":"rel\\u0000ease"'),
    "raw control character": _main_with('"channel":"release"', '"channel":"rel\u0001ease"'),
    "replacement character (invalid UTF-8 in the file)": _main_with('"channel":"release"', '"channel":"r\ufffd"'),
    "leading zero": _main_with('"subsessionLength":7200', '"subsessionLength":07200'),
    "single quotes": "{'id': 'x'}",
    "depth 1000": _flat(main_ping())[:-1] + ',"deep":' + "[" * 999 + "]" * 999 + "}",
    "depth 1001": _flat(main_ping())[:-1] + ',"deep":' + "[" * 1000 + "]" * 1000 + "}",
    "depth 1024": _flat(main_ping())[:-1] + ',"deep":' + "[" * 1023 + "]" * 1023 + "}",
    "depth 1025": _flat(main_ping())[:-1] + ',"deep":' + "[" * 1024 + "]" * 1024 + "}",
    "many shallow brackets": _flat(main_ping())[:-1] + ',"wide":[' + ",".join(["{}"] * 1500) + "]}",
    "brackets in strings": _flat(main_ping())[:-1] + ',"s":"' + "[" * 1500 + '"}',
    "byte-order mark inside": "\ufeff" + _flat(main_ping()),
    # Issue 24's probes: junk display versions and client ids that are no UUID.
    **{
        f"display version {name}": _main_with('"displayVersion":"145.0"', f'"displayVersion":{json.dumps(junk)}')
        for name, junk in JUNK_VERSIONS.items()
    },
    "display version raw UTF-8": _main_with('"displayVersion":"145.0"', '"displayVersion":"145.0\u202e\U0001f600"'),
    "client id in braces": _main_with(CLIENT, '"clientId":"{11111111-2222-4333-8444-555555555555}"'),
    "client id no uuid": _main_with(CLIENT, '"clientId":"SECRETCLIENT-x"'),
    # Issue 23: what a JVM parser can get wrong.
    "surrogate pair escaped": _main_with('"channel":"release"', '"channel":"\\ud83d\\ude00"'),
    "surrogate pair raw": _main_with('"channel":"release"', '"channel":"\U0001f600"'),
    "high surrogate then letter": _main_with('"channel":"release"', '"channel":"\\ud83dx"'),
    "lone low surrogate": _main_with('"channel":"release"', '"channel":"\\ude00"'),
    "keys differing only by escapes": _main_with('"channel":"release"', '"channel":"release","ch\\u0061nnel":"beta"'),
    "escaped key not read": _main_with('"info":{', '"info":{"x\\u0041":1,"xA":2,'),
    "escaped slash in a value": _main_with('"channel":"release"', '"channel":"rel\\/ease"'),
    "1e400 where bigint": _main_with('"subsessionLength":7200', '"subsessionLength":1e400'),
    "1e400 not read": _main_with('"info":{', '"info":{"x":1e400,'),
    "-1e400 where bigint": _main_with('"subsessionLength":7200', '"subsessionLength":-1e400'),
    "1e-400 where bigint": _main_with('"subsessionLength":7200', '"subsessionLength":1e-400'),
    "minus zero fraction": _main_with('"subsessionLength":7200', '"subsessionLength":-0.0'),
    "fraction where bigint": _main_with('"subsessionLength":7200', '"subsessionLength":7200.5'),
    "int64 min - 1": _main_with('"subsessionLength":7200', '"subsessionLength":-9223372036854775809'),
    "plus sign": _main_with('"subsessionLength":7200', '"subsessionLength":+7200'),
    "hex number": _main_with('"subsessionLength":7200', '"subsessionLength":0x1C20'),
    "comment": _main_with('"info":{', '"info":/* x */{'),
    "single-quoted value": _main_with('"channel":"release"', "\"channel\":'release'"),
    "unquoted key": _main_with('"channel":"release"', 'channel:"release"'),
    "trailing comma": _flat(main_ping())[:-1] + ",}",
    "depth 999 inside a read object": _main_with('"info":{', '"info":{"deep":' + "[" * 997 + "]" * 997 + ","),
    "depth 1001 inside a read object": _main_with('"info":{', '"info":{"deep":' + "[" * 999 + "]" * 999 + ","),
    "tab and newline escapes": _main_with('"channel":"release"', '"channel":"re\\tl\\nease"'),
    "key differing in case": _main_with('"channel":"release"', '"channel":"release","Channel":"beta"'),
    "a 20,000-byte key not read": _main_with('"info":{', '"info":{"' + "k" * 20_000 + '":1,'),
    "a 60,000-byte key not read": _main_with('"info":{', '"info":{"' + "k" * 60_000 + '":1,'),
    "a 2 MB string not read": _main_with('"info":{', '"info":{"x":"' + "s" * 2_000_000 + '",'),
    # Issue 36: a bare major version; whole numbers with a fraction or an exponent.
    "bare major version": _main_with('"version":"145.0"', '"version":"45"').replace('"displayVersion":"145.0",', ""),
    "1e3 where bigint": _main_with('"subsessionLength":7200', '"subsessionLength":1e3'),
    "36e2 where bigint": _main_with('"subsessionLength":7200', '"subsessionLength":36e2'),
    "1.0 where bigint": _main_with('"subsessionLength":7200', '"subsessionLength":1.0'),
    "1e-3 where bigint": _main_with('"subsessionLength":7200', '"subsessionLength":1e-3'),
    "1e19 where bigint": _main_with('"subsessionLength":7200', '"subsessionLength":1e19'),
    "whitespace everywhere": " \t{ " + _flat(main_ping())[1:-1].replace(",", " ,\t ") + " } ",
}


def _glean_with(stack_traces: str, **replace: str) -> str:
    """A Glean crash ping whose ``crash.stack_traces`` object metric is the text given."""
    text = _flat(glean_crash_ping()).replace(
        '"boolean":{', '"object":{"crash.stack_traces":' + stack_traces + '},"boolean":{', 1
    )
    for old, new in replace.items():
        assert old in text
        text = text.replace(old, new, 1)
    return text


STACK = '{"crash_type":"EXCEPTION_ACCESS_VIOLATION_READ","crash_thread":0,"modules":[{"filename":"xul.dll"}]}'
GLEAN_HOSTILE = {
    "glean: stack traces": _glean_with(STACK),
    "glean: duplicate key in stack traces": _glean_with('{"crash_type":"A","crash_type":"B"}'),
    "glean: duplicate key deep in stack traces": _glean_with('{"modules":[{"f":1,"f":2}]}'),
    "glean: NaN in stack traces": _glean_with('{"crash_thread":NaN}'),
    "glean: huge integer in stack traces": _glean_with('{"crash_thread":123456789012345678901234567890}'),
    "glean: stack traces a string": _glean_with('"text"'),
    "glean: stack traces null": _glean_with("null"),
    "glean: wrong boolean": _glean_with(STACK, **{'"crash.startup":false': '"crash.startup":"false"'}),
    # Issue 24's probes: the empty file's minidump hash, junk display versions.
    "glean: empty file's minidump hash": _flat(
        glean_crash_ping(**{"metrics/string/crash.minidump_sha256_hash": EMPTY_FILE_HASH})
    ),
    **{
        f"glean: display version {name}": _flat(glean_crash_ping(**{"metrics/string/crash.app_display_version": junk}))
        for name, junk in JUNK_VERSIONS.items()
    },
}


def comparable(frame: DataFrame) -> DataFrame:
    """Variants as JSON text, so rows can be compared as plain values."""
    return frame.select(
        *[F.to_json(c.name).alias(c.name) if isinstance(c.dataType, VariantType) else c.name for c in frame.schema]
    )


def assert_same_rows(frame: DataFrame, doc_type: str) -> int:
    """Both paths over ``frame``'s lines, compared row by row on every column; returns the rows."""
    assert narrow_fields(frame, doc_type) is not None, "the JVM parse's jar is not built: run make setup"
    exact = comparable(parse_pings(frame, doc_type)).collect()
    fast = comparable(fast_parse_pings(frame, doc_type)).collect()
    assert len(exact) == len(fast) == frame.count()
    key = lambda row: (row.source_file, row.line_hash)  # noqa: E731 - identical lines parse alike
    differences = []
    for want, got in zip(sorted(exact, key=key), sorted(fast, key=key), strict=True):
        if differing := {k: (want[k], got[k]) for k in want.asDict() if k != "raw" and want[k] != got[k]}:
            differences.append(f"{want.raw[:100]!r}: exact vs fast differ in {differing}")
        # The fast path keeps the text of the lines it could not read, and only of those.
        unread = want.json_error is not None or want.type_error is not None or want.check_field_error is not None
        if (unread and got.raw != want.raw) or got.raw not in (None, want.raw):
            differences.append(f"{want.raw[:100]!r}: the fast path's raw is {got.raw!r:.100}")
    assert not differences, "\n".join(differences)
    return len(exact)


def test_hostile_lines_parse_the_same_on_both_paths(spark):
    assert_same_rows(lines(spark, *HOSTILE.values()), "main")
    assert_same_rows(lines(spark, *HOSTILE.values()), "crash")
    assert_same_rows(lines(spark, *GLEAN_HOSTILE.values(), *HOSTILE.values()), "glean_crash")


def test_mozillas_pings_parse_the_same_on_both_paths(spark, fixtures):
    legacy = sorted((fixtures / "firefox-pings").glob("*.json"))
    pings = [compact(p) for p in legacy if not p.name.endswith("schema.json")]
    glean = [line for p in (fixtures / "glean-pings").glob("*.json") for line in [compact(p)]]
    for doc_type in ("main", "crash"):
        assert assert_same_rows(lines(spark, *pings), doc_type) == len(pings)
    assert assert_same_rows(lines(spark, *glean, *pings), "glean_crash") == len(glean) + len(pings)


@pytest.fixture(scope="module")
def faulty_day(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("every_fault")
    faults = {name: frozenset({DAY}) for name in FAULTS}
    settings = Settings(
        start=DAY,
        days=1,
        clients=150,
        ping_size="small",
        faults=faults,
        crash_formats="both",
        desktop_baseline_from=DAY,
        android_clients=60,
        rate_scale=10.0,  # crash pings by the hundred: a share of decided lines means something
    )
    generate(settings, out)
    return out / "raw"


def test_a_generated_day_with_every_fault_parses_the_same_on_both_paths(spark, faulty_day):
    for doc_type, partition in open_day(spark, str(faulty_day), DAY).items():
        assert assert_same_rows(read_lines(spark, partition), doc_type) > 0, doc_type


# Invalid UTF-8 can only come from a file: Spark reads its bytes as they are.
INVALID_UTF8 = {
    "a lone continuation byte in a field read": b'"channel":"rel\x80ease"',
    "a truncated sequence in a field read": b'"channel":"rel\xc3"',
    "an overlong slash in a field read": b'"channel":"rel\xc0\xafease"',
    "an encoded surrogate in a field read": b'"channel":"rel\xed\xa0\x80ease"',
    "a lone continuation byte in a field not read": b'"channel":"release","x":"\x80"',
    "Latin-1 in a key": b'"channel":"release","caf\xe9":1',
}


def test_invalid_utf8_parses_the_same_on_both_paths(spark, tmp_path):
    ping = _flat(main_ping()).encode()
    folder = tmp_path / "main" / f"submission_date={DAY}"
    folder.mkdir(parents=True)
    body = [ping.replace(b'"channel":"release"', bad, 1) for bad in INVALID_UTF8.values()]
    assert all(line != ping for line in body)
    (folder / "part-0.json").write_bytes(b"\n".join([ping, *body]) + b"\n")
    partition = open_partition(spark, str(tmp_path), "main", DAY)
    assert assert_same_rows(read_lines(spark, partition), "main") == len(INVALID_UTF8) + 1


# -- decided: the fast path really parses ----------------------------------------------


def decided(spark, doc_type: str, *text: str) -> list[bool]:
    """Whether the JVM reader decides each line, in order."""
    read = narrow_fields(lines(spark, *text), doc_type)
    assert read is not None, "the JVM parse's jar is not built: run make setup"
    return [not row[UNDECIDED] for row in read.collect()]


def test_mozillas_real_pings_are_decided_by_the_fast_path(spark, fixtures):
    for path in (fixtures / "firefox-pings").glob("*.pass.json"):
        doc_type = path.name.split(".")[0]
        assert decided(spark, doc_type, compact(path)) == [True], path.name


def test_generated_pings_of_every_doc_type_are_decided(spark, faulty_day):
    for doc_type in DOC_TYPES:
        text = [
            line
            for part in (faulty_day / doc_type / f"submission_date={DAY}").glob("part-*")
            for line in part.read_text().splitlines()
        ]
        verdicts = decided(spark, doc_type, *text)
        assert sum(verdicts) / len(text) > 0.8, (doc_type, sum(verdicts), len(text))  # faults: a few percent


def test_the_pingbuilders_pings_are_decided(spark):
    assert decided(spark, "main", _flat(main_ping())) == [True]
    assert decided(spark, "crash", _flat(crash_ping())) == [True]
    assert decided(spark, "glean_crash", _flat(glean_crash_ping())) == [True]


@pytest.mark.parametrize(
    "name",
    [
        "blank",
        "not json",
        "array",
        "NaN in a field not read",
        "huge integer",
        "uint64 integer",
        "int64 max + 1",
        "float where bigint",
        "string where bigint",
        "null where object",
        "duplicate key read",
        "duplicate key in a path",
        "lone surrogate",
        "depth 1001",
        "depth 1024",
    ],
)
def test_lines_the_reader_and_spark_might_read_differently_are_left_to_the_exact_parse(spark, name):
    assert decided(spark, "main", HOSTILE[name]) == [False]


@pytest.mark.parametrize(
    "name", ["int64 max", "int64 min", "minus zero", "depth 1000", "many shallow brackets", "bare major version"]
)
def test_lines_at_the_edges_of_what_both_read_alike_are_decided(spark, name):
    assert decided(spark, "main", HOSTILE[name]) == [True]


# -- without the jar -------------------------------------------------------------------


def test_without_the_reader_every_line_takes_the_exact_parse_and_the_run_says_so(spark, monkeypatch, caplog):
    # A class name no jar provides stands for the jar `make setup` did not build.
    monkeypatch.setattr(fastparse, "JAVA_CLASS", "crashrates.ingest.NotBuilt")
    monkeypatch.setattr(fastparse, "_READERS", {})
    frame = lines(spark, _flat(main_ping()), HOSTILE["duplicate key read"])
    with caplog.at_level(logging.INFO, logger="crash_rates.parse"):
        assert narrow_fields(frame, "main") is None
        assert narrow_fields(frame, "crash") is None
        read = fast_parse_pings(frame, "main")
    said = [r.getMessage() for r in caplog.records if r.name == "crash_rates.parse"]
    assert said == [
        "parse: the JVM reader crashrates.ingest.NotBuilt is not on the classpath (`make setup` builds it): "
        "every line takes Spark's exact parse, slower"
    ]
    exact = comparable(parse_pings(frame, "main")).collect()
    assert comparable(read).collect() == exact
    assert all(row.raw is not None for row in exact)  # the exact parse keeps every line's text
