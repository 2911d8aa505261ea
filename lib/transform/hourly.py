"""One ping counted once across the hourly runs of a day.

The night classifies a whole day at once; an hourly run classifies only the files
that landed since the last one (:func:`lib.transform.classify.classify` de-duplicates
within them). A ping may land again in a later file (clients retry), and one crash may
come in both formats hours apart, so each run also remembers the keys of what it
counted: ``doc:<doc type>:<document id>`` for every aggregated ping, and
``crash:<minidump hash>:<process type>`` for a crash whose hash merges by the night's
own rules (``hash_merges`` of :func:`lib.transform.classify.with_disposition`: never
the empty file's hash, never a hash that several clients sent in one format), judged
within each batch; across batches a hash is trusted as the first batch saw it. A later run's ping
whose key an earlier run counted is a duplicate. The keys name documents and
minidumps, never a client.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from lib.transform.classify import AGGREGATED, DUPLICATE


def _document_key() -> Column:
    return F.concat_ws(":", F.lit("doc"), "doc_type", "doc_id")


def _crash_key() -> Column:
    """``crash:<hash>:<process>`` where the night's rules let the hash merge (``hash_merges``)."""
    process = F.coalesce("process_type", F.lit("main"))
    merges = F.coalesce("hash_merges", F.lit(False))
    return F.when(merges, F.concat_ws(":", F.lit("crash"), "minidump_hash", process))


def _keys() -> Column:
    return F.explode(F.array(_document_key(), _crash_key()))


def without_counted(classified: DataFrame, counted: DataFrame) -> DataFrame:
    """Needs ``doc_type``, ``doc_id``, ``minidump_hash``, ``process_type``, ``hash_merges``
    and ``disposition``; an aggregated ping whose key is in ``counted`` (column ``key``)
    becomes a duplicate."""
    keys = counted.select("key").distinct()
    seen = (
        classified.select("doc_type", "doc_id", _keys().alias("key"))
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
    aggregated = classified.where(F.col("disposition") == AGGREGATED)
    return aggregated.select(_keys().alias("key")).where(F.col("key").isNotNull()).distinct()
