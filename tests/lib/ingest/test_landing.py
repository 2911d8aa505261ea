"""The landing partition: which files are input, and where one line ends (SPEC sections 1 and 4)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from lib.ingest.landing import MissingPartition, UnreadableInput, count_lines, open_partition, read_lines
from lib.ingest.pings import read_pings
from tests.pingbuilder import DAY, main_ping


def folder(raw: Path) -> Path:
    path = raw / "main" / f"submission_date={DAY}"
    path.mkdir(parents=True, exist_ok=True)
    return path


def ping_line(n: int) -> str:
    return json.dumps(main_ping(id=f"id-{n}"), separators=(",", ":"))


def test_every_file_not_starting_with_underscore_or_dot_is_input(spark, tmp_path):
    part = folder(tmp_path)
    names = ["part-0.JSON", "part-1.ndjson", "part-2.jsonl", "part-3.json.tmp", "part-4.txt"]
    for n, name in enumerate(names):
        (part / name).write_text(ping_line(n) + "\n")
    (part / "part-5.Json.gz").write_bytes(gzip.compress((ping_line(5) + "\n").encode()))
    (part / "_SUCCESS").touch()
    (part / ".part-6.json.crc").write_text("not input\n")
    (part / "_temporary").mkdir()

    partition = open_partition(spark, str(tmp_path), "main", DAY)
    assert sorted(f.name for f in partition.files) == sorted([*names, "part-5.Json.gz"])
    ids = sorted(r.doc_id for r in read_pings(spark, partition).collect())
    assert ids == [f"id-{n}" for n in range(6)]
    assert partition.complete and partition.warnings == []


def test_a_gzip_name_hadoop_would_not_decompress_fails_naming_the_file(spark, tmp_path):
    (folder(tmp_path) / "part-0.json.GZ").write_bytes(gzip.compress(b"{}\n"))
    with pytest.raises(UnreadableInput, match=r"cannot read file:.*/part-0\.json\.GZ: .*lower-case \.gz"):
        open_partition(spark, str(tmp_path), "main", DAY)


def test_an_empty_gzip_file_and_a_missing_marker_are_warned_about(spark, tmp_path):
    (folder(tmp_path) / "part-0.json.gz").write_bytes(b"")
    partition = open_partition(spark, str(tmp_path), "main", DAY)
    assert partition.warnings == [
        "main partition has no _SUCCESS marker; reading what is there",
        "main: part-0.json.gz is an empty (zero-byte) gzip file: read as no lines",
    ]
    assert count_lines(spark, [partition]) == {(DAY, "main"): 0}


def test_a_missing_partition_is_an_error_and_an_empty_one_is_an_empty_day(spark, tmp_path):
    with pytest.raises(MissingPartition, match="missing main partition"):
        open_partition(spark, str(tmp_path), "main", DAY)
    (folder(tmp_path) / "_SUCCESS").touch()
    partition = open_partition(spark, str(tmp_path), "main", DAY)
    assert (read_lines(spark, partition).collect(), count_lines(spark, [partition])) == ([], {(DAY, "main"): 0})


def test_lines_end_at_newline_only(spark, tmp_path):
    crlf, bom = ping_line(1) + "\r\n", "\ufeff" + ping_line(2) + "\n"
    carriage_return_inside = ping_line(3).replace('"id":', '"id":\r') + "\n"
    blank, last_without_newline = "\n", ping_line(4)
    (folder(tmp_path) / "a.json").write_text(bom + crlf + carriage_return_inside + blank + last_without_newline)
    partition = open_partition(spark, str(tmp_path), "main", DAY)

    rows = read_pings(spark, partition).collect()
    assert count_lines(spark, [partition]) == {(DAY, "main"): len(rows)} == {(DAY, "main"): 5}
    assert [r.doc_id for r in rows] == ["id-2", "id-1", "id-3", None, "id-4"]
    assert [r.json_error for r in rows] == [None, None, None, "not a JSON object", None]
