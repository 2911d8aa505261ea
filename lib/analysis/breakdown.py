"""What every breakdown of a verdict shares, by crash reason (:mod:`lib.analysis.reasons`)
or by crash signature (:mod:`lib.analysis.signature_changes`).

* A part's change between two releases: both rates per 1,000 hours, their difference
  with a normal 95% interval from each side's count variance, and its flag (``new``,
  ``grown``, ``shrunk``, ``steady``); what makes a part ``new`` is the caller's rule.
* A verdict's two releases over its release ages (the rows the breakdowns' one query of
  ``crash_reasons`` or ``crash_signatures`` joins to).
* The parts that drove a regression, ranked: new ones first, then by share of the change.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Container, Iterator, Sequence
from datetime import date
from typing import Any

from lib.analysis.stats import Z95, Interval

# Which crashes each verdict's measure counts.
PROCESS_OF_MEASURE = {"main_crashes": "main", "content_crashes": "content"}

SIDE_NAMES = ("latest", "previous")
SIDES = (
    "channel string, os string, side_process string, display_version string, side_release_date date, "
    "side string, age_from int, age_to int, apart boolean"
)


# -- a part's change ------------------------------------------------------------------


def per_1000(crashes: int, hours: float) -> float:
    """Crashes per 1,000 hours (the hours are a verdict's: never zero here)."""
    return 1000.0 * crashes / hours


def rate_difference(
    latest: tuple[int, float, float], previous: tuple[int, float, float], z: float = Z95
) -> tuple[float, Interval]:
    """The newest release's rate minus the previous one's, and its normal interval; each side
    is (crashes, hours, the variance of its count)."""
    (a, a_hours, a_variance), (b, b_hours, b_variance) = latest, previous
    difference = per_1000(a, a_hours) - per_1000(b, b_hours)
    half = z * math.sqrt(a_variance * (1000.0 / a_hours) ** 2 + b_variance * (1000.0 / b_hours) ** 2)
    return difference, Interval(difference - half, difference + half)


def change_flag(interval: Interval, new: bool) -> str:
    """``new`` where the caller's rule says so and the difference is surely above 0, else
    ``grown`` / ``shrunk`` where its interval is above / below 0, else ``steady``."""
    if interval.low > 0:
        return "new" if new else "grown"
    return "shrunk" if interval.high < 0 else "steady"


def share_of(difference: float, total: float) -> float | None:
    """A part's share of the whole change (None where the whole did not change)."""
    return difference / total if total else None


def lead_order(flag: str, share: float | None, name: str) -> tuple[bool, float, str]:
    """The order parts are shown in: new ones first, then the largest share of the change."""
    return (flag != "new", -(share or 0.0), name)


# -- a verdict's releases ---------------------------------------------------------------


def release_dates(verdict: dict[str, Any], released: dict[tuple[str, str], date]) -> list[date | None]:
    """Both releases' dates of a verdict; rows written before release_comparisons' version 3
    name none: the version's first, from ``released``."""
    return [
        verdict.get(f"{side}_release_date") or released.get((verdict["channel"], verdict[f"{side}_version"]))
        for side in SIDE_NAMES
    ]


def release_sides(
    verdicts: list[dict[str, Any]], released: dict[tuple[str, str], date], processes: dict[str, str]
) -> list[tuple]:
    """Both releases of each verdict whose measure ``processes`` names, over its ages, once
    each: rows of :data:`SIDES`."""
    sides = []
    for v in verdicts:
        process = processes.get(v["measure"])
        if process is None or v["age_from"] is None or v["previous_version"] is None:
            continue
        days = release_dates(v, released)
        versions = [v[f"{side}_version"] for side in SIDE_NAMES]
        if None in days or len(set(zip(versions, days, strict=True))) < 2:
            continue  # a release date unknown, or one release on both sides: nothing to compare
        apart = versions[0] != versions[1]  # a version alone tells them apart
        for side, version, day in zip(SIDE_NAMES, versions, days, strict=True):
            sides.append((v["channel"], v["os"], process, version, day, side, v["age_from"], v["age_to"], apart))
    return list(dict.fromkeys(sides))  # two verdicts of the same releases (per usage and active hour) count once


def broken_down(verdicts: list[dict[str, Any]], counted: Container[tuple]) -> Iterator[tuple[dict[str, Any], str]]:
    """The verdicts a breakdown splits, each with its process type: a crash measure whose
    (channel, os, process) ``counted`` holds, with hours on both sides."""
    for v in verdicts:
        process = PROCESS_OF_MEASURE.get(v["measure"])
        hours = v["latest_hours"] and v["previous_hours"]
        if process is not None and hours and (v["channel"], v["os"], process) in counted:
            yield v, process


# -- what drove a regression ------------------------------------------------------------


def leaders(rows: Sequence[Any], verdict: dict[str, Any], name: str, count: int) -> list[Any]:
    """The parts that drove ``verdict`` (a release_comparisons row), new ones first, then by
    share of the change; ``rows`` are the night's breakdown rows, ``name`` their part's column."""
    process = PROCESS_OF_MEASURE.get(verdict["measure"])
    mine = [
        d
        for d in rows
        if (d["channel"], d["os"], d["process_type"]) == (verdict["channel"], verdict["os"], process)
        and d["submission_date"] == verdict["submission_date"]
    ]
    return sorted(mine, key=lambda d: lead_order(d["flag"], d["share_of_change"], d[name]))[:count]


def format_leaders(
    verdicts: Sequence[Any], top: Callable[[Any], list[Any]], heading: str, text: Callable[[Any], str]
) -> str:
    """For each regression of a crash measure, the lines of what ``top`` says drove it:
    ``channel os measure: heading``, then one indented ``text`` per part."""
    lines = []
    for v in verdicts:
        if v["verdict"] != "regression" or v["measure"] not in PROCESS_OF_MEASURE:
            continue
        parts = top(v)
        if parts:
            lines.append(f"{v['channel']} {v['os']} {v['measure']}: {heading}")
            lines += [f"  {text(d)}" for d in parts]
    return "\n".join(lines) + "\n" if lines else ""
