"""Screenshots of the hub's assessment pages for docs/hub.md and docs/dashboard.md.

Builds the test hub of tests/hub_assess_support.py (21 members fed from the JHU series through
the seeded revision process, real data read in place), runs one assessment job over the API,
signs in with Debian's chromium (Playwright) as the coordinator and as a member (FRA) and saves
PNGs to docs/screenshots/.

Run: .venv/bin/python scripts/assessment_screenshots.py [--out docs/screenshots]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))  # the feed is the tests' own

import hub_assess_support as support  # noqa: E402

CHROMIUM = os.environ.get("EPICOMMONS_CHROMIUM", "/usr/bin/chromium")
SHARED = Path(os.environ.get("EPICOMMONS_SHARED_DATA", REPO.parent / "shared" / "data"))
MAX_HEIGHT = 2400  # pixels of a page kept in its screenshot
MAX_BYTES = 400_000


def shoot(hub: support.AssessedHub, job_id: int, out: Path) -> list[Path]:
    """One PNG per page, signed in through the form as a browser would."""
    from playwright.sync_api import sync_playwright

    coordinator = (support.COORDINATOR, "coordinator")
    shots = [
        (coordinator, "/dashboard/assessments", "assessment-jobs.png"),
        (coordinator, f"/dashboard/assessments/{job_id}", "assessment-coordinator.png"),
        (("FRA", "reporter"), f"/dashboard/assessments/{job_id}", "assessment-member.png"),
        (
            ("FRA", "reporter"),
            f"/dashboard/assessments/{job_id}/members/FRA",
            "assessment-curve.png",
        ),
    ]
    saved = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
        )
        pages = {}
        for who, path, name in shots:
            if who not in pages:
                page = browser.new_context(viewport={"width": 1200, "height": 900}).new_page()
                page.goto(hub.url + "/signin")
                page.fill("#token", hub.tokens[who])
                page.click("button[type=submit]")
                page.wait_for_load_state()
                pages[who] = page
            page = pages[who]
            page.goto(hub.url + path)
            target = out / name
            height = min(page.evaluate("document.documentElement.scrollHeight"), MAX_HEIGHT)
            clip = {"x": 0, "y": 0, "width": 1200, "height": height}
            page.screenshot(path=str(target), full_page=True, clip=clip)
            while target.stat().st_size > MAX_BYTES and clip["height"] > 900:
                clip["height"] -= 200
                page.screenshot(path=str(target), full_page=True, clip=clip)
            saved.append(target)
        browser.close()
    return saved


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "screenshots")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        for hub in support.assessed_hub("sqlite", Path(folder), SHARED):
            first = hub.wait(hub.start({**support.OPTIONS, "runs": 50}))
            hub.start({**support.OPTIONS, "runs": 50})  # queued behind nothing: the list shows it
            for path in shoot(hub, first["id"], args.out):
                print(f"{path}  {path.stat().st_size / 1024:.0f} KB")


if __name__ == "__main__":
    main()
