"""The release-health page release managers open every morning.

**Reads** ``crash_aggregates``, ``crash_client_sums``, ``client_counts``,
``release_comparisons``, ``crash_reasons`` and ``dq_results`` of ``<warehouse>`` up
to ``--date`` (each where it exists). **Writes** ``<out>/<date>/index.html``, one
self-contained page (styles and charts inlined: no script, no network when read),
per channel and platform: the night's verdicts with raw counts, hours and clients
beside every rate, crash rates and crash-free clients against release age for the
newest release and the two before it with 95% bands, adoption by day, the top crash
reasons, and loud notes for regressions, failed or warned data-quality checks, thin
data, releases under a day old, and verdicts whose rate per active hour and per usage
hour tell different stories (``--denominator`` picks the one shown first); a PNG of each chart beside it, and
``summary.json`` (the regression lines the DAG's alert emails). ``<out>`` defaults to
``<warehouse>/release_health``. **Schedule**: nightly, after ``compare_releases``.

    python -m jobs.release_health --date 2026-11-20 --warehouse WH [--channel release] [--out DIR]
"""

from __future__ import annotations

import json
import os.path
from urllib.parse import urlparse

from lib.contract.layout import HEALTH_PAGE, HEALTH_SUMMARY, health_folder, report_path
from lib.contract.vocabulary import REPORTED_CHANNELS
from lib.pages.health import night_health
from lib.pages.health_page import render
from lib.runtime.cli import NIGHTLY, Progress, job_parser, main_wrapper, parse_args
from lib.runtime.session import build_session
from lib.warehouse.runs import require_whole
from lib.warehouse.storage import write_bytes, write_text

JOB = "release_health"


def link(folder: str, target: str) -> str:
    """How a page in ``folder`` links ``target``: relative when both are local files, so
    the pair still links after being copied elsewhere together; else the full URI."""
    if urlparse(folder).scheme in ("", "file") and urlparse(target).scheme in ("", "file"):
        return os.path.relpath(urlparse(target).path, urlparse(folder).path)
    return target


def command(argv: list[str]) -> str:
    parser = job_parser(JOB, __doc__, *NIGHTLY, "reports")
    parser.add_argument("--channel", choices=REPORTED_CHANNELS, help="one channel (default: all, in sections)")
    parser.add_argument("--out", help="folder of the nightly pages (default <warehouse>/release_health)")
    parser.add_argument(
        "--denominator",
        choices=("usage", "active"),
        default="usage",
        help="verdicts per 1,000 usage hours (default) or active hours; the other is noted where it differs",
    )
    args = parse_args(parser, argv)
    spark = build_session(JOB)
    progress = Progress(JOB, args.date)
    channels = (args.channel,) if args.channel else REPORTED_CHANNELS
    require_whole(spark, args.warehouse, [args.date])
    health = night_health(spark, args.warehouse, args.date, channels, args.denominator)
    progress(f"read the tables: {sum(len(c.platforms) for c in health.channels)} channel platforms")
    folder = health_folder(args.warehouse, args.date, args.out)
    page = render(health, link(folder, report_path(args.warehouse, args.date, args.reports)))
    progress(f"rendered {len(page.pngs)} charts")
    for name, png in page.pngs.items():
        write_bytes(spark, f"{folder}/{name}", png)
    summary = {
        "night": args.date.isoformat(),
        "page": f"{folder}/{HEALTH_PAGE}",
        "regressions": page.regressions,
        "regression_signatures": page.regression_signatures,
    }
    write_text(spark, f"{folder}/{HEALTH_SUMMARY}", json.dumps(summary | {"notes": page.notes}, indent=2))
    # The page last: where it exists, its charts and summary do too.
    write_text(spark, f"{folder}/{HEALTH_PAGE}", page.html)
    return (
        f"{JOB} {args.date}: wrote {folder}/{HEALTH_PAGE} with {len(page.pngs)} charts; "
        f"{len(page.regressions)} regression(s), {len(page.notes)} note(s)"
    )


main = main_wrapper(JOB, command)

if __name__ == "__main__":
    raise SystemExit(main())
