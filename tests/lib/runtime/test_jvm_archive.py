"""The local JVM's class archive: named by what it was built for, found only when whole,
and really mapped by the sessions the jobs build."""

import os
import subprocess

import pytest

from lib.contract.deploy import jar_cache_dir
from lib.runtime import jvm_archive
from lib.runtime.session import cached_jars


def test_the_archive_is_named_by_the_jdk_spark_and_the_jars(tmp_path, monkeypatch):
    jar = tmp_path / "a.jar"
    jar.write_bytes(b"one")
    built = jar.stat().st_mtime_ns
    first = jvm_archive.archive_path([str(jar)], tmp_path)
    assert first is not None and first.parent == tmp_path / "cds"
    assert jvm_archive.archive_path([str(jar)], tmp_path) == first

    jar.write_bytes(b"another build")  # a jar replaced in place
    assert jvm_archive.archive_path([str(jar)], tmp_path) != first
    assert jvm_archive.archive_path([str(jar), str(tmp_path / "b.jar")], tmp_path) != first

    jar.write_bytes(b"one")
    os.utime(jar, ns=(0, built))
    assert jvm_archive.archive_path([str(jar)], tmp_path) == first
    os.utime(jar, ns=(0, built + 1_000_000_000))  # reinstalled: same size, new time
    assert jvm_archive.archive_path([str(jar)], tmp_path) != first

    spark = tmp_path / "spark"  # another checkout's Spark
    (spark / "jars").mkdir(parents=True)
    spark_jar = spark / "jars" / "slf4j-api.jar"
    spark_jar.write_bytes(b"spark's own")
    monkeypatch.setenv("SPARK_HOME", str(spark))
    elsewhere = jvm_archive.archive_path([str(jar)], tmp_path)
    assert elsewhere not in (None, first)
    os.utime(spark_jar, ns=(0, spark_jar.stat().st_mtime_ns + 1_000_000_000))  # pyspark reinstalled in place
    assert jvm_archive.archive_path([str(jar)], tmp_path) != elsewhere
    monkeypatch.delenv("SPARK_HOME")

    other_jdk = tmp_path / "jdk"
    (other_jdk / "bin").mkdir(parents=True)
    (other_jdk / "bin" / "java").write_text("")
    monkeypatch.setenv("JAVA_HOME", str(other_jdk))
    assert jvm_archive.archive_path([str(jar)], tmp_path) not in (None, first)


def test_without_a_java_there_is_no_archive(tmp_path, monkeypatch):
    monkeypatch.setenv("JAVA_HOME", str(tmp_path / "no-jdk"))
    assert jvm_archive.archive_path([], tmp_path) is None
    assert jvm_archive.runtime_options(None) == []


def test_only_a_finished_archive_is_mapped(tmp_path):
    target = tmp_path / "cds" / "spark-x.jsa"
    assert jvm_archive.runtime_options(target) == []
    with pytest.raises(RuntimeError, match="wrote no class archive"):
        jvm_archive.publish(target)

    target.parent.mkdir()
    jvm_archive.partial_path(target).write_bytes(b"archive")
    assert jvm_archive.runtime_options(target) == []  # still being written
    assert jvm_archive.publish(target) == target
    assert not jvm_archive.partial_path(target).exists()
    assert jvm_archive.runtime_options(target) == [f"-XX:SharedArchiveFile={target}"]


def test_a_new_archive_replaces_its_installations_stale_one_only(tmp_path):
    cds = tmp_path / "cds"
    cds.mkdir()
    stale, other_checkout = cds / "spark-aaaa-1111.jsa", cds / "spark-bbbb-1111.jsa"
    stale.write_bytes(b"old jars")
    other_checkout.write_bytes(b"another installation")
    target = cds / "spark-aaaa-2222.jsa"
    jvm_archive.partial_path(target).write_bytes(b"archive")
    jvm_archive.publish(target)
    assert sorted(path.name for path in cds.iterdir()) == ["spark-aaaa-2222.jsa", "spark-bbbb-1111.jsa"]


def test_the_suites_session_maps_the_archive_the_set_up_built(spark):
    archive = jvm_archive.archive_path(cached_jars(), jar_cache_dir())
    if archive is None or not archive.exists():
        pytest.skip(f"no class archive at {archive}: `make jvm-archive` (which `make test` runs) builds it")
    jvm = spark.sparkContext._jvm
    arguments = list(jvm.java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments())
    assert f"-XX:SharedArchiveFile={archive}" in arguments
    # -Xshare:on makes a JVM that cannot map the archive for this class path fail to start.
    classpath = jvm.java.lang.System.getProperty("java.class.path")
    java = jvm_archive.java_binary()
    on = [str(java), "-Xshare:on", f"-XX:SharedArchiveFile={archive}", "-cp", classpath, "-version"]
    assert subprocess.run(on, capture_output=True, text=True).returncode == 0
    elsewhere = [str(java), "-Xshare:on", f"-XX:SharedArchiveFile={archive}", "-cp", str(archive.parent), "-version"]
    assert subprocess.run(elsewhere, capture_output=True, text=True).returncode != 0
