"""A generated Firefox population with known truth (``generator``), for the demo, the tests
and the benchmark. Local only: the code zip shipped to a cluster leaves it out."""
