"""The landing zone: where a day's raw pings are, and their lines (SPEC section 1).

Paths go through Hadoop's FileSystem, so ``/data/raw`` and ``s3a://bucket/raw``
behave the same and no code here cares which.
"""

from __future__ import annotations

from datetime import date

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from lib.contract.layout import DOC_TYPES, partition_path, success_marker_path
from lib.warehouse.storage import path_exists

__all__ = ["DOC_TYPES", "MissingPartition", "is_complete", "partition_path", "read_lines"]

# `<any name>.json` or `<any name>.json.gz`; Spark skips `_SUCCESS` and dot files itself.
PING_FILES = "*.{json,json.gz}"


class MissingPartition(Exception):
    """The day's landing partition does not exist."""


def is_complete(spark: SparkSession, raw: str, doc_type: str, day: date) -> bool:
    """True once ingestion has written the partition's ``_SUCCESS`` marker."""
    return path_exists(spark, success_marker_path(raw, doc_type, day))


def read_lines(spark: SparkSession, raw: str, doc_type: str, day: date) -> DataFrame:
    """One row per input line: ``source_file``, ``line_hash`` and ``raw`` (the text).

    Raises :class:`MissingPartition` when the partition directory does not exist;
    an existing partition without files is an empty day, not an error.
    """
    path = partition_path(raw, doc_type, day)
    if not path_exists(spark, path):
        raise MissingPartition(f"missing {doc_type} partition: {path}")
    lines = spark.read.option("pathGlobFilter", PING_FILES).text(path)
    return lines.select(
        F.col("_metadata.file_path").alias("source_file"),
        F.xxhash64("value").alias("line_hash"),
        F.col("value").alias("raw"),
    )
