"""The suite's own Spark settings (tests/conftest.py): the long-lived session evaluates
queries and keeps the whole JIT; the processes the suite starts get C1 alone."""

from __future__ import annotations

import os

from lib.runtime.session import LOCAL_CONF


def test_the_suites_session_evaluates_queries_and_keeps_the_full_jit(spark):
    assert spark.conf.get("spark.sql.codegen.factoryMode") == "NO_CODEGEN"
    assert spark.conf.get("spark.sql.codegen.wholeStage") == "false"
    # C1 alone suits a process that lives for a night, not one that lives for the run.
    assert "TieredStopAtLevel=1" in os.environ["PYSPARK_SUBMIT_ARGS"]
    # ...with the code cache a tiered JVM reserves: C1 alone would get 48 MB, which a night fills.
    assert "ReservedCodeCacheSize=240m" in os.environ["PYSPARK_SUBMIT_ARGS"]
    runtime = spark.sparkContext._jvm.java.lang.management.ManagementFactory.getRuntimeMXBean()
    arguments = list(runtime.getInputArguments())
    assert not any(a.startswith("-XX:TieredStopAtLevel") for a in arguments), arguments
    # The jobs' own local settings still apply.
    partitions = "spark.databricks.delta.snapshotPartitions"
    assert spark.conf.get(partitions) == LOCAL_CONF[partitions]
