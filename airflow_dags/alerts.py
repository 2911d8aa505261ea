"""The DAG's emails: the on-call alert for a failed task, and the release managers' regression alert.

Sent once a task has failed for good (after its retries; at once for a data-quality
verdict), to the addresses in the Variable ``crash_rates_alert_to``, through the
``smtp_default`` connection (its extra holds ``from_email``). It says which
submission date, which task and try, the one-line error, where the log is and, for
a data-quality failure, carries the day's report as an attachment.

:func:`alert_release_managers` is the other email: the night's regressions, to the
release managers, with the release-health page attached.
"""

from __future__ import annotations

import json
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

from airflow.providers.smtp.notifications.smtp import SmtpNotifier

from airflow_dags import object_store
from airflow_dags.dates import submission_date
from airflow_dags.spark_jobs import DataQualityFailed
from lib.contract.layout import (
    HEALTH_PAGE,
    HEALTH_SUMMARY,
    health_attachment_name,
    health_folder,
    release_day_alerts_folder,
    report_attachment_name,
)


class OnCallAlert(SmtpNotifier):
    """``on_failure_callback`` for every task of the nightly DAG."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("to", "{{ var.value.crash_rates_alert_to }}")
        kwargs.setdefault("smtp_conn_id", "smtp_default")
        super().__init__(**kwargs)

    def notify(self, context: Any) -> None:
        ti, error = context["ti"], context.get("exception")
        day = submission_date(context)
        report = context["task"].report() if isinstance(error, DataQualityFailed) else None
        what = "data quality failed" if isinstance(error, DataQualityFailed) else "failed"
        self.subject = f"[crash-rates] {day} {ti.task_id} {what}"
        facts = {
            "Submission date": str(day),
            "DAG": ti.dag_id,
            "Task": f"{ti.task_id} (try {ti.try_number})",
            "Run": ti.run_id,
            "Error": str(error).splitlines()[0] if error else "(no exception: marked failed)",
            "Log": ti.log_url,
        }
        if report:
            facts["Report"] = report
        from lib.pages.emails import facts_email  # at send time: parsing the DAG stays light

        self.html_content = facts_email("The nightly crash-rates run needs a look.", facts)
        with tempfile.TemporaryDirectory(prefix="crash_rates_alert_") as folder:
            self.files = _attach(report, Path(folder) / report_attachment_name(day)) if report else []
            super().notify(context)


def _attach(report: str, local: Path) -> list[str]:
    """The report copied to ``local`` to attach (downloaded when it lives on S3); none if missing."""
    page = object_store.read_bytes(report)
    if page is None:
        return []
    local.write_bytes(page)
    return [str(local)]


def alert_release_managers(day: str, warehouse: str, out: str | None = None) -> str:
    """Email the release managers (Variable ``crash_rates_release_managers``) the night's
    regression verdicts, with the release-health page attached; nothing on a quiet night.

    Reads the ``summary.json`` that ``jobs.release_health`` writes beside the page.
    A regression with no address to send it to fails the task, so the on-call hears of it.
    """
    from airflow.providers.smtp.hooks.smtp import SmtpHook
    from airflow.sdk import Variable
    from airflow.sdk.exceptions import AirflowFailException

    night = date.fromisoformat(day)
    folder = health_folder(warehouse, night, out or None)
    raw = object_store.read_bytes(f"{folder}/{HEALTH_SUMMARY}")
    if raw is None:
        raise AirflowFailException(f"no {HEALTH_SUMMARY} in {folder}: did release_health run for {day}?")
    summary = json.loads(raw)
    lines: list[str] = summary["regressions"]
    if not lines:
        return f"{day}: no regression, no email"
    recipients = Variable.get("crash_rates_release_managers", default=None)
    if not recipients:
        raise AirflowFailException(
            f"{day}: {len(lines)} regression(s), but the Variable crash_rates_release_managers is not set"
        )
    from lib.pages.emails import regressions_email

    # Summaries written before signatures have none: the lines alone.
    body = regressions_email(day, lines, summary["page"], summary.get("regression_signatures", []))
    platforms = sorted({line.split(",")[0] for line in lines})
    with tempfile.TemporaryDirectory(prefix="crash_rates_health_") as local:
        files = _attach(f"{folder}/{HEALTH_PAGE}", Path(local) / health_attachment_name(night))
        with SmtpHook(smtp_conn_id="smtp_default") as hook:
            hook.send_email_smtp(
                to=[r.strip() for r in recipients.split(",") if r.strip()],
                from_email=hook.from_email,
                subject=f"[crash-rates] {day}: regression in {', '.join(platforms)}",
                html_content=body,
                files=files,
            )
    return f"{day}: emailed {len(lines)} regression(s) to {recipients}"


SENT = ".sent"


def email_velocity_alerts(warehouse: str) -> str:
    """Email the release managers each regression the hourly verdicts established, once.

    ``jobs.release_day`` writes one alert file per finding (release, platform, measure)
    the first hour it is established, under ``<warehouse>/release_day/alerts/``; each
    file without its ``.sent`` marker is emailed, then marked. A failed send is retried
    with the task and sends again; a sent one never does.
    """
    from airflow.providers.smtp.hooks.smtp import SmtpHook
    from airflow.sdk import Variable
    from airflow.sdk.exceptions import AirflowFailException

    from lib.pages.emails import facts_email

    folder = release_day_alerts_folder(warehouse)
    names = set(object_store.list_names(folder))
    waiting = sorted(n for n in names if n.endswith(".json") and f"{n}{SENT}" not in names)
    if not waiting:
        return "no new release-day regression"
    recipients = Variable.get("crash_rates_release_managers", default=None)
    if not recipients:
        raise AirflowFailException(
            f"{len(waiting)} release-day regression(s), but the Variable crash_rates_release_managers is not set"
        )
    for name in waiting:
        alert = json.loads(object_store.read_bytes(f"{folder}/{name}") or b"{}")
        facts = {
            "Release": f"{alert['channel']} {alert['latest_version']} against {alert['previous_version']}",
            "Platform, crashes": f"{alert['os']}, {alert['measure'].replace('_', ' ')}",
            "Established": f"hour {alert['established_hour']} since release (as of {alert['as_of']})",
            "Newest": alert["latest"],
            "Previous, same hours": alert["previous"],
            "Ratio": f"{alert['ratio']:.2f}" if alert["ratio"] is not None else "n/a",
            "Always-valid 95% interval": " to ".join(
                "n/a" if bound is None else f"{bound:.2f}" for bound in alert["interval"]
            ),
            "Page": alert["page"],
        }
        body = facts_email(
            "A release-day regression is established: the newest release crashes more than the previous one "
            "over the same hours since release, beyond the materiality threshold, with an interval that stays "
            "valid however often it is read. Provisional until the night.",
            facts,
        )
        with SmtpHook(smtp_conn_id="smtp_default") as hook:
            hook.send_email_smtp(
                to=[r.strip() for r in recipients.split(",") if r.strip()],
                from_email=hook.from_email,
                subject=(
                    f"[crash-rates] release day: {alert['channel']} {alert['latest_version']} worse on "
                    f"{alert['os']} ({alert['measure'].replace('_', ' ')})"
                ),
                html_content=body,
            )
        object_store.write_bytes(f"{folder}/{name}{SENT}", b"")
    return f"emailed {len(waiting)} release-day regression(s) to {recipients}"
