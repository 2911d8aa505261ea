"""The release-health page, opened as a person would: in a real headless Chromium.

The page of the demo's population's last night (``release_window``): its newest
release crashes 1.5x as often on Mac, and the page must say so, there only. The
browser is Debian's ``chromium`` driven by Playwright (``executable_path``); where
either is missing the browser tests skip and say why (``make test`` installs
chromium where it can).
"""

from __future__ import annotations

import json
import re
import shutil
import struct

import pytest

import jobs.release_health as job
from lib.analysis.signature_changes import crash_stats_url
from lib.contract.layout import HEALTH_PAGE, HEALTH_SUMMARY
from lib.synthetic.generator import PLANTED_MODULE, PLANTED_SIGNATURE

pytestmark = pytest.mark.slow

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def page(release_window, tmp_path_factory):
    """The page of the window's last night, written by the job; returns (summary line, folder)."""
    out = tmp_path_factory.mktemp("release_health")
    printed = job.command(
        ["--date", str(release_window.last), "--warehouse", str(release_window.warehouse), "--out", str(out)]
    )
    return printed, out / str(release_window.last)


def png_size(path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path.name} is not a PNG"
    return struct.unpack(">II", data[16:24])


def test_the_job_writes_the_page_its_chart_pngs_and_a_summary_naming_the_regression(page, release_window):
    printed, folder = page
    summary = json.loads((folder / HEALTH_SUMMARY).read_text())
    assert summary["page"] == f"{folder}/{HEALTH_PAGE}"
    assert summary["regressions"], "the planted Mac regression"
    assert all(line.startswith("release Mac, ") and ": REGRESSION: 158.0 " in line for line in summary["regressions"])
    assert any("main-process crashes" in line for line in summary["regressions"])
    pngs = sorted(folder.glob("*.png"))
    html = (folder / HEALTH_PAGE).read_text()
    # Every chart on the page has its PNG beside it, of a readable size.
    assert len(pngs) == html.count("<figure") > 0
    for png in pngs:
        assert f'href="{png.name}"' in html
        width, height = png_size(png)
        assert width >= 400 and height >= 200, (png.name, width, height)
    assert printed == (
        f"release_health {release_window.last}: wrote {folder}/{HEALTH_PAGE} with {len(pngs)} charts; "
        f"{len(summary['regressions'])} regression(s), {len(summary['notes'])} note(s)"
    )
    # Self-contained: no script, no stylesheet or image fetched from anywhere; the only
    # addresses are the signatures' links, followed by a person, never fetched.
    assert "<script" not in html and "http://" not in html.replace("http://www.w3.org", "")
    links = re.findall(r'<a href="(https://[^"]+)"', html)
    assert links and all(
        link.startswith(("https://crash-stats.mozilla.org/signature/", "https://bugzilla.mozilla.org/buglist.cgi"))
        for link in links
    )
    assert html.count("https://") == len(links)
    # The regression is led by its signatures: the planted one first, linked, on the page and for the email.
    (main,) = [
        signed
        for line, signed in zip(summary["regressions"], summary["regression_signatures"], strict=True)
        if "main-process crashes" in line
    ]
    assert (main[0]["signature"], main[0]["flag"]) == (PLANTED_SIGNATURE, "new")
    assert main[0]["crash_stats"] == crash_stats_url(PLANTED_SIGNATURE)
    assert f'<a href="{crash_stats_url(PLANTED_SIGNATURE)}">Crash Stats</a>' in html


@pytest.fixture(scope="module")
def browser():
    if CHROMIUM is None:
        pytest.skip("no chromium on PATH (Debian: apt-get install chromium; make test installs it where it can)")
    playwright = pytest.importorskip("playwright.sync_api", reason="Playwright's Python package is not installed")
    with playwright.sync_playwright() as driver:
        launched = driver.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


def open_page(browser, folder, width: int):
    """The page in a fresh tab of ``width`` pixels; returns the tab, its console errors and its requests."""
    tab = browser.new_page(viewport={"width": width, "height": 900})
    errors: list[str] = []
    requests: list[str] = []
    tab.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    tab.on("pageerror", lambda error: errors.append(str(error)))
    tab.on("request", lambda request: requests.append(request.url))
    tab.goto((folder / HEALTH_PAGE).as_uri())
    tab.wait_for_load_state("load")
    return tab, errors, requests


def test_the_page_loads_offline_draws_every_chart_and_lists_only_the_planted_regression(browser, page, tmp_path):
    _, folder = page
    tab, errors, requests = open_page(browser, folder, 1280)
    assert errors == []
    assert requests == [(folder / HEALTH_PAGE).as_uri()]  # the page itself, nothing else

    figures = tab.locator("figure svg")
    assert figures.count() == len(list(folder.glob("*.png")))
    for i in range(figures.count()):
        svg = figures.nth(i)
        box = svg.bounding_box()
        assert box is not None and box["width"] > 250 and box["height"] > 120, box
        # Drawn, not an empty frame: axes, lines and points are paths.
        assert svg.locator("path").count() > 10

    regressions = tab.locator("table.verdicts tr.verdict-row.bad")
    where = {
        regressions.nth(i).evaluate("row => row.closest('section.platform').id") for i in range(regressions.count())
    }
    assert where == {"release-mac"}
    measures = {regressions.nth(i).get_attribute("data-measure") for i in range(regressions.count())}
    assert "main_crashes" in measures
    notes = tab.locator("#notes .note.bad").all_inner_texts()
    assert notes and all(text.startswith("release Mac, ") for text in notes)
    # Beside the regression, what drove it: the planted new crash reason, first and marked.
    drivers = tab.locator("section#release-mac table.drivers[data-measure=main_crashes] tr.driver")
    assert drivers.count() >= 2
    assert drivers.first.locator("td.reason").inner_text() == f"NEW {PLANTED_MODULE}"
    assert tab.locator("section.platform:not(#release-mac) table.drivers").count() == 0
    assert any(f"Driven by: {PLANTED_MODULE} (NEW" in text for text in notes)
    # The drivers' chart beside the table: one figure per regression's measure.
    assert tab.locator("section#release-mac figure[data-chart='release-mac-drivers-main_crashes'] svg").count() == 1
    # Nightly's builds share a version: its reasons are told apart by the builds' dates.
    nightly = tab.locator("section#nightly-windows table.reasons")
    assert nightly.locator("tr").count() > 1
    builds = nightly.locator("tr").first.locator("th").all_inner_texts()[1::2]
    assert len(builds) == 2 and builds[0] != builds[1], builds

    shot = tmp_path / "release-health.png"
    tab.screenshot(path=str(shot), full_page=True)
    width, height = png_size(shot)
    assert width == 1280 and height > 2000
    tab.close()


def test_the_page_fits_a_narrow_window_and_prints(browser, page, tmp_path):
    _, folder = page
    tab, errors, _ = open_page(browser, folder, 390)
    assert errors == []
    # Nothing wider than the window but the tables, which scroll inside their own box.
    overflow = tab.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    widest_chart = tab.evaluate(
        "Math.max(...[...document.querySelectorAll('figure svg')].map(s => s.getBoundingClientRect().width))"
    )
    assert widest_chart <= 390
    pdf = tmp_path / "release-health.pdf"
    tab.pdf(path=str(pdf), format="A4")
    assert pdf.read_bytes()[:5] == b"%PDF-" and pdf.stat().st_size > 50_000
    tab.close()
