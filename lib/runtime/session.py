"""The one place a SparkSession is built.

Two ways to run, same jobs:

* **Embedded local Spark** (the default: the demo, the tests, a laptop). Master,
  memory, shuffle width and the jars (Delta's, and s3a's) are set here, tuned for a
  small machine. The jars are resolved from Maven Central once, by ``python -m
  lib.runtime.session fetch-jars``, into a cache outside the checkout; every later
  session loads the cached files and needs no network.
* **Under spark-submit** (YARN, Kubernetes, EMR). spark-submit already started the
  JVM with the cluster's master, resources and ``--packages``; this module then
  sets nothing but the Delta SQL extension and UTC, which the jobs need anywhere.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import sys
from collections.abc import Mapping
from pathlib import Path

import pyspark
from pyspark.sql import SparkSession

from lib.contract.deploy import JVM_PACKAGES, S3_EXCLUDES, jar_cache_dir, parse_jar
from lib.ingest.fastparse import build_jar
from lib.runtime import jvm_archive

log = logging.getLogger(__name__)


DELTA_CONF = {
    "spark.sql.extensions": "io.delta.sql.DeltaSparkSessionExtension",
    "spark.sql.catalog.spark_catalog": "org.apache.spark.sql.delta.catalog.DeltaCatalog",
    "spark.sql.session.timeZone": "UTC",
    # PySpark records the Python call site of every Column it builds (three calls into
    # the JVM each); the parse builds thousands, a second of every run's planning.
    "spark.python.sql.dataFrameDebugging.enabled": "false",
}

LOCAL_CONF = {
    "spark.sql.shuffle.partitions": "8",
    "spark.default.parallelism": "4",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    # Delta rebuilds table state with 50 tasks by default; tiny tables need 2.
    "spark.databricks.delta.snapshotPartitions": "2",
    "spark.sql.adaptive.enabled": "true",
    # VACUUM lists a table's directories with this many tasks (default 10,000):
    # 30 s of empty tasks per table here instead of 3 s.
    "spark.sql.sources.parallelPartitionDiscovery.parallelism": "8",
    # Compiled query code is cached by its source; Spark keeps 100 classes, and one small
    # night generates some 330, so every night compiled them all again (Janino, then the
    # JIT). With room for them, a process's second night compiles almost none
    # (docs/speed.md#compiled-code-kept-for-the-next-night).
    "spark.sql.codegen.cache.maxEntries": "4000",
}

LOG4J_CONFIG = Path(__file__).with_name("log4j2.properties")


def _marker(cache: Path) -> Path:
    """One marker per set of packages: a new package resolves again into the same cache."""
    digest = hashlib.sha256("\n".join((*JVM_PACKAGES, *S3_EXCLUDES)).encode()).hexdigest()[:12]
    return cache / f"resolved-{digest}"


def cached_jars(cache: Path | None = None) -> list[str]:
    """The cached jar files for :data:`lib.contract.deploy.JVM_PACKAGES`, and the JVM parse's
    jar where it is built (see :mod:`lib.ingest.fastparse`); an error if never fetched."""
    cache = cache or jar_cache_dir()
    if not _marker(cache).exists():
        raise RuntimeError(
            f"the JVM jars (Delta, s3a) are not cached in {cache}: run "
            "`.venv/bin/python -m lib.runtime.session fetch-jars` (make setup does)"
        )
    listed = [str(cache / "jars" / name) for name in _marker(cache).read_text().split()]
    parse = parse_jar(cache)
    return [*listed, str(parse)] if parse.exists() else listed


def fetch_jars(cache: Path | None = None) -> list[str]:
    """Resolve :data:`lib.contract.deploy.JVM_PACKAGES` and their dependencies from Maven
    Central, once; the marker lists the jars, so another resolution in the same cache
    adds none of its own to this session."""
    cache = cache or jar_cache_dir()
    if _marker(cache).exists():
        log.info("JVM jars already cached in %s", cache)
        return cached_jars(cache)
    cache.mkdir(parents=True, exist_ok=True)
    log.info("resolving %s from Maven Central into %s", ", ".join(JVM_PACKAGES), cache)
    session = (
        SparkSession.builder.master("local[1]")
        .appName("fetch-jars")
        .config("spark.jars.packages", ",".join(JVM_PACKAGES))
        .config("spark.jars.excludes", ",".join(S3_EXCLUDES))
        .config("spark.jars.ivy", str(cache))
        .config("spark.ui.enabled", "false")
        .getOrCreate()
    )
    resolved = session.conf.get("spark.jars", "") or ""
    session.stop()
    names = {Path(jar.removeprefix("file:")).name for jar in resolved.split(",") if jar}
    # hadoop-aws also pulls jars pyspark ships (Hadoop's client, Jackson, Parquet, log4j),
    # some at older versions: Spark's own must be the only ones loaded.
    kept = sorted(name for name in names if _artifact(name.split("_", 1)[-1]) not in _spark_artifacts())
    _marker(cache).write_text("\n".join(kept) + "\n")
    return cached_jars(cache)


def _artifact(jar_name: str) -> str:
    """``jackson-core-2.13.5.jar`` -> ``jackson-core``."""
    match = re.match(r"(.+?)-\d", jar_name)
    return match.group(1) if match else jar_name


def _spark_artifacts() -> set[str]:
    return {_artifact(jar.name) for jar in (Path(pyspark.__file__).parent / "jars").glob("*.jar")}


def s3_conf(environ: Mapping[str, str]) -> dict[str, str]:
    """Spark settings for s3a from the standard AWS variables: where ``AWS_ENDPOINT_URL_S3``
    (or ``AWS_ENDPOINT_URL``) names an S3-compatible endpoint, use it, path-style, in
    ``AWS_REGION`` (default us-east-1). Credentials stay with s3a's default provider chain
    (the ``AWS_*`` variables, then the instance's role); nothing secret is set here."""
    endpoint = environ.get("AWS_ENDPOINT_URL_S3") or environ.get("AWS_ENDPOINT_URL")
    if not endpoint:
        return {}
    return {
        "spark.hadoop.fs.s3a.endpoint": endpoint,
        "spark.hadoop.fs.s3a.path.style.access": "true",
        "spark.hadoop.fs.s3a.endpoint.region": environ.get("AWS_REGION", "us-east-1"),
        "spark.hadoop.fs.s3a.connection.ssl.enabled": str(endpoint.startswith("https:")).lower(),
    }


def under_spark_submit() -> bool:
    """True when spark-submit launched this Python process (and owns the JVM)."""
    return "PYSPARK_GATEWAY_PORT" in os.environ


def driver_java_options(*extra: str) -> str:
    """The local driver JVM's options: Spark's logging, the class archive where
    ``make jvm-archive`` built one (:mod:`lib.runtime.jvm_archive`), and ``extra``."""
    archive = jvm_archive.archive_path(cached_jars(), jar_cache_dir())
    options = [f"-Dlog4j2.configurationFile=file:{LOG4J_CONFIG}", *jvm_archive.runtime_options(archive), *extra]
    return " ".join(options)


def build_session(app_name: str, extra_conf: dict[str, str] | None = None) -> SparkSession:
    """The session every job and test uses; see the module docstring for the two modes.

    A session already running in this process (a job run in-process by the DAG, or
    under the test suite's session) is returned as it is: whoever started it chose
    its settings, and a later job must not change them under it.
    """
    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    builder = SparkSession.builder.appName(app_name)
    conf = dict(DELTA_CONF) | s3_conf(os.environ)
    if not under_spark_submit():
        conf |= LOCAL_CONF
        master = os.environ.get("CRASH_RATES_SPARK_MASTER", "local[2]")
        conf |= {
            "spark.master": master,
            "spark.driver.memory": os.environ.get("CRASH_RATES_DRIVER_MEMORY", "4g"),
            "spark.driver.extraJavaOptions": driver_java_options(),
        }
        # In local mode the driver is the only executor: the jars go on its class path,
        # whose classes the archive can hold; another master's executors need them shipped.
        jars = cached_jars()
        if master.startswith("local"):
            conf["spark.driver.extraClassPath"] = os.pathsep.join(jars)
        else:
            conf["spark.jars"] = ",".join(jars)
        # Python workers (siggen's crash signatures) run the project's interpreter, with
        # its packages, not the first python3 on the PATH; PySpark reads only this variable.
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    conf |= extra_conf or {}
    for key, value in conf.items():
        builder = builder.config(key, value)
    return builder.getOrCreate()


def main(argv: list[str]) -> int:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if argv != ["fetch-jars"]:
        print("usage: python -m lib.runtime.session fetch-jars", file=sys.stderr)
        return 2
    packaged = [jar for jar in fetch_jars() if jar != str(parse_jar())]
    parse = build_jar(jar_cache_dir())
    print(f"JVM jars ready (Delta, s3a): {len(packaged)} files in {jar_cache_dir()}; the JVM parse: {parse.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
