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
import itertools
import logging
import os
import re
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Protocol

from lib.contract.errors import EXIT_FAILED, EXIT_USAGE, JobError, UsageError, one_line
from lib.contract.vocabulary import DESKTOP_USAGE_SOURCES, InvalidLimits, Limits

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

log = logging.getLogger("crash_rates")

ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class ArgumentParser(argparse.ArgumentParser):
    """argparse that raises instead of printing usage and exiting."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(message)


# Submission dates the jobs take: Firefox telemetry has none before 2000, and dates near
# year 1 or 9999 break date arithmetic (a week before, a day after) in Python and Spark.
EARLIEST_DATE, LATEST_DATE = date(2000, 1, 1), date(2999, 12, 31)


def iso_date(text: str) -> date:
    """Exactly ``YYYY-MM-DD`` (Python's ``fromisoformat`` also takes ``20261120`` and week
    dates), from 2000 to 2999."""
    try:
        if not ISO_DATE.fullmatch(text):
            raise ValueError
        day = date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None
    if not EARLIEST_DATE <= day <= LATEST_DATE:
        raise argparse.ArgumentTypeError(f"not a submission date (from {EARLIEST_DATE} to {LATEST_DATE}): {text!r}")
    return day


def hour_of_day(text: str) -> int:
    """A whole UTC hour of a day, 0 to 23: ``--hour``'s type (named by argparse as the flag)."""
    try:
        hour = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an hour (a whole number from 0 to 23, UTC): {text!r}") from None
    if not 0 <= hour <= 23:
        raise argparse.ArgumentTypeError(f"not an hour of a day (0 to 23, UTC): {text!r}")
    return hour


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
    parser.add_argument(
        "--desktop-usage",
        choices=DESKTOP_USAGE_SOURCES,
        default=defaults.desktop_usage,
        help="where Firefox desktop's hours come from: the legacy main ping or the Glean baseline ping; "
        f"the other is compared in usage_parity (default {defaults.desktop_usage})",
    )


MAX_RANGE_DAYS = 366


def _add_dates(parser: ArgumentParser) -> None:
    """One date (``--date``) or a range of them (``--from`` and ``--to``, both included)."""
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--date", type=iso_date, help="submission date, YYYY-MM-DD")
    group.add_argument("--from", dest="first", type=iso_date, help="first submission date of a range (with --to)")
    parser.add_argument("--to", dest="last", type=iso_date, help="last submission date of a range, included")


def date_range(first: date, last: date) -> tuple[date, ...]:
    """Every date from ``first`` to ``last``, both included."""
    return tuple(date.fromordinal(n) for n in range(first.toordinal(), last.toordinal() + 1))


def date_label(days: Sequence[date]) -> str:
    """How a run names its dates: ``2026-11-20``, or ``2026-11-01..2026-11-20`` for a range."""
    return str(days[0]) if len(days) == 1 else f"{days[0]}..{days[-1]}"


def _dates_of(args: argparse.Namespace) -> tuple[date, ...]:
    if args.date is not None:
        if args.last is not None:
            raise UsageError("--to goes with --from, not with --date")
        return (args.date,)
    if args.last is None:
        raise UsageError("--from needs --to (the last date of the range, included)")
    if args.last < args.first:
        raise UsageError(f"--to {args.last} is before --from {args.first}")
    days = date_range(args.first, args.last)
    if len(days) > MAX_RANGE_DAYS:
        raise UsageError(f"a range holds at most {MAX_RANGE_DAYS} dates, not {len(days)}: split it")
    return days


SHARED_OPTIONS: dict[str, Callable[[ArgumentParser], object]] = {
    "date": lambda p: p.add_argument("--date", type=iso_date, required=True, help="submission date, YYYY-MM-DD"),
    "dates": _add_dates,
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


# What every nightly job takes: one date, one warehouse; RANGED jobs take a range of dates too.
NIGHTLY = ("date", "warehouse")
RANGED = ("dates", "warehouse")


def job_parser(job: str, doc: str, *shared: str) -> ArgumentParser:
    """The parser of ``jobs.<job>`` with the ``shared`` options named (see :data:`SHARED_OPTIONS`);
    a job adds its own options to it, then calls :func:`parse_args`."""
    parser = ArgumentParser(prog=f"python -m jobs.{job}", description=doc.split("\n\n")[0])
    for name in shared:
        SHARED_OPTIONS[name](parser)
    return parser


def parse_args(parser: ArgumentParser, argv: list[str]) -> argparse.Namespace:
    """Parse; turn the limit flags (when declared) into one checked :class:`Limits` as
    ``limits``, and ``--date`` or ``--from``/``--to`` (when declared) into ``days``."""
    args = parser.parse_args(argv)
    if hasattr(args, "first"):
        args.days = _dates_of(args)
    if hasattr(args, "usage_cap_hours"):
        try:
            args.limits = Limits(
                args.usage_cap_hours, args.max_build_age_days, args.max_build_lead_days, args.desktop_usage
            )
        except InvalidLimits as error:
            raise UsageError(str(error)) from None
    return args


@dataclass(frozen=True)
class StageTime:
    """One stage of a run: what it did, its wall time, how many Spark jobs it ran, and
    when it began (seconds into the run; stages run side by side overlap)."""

    what: str
    seconds: float
    spark_jobs: int
    began: float = 0.0


_STAGE_IDS = itertools.count()


class Progress:
    """Timestamped progress lines on stdout: which job, which date, how long so far;
    and the stages timed by :meth:`heartbeat`, kept in ``stages`` for the benchmark."""

    def __init__(self, job: str, day: date | str) -> None:
        self.prefix = f"{job} {day if isinstance(day, str) else day.isoformat()}"
        self.started = time.monotonic()
        self.stages: list[StageTime] = []

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def __call__(self, message: str) -> None:
        log.info("%s [%5.1fs] %s", self.prefix, self.elapsed, message)

    @contextmanager
    def heartbeat(self, spark: SparkSession, what: str, every: float = 30.0) -> Iterator[None]:
        """While a long Spark action runs, report its tasks every ``every`` seconds; on the
        way out, record the stage's time and Spark jobs (a job group of its own counts them)."""
        done = threading.Event()
        context = spark.sparkContext
        tracker = context.statusTracker()
        group = f"{self.prefix} #{next(_STAGE_IDS)} {what}"  # unique, even for two runs of a night
        context.setJobGroup(group, what)
        started = time.monotonic()

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
            # Null clears a property: Spark jobs after the stage (another job run in this
            # process, a test's query) are neither counted in its group nor described as it.
            for prop in ("spark.jobGroup.id", "spark.job.description"):
                context.setLocalProperty(prop, None)  # type: ignore[arg-type]
            jobs = len(tracker.getJobIdsForGroup(group))
            self.stages.append(StageTime(what, time.monotonic() - started, jobs, started - self.started))


class Main(Protocol):
    def __call__(self, argv: list[str] | None = None) -> int: ...


class _StdoutHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stdout`` is at the time of each line: a job run in-process
    (Airflow's task runner, a test) may have it swapped after the first run, and a handler
    holding the old, closed stream would print logging's own errors instead."""

    @property  # type: ignore[override]
    def stream(self):  # type: ignore[no-untyped-def]
        return sys.stdout

    @stream.setter
    def stream(self, _value) -> None:  # type: ignore[no-untyped-def]
        pass


def _log_progress_to_stdout() -> None:
    """Our progress at INFO on stdout; libraries (py4j chatters at INFO) only from WARNING, on stderr."""
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    log.setLevel(logging.INFO)
    if not log.handlers:
        handler = _StdoutHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", datefmt="%H:%M:%S"))
        log.addHandler(handler)
        log.propagate = False
    # py4j logs the traceback of a Python callback that failed (a streaming micro-batch)
    # before the job's own one-line error says the same; CRASH_RATES_DEBUG=1 prints it.
    if not os.environ.get("CRASH_RATES_DEBUG"):
        logging.getLogger("py4j.clientserver").setLevel(logging.CRITICAL)


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
