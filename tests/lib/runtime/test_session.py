"""The suite's own Spark settings: what tests/spark_conf gives every process, and what the
long-lived session keeps for itself (tests/conftest.py)."""

from __future__ import annotations

from lib.runtime.session import LOCAL_CONF


def test_the_suites_session_evaluates_queries_and_keeps_the_full_jit(spark):
    # From tests/spark_conf/spark-defaults.conf, which every process the suite starts reads too.
    assert spark.conf.get("spark.sql.codegen.factoryMode") == "NO_CODEGEN"
    assert spark.conf.get("spark.sql.codegen.wholeStage") == "false"
    # C1 alone suits a process that lives for a night, not one that lives for the run.
    runtime = spark.sparkContext._jvm.java.lang.management.ManagementFactory.getRuntimeMXBean()
    arguments = list(runtime.getInputArguments())
    assert not any(a.startswith("-XX:TieredStopAtLevel") for a in arguments), arguments
    # The jobs' own local settings still apply under the file's.
    partitions = "spark.databricks.delta.snapshotPartitions"
    assert spark.conf.get(partitions) == LOCAL_CONF[partitions]
