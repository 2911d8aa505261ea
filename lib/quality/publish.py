"""What the checking jobs do with their results: keep them, show them, and raise the alarm.

1. replace the day's rows of this suite in the Delta table ``dq_results``;
2. render the day's report (both suites) to ``<reports>/<date>.html``;
3. on a critical failure, email the report (when SMTP is configured) and fail.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from lib.contract.deploy import code_version
from lib.contract.errors import EXIT_CHECKS_FAILED, JobError
from lib.contract.layout import report_attachment_name, report_path
from lib.contract.vocabulary import Limits
from lib.quality.checks import raw_check_frame, raw_checks
from lib.quality.notify import SmtpSettings, send_report
from lib.quality.report import headline, render_html, render_text
from lib.quality.runner import CheckResult, results_frame, run_checks
from lib.warehouse.storage import write_text
from lib.warehouse.tables import read_table, replace_partition, table_spec

log = logging.getLogger("crash_rates")


class CriticalChecksFailed(JobError):
    """A critical data-quality check failed: the day's numbers must not be trusted yet."""

    exit_status = EXIT_CHECKS_FAILED


def publish(
    spark: SparkSession,
    warehouse: str,
    reports: str | None,
    day: date,
    suite: str,
    results: Sequence[CheckResult],
    job: str | None = None,
) -> str:
    """Keep, render and (on a critical failure) send; returns the summary or raises.
    ``job`` names the job in the commit and the log (default ``validate_<suite>``)."""
    job = job or f"validate_{suite}"
    commit_info = {
        "job": job,
        "submission_date": day.isoformat(),
        "code_version": code_version(),
    }
    replace_partition(
        spark,
        warehouse,
        table_spec("dq_results"),
        results_frame(spark, results),
        day,
        commit_info,
        {"suite": suite},
    )
    day_rows = read_table(spark, warehouse, "dq_results").where(F.col("submission_date") == F.lit(day)).collect()
    everything = [CheckResult(**row.asDict()) for row in day_rows]
    report = report_path(warehouse, day, reports)
    page = render_html(day, everything)
    write_text(spark, report, page)

    failed = [r for r in results if r.failed_critical]
    warnings = sum(not r.success for r in results) - len(failed)
    if not failed:
        return (
            f"{job} {day}: {suite} suite, {len(results)} checks, no critical failure, "
            f"{warnings} warning(s); report {report}"
        )
    settings = SmtpSettings.from_env()
    if settings is None:
        log.warning("%s %s: no SMTP configured (CRASH_RATES_SMTP_HOST); not emailing", job, day)
    else:
        send_report(
            settings,
            subject=f"[crash-rates] data quality {headline(day, everything)}",
            body=render_text(day, everything, report),
            attachment_name=report_attachment_name(day),
            attachment_html=page,
        )
        log.info("%s %s: emailed the report to %s", job, day, ", ".join(settings.recipients))
    names = ", ".join(r.check for r in failed)
    raise CriticalChecksFailed(f"{len(failed)} critical check(s) failed for {day} ({suite}): {names}; report {report}")


def judge_raw(
    spark: SparkSession,
    classified: DataFrame,
    day: date,
    warehouse: str,
    reports: str | None,
    limits: Limits,
    job: str = "validate_raw",
) -> str:
    """The ``raw`` suite on a day's classified lines (see :func:`lib.transform.classify.classify`),
    published; returns the summary or raises :class:`CriticalChecksFailed`."""
    frame = raw_check_frame(classified, day)
    results = run_checks(spark, "raw", day, {"pings": frame}, raw_checks(limits))
    return publish(spark, warehouse, reports, day, "raw", results, job)
