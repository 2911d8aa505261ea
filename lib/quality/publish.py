"""What the checking jobs do with their results: keep them, show them, and raise the alarm.

1. replace the rows of this suite in the Delta table ``dq_results``, for one date or
   many in one commit;
2. render each date's report (both suites) to ``<reports>/<date>.html``;
3. on a critical failure, email that date's report (when SMTP is configured); then
   :func:`publish` raises, :func:`publish_days` returns each date's :class:`Verdict`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date

import pandas as pd
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from lib.contract.deploy import code_version
from lib.contract.errors import EXIT_CHECKS_FAILED, JobError
from lib.contract.layout import report_attachment_name, report_path
from lib.contract.vocabulary import Limits
from lib.quality.checks import (
    failing_examples,
    failing_share,
    observed,
    raw_check_counts,
    raw_check_frame,
    raw_checks,
    raw_measures,
)
from lib.quality.notify import SmtpSettings, send_report
from lib.quality.report import headline, render_html, render_text
from lib.quality.runner import CheckResult, results_frame, run_checks
from lib.runtime.cli import date_label
from lib.warehouse.storage import write_text
from lib.warehouse.tables import read_table, replace_partition, table_spec

log = logging.getLogger("crash_rates")


class CriticalChecksFailed(JobError):
    """A critical data-quality check failed: the day's numbers must not be trusted yet."""

    exit_status = EXIT_CHECKS_FAILED


@dataclass(frozen=True)
class Verdict:
    """What publishing one date's results came to: its summary line, and whether a
    critical check failed (then the summary is the failure's message)."""

    day: date
    failed: bool
    summary: str


def publish_days(
    spark: SparkSession,
    warehouse: str,
    reports: str | None,
    suite: str,
    results: Mapping[date, Sequence[CheckResult]],
    job: str | None = None,
) -> list[Verdict]:
    """Keep every date's results in one commit, render each date's report, and email the
    report of each date where a critical check failed; never raises for a failed check.
    ``job`` names the job in the commit and the log (default ``validate_<suite>``)."""
    job = job or f"validate_{suite}"
    days = sorted(results)
    commit_info = {
        "job": job,
        "submission_date": date_label(days),
        "code_version": code_version(),
    }
    replace_partition(
        spark,
        warehouse,
        table_spec("dq_results"),
        results_frame(spark, [r for day in days for r in results[day]]),
        days,
        commit_info,
        {"suite": suite},
    )
    kept = read_table(spark, warehouse, "dq_results").where(F.col("submission_date").isin(*days)).collect()
    verdicts = []
    for day in days:
        everything = [CheckResult(**row.asDict()) for row in kept if row["submission_date"] == day]
        verdicts.append(_publish_one(spark, warehouse, reports, day, suite, results[day], everything, job))
    return verdicts


def _publish_one(
    spark: SparkSession,
    warehouse: str,
    reports: str | None,
    day: date,
    suite: str,
    results: Sequence[CheckResult],
    everything: list[CheckResult],
    job: str,
) -> Verdict:
    """Render one date's report (both suites, ``everything``) and send it on a critical failure."""
    report = report_path(warehouse, day, reports)
    page = render_html(day, everything)
    write_text(spark, report, page)

    failed = [r for r in results if r.failed_critical]
    warnings = sum(not r.success for r in results) - len(failed)
    if not failed:
        return Verdict(
            day,
            False,
            f"{job} {day}: {suite} suite, {len(results)} checks, no critical failure, "
            f"{warnings} warning(s); report {report}",
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
    return Verdict(day, True, f"{len(failed)} critical check(s) failed for {day} ({suite}): {names}; report {report}")


def publish(
    spark: SparkSession,
    warehouse: str,
    reports: str | None,
    day: date,
    suite: str,
    results: Sequence[CheckResult],
    job: str | None = None,
) -> str:
    """:func:`publish_days` for one date: returns the summary, or raises
    :class:`CriticalChecksFailed` when a critical check failed."""
    (verdict,) = publish_days(spark, warehouse, reports, suite, {day: results}, job)
    if verdict.failed:
        raise CriticalChecksFailed(verdict.summary)
    return verdict.summary


def judge_raw(
    spark: SparkSession,
    classified: DataFrame,
    days: Sequence[date],
    warehouse: str,
    reports: str | None,
    limits: Limits,
    job: str = "validate_raw",
) -> list[Verdict]:
    """The ``raw`` suite on classified lines of one date or many (see
    :func:`lib.transform.classify.classify`), each date judged on its own, all published
    in one commit. One Spark job counts every check of every date."""
    frame = raw_check_frame(classified)
    counts = raw_check_counts(frame, limits)
    results = {day: judge_raw_counts(frame, day, counts.get(day), limits) for day in days}
    return publish_days(spark, warehouse, reports, "raw", results, job)


def judge_raw_counts(
    frame: DataFrame, day: date, counts: dict[str, tuple[int, int]] | None, limits: Limits
) -> list[CheckResult]:
    """Great Expectations' verdicts on one date's raw check counts (see
    :func:`lib.quality.checks.raw_check_counts`; None for a date without a line), each
    with what it saw in words and, for a failing check, examples fetched from ``frame``."""
    checks = raw_checks(limits)
    counts = counts or {c.name: (0, 0) for c in checks}
    shares = pd.DataFrame([{c.name: failing_share(c.name, *counts[c.name]) for c in checks}])
    populations = {name: m.population for name, m in raw_measures(limits).items()}
    results = []
    for result in run_checks(frame.sparkSession, "raw", day, {"counts": shares}, checks):
        judged, failing = counts[result.check]
        details = ""
        if not result.success:
            examples = failing_examples(frame, day, result.check, limits)
            details = " | ".join(examples) + (f" | {failing:,} in all" if failing > len(examples) else "")
        said = observed(result.check, judged, failing, populations.get(result.check, "lines"))
        results.append(replace(result, observed_value=said, details=details))
    return results
