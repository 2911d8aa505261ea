"""The release-health page: one self-contained HTML file a release manager reads in a minute.

Loud notes first (a regression, failed or warned data-quality checks, thin data, a
release under a day old), then per channel and platform: the verdicts with their raw
counts, hours and clients beside every rate, the charts, and the top crash reasons.
Charts are inline SVG (no script, no request: the page opens from a file, an email
attachment or paper the same way) and also returned as PNGs to write beside it.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import date

from lib.analysis.compare import REGRESSION, thresholds
from lib.analysis.reason_comparisons import driver_text, top_drivers
from lib.pages import charts
from lib.pages.health import ChannelHealth, NightHealth, PlatformHealth

MEASURE_NAMES = {
    "main_crashes": "main-process crashes",
    "content_crashes": "content-process crashes",
    "crash_incidence": "clients who crashed",
}
VERDICT_CLASS = {"regression": "bad", "improvement": "good", "no clear change": "calm", "not enough data": "thin"}

STYLE = """
:root { --bad: #b71c1c; --warn: #8a5300; --good: #1b5e20; --thin: #555; --line: #e2e2e2; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: #1a1a1a;
       max-width: 1180px; margin: 0 auto; padding: 1rem 1.25rem 3rem; }
h1 { font-size: 1.5rem; margin: .2rem 0; }
h2 { font-size: 1.3rem; margin: 2rem 0 .3rem; border-bottom: 2px solid #222; }
h3 { font-size: 1.1rem; margin: 1.4rem 0 .4rem; } .sub { color: #555; margin: 0 0 .6rem; }
nav a { margin-right: .8rem; }
.note { border-left: 6px solid var(--thin); background: #f5f5f5; padding: .45rem .8rem; margin: .45rem 0; }
.note.bad { border-color: var(--bad); background: #fdecea; font-weight: 600; }
.note.warn { border-color: var(--warn); background: #fff4e0; font-weight: 600; }
.note.thin { border-color: var(--thin); }
.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-size: .84rem; font-variant-numeric: tabular-nums; }
th, td { padding: .3rem .45rem; border-bottom: 1px solid var(--line); text-align: right; white-space: nowrap; }
th { background: #f4f4f4; } th.side { text-align: center; border-left: 2px solid #fff; }
th:first-child, td:first-child, td.text { text-align: left; }
td small { color: #555; }
td.reason { text-align: left; white-space: normal; max-width: 38rem; overflow-wrap: anywhere; }
.verdict { font-weight: 700; } .verdict.bad { color: var(--bad); } .verdict.good { color: var(--good); }
.verdict.thin { color: var(--thin); font-weight: 400; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(330px, 1fr)); gap: .8rem 1.4rem; }
.charts figure.wide { grid-column: 1 / -1; }
figure { margin: .4rem 0; } figcaption { font-size: .85rem; color: #444; }
figure svg { max-width: 100%; height: auto; display: block; }
.empty { color: #777; font-style: italic; }
footer { margin-top: 2.5rem; font-size: .85rem; color: #444; border-top: 1px solid var(--line); }
@media (max-width: 640px) { body { padding: .6rem; font-size: 14px; } table { font-size: .76rem; } }
@media print {
  nav { display: none; } body { max-width: none; padding: 0; font-size: 11px; }
  section.platform { break-inside: avoid-page; } h2 { break-before: page; }
  section.channel:first-of-type h2 { break-before: auto; }
  .table-wrap { overflow: visible; } th, td { white-space: normal; }
}
"""


@dataclass(frozen=True)
class Page:
    html: str
    pngs: dict[str, bytes]  # file name -> PNG, to write beside the page
    regressions: list[str]  # one line per regression verdict, for the alert
    notes: list[str]  # every note on the page (night, channel, platform), as text


def _e(value: object) -> str:
    return html.escape(str(value))


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


def _stacked(text: str) -> str:
    """``1.58x [1.36, 1.84]`` as the value over its interval in small type: a narrower column."""
    value, _, interval = text.partition(" [")
    return f"{_e(value)}<br><small>[{_e(interval)}</small>" if interval else _e(value)


def _verdict_table(rows: list[dict]) -> str:
    """Verdict and ratio first (what the morning is about), then each side's rate with its raw numbers."""
    if not rows:
        return '<p class="empty">No comparison for this platform tonight.</p>'
    side = "<th>rate [95%]</th><th>crashes</th><th>hours</th><th>clients</th>"
    head = (
        '<tr><th rowspan="2">measure</th><th rowspan="2">verdict</th><th rowspan="2">ratio [95%]</th>'
        f'<th rowspan="2">ages</th><th colspan="4" class="side">newest: {_e(rows[0]["latest_version"])}</th>'
        f'<th colspan="4" class="side">previous: {_e(rows[0]["previous_version"] or "-")}</th></tr>'
        f"<tr>{side}{side}</tr>"
    )
    body = []
    for r in rows:
        css = VERDICT_CLASS.get(r["verdict"], "")
        cells = [
            f'<td class="text" title="{_e(r["method"])}">{_e(MEASURE_NAMES[r["measure"]])}</td>',
            f'<td class="text verdict {css}">{_e(r["verdict"])}</td>',
            f"<td>{_stacked(_ratio(r))}</td>",
            f"<td>{_e(_ages(r))}</td>",
        ]
        for name in ("latest", "previous"):
            cells += [
                f"<td>{_stacked(_rate(r, name))}</td>",
                f"<td>{_num(r[f'{name}_crashes'], ',')}</td>",
                f"<td>{_num(r[f'{name}_hours'], ',.0f')}</td>",
                f"<td>{_num(r[f'{name}_clients'], ',')}</td>",
            ]
        body.append(f'<tr class="verdict-row {css}" data-measure="{_e(r["measure"])}">' + "".join(cells) + "</tr>")
    return f'<div class="table-wrap"><table class="verdicts">{head}{"".join(body)}</table></div>'


def _reasons_table(rows: list[dict], latest: str, previous: str) -> str:
    if not rows:
        return ""
    head = (
        f"<tr><th>crash reason (process: reason, module or type)</th><th>{_e(latest)}</th><th>share</th>"
        f"<th>{_e(previous)}</th><th>share</th></tr>"
    )
    body = "".join(
        f'<tr><td class="reason">{_e(r["reason"])}</td>'
        f"<td>{r['latest']:,}</td><td>{_num(r['latest_share'], '.1%')}</td>"
        f"<td>{r['previous']:,}</td><td>{_num(r['previous_share'], '.1%')}</td></tr>"
        for r in rows
    )
    return (
        "<h4>Top crash reasons of the newest release, over the days compared</h4>"
        f'<div class="table-wrap"><table class="reasons">{head}{body}</table></div>'
    )


class _Rendered:
    """What rendering the sections leaves besides their HTML: each chart rendered once to
    SVG (for the page) and PNG (beside it, under a unique name), and the notes shown."""

    def __init__(self) -> None:
        self.pngs: dict[str, bytes] = {}
        self.notes: list[tuple[str, str]] = []

    def noted(self, notes: list[tuple[str, str]]) -> str:
        """The notes as HTML, kept for the page's list of every note."""
        self.notes += notes
        return _notes_html(notes)

    def figure(self, name: str, chart: object, caption: str, wide: bool = False) -> str:
        svg = charts.to_svg(chart, name)  # type: ignore[arg-type]
        self.pngs[f"{name}.png"] = charts.to_png(svg)
        css = ' class="wide"' if wide else ""
        return (
            f'<figure{css} data-chart="{_e(name)}">{svg}<figcaption>{_e(caption)} '
            f'(<a href="{_e(name)}.png">PNG</a>)</figcaption></figure>'
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
    if (night - newest.released).days >= 1:
        return []
    return [
        (
            "warn",
            f"{channel.channel}: {newest.label} was released on {newest.released}: under a day old, its numbers "
            "are its first hours and its earliest, eagerest users.",
        )
    ]


def _notes_html(notes: list[tuple[str, str]]) -> str:
    return "".join(f'<p class="note {css}">{_e(text)}</p>' for css, text in notes)


def _platform(channel: ChannelHealth, platform: PlatformHealth, night: date, rendered: _Rendered) -> str:
    releases = [r.label for r in channel.releases]
    slug = f"{channel.channel}-{platform.os}".lower()
    notes = rendered.noted(_platform_notes(platform) + _denominator_notes(platform))
    figures = []
    if platform.rates:
        figures.append(
            rendered.figure(
                f"{slug}-crash-rate",
                charts.by_release_age(platform.rates, releases, "crashes per 1,000 hours"),
                "Crashes per 1,000 usage hours by days since release, with 95% intervals.",
                wide=True,
            )
        )
    if platform.crash_free:
        figures.append(
            rendered.figure(
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
            rendered.figure(
                f"{slug}-adoption",
                charts.adoption(platform.adoption, channel.crash_free_releases),
                "Each release's share of the day's usage hours.",
            )
        )
    latest, previous = (channel.releases + channel.releases[:1])[:2]
    return (
        f'<section class="platform" id="{_e(slug)}"><h3>{_e(channel.channel)} · {_e(platform.os)}</h3>{notes}'
        f"{_verdict_table(platform.verdicts)}{_drivers_table(platform.drivers, platform.verdicts)}"
        f'<div class="charts">{"".join(figures)}</div>'
        f"{_reasons_table(platform.reasons, latest.label, previous.label)}</section>"
    )


def _channel(channel: ChannelHealth, night: date, rendered: _Rendered) -> str:
    newest = channel.releases[0]
    older = ", ".join(f"{r.label} ({r.released})" for r in channel.releases[1:]) or "none with usage"
    return (
        f'<section class="channel" id="{_e(channel.channel)}"><h2>{_e(channel.channel)}</h2>'
        f'<p class="sub">Newest: <b>{_e(newest.label)}</b>, released {newest.released} '
        f"(day {(night - newest.released).days}); before it: {_e(older)}.</p>"
        + rendered.noted(_channel_notes(channel, night))
        + "".join(_platform(channel, p, night, rendered) for p in channel.platforms)
        + "</section>"
    )


def regressions(health: NightHealth) -> list[str]:
    """The night's regression verdicts, one line each, with the crash reasons that drove it
    (the top three of ``reason_comparisons``, new ones first)."""
    lines = []
    for channel in health.channels:
        for platform in channel.platforms:
            for v in platform.verdicts:
                if v["verdict"] != REGRESSION:
                    continue
                top = top_drivers(platform.drivers, v)
                driven = f" Driven by: {'; '.join(driver_text(d) for d in top)}." if top else ""
                lines.append(verdict_line(v) + driven)
    return lines


def _drivers_table(platform_drivers: list[dict], verdicts: list[dict]) -> str:
    """Beside each regression, the reasons that drove it, ranked by their share of the change,
    new ones first and marked, each with both rates, the difference and its interval."""
    sections = []
    for v in verdicts:
        if v["verdict"] != REGRESSION:
            continue
        top = top_drivers(platform_drivers, v, count=8)
        if not top:
            continue
        body = "".join(
            f'<tr class="driver {_e(d["flag"])}"><td class="reason">{"<b>NEW</b> " if d["flag"] == "new" else ""}'
            f"{_e(d['reason'])}</td><td>{d['latest_crashes']:,}</td><td>{d['previous_crashes']:,}</td>"
            f"<td>{d['latest_rate']:.2f}</td><td>{d['previous_rate']:.2f}</td>"
            f"<td>{d['difference']:+.2f} <small>[{d['difference_low']:+.2f}, {d['difference_high']:+.2f}]</small></td>"
            f"<td>{_num(d['share_of_change'], '.0%')}</td><td>{_e(d['flag'])}</td></tr>"
            for d in top
        )
        head = (
            "<tr><th>crash reason</th><th>crashes, newest</th><th>previous</th><th>rate per 1,000 h</th>"
            "<th>previous</th><th>difference [95%]</th><th>share of the change</th><th>flag</th></tr>"
        )
        sections.append(
            f"<h4>What drove the {_e(v['measure'].replace('_', ' '))} regression</h4>"
            f'<div class="table-wrap"><table class="drivers" data-measure="{_e(v["measure"])}">'
            f"{head}{body}</table></div>"
        )
    return "".join(sections)


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


def render(health: NightHealth, report_link: str) -> Page:
    """The page for ``health``; ``report_link`` is the night's data-quality report, as the page links it."""
    rendered = _Rendered()
    sections = "".join(_channel(c, health.night, rendered) for c in health.channels)
    regression_lines = regressions(health)
    notes = _page_notes(health, regression_lines)
    note_html = _notes_html(notes)
    if health.checks:
        note_html += f'<p class="note warn"><a href="{_e(report_link)}">The night\'s data-quality report</a></p>'
    if not notes:
        note_html = '<p class="note">No regression, and every data-quality check passed tonight.</p>'
    nav = " ".join(f'<a href="#{_e(c.channel)}">{_e(c.channel)}</a>' for c in health.channels)
    limits = thresholds()
    body = (
        f"<header><h1>Firefox release health, {health.night}</h1>"
        '<p class="sub">The newest release of each channel against the releases before it, at the same age, '
        "per platform. Rates are crashes per 1,000 usage hours; every rate has its raw counts and a 95% "
        f"interval beside it.</p><nav>{nav}</nav></header>"
        f'<section id="notes">{note_html}</section>{sections or "<p class=empty>No usage in the tables.</p>"}'
        "<footer><p><b>How to read this.</b> A release is compared with the one before it over the same days "
        "since release, because every release is crashier in its first days. "
        f"<b>regression</b> means the ratio's lower bound is above {limits.materiality:g} (a smaller change is not "
        f"news even when certain); <b>not enough data</b> means fewer than {limits.min_crashes} crashes or "
        f"{limits.min_hours:,.0f} hours on a side (or {limits.min_clients} clients for the share who crashed). "
        "Intervals are cluster-robust where per-client sums exist (a few machines crashing again and again "
        "widen them), exact Poisson elsewhere; hover a measure for its method. Clients are HyperLogLog "
        "estimates: no client id leaves the nightly job. Thresholds: schemas/verdicts.yaml.</p></footer>"
    )
    page = (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>Firefox release health {health.night}</title><style>{STYLE}</style></head>"
        f"<body>{body}</body></html>"
    )
    return Page(page, rendered.pngs, regression_lines, [text for _, text in notes + rendered.notes])
