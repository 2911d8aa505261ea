"""What every job's command line shares: one-line errors, progress, the exit status.

A job fails with exactly one readable line on stderr (``<job>: error: ...``),
whether the cause is a bad argument, a missing partition or a file Spark cannot
read; the traceback is only printed with ``CRASH_RATES_DEBUG=1``.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:  # no Spark at import: the Airflow DAG reads the exit statuses while parsing
    from pyspark.sql import SparkSession

log = logging.getLogger("crash_rates")

EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_CHECKS_FAILED = 3  # the data failed a critical check: a verdict, not a crash; retrying will not help


class UsageError(Exception):
    """Bad command-line arguments."""


class JobError(Exception):
    """A failure with a message fit for the on-call engineer, e.g. a missing partition."""

    exit_status = EXIT_FAILED


class ArgumentParser(argparse.ArgumentParser):
    """argparse that raises instead of printing usage and exiting."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(message)


def iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def _java_messages(error: BaseException) -> list[str]:
    """First lines of a Py4J error's Java cause chain, outermost first."""
    messages, java = [], getattr(error, "java_exception", None)
    while java is not None:
        message = java.getMessage()
        if message:
            messages.append(str(message).strip().splitlines()[0])
        java = java.getCause()
    return messages


def one_line(error: BaseException) -> str:
    """The meaningful line of an error, a Spark one included, without the Java trace.

    For Spark: its own message (which names the file) with the root cause, e.g.
    ``Encountered error while reading file file:/x.json.gz (invalid stored block lengths)``.
    """
    java = _java_messages(error)
    if java:
        first = re.sub(r"^\[[A-Z_.]+\]\s*|\s*SQLSTATE: \w+$", "", java[0]).rstrip(" .")
        text = first if len(java) == 1 else f"{first} ({java[-1]})"
    else:
        text = str(error).strip() or type(error).__name__
        text = text.splitlines()[0].strip()
    return text if len(text) <= 500 else text[:497] + "..."


class Progress:
    """Timestamped progress lines: which job, which date, how long so far."""

    def __init__(self, job: str, day: date) -> None:
        self.prefix = f"{job} {day.isoformat()}"
        self.started = time.monotonic()

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def __call__(self, message: str) -> None:
        log.info("%s [%5.1fs] %s", self.prefix, self.elapsed, message)

    @contextmanager
    def heartbeat(self, spark: SparkSession, what: str, every: float = 30.0) -> Iterator[None]:
        """While a long Spark action runs, report its tasks every ``every`` seconds."""
        done = threading.Event()
        tracker = spark.sparkContext.statusTracker()

        def beat() -> None:
            while not done.wait(every):
                stages = [tracker.getStageInfo(s) for s in tracker.getActiveStageIds()]
                tasks = ", ".join(f"stage {s.stageId} {s.numCompletedTasks}/{s.numTasks} tasks" for s in stages if s)
                self(f"{what}: still running ({tasks or 'between stages'})")

        thread = threading.Thread(target=beat, daemon=True)
        thread.start()
        try:
            yield
        finally:
            done.set()


class Main(Protocol):
    def __call__(self, argv: list[str] | None = None) -> int: ...


def main_wrapper(job: str, body: Callable[[list[str]], str]) -> Main:
    """Turn ``body(argv) -> summary line`` into a ``main`` with this module's error contract."""

    def main(argv: list[str] | None = None) -> int:
        # Our progress at INFO; libraries (py4j chatters at INFO) only from WARNING.
        logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
        log.setLevel(logging.INFO)
        try:
            summary = body(sys.argv[1:] if argv is None else argv)
        except UsageError as error:
            print(f"{job}: error: {error} (see --help)", file=sys.stderr)
            return EXIT_USAGE
        except Exception as error:
            if os.environ.get("CRASH_RATES_DEBUG"):
                traceback.print_exc()
            print(f"{job}: error: {one_line(error)}", file=sys.stderr)
            return error.exit_status if isinstance(error, JobError) else EXIT_FAILED
        print(summary)
        return 0

    return main
