"""What the last ``make test`` proved, in one line: the lines and branches of lib/, jobs/
and airflow_dags/ that ran, in every process the tests started (pytest-cov combines each
process's data into ``.coverage``; the settings are in pyproject.toml)."""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

from coverage import Coverage


def summary(data_file: str = ".coverage") -> str:
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


if __name__ == "__main__":
    print(summary(*sys.argv[1:]))
