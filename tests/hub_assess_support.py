"""A hub of 20 members fed from the JHU series as if each had reported daily (the seeded revision
process of tests/assess_inputs.py), for the assessment tests. Holds no tests.

Malta joins with only its last 12 days of reports, so that its steps fail and the rest completes.
The JHU days are moved so that the as-of date (2020-12-01) falls on today: reports are known on
their report dates, which must not lie in the future, and stocks reported now are then known on
the as-of date. Each member's reporter sends its reporting triangle (wide CSV, one column per
delay; cells reported after the as-of date left empty) to `POST /members/{code}/reports/triangle`;
half of them report test-kit stocks; two organisations pledge test kits to a pool, one of them
delivers part. Grants: DEU shares its reports with FRA, CHE all with the group ALPS (AUT, ITA),
BEL its ledger with FRA.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import numpy as np
import pandas as pd

import assess_inputs as data
from epicommons.hub import admin
from epicommons.hub.clock import utcnow
from epicommons.hub.db import Database, open_database
from epicommons.surveillance.revision_process import simulate_reports
from test_hub_support import Server, fresh_database

AS_OF = dt.date(2020, 12, 1)  # the JHU day that becomes today
COUNTRIES = data.MEMBERS  # 18 with late-2020 epidemics, Tonga and Kiribati without a case
BROKEN = "MLT"  # reports only its last 12 days: too short a history, its steps fail alone
BROKEN_DAYS = 12
ALL = (*COUNTRIES, BROKEN)
ORGANISATIONS = ("EU", "WBG")
COORDINATOR = "WHO"
ROLES = ("reporter", "analyst")
STOCK_ITEM = "test_kit"
# Small settings so a job takes seconds: the tests check the hub, not the methods' accuracy.
OPTIONS = {
    "runs": 10,
    "horizon_days": 21,
    "nowcast_paths": 100,
    "forecast_samples": 200,
    "forecast_paths": 5,
}


def today() -> dt.date:
    return utcnow().date()


def shift() -> dt.timedelta:
    """How far the JHU days move so that AS_OF falls on today."""
    return today() - AS_OF


def final(shared_data: Path) -> pd.DataFrame:
    """Every country's daily counts as JHU has them (location, date, count), on moved days."""
    frame = data.final(shared_data, COUNTRIES)
    return frame.assign(date=pd.to_datetime(frame["date"]) + shift())


def wide_triangles(shared_data: Path) -> dict[str, str]:
    """Each country's reports as known on the as-of date, as a wide daily triangle CSV."""
    # on JHU's own days: the revision process's weekdays are those of the real reports
    long = data.as_known(data.triangle(shared_data), AS_OF)
    malta = simulate_reports(data.final(shared_data, [BROKEN]), seed=7)
    first = pd.Timestamp(AS_OF) - pd.Timedelta(days=BROKEN_DAYS - 1)
    malta = data.as_known(malta[pd.to_datetime(malta["reference_date"]) >= first], AS_OF)
    long = pd.concat([long, malta], ignore_index=True)
    out = {}
    for code, group in long.groupby("location"):
        ref = pd.to_datetime(group["reference_date"])
        delay = (pd.to_datetime(group["report_date"]) - ref).dt.days
        cells = pd.DataFrame({"ref": ref, "delay": delay, "count": group["count"]})
        wide = cells.pivot_table(index="ref", columns="delay", values="count", aggfunc="sum")
        delays = range(int(delay.max()) + 1)
        wide = wide.reindex(columns=delays).fillna(0).astype(int).astype(object)
        for ref_day in wide.index:  # cells not reported by the as-of date are unknown yet
            later = [k for k in delays if ref_day + pd.Timedelta(days=k) > pd.Timestamp(AS_OF)]
            wide.loc[ref_day, later] = ""
        wide.columns = [f"value_{k}d" for k in delays]
        wide.insert(0, "date", [(d + shift()).date().isoformat() for d in wide.index])
        out[str(code)] = wide.to_csv(index=False)
    return out


@dataclass
class AssessedHub:
    """A running hub of the 20 countries, two donors and the coordinator, fed and shared."""

    server: Server
    db: Database
    tokens: dict[tuple[str, str], str]

    @property
    def url(self) -> str:
        return self.server.url

    def client(self, member: str, role: str) -> httpx.Client:
        return httpx.Client(
            base_url=self.url + "/api/v1",
            headers={"Authorization": f"Bearer {self.tokens[(member, role)]}"},
            timeout=120,
        )

    def coordinator(self) -> httpx.Client:
        return self.client(COORDINATOR, "coordinator")

    def start(self, options: dict | None = None, as_of: dt.date | None = None) -> int:
        body = {"options": OPTIONS if options is None else options}
        if as_of is not None:
            body["as_of"] = as_of.isoformat()
        answer = self.coordinator().post("/assessments", json=body)
        assert answer.status_code == 202, answer.text
        return answer.json()["id"]

    def wait(self, job_id: int, timeout_s: float = 900) -> dict:
        """The job once it is done or failed."""
        deadline = time.monotonic() + timeout_s
        with self.coordinator() as c:
            while time.monotonic() < deadline:
                job = c.get(f"/assessments/{job_id}").json()
                if job["status"] in ("done", "failed"):
                    return job
                time.sleep(0.5)
        raise AssertionError(f"assessment {job_id} did not finish: {job}")


def setup(db_url: str, members: tuple[str, ...] = ALL) -> tuple[Database, dict]:
    db = open_database(db_url)
    admin.init(db)
    for code in members:
        admin.add_member(db, code)
    for code in ORGANISATIONS:
        admin.add_member(db, code, organisation=True)
    admin.add_member(db, COORDINATOR, organisation=True, name="World Health Organization")
    tokens = {(m, r): admin.issue_token(db, m, r).token for m in members for r in ROLES}
    for m in ORGANISATIONS:
        tokens[(m, "reporter")] = admin.issue_token(db, m, "reporter").token
    tokens[(COORDINATOR, "coordinator")] = admin.issue_token(db, COORDINATOR, "coordinator").token
    return db, tokens


def feed(hub: AssessedHub, shared_data: Path, members: tuple[str, ...] = ALL) -> None:
    """Reports, stocks, grants, pledges and a delivery through the API (the grants among
    `members` only)."""
    for code, csv in wide_triangles(shared_data).items():
        if code not in members:
            continue
        with hub.client(code, "reporter") as c:
            answer = c.post(
                f"/members/{code}/reports/triangle",
                content=csv,
                headers={"Content-Type": "text/csv"},
            )
            assert answer.status_code == 200, (code, answer.text)
    stock_day = (today() - dt.timedelta(days=11)).isoformat()
    for code in [c for c in COUNTRIES[:10] if c in members]:
        with hub.client(code, "reporter") as c:
            body = {"values": [{"date": stock_day, "indicator": "stock", "item": STOCK_ITEM,
                                "value": 20 * 2_000 * 28}]}  # fmt: skip
            assert c.post(f"/members/{code}/reports", json=body).status_code == 200
    grants = [("DEU", {"grantee_member": "FRA", "scope": "reports"})]
    if members == ALL:
        with hub.coordinator() as c:
            assert c.post("/groups", json={"code": "ALPS", "name": "Alps",
                                            "members": ["AUT", "ITA"]}).status_code == 201  # fmt: skip
        grants += [
            ("CHE", {"grantee_group": "ALPS", "scope": "all"}),
            ("BEL", {"grantee_member": "FRA", "scope": "ledger"}),
        ]
    for code, body in grants:
        with hub.client(code, "reporter") as c:
            assert c.post(f"/members/{code}/grants", json=body).status_code == 201
    pledge_day = (today() - dt.timedelta(days=20)).isoformat()
    for donor, quantity, delivered in (("EU", 5e6, 1e6), ("WBG", 2e6, 0.0)):
        with hub.client(donor, "reporter") as c:
            body = {"recipient_pool": "STOCKPILE", "item": STOCK_ITEM, "quantity": quantity,
                    "date": pledge_day}  # fmt: skip
            pledge = c.post(f"/members/{donor}/pledges", json=body)
            assert pledge.status_code == 201, pledge.text
            if delivered:
                delivery = {
                    "quantity": delivered,
                    "date": pledge_day,
                    "recipient_member": members[0],
                }
                answer = c.post(f"/pledges/{pledge.json()['id']}/deliveries", json=delivery)
                assert answer.status_code == 201, answer.text


def assessed_hub(
    backend: str,
    folder: Path,
    shared_data: Path,
    options: list[str] | None = None,
    members: tuple[str, ...] = ALL,
) -> Iterator[AssessedHub]:
    """Generator behind the fixtures: a fresh database, fed through a running server."""
    fresh = fresh_database(backend, folder)
    db, tokens = setup(fresh.url, members)
    server = Server(fresh.url, options or []).start()
    hub = AssessedHub(server, db, tokens)
    try:
        feed(hub, shared_data, members)
        yield hub
    finally:
        server.stop()
        db.dispose()
        fresh.close()


def coverage(nowcast: list[dict], truth: pd.DataFrame, low: float, high: float) -> np.ndarray:
    """Whether each nowcast's [low, high] interval holds the final count (one per target)."""
    frame = pd.DataFrame(nowcast).assign(
        target_end_date=lambda f: pd.to_datetime(f["target_end_date"])
    )
    wide = frame.pivot_table(
        index=["location", "target_end_date"], columns="quantile", values="value"
    )
    got = truth.set_index(["location", "date"])["count"].reindex(list(wide.index))
    levels = np.asarray(wide.columns)
    lo = wide.iloc[:, int(np.argmin(abs(levels - low)))].to_numpy()
    hi = wide.iloc[:, int(np.argmin(abs(levels - high)))].to_numpy()
    return (lo <= got.to_numpy(float)) & (got.to_numpy(float) <= hi)
