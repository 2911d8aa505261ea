"""What every job's command line shares: its arguments, progress, the one-line error, the exit status.

Every job declares its arguments the same way: :func:`job_parser` with the shared
options it takes (``--date`` and ``--warehouse`` for every nightly job), plus its
own, then :func:`parse_args`. Progress goes to stdout with a timestamp; stderr carries
nothing but the one error line (``<job>: error: ...``) when a job fails, whether
the cause is a bad argument, a missing partition or a file Spark cannot read; the
traceback is only printed with ``CRASH_RATES_DEBUG=1``.
"""

from __future__ import annotations

import argparse
import contextlib
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

from lib.contract.errors import EXIT_FAILED, EXIT_USAGE, JobError, UsageError, one_line
from lib.contract.vocabulary import InvalidLimits, Limits

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

log = logging.getLogger("crash_rates")

ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class ArgumentParser(argparse.ArgumentParser):
    """argparse that raises instead of printing usage and exiting."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(message)


def iso_date(text: str) -> date:
    """Exactly ``YYYY-MM-DD`` (Python's ``fromisoformat`` also takes ``20261120`` and week dates)."""
    try:
        if not ISO_DATE.fullmatch(text):
            raise ValueError
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def _add_limits(parser: ArgumentParser) -> None:
    defaults = Limits()
    parser.add_argument(
        "--usage-cap-hours",
        type=float,
        default=defaults.usage_cap_hours,
        help=f"cap on one subsession's hours (default {defaults.usage_cap_hours:g})",
    )
    parser.add_argument(
        "--max-build-age-days",
        type=int,
        default=defaults.max_build_age_days,
        help=f"exclude builds older than this at submission (default {defaults.max_build_age_days})",
    )
    parser.add_argument(
        "--max-build-lead-days",
        type=int,
        default=defaults.max_build_lead_days,
        help=f"exclude builds dated this far after submission (default {defaults.max_build_lead_days})",
    )


SHARED_OPTIONS: dict[str, Callable[[ArgumentParser], object]] = {
    "date": lambda p: p.add_argument("--date", type=iso_date, required=True, help="submission date, YYYY-MM-DD"),
    "warehouse": lambda p: p.add_argument(
        "--warehouse", required=True, help="root of the Delta tables: a path or s3a:// URI"
    ),
    "raw": lambda p: p.add_argument("--raw", required=True, help="landing zone root: a path or s3a:// URI"),
    "releases": lambda p: p.add_argument("--releases", help="release calendar folder (product-details format)"),
    "reports": lambda p: p.add_argument(
        "--reports", help="folder for the HTML reports (default <warehouse>/dq_reports)"
    ),
    "limits": _add_limits,
}


# What every nightly job takes: one date, one warehouse.
NIGHTLY = ("date", "warehouse")


def job_parser(job: str, doc: str, *shared: str) -> ArgumentParser:
    """The parser of ``jobs.<job>`` with the ``shared`` options named (see :data:`SHARED_OPTIONS`);
    a job adds its own options to it, then calls :func:`parse_args`."""
    parser = ArgumentParser(prog=f"python -m jobs.{job}", description=doc.split("\n\n")[0])
    for name in shared:
        SHARED_OPTIONS[name](parser)
    return parser


def parse_args(parser: ArgumentParser, argv: list[str]) -> argparse.Namespace:
    """Parse, and turn the limit flags (when declared) into one checked :class:`Limits` as ``limits``."""
    args = parser.parse_args(argv)
    if hasattr(args, "usage_cap_hours"):
        try:
            args.limits = Limits(args.usage_cap_hours, args.max_build_age_days, args.max_build_lead_days)
        except InvalidLimits as error:
            raise UsageError(str(error)) from None
    return args


class Progress:
    """Timestamped progress lines on stdout: which job, which date, how long so far."""

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


def _log_progress_to_stdout() -> None:
    """Our progress at INFO on stdout; libraries (py4j chatters at INFO) only from WARNING, on stderr."""
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    log.setLevel(logging.INFO)
    if not log.handlers:
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", datefmt="%H:%M:%S"))
        log.addHandler(handler)
        log.propagate = False


def _stop_spark() -> None:
    """Stop a failed job's Spark before its error line is printed: tasks still running
    when the JVM shuts down log their own cancellation (a stack trace on stderr), which
    must come before the one line, never after it."""
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        with contextlib.suppress(Exception):
            active.stop()


def main_wrapper(job: str, body: Callable[[list[str]], str]) -> Main:
    """Turn ``body(argv) -> summary line`` into a ``main`` with this module's error contract."""

    def main(argv: list[str] | None = None) -> int:
        _log_progress_to_stdout()
        try:
            summary = body(sys.argv[1:] if argv is None else argv)
        except UsageError as error:
            print(f"{job}: error: {error} (see --help)", file=sys.stderr)
            return EXIT_USAGE
        except Exception as error:
            if os.environ.get("CRASH_RATES_DEBUG"):
                traceback.print_exc()
            if argv is None:  # the job's own process: nothing else shares its Spark
                _stop_spark()
            print(f"{job}: error: {one_line(error)}", file=sys.stderr)
            return error.exit_status if isinstance(error, JobError) else EXIT_FAILED
        print(summary)
        return 0

    return main
