"""Screenshot of the hub's what-if page for docs/hub.md.

Builds the test hub of tests/hub_assess_support.py (21 members fed from the JHU series through
the seeded revision process, real data read in place), runs one assessment and one what-if (a
90% cut of travel from Germany) over the API, signs in with Debian's chromium (Playwright) as
the coordinator and saves docs/screenshots/whatif.png.

Run: .venv/bin/python scripts/whatif_screenshots.py [--out docs/screenshots]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))  # the feed is the tests' own

from screenshots import shoot_pages  # noqa: E402

import hub_assess_support as support  # noqa: E402

SHARED = Path(os.environ.get("EPICOMMONS_SHARED_DATA", REPO.parent / "shared" / "data"))
MEASURE = {"kind": "travel_reduction", "members": ["DEU"], "strength": 0.9}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "screenshots")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        for hub in support.assessed_hub("sqlite", Path(folder), SHARED):
            done = hub.wait(hub.start({**support.OPTIONS, "runs": 50, "horizon_days": 28}))
            body = {"assessment": done["id"], "measure": MEASURE}
            job_id = hub.coordinator().post("/whatifs", json=body).json()["id"]
            while hub.coordinator().get(f"/whatifs/{job_id}").json()["status"] not in (
                "done",
                "failed",
            ):
                time.sleep(0.5)
            shots = [((support.COORDINATOR, "coordinator"), f"/dashboard/whatifs/{job_id}",
                      "whatif.png")]  # fmt: skip
            for path in shoot_pages(hub.url, hub.tokens, shots, args.out, max_height=2000):
                print(f"{path}  {path.stat().st_size / 1024:.0f} KB")


if __name__ == "__main__":
    main()
