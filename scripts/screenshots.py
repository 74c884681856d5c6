"""Screenshots of the hub dashboard for docs/dashboard.md, from a demo hub with synthetic reports.

Seeds a fresh SQLite hub in a temporary folder (members, tokens, grants, a partner group, events,
pledges and deliveries) with synthetic epidemics drawn by a renewal process with a seeded random
generator (not real data), starts `epicommons serve` on 127.0.0.1, signs in through the form with
Debian's chromium (Playwright) and saves PNGs to docs/screenshots/.

Needs the test extras (httpx, Playwright): `make screenshots` installs them and runs this script
and scripts/report_screenshots.py; or `pip install -e '.[test]'`, then
Run: .venv/bin/python scripts/screenshots.py [--out docs/screenshots]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path

import numpy as np

try:
    import httpx
    import playwright.sync_api  # noqa: F401  (used in shoot)
except ModuleNotFoundError as exc:
    raise SystemExit(
        f"scripts/screenshots.py needs the test extras ({exc.name} is missing): "
        "run `make screenshots`, or `pip install -e '.[test]'` first"
    ) from None

from epicommons.hub import admin
from epicommons.hub.db import open_database

CHROMIUM = os.environ.get("EPICOMMONS_CHROMIUM", "/usr/bin/chromium")
LAST_DAY = dt.date(2026, 11, 25)
DAYS = 120
# Synthetic epidemics: (member, people seeded on day 0, R before and after a change, change day).
EPIDEMICS = {
    "KOR": (40, 1.35, 0.85, 70),
    "JPN": (60, 1.25, 0.95, 80),
    "CHN": (150, 1.15, 0.80, 60),
    "VNM": (20, 1.30, 1.10, 90),
    "THA": (25, 1.20, 0.90, 75),
    "PHL": (30, 1.10, 1.20, 85),
}
COORDINATOR = "WHO"
MAX_HEIGHT = 1700  # pixels of a page kept in its screenshot
MAX_BYTES = 300_000


def serial_interval(mean: float = 4.7, sd: float = 2.9, days: int = 25) -> np.ndarray:
    """Discretised gamma serial interval (weights for lags 1..days, summing to 1)."""
    from scipy.stats import gamma

    shape, scale = (mean / sd) ** 2, sd**2 / mean
    edges = gamma.cdf(np.arange(days + 1) + 0.5, shape, scale=scale)
    w = np.diff(edges)
    return w / w.sum()


def epidemic(rng: np.random.Generator, seed: int, r0: float, r1: float, change: int) -> np.ndarray:
    """Daily cases of a renewal process with Poisson noise and a change of R on one day."""
    w = serial_interval()
    cases = np.zeros(DAYS)
    cases[0] = seed
    for t in range(1, DAYS):
        lags = np.arange(1, min(t, len(w)) + 1)
        force = (cases[t - lags] * w[lags - 1]).sum()
        cases[t] = rng.poisson((r0 if t < change else r1) * force)
    return cases


def report(rng: np.random.Generator, cases: np.ndarray) -> list[dict]:
    """Report rows: cases, deaths (about 1% two weeks later), tests, hospital and ICU, stocks."""
    rows = []
    deaths = rng.binomial(np.roll(cases, 14).astype(int) * (np.arange(DAYS) >= 14), 0.01)
    hospital = np.convolve(cases * 0.05, np.ones(10))[:DAYS].round()
    for t in range(DAYS):
        day = (LAST_DAY - dt.timedelta(days=DAYS - 1 - t)).isoformat()
        rows += [
            {"date": day, "indicator": "new_cases", "value": int(cases[t])},
            {"date": day, "indicator": "new_deaths", "value": int(deaths[t])},
            {
                "date": day,
                "indicator": "tests",
                "value": int(cases[t] * 15 + rng.integers(500, 900)),
            },
            {"date": day, "indicator": "hospital_occupancy", "value": int(hospital[t])},
            {"date": day, "indicator": "icu_occupancy", "value": int(hospital[t] // 5)},
        ]
    for item, stock in (("masks", 250_000), ("test-kits", 40_000)):
        rows += [
            {"date": LAST_DAY.isoformat(), "indicator": "stock", "item": item, "value": stock},
            {"date": LAST_DAY.isoformat(), "indicator": "need", "item": item, "value": stock * 2},
        ]
    return rows


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def seed_hub(db_url: str) -> dict[str, str]:
    """Members and tokens (printed nowhere; the folder is deleted afterwards)."""
    db = open_database(db_url)
    try:
        admin.init(db)
        for code in EPIDEMICS:
            admin.add_member(db, code)
        admin.add_member(db, COORDINATOR, organisation=True, name="World Health Organization")
        tokens = {c: admin.issue_token(db, c, "reporter").token for c in EPIDEMICS}
        tokens["KOR-analyst"] = admin.issue_token(db, "KOR", "analyst").token
        tokens[COORDINATOR] = admin.issue_token(db, COORDINATOR, "coordinator").token
    finally:
        db.dispose()
    return tokens


def post(client: httpx.Client, path: str, body: dict) -> dict:
    response = client.post(path, json=body)
    response.raise_for_status()
    return response.json()


def fill(url: str, tokens: dict[str, str]) -> None:
    """Reports, grants, a partner group, events, pledges and deliveries through the API."""
    rng = np.random.default_rng(20261127)

    def client(who: str) -> httpx.Client:
        return httpx.Client(
            base_url=url + "/api/v1", headers={"Authorization": f"Bearer {tokens[who]}"}, timeout=60
        )

    for code, (seed, r0, r1, change) in EPIDEMICS.items():
        with client(code) as c:
            post(
                c,
                f"/members/{code}/reports",
                {"values": report(rng, epidemic(rng, seed, r0, r1, change))},
            )
    with client(COORDINATOR) as c:
        post(
            c,
            "/groups",
            {"code": "EAST-ASIA", "name": "East Asia network", "members": ["KOR", "JPN", "CHN"]},
        )
    with client("JPN") as c:
        post(c, "/members/JPN/grants", {"grantee_member": "KOR", "scope": "reports"})
        post(
            c,
            "/members/JPN/events",
            {
                "title": "Cluster of severe respiratory illness",
                "hazard": "respiratory",
                "serious_impact": True,
                "unusual_or_unexpected": True,
                "international_spread": True,
                "travel_or_trade_restrictions": False,
                "detected_at": "2026-11-20T08:00:00Z",
                "visibility": "partners",
            },
        )
        post(c, "/members/JPN/grants", {"grantee_group": "EAST-ASIA", "scope": "events"})
        p = post(
            c,
            "/members/JPN/pledges",
            {"recipient_member": "VNM", "item": "masks", "quantity": 200000, "date": "2026-10-01"},
        )
        post(c, f"/pledges/{p['id']}/deliveries", {"quantity": 150000, "date": "2026-10-20"})
    with client("CHN") as c:
        post(c, "/members/CHN/grants", {"grantee_group": "EAST-ASIA", "scope": "reports"})
        p = post(
            c,
            "/members/CHN/pledges",
            {
                "recipient_member": "PHL",
                "item": "test-kits",
                "quantity": 50000,
                "date": "2026-10-05",
            },
        )
        post(c, f"/pledges/{p['id']}/deliveries", {"quantity": 20000, "date": "2026-11-01"})
    with client("KOR") as c:
        p = post(
            c,
            "/members/KOR/pledges",
            {
                "recipient_member": "THA",
                "item": "test-kits",
                "quantity": 30000,
                "date": "2026-10-10",
            },
        )
        post(c, f"/pledges/{p['id']}/deliveries", {"quantity": 30000, "date": "2026-10-30"})
        p = post(
            c,
            "/members/KOR/pledges",
            {
                "recipient_pool": "COVAX",
                "item": "vaccines",
                "quantity": 100000,
                "date": "2026-09-15",
            },
        )
        post(
            c,
            f"/pledges/{p['id']}/deliveries",
            {"quantity": 40000, "date": "2026-11-10", "recipient_member": "PHL"},
        )


def serve(db_url: str, port: int, log: Path) -> subprocess.Popen:
    cmd = [
        sys.executable,
        "-c",
        "from epicommons.cli import run; run()",
        "serve",
        "--db",
        db_url,
        "--port",
        str(port),
    ]
    proc = subprocess.Popen(cmd, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    for _ in range(600):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/openapi.json", timeout=2).status_code == 200:
                return proc
        except httpx.TransportError:
            time.sleep(0.1)
    proc.terminate()
    raise RuntimeError(f"the hub did not start: {log.read_text()}")


def shoot(url: str, tokens: dict[str, str], out: Path) -> list[Path]:
    """Sign in through the form as a member and as the coordinator; one PNG per main page."""
    shots = [
        (None, "/signin", "signin.png"),
        ("KOR", "/dashboard/members/KOR", "member-overview.png"),
        ("KOR", "/dashboard/members/KOR/rt", "member-rt.png"),
        ("KOR", "/dashboard/shared", "member-shared.png"),
        (COORDINATOR, "/dashboard/coordinator", "coordinator-map.png"),
        (COORDINATOR, "/dashboard/coordinator/risk", "coordinator-risk.png"),
        (COORDINATOR, "/dashboard/ledger", "ledger.png"),
    ]
    return shoot_pages(url, tokens, shots, out)


def shoot_pages(
    url: str,
    tokens: Mapping,
    shots: list[tuple],
    out: Path,
    *,
    max_height: int = MAX_HEIGHT,
    max_bytes: int = MAX_BYTES,
) -> list[Path]:
    """One PNG per `(who, path, file name)`, signed in through the form as `who` would be
    (`tokens[who]`; None: not signed in); pages cut to `max_height` and about `max_bytes`."""
    from playwright.sync_api import sync_playwright

    saved = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
        )
        pages = {}
        for who, path, name in shots:
            if who not in pages:
                context = browser.new_context(viewport={"width": 1200, "height": 900})
                page = context.new_page()
                if who is not None:
                    page.goto(url + "/signin")
                    page.fill("#token", tokens[who])
                    page.click("button[type=submit]")
                    page.wait_for_load_state()
                pages[who] = page
            page = pages[who]
            page.goto(url + path)
            target = out / name
            height = min(page.evaluate("document.documentElement.scrollHeight"), max_height)
            clip = {"x": 0, "y": 0, "width": 1200, "height": height}
            page.screenshot(path=str(target), full_page=True, clip=clip)
            while target.stat().st_size > max_bytes and clip["height"] > 900:
                clip["height"] -= 200
                page.screenshot(path=str(target), full_page=True, clip=clip)
            saved.append(target)
        browser.close()
    return saved


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs/screenshots"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        db_url = f"sqlite:///{Path(folder) / 'demo-hub.sqlite'}"
        tokens = seed_hub(db_url)
        port = free_port()
        server = serve(db_url, port, Path(folder) / "server.log")
        try:
            url = f"http://127.0.0.1:{port}"
            fill(url, tokens)
            for path in shoot(url, tokens, args.out):
                print(f"{path}  {path.stat().st_size / 1024:.0f} KB")
        finally:
            server.terminate()
            server.wait(10)


if __name__ == "__main__":
    main()
