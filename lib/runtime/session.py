"""The one place a SparkSession is built.

Two ways to run, same jobs:

* **Embedded local Spark** (the default: the demo, the tests, a laptop). Master,
  memory, shuffle width and Delta's jars are set here, tuned for a small machine.
  Delta's jars are resolved from Maven Central once, by ``python -m
  lib.runtime.session fetch-jars``, into a cache outside the checkout; every later
  session loads the cached files and needs no network.
* **Under spark-submit** (YARN, Kubernetes, EMR). spark-submit already started the
  JVM with the cluster's master, resources and ``--packages``; this module then
  sets nothing but the Delta SQL extension and UTC, which the jobs need anywhere.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

from pyspark.sql import SparkSession

from lib.contract.deploy import DELTA_PACKAGE

log = logging.getLogger(__name__)


DELTA_CONF = {
    "spark.sql.extensions": "io.delta.sql.DeltaSparkSessionExtension",
    "spark.sql.catalog.spark_catalog": "org.apache.spark.sql.delta.catalog.DeltaCatalog",
    "spark.sql.session.timeZone": "UTC",
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
}

LOG4J_CONFIG = Path(__file__).with_name("log4j2.properties")


def jar_cache_dir() -> Path:
    """Where Ivy keeps Delta's resolved jars: ``$CRASH_RATES_JAR_CACHE`` or ~/.cache."""
    configured = os.environ.get("CRASH_RATES_JAR_CACHE")
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "firefox-crash-rates" / "ivy"


def _marker(cache: Path) -> Path:
    return cache / f"resolved-{DELTA_PACKAGE.replace(':', '_')}"


def cached_jars(cache: Path | None = None) -> list[str]:
    """The cached jar files for :data:`DELTA_PACKAGE`; an error if never fetched."""
    cache = cache or jar_cache_dir()
    if not _marker(cache).exists():
        raise RuntimeError(
            f"Delta jars are not cached in {cache}: run "
            "`.venv/bin/python -m lib.runtime.session fetch-jars` (make setup does)"
        )
    return sorted(str(jar) for jar in (cache / "jars").glob("*.jar"))


def fetch_jars(cache: Path | None = None) -> list[str]:
    """Resolve :data:`DELTA_PACKAGE` and its dependencies from Maven Central, once."""
    cache = cache or jar_cache_dir()
    if _marker(cache).exists():
        log.info("Delta jars already cached in %s", cache)
        return cached_jars(cache)
    cache.mkdir(parents=True, exist_ok=True)
    log.info("resolving %s from Maven Central into %s", DELTA_PACKAGE, cache)
    session = (
        SparkSession.builder.master("local[1]")
        .appName("fetch-delta-jars")
        .config("spark.jars.packages", DELTA_PACKAGE)
        .config("spark.jars.ivy", str(cache))
        .config("spark.ui.enabled", "false")
        .getOrCreate()
    )
    session.stop()
    _marker(cache).write_text(DELTA_PACKAGE + "\n")
    return cached_jars(cache)


def under_spark_submit() -> bool:
    """True when spark-submit launched this Python process (and owns the JVM)."""
    return "PYSPARK_GATEWAY_PORT" in os.environ


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
    conf = dict(DELTA_CONF)
    if not under_spark_submit():
        conf |= LOCAL_CONF
        conf |= {
            "spark.master": os.environ.get("CRASH_RATES_SPARK_MASTER", "local[2]"),
            "spark.driver.memory": os.environ.get("CRASH_RATES_DRIVER_MEMORY", "4g"),
            "spark.jars": ",".join(cached_jars()),
            "spark.driver.extraJavaOptions": f"-Dlog4j2.configurationFile=file:{LOG4J_CONFIG}",
        }
        # The fast parse runs in Python workers: they need this interpreter's packages
        # (PySpark takes the workers' interpreter from this variable when the context starts).
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
    jars = fetch_jars()
    print(f"Delta jars ready: {len(jars)} files in {jar_cache_dir()}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
