"""The release calendar folder: a broken file is named, never a Python error."""

from __future__ import annotations

import json
from datetime import date

import pytest

from lib.ingest.calendar import CALENDAR_FILES, CalendarError, parse_calendar, read_calendar


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


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"158.0": 20261117}', "158.0: 20261117 is not a date"),
        ('{"158.0": "2026-W47-2"}', "158.0: '2026-W47-2' is not a date"),
        ('{"158.0": "20261117"}', "158.0: '20261117' is not a date"),
        ('{"158.0": "2026-11-17", "158.0": "2026-11-18"}', "version '158.0' is listed twice"),
    ],
)
def test_a_date_that_is_not_iso_or_a_version_listed_twice_is_refused(text, message):
    with pytest.raises(CalendarError, match=f"^release calendar file major is not a version-to-date map: {message}"):
        parse_calendar({"major": text})


def test_a_version_in_two_files_keeps_its_earliest_date():
    dates = parse_calendar({"a": '{"158.0": "2026-11-18"}', "b": '{"158.0": "2026-11-17"}'})
    assert dates == {"158.0": date(2026, 11, 17)}
