"""Screenshots of the hub's assessment pages for docs/hub.md and docs/dashboard.md.

Builds the test hub of tests/hub_assess_support.py (21 members fed from the JHU series through
the seeded revision process, real data read in place), runs an assessment job three weeks
before today and one today over the API (the second scores the first's forecasts), signs in
with Debian's chromium (Playwright) as the coordinator and as a member (FRA) and saves PNGs to
docs/screenshots/.

Run: .venv/bin/python scripts/assessment_screenshots.py [--out docs/screenshots]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))  # the feed is the tests' own

from screenshots import shoot_pages  # noqa: E402

import hub_assess_support as support  # noqa: E402

SHARED = Path(os.environ.get("EPICOMMONS_SHARED_DATA", REPO.parent / "shared" / "data"))


def shoot(hub: support.AssessedHub, job_id: int, out: Path) -> list[Path]:
    """One PNG per page, signed in through the form as a browser would."""
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
        (coordinator, "/dashboard/assessments/track-record", "assessment-track-record.png"),
    ]
    # the assessment pages are long: more of each is kept than of the other pages
    return shoot_pages(hub.url, hub.tokens, shots, out, max_height=2400, max_bytes=400_000)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "screenshots")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        for hub in support.assessed_hub("sqlite", Path(folder), SHARED):
            earlier = support.today() - dt.timedelta(days=21)  # its forecasts are scored next
            hub.wait(hub.start({**support.OPTIONS, "runs": 50}, as_of=earlier))
            first = hub.wait(hub.start({**support.OPTIONS, "runs": 50}))
            hub.start({**support.OPTIONS, "runs": 50})  # queued behind nothing: the list shows it
            for path in shoot(hub, first["id"], args.out):
                print(f"{path}  {path.stat().st_size / 1024:.0f} KB")


if __name__ == "__main__":
    main()
