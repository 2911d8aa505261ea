"""The fast half of the parse: a reader of the narrow fields inside the JVM, on the executors.

:func:`lib.ingest.pings.fast_parse_pings` calls ``crashrates.ingest.NarrowFields``
(``lib/ingest/java/NarrowFields.java``) as a Java UDF on every line's bytes. It checks
the line against JSON's grammar without building what it skips, and either *decides*
it (a JSON object whose every field the job reads has the declared JSON type or is
absent) and yields those fields typed, or leaves it *undecided*, and the exact Spark
parse of ``lib.ingest.pings`` reads that line alone. A line is undecided whenever the
two could disagree about it (the class's comment lists when), so both paths give the
same row for every line (``tests/lib/ingest/test_fastparse.py`` proves it line by line).
No line crosses to Python: that hand-off, not the parse, was the old fast path's wall.

The class is compiled by the set-up (``python -m lib.runtime.session fetch-jars``)
with the JDK on the path, for Java 17, against Spark's own jars, into one small jar in
the jar cache; a local session loads it, and a cluster gets it with ``--jars``.
Without it every line takes the exact parse: the same rows, slower, and the run says
so in one line."""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyspark
from pyspark.sql import SparkSession
from pyspark.sql.types import StructType

from lib.contract.deploy import PARSE_SOURCE, parse_jar

log = logging.getLogger("crash_rates.parse")  # the jobs' progress lines

UNDECIDED = "_undecided"
JAVA_CLASS = "crashrates.ingest.NarrowFields"


@dataclass(frozen=True)
class FastLeaf:
    """A leaf the fast path types: its JSON path and declared type (``string``, ``bigint``, ``boolean``)."""

    path: tuple[str, ...]
    kind: str


@dataclass(frozen=True)
class Plan:
    """What to read from each line: the typed leaves (in output order) and the paths of
    variant leaves, whose values Spark reads itself (the fast path only skips them)."""

    leaves: tuple[FastLeaf, ...]
    variant_paths: tuple[tuple[str, ...], ...] = ()

    def to_json(self) -> str:
        """The plan as ``NarrowFields`` reads it."""
        return json.dumps(
            {"leaves": [[list(leaf.path), leaf.kind] for leaf in self.leaves], "variants": self.variant_paths}
        )


# -- the jar ---------------------------------------------------------------------------


def _pyspark_jars() -> Path:
    return Path(pyspark.__file__).parent / "jars"


def build_jar(cache: Path) -> Path:
    """Compile ``NarrowFields.java`` with the JDK on the path, for Java 17, into
    :func:`lib.contract.deploy.parse_jar`; returns that jar."""
    target = parse_jar(cache)
    if target.exists():
        return target
    javac = shutil.which("javac")
    if javac is None:
        raise RuntimeError("javac is not on the PATH: install a JDK (17 or newer) to build the JVM parse")
    with tempfile.TemporaryDirectory() as scratch:
        classes = Path(scratch)
        classpath = f"{_pyspark_jars()}/*"  # Spark's own jars: Jackson, Spark's SQL API
        argv = [javac, "--release", "17", "-Xlint:all,-path", "-Werror", "-cp", classpath, "-d", str(classes)]
        subprocess.run([*argv, str(PARSE_SOURCE)], check=True)
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(".partial")
        with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as jar:
            jar.writestr("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\nCreated-By: firefox-crash-rates\n\n")
            for path in sorted(classes.rglob("*.class")):
                jar.write(path, path.relative_to(classes).as_posix())
        partial.replace(target)
    return target


# -- the UDF ---------------------------------------------------------------------------


_READERS: dict[int, Any] = {}  # per JVM: the reader's Java class, or None where it is missing


def _jvm(spark: SparkSession) -> Any:
    jvm = spark.sparkContext._jvm
    assert jvm is not None, "a classic SparkSession has a JVM"
    return jvm


def _reader(spark: SparkSession) -> Any:
    """The reader's class in ``spark``'s JVM, or None; the run says which in one line."""
    jvm = _jvm(spark)
    if id(jvm) not in _READERS:
        try:
            loader = jvm.org.apache.spark.util.Utils.getContextOrSparkClassLoader()
            reader = jvm.java.lang.Class.forName(JAVA_CLASS, True, loader)
        except Exception:  # py4j's error for a missing class; any other failure is the same to us
            log.warning(
                "parse: the JVM reader %s is not on the classpath (`make setup` builds it): "
                "every line takes Spark's exact parse, slower",
                JAVA_CLASS,
            )
            reader = None
        else:
            jar = reader.getProtectionDomain().getCodeSource().getLocation().toString()
            log.info("parse: in the JVM, by %s from %s", JAVA_CLASS, jar.rsplit("/", 1)[-1])
        _READERS[id(jvm)] = reader
    return _READERS[id(jvm)]


def narrow_function(spark: SparkSession, doc_type: str, plan: Plan, result: StructType) -> str | None:
    """The name of the SQL function that reads ``plan``'s leaves of a line into ``result``
    (``_undecided`` and one field per leaf), registered in ``spark`` once per doc type;
    None when the reader is not on the JVM's classpath."""
    if _reader(spark) is None:
        return None
    name = f"crash_rates_narrow_{doc_type}"
    if not spark.catalog.functionExists(name):
        _jvm(spark).crashrates.ingest.NarrowFields.register(spark._jsparkSession, name, plan.to_json(), result.json())
    return name
