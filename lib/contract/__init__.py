"""What every part of the pipeline agrees on, without Spark.

The vocabulary (doc types, channels, platforms, crash keys, limits), the landing
and report paths, the exit statuses and one-line errors, and the code zip. Nothing
here imports Spark, Great Expectations or anything heavy: this is the only part of
``lib`` the Airflow DAG may import while the scheduler parses it.
"""
