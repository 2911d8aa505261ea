"""Which submission date a run processes (Airflow 3's date semantics, stated once).

The DAG is scheduled with ``CronDataIntervalTimetable("0 0 * * *", UTC)``: the run
for submission date D has logical date D 00:00 UTC and data interval [D, D+1), and
starts at D+1 00:00 UTC, when D is over (Airflow 3's default ``@daily`` would
instead give the run *triggered* at D+1 the logical date D+1). A run always
processes the UTC date of its logical date: scheduled, backfilled
(``airflow backfill create --from-date D1 --to-date D2`` runs D1..D2) or
triggered by hand with ``--logical-date D``. A run without a logical date (an
Airflow 3 manual trigger may have none) fails at once instead of guessing.
"""

from __future__ import annotations

from datetime import UTC, date
from typing import Any

from airflow.sdk.exceptions import AirflowFailException


def submission_date(context: Any) -> date:
    """The UTC date of the run's logical date (Airflow always gives it with a time zone)."""
    logical = context.get("logical_date")
    if logical is None:
        raise AirflowFailException(
            "this run has no logical date; trigger it with one: the logical date is the submission date to process"
        )
    return logical.astimezone(UTC).date()
