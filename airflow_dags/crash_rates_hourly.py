"""
# crash_rates_hourly

Every hour, for the **submission date** of the hour just ended: count the files that
landed since the last run into `crash_aggregates_hourly` (`aggregate_hourly`), judge
the newest release of each channel against the previous one over the same hours
since each first appeared, with an interval that stays valid however often it is
read (`release_day`: table `release_day_verdicts`, the page
`<warehouse>/release_day/index.html`), and email each newly established regression
to the release managers, once (`email_velocity_alerts`).

```
hour_of_run ─ aggregate_hourly ─ release_day ─ email_velocity_alerts
```

**Which hour.** The schedule is a `CronDataIntervalTimetable` at minute 0 of every
hour (UTC): the run for hour H of date D has logical date D H:00 and starts at H+1:00.
It counts every file of D's partitions that has landed by then (files landed late for
an earlier hour are counted by the next run; files of D landing after midnight, by
the night), and judges the hours up to H, the last of which may still be filling.

**No catch-up storm, one run at a time** (`catchup=False`, `max_active_runs=1`): an
hourly run counts everything landed since the last one, so a missed hour needs no run
of its own; and its micro-batches and the page are written by one driver at a time.

**Beside the nightly.** Both DAGs write the same warehouse, each table by one of them,
except `crash_aggregates_hourly`: the hourly run adds a date's batches, and the nightly
run rewrites the whole date from its own parse once the day is complete; an hourly run
for a date whose night has run adds nothing. If the two commit to that table at the same
moment, Delta fails one of them (each reads the date's partition), and its retry sees the
other's result. On S3, run Delta with a multi-writer log store (DynamoDB) as the
operators' guide says.

**When it fails.** Each job retries once after 5 minutes; the final failure emails
`crash_rates_alert_to` (the nightly's on-call alert). A run stopped by another still
counting the same files fails in one line and the next hour counts what is left.

**Configuration**: the nightly's Variables (`crash_rates_raw`, `crash_rates_warehouse`,
`crash_rates_releases`, `crash_rates_alert_to`, `crash_rates_release_managers`,
`crash_rates_desktop_usage`) and connections.

**Emails at least once.** An alert is marked sent after its email went out; a task
killed between the two sends it again on retry (never on a later hour's run).
"""

from __future__ import annotations

from datetime import UTC, timedelta
from typing import Any

import pendulum
from airflow.sdk import DAG, CronDataIntervalTimetable, task

from airflow_dags.alerts import OnCallAlert, email_velocity_alerts
from airflow_dags.dates import submission_date
from airflow_dags.spark_jobs import CrashRatesJob
from lib.contract.vocabulary import DEFAULT_DESKTOP_USAGE

RAW = "{{ var.value.crash_rates_raw }}"
WAREHOUSE = "{{ var.value.crash_rates_warehouse }}"
RELEASES = "{{ var.value.crash_rates_releases }}"
DESKTOP_USAGE = "{{ var.value.get('crash_rates_desktop_usage', '" + DEFAULT_DESKTOP_USAGE + "') }}"

DEFAULT_ARGS: dict[str, Any] = {
    "owner": "crash-rates",
    "retries": 1,
    "retry_delay": timedelta(minutes=5),
    "on_failure_callback": OnCallAlert(),
}


@task
def hour_of_run(**context: Any) -> dict[str, str]:
    """The submission date and the hour (UTC) this run judges: its logical date's."""
    day = submission_date(context)  # fails in one line when the run has no logical date
    return {"day": day.isoformat(), "hour": str(context["logical_date"].astimezone(UTC).hour)}


@task
def velocity_alerts(warehouse: str) -> str:
    """Email each release-day regression established since the last run, once."""
    return email_velocity_alerts(warehouse)


with DAG(
    dag_id="crash_rates_hourly",
    description="Provisional hourly crash rates and always-valid release-day verdicts",
    schedule=CronDataIntervalTimetable("0 * * * *", timezone="UTC"),
    start_date=pendulum.datetime(2026, 11, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    dagrun_timeout=timedelta(hours=2),  # a retried job and the next hour's run queue behind it
    default_args=DEFAULT_ARGS,
    doc_md=__doc__,
    tags=["crash-rates", "telemetry", "release-day"],
) as dag:
    when = hour_of_run()
    counted = CrashRatesJob(
        task_id="aggregate_hourly",
        job="aggregate_hourly",
        application_args=[
            *("--date", "{{ ti.xcom_pull(task_ids='hour_of_run')['day'] }}"),
            *("--raw", RAW, "--warehouse", WAREHOUSE, "--releases", RELEASES),
            *("--desktop-usage", DESKTOP_USAGE),  # the night's source, so the two count the same hours
        ],
        execution_timeout=timedelta(minutes=40),
    )
    judged = CrashRatesJob(
        task_id="release_day",
        job="release_day",
        application_args=[
            *("--date", "{{ ti.xcom_pull(task_ids='hour_of_run')['day'] }}"),
            *("--hour", "{{ ti.xcom_pull(task_ids='hour_of_run')['hour'] }}"),
            *("--releases", RELEASES),
            *("--warehouse", WAREHOUSE),
        ],
        execution_timeout=timedelta(minutes=15),
    )
    when >> counted >> judged >> velocity_alerts(WAREHOUSE)
