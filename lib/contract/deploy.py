"""Shipping the jobs to a cluster: the code zip, the jars, the Delta package, the code version.

No Spark here: the Airflow worker imports this to submit jobs, and must stay light.
On a cluster, ``spark-submit`` gets the job's script as the application, this
project's packages as one zip in ``--py-files``, the JVM parse's jar (compiled by the
set-up, :func:`parse_jar`) in ``--jars``, and Delta's jar by coordinate:

    spark-submit --packages io.delta:delta-spark_4.1_2.13:4.4.0 \\
        --jars .../parse/crash-rates-parse-<digest>.jar \\
        --py-files crash_rates.zip .../jobs/aggregate_crashes.py --date ...
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import zipfile
from importlib import metadata, util
from pathlib import Path

# The jar that matches pyspark 4.1 (Delta publishes one artifact per Spark minor).
DELTA_PACKAGE = "io.delta:delta-spark_4.1_2.13:4.4.0"
# s3a: hadoop-aws of pyspark's own Hadoop (3.4.2), with the AWS SDK v2 modules it uses
# instead of the SDK's "bundle" (some 600 MB: every AWS service), at the bundle's version
# that Hadoop 3.4.2 was built against.
AWS_SDK_VERSION = "2.29.52"
S3_PACKAGES = (
    "org.apache.hadoop:hadoop-aws:3.4.2",
    *(f"software.amazon.awssdk:{module}:{AWS_SDK_VERSION}" for module in ("s3", "sts", "s3-transfer-manager")),
)
S3_EXCLUDES = ("software.amazon.awssdk:bundle",)
JVM_PACKAGES = (DELTA_PACKAGE, *S3_PACKAGES)

# The JVM parse (lib/ingest/fastparse.py): one class, compiled by the set-up into the jar cache.
PARSE_SOURCE = Path(__file__).parents[1] / "ingest" / "java" / "NarrowFields.java"

# What the jobs import or read at run time; tests, the DAG and docs stay behind.
CODE_PACKAGES = ("jobs", "lib", "schemas")
CODE_SUFFIXES = {".py", ".json", ".yaml", ".properties", ".j2"}  # .j2: the pages' templates
# Local tools that never run on a cluster: the generator and the commands that use it.
LOCAL_ONLY = (
    "lib/synthetic/",
    "jobs/demo.py",
    "jobs/generate_pings.py",
    "jobs/benchmark.py",
    "jobs/screenshot.py",
    "jobs/calibrate_release_day.py",
    "jobs/jvm_archive.py",
)


def _package_dir(name: str) -> Path:
    spec = util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"package {name!r} is not importable; install the project (pip install -e .)")
    return Path(next(iter(spec.submodule_search_locations)))


def jar_cache_dir() -> Path:
    """Where the set-up keeps the JVM jars (Ivy's cache of Delta's and s3a's, and the JVM
    parse's): ``$CRASH_RATES_JAR_CACHE`` or ~/.cache."""
    configured = os.environ.get("CRASH_RATES_JAR_CACHE")
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "firefox-crash-rates" / "ivy"


def parse_jar(cache: Path | None = None) -> Path:
    """The JVM parse's jar in the cache (built or not): named by its source and Spark's
    version, so a changed source or another Spark builds a new jar beside the old."""
    digest = hashlib.sha256(PARSE_SOURCE.read_bytes() + metadata.version("pyspark").encode()).hexdigest()[:12]
    return (cache or jar_cache_dir()) / "parse" / f"crash-rates-parse-{digest}.jar"


def job_script(job: str) -> Path:
    """The file spark-submit runs as the application for ``jobs.<job>``."""
    script = _package_dir("jobs") / f"{job}.py"
    if not script.is_file():
        raise ValueError(f"no such job: {job} (no {script})")
    return script


def build_code_zip(dest: Path) -> Path:
    """Zip ``jobs/``, ``lib/`` and ``schemas/`` (less :data:`LOCAL_ONLY`) for ``--py-files``;
    returns the zip's path.

    The zip holds sources and data files only, with fixed timestamps, so the same
    code always gives the same bytes.
    """
    dest.mkdir(parents=True, exist_ok=True)
    target = dest / "crash_rates.zip"
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for package in CODE_PACKAGES:
            root = _package_dir(package)
            for path in sorted(root.rglob("*")):
                name = f"{package}/{path.relative_to(root).as_posix()}"
                if (
                    path.is_file()
                    and path.suffix in CODE_SUFFIXES
                    and "__pycache__" not in path.parts
                    and not name.startswith(LOCAL_ONLY)
                ):
                    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
                    info.compress_type = zipfile.ZIP_DEFLATED
                    archive.writestr(info, path.read_bytes())
    return target


def code_version() -> str:
    """Package version plus the git commit when run from a checkout (recorded in every commit).

    ``CRASH_RATES_CODE_VERSION`` overrides it: the DAG sets it when it ships the zip.
    """
    if configured := os.environ.get("CRASH_RATES_CODE_VERSION"):
        return configured
    try:
        version = metadata.version("firefox-crash-rates")
    except metadata.PackageNotFoundError:  # shipped as a --py-files zip, not installed
        version = "unknown"
    try:
        sha = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=Path(__file__).parent,
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return version
    return f"{version}+g{sha}"
