"""Shared set-up of the dashboard tests: a hub on loopback with known reports, and signed-in clients.

Holds no tests. The data are chosen so that expected figures follow from arithmetic or theory:
KOR reports 100 new cases every day (Rt = 1 for constant incidence), JPN grows as 20 e^{0.05 t}
(Rt from the Wallinga-Lipsitch relation), CHN has too few days for an Rt and distinctive values
that must never appear on a page that KOR may not read.
"""

from __future__ import annotations

import datetime as dt
import math
import re

import httpx

from test_hub_support import Hub, values

# Reports end yesterday, so the coordinator's risk page takes them as current (not stale).
DAYS = 60
START = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=DAYS)
KOR_DAILY = 100
JPN_GROWTH = 0.05
CHN_CASES = 7919  # a value that identifies CHN's data in any page
PLEDGE = {"recipient_member": "JPN", "item": "masks", "quantity": 1000, "date": "2026-09-01"}
DELIVERED = 400


def day(t: int) -> str:
    return (START + dt.timedelta(days=t)).isoformat()


def jpn_cases(t: int) -> int:
    return round(20 * math.exp(JPN_GROWTH * t))


def seed(hub: Hub) -> None:
    """Reports, a grant JPN -> KOR (reports), and a pledge KOR -> JPN partly delivered."""
    kor = [(day(t), "new_cases", KOR_DAILY) for t in range(DAYS)]
    kor += [(day(t), "new_deaths", 1) for t in range(DAYS)]
    jpn = [(day(t), "new_cases", jpn_cases(t)) for t in range(DAYS)]
    chn = [(day(t), "new_cases", CHN_CASES) for t in range(3)]
    for code, rows in (("KOR", kor), ("JPN", jpn), ("CHN", chn)):
        with hub.client(code, "reporter") as c:
            assert c.post(f"/members/{code}/reports", json=values(*rows)).status_code == 200
    with hub.client("KOR", "reporter") as c:
        stock = values((day(DAYS - 1), "stock", 5000), item="masks")
        assert c.post("/members/KOR/reports", json=stock).status_code == 200
        pledge = c.post("/members/KOR/pledges", json=PLEDGE).json()
        delivery = {"quantity": DELIVERED, "date": "2026-09-10"}
        assert c.post(f"/pledges/{pledge['id']}/deliveries", json=delivery).status_code == 201
    with hub.client("JPN", "reporter") as c:
        grant = {"grantee_member": "KOR", "scope": "reports"}
        assert c.post("/members/JPN/grants", json=grant).status_code == 201


CSRF_FIELD = re.compile(r'name="csrf" value="([0-9a-f]+)"')


def csrf_of(html: str) -> str:
    found = CSRF_FIELD.search(html)
    assert found, "form without a CSRF field"
    return found.group(1)


def browser_client(hub: Hub) -> httpx.Client:
    """A cookie-keeping client of the pages (not the API), not following redirects."""
    return httpx.Client(base_url=hub.url, timeout=60, follow_redirects=False)


def sign_in(hub: Hub, token: str) -> httpx.Client:
    """A client signed in through the form, as a browser would: GET the form, POST it."""
    client = browser_client(hub)
    form = client.get("/signin")
    assert form.status_code == 200
    answer = client.post("/signin", data={"token": token, "csrf": csrf_of(form.text)})
    assert answer.status_code == 303, answer.text
    return client
