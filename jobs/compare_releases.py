"""The release managers' morning verdicts: newest release against the previous one, same release age.

**Reads** ``<warehouse>/crash_aggregates`` (with ``crash_client_sums`` and
``client_counts`` where they exist) up to ``--date``. **Writes** the night's rows of
``<warehouse>/release_comparisons`` (replacing that night's), one per channel, platform
and measure (``main_crashes``, ``content_crashes``, ``crash_incidence``), crash rates
both per 1,000 usage hours and per 1,000 active hours (column ``denominator``): both
releases' raw counts, hours and clients, rates with 95% intervals (cluster-robust
where the client sums cover the rows), the ratio with its interval, the method and a
verdict (thresholds in ``schemas/verdicts.yaml``); beside them, the night's rows of
``<warehouse>/reason_comparisons``: each main- and content-crash verdict split by
crash reason (``crash_reasons``), with the difference of the rates and its interval,
the share of the change and a flag (``lib.analysis.reasons``), and of
``<warehouse>/signature_comparisons``: the same split by crash signature
(``crash_signatures``, cluster-robust from each signature's client sums, ``new`` only
when ``signature_first_seen`` places it in the newest release;
``lib.analysis.signature_changes``); **prints** the verdicts and, for each regression,
the reasons and signatures that drove it. With ``--measure``, prints the
classic text report of that measure instead and writes nothing. ``--denominator``
(``usage``, the default, or ``active``) says which rates it prints and splits by reason. A night without
crash_aggregates rows of its own is refused, never published with older numbers.
``--from``/``--to`` computes each night of a range as its own run would, in one commit.
**Schedule**: nightly, after ``validate_aggregates``.

    python -m jobs.compare_releases --date 2026-11-20 --warehouse WH [--denominator active] [--measure gpu_crashes]
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date

from pyspark.sql import DataFrame, Row, SparkSession
from pyspark.sql import functions as F

from lib.analysis.compare import DENOMINATORS, compare_releases, format_report
from lib.analysis.reason_comparisons import format_drivers, reason_comparisons
from lib.analysis.release_comparisons import CLIENTS, format_rows, release_comparisons
from lib.analysis.signature_comparisons import format_signatures, signature_comparisons
from lib.contract.deploy import code_version
from lib.contract.errors import JobError
from lib.contract.vocabulary import CRASH_MEASURES
from lib.runtime.cli import RANGED, Progress, date_label, job_parser, main_wrapper, parse_args
from lib.runtime.session import build_session
from lib.transform.classify import union_all
from lib.warehouse.runs import require_whole
from lib.warehouse.tables import read_table, read_table_if_exists, replace_partition, table_spec

JOB = "compare_releases"


def _require_nights(aggregates: DataFrame, days: Sequence[date]) -> None:
    """Verdicts of a night without data of its own would be an older night's, published
    as new: refuse, naming the nights missing and the last one there is."""
    found = aggregates.where(F.col("submission_date").between(days[0], days[-1]))
    present = {r[0] for r in found.select("submission_date").distinct().collect()}
    missing = [d for d in days if d not in present]
    if missing:
        last = aggregates.agg(F.max("submission_date")).first()
        shown = ", ".join(map(str, missing[:5])) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
        raise JobError(
            f"no crash_aggregates rows for {shown} (the last night with data is {last[0] if last else None}): "
            "run aggregate_crashes for it first; its verdicts would be an older night's"
        )


def command(argv: list[str]) -> str:
    parser = job_parser(JOB, __doc__, *RANGED)
    parser.add_argument("--measure", choices=CRASH_MEASURES, help="print this measure's text report; write nothing")
    parser.add_argument(
        "--denominator",
        choices=DENOMINATORS,
        default="usage",
        help="rates per 1,000 usage hours (default) or active hours: the ones printed and split by reason "
        "(both are written)",
    )
    args = parse_args(parser, argv)
    chosen = DENOMINATORS[args.denominator]
    spark = build_session(JOB)
    aggregates = read_table(spark, args.warehouse, "crash_aggregates")
    sums = read_table_if_exists(spark, args.warehouse, "crash_client_sums")
    require_whole(spark, args.warehouse, args.days)  # aggregates, sums and sketches of one run per date
    if args.measure:
        reports = [
            format_report(compare_releases(aggregates, d, args.measure, sums, chosen), d, args.measure, chosen)
            for d in args.days
        ]
        return "\n\n".join(reports)
    days = args.days
    _require_nights(aggregates, days)
    label = date_label(days)
    progress = Progress(JOB, label)
    counts = read_table_if_exists(spark, args.warehouse, "client_counts")
    # Each date's verdicts computed as its own night would, written in one commit.
    both = (chosen, *(d for d in DENOMINATORS.values() if d != chosen))
    rows = union_all([release_comparisons(spark, aggregates, sums, counts, day, both) for day in days])
    commit_info = {"job": JOB, "submission_date": label, "code_version": code_version()}
    replace_partition(spark, args.warehouse, table_spec("release_comparisons"), rows, days, commit_info)
    every = rows.collect()
    written = [r for r in every if r.denominator in (chosen.name, CLIENTS)]
    regressions = sum(r.verdict == "regression" for r in written)
    progress(f"wrote {len(every)} rows of release_comparisons, {regressions} regression(s) per {chosen.name} hour")
    verdicts = [r.asDict() for r in written]
    released = _release_dates(aggregates, days)
    drivers = _write_reasons(spark, args.warehouse, released, verdicts, days, commit_info)
    progress(f"wrote {len(drivers)} rows of reason_comparisons, {sum(d.flag == 'new' for d in drivers)} new reason(s)")
    signed = _write_signatures(spark, args.warehouse, released, verdicts, days, commit_info)
    new_signatures = sum(d.flag == "new" for d in signed)
    progress(f"wrote {len(signed)} rows of signature_comparisons, {new_signatures} new signature(s)")
    shown = (
        format_rows(written) + "\n" + format_drivers(written, drivers) + format_signatures(written, signed)
        if len(days) == 1
        else ""
    )
    return shown + f"{JOB} {label}: {len(written)} comparisons, {regressions} regression(s)"


Released = Callable[[date], dict[tuple[str, str], date]]


def _release_dates(aggregates: DataFrame, days: Sequence[date]) -> Released:
    """Each (channel, display_version)'s release date as a night knew it (a date from the
    build id can move later), for every night of ``days`` from one query."""
    known = aggregates.where(F.col("submission_date") <= F.lit(days[-1]))
    by_night = (
        known.groupBy("channel", "display_version", "submission_date")
        .agg(F.min("release_date").alias("release_date"))
        .collect()
    )

    def released(night: date) -> dict[tuple[str, str], date]:
        dates: dict[tuple[str, str], date] = {}
        for r in by_night:
            if r.submission_date <= night:
                key = (r.channel, r.display_version)
                dates[key] = min(dates.get(key, r.release_date), r.release_date)
        return dates

    return released


def _write_reasons(
    spark: SparkSession, warehouse: str, released: Released, verdicts: list[dict], days: Sequence[date], info: dict
) -> list[Row]:
    """Each verdict split by crash reason (table ``reason_comparisons``), in one commit."""
    reasons = read_table_if_exists(spark, warehouse, "crash_reasons")
    if reasons is None:
        return []
    rows = [reason_comparisons(spark, reasons, _of(verdicts, day), released(day), day) for day in days]
    return _written(spark, warehouse, "reason_comparisons", union_all(rows), days, info)


def _write_signatures(
    spark: SparkSession, warehouse: str, released: Released, verdicts: list[dict], days: Sequence[date], info: dict
) -> list[Row]:
    """Each verdict split by crash signature (table ``signature_comparisons``), in one commit."""
    signatures = read_table_if_exists(spark, warehouse, "crash_signatures")
    if signatures is None:
        return []
    first_seen = read_table_if_exists(spark, warehouse, "signature_first_seen")
    rows = [
        signature_comparisons(spark, signatures, first_seen, _of(verdicts, day), released(day), day) for day in days
    ]
    return _written(spark, warehouse, "signature_comparisons", union_all(rows), days, info)


def _of(verdicts: list[dict], day: date) -> list[dict]:
    return [v for v in verdicts if v["submission_date"] == day]


def _written(
    spark: SparkSession, warehouse: str, name: str, rows: DataFrame, days: Sequence[date], commit_info: dict
) -> list[Row]:
    rows = rows.persist()
    replace_partition(spark, warehouse, table_spec(name), rows, days, commit_info)
    written = rows.collect()
    rows.unpersist()
    return written


main = main_wrapper(JOB, command)

if __name__ == "__main__":
    raise SystemExit(main())
