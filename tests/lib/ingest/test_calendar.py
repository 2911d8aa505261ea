"""The release calendar folder: a broken file is named, never a Python error."""

from __future__ import annotations

import json

import pytest

from lib.ingest.calendar import CALENDAR_FILES, CalendarError, read_calendar


def test_an_empty_calendar_file_is_an_error_naming_it(spark, tmp_path):
    for name in CALENDAR_FILES:
        (tmp_path / name).write_text(json.dumps({"120.0": "2023-11-21"}))
    (tmp_path / CALENDAR_FILES[1]).write_bytes(b"")
    with pytest.raises(CalendarError, match=rf"^release calendar file {tmp_path}/{CALENDAR_FILES[1]} is empty$"):
        read_calendar(spark, str(tmp_path))


def test_a_whole_calendar_is_read(spark, tmp_path):
    for n, name in enumerate(CALENDAR_FILES):
        (tmp_path / name).write_text(json.dumps({f"12{n}.0": f"2023-11-2{n}"}))
    assert sorted(read_calendar(spark, str(tmp_path)).dates) == ["120.0", "121.0", "122.0"]
