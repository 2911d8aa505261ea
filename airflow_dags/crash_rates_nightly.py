"""
# crash_rates_nightly

Every night, for one **submission date**: wait until the landing partitions (Firefox
desktop's configured usage source and the configured crash sources) carry their
`_SUCCESS` marker; read and parse the
raw day once, check the raw pings and, unless a critical check failed, aggregate them
into the Delta tables (`aggregate_crashes`); check the aggregates; write the morning's
verdicts, newest release against the previous one at the same ages
(`compare_releases`, table `release_comparisons`); write the release-health page
(`release_health`) and, when a verdict is a regression, email it to the release
managers (`alert_release_managers`); then compact the day's files.

```
submission_date ─┬─ wait_for_usage ─────────┬─ aggregate_crashes ─ validate_aggregates ─ compare_releases ─┐
                 └─ wait_for_crash_sources ─┘                                                            │
  ┌──────────────────────────────────────────────────────────────────────────────────────────────────────┘
  ├─ release_health ─ alert_release_managers
  └─ housekeeping
```

**Crash sources.** Firefox sent crashes as the legacy Telemetry `crash` ping, and
sends them today as the Glean `crash` ping (`glean_crash`); during the transition it
sent both. The Variable `crash_rates_crash_sources` says which to wait for:
`glean` (the default, today's Firefox), `legacy` (older data) or `both`. The jobs
read whichever partitions exist and count a crash sent twice once.

**Usage source.** Firefox desktop's hours come from the legacy `main` ping or from
its Glean `baseline` ping (`glean_baseline`), which replaces it once Mozilla removes
Legacy Telemetry. The Variable `crash_rates_desktop_usage` (`main`, the default, or
`glean`) says which one the run counts and waits for; the other, when sent, is read
and compared in `usage_parity`. Firefox for Android's hours are always its baseline
pings.

**Which date.** A run processes the UTC date of its *logical date*. The schedule
is a `CronDataIntervalTimetable` at 00:00 UTC, so the run for 2026-11-20 has logical
date 2026-11-20T00:00Z and data interval [11-20, 11-21), and starts at
2026-11-21T00:00Z, once the day is over; the sensors then wait (deferred, holding
no worker slot) until ingestion marks both partitions complete, for up to 12 h.
A backfill `--from-date 2026-10-01 --to-date 2026-10-31` runs exactly October's
submission dates; a run triggered with `--logical-date 2026-11-20` re-runs that day.

**Safe to repeat.** Each job replaces exactly its date's partitions, so a re-run,
a cleared task or a backfill in any order leaves the same tables.

**One run at a time** (`max_active_runs=1`): Delta on S3 is safe with one writer
per table (without a DynamoDB log store, two drivers committing at once can lose
a commit), and the volume check of a day reads the weeks before it, so a backfill
goes in date order. Missed nights are caught up (`catchup=True`) from `start_date`.

**When it fails.** Jobs retry twice, 5 then 10 minutes later; a critical
data-quality check fails at once (a verdict on the data, not a flake). The final
failure emails `crash_rates_alert_to` with the date, the task, the error, the log
link and, for data quality, the day's report. A regression is news, not a failure:
it goes to `crash_rates_release_managers`, with the verdict lines and the page.

**Configuration** (Airflow Variables and connections, nothing in code):
`crash_rates_raw`, `crash_rates_warehouse`, `crash_rates_releases`,
`crash_rates_alert_to`, `crash_rates_release_managers`; optional `crash_rates_crash_sources` (`glean`, `legacy` or
`both`), `crash_rates_desktop_usage` (`main` or `glean`), `crash_rates_symbols` (a Breakpad symbol
store, folder or `s3a://` prefix, for crash_signatures' `--symbols`), `crash_rates_spark_mode` (`submit` or
`in_process`), `crash_rates_spark_packages`, `crash_rates_spark_jars`, `crash_rates_spark_conf` (JSON);
connections `spark_default` and `smtp_default`. See the README's deployment section.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pendulum
from airflow.sdk import DAG, CronDataIntervalTimetable, task

from airflow_dags.alerts import OnCallAlert
from airflow_dags.alerts import alert_release_managers as email_regressions
from airflow_dags.dates import submission_date as date_of_run
from airflow_dags.sensors import CrashSourcesSensor, UsageSourceSensor
from airflow_dags.spark_jobs import CrashRatesJob
from lib.contract.vocabulary import DEFAULT_CRASH_SOURCES, DEFAULT_DESKTOP_USAGE

RAW = "{{ var.value.crash_rates_raw }}"
WAREHOUSE = "{{ var.value.crash_rates_warehouse }}"
RELEASES = "{{ var.value.crash_rates_releases }}"
CRASH_SOURCES = "{{ var.value.get('crash_rates_crash_sources', '" + DEFAULT_CRASH_SOURCES + "') }}"
DESKTOP_USAGE = "{{ var.value.get('crash_rates_desktop_usage', '" + DEFAULT_DESKTOP_USAGE + "') }}"
# A Breakpad symbol store for crash_signatures' function names; empty (unset): signatures without symbols.
SYMBOLS = "{{ var.value.get('crash_rates_symbols', '') }}"

DEFAULT_ARGS: dict[str, Any] = {
    "owner": "crash-rates",
    "retries": 2,
    "retry_delay": timedelta(minutes=5),
    "retry_exponential_backoff": 2.0,
    "max_retry_delay": timedelta(minutes=30),
    "on_failure_callback": OnCallAlert(),
}


@task
def submission_date(**context: Any) -> str:
    """The submission date this run processes: the UTC date of its logical date."""
    return date_of_run(context).isoformat()


@task
def alert_release_managers(day: str, warehouse: str) -> str:
    """Email the night's regressions and the release-health page to `crash_rates_release_managers`;
    nothing on a quiet night."""
    return email_regressions(day, warehouse)


with DAG(
    dag_id="crash_rates_nightly",
    description="Raw Firefox pings of one submission date -> checked crash-rate Delta tables",
    schedule=CronDataIntervalTimetable("0 0 * * *", timezone="UTC"),
    start_date=pendulum.datetime(2026, 11, 1, tz="UTC"),
    catchup=True,
    max_active_runs=1,
    dagrun_timeout=timedelta(hours=20),
    default_args=DEFAULT_ARGS,
    doc_md=__doc__,
    tags=["crash-rates", "telemetry"],
) as dag:
    day = submission_date()
    landed = [
        UsageSourceSensor(
            task_id="wait_for_usage", raw=RAW, source=DESKTOP_USAGE, day=day, timeout=timedelta(hours=12)
        ),
        CrashSourcesSensor(
            task_id="wait_for_crash_sources", raw=RAW, sources=CRASH_SOURCES, day=day, timeout=timedelta(hours=12)
        ),
    ]
    aggregate = CrashRatesJob(
        task_id="aggregate_crashes",
        job="aggregate_crashes",
        application_args=[
            *("--date", day, "--raw", RAW, "--warehouse", WAREHOUSE, "--releases", RELEASES),
            *("--desktop-usage", DESKTOP_USAGE),
            *("--symbols", SYMBOLS),
        ],
        execution_timeout=timedelta(hours=2),
    )
    validate_aggregates = CrashRatesJob(
        task_id="validate_aggregates",
        job="validate_aggregates",
        application_args=["--date", day, "--warehouse", WAREHOUSE],
        execution_timeout=timedelta(hours=1),
    )
    comparisons = CrashRatesJob(
        task_id="compare_releases",
        job="compare_releases",
        application_args=["--date", day, "--warehouse", WAREHOUSE],
        execution_timeout=timedelta(hours=1),
    )
    page = CrashRatesJob(
        task_id="release_health",
        job="release_health",
        application_args=["--date", day, "--warehouse", WAREHOUSE],
        execution_timeout=timedelta(hours=1),
    )
    housekeeping = CrashRatesJob(
        task_id="housekeeping",
        job="housekeeping",
        application_args=["--date", day, "--warehouse", WAREHOUSE],
        execution_timeout=timedelta(hours=1),
    )
    landed >> aggregate >> validate_aggregates >> comparisons >> [page, housekeeping]
    page >> alert_release_managers(day, WAREHOUSE)
