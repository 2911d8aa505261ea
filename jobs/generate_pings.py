"""Realistic landing data with known truth, for the demo, the tests and benchmarks.

**Produces**, under ``--out``:

* ``raw/{main,crash}/submission_date=YYYY-MM-DD/part-NNNN.json[.gz]`` plus ``_SUCCESS``:
  the landing zone of SPEC section 1;
* ``releases/``: the release calendar of the synthetic train (product-details format);
* ``truth/YYYY-MM-DD.json``: what the aggregation must find that day: lines by
  disposition, quarantine reasons, per-cell measures, and the expected crash counts
  of the model.

The model and the faults are described in :mod:`lib.synthetic.generator`. Faults are
switched on with ``--fault NAME`` (every day) or ``--fault NAME@YYYY-MM-DD[,...]``.

    python -m jobs.generate_pings --start 2026-10-31 --days 14 --out demo
"""

from __future__ import annotations

import argparse
import gzip
import json
from datetime import date
from pathlib import Path

from lib.contract.vocabulary import DOC_TYPES
from lib.runtime.cli import iso_date, job_parser, main_wrapper, parse_args
from lib.synthetic.generator import CRASH_FORMATS, FAULTS, Generator, Settings

JOB = "generate_pings"


def parse_fault(text: str) -> tuple[str, frozenset[date] | None]:
    name, _, days = text.partition("@")
    if name not in FAULTS:
        raise ValueError(f"unknown fault {name!r}; known: {', '.join(FAULTS)}")
    return name, frozenset(iso_date(d) for d in days.split(",")) if days else None


def read_config(argv: list[str]) -> tuple[Settings, Path, bool, int]:
    parser = job_parser(JOB, __doc__)
    parser.add_argument("--start", type=iso_date, required=True, help="first submission date")
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument("--out", type=Path, required=True, help="folder for raw/, releases/ and truth/")
    parser.add_argument("--clients", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=20261120)
    parser.add_argument("--ping-size", choices=("realistic", "small"), default="realistic")
    parser.add_argument("--fault", action="append", default=[], type=_fault_arg, help="NAME[@DATE,...]")
    parser.add_argument("--gzip", action="store_true", help="write .json.gz files")
    parser.add_argument("--files-per-partition", type=int, default=2)
    parser.add_argument(
        "--crash-formats", choices=CRASH_FORMATS, default="legacy", help="what Firefox sends for a crash"
    )
    parser.add_argument(
        "--format-change", action="append", default=[], type=_format_change, help="DATE=FORMATS: from DATE on"
    )
    parser.add_argument(
        "--proneness-shape",
        type=float,
        help="crashes cluster on clients: gamma shape of each client's crash-proneness (e.g. 0.05)",
    )
    parser.add_argument(
        "--desktop-baseline-from",
        type=iso_date,
        help="from this date, Firefox desktop also sends Glean baseline pings of the same sessions",
    )
    parser.add_argument("--android-clients", type=int, default=0, help="Firefox for Android clients (default 0)")
    args = parse_args(parser, argv)
    settings = Settings(
        args.start,
        args.days,
        args.clients,
        args.seed,
        args.ping_size,
        dict(args.fault),
        crash_formats=args.crash_formats,
        format_changes=tuple(sorted(args.format_change)),
        proneness_shape=args.proneness_shape,
        desktop_baseline_from=args.desktop_baseline_from,
        android_clients=args.android_clients,
    )
    return settings, args.out, args.gzip, args.files_per_partition


def _format_change(text: str) -> tuple[date, str]:
    day, _, formats = text.partition("=")
    if formats not in CRASH_FORMATS:
        raise argparse.ArgumentTypeError(f"expected DATE=FORMATS with FORMATS one of {', '.join(CRASH_FORMATS)}")
    return iso_date(day), formats


def _fault_arg(text: str) -> tuple[str, frozenset[date] | None]:
    try:
        return parse_fault(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def write_partition(folder: Path, lines: list[str], files: int, compress: bool) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for index in range(files):
        chunk = lines[index::files]
        name = folder / f"part-{index:04d}.json{'.gz' if compress else ''}"
        text = "".join(line + "\n" for line in chunk).encode()
        # Level 1: five times faster than the default 9, and landing files are read once.
        name.write_bytes(gzip.compress(text, compresslevel=1) if compress else text)
    (folder / "_SUCCESS").touch()


def generate(settings: Settings, out: Path, compress: bool = False, files: int = 2) -> dict[str, int]:
    """Write every day of ``settings`` under ``out``; returns line totals per doc type."""
    generator = Generator(settings)
    releases = out / "releases"
    releases.mkdir(parents=True, exist_ok=True)
    for name, versions in generator.calendar().items():
        (releases / name).write_text(json.dumps(versions, indent=1, sort_keys=True) + "\n")
    (out / "truth").mkdir(parents=True, exist_ok=True)
    totals = dict.fromkeys(DOC_TYPES, 0)
    for day in settings.dates:
        lines, truth = generator.day(day)
        for doc_type, doc_lines in lines.items():
            write_partition(out / "raw" / doc_type / f"submission_date={day}", doc_lines, files, compress)
            totals[doc_type] += len(doc_lines)
        (out / "truth" / f"{day}.json").write_text(json.dumps(truth.to_json(), indent=1) + "\n")
        counts = ", ".join(f"{len(doc_lines):,} {doc_type}" for doc_type, doc_lines in lines.items())
        print(f"{JOB} {day}: {counts} lines ({truth.formats} crash pings)", flush=True)
    return totals


def command(argv: list[str]) -> str:
    settings, out, compress, files = read_config(argv)
    totals = generate(settings, out, compress, files)
    return (
        f"{JOB}: wrote {settings.days} days from {settings.start} to {out}: "
        + ", ".join(f"{n:,} {doc_type}" for doc_type, n in totals.items())
        + " lines"
    )


main = main_wrapper(JOB, command)

if __name__ == "__main__":
    raise SystemExit(main())
