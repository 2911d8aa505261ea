"""Classified crash pings to crash signatures, symbolicated in Spark (SPEC section 4).

Chain, over the aggregated crash rows of :func:`lib.transform.classify.classify`::

    frames = crash_frames(crashes)                        # one row per frame siggen reads
    named = symbolicate(frames, symbol_records(sym_lines))  # + function, from .sym files
    signed = with_signatures(crashes, named)              # + signature, siggen's
    signed.transform(to_crash_signatures)                 # the table's grain

Frames, addresses and symbols stay in the JVM: frames are read from the stack-traces
variant, and each frame finds its function in one sort of frames and function starts
per module, the last FUNC and PUBLIC record carried forward by a window (no join of
frames to every record). Only siggen itself runs in Python, once per crash row, on
rows :func:`lib.transform.crash_signature.crash_data` turns into its input.
"""

from __future__ import annotations

from typing import Any

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F
from pyspark.sql.types import StringType

from lib.transform.aggregate import CLIENT_KEY
from lib.transform.crash_signature import (
    FRAMES_CONSIDERED,
    FUNC_PATTERN,
    PUBLIC_PATTERN,
    SIGGEN_VERSION,
    crash_data,
    frame,
    signature,
)

CRASH_KEY = ("doc_type", "source_file", "line_hash", "doc_id")  # one aggregated crash row
MODULE = ("debug_file", "debug_id")  # what names a module's symbols in the store
SIGNATURE_GRAIN = (
    "submission_date",
    "channel",
    "version",
    "display_version",
    "build_id",
    "os",
    "process_type",
    "release_date",
    "release_age_days",
    "signature",
)
FIRST_SEEN_GRAIN = ("channel", "signature")
# Record kinds, in the order a sort by address puts them when they share one: a FUNC or
# PUBLIC starting at a frame's offset holds that frame.
FUNC, PUBLIC, FRAME = 0, 1, 2
_INTEGER_KINDS = ("BIGINT", "INT", "SMALLINT", "TINYINT")


def address(value: Column) -> Column:
    """An address in a stack-traces variant, hex text (``"0x7ff6a1b2c3d4"``) or a number,
    as decimal(20, 0) (a 64-bit address may not fit a long); null for anything else.
    The column twin of :func:`lib.transform.crash_signature.address`."""
    kind = F.schema_of_variant(value)
    hexa = F.regexp_extract(F.try_variant_get(value, "$", "string"), r"^\s*0[xX]([0-9a-fA-F]{1,16})\s*$", 1)
    from_text = F.when(hexa != "", F.conv(hexa, 16, 10).cast("decimal(20,0)"))
    number = F.try_variant_get(value, "$", "decimal(20,0)")
    integral = kind.isin(*_INTEGER_KINDS) | (kind.startswith("DECIMAL(") & kind.endswith(",0)"))
    return F.when(kind == "STRING", from_text).when(integral & (number >= 0), number)


def _crashing_thread(stack: Column) -> Column:
    # Legacy: crash_info.crashing_thread; Glean: crash_thread (crashing_thread in some builds).
    return F.coalesce(
        *[F.try_variant_get(stack, path, "int") for path in ("$.crash_info.crashing_thread", "$.crash_thread")],
        F.try_variant_get(stack, "$.crashing_thread", "int"),
    )


def with_crashing_thread(crashes: DataFrame) -> DataFrame:
    """Needs ``stack_traces``; adds ``crashing_thread`` (null without traces)."""
    return crashes.withColumn("crashing_thread", _crashing_thread(F.col("stack_traces")))


def crash_frames(crashes: DataFrame) -> DataFrame:
    """Needs :data:`CRASH_KEY`, ``crashing_thread`` and ``stack_traces``; one row per frame
    siggen reads (the first 40 of the crashing thread and of thread 0, which its
    shutdown-hang rule reads): the key, ``thread``, ``frame_index``, ``module`` (file name),
    ``debug_file``, ``debug_id``, ``module_offset`` (long) and ``ip`` (decimal). A frame
    whose module is unknown, or whose address is below its module's base, has none."""
    stack = F.col("stack_traces")
    threads = F.try_variant_get(stack, "$.threads", "array<variant>")
    wanted = F.array_distinct(F.array(F.col("crashing_thread"), F.lit(0)))
    present = F.filter(wanted, lambda t: t.isNotNull() & (t >= 0) & (t < F.size(threads)))
    per_thread = crashes.select(
        *CRASH_KEY,
        F.try_variant_get(stack, "$.modules", "array<variant>").alias("_modules"),
        F.explode(present).alias("thread"),
        threads.alias("_threads"),
    )
    frames_of = F.try_variant_get(F.try_element_at("_threads", F.col("thread") + 1), "$.frames", "array<variant>")
    per_frame = per_thread.select(
        *CRASH_KEY,
        "thread",
        "_modules",
        F.posexplode(F.slice(F.coalesce(frames_of, F.array()), 1, FRAMES_CONSIDERED)).alias("frame_index", "_frame"),
    )
    index = F.try_variant_get("_frame", "$.module_index", "int")
    module = F.when((index >= 0) & (index < F.size("_modules")), F.try_element_at("_modules", index + 1))
    base = address(
        F.coalesce(
            F.try_variant_get(module, "$.base_address", "variant"), F.try_variant_get(module, "$.base_addr", "variant")
        )
    )
    ip = address(F.try_variant_get("_frame", "$.ip", "variant"))
    text = {name: F.try_variant_get(module, f"$.{name}", "string") for name in ("filename", *MODULE)}
    inside = ip >= base
    return per_frame.select(
        *CRASH_KEY,
        "thread",
        "frame_index",
        F.when(inside, text["filename"]).alias("module"),
        F.when(inside, text["debug_file"]).alias("debug_file"),
        F.when(inside, text["debug_id"]).alias("debug_id"),
        F.when(inside, (ip - base).cast("long")).alias("module_offset"),
        ip.alias("ip"),
    )


def symbol_modules(frames: DataFrame) -> DataFrame:
    """The distinct modules of ``frames`` whose symbols could name a frame: the ones the
    edge reads ``.sym`` files for (:func:`lib.ingest.symbols.read_symbols`)."""
    return (
        frames.where(
            F.col("module_offset").isNotNull() & F.col("debug_file").isNotNull() & F.col("debug_id").isNotNull()
        )
        .select(*MODULE)
        .distinct()
    )


def symbol_records(sym_lines: DataFrame) -> DataFrame:
    """Needs ``debug_file``, ``debug_id`` and ``value`` (a line of the module's ``.sym``
    file); one row per FUNC or PUBLIC record: ``kind``, ``address``, ``size`` (null for
    a PUBLIC) and ``name``. Every other line is dropped."""
    value = F.regexp_replace("value", r"\r$", "")
    is_func, is_public = value.startswith("FUNC "), value.startswith("PUBLIC ")

    def hex_field(pattern: str, group: int) -> Column:
        return F.conv(F.regexp_extract(value, pattern, group), 16, 10).cast("long")

    return sym_lines.where(is_func | is_public).select(
        *MODULE,
        F.when(is_func, F.lit(FUNC)).otherwise(F.lit(PUBLIC)).alias("kind"),
        F.when(is_func, hex_field(FUNC_PATTERN, 1)).otherwise(hex_field(PUBLIC_PATTERN, 1)).alias("address"),
        F.when(is_func, hex_field(FUNC_PATTERN, 2)).alias("size"),
        F.when(is_func, F.regexp_extract(value, FUNC_PATTERN, 3))
        .otherwise(F.regexp_extract(value, PUBLIC_PATTERN, 2))
        .alias("name"),
    )


def symbolicate(frames: DataFrame, records: DataFrame | None) -> DataFrame:
    """Adds ``function`` to :func:`crash_frames`: the name of the FUNC record whose
    [address, address + size) holds the frame's module offset, else of the last PUBLIC
    record at or below it; null without symbols (``records`` None or none of its module).

    Frames and ``records`` (:func:`symbol_records`) of a module are sorted together by
    address, and each frame takes the last FUNC and PUBLIC before it: one sort per
    module, whatever the number of frames and records."""
    if records is None:
        return frames.withColumn("function", F.lit(None).cast("string"))
    named = frames.where(F.col("module_offset").isNotNull() & F.col("debug_file").isNotNull())
    unnamed = frames.where(F.col("module_offset").isNull() | F.col("debug_file").isNull())
    keyed = named.select(
        *MODULE,
        F.lit(FRAME).alias("kind"),
        F.col("module_offset").alias("address"),
        F.struct(*frames.columns).alias("_f"),
    )
    entries = records.select(*MODULE, "kind", "address", F.struct("address", "size", "name").alias("_r"))
    ordered = Window.partitionBy(*MODULE).orderBy("address", "kind").rowsBetween(Window.unboundedPreceding, 0)
    func = F.last(F.when(F.col("kind") == FUNC, F.col("_r")), ignorenulls=True).over(ordered)
    public = F.last(F.when(F.col("kind") == PUBLIC, F.col("_r.name")), ignorenulls=True).over(ordered)
    resolved = (
        keyed.unionByName(entries, allowMissingColumns=True)
        .select("kind", "_f", func.alias("_func"), public.alias("_public"))
        .where(F.col("kind") == FRAME)
    )
    holds = F.col("_func.address") + F.col("_func.size") > F.col("_f.module_offset")
    function = F.when(holds, F.col("_func.name")).otherwise(F.col("_public"))
    return resolved.select("_f.*", function.alias("function")).unionByName(
        unnamed.withColumn("function", F.lit(None).cast("string"))
    )


def signature_of(
    os: str | None,
    crashing_thread: int | None,
    frames: list[Any] | None,
    moz_crash_reason: str | None,
    oom_allocation_size: str | None,
    ipc_channel_error: str | None,
    async_shutdown_timeout: str | None,
    java_exception_json: str | None,
) -> str:
    """One crash row's signature: its frames (``thread``, ``frame_index``, ``module``,
    ``module_offset``, ``function``, ``ip``) and annotations as the Spark row holds them."""
    threads: dict[int, list[dict[str, Any]]] = {}
    for f in sorted(frames or [], key=lambda f: (f["thread"], f["frame_index"])):
        ip = int(f["ip"]) if f["ip"] is not None else None
        threads.setdefault(f["thread"], []).append(frame(f["module"], f["module_offset"], f["function"], ip))
    data = crash_data(
        os,
        crashing_thread,
        threads,
        moz_crash_reason=moz_crash_reason,
        oom_allocation_size=oom_allocation_size,
        ipc_channel_error=ipc_channel_error,
        async_shutdown_timeout=async_shutdown_timeout,
        java_exception_value=java_exception_json,
    )
    return signature(data)


def _text(column: str) -> Column:
    """A variant annotation as JSON text, a text one as it is."""
    return F.to_json(F.col(column))


def with_signatures(crashes: DataFrame, frames: DataFrame) -> DataFrame:
    """Needs :data:`CRASH_KEY`, ``crashing_thread`` (:func:`with_crashing_thread`), ``os_name``
    and the annotations of both formats; ``frames`` are its :func:`symbolicate`'d frames.
    Adds ``signature``, siggen's (SPEC section 4), computed once per crash row."""
    per_crash = frames.groupBy(*CRASH_KEY).agg(
        F.collect_list(F.struct("thread", "frame_index", "module", "module_offset", "function", "ip")).alias("_frames")
    )
    # A plain (pickled-row) Python UDF, said outright: left to infer it from the type hints,
    # pyspark warns on every night's output that it cannot.
    generate = F.udf(signature_of, StringType(), useArrow=False)
    oom = F.coalesce(F.col("oom_allocation_size").cast("string"), F.col("oom_allocation_size_text"))
    shutdown = F.coalesce(_text("async_shutdown_timeout"), F.col("async_shutdown_timeout_text"))
    signed = crashes.join(per_crash, list(CRASH_KEY), "left").withColumn(
        "signature",
        generate(
            F.col("os_name"),
            F.col("crashing_thread"),
            F.col("_frames"),
            F.col("moz_crash_reason_raw"),
            oom,
            F.col("ipc_channel_error"),
            shutdown,
            _text("java_exception"),
        ),
    )
    return signed.drop("_frames")


def to_crash_signatures(signed: DataFrame) -> DataFrame:
    """Changes the grain of signed crash rows (one row per aggregated crash; a crash
    without a client id is a client of its own, as in crash_client_sums) to
    :data:`SIGNATURE_GRAIN`: ``crashes``, ``clients`` and ``crashes_sq`` (the sum over clients
    of each client's crashes squared: with ``crashes`` and the hours of crash_aggregates,
    what a cluster-robust interval needs), and ``siggen_version``. The client key is dropped."""
    own_key = F.concat_ws(":", "doc_type", "source_file", F.col("line_hash").cast("string"))
    clients = signed.withColumn(CLIENT_KEY, F.coalesce("client_id", own_key))
    per_client = clients.groupBy(*SIGNATURE_GRAIN, CLIENT_KEY).agg(F.count(F.lit(1)).alias("_crashes"))
    return per_client.groupBy(*SIGNATURE_GRAIN).agg(
        F.sum("_crashes").alias("crashes"),
        F.count(F.lit(1)).alias("clients"),
        F.sum(F.col("_crashes") * F.col("_crashes")).alias("crashes_sq"),
        F.lit(SIGGEN_VERSION).alias("siggen_version"),
    )


def to_signature_first_seen(crash_signatures: DataFrame) -> DataFrame:
    """Changes the grain of the whole ``crash_signatures`` table to one row per (channel,
    signature): ``first_date``, and the ``first_version`` and ``first_build_id`` of that
    date (the smallest build id, then version, when several crashed first on one date).
    Computed from every date the table holds, so re-runs and ranges in any order give
    what the nights in order would have."""
    earliest = Window.partitionBy(*FIRST_SEEN_GRAIN).orderBy("submission_date", "build_id", "version")
    return (
        crash_signatures.select(*FIRST_SEEN_GRAIN, "submission_date", "version", "build_id")
        .withColumn("_n", F.row_number().over(earliest))
        .where(F.col("_n") == 1)
        .select(
            *FIRST_SEEN_GRAIN,
            F.col("submission_date").alias("first_date"),
            F.col("version").alias("first_version"),
            F.col("build_id").alias("first_build_id"),
        )
    )
