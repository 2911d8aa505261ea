"""The release-day question, asked every hour: is the newest release crashier than the one
before, over the same hours since each first appeared?

From ``crash_aggregates_hourly``: per channel, the releases (display versions with
usage) in the order they were released (their calendar date, else their first hour
with usage); the newest is compared with the one before,
hour ``k`` since its first hour against hour ``k`` since the previous one's, per
platform and measure, through the always-valid interval of
:mod:`lib.analysis.sequential` (read every hour, it keeps its 95%). The verdict's
rules are the nightly's (``schemas/verdicts.yaml``): a regression needs the interval's
lower bound above the materiality threshold, and enough crashes and hours on both
sides. A release already out when the data began (no calendar date, first seen in
the channel's first hour of data) has unknown first hours: it is never the previous
release. The window is a fortnight; then the nightly comparison is enough.

Pure Python over rows already summed per (channel, display_version, os, date, hour).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from lib.analysis.compare import NOT_ENOUGH_DATA, REGRESSION, thresholds, verdict
from lib.analysis.sequential import Hour, Look, confidence_sequence
from lib.analysis.stats import Interval

WINDOW_HOURS = 14 * 24
CHANNELS = ("release", "beta", "esr")  # nightly's releases are builds, judged by the night
MEASURES = ("main_crashes", "content_crashes")


@dataclass(frozen=True)
class HourlyRow:
    """One (channel, display_version, os, date, hour) of crash_aggregates_hourly, summed over batches."""

    channel: str
    display_version: str
    os: str
    submission_date: date
    submission_hour: int
    usage_hours: float
    crashes: Mapping[str, int]  # per measure
    crashes_sq: Mapping[str, int]

    @property
    def instant(self) -> datetime:
        return datetime(self.submission_date.year, self.submission_date.month, self.submission_date.day, tzinfo=UTC) + (
            timedelta(hours=self.submission_hour)
        )


@dataclass(frozen=True)
class ReleaseDay:
    """One channel, platform and measure: the newest release against the previous one,
    hour by hour since each first appeared, as of the last hour read."""

    channel: str
    os: str
    measure: str
    latest_version: str
    latest_first_hour: datetime
    previous_version: str
    previous_first_hour: datetime
    looks: tuple[Look, ...]  # one per hour since release, the last one is now

    @property
    def now(self) -> Look:
        return self.looks[-1]

    def verdict_at(self, look: Look) -> str:
        limits = thresholds()
        small = any(
            crashes < limits.min_crashes or hours < limits.min_hours
            for crashes, hours in (
                (look.latest_crashes, look.latest_hours),
                (look.previous_crashes, look.previous_hours),
            )
        )
        return verdict(Interval(look.low, look.high), not small, limits.materiality)

    @property
    def verdict(self) -> str:
        return self.verdict_at(self.now)

    @property
    def established_hour(self) -> int | None:
        """The first hour since release at which the regression was established, if it is."""
        return next((look.hour for look in self.looks if self.verdict_at(look) == REGRESSION), None)

    @property
    def enough(self) -> bool:
        return self.verdict != NOT_ENOUGH_DATA


def _version_key(version: str) -> tuple[int, ...]:
    """``158.0.1`` as (158, 0, 1), so two releases of one hour order as numbers, not text."""
    return tuple(int(part) for part in re.findall(r"\d+", version))


def _hour_index(instant: datetime, first: datetime) -> int:
    return int((instant - first).total_seconds() // 3600)


def release_days(
    rows: Iterable[HourlyRow], as_of: datetime, release_dates: Mapping[str, date] | None = None
) -> list[ReleaseDay]:
    """Every (channel, os, measure) whose newest release is within its first fortnight at
    ``as_of`` (the start of the last hour read) and has a previous release to compare with.

    A release's hour 0 is midnight (UTC) of its date in ``release_dates`` (the calendar),
    else the first hour it had usage; with a calendar, only the versions it names are
    releases. Rows of one hour may mix the night's and the hourly runs' counts only if
    the caller summed them so (see :func:`jobs.release_day.hourly_rows`)."""
    rows = [r for r in rows if r.instant <= as_of and r.channel in CHANNELS]
    release_dates = release_dates or {}
    first_data: dict[str, datetime] = {}
    first_seen: dict[tuple[str, str], datetime] = {}
    cells: dict[tuple[str, str, str], dict[datetime, HourlyRow]] = defaultdict(dict)
    for r in rows:
        first_data[r.channel] = min(first_data.get(r.channel, r.instant), r.instant)
        if r.usage_hours > 0:  # a release appears with its usage, never with a stray crash
            key = (r.channel, r.display_version)
            first_seen[key] = min(first_seen.get(key, r.instant), r.instant)
        cells[(r.channel, r.display_version, r.os)][r.instant] = r
    for channel, version in list(first_seen):
        if version in release_dates:
            released = release_dates[version]
            first_seen[(channel, version)] = datetime(released.year, released.month, released.day, tzinfo=UTC)
        elif release_dates:  # with a calendar, a release is one it names: never a straggler or a stray build
            del first_seen[(channel, version)]

    out = []
    for channel in CHANNELS:
        releases = sorted(
            (first, _version_key(version), version) for (ch, version), first in first_seen.items() if ch == channel
        )
        if len(releases) < 2:
            continue
        (previous_first, _, previous), (latest_first, _, latest) = releases[-2], releases[-1]
        hours = _hour_index(as_of, latest_first) + 1
        # The previous release's first hours must be in the data: one already out when
        # the data began (first seen in its first hour, no calendar date in it) is not.
        if previous in release_dates:
            seen_from_start = first_data[channel].date() > release_dates[previous]
        else:
            seen_from_start = previous_first <= first_data[channel]
        if seen_from_start or hours > WINDOW_HOURS or hours < 1:
            continue
        platforms = sorted({os for (ch, version, os) in cells if ch == channel and version == latest})
        for os_name in platforms:
            mine, theirs = cells[(channel, latest, os_name)], cells.get((channel, previous, os_name), {})
            for measure in MEASURES:
                series = [
                    _pair(
                        mine.get(latest_first + timedelta(hours=k)),
                        theirs.get(previous_first + timedelta(hours=k)),
                        measure,
                    )
                    for k in range(hours)
                ]
                looks = tuple(confidence_sequence(series))
                out.append(ReleaseDay(channel, os_name, measure, latest, latest_first, previous, previous_first, looks))
    return out


def _pair(latest: HourlyRow | None, previous: HourlyRow | None, measure: str) -> Hour:
    def side(row: HourlyRow | None) -> tuple[int, float, int]:
        if row is None:
            return 0, 0.0, 0
        return int(row.crashes[measure]), float(row.usage_hours), int(row.crashes_sq[measure])

    a, ha, a_sq = side(latest)
    b, hb, b_sq = side(previous)
    return Hour(a, ha, b, hb, a_sq, b_sq)


NO_VERDICT = "no verdict: no release is in its first fortnight with a previous release to compare with"


def why_no_verdict(rows: list[HourlyRow], day: date, hour: int) -> str:
    """Why an hour has no verdict, saying what is missing: no hourly data at all, none of
    the date itself (a release shipped that day is not seen before its hourly run), or,
    with data, no release to compare."""
    if not rows:
        return (
            f"no verdict: crash_aggregates_hourly has no rows up to {day} {hour:02d}:00 UTC "
            "(has jobs.aggregate_hourly run?)"
        )
    if not any(r.submission_date == day for r in rows):
        return (
            f"no verdict: crash_aggregates_hourly has no rows of {day} up to {hour:02d}:00 UTC "
            f"(the last is of {max(r.submission_date for r in rows)}): has jobs.aggregate_hourly run for {day}?"
        )
    return NO_VERDICT
