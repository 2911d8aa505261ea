"""The one JSON parse: what it reads, and how it names what it cannot read.

Every test here runs on both paths, the exact Spark parse and the fast one
(the JVM reader, falling back to the exact parse line by line): they must agree.
"""

from __future__ import annotations

import json

import pytest

from lib.ingest.pings import fast_parse_pings, leaves, parse_pings, ping_schema
from tests.pingbuilder import DELETE, crash_ping, lines, main_ping

PARSERS = {"exact": parse_pings, "fast": fast_parse_pings}


@pytest.fixture(params=PARSERS)
def parse(request):
    """One of the two paths: every test taking it runs on both."""
    return PARSERS[request.param]


@pytest.fixture
def parse_one(parse):
    def parse_one(spark, ping, doc_type="main"):
        return parse(lines(spark, ping), doc_type).first().asDict()

    return parse_one


def test_a_good_main_ping_reads_every_field_with_its_type(spark, parse_one):
    row = parse_one(spark, main_ping(**{"payload.keyedHistograms.SUBPROCESS_CRASHES_WITH_DUMP.gpu.sum": 3}))
    assert row["json_error"] is None and row["type_error"] is None
    assert row["doc_id"] == "00000000-0000-4000-8000-000000000001"
    assert row["app_channel"] == "release"
    assert row["env_build_id"] == "20261110093015"
    assert row["os_name"] == "Windows_NT"
    assert row["geo_country"] == "CA"
    assert row["subsession_length"] == 7200
    assert row["gpu_crash_sum"] == 3
    assert row["plugin_crash_sum"] is None


def test_a_crash_ping_reads_its_payload(spark, parse_one):
    row = parse_one(
        spark,
        crash_ping(**{"payload.processType": "content", "payload.metadata.ipc_channel_error": "ShutDownKill"}),
        "crash",
    )
    assert (row["process_type"], row["ipc_channel_error"], row["startup_crash_flag"]) == (
        "content",
        "ShutDownKill",
        "0",
    )


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        (
            {"payload.info.subsessionLength": "7200"},
            "payload.info.subsessionLength is string, expected bigint",
        ),
        (
            {"payload.info.subsessionLength": 7200.5},
            "payload.info.subsessionLength is decimal(5,1), expected bigint",
        ),
        ({"application.buildId": 20261110093015}, "application.buildId is bigint, expected string"),
        ({"application.channel": ["release"]}, "application.channel is array, expected string"),
        ({"id": {"uuid": "x"}}, "id is object, expected string"),
        ({"meta.geoCountry": 1}, "meta.geoCountry is bigint, expected string"),
        ({"application": "release"}, "application is not an object"),
        ({"environment.system": []}, "environment.system is not an object"),
        (
            {"payload.keyedHistograms.SUBPROCESS_CRASHES_WITH_DUMP.gpu": 2},
            "payload.keyedHistograms.SUBPROCESS_CRASHES_WITH_DUMP.gpu is not an object",
        ),
    ],
)
def test_a_field_of_the_wrong_type_is_named_not_coerced(spark, changes, error, parse_one):
    row = parse_one(spark, main_ping(**changes))
    assert row["type_error"] == error
    assert row["json_error"] is None


def test_json_nulls_and_missing_fields_are_simply_missing(spark, parse_one):
    row = parse_one(
        spark,
        main_ping(**{"payload.info.subsessionLength": None, "meta": DELETE, "application.displayVersion": None}),
    )
    assert row["type_error"] is None
    assert (row["subsession_length"], row["geo_country"], row["app_display_version"]) == (None, None, None)


def test_fields_the_job_does_not_read_may_have_any_shape(spark, parse_one):
    row = parse_one(spark, main_ping(**{"payload.histograms": "not an object", "environment.addons": 5}))
    assert row["type_error"] is None and row["json_error"] is None


@pytest.mark.parametrize("text", ["not json", "", "[1, 2]", '"a string"', "42", '{"id": "x",', "null"])
def test_a_line_that_is_not_a_json_object_says_so(spark, text, parse_one):
    row = parse_one(spark, text)
    assert row["json_error"] == "not a JSON object"
    assert row["type_error"] is None


def test_empty_input_gives_an_empty_frame_with_every_column(spark, parse):
    parsed = parse(lines(spark, main_ping()).limit(0), "main")
    assert parsed.count() == 0
    assert {leaf.column for leaf in leaves(ping_schema("main"))} <= set(parsed.columns)


def test_every_leaf_has_a_distinct_flat_name():
    for doc_type in ("main", "crash"):
        names = [leaf.column for leaf in leaves(ping_schema(doc_type))]
        assert len(names) == len(set(names))


@pytest.mark.parametrize(
    ("field", "error"),
    [
        ('"subsessionLength":{"a":1,"a":2}', "payload.info.subsessionLength has a duplicate key, expected bigint"),
        ('"subsessionLength":[{"a":1,"a":2}]', "payload.info.subsessionLength has a duplicate key, expected bigint"),
    ],
)
def test_a_duplicate_key_in_a_field_the_job_reads_is_a_wrong_type_not_a_missing_field(spark, field, error, parse_one):
    text = json.dumps(main_ping(), separators=(",", ":")).replace('"subsessionLength":7200', field)
    row = parse_one(spark, text)
    assert (row["json_error"], row["type_error"], row["subsession_length"]) == (None, error, None)


def test_a_duplicate_key_in_a_histogram_sum_is_a_wrong_type(spark, parse_one):
    ping = main_ping(**{"payload.keyedHistograms.SUBPROCESS_CRASHES_WITH_DUMP.gpu.sum": 3})
    text = json.dumps(ping, separators=(",", ":")).replace('"sum":3', '"sum":{"n":1,"n":2}')
    row = parse_one(spark, text)
    expected = "payload.keyedHistograms.SUBPROCESS_CRASHES_WITH_DUMP.gpu.sum has a duplicate key, expected bigint"
    assert row["type_error"] == expected


def nested(depth: int) -> str:
    """A main ping with an extra field, never read, whose arrays nest so that the line is ``depth`` deep."""
    text = json.dumps(main_ping(), separators=(",", ":"))
    return text[:-1] + ',"deep":' + "[" * (depth - 1) + "]" * (depth - 1) + "}"


def test_a_line_nested_deeper_than_the_parser_reads_says_how_deep(spark, parse_one):
    row = parse_one(spark, nested(5001))
    assert row["json_error"] == "not a JSON object: nested 5001 levels deep (the parser reads 1000)"


def test_deep_nesting_within_the_parsers_limit_is_read(spark, parse_one):
    row = parse_one(spark, nested(1000))
    assert (row["json_error"], row["type_error"], row["subsession_length"]) == (None, None, 7200)


def test_brackets_inside_strings_do_not_count_as_nesting(spark, parse_one):
    # Invalid (a trailing comma) and 1,500 brackets deep, but all inside a string, after an escaped quote.
    text = '{"a":"\\"' + "[" * 1500 + '",}'
    assert parse_one(spark, text)["json_error"] == "not a JSON object"


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"clientId": 42}, "clientId is bigint, expected string"),
        ({"creationDate": ["2026-11-20"]}, "creationDate is array, expected string"),
    ],
)
def test_a_wrong_type_in_a_field_only_the_checks_read_is_reported_not_quarantined(spark, changes, error, parse_one):
    row = parse_one(spark, main_ping(**changes))
    assert (row["type_error"], row["check_field_error"]) == (None, error)


def test_empty_strings_are_read_as_missing(spark, parse_one):
    row = parse_one(spark, main_ping(**{"application.buildId": "", "meta.geoCountry": "", "id": ""}))
    assert (row["app_build_id"], row["geo_country"], row["doc_id"]) == (None, None, None)
    assert row["env_build_id"] == "20261110093015"


def _length_written(text: str) -> str:
    """A main ping whose subsessionLength is ``text``, as written in the line."""
    line = json.dumps(main_ping(), separators=(",", ":"))
    assert '"subsessionLength":7200' in line
    return line.replace('"subsessionLength":7200', f'"subsessionLength":{text}', 1)


# Issue 36: JSON Schema's integer (draft 6 on) is any number with a zero fractional part,
# and Python reads these as integers; a fraction or a value beyond 64 bits is no integer.
INTEGRAL = {"1e3": 1000, "36e2": 3600, "1.0": 1, "7200.000": 7200, "1.5e3": 1500, "-0.0": 0, "2E1": 20, "0e0": 0}
NOT_INTEGRAL = {
    "7200.5": "decimal(5,1)",
    "1e-3": "double",
    "1.255e2": "double",
    "1e19": "double",
    "9223372036854775808.0": "decimal(19,0)",
    "1e400": "double",
}


def test_a_whole_number_written_with_a_fraction_or_exponent_is_an_integer(spark, parse):
    texts = [_length_written(t) for t in [*INTEGRAL, *NOT_INTEGRAL]]
    rows = parse(lines(spark, *texts), "main").select("line_hash", "subsession_length", "type_error").collect()
    got = {r.line_hash: (r.subsession_length, r.type_error) for r in rows}
    for text, value in INTEGRAL.items():
        assert got[hash(_length_written(text))] == (value, None), text
    for text, kind in NOT_INTEGRAL.items():
        error = f"payload.info.subsessionLength is {kind}, expected bigint"
        assert got[hash(_length_written(text))] == (None, error), text
