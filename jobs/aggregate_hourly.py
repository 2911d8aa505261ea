"""A release day's provisional numbers, hour by hour, from the files landed so far.

**Each run** reads the files of the date's partitions (every doc type) that landed
since the last run, parses and classifies them exactly as the night does, and adds
their counts to ``crash_aggregates_hourly`` by (submission hour, channel,
display_version, os). Run it as often as you like, during the date and after it.

**Each file once.** Spark's file stream source remembers, in the query's checkpoint
(``<warehouse>/_checkpoints/aggregate_hourly/submission_date=D``), which files each
micro-batch read; a micro-batch that died half-way is run again with the same files.
Its two writes are Delta's idempotent writes (``txnAppId``, ``txnVersion`` = the
batch): a replayed batch skips what it had already committed. **Each ping once:**
the keys of what a batch counted go to ``hourly_counted``, and a later batch's ping
whose key an earlier batch counted is a duplicate (:mod:`lib.transform.hourly`).

**The night is the truth.** ``aggregate_crashes`` rewrites the date's hourly rows
from its own parse (``batch_id`` null), so summed over hours they equal
``crash_aggregates``; an hourly run for a date whose night has run adds nothing.

    python -m jobs.aggregate_hourly --date 2026-11-17 --raw RAW --warehouse WH [--releases DIR]
"""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass, field
from datetime import date

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from lib.contract.deploy import code_version
from lib.contract.errors import JobError
from lib.contract.vocabulary import DOC_TYPES, Limits
from lib.ingest.calendar import read_calendar
from lib.ingest.landing import MissingPartition, open_partition, stream_new_lines
from lib.ingest.pings import fast_parse_pings
from lib.runtime.cli import Progress, job_parser, main_wrapper, parse_args
from lib.runtime.local_frames import local_frame
from lib.runtime.session import build_session
from lib.transform.aggregate import to_hourly_aggregates
from lib.transform.classify import AGGREGATED, DUPLICATE, EXCLUDED, QUARANTINED, checkpointed, classify
from lib.transform.hourly import to_counted_keys, without_counted
from lib.warehouse.runs import require_whole
from lib.warehouse.tables import append_once, delete_batch, read_table_if_exists, table_spec

JOB = "aggregate_hourly"


@dataclass(frozen=True)
class Config:
    day: date
    raw: str
    warehouse: str
    releases: str | None = None
    limits: Limits = field(default_factory=Limits)

    @property
    def checkpoint(self) -> str:
        return f"{self.warehouse.rstrip('/')}/_checkpoints/{JOB}/submission_date={self.day.isoformat()}"


class NightAlreadyRan(JobError):
    """The date's night has run: nothing to add."""


class AnotherRunHoldsTheDate(JobError):
    """Two hourly runs of one date at once: the second stops, the first counts the files."""


# How a second run at once fails: on the checkpoint's first file, on its log of batches
# (or, starting batch 0, on finding the other run's batch already in it), or on the
# idempotent Delta write of the same batch.
CONCURRENT_RUN = (
    "/metadata already exists",
    "STATE_STORE_CHECKPOINT_LOCATION_NOT_EMPTY",
    "should be empty on batch 0",
    "Concurrent update to the log",
    "Multiple streaming queries",
    "ConcurrentTransactionException",
    "DELTA_CONCURRENT",
)


def read_config(argv: list[str]) -> Config:
    parser = job_parser(JOB, __doc__, "date", "warehouse", "raw", "releases", "limits")
    args = parse_args(parser, argv)
    return Config(args.date, args.raw, args.warehouse, args.releases, args.limits)


def night_has_run(spark: SparkSession, config: Config) -> bool:
    """True once the night wrote the date (its hourly rows carry no batch)."""
    hourly = read_table_if_exists(spark, config.warehouse, "crash_aggregates_hourly")
    if hourly is None:
        return False
    mine = hourly.where((F.col("submission_date") == F.lit(config.day)) & F.col("batch_id").isNull())
    return not mine.isEmpty()


def _counted_before(spark: SparkSession, config: Config, batch_id: int) -> DataFrame:
    counted = read_table_if_exists(spark, config.warehouse, "hourly_counted")
    if counted is None:
        return local_frame(spark, [], "key string")
    # Only earlier batches: a batch run again sees what it saw the first time.
    return counted.where((F.col("submission_date") == F.lit(config.day)) & (F.col("batch_id") < batch_id))


def count_batch(
    spark: SparkSession, config: Config, lines: DataFrame, batch_id: int, progress: Progress
) -> dict[str, int]:
    """One micro-batch of newly landed lines: classify, drop what earlier batches counted,
    remember what this one counts, add its hourly rows; returns the lines per disposition."""
    if night_has_run(spark, config):
        raise NightAlreadyRan(f"the night of {config.day} has run: its hourly rows are final")
    calendar = read_calendar(spark, config.releases).to_frame(spark)
    lines = lines.persist()
    try:
        parsed = {d: fast_parse_pings(lines.where(F.col("doc_type") == d).drop("doc_type"), d) for d in DOC_TYPES}
        classified = checkpointed(
            without_counted(classify(parsed, calendar, config.limits), _counted_before(spark, config, batch_id))
        )
    finally:
        lines.unpersist()
    try:
        counts = {row["disposition"]: row["count"] for row in classified.groupBy("disposition").count().collect()}
        info = {"job": JOB, "submission_date": str(config.day), "batch_id": batch_id, "code_version": code_version()}
        app = f"{JOB}/{config.day.isoformat()}"
        # The keys first: a batch that dies between the two writes is run again, sees the
        # same earlier keys (batch_id < this one) and skips the committed write.
        counted = to_counted_keys(classified).select(
            F.lit(config.day).alias("submission_date"), F.lit(batch_id).cast("long").alias("batch_id"), "key"
        )
        append_once(spark, config.warehouse, table_spec("hourly_counted"), counted, config.day, app, batch_id, info)
        # No run id: a batch's rows are no night's (the write leaves the stamp null).
        rows = to_hourly_aggregates(classified, config.limits).withColumn("batch_id", F.lit(batch_id).cast("long"))
        append_once(
            spark, config.warehouse, table_spec("crash_aggregates_hourly"), rows, config.day, app, batch_id, info
        )
        if night_has_run(spark, config):  # the night rewrote the date while this batch ran: its rows are final
            delete_batch(spark, config.warehouse, "crash_aggregates_hourly", config.day, batch_id)
            raise NightAlreadyRan(f"the night of {config.day} ran meanwhile: batch {batch_id} withdrawn")
    finally:
        classified.unpersist()
    where = ", ".join(f"{counts.get(k, 0):,} {k}" for k in (AGGREGATED, DUPLICATE, EXCLUDED, QUARANTINED))
    progress(f"batch {batch_id}: {sum(counts.values()):,} new lines: {where}")
    return counts


def run(spark: SparkSession, config: Config, progress: Progress | None = None) -> str:
    progress = progress or Progress(JOB, config.day)
    batches: list[dict[str, int]] = []
    require_whole(spark, config.warehouse, [config.day])  # a night killed half-way: its re-run comes first
    if night_has_run(spark, config):
        return f"{JOB} {config.day}: the night has run; its hourly rows are final; nothing read"
    for doc_type in DOC_TYPES:  # refuses a file Hadoop would misread (an upper-case .GZ), as the night does
        with suppress(MissingPartition):
            open_partition(spark, config.raw, doc_type, config.day)
    try:
        query = (
            stream_new_lines(spark, config.raw, config.day)
            .writeStream.queryName(f"{JOB}-{config.day}")
            .option("checkpointLocation", config.checkpoint)
            .foreachBatch(lambda lines, batch: batches.append(count_batch(spark, config, lines, batch, progress)))
            .trigger(availableNow=True)
            .start()
        )
        query.awaitTermination()
    except Exception as error:
        text = str(error)  # a batch's Python traceback is inside the streaming query's message
        if NightAlreadyRan.__name__ in text:
            return f"{JOB} {config.day}: the night ran meanwhile; its hourly rows are final; nothing added"
        if any(sign in text for sign in CONCURRENT_RUN):
            raise AnotherRunHoldsTheDate(
                f"another aggregate_hourly run of {config.day} is counting the same files; run again after it"
            ) from error
        raise
    return (
        f"{JOB} {config.day}: read {sum(sum(b.values()) for b in batches):,} new lines in {len(batches)} batch(es); "
        f"wrote {config.warehouse}/crash_aggregates_hourly; {progress.elapsed:.1f}s"
    )


def command(argv: list[str]) -> str:
    config = read_config(argv)  # a bad argument fails before Spark starts
    return run(build_session(JOB), config)


main = main_wrapper(JOB, command)

if __name__ == "__main__":
    raise SystemExit(main())
