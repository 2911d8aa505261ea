"""The on-call email for a failed task, through the SMTP provider's ``SmtpNotifier``.

Sent once a task has failed for good (after its retries; at once for a data-quality
verdict), to the addresses in the Variable ``crash_rates_alert_to``, through the
``smtp_default`` connection (its extra holds ``from_email``). It says which
submission date, which task and try, the one-line error, where the log is and, for
a data-quality failure, carries the day's report as an attachment.
"""

from __future__ import annotations

import html
import tempfile
from pathlib import Path
from typing import Any

from airflow.providers.smtp.notifications.smtp import SmtpNotifier

from airflow_dags import object_store
from airflow_dags.dates import submission_date
from airflow_dags.spark_jobs import DataQualityFailed
from lib.contract.layout import report_attachment_name


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
        rows = "".join(f"<tr><th align='left'>{k}</th><td>{html.escape(v)}</td></tr>" for k, v in facts.items())
        self.html_content = f"<p>The nightly crash-rates run needs a look.</p><table>{rows}</table>"
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
