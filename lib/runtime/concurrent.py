"""Independent Spark actions run side by side from one driver.

A small night's table write is a handful of tiny jobs around a Delta commit (its
snapshot, the partition's files, the log). Run from a few threads at once, their
driver work and their jobs overlap. On a busy two-core machine that gains nothing
(measured: 17.5 s for seven writes side by side, 17.0 s one after another, see
docs/speed.md); against an object store, where a commit is mostly waiting on round
trips, it is expected to. Each Python thread is its own JVM thread (PySpark's pinned
threads), so a job group set in one (see :meth:`lib.runtime.cli.Progress.heartbeat`)
stays its own.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

# More threads than this only queue tasks on a small machine's cores; on a cluster
# the commits, which run in the driver, are what overlap.
WORKERS = 4

T = TypeVar("T")


def run_all(actions: Mapping[str, Callable[[], T]], workers: int = WORKERS) -> dict[str, T]:
    """Run every action, at most ``workers`` at a time, and wait for all of them; then
    raise the first failure (in the order given), if any, else return each action's
    result by its name. An action that failed does not stop the others: each is atomic
    on its own (one Delta commit), and a re-run repeats them all."""
    if len(actions) <= 1 or workers <= 1:
        return {name: action() for name, action in actions.items()}
    with ThreadPoolExecutor(max_workers=min(workers, len(actions)), thread_name_prefix="write") as pool:
        futures = {name: pool.submit(action) for name, action in actions.items()}
    return {name: future.result() for name, future in futures.items()}
