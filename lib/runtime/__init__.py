"""How a job runs: the one place a SparkSession is built (``session``) and the command line
every job shares (``cli``: arguments, progress, the one-line error, the exit status)."""
