"""Shared test fixtures: one local SparkSession per pytest worker, real Delta on disk.

Mozilla's real pings and calendars are read from ``$CRASH_RATES_FIXTURES``
(default ``../shared/fixtures`` beside the checkout); tests that need them skip,
saying why, when the folder is absent. They are never copied into the project.

``release_window`` is the demo's generated population around a release, aggregated
once for every test that reads verdicts, the page or the regression alert.
"""

from __future__ import annotations

import json
import os
import shlex
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

import pytest
from pyspark.sql import SparkSession

from lib.runtime.session import build_session
from tests.truth import generated_truth

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(os.environ.get("CRASH_RATES_FIXTURES", REPO.parent / "shared" / "fixtures"))


# Which tests share a pytest worker (``make test`` runs two): a session fixture is built
# once per worker that asks for it, so the modules of one generated world run on one
# worker, the release window's (its fortnight aggregated; the DAG tests' Airflow
# database and landing zone beside it) and the job tests' shared warehouse
# (tests/jobs/conftest.py). Every other module is a unit of its own, whole on one
# worker with its module fixtures; the workers take the units in the order collected.
WORLDS = {
    "release_window": (
        "tests/dags/",
        "tests/jobs/test_release_day.py",
        "tests/jobs/test_release_health.py",
        "tests/jobs/test_release_window.py",
    ),
    "jobs_warehouse": (
        "tests/jobs/test_aggregate_crashes.py",
        "tests/jobs/test_cluster_on_s3.py",
        "tests/jobs/test_command_line.py",
        "tests/jobs/test_compare_releases.py",
        "tests/jobs/test_external_readers.py",
        "tests/jobs/test_housekeeping.py",
        "tests/jobs/test_reruns.py",
    ),
}
# The session fixture each world is built around.
WORLD_FIXTURES = {"release_window": "release_window", "jobs_warehouse": "aggregated"}


def worker_unit(nodeid: str) -> str:
    """The unit of tests one worker runs whole: the test's world, else its module."""
    module = nodeid.split("::")[0]
    return next((world for world, modules in WORLDS.items() if module.startswith(modules)), module)


def pytest_xdist_make_scheduler(config: pytest.Config, log):
    """With ``--dist loadscope``, the units of :func:`worker_unit`."""
    if config.getvalue("dist") != "loadscope":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class ByWorld(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return worker_unit(nodeid)

    return ByWorld(config, log)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A module that asks for a world's fixture must be listed in :data:`WORLDS`, or each
    worker would build the world again: say so at collection."""
    strays = sorted(
        {
            f"{item.nodeid.split('::')[0]} uses {fixture}: list it under {world!r} in WORLDS (tests/conftest.py)"
            for item in items
            for world, fixture in WORLD_FIXTURES.items()
            if fixture in getattr(item, "fixturenames", ()) and worker_unit(item.nodeid) != world
        }
    )
    if strays:
        raise pytest.UsageError("; ".join(strays))


# Spark's settings for the suite. Its own session, which lives for the whole run, evaluates
# queries instead of compiling them to Java (Spark's own test setting): an eighth of the
# JVM's CPU on small nights, nothing on the release window's 31,000 lines a day. Both
# paths must give the same rows (Spark falls back to the second where the first fails).
INTERPRETED = {"spark.sql.codegen.wholeStage": "false", "spark.sql.codegen.factoryMode": "NO_CODEGEN"}
# A Spark process the suite starts lives for a night or two: it evaluates too, and its JVMs
# compile with the JIT's C1 alone. One cold three-line night on one core took 98 s as the
# jobs run it, 67 s evaluated, 54 s with C1 alone, 48 s with both; the long-lived session
# keeps C2, which C1 alone cost 148 s of CPU against 93 s over six warm nights
# (docs/maintainers.md, the suite's time, stops 41 and 42). The demo, the benchmark and
# deployments compile as the jobs set them.
# C1 alone also shrinks the JIT's code cache to 48 MB (the JVM's default without tiers),
# which a night's compiled code can fill: the driver then dies ("Out of space in CodeCache
# for adapters"), as the DAG's spark-submit did in a whole run at stop 44. Such a process
# keeps the 240 MB a tiered JVM reserves.
SHORT_LIVED_JVM = "-XX:TieredStopAtLevel=1 -XX:ReservedCodeCacheSize=240m"
SHORT_LIVED = INTERPRETED | {
    "spark.driver.defaultJavaOptions": SHORT_LIVED_JVM,
    "spark.executor.defaultJavaOptions": SHORT_LIVED_JVM,
}


def submit_args(settings: dict[str, str]) -> list[str]:
    """``settings`` as spark-submit's ``--conf`` arguments."""
    return [arg for key, value in settings.items() for arg in ("--conf", f"{key}={value}")]


# Every job the suite runs as a process (``python -m jobs.…``) starts its JVM through
# pyspark, which appends this variable to its spark-submit; spark-submit run directly (the
# DAG's task, the cluster) is given SHORT_LIVED where it is called.
os.environ["PYSPARK_SUBMIT_ARGS"] = shlex.join([*submit_args(SHORT_LIVED), "pyspark-shell"])  # pyspark shlex-splits it


@pytest.fixture(scope="session")
def spark() -> Iterator[SparkSession]:
    with pytest.MonkeyPatch.context() as env:  # the short-lived processes' settings are not its own
        env.delenv("PYSPARK_SUBMIT_ARGS")
        session = build_session(
            "tests",
            {"spark.sql.shuffle.partitions": "2", "spark.default.parallelism": "2", **INTERPRETED},
        )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture(scope="session")
def fixtures() -> Path:
    if not (FIXTURES / "firefox-pings").is_dir():
        pytest.skip(f"Mozilla fixtures not found at {FIXTURES} (set CRASH_RATES_FIXTURES)")
    return FIXTURES


def compact(path: Path) -> str:
    """A pretty-printed fixture ping as the one compact line a landing file holds."""
    return json.dumps(json.loads(path.read_text()), separators=(",", ":"))


def write_partition(raw: Path, doc_type: str, day: str, lines: list[str], name: str = "part-0.json") -> Path:
    folder = raw / doc_type / f"submission_date={day}"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text("".join(line + "\n" for line in lines))
    (folder / "_SUCCESS").touch()
    return folder


@dataclass(frozen=True)
class ReleaseWindow:
    """The demo's population around a release, aggregated: see :func:`release_window`."""

    raw: Path
    warehouse: Path
    releases: Path
    nights: tuple[date, ...]

    @property
    def last(self) -> date:
        return self.nights[-1]

    def truth(self, night: date) -> dict:
        """What the generator wrote that night (see lib.synthetic.generator)."""
        return generated_truth(self.raw.parent, [night])[night]


# Firefox 158 ships on 2026-11-17 in the synthetic train, 157.0.2 on 2026-11-10: the
# nightly compares their first four days.
WINDOW_NIGHTS = tuple(date(2026, 11, d) for d in (10, 11, 12, 13, 17, 18, 19, 20))


@pytest.fixture(scope="session")
def release_window(spark, tmp_path_factory) -> ReleaseWindow:
    """The demo's population (its clients, crash rates, clustered crashes and 1.5x slower
    Mac release) over the demo's fortnight, its nights around two releases aggregated and
    the last night's verdicts written: what the morning page and the regression alert read."""
    from jobs.aggregate_crashes import Config, run
    from jobs.compare_releases import command as compare
    from jobs.demo import FIRST_DAY, population
    from jobs.generate_pings import generate

    out = tmp_path_factory.mktemp("release_window")
    generate(population(FIRST_DAY, (WINDOW_NIGHTS[-1] - FIRST_DAY).days + 1), out, compress=True)
    window = ReleaseWindow(out / "raw", out / "warehouse", out / "releases", WINDOW_NIGHTS)
    # Clean nights, two ranges of four: their raw checks have tests of their own.
    for first, last in ((window.nights[0], window.nights[3]), (window.nights[4], window.nights[7])):
        config = Config(first, str(window.raw), str(window.warehouse), str(window.releases), raw_checks="skip")
        run(spark, replace(config, until=last))
    compare(["--date", str(window.last), "--warehouse", str(window.warehouse)])
    return window
