"""The landing zone: a day's partition, its files and their lines (SPEC section 1).

Paths go through Hadoop's FileSystem, so ``/data/raw`` and ``s3a://bucket/raw``
behave the same and no code here cares which.

Every file in a partition whose name does not start with ``_`` or ``.`` is input,
whatever its extension; a name ending in ``.gz`` is gzip. Lines end at ``\\n``
only (a ``\\r\\n`` ending leaves a ``\\r``, which JSON reads as whitespace, and a
lone ``\\r`` inside a ping does not split it), and a UTF-8 byte-order mark that
opens a line is not part of it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import reduce

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from lib.contract.layout import partition_path, success_marker_path
from lib.contract.vocabulary import CRASH_DOC_TYPES, DOC_TYPES
from lib.runtime.local_frames import local_frame
from lib.warehouse.storage import list_files, path_exists

BYTE_ORDER_MARK = "\ufeff"
LINE_COLUMNS = "submission_date date, source_file string, line_hash bigint, raw string"


class MissingPartition(Exception):
    """The day's landing partition does not exist."""


class UnreadableInput(Exception):
    """A file in a partition that is input but cannot be read as JSON lines."""


@dataclass(frozen=True)
class LandingFile:
    path: str
    size: int

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1]

    @property
    def is_gzip(self) -> bool:
        return self.name.lower().endswith(".gz")


@dataclass(frozen=True)
class Partition:
    """One doc type's landing partition for one date: where it is and the input files in it."""

    doc_type: str
    day: date
    path: str
    files: tuple[LandingFile, ...]
    complete: bool  # ingestion wrote its _SUCCESS marker
    exists: bool = True  # a crash source may have no partition for a date (SPEC section 1)

    @property
    def warnings(self) -> list[str]:
        """What the on-call engineer should know before trusting the day's numbers."""
        if not self.exists:
            return [f"no {self.doc_type} partition: read as an empty input"]
        found = []
        if not self.complete:
            found.append(f"{self.doc_type} partition has no _SUCCESS marker; reading what is there")
        found += [
            f"{self.doc_type}: {f.name} is an empty (zero-byte) gzip file: read as no lines"
            for f in self.files
            if f.is_gzip and f.size == 0
        ]
        return found


def open_partition(spark: SparkSession, raw: str, doc_type: str, day: date) -> Partition:
    """List the partition's input files.

    Raises :class:`MissingPartition` when the partition directory does not exist
    (an existing partition without files is an empty day, not an error), and
    :class:`UnreadableInput` naming a file Hadoop would not read as its name says:
    a gzip name whose ``.gz`` is not lower-case is not decompressed by Hadoop.
    """
    path = partition_path(raw, doc_type, day)
    if not path_exists(spark, path):
        raise MissingPartition(f"missing {doc_type} partition: {path}")
    listed = (LandingFile(p, size) for p, size in list_files(spark, path))
    files = tuple(f for f in listed if not f.name.startswith(("_", ".")))  # Hadoop's and Spark's own files
    for file in files:
        if file.is_gzip and not file.name.endswith(".gz"):
            raise UnreadableInput(
                f"cannot read {file.path}: a gzip file's name must end in lower-case .gz to be decompressed"
            )
    return Partition(doc_type, day, path, files, path_exists(spark, success_marker_path(raw, doc_type, day)))


def open_day(spark: SparkSession, raw: str, day: date, desktop_usage_doc_type: str = "main") -> dict[str, Partition]:
    """Every doc type's partition for ``day``: the desktop usage source the run counts
    (``main`` or ``glean_baseline``) must exist, and at least one of the crash sources;
    any other doc type without a partition is an empty input (SPEC section 1)."""
    partitions = {desktop_usage_doc_type: open_partition(spark, raw, desktop_usage_doc_type, day)}
    missing = []
    for doc_type in (d for d in DOC_TYPES if d not in partitions):
        try:
            partitions[doc_type] = open_partition(spark, raw, doc_type, day)
        except MissingPartition:
            missing.append(doc_type)
            partitions[doc_type] = Partition(doc_type, day, partition_path(raw, doc_type, day), (), False, False)
    if all(d in missing for d in CRASH_DOC_TYPES):
        paths = " or ".join(partition_path(raw, d, day) for d in CRASH_DOC_TYPES)
        raise MissingPartition(f"missing crash partitions (legacy or Glean): neither {paths} exists")
    return {d: partitions[d] for d in DOC_TYPES}


def _text(spark: SparkSession, partitions: Sequence[Partition]) -> DataFrame:
    """Every file of the partitions as lines (``value``), split at ``\\n`` only, in one
    scan, each with the ``submission_date`` of its partition."""
    files = [f.path for p in partitions for f in p.files]
    days = {p.path: p.day for p in partitions}
    text = spark.read.option("lineSep", "\n").text(files)
    if len(set(days.values())) == 1:
        return text.withColumn("submission_date", F.lit(next(iter(days.values()))))
    # The folder <doc_type>/submission_date=YYYY-MM-DD names a file's date (SPEC section 1).
    day = F.regexp_extract(F.col("_metadata.file_path"), r"/submission_date=(\d{4}-\d{2}-\d{2})/[^/]*$", 1)
    return text.withColumn("submission_date", day.cast("date"))


def read_lines(spark: SparkSession, *partitions: Partition) -> DataFrame:
    """One row per input line of the partitions (of one doc type, any dates):
    ``submission_date``, ``source_file``, ``line_hash`` and ``raw`` (the text)."""
    if not any(p.files for p in partitions):
        return local_frame(spark, [], LINE_COLUMNS)
    return as_lines(_text(spark, [p for p in partitions if p.files]))


def as_lines(text: DataFrame) -> DataFrame:
    """Text rows (``value``, ``submission_date``, from a file scan or a file stream) as
    :func:`read_lines` gives them."""
    value = F.col("value")
    raw = F.when(value.startswith(BYTE_ORDER_MARK), F.substring(value, 2, 1 << 30)).otherwise(value)
    return text.select(
        "submission_date",
        F.col("_metadata.file_path").alias("source_file"),
        F.xxhash64(raw).alias("line_hash"),
        raw.alias("raw"),
    )


def stream_new_lines(spark: SparkSession, raw: str, day: date) -> DataFrame:
    """A file stream of the day's partitions of every doc type: each run of a query on it
    reads the files that landed since its last run, once each (Spark's file source keeps
    the files it has read in the query's checkpoint). Files never change once landed
    (SPEC section 1), so none is read twice. Columns: those of :func:`read_lines`, and
    ``doc_type`` from the file's folder."""
    folders = partition_path(raw, "{" + ",".join(DOC_TYPES) + "}", day)
    text = (
        spark.readStream.format("text")
        .option("lineSep", "\n")
        # A file older than the newest by more than maxFileAge would be skipped: never here.
        .option("maxFileAge", "3650d")
        .load(folders)
        .withColumn("submission_date", F.lit(day))
    )
    doc_type = F.regexp_extract("source_file", r"/([^/]+)/submission_date=[^/]+/[^/]*$", 1)
    return as_lines(text).withColumn("doc_type", doc_type)


def count_lines(spark: SparkSession, partitions: Iterable[Partition]) -> dict[tuple[date, str], int]:
    """Each (submission date, doc type)'s lines, counted on their own from the files, before
    any parse or join (one Spark job for every partition): the left side of the
    accounting identity (SPEC section 4)."""
    partitions = list(partitions)
    counts = dict.fromkeys(((p.day, p.doc_type) for p in partitions), 0)
    by_type: dict[str, list[Partition]] = {}
    for p in partitions:
        if p.files:
            by_type.setdefault(p.doc_type, []).append(p)
    scans = [_text(spark, parts).select("submission_date", F.lit(d).alias("doc_type")) for d, parts in by_type.items()]
    if scans:
        lines = reduce(DataFrame.unionByName, scans).groupBy("submission_date", "doc_type").count()
        counts |= {(row.submission_date, row.doc_type): row["count"] for row in lines.collect()}
    return counts
