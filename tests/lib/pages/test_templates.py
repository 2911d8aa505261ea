"""Every string that reaches a page, a report or an email, made hostile: markup is text,
control characters are gone, and a right-to-left override cannot reorder what is read."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import date

import pytest

from lib.pages.health import ChannelHealth, NightHealth, PlatformHealth, Release
from lib.pages.health_page import render
from lib.pages.templates import printable
from lib.quality.report import render_html
from lib.quality.runner import CheckResult
from tests.lib.pages.test_health_page import comparison, rate_points

NIGHT = date(2026, 11, 20)
HOSTILE = "<script>alert(1)</script>\x00\x1b[31m\u202egpj.exe\u2066\u0085&amp;"
CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _assert_clean(html: str) -> None:
    assert "<script" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert not CONTROLS.search(html)
    assert "&amp;amp;" in html  # escaped once, so "&amp;" reads as itself


def test_printable_drops_controls_and_marks_overrides():
    assert printable("a\x00b\x1b\u202ec\u0085\td\n") == "ab\ufffdc\td\n"
    assert printable(3) == 3 and printable(None) is None


def test_every_string_of_the_health_page_is_printed_as_text():
    verdict = comparison("Mac", "main_crashes", "regression")
    verdict |= {k: HOSTILE for k in ("channel", "os", "latest_version", "previous_version", "method")}
    verdict["measure"] = "main_crashes"
    driver = {
        "channel": HOSTILE, "os": HOSTILE, "process_type": "main", "submission_date": NIGHT, "flag": "new",
        "reason": HOSTILE, "latest_crashes": 40, "previous_crashes": 0, "latest_rate": 0.41, "previous_rate": 0.0,
        "difference": 0.41, "difference_low": 0.3, "difference_high": 0.52, "share_of_change": 0.81,
    }  # fmt: skip
    signed = {"signature": HOSTILE + '" onmouseover="x', "first_date": NIGHT, "first_version": HOSTILE}
    signed |= {"latest_clients": 3, "previous_clients": 0}
    platform = PlatformHealth(
        HOSTILE,
        rates=[p | {"release": HOSTILE if p["release"] == "158.0" else p["release"]} for p in rate_points()],
        verdicts=[verdict],
        reasons=[{"reason": HOSTILE, "latest": 3, "latest_share": 0.5, "previous": 1, "previous_share": 0.2}],
        drivers=[driver],
        signatures=[driver | signed],
    )
    releases = [Release(HOSTILE, date(2026, 11, 17), HOSTILE), Release("157.0.2", date(2026, 11, 10), "157.0.2")]
    checks = [{"check": HOSTILE, "severity": "critical", "success": False}]
    night = NightHealth(NIGHT, [ChannelHealth(HOSTILE, releases, [platform])], checks, True)
    page = render(night, HOSTILE)
    _assert_clean(page.html)
    assert page.html.count("\ufffd") >= 5
    assert '" onmouseover' not in page.html  # neither the text nor the links' quoting lets it out
    assert "signature=%3Cscript%3Ealert%281%29%3C%2Fscript%3E" in page.html


def test_every_string_of_the_data_quality_report_is_printed_as_text():
    series = [{"title": HOSTILE, "measure": HOSTILE, "low": 1.0, "high": 2.0,
               "points": [{"day": "2026-11-20", "value": 3.0, "today": True}]}]  # fmt: skip
    results = [
        CheckResult(NIGHT, HOSTILE, HOSTILE, "critical", False, HOSTILE, HOSTILE, HOSTILE, HOSTILE),
        CheckResult(NIGHT, "aggregates", "volume", "critical", False, "", "", "", "", history=json.dumps(series)),
    ]
    _assert_clean(render_html(NIGHT, results))


@pytest.mark.parametrize("field", ["latest_version", "os"])
def test_a_hostile_field_does_not_break_the_release_health_tables(field):
    verdict = comparison("Mac", "main_crashes", "regression") | {field: HOSTILE}
    page = render(replace(_one(verdict)), "report.html")
    assert page.html.count("<table") == page.html.count("</table>")


def _one(verdict: dict) -> NightHealth:
    releases = [Release("158.0", date(2026, 11, 17), "158.0"), Release("157.0.2", date(2026, 11, 10), "157.0.2")]
    return NightHealth(
        NIGHT, [ChannelHealth("release", releases, [PlatformHealth("Mac", verdicts=[verdict])])], [], True
    )


def test_every_string_of_an_email_is_printed_as_text():
    from lib.pages.emails import facts_email, regressions_email

    _assert_clean(facts_email("A check failed.", {HOSTILE: HOSTILE, "Error": HOSTILE}))
    body = regressions_email("2026-11-20", [HOSTILE, "release Mac, main-process crashes: REGRESSION"], HOSTILE)
    _assert_clean(body)
    assert body.count("<li>") == 2
    from lib.analysis.signature_changes import signature_links

    hostile = HOSTILE + '" onmouseover="x'
    signed = [[{"signature": hostile, "flag": "new", "text": hostile, **signature_links(hostile)}]]
    body = regressions_email("2026-11-20", [HOSTILE], HOSTILE, signed)
    _assert_clean(body)
    assert '" onmouseover' not in body
    assert body.count('href="https://crash-stats.mozilla.org/signature/?signature=%3Cscript%3E') == 1
