"""The data-quality report: a page a person reads in a minute, and its short text form.

Failures first (critical, then warning), each with what was observed against what
was allowed, and the rows that failed; then what passed. A failing history check
(volume or crash rate against the same weekday of past weeks) shows each series
that left its band as a small chart: the past weeks, the band allowed, and today.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date

from lib.pages.templates import TEMPLATES
from lib.quality.runner import CRITICAL, CheckResult


def _history_charts(result: CheckResult) -> list[dict[str, str]]:
    """The series a failing history check judged, one small chart each (grey: past weeks;
    green: the band allowed; red: today)."""
    if not result.history:
        return []
    from lib.pages import charts  # Altair and its renderer: only for a failing history check

    figures = []
    for i, series in enumerate(json.loads(result.history)):
        values = [p["value"] for p in series["points"] if p["value"] is not None]
        high = series["high"] if series["high"] is not None else max([*values, series["low"]]) * 1.1
        chart = charts.history(series["points"], series["low"], high, series["measure"])
        figures.append({"svg": charts.to_svg(chart, f"{result.check}-{i}"), "title": series["title"]})
    return figures


def _status(result: CheckResult) -> tuple[str, str]:
    if result.success:
        return "passed", "good"
    return ("FAILED", "bad") if result.severity == CRITICAL else ("warning", "warn")


def _ordered(results: Sequence[CheckResult]) -> list[CheckResult]:
    rank = {("FAILED"): 0, "warning": 1, "passed": 2}
    return sorted(results, key=lambda r: rank[_status(r)[0]])


def headline(day: date, results: Sequence[CheckResult]) -> str:
    critical = [r.check for r in results if r.failed_critical]
    warnings = [r.check for r in results if not r.success and r.severity != CRITICAL]
    if critical:
        return f"{day}: {len(critical)} critical check(s) failed: {', '.join(critical)}"
    if warnings:
        return f"{day}: no critical failure; {len(warnings)} warning(s): {', '.join(warnings)}"
    return f"{day}: all {len(results)} checks passed"


def render_text(day: date, results: Sequence[CheckResult], report_location: str) -> str:
    """The email body: what failed, by how much, against what."""
    lines = [headline(day, results), ""]
    for r in _ordered(results):
        if r.success:
            continue
        lines.append(f"[{r.severity}] {r.suite}/{r.check}: {r.description}")
        lines.append(f"    observed {r.observed_value}; allowed {r.threshold}")
        if r.details:
            lines.append(f"    {r.details}")
    passed = sum(r.success for r in results)
    lines += ["", f"{passed} of {len(results)} checks passed.", f"Full report: {report_location}"]
    return "\n".join(lines)


def render_html(day: date, results: Sequence[CheckResult]) -> str:
    rows = []
    for r in _ordered(results):
        status, css = _status(r)
        rows.append(
            {
                "status": status,
                "css": css,
                "severity": r.severity,
                "suite": r.suite,
                "check": r.check,
                "description": r.description,
                "observed": r.observed_value,
                "threshold": r.threshold,
                "details": r.details,
                "history": _history_charts(r),
            }
        )
    return TEMPLATES.get_template("dq_report.html.j2").render(
        day=day,
        title=headline(day, results),
        css="bad" if any(r.failed_critical for r in results) else "good",
        results=rows,
    )
