"""Build the local JVM's class archive, which lets every later local job start faster
(:mod:`lib.runtime.jvm_archive`). ``make jvm-archive`` runs it (``make test`` and
``make bench`` do, after the set-up):

    python -m jobs.jvm_archive [--rebuild]

Generates a tiny night (Firefox desktop in every format, Firefox for Android) and
aggregates it in a JVM that, when it exits, archives every class it loaded beside the
jar cache. About two minutes, once per JDK, pyspark and jar set; a local tool, never
shipped to a cluster.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import replace
from datetime import date
from pathlib import Path

from jobs.aggregate_crashes import Config, run
from jobs.demo import population
from jobs.generate_pings import generate
from lib.contract.deploy import jar_cache_dir
from lib.runtime import jvm_archive
from lib.runtime.cli import job_parser, main_wrapper, parse_args
from lib.runtime.session import build_session, cached_jars, driver_java_options

JOB = "jvm_archive"
FIRST = date(2026, 10, 1)


def command(argv: list[str]) -> str:
    parser = job_parser(JOB, __doc__)
    parser.add_argument("--rebuild", action="store_true", help="build it again even where it exists")
    args = parse_args(parser, argv)
    target = jvm_archive.archive_path(cached_jars(), jar_cache_dir())
    if target is None:
        raise RuntimeError("no java to build the class archive for: set JAVA_HOME or put a JDK 17 on the PATH")
    if target.exists() and not args.rebuild:
        return f"{JOB}: the class archive is already built: {target}"
    target.unlink(missing_ok=True)  # the archiving JVM must load every class itself
    target.parent.mkdir(parents=True, exist_ok=True)  # the JVM creates the file, not its folder
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="crash-rates-jvm-archive-") as scratch:
        work = Path(scratch)
        settings = replace(
            population(FIRST, 1, clients=1_000),
            crash_formats="both",
            desktop_baseline_from=FIRST,
            android_clients=200,
        )
        generate(settings, work, compress=True)
        options = driver_java_options(*jvm_archive.archiving_options(jvm_archive.partial_path(target)))
        spark = build_session(JOB, {"spark.driver.extraJavaOptions": options})
        spark.sparkContext.setLogLevel("ERROR")
        run(spark, Config(FIRST, str(work / "raw"), str(work / "warehouse"), str(work / "releases")))
        loaded = spark.sparkContext._jvm.java.lang.management.ManagementFactory.getClassLoadingMXBean()  # type: ignore[union-attr]
        classes = loaded.getLoadedClassCount()
        # The JVM archives as it exits normally: it does when its stdin closes (pyspark's
        # launcher keeps the process; a private attribute, in a local tool only).
        gateway = spark.sparkContext._gateway.proc  # type: ignore[union-attr]
        spark.stop()
        gateway.stdin.close()
        gateway.wait(timeout=600)
        jvm_archive.publish(target)
    megabytes = target.stat().st_size / 1e6
    return f"{JOB}: archived {classes:,} classes in {target} ({megabytes:.0f} MB) in {time.monotonic() - started:.0f}s"


main = main_wrapper(JOB, command)

if __name__ == "__main__":
    raise SystemExit(main())
