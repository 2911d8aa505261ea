"""The Glean crash ping (SPEC section 3's Glean table), one crash counted once across formats,
the crash classes, and what each crash was."""

from __future__ import annotations

import json

import pytest

from lib.contract.vocabulary import CRASH_MEASURES, Limits
from lib.ingest.calendar import CALENDAR_SCHEMA
from lib.ingest.pings import parse_pings
from lib.runtime.local_frames import local_frame
from lib.transform.aggregate import to_crash_aggregates, to_crash_reasons, to_ping_measures
from lib.transform.classify import classify
from tests.pingbuilder import DELETE, crash_ping, glean_crash_ping, hash_storm, line_key, lines

LIMITS = Limits()


def classified(spark, **by_doc_type):
    calendar = local_frame(spark, [], CALENDAR_SCHEMA)
    parsed = {d: parse_pings(lines(spark, *pings), d) for d, pings in by_doc_type.items()}
    return classify(parsed, calendar, LIMITS)


def one(spark, ping) -> dict:
    rows = classified(spark, glean_crash=[ping]).collect()
    assert len(rows) == 1
    return rows[0].asDict()


def counts(spark, **by_doc_type) -> dict[str, int]:
    frame = classified(spark, **by_doc_type)
    measures = [to_ping_measures(frame, d, LIMITS) for d in by_doc_type]
    rows = to_crash_aggregates(measures[0].unionByName(measures[1]) if len(measures) > 1 else measures[0])
    total = rows.groupBy().sum(*CRASH_MEASURES).first()
    return {m: total[f"sum({m})"] or 0 for m in CRASH_MEASURES}


DIMENSION_CASES = [
    ({}, "channel", "release"),
    ({"metrics/string/crash.app_channel": "Beta"}, "channel", "beta"),
    ({"metrics/string/crash.app_channel": DELETE, "client_info.app_channel": "nightly"}, "channel", "nightly"),
    ({"metrics/string/crash.app_channel": "", "client_info.app_channel": "esr"}, "channel", "esr"),
    ({"metrics/string/crash.app_channel": "release-cck-x"}, "channel", "release"),
    # The crashed build, not the newer one reporting it:
    ({"client_info.app_display_version": "146.0"}, "display_version", "145.0"),
    (
        {"metrics/string/crash.app_display_version": DELETE, "client_info.app_display_version": "147.0b3"},
        "display_version",
        "147.0b3",
    ),
    ({"metrics/string/crash.app_display_version": "147.0b3"}, "version", "147.0"),
    ({"metrics/string/crash.app_display_version": "148.0a1"}, "version", "148.0a1"),
    ({"metrics/string/crash.app_display_version": "146.0.1"}, "version", "146.0.1"),
    ({"metrics/string/crash.app_display_version": "147.0b3"}, "major_version", 147),
    ({"client_info.app_build": "20261112000000"}, "build_id", "20261110093015"),
    (
        {"metrics/string/crash.app_build": DELETE, "client_info.app_build": "20261112000000"},
        "build_id",
        "20261112000000",
    ),
    ({}, "os", "Windows"),
    ({"client_info.os": "Darwin"}, "os", "Mac"),
    ({"client_info.os": "Linux"}, "os", "Linux"),
    ({"client_info.os": "Android"}, "os", "Android"),
    ({"client_info.os": "Windows_NT"}, "os", "Other"),
    ({"client_info.os_version": "10.0.19045.1"}, "os_version", "10.0.19045"),
    ({"client_info.architecture": "aarch64"}, "architecture", "aarch64"),
    ({"meta.geoCountry": "de"}, "country", "DE"),
]


def test_each_dimension_comes_from_its_glean_field(spark):
    # One ping per case, told apart by document id, classified together (one Spark job).
    pings = [
        glean_crash_ping(**changes, **{"meta.documentId": f"case-{n}"})
        for n, (changes, _, _) in enumerate(DIMENSION_CASES)
    ]
    rows = {r.doc_id: r for r in classified(spark, glean_crash=pings).collect()}
    got = [
        (rows[f"case-{n}"].disposition, rows[f"case-{n}"][column]) for n, (_, column, _) in enumerate(DIMENSION_CASES)
    ]
    assert got == [("aggregated", value) for _, _, value in DIMENSION_CASES]


QUARANTINED = [
    ({"meta.documentId": DELETE}, "missing_id", None),
    (
        {"metrics/string/crash.app_channel": DELETE, "client_info.app_channel": DELETE},
        "missing_channel",
        None,
    ),
    (
        {"metrics/string/crash.app_display_version": DELETE, "client_info.app_display_version": DELETE},
        "missing_version",
        None,
    ),
    ({"metrics/string/crash.app_build": "abc", "client_info.app_build": "abc"}, "malformed_build_id", "abc"),
    ({"metrics.string": "main"}, "wrong_type", "metrics.string is not an object"),
    (
        {"metrics/boolean/crash.startup": "true"},
        "wrong_type",
        'metrics.boolean["crash.startup"] is string, expected boolean',
    ),
    (
        {"metrics/quantity/memory.oom_allocation_size": "1MB"},
        "wrong_type",
        'metrics.quantity["memory.oom_allocation_size"] is string, expected bigint',
    ),
]


@pytest.fixture(scope="module")
def quarantined(spark) -> dict[int, dict]:
    """Every ping of QUARANTINED classified in one run, by its line (a quarantined line is
    never anyone's duplicate: each is judged as it would be alone)."""
    pings = [glean_crash_ping(**changes) for changes, _, _ in QUARANTINED]
    rows = classified(spark, glean_crash=pings).collect()
    assert len(rows) == len(pings)
    return {row["line_hash"]: row.asDict() for row in rows}


@pytest.mark.parametrize(("changes", "reason", "detail"), QUARANTINED)
def test_glean_pings_are_quarantined_by_the_same_rules(quarantined, changes, reason, detail):
    row = quarantined[line_key(glean_crash_ping(**changes))]
    assert (row["disposition"], row["reason"], row["detail"]) == ("quarantined", reason, detail)


def test_a_client_id_of_any_type_is_redacted_from_a_quarantined_glean_line(spark):
    row = one(spark, glean_crash_ping(**{"meta.documentId": DELETE, "client_info.client_id": {"id": 7}}))
    assert '"client_id":"<redacted>"' in row["raw"] and '"id":7' not in row["raw"]


@pytest.mark.parametrize(
    ("changes", "measure"),
    [
        ({}, "main_crashes"),
        ({"metrics/string/crash.process_type": DELETE}, "main_crashes"),
        ({"metrics/string/crash.process_type": "content"}, "content_crashes"),
        (
            {"metrics/string/crash.process_type": "content", "metrics/string/crash.ipc_channel_error": "ShutDownKill"},
            "content_shutdown_crashes",
        ),
    ],
)
def test_the_process_type_decides_the_crash_column(spark, changes, measure):
    got = counts(spark, glean_crash=[glean_crash_ping(**changes)])
    assert got == {m: int(m == measure) for m in CRASH_MEASURES}


def test_a_gpu_crash_counts_only_in_its_classes(spark):
    ping = glean_crash_ping(
        **{
            "metrics/string/crash.process_type": "gpu",
            "metrics/boolean/crash.startup": True,
            "metrics/quantity/memory.oom_allocation_size": 1048576,
            "metrics/object/crash.async_shutdown_timeout": {"phase": "x"},
            "metrics/string/crash.background_task_name": "backgroundupdate",
        }
    )
    expected = {"startup_crashes", "oom_crashes", "shutdown_hang_crashes", "background_task_crashes"}
    assert counts(spark, glean_crash=[ping]) == {m: int(m in expected) for m in CRASH_MEASURES}


def test_the_legacy_classes_come_from_the_crash_metadata(spark):
    ping = crash_ping(
        **{
            "payload.metadata.OOMAllocationSize": "1048576",
            "payload.metadata.AsyncShutdownTimeout": '{"phase":"x"}',
            "payload.metadata.BackgroundTaskName": "backgroundupdate",
        }
    )
    expected = {"main_crashes", "oom_crashes", "shutdown_hang_crashes", "background_task_crashes"}
    assert counts(spark, crash=[ping]) == {m: int(m in expected) for m in CRASH_MEASURES}


HASH = "5f95d0abb0104fa7d13378a47b799b489b6c321febbe1cd9a7b921207708526b"


def legacy(doc_id: str, at: str, minidump_hash: str | None = HASH) -> dict:
    changes = {"id": doc_id, "meta.submissionTimestamp": at}
    if minidump_hash:
        changes["payload.minidumpSha256Hash"] = minidump_hash
    return crash_ping(**changes)


def glean(doc_id: str, at: str, minidump_hash: str | None = HASH) -> dict:
    changes = {"meta.documentId": doc_id, "meta.submissionTimestamp": at}
    if minidump_hash:
        changes["metrics/string/crash.minidump_sha256_hash"] = minidump_hash
    return glean_crash_ping(**changes)


def dispositions(spark, **by_doc_type) -> dict[tuple[str, str], str]:
    return {(r.doc_type, r.doc_id): r.disposition for r in classified(spark, **by_doc_type).collect()}


def test_one_crash_sent_in_both_formats_counts_once_keeping_the_earliest(spark):
    got = dispositions(
        spark, crash=[legacy("L", "2026-11-20T10:00:00Z")], glean_crash=[glean("G", "2026-11-20T10:30:00+01:00")]
    )
    assert got == {("crash", "L"): "duplicate", ("glean_crash", "G"): "aggregated"}


def test_at_the_same_instant_the_legacy_copy_is_kept(spark):
    got = dispositions(
        spark, crash=[legacy("L", "2026-11-20T10:00:00Z")], glean_crash=[glean("G", "2026-11-20T11:00:00+01:00")]
    )
    assert got == {("crash", "L"): "aggregated", ("glean_crash", "G"): "duplicate"}


def test_the_same_hash_twice_in_one_format_is_one_crash_keeping_the_smaller_id(spark):
    got = dispositions(spark, glean_crash=[glean("B", "2026-11-20T10:00:00Z"), glean("A", "2026-11-20T10:00:00Z")])
    assert got == {("glean_crash", "A"): "aggregated", ("glean_crash", "B"): "duplicate"}


def test_a_hash_many_clients_share_merges_nothing_and_counts_its_documents(spark):
    """A failed minidump write reports the empty file's hash: 30 crashes of 30 clients and
    three process types are 30 crashes, not one (issue 24's storm of 1,000, in small)."""
    storm = hash_storm(30)
    rows = classified(spark, glean_crash=storm).collect()
    assert {r.disposition for r in rows} == {"aggregated"}
    assert {r.hash_documents for r in rows} == {30}
    assert counts(spark, glean_crash=storm)["main_crashes"] == 10


@pytest.mark.parametrize(
    ("other_client", "other_process", "kept"),
    [
        ("11111111-2222-4333-8444-555555555555", "main", 1),  # the same client and process: one crash
        ("99999999-2222-4333-8444-555555555555", "main", 2),  # another client: two crashes
        ("11111111-2222-4333-8444-555555555555", "content", 2),  # another process type: two crashes
    ],
)
def test_one_hash_is_one_crash_only_for_one_client_and_process_type(spark, other_client, other_process, kept):
    first = glean("A", "2026-11-20T10:00:00Z")
    second = glean("B", "2026-11-20T10:05:00Z")
    second["client_info"]["client_id"] = other_client
    second["metrics"]["string"]["crash.process_type"] = other_process
    got = dispositions(spark, glean_crash=[first, second])
    assert list(got.values()).count("aggregated") == kept


def test_one_crash_in_both_formats_merges_though_glean_names_its_client_otherwise(spark):
    """Glean's client id is not the legacy clientId: across formats the hash and process decide."""
    legacy_ping, glean_ping = legacy("L", "2026-11-20T10:00:00Z"), glean("G", "2026-11-20T10:30:00Z")
    glean_ping["client_info"]["client_id"] = "99999999-2222-4333-8444-555555555555"
    got = dispositions(spark, crash=[legacy_ping], glean_crash=[glean_ping])
    assert got == {("crash", "L"): "aggregated", ("glean_crash", "G"): "duplicate"}


def test_crashes_without_a_hash_are_told_apart_by_document_id_only(spark):
    rows = classified(
        spark,
        crash=[legacy("L", "2026-11-20T10:00:00Z", None)],
        glean_crash=[glean("G", "2026-11-20T10:00:00Z", None), glean("G", "2026-11-20T11:00:00Z", None)],
    ).collect()
    assert sorted((r.doc_type, r.disposition) for r in rows) == [
        ("crash", "aggregated"),
        ("glean_crash", "aggregated"),
        ("glean_crash", "duplicate"),
    ]


def test_the_same_crashes_give_the_same_counts_in_either_format_or_both(spark):
    crashes = [("main", "h1"), ("content", "h2"), ("content", None)]

    def as_legacy(n, process, h):
        return crash_ping(**{"id": f"l{n}", "payload.processType": process, "payload.minidumpSha256Hash": h})

    def as_glean(n, process, h):
        return glean_crash_ping(
            **{
                "meta.documentId": f"g{n}",
                "metrics/string/crash.process_type": process,
                "metrics/string/crash.minidump_sha256_hash": h,
            }
        )

    only_legacy = counts(spark, crash=[as_legacy(n, p, h) for n, (p, h) in enumerate(crashes)])
    only_glean = counts(spark, glean_crash=[as_glean(n, p, h) for n, (p, h) in enumerate(crashes)])
    hashed = [(n, p, h) for n, (p, h) in enumerate(crashes) if h]
    unhashed = [(n, p, h) for n, (p, h) in enumerate(crashes) if not h]
    both = counts(
        spark,
        crash=[as_legacy(*c) for c in hashed + unhashed],
        glean_crash=[as_glean(*c) for c in hashed],  # a crash without a hash is sent once
    )
    assert only_legacy == only_glean == both
    assert (both["main_crashes"], both["content_crashes"]) == (1, 2)


def reasons(spark, **by_doc_type) -> list[tuple]:
    rows = to_crash_reasons(classified(spark, **by_doc_type)).collect()
    return sorted((r.process_type, r.crash_type, r.crashing_module, r.moz_crash_reason, r.crashes) for r in rows)


TRACES = {
    "crash_type": "EXCEPTION_ACCESS_VIOLATION_READ",
    "crash_thread": 1,
    "modules": [{"filename": "xul.dll"}, {"filename": "nvwgf2umx.dll"}],
    "threads": [{"frames": [{"module_index": 0}]}, {"frames": [{"module_index": 1}, {"module_index": 0}]}],
}


def test_crash_reasons_read_the_glean_stack_traces_and_crash_reason(spark):
    ping = glean_crash_ping(
        **{"metrics/object/crash.stack_traces": TRACES, "metrics/string/crash.moz_crash_reason": "x" * 300}
    )
    assert reasons(spark, glean_crash=[ping]) == [
        ("main", "EXCEPTION_ACCESS_VIOLATION_READ", "nvwgf2umx.dll", "x" * 200, 1)
    ]


@pytest.mark.parametrize(
    "traces",
    [
        {**TRACES, "crash_thread": 7},
        {**TRACES, "crash_thread": -1},
        {**TRACES, "threads": [{"frames": []}, {"frames": [{"module_index": 9}]}]},
        {**TRACES, "modules": "not a list"},
        ["not", "an", "object"],
    ],
)
def test_malformed_stack_traces_give_a_null_module_never_a_quarantine(spark, traces):
    got = reasons(spark, glean_crash=[glean_crash_ping(**{"metrics/object/crash.stack_traces": traces})])
    assert [(process, module, n) for process, _, module, _, n in got] == [("main", None, 1)]


def test_crash_reasons_read_mozillas_legacy_stack_traces(spark, fixtures):
    ping = json.loads((fixtures / "firefox-pings" / "crash.4.stackTraces.pass.json").read_text())
    ping["meta"] = {"submissionTimestamp": "2026-11-20T09:00:00Z"}
    ping["application"]["buildId"] = "20261110093015"  # within the build window of DAY
    # Thread 0 crashed (crash_info.crashing_thread); its first frame is in module 1.
    assert reasons(spark, crash=[ping]) == [("content", "SIGABRT", "gconv-modules.cache", None, 1)]
