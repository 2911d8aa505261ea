"""The release calendar: display version to release date (SPEC section 2).

A folder in Mozilla's product-details format. The three files are small (tens of
KB), so they are read whole through Spark (local path or s3a alike) and parsed on
the driver; they are release metadata, not pings.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import date

from pyspark.sql import DataFrame, SparkSession

from lib.runtime.local_frames import local_frame
from lib.warehouse.storage import path_exists, read_text

CALENDAR_FILES = (
    "firefox_history_major_releases.json",
    "firefox_history_stability_releases.json",
    "firefox_history_development_releases.json",
)
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
CALENDAR_SCHEMA = "display_version string, release_date date"


class CalendarError(Exception):
    """The calendar folder is missing a file or holds something that is not a calendar."""


@dataclass(frozen=True)
class ReleaseCalendar:
    """Release dates by display version, and where they came from."""

    dates: dict[str, date]
    source: str | None
    sha256: str | None

    def describe(self) -> dict[str, object]:
        """What a commit records so a number can be traced to the calendar behind it."""
        return {"path": self.source, "sha256": self.sha256, "versions": len(self.dates)}

    def to_frame(self, spark: SparkSession) -> DataFrame:
        return local_frame(spark, sorted(self.dates.items()), CALENDAR_SCHEMA)


NO_CALENDAR = ReleaseCalendar({}, None, None)


def _no_repeated_keys(pairs: list[tuple[str, object]]) -> dict[str, object]:
    keys = [key for key, _ in pairs]
    if repeated := sorted({key for key in keys if keys.count(key) > 1}):
        raise ValueError(f"version {repeated[0]!r} is listed twice")
    return dict(pairs)


def _calendar_date(version: str, value: object) -> date:
    """Exactly ``YYYY-MM-DD`` text, as --date takes (not a number, not a week date)."""
    if not isinstance(value, str) or not ISO_DATE.fullmatch(value):
        raise ValueError(f"{version}: {value!r} is not a date (YYYY-MM-DD)")
    return date.fromisoformat(value)


def parse_calendar(texts: dict[str, str]) -> dict[str, date]:
    """Merge the files' version-to-date maps; a version listed twice across files keeps its
    earliest date, a version listed twice in one file is an error (which one is meant?)."""
    dates: dict[str, date] = {}
    for name, text in texts.items():
        try:
            entries = json.loads(text, object_pairs_hook=_no_repeated_keys)
            if not isinstance(entries, dict):
                raise ValueError("not a JSON object")
            parsed = {str(v): _calendar_date(str(v), d) for v, d in entries.items()}
        except ValueError as err:
            raise CalendarError(f"release calendar file {name} is not a version-to-date map: {err}") from None
        for version, day in parsed.items():
            dates[version] = min(day, dates.get(version, day))
    return dates


def _read_whole(spark: SparkSession, path: str) -> str:
    text = read_text(spark, path)
    if not text.strip():
        raise CalendarError(f"release calendar file {path} is empty")
    return text


def read_calendar(spark: SparkSession, folder: str | None) -> ReleaseCalendar:
    """Read a product-details folder; no folder means every date comes from build ids."""
    if folder is None:
        return NO_CALENDAR
    paths = {name: f"{folder.rstrip('/')}/{name}" for name in CALENDAR_FILES}
    missing = [name for name, path in paths.items() if not path_exists(spark, path)]
    if missing:
        raise CalendarError(f"release calendar folder {folder} lacks {', '.join(missing)}")
    texts = {name: _read_whole(spark, path) for name, path in paths.items()}
    digest = hashlib.sha256("".join(texts[name] for name in CALENDAR_FILES).encode()).hexdigest()
    return ReleaseCalendar(parse_calendar(texts), folder, digest)
