"""Small files (pages, charts, reports) are replaced whole, never seen half-written."""

from __future__ import annotations

import threading

from lib.warehouse.storage import write_bytes, write_text


def test_a_file_is_replaced_whole_and_no_temporary_file_is_left(spark, tmp_path):
    page = tmp_path / "release_health" / "index.html"
    write_text(spark, str(page), "old")
    write_text(spark, str(page), "new page")
    assert page.read_text() == "new page"
    assert sorted(p.name for p in page.parent.iterdir()) == ["index.html"]


def test_a_reader_never_sees_a_half_written_chart(spark, tmp_path):
    chart = tmp_path / "chart.png"
    old, new = b"o" * 4_000_000, b"n" * 4_000_000
    write_bytes(spark, str(chart), old)
    seen: set[bytes] = set()
    done = threading.Event()

    def read() -> None:
        while not done.is_set():
            seen.add(chart.read_bytes()[::400_000])

    reader = threading.Thread(target=read)
    reader.start()
    for content in (new, old, new):
        write_bytes(spark, str(chart), content)
    done.set()
    reader.join()
    assert seen <= {old[::400_000], new[::400_000]}
