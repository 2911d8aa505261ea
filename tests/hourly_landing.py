"""A generated day landing as the hours go by: its lines regrouped by submission hour, and
landed a few hours at a time as new whole files (SPEC section 1: each file appears whole
under its final name)."""

from __future__ import annotations

import gzip
import json
from datetime import date
from pathlib import Path

Lines = dict[tuple[str, int], list[str]]


def _hour(line: str) -> int:
    try:
        return int(json.loads(line)["meta"]["submissionTimestamp"][11:13])
    except (ValueError, KeyError, TypeError, IndexError):
        return 23  # a line without a readable timestamp lands with the day's last file


def lines_by_hour(raw: Path, day: date) -> Lines:
    """The generated day's lines under ``raw``, per (doc type, submission hour)."""
    out: Lines = {}
    for folder in raw.glob(f"*/submission_date={day}"):
        for file in sorted(folder.glob("*.json*")):
            opener = gzip.open if file.name.endswith(".gz") else open
            with opener(file, "rt", encoding="utf-8", newline="\n") as handle:
                for line in handle.read().split("\n"):
                    if line:
                        out.setdefault((folder.parent.name, _hour(line)), []).append(line)
    return out


def land(raw: Path, day: date, lines: Lines, hours: range, name: str) -> None:
    """Land the lines of ``hours`` as one new file per doc type, written whole and renamed."""
    for doc_type in {d for d, _ in lines}:
        chunk = [line for h in hours for line in lines.get((doc_type, h), [])]
        folder = raw / doc_type / f"submission_date={day}"
        folder.mkdir(parents=True, exist_ok=True)
        temporary = folder / f".{name}.tmp"
        temporary.write_text("".join(f"{line}\n" for line in chunk))
        temporary.rename(folder / f"{name}.json")
