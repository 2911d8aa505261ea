"""SMTP settings from the environment, and the report's text, without Spark."""

from __future__ import annotations

import json
import re
from datetime import date

import pytest

from lib.quality.notify import SmtpSettings
from lib.quality.report import headline, render_html, render_text
from lib.quality.runner import CheckResult

DAY = date(2026, 11, 20)


def result(check, success, severity="critical", observed="1%", details=""):
    return CheckResult(DAY, "raw", check, severity, success, observed, "at most 5% of lines", details, "what it guards")


def test_no_host_means_no_email():
    assert SmtpSettings.from_env({}) is None


def test_settings_come_from_the_environment():
    settings = SmtpSettings.from_env(
        {
            "CRASH_RATES_SMTP_HOST": "mail.example.org",
            "CRASH_RATES_SMTP_SECURITY": "ssl",
            "CRASH_RATES_SMTP_USER": "bot",
            "CRASH_RATES_SMTP_PASSWORD": "s3cret",
            "CRASH_RATES_SMTP_TO": "a@example.org, b@example.org,",
        }
    )
    assert (settings.host, settings.port, settings.security) == ("mail.example.org", 465, "ssl")
    assert settings.recipients == ("a@example.org", "b@example.org")
    assert (settings.user, settings.password) == ("bot", "s3cret")


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"CRASH_RATES_SMTP_HOST": "h"}, "names no recipient"),
        ({"CRASH_RATES_SMTP_HOST": "h", "CRASH_RATES_SMTP_TO": "x", "CRASH_RATES_SMTP_SECURITY": "tls"}, "starttls"),
    ],
)
def test_incomplete_settings_are_an_error(env, message):
    with pytest.raises(ValueError, match=message):
        SmtpSettings.from_env(env)


def test_the_text_names_failures_with_observed_and_allowed_and_skips_passes():
    results = [
        result("client_id_well_formed", True),
        result("duplicate_share", False, observed="31.2% of 6,400 rows fail (1,997)"),
        result("clock_skew_share", False, severity="warning"),
    ]
    text = render_text(DAY, results, "/wh/dq_reports/2026-11-20.html")
    assert text.splitlines()[0] == "2026-11-20: 1 critical check(s) failed: duplicate_share"
    assert "[critical] raw/duplicate_share: what it guards" in text
    assert "observed 31.2% of 6,400 rows fail (1,997); allowed at most 5% of lines" in text
    assert text.index("duplicate_share") < text.index("clock_skew_share")
    assert "client_id_well_formed" not in text
    assert text.endswith("1 of 3 checks passed.\nFull report: /wh/dq_reports/2026-11-20.html")


def test_headlines():
    assert headline(DAY, [result("a", True)]) == "2026-11-20: all 1 checks passed"
    assert headline(DAY, [result("a", False, "warning")]) == "2026-11-20: no critical failure; 1 warning(s): a"


def test_the_page_escapes_what_it_shows():
    page = render_html(DAY, [result("x", False, details="version=<script>")])
    assert "<script>" not in page and "&lt;script&gt;" in page


def test_a_failing_history_check_draws_each_series_it_judged_and_others_draw_nothing():
    series = [
        {
            "title": f"release {os_name} pings",
            "measure": "pings",
            "points": [
                *({"day": f"2026-11-{d:02d}", "value": 1000.0 + d, "today": False} for d in (6, 13)),
                {"day": "2026-11-20", "value": 310.0, "today": True},
            ],
            "low": 760.0,
            "high": None,
        }
        for os_name in ("Mac", "Linux")
    ]
    drop = CheckResult(
        DAY, "aggregates", "volume_vs_history", "critical", False, "", "", "", "", history=json.dumps(series)
    )
    page = render_html(DAY, [drop, result("duplicate_share", False)])
    assert page.count("<svg") == 2
    assert (
        "<figcaption>release Mac pings</figcaption>" in page and "<figcaption>release Linux pings</figcaption>" in page
    )
    ids = re.findall(r'\bid="([^"]+)"', page)
    assert len(ids) == len(set(ids))
