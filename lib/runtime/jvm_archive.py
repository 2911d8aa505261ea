"""The local JVM's class-data sharing archive: the classes a job loads, mapped from one
file at start instead of read, verified and linked again from some 300 jars.

Every job is a process of its own, and a local Spark JVM with Delta loads some 29,000
classes (the JDK's among them) in a small night. Measured here (2 cores), a cold process's
session took 10 to 18 s to start and its first small Delta write and read 17 to 25 s
more; with the archive, 5 to 7 s and 13 to 19 s (docs/speed.md). ``make jvm-archive``
builds it (``python -m jobs.jvm_archive``): a tiny generated night, after which the JVM archives
every class it loaded (HotSpot's dynamic class-data sharing, JDK 13 and later).

An archive holds for one JDK and one class path, and the JVM checks every jar's size
and modification time against it: on any mismatch it silently ignores the archive, which
then costs a start its speed, never its correctness. So an archive is named by the JDK,
the Spark installation and every jar's size and time, Spark's own included: a new JDK,
pyspark, jar set or a reinstall in the same place (new times, same sizes) finds none and
starts as before until ``make jvm-archive`` builds another, which replaces the
installation's stale one. Local sessions only; under spark-submit the JVMs are the cluster's.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Sequence
from importlib import metadata, util
from pathlib import Path


def java_binary() -> Path | None:
    """The java that pyspark launches: ``$JAVA_HOME/bin/java``, else the one on the PATH."""
    home = os.environ.get("JAVA_HOME")
    found = str(Path(home) / "bin" / "java") if home else shutil.which("java")
    return Path(found).resolve() if found and Path(found).exists() else None


def spark_home() -> Path:
    """Where the launcher takes Spark's own jars from: ``$SPARK_HOME``, else pyspark's folder
    (another checkout's virtual environment is another class path)."""
    configured = os.environ.get("SPARK_HOME")
    if configured:
        return Path(configured).resolve()
    spec = util.find_spec("pyspark")
    if spec is None or spec.origin is None:
        raise RuntimeError("pyspark is not installed")
    return Path(spec.origin).parent.resolve()


def archive_path(jars: Sequence[str], cache: Path) -> Path | None:
    """Where the archive for this JDK, this Spark installation and these exact jars lives
    (built or not); None without a java to build it for. The name's first part is the
    installation (JDK and Spark), its second the jars' sizes and times."""
    java = java_binary()
    if java is None:
        return None
    home = spark_home()
    installation = _digest([str(java), str(home), metadata.version("pyspark")])
    spark_jars = sorted(str(jar) for jar in (home / "jars").glob("*.jar"))
    stamps = _digest([_stamp(jar) for jar in [*spark_jars, *jars]])
    return cache / "cds" / f"spark-{installation}-{stamps}.jsa"


def _digest(parts: Sequence[str]) -> str:
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:12]


def _stamp(jar: str) -> str:
    """What the JVM compares before mapping an archive: the jar's size and modification time."""
    path = Path(jar)
    if not path.exists():
        return f"{jar}:missing"
    status = path.stat()
    return f"{jar}:{status.st_size}:{status.st_mtime_ns}"


def runtime_options(archive: Path | None) -> list[str]:
    """The JVM options that map ``archive`` where it was built, else none."""
    return [f"-XX:SharedArchiveFile={archive}"] if archive is not None and archive.exists() else []


def archiving_options(partial: Path) -> list[str]:
    """The JVM options that, when the JVM exits normally, archive every class it loaded
    from the class path into ``partial`` (HotSpot's dynamic archive, over the JDK's own)."""
    return [f"-XX:ArchiveClassesAtExit={partial}", "-Xlog:cds=error", "-Xlog:cds+dynamic=error"]


def partial_path(target: Path) -> Path:
    """Where the archiving JVM writes, until :func:`publish` renames it: a half-written
    archive is never found."""
    return target.with_suffix(".partial")


def publish(target: Path) -> Path:
    """Move the finished archive of :func:`partial_path` into place, and remove the same
    installation's archives for jars since replaced (one ~200 MB archive per checkout)."""
    partial = partial_path(target)
    if not partial.exists():
        raise RuntimeError(f"the JVM wrote no class archive at {partial}")
    partial.replace(target)
    installation = target.name.rsplit("-", 1)[0]
    for stale in target.parent.glob(f"{installation}-*.jsa"):
        if stale != target:
            stale.unlink(missing_ok=True)  # the same installation's archive for jars since replaced
    return target
