"""Paths through Hadoop's FileSystem, so local folders and s3a:// URIs behave the same."""

from __future__ import annotations

from pyspark.sql import SparkSession


def _resolve(spark: SparkSession, path: str):  # type: ignore[no-untyped-def]
    jvm = spark.sparkContext._jvm
    assert jvm is not None, "storage needs a classic (JVM-backed) SparkSession"
    hadoop_path = jvm.org.apache.hadoop.fs.Path(path)
    fs = hadoop_path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())  # type: ignore[union-attr]
    return fs, hadoop_path


def path_exists(spark: SparkSession, path: str) -> bool:
    fs, hadoop_path = _resolve(spark, path)
    return bool(fs.exists(hadoop_path))


def qualified(spark: SparkSession, path: str) -> str:
    """An absolute URI for ``path`` (``demo/wh`` becomes ``file:/home/.../demo/wh``)."""
    fs, hadoop_path = _resolve(spark, path)
    return str(fs.makeQualified(hadoop_path).toString())


def write_bytes(spark: SparkSession, path: str, content: bytes) -> None:
    """Write a small file (a page, a report, a chart) to a local or s3a path, replacing it
    whole: a reader (or a run killed half-way) never sees it half-written. On a local or
    HDFS path it is written under a hidden temporary name and renamed; an S3 object
    appears whole when its upload completes."""
    fs, hadoop_path = _resolve(spark, path)
    renamed = fs.getScheme() in ("file", "hdfs")
    if fs.getScheme() == "file":  # the raw local file system: no .crc file beside it, people open these folders
        fs = fs.getRawFileSystem()
    target = hadoop_path.getParent().suffix(f"/.{hadoop_path.getName()}.tmp") if renamed else hadoop_path
    stream = fs.create(target, True)
    try:
        stream.write(bytearray(content))
    finally:
        stream.close()
    if renamed and not fs.rename(target, hadoop_path):
        fs.delete(hadoop_path, False)  # a file system whose rename does not replace
        if not fs.rename(target, hadoop_path):
            raise OSError(f"could not write {path}")


def write_text(spark: SparkSession, path: str, text: str) -> None:
    write_bytes(spark, path, text.encode("utf-8"))


def list_files(spark: SparkSession, folder: str) -> list[tuple[str, int]]:
    """The files directly in ``folder`` (not in sub-folders): their full paths and sizes in bytes."""
    fs, hadoop_path = _resolve(spark, folder)
    return sorted(
        (str(status.getPath().toString()), int(status.getLen()))
        for status in fs.listStatus(hadoop_path)
        if status.isFile()
    )


def read_text(spark: SparkSession, path: str) -> str:
    """A small file's text (a Delta commit, a report), from a local or s3a path."""
    fs, hadoop_path = _resolve(spark, path)
    jvm = spark.sparkContext._jvm
    stream = fs.open(hadoop_path)
    try:
        return str(jvm.org.apache.commons.io.IOUtils.toString(stream, "UTF-8"))  # type: ignore[union-attr]
    finally:
        stream.close()
