"""Data-quality checks run by Great Expectations 1.x, and their results as plain rows.

A :class:`Check` is one expectation with a name, a severity (``critical`` stops
the run, ``warning`` only reports), a readable threshold and the frame it runs on.
:func:`run_checks` builds the GX 1.x objects for each frame (a Spark data source for a
Spark frame, a pandas one for a small frame of counts already computed, as the raw
suite's; dataframe asset, whole-dataframe batch definition, expectation suite,
validation definition, checkpoint), runs them, and returns one :class:`CheckResult`
per check for ``dq_results`` and the report.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources
from typing import Any

import pandas as pd
import yaml
from pyspark.sql import DataFrame, SparkSession

from lib.runtime.local_frames import local_frame

# This project never phones home; GX would otherwise try to send usage statistics.
os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")


CRITICAL = "critical"
MAX_DETAILS = 10


@cache
def dq_config() -> dict[str, dict[str, Any]]:
    """``schemas/dq_checks.yaml``: every check's severity and threshold."""
    return yaml.safe_load(resources.files("schemas").joinpath("dq_checks.yaml").read_text())


@dataclass(frozen=True)
class Check:
    name: str
    frame: str  # which of the suite's frames it runs on
    expectation: Callable[[str], Any]  # severity -> a GX expectation
    threshold: str
    severity: str
    description: str


@dataclass(frozen=True)
class CheckResult:
    submission_date: date
    suite: str
    check: str
    severity: str
    success: bool
    observed_value: str
    threshold: str
    details: str
    description: str
    # For a failing history check: JSON of the series that left their band (see
    # lib.quality.checks.failing_histories), which the report draws.
    history: str | None = None

    @property
    def failed_critical(self) -> bool:
        return not self.success and self.severity == CRITICAL


def _observed(result: dict[str, Any]) -> str:
    if result.get("unexpected_percent") is not None:
        return (
            f"{result['unexpected_percent']:.2f}% of {result.get('element_count', 0):,} rows fail "
            f"({result.get('unexpected_count', 0):,})"
        )
    value = result.get("observed_value")
    if isinstance(value, float):
        return f"{value:,.4g}"
    return "" if value is None else str(value)


def _details(result: dict[str, Any]) -> str:
    """Up to ten failing rows (by their index columns) or values; flags say nothing, so not them."""
    rows = result.get("unexpected_index_list") or []
    if rows and isinstance(rows[0], dict):
        shown = ["; ".join(f"{k}={v}" for k, v in row.items() if not isinstance(v, bool)) for row in rows[:MAX_DETAILS]]
    else:
        values = (result.get("partial_unexpected_list") or [])[:MAX_DETAILS]
        shown = [] if all(isinstance(v, bool) for v in values) else [repr(v) for v in values]
    more = len(rows) - MAX_DETAILS if len(rows) > MAX_DETAILS else 0
    return " | ".join(shown) + (f" | and {more} more" if more else "")


def run_checks(
    spark: SparkSession,
    suite: str,
    day: date,
    frames: dict[str, DataFrame | pd.DataFrame],
    checks: Sequence[Check],
    index_columns: dict[str, list[str]] | None = None,
) -> list[CheckResult]:
    """Run every check on its frame with GX; frames named in ``index_columns`` are
    small, and their failing rows are reported by those columns. A pandas frame (a
    few rows of counts already computed by Spark) is judged in this process, with no
    Spark job at all."""
    del spark  # GX's Spark data source picks up the active session
    # Imported here: the library takes seconds to import, which a job's --help or a bad
    # argument should not wait for.
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    # GX pins this module's logger to INFO, which announces a temporary folder every run.
    logging.getLogger("great_expectations.data_context.types.base").setLevel(logging.WARNING)
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    sources: dict[bool, Any] = {}

    def source_for(frame: DataFrame | pd.DataFrame) -> Any:
        local = isinstance(frame, pd.DataFrame)
        if local not in sources:
            add = context.data_sources.add_pandas if local else context.data_sources.add_spark
            sources[local] = add(name=f"{suite}_{'counts' if local else 'frames'}")
        return sources[local]

    by_name = {c.name: c for c in checks}
    results: list[CheckResult] = []
    for frame_name, frame in frames.items():
        frame_checks = [c for c in checks if c.frame == frame_name]
        if not frame_checks:
            continue
        batch = source_for(frame).add_dataframe_asset(name=frame_name).add_batch_definition_whole_dataframe("day")
        expectations = context.suites.add(gx.ExpectationSuite(name=f"{suite}.{frame_name}"))
        for c in frame_checks:
            expectation = c.expectation(c.severity)
            expectation.meta = {"check": c.name}
            expectations.add_expectation(expectation)
        definition = context.validation_definitions.add(
            gx.ValidationDefinition(name=f"{suite}.{frame_name}", data=batch, suite=expectations)
        )
        index = (index_columns or {}).get(frame_name)
        result_format: dict[str, Any] = (
            {"result_format": "COMPLETE", "unexpected_index_column_names": index}
            if index
            else {"result_format": "SUMMARY"}
        )
        checkpoint = context.checkpoints.add(
            gx.Checkpoint(
                name=f"{suite}.{frame_name}", validation_definitions=[definition], result_format=result_format
            )
        )
        run = checkpoint.run(batch_parameters={"dataframe": frame})
        for validation in run.run_results.values():
            for outcome in validation.results:
                config = outcome.expectation_config
                assert config is not None and config.meta, "every expectation carries its check's name"
                c = by_name[config.meta["check"]]
                detail = outcome.result or {}
                if outcome.exception_info and outcome.exception_info.get("raised_exception"):
                    detail = {
                        "observed_value": f"check could not run: {outcome.exception_info.get('exception_message')}"
                    }
                results.append(
                    CheckResult(
                        day,
                        suite,
                        c.name,
                        c.severity,
                        bool(outcome.success),
                        _observed(detail),
                        c.threshold,
                        _details(detail) if not outcome.success else "",
                        c.description,
                    )
                )
    order = {c.name: i for i, c in enumerate(checks)}
    return sorted(results, key=lambda r: order[r.check])


RESULT_SCHEMA = (
    "submission_date date, suite string, check string, severity string, success boolean, "
    "observed_value string, threshold string, details string, description string, history string"
)


def results_frame(spark: SparkSession, results: Sequence[CheckResult]) -> DataFrame:
    return local_frame(spark, [tuple(vars(r).values()) for r in results], RESULT_SCHEMA)
