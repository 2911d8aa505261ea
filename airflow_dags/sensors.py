"""Waiting for a landing partition to be complete, without holding a worker slot.

Ingestion writes an empty ``_SUCCESS`` into a partition once it is complete (SPEC
section 1). :class:`LandingPartitionSensor` (one doc type) and
:class:`CrashSourcesSensor` (the configured crash sources) and :class:`UsageSourceSensor`
(Firefox desktop's configured usage source) look once; while a marker
is missing they defer to :class:`SuccessMarkerTrigger`, which polls from the triggerer (one
async loop for thousands of waits), and the task resumes only when the marker
appears or the sensor's timeout passes.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import date, timedelta
from typing import Any

from airflow.sdk import BaseSensorOperator
from airflow.triggers.base import BaseTrigger, TriggerEvent

from airflow_dags import object_store
from lib.contract.layout import success_marker_path
from lib.contract.vocabulary import CRASH_SOURCES, DESKTOP_USAGE_SOURCES


class SuccessMarkerTrigger(BaseTrigger):
    """Fires once ``marker`` (a local path or S3 URI) exists; polls every ``poll_interval`` s."""

    def __init__(self, marker: str, poll_interval: float = 300.0) -> None:
        super().__init__()
        self.marker = marker
        self.poll_interval = poll_interval

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return f"{type(self).__module__}.{type(self).__qualname__}", {
            "marker": self.marker,
            "poll_interval": self.poll_interval,
        }

    async def run(self) -> AsyncIterator[TriggerEvent]:
        while True:
            # boto3 and the file system block; keep the triggerer's event loop free.
            if await asyncio.to_thread(object_store.exists, self.marker):
                yield TriggerEvent({"marker": self.marker})
                return
            await asyncio.sleep(self.poll_interval)


class LandingPartitionSensor(BaseSensorOperator):
    """Succeeds once ``<raw>/<doc_type>/submission_date=<day>/_SUCCESS`` exists.

    Always deferrable: the wait runs in the triggerer, not in a worker slot.
    ``raw`` and ``day`` are templated (``day`` is an ISO date, e.g. an XComArg).
    """

    template_fields: tuple[str, ...] = ("raw", "day")
    ui_color = "#f0e4ec"

    def __init__(self, *, raw: str, doc_type: str, day: str, **kwargs: Any) -> None:
        kwargs.setdefault("poke_interval", timedelta(minutes=5))
        super().__init__(**kwargs)
        self.raw = raw
        self.doc_type = doc_type
        self.day = day

    @property
    def doc_types(self) -> tuple[str, ...]:
        return (self.doc_type,)

    @property
    def markers(self) -> list[str]:
        day = date.fromisoformat(str(self.day))
        return [success_marker_path(self.raw, doc_type, day) for doc_type in self.doc_types]

    def poke(self, context: Any) -> bool:
        return all(object_store.exists(marker) for marker in self.markers)

    def execute(self, context: Any) -> None:
        missing = [marker for marker in self.markers if not object_store.exists(marker)]
        if not missing:
            self.log.info("landing partitions complete: %s", ", ".join(self.markers))
            return
        self.log.info("waiting for %s (deferred, polling every %.0f s)", missing[0], self.poke_interval)
        self.defer(
            trigger=SuccessMarkerTrigger(missing[0], self.poke_interval),
            method_name="execute_complete",
            timeout=timedelta(seconds=self.timeout),
        )

    def execute_complete(self, context: Any, event: dict[str, Any] | None = None) -> None:
        """One marker appeared; look again, and wait for the next one still missing."""
        self.log.info("landing partition complete: %s", (event or {}).get("marker"))
        self.execute(context)


class CrashSourcesSensor(LandingPartitionSensor):
    """Succeeds once the partitions of the configured crash sources are complete:
    ``legacy`` (``crash``), ``glean`` (``glean_crash``) or ``both``. ``sources`` is
    templated, so a Variable can switch it without touching the DAG."""

    template_fields = ("raw", "day", "sources")

    def __init__(self, *, raw: str, sources: str, day: str, **kwargs: Any) -> None:
        super().__init__(raw=raw, doc_type="crash", day=day, **kwargs)
        self.sources = sources

    @property
    def doc_types(self) -> tuple[str, ...]:
        if self.sources not in CRASH_SOURCES:
            raise ValueError(f"crash sources must be one of {', '.join(CRASH_SOURCES)}, not {self.sources!r}")
        return CRASH_SOURCES[self.sources]


class UsageSourceSensor(LandingPartitionSensor):
    """Succeeds once the partition of Firefox desktop's configured usage source is complete:
    ``main`` (the legacy main ping) or ``glean`` (``glean_baseline``). ``source`` is
    templated, so a Variable can switch it without touching the DAG; the other source,
    and Android's baseline pings, are read when they are there, not waited for."""

    template_fields = ("raw", "day", "source")

    def __init__(self, *, raw: str, source: str, day: str, **kwargs: Any) -> None:
        super().__init__(raw=raw, doc_type="main", day=day, **kwargs)
        self.source = source

    @property
    def doc_types(self) -> tuple[str, ...]:
        if self.source not in DESKTOP_USAGE_SOURCES:
            known = ", ".join(DESKTOP_USAGE_SOURCES)
            raise ValueError(f"desktop usage source must be one of {known}, not {self.source!r}")
        return (DESKTOP_USAGE_SOURCES[self.source],)
