"""A small generated landing zone with faults, aggregated once for the job tests."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

import pytest

from jobs.aggregate_crashes import Config, run
from jobs.generate_pings import generate
from lib.synthetic.generator import Settings
from tests.truth import generated_truth

CLEAN, FAULTY, DROPPED = date(2026, 11, 18), date(2026, 11, 19), date(2026, 11, 20)
DAYS = (CLEAN, FAULTY, DROPPED)
SETTINGS = Settings(
    start=CLEAN,
    days=3,
    clients=1500,
    ping_size="small",
    rate_scale=25.0,
    faults={
        **{
            f: frozenset({FAULTY})
            for f in ("duplicates", "negative_lengths", "malformed_lines", "wrong_types", "bogus_builds")
        },
        "platform_drop": frozenset({DROPPED}),
        "clock_skew": frozenset({DROPPED}),
    },
    # The transition: legacy crash pings, then both formats (the faulty day), then Glean only.
    crash_formats="legacy",
    format_changes=((FAULTY, "both"), (DROPPED, "glean")),
)


@pytest.fixture(scope="session")
def landing(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("landing")
    generate(SETTINGS, out, compress=True)
    return out


@pytest.fixture(scope="session")
def truth(landing) -> dict[date, dict]:
    return generated_truth(landing, DAYS)


def config(landing: Path, warehouse: Path, day: date, raw: Path | None = None) -> Config:
    """The days carry faults on purpose: the raw checks have their own tests (tests/jobs/test_data_quality.py)."""
    return Config(day, str(raw or landing / "raw"), str(warehouse), str(landing / "releases"), raw_checks="skip")


@dataclass(frozen=True)
class Aggregated:
    """The three days aggregated by one range run, and what that run said."""

    path: Path
    summary: str


@pytest.fixture(scope="session")
def aggregated(spark, landing, tmp_path_factory) -> Aggregated:
    path = tmp_path_factory.mktemp("warehouse")
    summary = run(spark, replace(config(landing, path, DAYS[0]), until=DAYS[-1]))
    return Aggregated(path, summary)


@pytest.fixture(scope="session")
def warehouse(aggregated) -> Path:
    """All three days in one warehouse, written by one range run (a backfill's way);
    tests/jobs/test_reruns.py proves the nights one by one, in any order, write the same."""
    return aggregated.path
