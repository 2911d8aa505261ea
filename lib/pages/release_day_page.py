"""The release-day page: the hourly verdicts of :mod:`lib.analysis.release_day`, with two
charts per platform by hours since release: both releases' crash rates, the newest one's
inside its always-valid band, and the ratio of the two inside the same band. Rendered
from a Jinja2 template with autoescaping on; no script, no request (the charts are
inline SVG)."""

from __future__ import annotations

import math
from datetime import datetime

from lib.analysis.compare import IMPROVEMENT, REGRESSION, thresholds
from lib.analysis.release_day import NO_VERDICT, ReleaseDay
from lib.analysis.stats import rate_per_1000
from lib.pages.charts import by_release_age, ratio_by_hour, to_svg
from lib.pages.health import RATE_MEASURES
from lib.pages.templates import TEMPLATES


def _number(value: float | None, digits: int = 2) -> str:
    return "n/a" if value is None or math.isinf(value) else f"{value:,.{digits}f}"


def _row(day: ReleaseDay) -> dict[str, str]:
    now, verdict = day.now, day.verdict
    established = day.established_hour
    return {
        "os": day.os,
        "measure": RATE_MEASURES[day.measure],
        "latest_crashes": f"{now.latest_crashes:,}",
        "latest_hours": f"{now.latest_hours:,.0f}",
        "latest_rate": _number(rate_per_1000(now.latest_crashes, now.latest_hours)),
        "previous_crashes": f"{now.previous_crashes:,}",
        "previous_hours": f"{now.previous_hours:,.0f}",
        "previous_rate": _number(rate_per_1000(now.previous_crashes, now.previous_hours)),
        "ratio": _number(now.ratio),
        "interval": f"{_number(now.low)} to {_number(now.high)}",
        "verdict": verdict,
        "verdict_class": {REGRESSION: "regression", IMPROVEMENT: "improvement"}.get(verdict, "thin"),
        "established": "" if established is None else f"hour {established}",
    }


def _rate_points(day: ReleaseDay) -> list[dict]:
    """Both releases' crash rates over their first hours, each hour's rate from the hours
    so far; the newest one's band is its always-valid ratio band times the previous
    release's rate at the same hour (the interval is for the ratio, given both exposures)."""
    points = []
    for look in day.looks:
        latest = rate_per_1000(look.latest_crashes, look.latest_hours)
        previous = rate_per_1000(look.previous_crashes, look.previous_hours)
        band: tuple[float | None, float | None] = (None, None)
        if previous is not None and not math.isinf(look.high):
            band = (look.low * previous, look.high * previous)
        points.append(
            {"release": day.latest_version, "age": look.hour, "value": latest, "low": band[0], "high": band[1]}
        )
        points.append(
            {"release": day.previous_version, "age": look.hour, "value": previous, "low": previous, "high": previous}
        )
    return [{**p, "panel": "rates"} for p in points]


def _chart(day: ReleaseDay, materiality: float) -> dict[str, str]:
    def clip(value: float) -> float:
        return min(max(value, 0.25), 4.0)

    ratios = [
        {"hour": look.hour, "ratio": look.ratio, "low": clip(look.low), "high": clip(look.high)} for look in day.looks
    ]
    prefix = f"rd-{day.channel}-{day.os}-{day.measure}".replace(" ", "-")
    rates = by_release_age(
        _rate_points(day), [day.latest_version, day.previous_version], "per 1,000 hours", unit="hours"
    )
    return {
        "caption": f"{day.os}, {RATE_MEASURES[day.measure]}",
        "rates": to_svg(rates, f"{prefix}-rates"),
        "svg": to_svg(ratio_by_hour(ratios, materiality), prefix),
    }


def render(as_of: datetime, days: list[ReleaseDay], why_empty: str = NO_VERDICT) -> str:
    """The page of the hour; ``why_empty`` says what is missing when no release is compared
    (:func:`lib.analysis.release_day.why_no_verdict`)."""
    materiality = thresholds().materiality
    channels = []
    for name in dict.fromkeys(d.channel for d in days):
        mine = [d for d in days if d.channel == name]
        first = mine[0]
        channels.append(
            {
                "name": name,
                "latest": first.latest_version,
                "previous": first.previous_version,
                "hours": len(first.looks),
                "rows": [_row(d) for d in mine],
                "charts": [_chart(d, materiality) for d in mine if d.measure == "main_crashes"],
            }
        )
    template = TEMPLATES.get_template("release_day.html.j2")
    return template.render(
        as_of=as_of.strftime("%Y-%m-%d %H:00"), materiality=f"{materiality:g}", channels=channels, why_empty=why_empty
    )
