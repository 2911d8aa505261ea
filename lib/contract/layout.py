"""Where things are: the landing zone's partitions and markers, the warehouse's reports.

Plain path strings, no Spark, so the Airflow DAG (which must stay light at parse
time) and the jobs agree on one layout (SPEC section 1):

    <raw>/<doc_type>/submission_date=YYYY-MM-DD/<files>  (every name not starting with _ or .)
    <raw>/<doc_type>/submission_date=YYYY-MM-DD/_SUCCESS
    <warehouse>/dq_reports/YYYY-MM-DD.html
    <warehouse>/release_health/YYYY-MM-DD/index.html  (+ a PNG per chart, summary.json)
"""

from __future__ import annotations

from datetime import date

SUCCESS_MARKER = "_SUCCESS"


def partition_path(raw: str, doc_type: str, day: date) -> str:
    return f"{raw.rstrip('/')}/{doc_type}/submission_date={day.isoformat()}"


def success_marker_path(raw: str, doc_type: str, day: date) -> str:
    """The empty file ingestion writes once the partition is complete."""
    return f"{partition_path(raw, doc_type, day)}/{SUCCESS_MARKER}"


def _folder(warehouse: str, default: str, override: str | None) -> str:
    """``override`` when given, else ``<warehouse>/<default>``; no trailing slash."""
    return (override or f"{warehouse.rstrip('/')}/{default}").rstrip("/")


def report_path(warehouse: str, day: date, reports: str | None = None) -> str:
    """The day's data-quality report (both suites), rewritten by each validate job.

    ``reports`` is a folder that replaces the default ``<warehouse>/dq_reports``.
    """
    return f"{_folder(warehouse, 'dq_reports', reports)}/{day.isoformat()}.html"


def report_attachment_name(day: date) -> str:
    """The report's file name in an email, the same from the job and from the DAG's alert."""
    return f"data-quality-{day.isoformat()}.html"


HEALTH_PAGE = "index.html"
HEALTH_SUMMARY = "summary.json"


def health_folder(warehouse: str, day: date, out: str | None = None) -> str:
    """The night's release-health page, its charts' PNGs and its ``summary.json``.

    ``out`` is a folder that replaces the default ``<warehouse>/release_health``.
    """
    return f"{_folder(warehouse, 'release_health', out)}/{day.isoformat()}"


def health_attachment_name(day: date) -> str:
    return f"release-health-{day.isoformat()}.html"


def release_day_folder(warehouse: str, out: str | None = None) -> str:
    """The release-day page and its ``summary.json``, rewritten every hour.

    ``out`` is a folder that replaces the default ``<warehouse>/release_day``.
    """
    return _folder(warehouse, "release_day", out)


def release_day_alerts_folder(warehouse: str) -> str:
    """One file per release-day regression the hour it is established, for the DAG to email once."""
    return f"{warehouse.rstrip('/')}/release_day/alerts"
