"""What the last ``make test`` proved and what it cost, in a few lines.

* the lines and branches of lib/, jobs/ and airflow_dags/ that ran, in every process the
  tests started (pytest-cov combines each process's data into ``.coverage``; the settings
  are in pyproject.toml);
* with ``--modules``, the seconds of each test module, setup included, from pytest's
  JUnit report (``.suite.xml``, which ``make test`` writes): the table that
  docs/maintainers.md keeps.

    .venv/bin/python -m tests.suite_summary [--modules]
"""

from __future__ import annotations

import json
import sys
import tempfile
import xml.etree.ElementTree as ElementTree
from collections import defaultdict
from pathlib import Path

from coverage import Coverage

REPORT = Path(".suite.xml")


def coverage_line(data_file: str = ".coverage") -> str:
    coverage = Coverage(data_file=data_file)
    coverage.load()
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "coverage.json"
        coverage.json_report(outfile=str(report))
        totals = json.loads(report.read_text())["totals"]
    lines, branches = totals["num_statements"], totals["num_branches"]
    return (
        f"coverage: lines {100 * totals['covered_lines'] / lines:.1f}% ({totals['covered_lines']:,} of {lines:,}), "
        f"branches {100 * totals['covered_branches'] / branches:.1f}% ({totals['covered_branches']:,} of {branches:,})"
    )


def module_seconds(report: Path = REPORT) -> dict[str, tuple[int, float]]:
    """Tests and seconds per test module (a test's time in JUnit includes its setup)."""
    found: dict[str, list[float]] = defaultdict(lambda: [0, 0.0])
    for case in ElementTree.parse(report).getroot().iter("testcase"):
        module = case.get("classname", "").split("::")[0]
        path = module.replace(".", "/") + ".py" if module else "?"
        found[path][0] += 1
        found[path][1] += float(case.get("time", 0))
    return {path: (int(n), seconds) for path, (n, seconds) in found.items()}


def module_table(report: Path = REPORT) -> str:
    rows = sorted(module_seconds(report).items(), key=lambda item: -item[1][1])
    total = sum(seconds for _, (_, seconds) in rows)
    lines = ["| module | tests | seconds |", "| --- | ---: | ---: |"]
    lines += [f"| `{path}` | {n} | {seconds:,.0f} |" for path, (n, seconds) in rows]
    lines.append(f"| all | {sum(n for _, (n, _) in rows)} | {total:,.0f} |")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    wanted = [REPORT] if "--modules" in argv else []
    missing = [str(p) for p in (*wanted, Path(".coverage")) if not p.exists()]
    if missing:
        print(f"suite_summary: error: no {' or '.join(missing)} here: run `make test` first", file=sys.stderr)
        return 2
    if wanted:
        print(module_table())
    print(coverage_line())
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
