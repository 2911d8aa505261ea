"""The page's words and charts, from hand-made numbers: what it says loudly, and when."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date

from lib.pages import charts
from lib.pages.health import ChannelHealth, NightHealth, PlatformHealth, Release
from lib.pages.health_page import regressions, render, verdict_line

NIGHT = date(2026, 11, 20)


def comparison(os_name: str, measure: str, verdict: str, **changes) -> dict:
    row = {
        "submission_date": NIGHT,
        "channel": "release",
        "os": os_name,
        "measure": measure,
        "latest_version": "158.0",
        "previous_version": "157.0.2",
        "age_from": 0,
        "age_to": 3,
        "latest_crashes": 310,
        "latest_hours": 98_000.0,
        "latest_clients": 3_100,
        "previous_crashes": 205,
        "previous_hours": 97_000.0,
        "previous_clients": 3_050,
        "latest_rate": 3.16,
        "latest_low": 2.8,
        "latest_high": 3.6,
        "previous_rate": 2.11,
        "previous_low": 1.8,
        "previous_high": 2.5,
        "ratio": 1.5,
        "ratio_low": 1.2,
        "ratio_high": 1.85,
        "method": "cluster-robust (clients), log scale",
        "verdict": verdict,
    }
    return row | changes


def rate_points() -> list[dict]:
    return [
        {"release": release, "panel": panel, "age": age, "value": value, "low": value * 0.8, "high": value * 1.25}
        for release, base in (("158.0", 3.0), ("157.0.2", 2.0))
        for panel in ("main process", "content processes")
        for age, value in ((0, base * 1.6), (1, base * 1.3), (2, base * 1.1))
    ]


def health(verdicts: list[dict], checks: list[dict] | None = None, released: date = date(2026, 11, 17)) -> NightHealth:
    releases = [Release("158.0", released, "158.0"), Release("157.0.2", date(2026, 11, 10), "157.0.2")]
    platforms = [
        PlatformHealth(os_name, rates=rate_points(), verdicts=[v for v in verdicts if v["os"] == os_name])
        for os_name in ("Mac", "Windows")
    ]
    return NightHealth(NIGHT, [ChannelHealth("release", releases, platforms)], checks or [], True)


def test_a_regression_is_one_line_with_both_sides_raw_numbers_and_the_ratios_interval():
    line = verdict_line(comparison("Mac", "main_crashes", "regression"))
    assert line == (
        "release Mac, main-process crashes: REGRESSION: 158.0 3.16 [2.80, 3.60] against 157.0.2 2.11 [1.80, 2.50] "
        "per 1,000 usage hours at release days 0-3, ratio 1.50x [1.20, 1.85]; crashes 310 vs 205, "
        "hours 98,000 vs 97,000, clients 3,100 vs 3,050"
    )


def test_only_regressions_are_alerted_and_a_quiet_night_says_so():
    quiet = health([comparison("Mac", "main_crashes", "no clear change")])
    assert regressions(quiet) == []
    page = render(quiet, "../../dq_reports/2026-11-20.html")
    assert "No regression, and every data-quality check passed tonight." in page.html
    loud = health(
        [comparison("Mac", "main_crashes", "regression"), comparison("Windows", "main_crashes", "improvement")]
    )
    assert [line.split(":")[0] for line in regressions(loud)] == ["release Mac, main-process crashes"]


def test_failed_checks_thin_data_and_a_release_under_a_day_old_are_loud():
    checks = [
        {"check": "duplicate_share", "severity": "critical", "success": False},
        {"check": "clock_skew_share", "severity": "warning", "success": False},
    ]
    thin = comparison("Windows", "main_crashes", "not enough data", latest_crashes=4, latest_hours=800.0)
    page = render(health([thin], checks, released=NIGHT), "../../dq_reports/2026-11-20.html")
    assert "Data-quality checks FAILED tonight (duplicate_share)" in page.html
    assert "Data-quality warnings tonight (clock_skew_share)" in page.html
    assert 'href="../../dq_reports/2026-11-20.html"' in page.html
    thin_note = "release Windows: thin data, no verdict on main-process crashes: 158.0 has 4 crashes over 800 hours, "
    assert thin_note + "157.0.2 205 over 97,000" in page.html
    young = "release: 158.0 was released on 2026-11-20: under a day old"
    assert page.html.count(young) == 1  # once for the channel, not per platform
    assert [n[:30] for n in page.notes] == [
        "Data-quality checks FAILED ton",
        "Data-quality warnings tonight ",
        young[:30],
        thin_note[:30],
    ]


def test_each_chart_is_inline_svg_with_ids_of_its_own_and_a_png_beside_it():
    page = render(health([comparison("Mac", "main_crashes", "regression")]), "report.html")
    assert sorted(page.pngs) == ["release-mac-crash-rate.png", "release-windows-crash-rate.png"]
    ids = re.findall(r'\bid="([^"]+)"', page.html)
    assert len(ids) == len(set(ids)), "two charts' clip paths must not share an id"
    for reference in re.findall(r"url\(#([^)]+)\)", page.html):
        assert reference in ids
    assert all(png[:8] == b"\x89PNG\r\n\x1a\n" for png in page.pngs.values())


def test_a_thin_days_wide_interval_does_not_stretch_the_axis():
    thin_day = {"release": "158.0", "panel": "main process", "age": 3, "value": 2.0, "low": 0.1, "high": 90.0}
    points = [*rate_points(), thin_day]
    spec = charts.by_release_age(points, ["158.0", "157.0.2"], "crashes per 1,000 hours").to_dict()
    for layer in spec["spec"]["layer"]:  # the band's layer too, or Vega-Lite merges its domain in
        assert layer["encoding"]["y"]["scale"]["domain"] == [0.0, max(p["value"] for p in points) * 1.5]
    assert spec["facet"]["column"]["sort"] == ["main process", "content processes"]  # as given, not alphabetical


def test_a_night_no_check_ran_on_or_without_data_of_its_own_never_says_all_passed():
    """Issue 24: the page said every check passed on a night when none ran, and showed
    older nights' numbers as tonight's."""
    quiet = [comparison("Mac", "main_crashes", "no clear change")]
    unchecked = replace(health(quiet), suites_checked=("raw",))
    page = render(unchecked, "../../dq_reports/2026-11-20.html")
    assert "every data-quality check passed" not in page.html
    assert "No data-quality checks ran for this night (aggregates suite)" in page.html
    stale = replace(health(quiet), suites_checked=(), has_night_data=False, last_data_night=date(2026, 11, 18))
    page = render(stale, "../../dq_reports/2026-11-20.html")
    assert page.notes[0].startswith("STALE: no crash data for 2026-11-20 (the last night with data is 2026-11-18)")
    assert "every data-quality check passed" not in page.html


def test_a_verdict_per_active_hour_that_tells_another_story_is_shown_beside_it():
    usage = comparison("Mac", "main_crashes", "no clear change", denominator="usage", ratio=1.05, ratio_low=0.9)
    # Per active hour the same release is a regression: its sessions idle less, crash as often.
    active = usage | {
        "denominator": "active",
        "ratio": 1.6,
        "ratio_low": 1.3,
        "ratio_high": 1.9,
        "verdict": "regression",
    }
    same = comparison("Windows", "main_crashes", "regression", denominator="usage")
    agreeing = same | {"denominator": "active", "ratio": 1.55}  # within 10%: one story, no note
    page = health([usage, same])
    page.channels[0].platforms[0].other_verdicts.append(active)
    page.channels[0].platforms[1].other_verdicts.append(agreeing)
    text = re.sub(r"<[^>]+>", " ", render(page, "report.html").html)
    assert "release Mac main-process crashes: per active hour 1.60x [1.30, 1.90], regression; per usage hour" in text
    assert "release Windows main-process crashes: per active hour" not in text


def test_a_ratio_of_zero_gets_no_denominator_note_and_no_error():
    # The newest release has no crash yet: a ratio of 0 is no base to compare another with.
    usage = comparison("Mac", "main_crashes", "not enough data", denominator="usage", ratio=0.0, latest_crashes=0)
    page = health([usage])
    page.channels[0].platforms[0].other_verdicts.append(usage | {"denominator": "active", "ratio": 0.0})
    assert "per active hour" not in render(page, "report.html").html


def test_a_release_dated_after_the_night_is_noted_not_called_a_day_old():
    page = render(health([comparison("Mac", "main_crashes", "no clear change")], released=date(2026, 11, 25)), "r.html")
    assert "the release calendar dates 158.0 (2026-11-25) after this night" in page.html
    assert "under a day old" not in page.html


def signature_row(signature: str, flag: str, share: float | None, **changes) -> dict:
    row = {
        "submission_date": NIGHT, "channel": "release", "os": "Mac", "process_type": "main", "signature": signature,
        "flag": flag, "latest_crashes": 95, "previous_crashes": 0, "latest_clients": 90, "previous_clients": 0,
        "latest_rate": 0.97, "previous_rate": 0.0, "difference": 0.97, "difference_low": 0.77,
        "difference_high": 1.17, "share_of_change": share, "first_date": date(2026, 11, 17), "first_version": "158.0",
    }  # fmt: skip
    return row | changes


SIGNED = [
    signature_row("OOM | small", "steady", 0.05, previous_crashes=80, first_date=date(2026, 1, 2), first_version="147"),
    signature_row("mozilla::gfx::Draw<T> | A&B", "grown", 0.3, previous_crashes=10),
    signature_row("AppleGPUDriverPlanted.bundle@0x2", "new", 0.6),
    signature_row("other signatures", "steady", 0.05, first_date=None, first_version=None),
]


def test_a_regression_is_led_by_its_signatures_new_first_each_linked_on_the_page_and_in_the_email():
    from lib.pages.emails import regressions_email

    night = health([comparison("Mac", "main_crashes", "regression")])
    night.channels[0].platforms[0].signatures = SIGNED
    (line,) = regressions(night)
    verdict, led = line.split(" Signatures: ")
    assert verdict == verdict_line(comparison("Mac", "main_crashes", "regression"))
    assert led.startswith(
        "AppleGPUDriverPlanted.bundle@0x2 (NEW, first seen 2026-11-17 in 158.0, 60% of the change): "
        "0.97 vs 0.00 per 1,000 h (95 vs 0 crashes, 90 vs 0 clients), +0.97 [+0.77, +1.17]; "
        "mozilla::gfx::Draw<T> | A&B (grown, 30% of the change)"
    )
    page = render(night, "report.html")
    (signed,) = page.regression_signatures
    assert [s["signature"] for s in signed] == [
        "AppleGPUDriverPlanted.bundle@0x2", "mozilla::gfx::Draw<T> | A&B", "OOM | small"
    ]  # fmt: skip
    stats = "https://crash-stats.mozilla.org/signature/?signature=mozilla%3A%3Agfx%3A%3ADraw%3CT%3E%20%7C%20A%26B"
    bugs = (
        "https://bugzilla.mozilla.org/buglist.cgi?query_format=advanced&amp;cf_crash_signature_type=substring"
        "&amp;cf_crash_signature=mozilla%3A%3Agfx%3A%3ADraw%3CT%3E%20%7C%20A%26B"
    )
    assert (signed[1]["crash_stats"], signed[1]["bugzilla"]) == (stats, bugs.replace("&amp;", "&"))
    assert f'<a href="{stats}">Crash Stats</a>' in page.html
    assert f'<a href="{bugs}">bugs</a>' in page.html
    # On the page, the signatures come before the reasons' table and the charts; pooled ones have no link.
    table = page.html.index('<table class="signatures"')
    assert page.html.index("AppleGPUDriverPlanted.bundle@0x2</code>") > table
    assert page.html.index("<code>other signatures</code></td><td>-</td>") > table
    assert page.html.count('href="https://crash-stats.mozilla.org/') == 3
    email = regressions_email("2026-11-20", page.regressions, "page.html", page.regression_signatures)
    assert f'<code>mozilla::gfx::Draw&lt;T&gt; | A&amp;B</code>: <a href="{stats}">Crash Stats</a>' in email
    assert f'<a href="{bugs}">Bugzilla</a>' in email
    assert email.index("<b>NEW</b> <code>AppleGPUDriverPlanted.bundle@0x2</code>") < email.index("<code>mozilla::gfx")


def test_a_regression_without_signature_rows_is_one_line_as_before_and_an_old_summary_still_emails():
    from lib.pages.emails import regressions_email

    night = health([comparison("Mac", "main_crashes", "regression")])
    page = render(night, "report.html")
    assert page.regressions == [verdict_line(comparison("Mac", "main_crashes", "regression"))]
    assert page.regression_signatures == [[]]
    assert 'class="signatures"' not in page.html
    email = regressions_email("2026-11-20", page.regressions, "page.html")  # summary.json without signatures
    assert "Its signatures" not in email and email.count("<li>") == 1
