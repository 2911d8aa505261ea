"""The rooms of the pipeline, one subpackage per concern:

* :mod:`lib.contract`: names, paths, limits, exit codes, the code zip. Spark-free:
  the only part of ``lib`` the Airflow DAG imports.
* :mod:`lib.runtime`: the SparkSession and the jobs' shared command line.
* :mod:`lib.ingest`: what comes in: landing files, the one JSON parse, the calendar.
* :mod:`lib.transform`: what is done to it: per-ping rules, classification, aggregation.
* :mod:`lib.warehouse`: where it is kept: Delta tables from their contracts, paths.
* :mod:`lib.quality`: how it is checked: the suites, the runner, the report and its email.
* :mod:`lib.analysis`: what it means: intervals and same-age release comparisons.
* :mod:`lib.synthetic`: a generated population with known truth, for the demo,
  the tests and the benchmark; never shipped to a cluster.
"""
