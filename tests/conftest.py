"""Shared test fixtures: one local SparkSession for the whole run, real Delta on disk.

Mozilla's real pings and calendars are read from ``$CRASH_RATES_FIXTURES``
(default ``../shared/fixtures`` beside the checkout); tests that need them skip,
saying why, when the folder is absent. They are never copied into the project.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from pyspark.sql import SparkSession

from lib.runtime.session import build_session

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(os.environ.get("CRASH_RATES_FIXTURES", REPO.parent / "shared" / "fixtures"))


@pytest.fixture(scope="session")
def spark() -> Iterator[SparkSession]:
    session = build_session(
        "tests",
        {"spark.sql.shuffle.partitions": "2", "spark.default.parallelism": "2"},
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
