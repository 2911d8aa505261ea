"""One ping counted once across the hourly runs of a day.

The night classifies a whole day at once; an hourly run classifies only the files
that landed since the last one (:func:`lib.transform.classify.classify` de-duplicates
within them). A ping may land again in a later file (clients retry), and one crash may
come in both formats hours apart, so each run also remembers the keys of what it
counted: ``doc:<doc type>:<document id>`` for every aggregated ping, and
``crash:<minidump hash>:<process type>`` for a crash whose hash merges (SPEC section 3,
with the night's guards: never the empty file's hash, never a hash that several
clients sent in one format within the batch; across batches a hash is trusted as the
first batch saw it). A later run's ping
whose key an earlier run counted is a duplicate. The keys name documents and
minidumps, never a client.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from lib.contract.vocabulary import CRASH_DOC_TYPES, DEGENERATE_MINIDUMP_HASHES
from lib.transform.classify import AGGREGATED, DUPLICATE, QUARANTINED


def _document_key() -> Column:
    return F.concat_ws(":", F.lit("doc"), "doc_type", "doc_id")


def _crash_key() -> Column:
    hashed = F.col("minidump_hash")
    usable = F.col("doc_type").isin(*CRASH_DOC_TYPES) & hashed.isNotNull() & ~hashed.isin(*DEGENERATE_MINIDUMP_HASHES)
    return F.when(usable, F.concat_ws(":", F.lit("crash"), hashed, _process()))


def _process() -> Column:
    return F.coalesce("process_type", F.lit("main"))


def _with_shared_hashes(classified: DataFrame) -> DataFrame:
    """Adds ``_shared_hash``: the ping's minidump hash was sent by more than one client in
    one format among the batch's usable crash pings, so it merges nothing (the night's
    guard, :func:`lib.transform.classify.with_disposition`)."""
    client = F.coalesce("client_id", F.concat_ws(":", "doc_type", "source_file", F.col("line_hash").cast("string")))
    crashes = classified.where(F.col("doc_type").isin(*CRASH_DOC_TYPES) & F.col("minidump_hash").isNotNull())
    crashes = crashes.where(F.col("disposition") != QUARANTINED)
    shared = (
        crashes.groupBy("minidump_hash", _process().alias("_process"), "doc_type")
        .agg(F.countDistinct(client).alias("_clients"))
        .groupBy("minidump_hash", "_process")
        .agg((F.max("_clients") > 1).alias("_shared_hash"))
    )
    keyed = classified.withColumn("_process", _process())
    return keyed.join(shared, ["minidump_hash", "_process"], "left").drop("_process")


def _keys() -> Column:
    crash = F.when(~F.coalesce("_shared_hash", F.lit(False)), _crash_key())
    return F.explode(F.array(_document_key(), crash))


def without_counted(classified: DataFrame, counted: DataFrame) -> DataFrame:
    """Needs ``doc_type``, ``doc_id``, ``minidump_hash``, ``process_type``, ``client_id``,
    ``source_file``, ``line_hash`` and ``disposition``; an aggregated ping whose key is in
    ``counted`` (column ``key``) becomes a duplicate."""
    keys = counted.select("key").distinct()
    seen = (
        _with_shared_hashes(classified)
        .select("doc_type", "doc_id", _keys().alias("key"))
        .join(keys, "key", "left_semi")
        .select("doc_type", "doc_id", F.lit(True).alias("_counted"))
        .distinct()
    )
    marked = classified.join(seen, ["doc_type", "doc_id"], "left")
    duplicate = (F.col("disposition") == AGGREGATED) & F.coalesce("_counted", F.lit(False))
    return marked.withColumn("disposition", F.when(duplicate, F.lit(DUPLICATE)).otherwise(F.col("disposition"))).drop(
        "_counted"
    )


def to_counted_keys(classified: DataFrame) -> DataFrame:
    """The keys (column ``key``) of the aggregated pings, for the runs that follow; a hash
    that several clients sent in one format is no key (it merges nothing)."""
    aggregated = _with_shared_hashes(classified).where(F.col("disposition") == AGGREGATED)
    return aggregated.select(_keys().alias("key")).where(F.col("key").isNotNull()).distinct()
