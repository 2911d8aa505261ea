"""The Breakpad symbol store, read for the modules one night's crashes name (SPEC section 4).

A store (a folder or an ``s3a://`` prefix) is laid out as Mozilla's symbol server:
``<debug_file>/<debug_id>/<debug_file without .pdb>.sym``. Only the files of the
modules given are read, each once, by Spark (local and s3a alike).
"""

from __future__ import annotations

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from lib.transform.crash_signature import sym_path
from lib.warehouse.storage import path_exists

# The module a line came from, from the last three parts of its file's path.
_MODULE_OF_PATH = r"([^/]+)/([^/]+)/[^/]+$"


def read_symbols(spark: SparkSession, store: str, modules: list[tuple[str, str]]) -> tuple[DataFrame | None, int]:
    """The lines of the ``.sym`` files the store holds for ``modules`` ((debug_file,
    debug_id) pairs) as ``debug_file``, ``debug_id``, ``value``, and how many modules
    had a file; None when none had one. A module without a file keeps its frames
    unsymbolicated (module and offset), as Socorro's do."""
    paths = [f"{store.rstrip('/')}/{sym_path(f, i)}" for f, i in sorted(set(modules)) if "/" not in f + i]
    found = [p for p in paths if path_exists(spark, p)]
    if not found:
        return None, 0
    # The path is a URI: percent escapes decoded, a "+" (libstdc++.so.6) kept as it is.
    path = F.url_decode(F.regexp_replace(F.col("_metadata.file_path"), r"\+", "%2B"))
    lines = spark.read.text(found).select(
        F.regexp_extract(path, _MODULE_OF_PATH, 1).alias("debug_file"),
        F.regexp_extract(path, _MODULE_OF_PATH, 2).alias("debug_id"),
        "value",
    )
    return lines, len(found)
