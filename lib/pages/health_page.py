"""The release-health page: one self-contained HTML file a release manager reads in a minute.

Loud notes first (a regression, failed or warned data-quality checks, thin data, a
release under a day old), then per channel and platform: the verdicts with their raw
counts, hours and clients beside every rate, the charts, and the top crash reasons.
Charts are inline SVG (no script, no request: the page opens from a file, an email
attachment or paper the same way) and also returned as PNGs to write beside it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from lib.analysis.compare import REGRESSION, thresholds
from lib.analysis.reason_comparisons import driver_text, top_drivers
from lib.analysis.signature_comparisons import signature_items, signature_text, top_signatures
from lib.pages import charts
from lib.pages.health import ChannelHealth, NightHealth, PlatformHealth
from lib.pages.templates import TEMPLATES

MEASURE_NAMES = {
    "main_crashes": "main-process crashes",
    "content_crashes": "content-process crashes",
    "crash_incidence": "clients who crashed",
}
VERDICT_CLASS = {"regression": "bad", "improvement": "good", "no clear change": "calm", "not enough data": "thin"}


@dataclass(frozen=True)
class Page:
    html: str
    pngs: dict[str, bytes]  # file name -> PNG, to write beside the page
    regressions: list[str]  # one line per regression verdict, for the alert
    # Per regression (same order), its leading signatures: signature, flag, text and both links.
    regression_signatures: list[list[dict]]
    notes: list[str]  # every note on the page (night, channel, platform), as text


def _num(value: float | int | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def _rate(row: dict, side: str) -> str:
    value, low, high = row[f"{side}_rate"], row[f"{side}_low"], row[f"{side}_high"]
    if value is None:
        return "-"
    if row["measure"] == "crash_incidence":
        return f"{value:.2%} [{_num(low, '.2%')}, {_num(high, '.2%')}]"
    return f"{value:.2f} [{_num(low, '.2f')}, {_num(high, '.2f')}]"


def _ratio(row: dict) -> str:
    if row["ratio"] is None:
        return "-"
    return f"{row['ratio']:.2f}x [{_num(row['ratio_low'], '.2f')}, {_num(row['ratio_high'], '.2f')}]"


def _ages(row: dict) -> str:
    if row["age_from"] is None:
        return "-"
    return f"day {row['age_from']}" if row["age_from"] == row["age_to"] else f"days {row['age_from']}-{row['age_to']}"


def verdict_line(row: dict) -> str:
    """One comparison as a sentence: what the alert email and the page's notes say."""
    incidence = row["measure"] == "crash_incidence"
    unit = "of active clients crashed" if incidence else "per 1,000 usage hours"
    counts = (
        f"crashing clients {_num(row['latest_crashes'], ',')} of {_num(row['latest_clients'], ',')} vs "
        f"{_num(row['previous_crashes'], ',')} of {_num(row['previous_clients'], ',')}"
        if incidence
        else f"crashes {_num(row['latest_crashes'], ',')} vs {_num(row['previous_crashes'], ',')}, "
        f"hours {_num(row['latest_hours'], ',.0f')} vs {_num(row['previous_hours'], ',.0f')}, "
        f"clients {_num(row['latest_clients'], ',')} vs {_num(row['previous_clients'], ',')}"
    )
    return (
        f"{row['channel']} {row['os']}, {MEASURE_NAMES[row['measure']]}: {row['verdict'].upper()}: "
        f"{row['latest_version']} {_rate(row, 'latest')} against {row['previous_version'] or '-'} "
        f"{_rate(row, 'previous')} {unit} at release {_ages(row)}, ratio {_ratio(row)}; {counts}"
    )


def _platform_notes(platform: PlatformHealth) -> list[tuple[str, str]]:
    """Where a verdict is missing for want of data, what each side has and what it needs."""
    notes = []
    limits = thresholds()
    for v in platform.verdicts:
        if v["verdict"] == "not enough data" and v["measure"] != "crash_incidence":
            previous = (
                f"{v['previous_version']} {_num(v['previous_crashes'], ',')} over {_num(v['previous_hours'], ',.0f')}"
                if v["previous_version"]
                else "no earlier release has usage at the same ages"
            )
            notes.append(
                (
                    "thin",
                    f"{v['channel']} {v['os']}: thin data, no verdict on {MEASURE_NAMES[v['measure']]}: "
                    f"{v['latest_version']} has {_num(v['latest_crashes'], ',')} crashes over "
                    f"{_num(v['latest_hours'], ',.0f')} hours, {previous}; a verdict needs {limits.min_crashes} "
                    f"crashes and {limits.min_hours:,.0f} hours on each side.",
                )
            )
    return notes


# Two denominators tell one story unless the verdicts differ or the ratios part by more than this.
DENOMINATOR_GAP = 0.10


def _denominator_notes(platform: PlatformHealth) -> list[tuple[str, str]]:
    """Where the rate per active hour and per usage hour tell different stories (a release
    whose sessions idle more, say), both, side by side."""
    notes = []
    shown = {v["measure"]: v for v in platform.verdicts}
    for other in platform.other_verdicts:
        v = shown.get(other["measure"])
        if v is None or not v["ratio"] or other["ratio"] is None:  # no ratio, or none to compare with
            continue
        if v["verdict"] == other["verdict"] and abs(other["ratio"] / v["ratio"] - 1) <= DENOMINATOR_GAP:
            continue
        notes.append(
            (
                "warn" if "regression" in (v["verdict"], other["verdict"]) else "thin",
                f"{v['channel']} {v['os']} {MEASURE_NAMES[v['measure']]}: per {other['denominator']} hour "
                f"{_ratio(other)}, {other['verdict']}; per {v.get('denominator') or 'usage'} hour {_ratio(v)}, "
                f"{v['verdict']}.",
            )
        )
    return notes


def _channel_notes(channel: ChannelHealth, night: date) -> list[tuple[str, str]]:
    newest = channel.releases[0]
    future = [r for r in channel.releases if r.released > night]
    if future:
        names = ", ".join(f"{r.label} ({r.released})" for r in future)
        return [
            (
                "warn",
                f"{channel.channel}: the release calendar dates {names} after this night, yet it has usage: "
                "its release ages are negative, and the morning compares releases from age 0 only: check the "
                "calendar before reading this channel's verdicts.",
            )
        ]
    if (night - newest.released).days >= 1:
        return []
    return [
        (
            "warn",
            f"{channel.channel}: {newest.label} was released on {newest.released}: under a day old, its numbers "
            "are its first hours and its earliest, eagerest users.",
        )
    ]


def _regression_verdicts(health: NightHealth) -> list[tuple[PlatformHealth, dict]]:
    return [
        (platform, v)
        for channel in health.channels
        for platform in channel.platforms
        for v in platform.verdicts
        if v["verdict"] == REGRESSION
    ]


def regressions(health: NightHealth) -> list[str]:
    """The night's regression verdicts, one line each, led by the signatures that drove it
    (the top three of ``signature_comparisons``, new ones first), then by the crash reasons
    (the top three of ``reason_comparisons``)."""
    lines = []
    for platform, v in _regression_verdicts(health):
        signed = top_signatures(platform.signatures, v)
        led = f" Signatures: {'; '.join(signature_text(d) for d in signed)}." if signed else ""
        top = top_drivers(platform.drivers, v)
        driven = f" Driven by: {'; '.join(driver_text(d) for d in top)}." if top else ""
        lines.append(verdict_line(v) + led + driven)
    return lines


def regression_signatures(health: NightHealth) -> list[list[dict]]:
    """Per line of :func:`regressions`, its signatures as plain values for the email: signature,
    flag, text and the Crash Stats and Bugzilla links (``signature_items``)."""
    return [signature_items(top_signatures(platform.signatures, v)) for platform, v in _regression_verdicts(health)]


def _page_notes(health: NightHealth, regression_lines: list[str]) -> list[tuple[str, str]]:
    notes = [("bad", line) for line in regression_lines]
    failed = sorted(c["check"] for c in health.checks if c["severity"] == "critical")
    warned = sorted(c["check"] for c in health.checks if c["severity"] != "critical")
    if failed:
        notes.append(
            (
                "bad",
                f"Data-quality checks FAILED tonight ({', '.join(failed)}): do not trust these numbers "
                "before reading the data-quality report.",
            )
        )
    if warned:
        notes.append(("warn", f"Data-quality warnings tonight ({', '.join(warned)}): read the data-quality report."))
    if not health.has_night_data:
        since = f"the last night with data is {health.last_data_night}" if health.last_data_night else "none has any"
        notes.append(
            (
                "bad",
                f"STALE: no crash data for {health.night} ({since}): the charts and verdicts below are not tonight's.",
            )
        )
    missing = [s for s in ("raw", "aggregates") if s not in health.suites_checked]
    if missing:
        notes.append(
            (
                "warn",
                f"No data-quality checks ran for this night ({', '.join(missing)} suite): nothing has checked "
                "these numbers yet.",
            )
        )
    if not health.has_comparisons:
        notes.append(("warn", "No release_comparisons table yet: run compare_releases for this night for verdicts."))
    return notes


def _side(row: dict, name: str) -> dict[str, str]:
    return {
        "rate": _rate(row, name),
        "crashes": _num(row[f"{name}_crashes"], ","),
        "hours": _num(row[f"{name}_hours"], ",.0f"),
        "clients": _num(row[f"{name}_clients"], ","),
    }


def _verdict_rows(rows: list[dict]) -> list[dict]:
    """Verdict and ratio first (what the morning is about), then each side's rate with its raw numbers."""
    return [
        {
            "measure": r["measure"],
            "measure_name": MEASURE_NAMES[r["measure"]],
            "method": r["method"],
            "verdict": r["verdict"],
            "css": VERDICT_CLASS.get(r["verdict"], ""),
            "ratio": _ratio(r),
            "ages": _ages(r),
            "latest_version": r["latest_version"],
            "previous_version": r["previous_version"] or "-",
            "sides": [_side(r, "latest"), _side(r, "previous")],
        }
        for r in rows
    ]


def _signatures(platform: PlatformHealth) -> list[dict]:
    """Before each regression's reasons, the signatures that drove it (new ones first, then by
    share of the change), each with both rates, the difference, its interval and its links."""
    sections = []
    for v in platform.verdicts:
        top = top_signatures(platform.signatures, v, count=8) if v["verdict"] == REGRESSION else []
        if not top:
            continue
        rows = [
            item
            | {
                "first_seen": f"{d['first_date']} ({d['first_version']})" if d["first_date"] else "-",
                "latest_clients": f"{d['latest_clients']:,}",
                "previous_clients": f"{d['previous_clients']:,}",
            }
            | _change_cells(d)
            for d, item in zip(top, signature_items(top), strict=True)
        ]
        sections.append({"measure": v["measure"], "measure_words": v["measure"].replace("_", " "), "rows": rows})
    return sections


def _change_cells(d: Any) -> dict[str, str]:
    """A breakdown row's crashes, rates, difference with its interval and share, as printed."""
    return {
        "latest_crashes": f"{d['latest_crashes']:,}",
        "previous_crashes": f"{d['previous_crashes']:,}",
        "latest_rate": f"{d['latest_rate']:.2f}",
        "previous_rate": f"{d['previous_rate']:.2f}",
        "difference": f"{d['difference']:+.2f}",
        "difference_low": f"{d['difference_low']:+.2f}",
        "difference_high": f"{d['difference_high']:+.2f}",
        "share": _num(d["share_of_change"], ".0%"),
    }


def _drivers(platform_drivers: list[dict], verdicts: list[dict], slug: str, drawn: _Charts) -> list[dict]:
    """Beside each regression, the reasons that drove it, ranked by their share of the change,
    new ones first and marked, each with both rates, the difference and its interval; and
    a chart of those differences with their intervals."""
    sections = []
    for v in verdicts:
        top = top_drivers(platform_drivers, v, count=8) if v["verdict"] == REGRESSION else []
        if not top:
            continue
        rows = [{"flag": d["flag"], "reason": d["reason"]} | _change_cells(d) for d in top]
        points = [
            {
                "reason": d["reason"],
                "difference": d["difference"],
                "low": d["difference_low"],
                "high": d["difference_high"],
                "new": d["flag"] == "new",
            }
            for d in top
        ]
        figure = drawn.figure(
            f"{slug}-drivers-{v['measure']}",
            charts.contributions(points),
            "Each reason's change of crash rate, newest minus previous release, with 95% intervals; "
            "new reasons in red.",
        )
        sections.append(
            {
                "measure": v["measure"],
                "measure_words": v["measure"].replace("_", " "),
                "rows": rows,
                "figure": figure,
            }
        )
    return sections


class _Charts:
    """Each chart rendered once: to SVG for the page, to PNG (under a unique name) beside it."""

    def __init__(self) -> None:
        self.pngs: dict[str, bytes] = {}

    def figure(self, name: str, chart: object, caption: str, wide: bool = False) -> dict:
        svg = charts.to_svg(chart, name)  # type: ignore[arg-type]
        self.pngs[f"{name}.png"] = charts.to_png(svg)
        return {"name": name, "svg": svg, "caption": caption, "wide": wide}


def _figures(channel: ChannelHealth, platform: PlatformHealth, slug: str, drawn: _Charts) -> list[dict]:
    releases = [r.label for r in channel.releases]
    figures = []
    if platform.rates:
        figures.append(
            drawn.figure(
                f"{slug}-crash-rate",
                charts.by_release_age(platform.rates, releases, "crashes per 1,000 hours"),
                "Crashes per 1,000 usage hours by days since release, with 95% intervals.",
                wide=True,
            )
        )
    if platform.crash_free:
        figures.append(
            drawn.figure(
                f"{slug}-crash-free",
                charts.by_release_age(
                    [p | {"panel": ""} for p in platform.crash_free],
                    channel.crash_free_releases,
                    "clients without a crash",
                    percent=True,
                ),
                "Share of the day's active clients who did not crash, by days since release (Wilson 95%).",
            )
        )
    if platform.adoption:
        figures.append(
            drawn.figure(
                f"{slug}-adoption",
                charts.adoption(platform.adoption, channel.crash_free_releases),
                "Each release's share of the day's usage hours.",
            )
        )
    return figures


def _platform(channel: ChannelHealth, platform: PlatformHealth, drawn: _Charts, notes: list) -> dict:
    slug = f"{channel.channel}-{platform.os}".lower()
    shown = _platform_notes(platform) + _denominator_notes(platform)
    notes += shown
    latest, previous = (channel.releases + channel.releases[:1])[:2]
    return {
        "slug": slug,
        "os": platform.os,
        "notes": shown,
        "verdicts": _verdict_rows(platform.verdicts),
        "signatures": _signatures(platform),
        "drivers": _drivers(platform.drivers, platform.verdicts, slug, drawn),
        "figures": _figures(channel, platform, slug, drawn),
        "reasons": [
            {
                "reason": r["reason"],
                "latest": f"{r['latest']:,}",
                "latest_share": _num(r["latest_share"], ".1%"),
                "previous": f"{r['previous']:,}",
                "previous_share": _num(r["previous_share"], ".1%"),
            }
            for r in platform.reasons
        ],
        "latest": latest.label,
        "previous": previous.label,
    }


def _channel(channel: ChannelHealth, night: date, drawn: _Charts, notes: list[tuple[str, str]]) -> dict:
    newest = channel.releases[0]
    shown = _channel_notes(channel, night)
    notes += shown
    return {
        "name": channel.channel,
        "newest": newest.label,
        "released": newest.released,
        "day": (night - newest.released).days,
        "older": ", ".join(f"{r.label} ({r.released})" for r in channel.releases[1:]) or "none with usage",
        "notes": shown,
        "platforms": [_platform(channel, p, drawn, notes) for p in channel.platforms],
    }


def render(health: NightHealth, report_link: str) -> Page:
    """The page for ``health``; ``report_link`` is the night's data-quality report, as the page links it."""
    drawn, section_notes = _Charts(), list[tuple[str, str]]()
    channels = [_channel(c, health.night, drawn, section_notes) for c in health.channels]
    regression_lines = regressions(health)
    notes = _page_notes(health, regression_lines)
    limits = thresholds()
    page = TEMPLATES.get_template("health.html.j2").render(
        night=health.night,
        channels=channels,
        notes=notes,
        report_link=report_link if health.checks else None,
        materiality=f"{limits.materiality:g}",
        min_crashes=limits.min_crashes,
        min_hours=f"{limits.min_hours:,.0f}",
        min_clients=limits.min_clients,
    )
    return Page(
        page,
        drawn.pngs,
        regression_lines,
        regression_signatures(health),
        [text for _, text in notes + section_notes],
    )
