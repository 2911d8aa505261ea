"""The README's picture of the release-health page, taken in headless Chromium.

Opens the newest page under ``--pages`` (a ``release_health`` folder) in Debian's
``chromium`` driven by Playwright, and saves the top of it, ``--height`` pixels of a
``--width`` window, as a PNG. A local tool, like the demo:

    python -m jobs.screenshot --pages demo/warehouse/release_health --out docs/release-health.png
                                                           (what `make screenshot` runs)
"""

from __future__ import annotations

import shutil
from pathlib import Path

from lib.contract.errors import JobError
from lib.contract.layout import HEALTH_PAGE
from lib.runtime.cli import job_parser, main_wrapper, parse_args

JOB = "screenshot"


def command(argv: list[str]) -> str:
    parser = job_parser(JOB, __doc__)
    parser.add_argument("--pages", type=Path, required=True)
    parser.add_argument("--out", type=Path, default=Path("docs/release-health.png"))
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=1800)
    args = parse_args(parser, argv)
    pages = sorted(args.pages.glob(f"*/{HEALTH_PAGE}"))
    if not pages:
        raise JobError(f"no release-health page under {args.pages}: run `make demo` first")
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise JobError("no chromium on PATH (Debian: apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    args.out.parent.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        tab = browser.new_page(viewport={"width": args.width, "height": args.height})
        tab.goto(pages[-1].resolve().as_uri())
        tab.screenshot(path=str(args.out))
        browser.close()
    return f"{JOB}: {pages[-1]} -> {args.out} ({args.width}x{args.height})"


main = main_wrapper(JOB, command)

if __name__ == "__main__":
    raise SystemExit(main())
