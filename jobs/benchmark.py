"""The nightly work against DuckDB on the same landing files: throughput, memory, growth.

For each volume (1x, 2x, 4x ``--clients``), generates one day of landing data
(realistic ping sizes: the filler histograms of main pings are Mozilla's real ones
where the fixtures are found), as plain files and as gzip; runs everything the DAG does
to the day as separate processes on local Spark with both cores (``aggregate_crashes``
with its raw checks, ``validate_aggregates``, ``housekeeping``); computes the same crash
totals with DuckDB from the same plain files, in its own process; checks that the two
agree per channel and platform; and prints, for each run, wall time, input MB/s, pings/s
and the peak memory of the process tree (Python and JVM), then the marginal throughput
(the slope between the smallest and largest volume, so start-up does not count) and
the ratios the README quotes. Last, the parse stage alone, warm: its marginal
throughput per core on plain and gzip files, beside the floor of reading (a bare
``spark.read.text``) and DuckDB's.

    python -m jobs.benchmark [--clients 4000] [--volumes 1,2,4] [--out /tmp/crash-rates-bench]
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
from deltalake import DeltaTable
from isal import igzip

from jobs.generate_pings import generate
from lib.contract.vocabulary import GLEAN_OS_NAMES, KNOWN_CHANNELS, OS_NAMES, OTHER, Limits
from lib.runtime.cli import job_parser, main_wrapper, parse_args
from lib.synthetic.generator import Settings

JOB = "benchmark"
DAY = date(2026, 11, 20)
FIXTURES = Path(os.environ.get("CRASH_RATES_FIXTURES", Path(__file__).resolve().parents[2] / "shared" / "fixtures"))
REAL_MAIN_PING = FIXTURES / "firefox-pings" / "main.4.sample.pass.json"
COMPARED = ("ping_count", "usage_hours", "main_crashes", "content_crashes")


@dataclass(frozen=True)
class Measured:
    seconds: float
    peak_mb: float


def _tree_rss_mb(root: int) -> float:
    """Resident memory of ``root`` and all its descendants, from /proc (Linux)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            statm = Path(f"/proc/{entry}/statm").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry))
        rss[int(entry)] = int(statm.split()[1]) * os.sysconf("SC_PAGE_SIZE")
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        stack += children.get(pid, [])
    return total / 1e6


def measure(argv: list[str], log: Path) -> Measured:
    """Run a command to its end, sampling its process tree's memory; fails loudly on a non-zero exit."""
    started = time.monotonic()
    with log.open("w") as out:
        process = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT)
        peak = 0.0
        while process.poll() is None:
            peak = max(peak, _tree_rss_mb(process.pid))
            time.sleep(0.25)
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(argv[2:4])} exited {process.returncode}; see {log}")
    return Measured(time.monotonic() - started, peak)


def _gzip_copy(plain: Path, gzipped: Path) -> None:
    for source in plain.rglob("*"):
        target = gzipped / source.relative_to(plain)
        if source.is_dir():
            target.mkdir(parents=True, exist_ok=True)
        elif source.name.startswith("part-"):
            target.with_name(source.name + ".gz").write_bytes(igzip.compress(source.read_bytes(), 1))
        else:
            shutil.copy(source, target)


def landing(out: Path, clients: int) -> tuple[Path, int, float]:
    """One day of plain and gzip landing data under ``out``; returns the folder, pings and MB."""
    filler = str(REAL_MAIN_PING) if REAL_MAIN_PING.is_file() else None
    settings = Settings(start=DAY, days=1, clients=clients, crash_formats="glean", filler_source=filler)
    totals = generate(settings, out / "plain", files=4)
    _gzip_copy(out / "plain" / "raw", out / "gzip" / "raw")
    megabytes = sum(p.stat().st_size for p in (out / "plain" / "raw").rglob("part-*")) / 1e6
    return out, sum(totals.values()), megabytes


def nightly(raw: Path, releases: Path, warehouse: Path, logs: Path) -> Measured:
    """Everything the DAG does to the day, one process per task as spark-submit would run them."""
    base = ["--date", str(DAY), "--warehouse", str(warehouse)]
    tasks = {
        "aggregate_crashes": [*base, "--raw", str(raw), "--releases", str(releases)],
        "validate_aggregates": base,
        "housekeeping": base,
    }
    runs = [measure([sys.executable, "-m", f"jobs.{job}", *args], logs / f"{job}.log") for job, args in tasks.items()]
    return Measured(sum(r.seconds for r in runs), max(r.peak_mb for r in runs))


def duckdb_totals(raw: str, day: str, result: str) -> None:
    """The crash totals per channel and platform, by DuckDB from the raw files (own process)."""
    limits = Limits()
    channels = ", ".join(f"'{c}'" for c in KNOWN_CHANNELS)

    def os_case(column: str, names: dict[str, str]) -> str:
        cases = " ".join(f"WHEN '{raw_name}' THEN '{family}'" for raw_name, family in names.items())
        return f"CASE {column} {cases} ELSE '{OTHER}' END"

    def channel_case(column: str) -> str:
        return f"CASE WHEN lower({column}) IN ({channels}) THEN lower({column}) ELSE '{OTHER}' END"

    def kept_build(build: str) -> str:
        age = f"date_diff('day', try_strptime(substr({build}, 1, 8), '%Y%m%d')::DATE, DATE '{day}')"
        return f"{age} BETWEEN -{limits.max_build_lead_days} AND {limits.max_build_age_days}"

    main_columns = {
        "id": "VARCHAR",
        "application": "STRUCT(channel VARCHAR, version VARCHAR, buildId VARCHAR)",
        "environment": "STRUCT(system STRUCT(os STRUCT(name VARCHAR)))",
        "meta": "STRUCT(submissionTimestamp VARCHAR)",
        "payload": "STRUCT(info STRUCT(subsessionLength BIGINT))",
    }
    glean_columns = {
        "client_info": "STRUCT(app_channel VARCHAR, app_display_version VARCHAR, app_build VARCHAR, os VARCHAR)",
        "metrics": 'STRUCT(string STRUCT("crash.process_type" VARCHAR, "crash.ipc_channel_error" VARCHAR, '
        '"crash.minidump_sha256_hash" VARCHAR))',
        "meta": "STRUCT(documentId VARCHAR, submissionTimestamp VARCHAR)",
    }
    partition = f"{raw}/{{}}/submission_date={day}/part-*"
    query = f"""
    WITH main AS (
        SELECT {channel_case("application.channel")} AS channel,
               {os_case("environment.system.os.name", OS_NAMES)} AS os,
               CASE WHEN payload.info.subsessionLength IS NULL THEN 0  -- least() would skip the null
                    ELSE least(payload.info.subsessionLength, {limits.usage_cap_seconds}) END AS seconds
        FROM read_ndjson('{partition.format("main")}', columns={main_columns}, maximum_object_size=67108864)
        WHERE id IS NOT NULL AND application.channel IS NOT NULL AND application.version IS NOT NULL
          AND coalesce(payload.info.subsessionLength, 0) >= 0 AND {kept_build("application.buildId")}
        QUALIFY row_number() OVER (PARTITION BY id ORDER BY meta.submissionTimestamp) = 1
    ), crashes AS (
        SELECT {channel_case("client_info.app_channel")} AS channel,
               {os_case("client_info.os", GLEAN_OS_NAMES)} AS os,
               metrics.string."crash.process_type" AS process,
               coalesce(metrics.string."crash.ipc_channel_error", '') LIKE '%ShutDownKill%' AS shutdown_kill
        FROM read_ndjson('{partition.format("glean_crash")}', columns={glean_columns})
        WHERE meta.documentId IS NOT NULL AND {kept_build("client_info.app_build")}
        QUALIFY row_number() OVER (PARTITION BY meta.documentId ORDER BY meta.submissionTimestamp) = 1
    ), usage AS (
        SELECT channel, os, count(*) AS ping_count, sum(seconds) / 3600.0 AS usage_hours FROM main GROUP BY ALL
    ), crash_counts AS (
        SELECT channel, os,
               count_if(process IS NULL OR process = 'main') AS main_crashes,
               count_if(process = 'content' AND NOT shutdown_kill) AS content_crashes
        FROM crashes GROUP BY ALL
    )
    SELECT channel, os, coalesce(ping_count, 0), coalesce(usage_hours, 0),
           coalesce(main_crashes, 0), coalesce(content_crashes, 0)
    FROM usage FULL JOIN crash_counts USING (channel, os)
    """
    connection = duckdb.connect()
    connection.execute("SET threads = 2")
    rows = connection.execute(query).fetchall()
    Path(result).write_text(json.dumps({f"{r[0]}/{r[1]}": list(r[2:]) for r in rows}))


def duckdb_run(raw: Path, result: Path, logs: Path) -> Measured:
    code = f"from jobs.benchmark import duckdb_totals; duckdb_totals({str(raw)!r}, {str(DAY)!r}, {str(result)!r})"
    return measure([sys.executable, "-c", code], logs / "duckdb.log")


def parse_stage(raws: dict[str, str], result: str) -> None:
    """The parse stage alone, in one warm local session (own process): for each landing
    (plain, gzip), the best of three runs of the floor of reading (a bare ``spark.read.text``
    of the day's files, lines counted) and of the parse (every doc type through
    :func:`lib.ingest.pings.read_pings`, every column it yields consumed)."""
    from pyspark.sql import functions as F

    from lib.ingest.landing import open_day
    from lib.ingest.pings import read_pings
    from lib.runtime.session import build_session

    spark = build_session(JOB)

    def floor(raw: str) -> int:
        files = [f.path for p in open_day(spark, raw, DAY).values() for f in p.files]
        return spark.read.text(files).count()

    def parse(raw: str) -> int:
        lines = 0
        for partition in (p for p in open_day(spark, raw, DAY).values() if p.files):
            parsed = read_pings(spark, partition)
            every_column = F.xxhash64(*[F.col(c).cast("string") for c in parsed.columns])
            row = parsed.agg(F.count("*"), F.sum(F.pmod(every_column, F.lit(1_000_003)))).first()
            lines += row[0] if row else 0
        return lines

    seconds: dict[str, float] = {}
    for kind, raw in raws.items():
        for what, run in (("floor", floor), ("parse", parse)):
            times = []
            for _ in range(3):
                started = time.monotonic()
                run(raw)
                times.append(time.monotonic() - started)
            seconds[f"{what}, {kind}"] = min(times)
    Path(result).write_text(json.dumps(seconds))


def parse_stage_run(out: Path, result: Path, logs: Path) -> dict[str, float]:
    raws = {kind: str(out / kind / "raw") for kind in ("plain", "gzip")}
    code = f"from jobs.benchmark import parse_stage; parse_stage({raws!r}, {str(result)!r})"
    measure([sys.executable, "-c", code], logs / "parse_stage.log")
    return json.loads(result.read_text())


def spark_totals(warehouse: Path) -> dict[str, list[float]]:
    """The same totals from the Delta table, read by DuckDB through delta-rs (no Spark needed)."""
    aggregates = DeltaTable(str(warehouse / "crash_aggregates")).to_pyarrow_dataset()  # noqa: F841 - read by DuckDB
    sums = ", ".join(f"sum({c})" for c in COMPARED)
    rows = duckdb.execute(f"SELECT channel, os, {sums} FROM aggregates GROUP BY ALL").fetchall()
    return {f"{r[0]}/{r[1]}": list(r[2:]) for r in rows}


def disagreements(spark: dict[str, list[float]], duck: dict[str, list[float]]) -> list[str]:
    found = []
    for cell in sorted(set(spark) | set(duck)):
        a, b = spark.get(cell, [0] * len(COMPARED)), duck.get(cell, [0] * len(COMPARED))
        for name, x, y in zip(COMPARED, a, b, strict=True):
            if abs(float(x) - float(y)) > 1e-6 * max(1.0, abs(float(x))):
                found.append(f"{cell} {name}: Spark {x} vs DuckDB {y}")
    return found


def command(argv: list[str]) -> str:
    parser = job_parser(JOB, __doc__)
    parser.add_argument("--clients", type=int, default=4000, help="clients at 1x volume")
    parser.add_argument("--volumes", default="1,2,4", help="multiples of --clients to run")
    parser.add_argument("--out", type=Path, default=Path("/tmp/crash-rates-bench"))
    args = parse_args(parser, argv)
    volumes = [int(v) for v in args.volumes.split(",")]
    shutil.rmtree(args.out, ignore_errors=True)
    filler = REAL_MAIN_PING if REAL_MAIN_PING.is_file() else "the generator"
    print(f"{JOB}: {os.cpu_count()} cores; the filler histograms of pings from {filler}", flush=True)
    header = f"{'volume':>6} {'what':<22}{'pings':>9}{'MB':>8}{'seconds':>9}{'MB/s':>8}{'pings/s':>9}{'peak MB':>9}"
    rows, results, stages = [header], {}, {}
    for volume in volumes:
        out, pings, megabytes = landing(args.out / f"{volume}x", args.clients * volume)
        releases = out / "plain" / "releases"
        logs = {kind: out / "logs" / kind for kind in ("plain", "gzip", "duckdb", "parse")}
        for folder in logs.values():
            folder.mkdir(parents=True)
        runs = {
            "nightly, plain": nightly(out / "plain" / "raw", releases, out / "wh_plain", logs["plain"]),
            "nightly, gzip": nightly(out / "gzip" / "raw", releases, out / "wh_gzip", logs["gzip"]),
            "DuckDB, plain": duckdb_run(out / "plain" / "raw", out / "duckdb.json", logs["duckdb"]),
        }
        duck = json.loads((out / "duckdb.json").read_text())
        if problems := disagreements(spark_totals(out / "wh_plain"), duck):
            raise RuntimeError("Spark and DuckDB disagree: " + "; ".join(problems[:5]))
        for what, m in runs.items():
            results[(volume, what)] = (megabytes, pings, m)
            rows.append(
                f"{volume:>5}x {what:<22}{pings:>9,}{megabytes:>8,.0f}{m.seconds:>9.1f}"
                f"{megabytes / m.seconds:>8.1f}{pings / m.seconds:>9,.0f}{m.peak_mb:>9,.0f}"
            )
        print(rows[-3], rows[-2], rows[-1], "  (Spark and DuckDB agree)", sep="\n", flush=True)
        stages[volume] = (megabytes, parse_stage_run(out, out / "parse_stage.json", logs["parse"]))
        timed = ", ".join(f"{what} {seconds:.1f} s" for what, seconds in stages[volume][1].items())
        print(f"{volume:>5}x parse stage, warm, best of 3: {timed}", flush=True)
    low, high = min(volumes), max(volumes)
    rows.append("")
    for what in ("nightly, plain", "nightly, gzip", "DuckDB, plain"):
        (mb_low, _, a), (mb_high, _, b) = results[(low, what)], results[(high, what)]
        extra = b.seconds - a.seconds
        # The slope between two volumes: start-up and per-run costs cancel out.
        slope = f"{(mb_high - mb_low) / extra:7.1f} MB/s" if extra > 0 else "within the noise of the fixed costs"
        rows.append(
            f"{what:<16} marginal {slope}; {high}x/{low}x volume: {b.seconds / a.seconds:.2f}x time, "
            f"{b.peak_mb / a.peak_mb:.2f}x peak memory"
        )
    plain, gz = results[(high, "nightly, plain")][2], results[(high, "nightly, gzip")][2]
    rows.append(f"gzip / plain time at {high}x: {gz.seconds / plain.seconds:.2f}")
    rows += parse_stage_lines(stages, results, low, high)
    print("\n".join(rows), flush=True)
    return f"{JOB}: {len(volumes)} volumes run; Spark and DuckDB agree on every channel and platform"


def parse_stage_lines(
    stages: dict[int, tuple[float, dict[str, float]]], results: dict, low: int, high: int
) -> list[str]:
    """The parse stage's marginal throughput (MB of plain JSON per second, per core),
    beside the floor of reading and DuckDB's whole query on the same files."""
    cores = os.cpu_count() or 1

    def slope(mb_low: float, t_low: float, mb_high: float, t_high: float) -> float | None:
        return (mb_high - mb_low) / (t_high - t_low) if t_high > t_low else None

    (mb_low, at_low), (mb_high, at_high) = stages[low], stages[high]
    slopes = {what: slope(mb_low, at_low[what], mb_high, at_high[what]) for what in at_low}
    duck_low, duck_high = results[(low, "DuckDB, plain")], results[(high, "DuckDB, plain")]
    slopes["DuckDB, plain"] = slope(duck_low[0], duck_low[2].seconds, duck_high[0], duck_high[2].seconds)
    lines = ["", f"parse stage, marginal between {low}x and {high}x (MB of plain JSON per second; {cores} cores):"]
    for what, value in slopes.items():
        shown = f"{value:8.0f} MB/s, {value / cores:6.0f} per core" if value else "   within the noise"
        lines.append(f"  {what:<16}{shown}")
    parse, duck = slopes["parse, plain"], slopes["DuckDB, plain"]
    if parse and duck:
        lines.append(f"  parse / DuckDB: {parse / duck:.2f} (target: at least 0.5)")
    gzip_ratio = at_high["parse, gzip"] / at_high["parse, plain"]
    lines.append(f"  gzip / plain time of the parse at {high}x: {gzip_ratio:.2f} (target: at most 1.5)")
    return lines


main = main_wrapper(JOB, command)

if __name__ == "__main__":
    raise SystemExit(main())
