"""From classified pings to crash_aggregates, quarantine and dq_metrics rows (SPEC section 4)."""

from __future__ import annotations

from datetime import date
from functools import reduce

from chispa import assert_df_equality
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from lib.contract.vocabulary import Limits
from lib.ingest.calendar import CALENDAR_SCHEMA
from lib.ingest.pings import parse_pings
from lib.runtime.local_frames import local_frame
from lib.transform.aggregate import (
    DIMENSIONS,
    PING_MEASURES,
    to_client_counts,
    to_client_sums,
    to_crash_aggregates,
    to_dq_metrics,
    to_ping_measures,
)
from lib.transform.classify import classify
from lib.warehouse.tables import conform, table_spec
from tests.pingbuilder import DAY, crash_ping, lines, main_ping

LIMITS = Limits()
ROW = {
    "submission_date": DAY,
    "channel": "release",
    "version": "145.0",
    "display_version": "145.0",
    "major_version": 145,
    "build_id": "20261110093015",
    "os": "Windows",
    "os_version": "10.0.19045",
    "architecture": "x86-64",
    "country": "CA",
    "release_date": date(2026, 11, 10),
    "release_age_days": 10,
    "release_date_source": "build_id",
    "ping_count": 0,
    "usage_hours": 0.0,
    "active_hours": 0.0,
    **{m: 0 for m in PING_MEASURES if m not in ("ping_count", "usage_seconds", "active_seconds")},
    "run_id": None,  # stamped by the write (lib.warehouse.runs), not by a transform
}


def classified(spark, *pings, doc_type):
    calendar = local_frame(spark, [], CALENDAR_SCHEMA)
    return classify({doc_type: parse_pings(lines(spark, *pings), doc_type)}, calendar, LIMITS)


def input_lines(spark, day=DAY, **by_doc_type) -> DataFrame:
    """The files' own line counts, as the job gives them to to_dq_metrics."""
    rows = [(day, doc_type, n) for doc_type, n in by_doc_type.items()]
    return local_frame(spark, rows, "submission_date date, doc_type string, input_lines long")


def aggregates(spark, main=(), crash=()) -> DataFrame:
    measures = [
        to_ping_measures(classified(spark, *pings, doc_type=doc_type), doc_type, LIMITS)
        for doc_type, pings in (("main", main), ("crash", crash))
    ]
    return conform(to_crash_aggregates(reduce(DataFrame.unionByName, measures)), table_spec("crash_aggregates"))


def expected(spark, *rows) -> DataFrame:
    spec = table_spec("crash_aggregates")
    return spark.createDataFrame([tuple({**ROW, **r}[c] for c in spec.column_names) for r in rows], spec.schema)


def assert_aggregates(actual, wanted):
    assert_df_equality(actual, wanted, ignore_row_order=True, ignore_nullable=True)


def test_main_and_crash_pings_with_the_same_dimensions_share_one_row(spark):
    main = [
        main_ping(id="m1", **{"payload.info.subsessionLength": 3600}),
        main_ping(
            id="m2",
            **{
                "payload.info.subsessionLength": 1800,
                "payload.keyedHistograms.SUBPROCESS_CRASHES_WITH_DUMP.gpu.sum": 2,
            },
        ),
    ]
    crash = [
        crash_ping(id="c1"),
        crash_ping(id="c2", **{"payload.processType": None, "payload.metadata.StartupCrash": "1"}),
        crash_ping(
            id="c3",
            **{"payload.processType": "content", "payload.metadata.ipc_channel_error": "ShutDownKill"},
        ),
        crash_ping(
            id="c4",
            **{"payload.processType": "content", "payload.metadata.ipc_channel_error": "ChannelError"},
        ),
        crash_ping(id="c5", **{"payload.processType": "content"}),
    ]
    assert_aggregates(
        aggregates(spark, main, crash),
        expected(
            spark,
            {
                "ping_count": 2,
                "usage_hours": 1.5,
                "gpu_crashes": 2,
                "main_crashes": 2,
                "startup_crashes": 1,
                "content_crashes": 2,
                "content_shutdown_crashes": 1,
            },
        ),
    )


def client_sums(spark, main=(), crash=()) -> DataFrame:
    measures = [
        to_ping_measures(classified(spark, *pings, doc_type=doc_type), doc_type, LIMITS)
        for doc_type, pings in (("main", main), ("crash", crash))
    ]
    return conform(to_client_sums(reduce(DataFrame.unionByName, measures)), table_spec("crash_client_sums"))


def expected_sums(spark, **sums) -> DataFrame:
    spec = table_spec("crash_client_sums")
    return spark.createDataFrame([tuple({**ROW, **sums}[c] for c in spec.column_names)], spec.schema)


TICKS = "payload.processes.parent.scalars.browser_engagement_active_ticks"
A, B = "aaaaaaaa-0000-4000-8000-000000000000", "bbbbbbbb-0000-4000-8000-000000000000"


def test_client_sums_square_each_clients_own_totals_and_keep_no_client_id(spark):
    main = [
        main_ping(id="m1", clientId=A, **{"payload.info.subsessionLength": 3600, TICKS: 360}),
        main_ping(id="m2", clientId=A, **{"payload.info.subsessionLength": 1800}),
        main_ping(id="m3", clientId=B, **{"payload.info.subsessionLength": 7200, TICKS: 720}),
        main_ping(id="m4", clientId=None, **{"payload.info.subsessionLength": 3600}),  # a client of its own
    ]
    crash = [
        crash_ping(id="c1", clientId=A),
        crash_ping(id="c2", clientId=A),
        crash_ping(id="c3", clientId=A, **{"payload.processType": "content"}),
        crash_ping(id="c4", clientId=B, **{"payload.processType": "content"}),
    ]
    actual = client_sums(spark, main, crash)
    # A: 1.5 h (0.5 active), 2 main crashes, 1 content; B: 2 h (1 active), 1 content;
    # the ping without an id: 1 h (none active).
    assert_df_equality(
        actual,
        expected_sums(
            spark,
            clients=3,
            hours_sq=1.5**2 + 2.0**2 + 1.0**2,
            main_crashes_sq=2**2,
            main_crashes_hours=2 * 1.5,
            content_crashes_sq=1 + 1,
            content_crashes_hours=1 * 1.5 + 1 * 2.0,
            active_hours_sq=0.5**2 + 1.0**2,
            main_crashes_active_hours=2 * 0.5,
            content_crashes_active_hours=1 * 0.5 + 1 * 1.0,
        ),
        ignore_nullable=True,
    )
    assert not {"clientId", "client_id", "_client"} & set(actual.columns)


def test_client_sums_of_an_empty_day_are_no_rows(spark):
    assert client_sums(spark).count() == 0


def test_a_row_only_crash_pings_reach_has_no_pings_and_no_hours(spark):
    assert_aggregates(
        aggregates(spark, crash=[crash_ping(**{"meta.geoCountry": "FR"})]),
        expected(spark, {"country": "FR", "main_crashes": 1}),
    )


def test_a_crash_ping_of_another_process_type_adds_a_row_of_zeros_unless_a_startup_crash(spark):
    assert_aggregates(
        aggregates(
            spark,
            crash=[
                crash_ping(id="g", **{"payload.processType": "gpu"}),
                crash_ping(
                    id="r",
                    **{
                        "payload.processType": "rdd",
                        "payload.metadata.StartupCrash": "1",
                        "meta.geoCountry": "DE",
                    },
                ),
            ],
        ),
        expected(spark, {}, {"country": "DE", "startup_crashes": 1}),
    )


def test_usage_is_capped_per_ping_and_missing_usage_still_counts_the_ping(spark):
    main = [
        main_ping(id="long", **{"payload.info.subsessionLength": 200000}),
        main_ping(id="none", **{"payload.info.subsessionLength": None}),
        main_ping(id="zero", **{"payload.info.subsessionLength": 0}),
    ]
    assert_aggregates(aggregates(spark, main), expected(spark, {"ping_count": 3, "usage_hours": 24.0}))


def test_every_histogram_key_lands_in_its_own_column(spark):
    histogram = "payload.keyedHistograms.SUBPROCESS_CRASHES_WITH_DUMP"
    keys = {"gpu": 1, "plugin": 2, "gmplugin": 3, "rdd": 4, "socket": 5, "utility": 6, "content": 99}
    ping = main_ping(**{f"{histogram}.{k}": {"sum": v, "values": {"0": v}} for k, v in keys.items()})
    wanted = {f"{k}_crashes": v for k, v in keys.items() if k != "content"}
    assert_aggregates(aggregates(spark, [ping]), expected(spark, {"ping_count": 1, "usage_hours": 2.0, **wanted}))


def test_dimensions_split_rows_and_duplicates_quarantine_and_exclusions_add_nothing(spark):
    main = [
        main_ping(id="a"),
        main_ping(id="a"),
        main_ping(id="b", **{"environment.system.os.name": "Linux", "environment.system.os.version": "6.1"}),
        main_ping(id="c", **{"payload.info.subsessionLength": -1}),
        main_ping(id="d", **{"application.buildId": "2019010100"}),
    ]
    assert_aggregates(
        aggregates(spark, main),
        expected(
            spark,
            {"ping_count": 1, "usage_hours": 2.0},
            {"ping_count": 1, "usage_hours": 2.0, "os": "Linux", "os_version": "6.1"},
        ),
    )


def test_the_grain_is_the_dimensions_of_spec_section_4():
    spec = table_spec("crash_aggregates")
    assert list(DIMENSIONS) == spec.column_names[: len(DIMENSIONS)]
    assert "client_id" not in spec.column_names and "clientId" not in spec.column_names


def test_dq_metrics_count_every_line_once(spark):
    pings = [
        main_ping(id="a"),
        main_ping(id="a"),
        main_ping(id="b", **{"payload.info.subsessionLength": None}),
        main_ping(id="c", **{"payload.info.subsessionLength": 90000}),
        main_ping(id="d", **{"application.buildId": "2019010100"}),
        "garbage",
    ]
    actual = to_dq_metrics(classified(spark, *pings, doc_type="main"), input_lines(spark, main=6), LIMITS)
    wanted = spark.createDataFrame(
        [(DAY, "main", 6, 3, 1, 1, 1, 1, 1, 0)],
        "submission_date date, doc_type string, input_lines long, aggregated long, duplicates long, "
        "excluded long, quarantined long, usage_capped long, missing_usage long, other_usage_source long",
    )
    assert_df_equality(actual, wanted, ignore_nullable=True)


def test_dq_metrics_of_an_empty_day_is_one_row_of_zeros(spark):
    empty = classified(spark, crash_ping(), doc_type="crash").limit(0)
    row = to_dq_metrics(empty, input_lines(spark, crash=0), LIMITS).collect()
    assert [r.asDict() for r in row] == [
        {
            "submission_date": DAY,
            "doc_type": "crash",
            "input_lines": 0,
            "aggregated": 0,
            "duplicates": 0,
            "excluded": 0,
            "quarantined": 0,
            "usage_capped": 0,
            "missing_usage": 0,
            "other_usage_source": 0,
        }
    ]


def client_counts(spark, main=(), crash=()) -> DataFrame:
    frames = {
        doc_type: parse_pings(lines(spark, *pings), doc_type) for doc_type, pings in (("main", main), ("crash", crash))
    }
    rows = classify(frames, local_frame(spark, [], CALENDAR_SCHEMA), LIMITS)
    return conform(to_client_counts(rows, LIMITS), table_spec("client_counts"))


C = "cccccccc-0000-4000-8000-000000000000"


def test_client_counts_sketch_active_and_crashing_clients_per_release_and_platform(spark):
    main = [main_ping(id=f"m{n}", clientId=client) for n, client in enumerate([A, A, B, C])]
    crash = [
        crash_ping(id="c1", clientId=A),
        crash_ping(id="c2", clientId=A),  # one client crashing twice is one crashing client
        crash_ping(
            id="c3",
            clientId=B,
            **{"payload.processType": "content", "payload.metadata.ipc_channel_error": "ShutDownKill"},
        ),
    ]
    (row,) = client_counts(spark, main, crash).collect()
    assert (row.channel, row.display_version, row.os) == ("release", "145.0", "Windows")
    assert (row.active_clients, row.crashing_clients) == (3, 1)  # B's kill at shutdown is no crash here
    assert row.active_clients_sketch and row.crashing_clients_sketch  # bytes, mergeable later


def test_a_release_without_crashes_has_no_crashing_sketch_and_zero_crashing_clients(spark):
    (row,) = client_counts(spark, [main_ping(id="m1", clientId=A)]).collect()
    assert (row.active_clients, row.crashing_clients, row.crashing_clients_sketch) == (1, 0, None)


def test_client_counts_sketches_are_the_same_bytes_whatever_order_the_pings_arrive_in(spark):
    """A re-run, or a range, reads the same pings in another order and partitioning: the
    sketches must not change (SPEC: a re-run gives the same tables), only their estimates would."""
    clients = [f"{n:08d}-0000-4000-8000-000000000000" for n in range(40)]
    pings = classified(spark, *[main_ping(id=f"m{n}", clientId=c) for n, c in enumerate(clients)], doc_type="main")
    forward = pings.orderBy("client_id").coalesce(1)
    backward = pings.orderBy(F.desc("client_id")).repartition(3)

    def sketch(rows: DataFrame) -> bytes:
        (row,) = to_client_counts(rows, LIMITS).collect()
        assert row.active_clients == len(clients)
        return bytes(row.active_clients_sketch)

    assert sketch(forward) == sketch(backward)
