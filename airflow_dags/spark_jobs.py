"""The project's Spark jobs as Airflow tasks: spark-submit in production, in-process locally.

:class:`CrashRatesJob` is the Spark provider's ``SparkSubmitOperator`` with the
project's code packaged for the cluster: at run time it zips ``jobs/``, ``lib/``
and ``schemas/`` (``--py-files``), submits ``jobs/<job>.py`` through the
``spark_default`` connection (master, deploy mode, queue) with Delta's package and
the JVM parse's jar (``--jars``), and passes the code version to the driver. The
same task in ``in_process`` mode (the Variable ``crash_rates_spark_mode``) calls the
job's ``command(argv)`` inside the worker, on embedded local Spark: the demo's and
the tests' way to run the same jobs with the same arguments without a cluster.

A critical data-quality failure is a verdict on the data, not a flaky run: it
raises :class:`DataQualityFailed`, which fails the task at once (no retries) and
names the report. Everything else raises :class:`JobFailed`, which retries.
"""

from __future__ import annotations

import ast
import importlib
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

from airflow.providers.apache.spark.operators.spark_submit import SparkSubmitOperator
from airflow.sdk import Variable
from airflow.sdk.exceptions import AirflowException, AirflowFailException

from lib.contract.deploy import DELTA_PACKAGE, build_code_zip, code_version, job_script, parse_jar
from lib.contract.errors import EXIT_CHECKS_FAILED, EXIT_USAGE, UsageError, one_line
from lib.contract.layout import report_path

MODES = ("submit", "in_process")
# The jobs that judge data-quality checks and write the day's report.
CHECKING_JOBS = ("aggregate_crashes", "validate_raw", "validate_aggregates")


class JobFailed(AirflowException):
    """The job failed (bad input, a cluster problem): retried with back-off, then alerted."""


class DataQualityFailed(AirflowFailException):
    """A critical data-quality check failed: no retry, the alert carries the report."""


def job_doc(job: str) -> str:
    """The job module's docstring (read, not imported: no Spark at parse time), as the task's docs."""
    return ast.get_docstring(ast.parse(job_script(job).read_text())) or ""


class CrashRatesJob(SparkSubmitOperator):
    """Run ``jobs.<job>`` with ``application_args``; see the module docstring for the two modes."""

    template_fields = (*SparkSubmitOperator.template_fields, "mode")
    ui_color = "#fde8c8"

    def __init__(
        self,
        *,
        job: str,
        mode: str = "{{ var.value.get('crash_rates_spark_mode', 'submit') }}",
        packages: str = f"{{{{ var.value.get('crash_rates_spark_packages', '{DELTA_PACKAGE}') }}}}",
        jars: str = "{{ var.value.get('crash_rates_spark_jars', '') }}",
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("doc_md", job_doc(job))
        super().__init__(
            application=str(job_script(job)), name=f"crash_rates_{job}", packages=packages, jars=jars, **kwargs
        )
        self.job = job
        self.mode = mode

    def argument(self, flag: str) -> str | None:
        """The value after ``flag`` in the (rendered) job arguments."""
        args = [str(a) for a in self.application_args or []]
        return args[args.index(flag) + 1] if flag in args[:-1] else None

    def report(self) -> str | None:
        """Where a checking job wrote the day's data-quality report."""
        warehouse, day = self.argument("--warehouse"), self.argument("--date")
        if not (warehouse and day and self.job in CHECKING_JOBS):
            return None
        return report_path(warehouse, date.fromisoformat(day), self.argument("--reports"))

    def execute(self, context: Any) -> None:
        if self.mode not in MODES:
            raise AirflowFailException(f"Variable crash_rates_spark_mode must be one of {MODES}, not {self.mode!r}")
        if self.mode == "in_process":
            self._run_in_process()
        else:
            self._submit(context)

    def _run_in_process(self) -> None:
        # Imported here, not at parse time: these load Spark and Great Expectations.
        from lib.quality.publish import CriticalChecksFailed

        module = importlib.import_module(f"jobs.{self.job}")
        argv = [str(a) for a in self.application_args or []]
        self.log.info("running jobs.%s in process: %s", self.job, " ".join(argv))
        try:
            summary = module.command(argv)
        except CriticalChecksFailed as error:
            raise DataQualityFailed(f"{self.job}: {error}") from error
        except UsageError as error:
            raise AirflowFailException(f"{self.job}: bad arguments: {error}") from error
        except Exception as error:
            raise JobFailed(f"{self.job}: {one_line(error)}") from error
        self.log.info("%s", summary)

    def _submit(self, context: Any) -> None:
        self.conf = {**(self.conf or {}), **Variable.get("crash_rates_spark_conf", {}, deserialize_json=True)}
        self.env_vars = {**(self.env_vars or {}), "CRASH_RATES_CODE_VERSION": code_version()}
        parse = parse_jar()  # the JVM parse, built on this worker by `make setup`
        if not self.jars and parse.exists():
            self.jars = str(parse)
        with tempfile.TemporaryDirectory(prefix="crash_rates_code_") as folder:
            self.py_files = str(build_code_zip(Path(folder)))
            try:
                super().execute(context)
            except AirflowException as error:
                raise self._explain(error) from error

    def _explain(self, error: AirflowException) -> AirflowException:
        """Turn spark-submit's 'Cannot execute: <command>' into what the on-call needs."""
        process = getattr(self._hook, "_submit_sp", None)
        status = getattr(process, "returncode", None)
        if status == EXIT_CHECKS_FAILED:
            return DataQualityFailed(f"{self.job}: a critical data-quality check failed; report {self.report()}")
        if status == EXIT_USAGE:
            return AirflowFailException(f"{self.job}: bad arguments (exit 2); see the task log")
        # In cluster deploy modes spark-submit exits 1 for any failure of the driver.
        return JobFailed(f"{self.job}: spark-submit failed (exit {status}); the driver's error is in the task log")
