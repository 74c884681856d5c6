"""Paging of the dashboard's long lists over plain HTTP, on SQLite and PostgreSQL.

Each paged list holds more rows than one page; walking its pages by the "next page" links must give
every row the test stored exactly once, in the list's order, with the other query parameters kept.
Bad `page` values get an HTML 4xx page, and totals count only rows the caller may read.
"""

from __future__ import annotations

import datetime as dt
import html as markup
import re

import pytest
from sqlalchemy import select

from epicommons.hub.models import Pledge
from test_hub_pages_support import DAYS, PLEDGE, day, seed, sign_in
from test_hub_support import backend_params, running_hub, values

EXTRA_DAYS = 70  # KOR reports these days before the common ones too: 130 dates, 3 pages of 60
JPN_EVENTS = 60  # open to all, in threes with the same detection time
CHN_EVENTS = 5  # private: never counted nor shown to KOR
EXTRA_PLEDGES = 120  # KOR -> JPN, after the common one: 121 pledges, 3 pages of 50
DETECTED = dt.datetime(2026, 10, 1, tzinfo=dt.UTC)
ROW = {
    "reported-values": r'<tr><td class="l">(\d{4}-\d\d-\d\d)</td>',
    "shared-events": r'<tr><td class="l">[A-Z]+</td><td class="l">([^<]*)</td>',
    "by-pledge": r'<tr><td class="l">(\d+)</td>',
    "risk-table": r'<tr><td class="l">([A-Z]{3})</td><td class="l">[a-z]*</td><td>([0-9.,]+)</td>',
    "rt-windows": r'<tr><td class="l">[0-9-]+ – ([0-9-]+)</td>',
}
PAGER = re.compile(r"rows ([0-9,]+)–([0-9,]+) of ([0-9,]+)")


def event(title: str, detected: dt.datetime, visibility: str) -> dict:
    return {
        "title": title,
        "hazard": "cholera",
        "serious_impact": True,
        "unusual_or_unexpected": False,
        "international_spread": False,
        "travel_or_trade_restrictions": False,
        "detected_at": detected.isoformat(),
        "visibility": visibility,
    }


@pytest.fixture(scope="module", params=backend_params())
def hub(request, tmp_path_factory):
    for running in running_hub(request.param, tmp_path_factory.mktemp("paging")):
        seed(running)
        stored = {"events": []}
        with running.client("KOR", "reporter") as c:
            early = [(day(t), "new_cases", 100) for t in range(-EXTRA_DAYS, 0)]
            assert c.post("/members/KOR/reports", json=values(*early)).status_code == 200
            for i in range(EXTRA_PLEDGES):
                body = {**PLEDGE, "quantity": i + 1}
                assert c.post("/members/KOR/pledges", json=body).status_code == 201
        with running.client("JPN", "reporter") as c:
            for i in range(JPN_EVENTS):
                detected = DETECTED + dt.timedelta(hours=i // 3)
                answer = c.post("/members/JPN/events", json=event(f"jpn-{i}", detected, "all"))
                assert answer.status_code == 201, answer.text
                stored["events"].append((detected, answer.json()["id"], f"jpn-{i}"))
        with running.client("CHN", "reporter") as c:
            for i in range(CHN_EVENTS):
                body = event(f"chn-secret-{i}", DETECTED, "private")
                assert c.post("/members/CHN/events", json=body).status_code == 201
        running.stored = stored
        yield running


@pytest.fixture(scope="module")
def kor(hub):
    client = sign_in(hub, hub.tokens[("KOR", "analyst")])
    yield client
    client.close()


@pytest.fixture(scope="module")
def who(hub):
    client = sign_in(hub, hub.tokens[("WHO", "coordinator")])
    yield client
    client.close()


def walk(client, path: str, table: str) -> tuple[list, int]:
    """Every row of a paged list, following its "next page" links from the first page.

    The walk starts with an extra query parameter that every link must keep.
    """
    url, rows, total, pages = f"{path}?keep=yes", [], None, 0
    while url:
        answer = client.get(url)
        assert answer.status_code == 200, (url, answer.text[:300])
        found = re.search(rf'id="{table}".*?</table>', answer.text, re.S)
        shown = re.findall(ROW[table], found.group(0)) if found else []
        first, last, of = (int(n.replace(",", "")) for n in PAGER.search(answer.text).groups())
        assert (first, last) == (len(rows) + 1, len(rows) + len(shown)), url
        assert total in (None, of)
        total, pages = of, pages + 1
        rows += shown
        after = re.search(r'<a rel="next" href="([^"]+)"', answer.text)
        url = markup.unescape(after.group(1)) if after else None
        if url:
            assert "keep=yes" in url and f"page={pages + 1}" in url
    assert pages > 1, f"{path}: the list fits one page; the test proves nothing"
    return rows, total


def test_member_page_walks_every_reported_date_once_newest_first(kor):
    rows, total = walk(kor, "/dashboard/members/KOR", "reported-values")
    expected = [day(t) for t in range(DAYS - 1, -EXTRA_DAYS - 1, -1)]
    assert rows == expected and total == len(expected)


def test_shared_page_walks_every_visible_event_once_newest_first(hub, kor):
    rows, total = walk(kor, "/dashboard/shared", "shared-events")
    newest_first = sorted(hub.stored["events"], reverse=True)  # detection time, then id
    assert rows == [title for _, _, title in newest_first]
    assert total == JPN_EVENTS  # CHN's private events are not counted


def test_ledger_page_walks_every_pledge_once_in_order(hub, kor):
    rows, total = walk(kor, "/dashboard/ledger", "by-pledge")
    with hub.db.read() as session:
        stored = list(session.scalars(select(Pledge.id).order_by(Pledge.id)))
    assert len(stored) == EXTRA_PLEDGES + 1
    assert [int(r) for r in rows] == stored and total == len(stored)


def test_rt_page_walks_every_window_once_latest_first(kor):
    ends, total = walk(kor, "/dashboard/members/KOR/rt", "rt-windows")
    days = [dt.date.fromisoformat(e) for e in ends]
    assert days[0] == dt.date.fromisoformat(day(DAYS - 1))
    assert all(a - b == dt.timedelta(days=1) for a, b in zip(days, days[1:], strict=False))
    assert total == len(days) > DAYS  # the windows span the extra days too


def test_risk_page_walks_every_destination_once_most_at_risk_first(who):
    rows, total = walk(who, "/dashboard/coordinator/risk", "risk-table")
    codes = [code for code, _ in rows]
    expected = [float(e.replace(",", "")) for _, e in rows]
    assert len(set(codes)) == len(codes) == total
    assert expected == sorted(expected, reverse=True)


PAGED = [
    "/dashboard/members/KOR",
    "/dashboard/members/KOR/rt",
    "/dashboard/shared",
    "/dashboard/ledger",
]
BAD = ["", "abc", "0", "-1", "1.5", "+1", " 1", "1e3", "\u0661", "\uff11", "9" * 40, "3; drop"]


@pytest.mark.parametrize("value", BAD)
@pytest.mark.parametrize("path", PAGED)
def test_bad_page_values_get_a_400_page(kor, path, value):
    answer = kor.get(path, params={"page": value})
    assert answer.status_code == 400, answer.text[:300]
    assert answer.headers["content-type"].startswith("text/html")
    assert "page must be a whole number from 1" in answer.text
    assert "Traceback" not in answer.text


@pytest.mark.parametrize("path", [*PAGED, "/dashboard/coordinator/risk"])
def test_a_page_past_the_end_gets_a_404_page(kor, who, path):
    client = who if "coordinator" in path else kor
    first = client.get(path)
    total = int(PAGER.search(first.text).group(3).replace(",", ""))
    for number in (total + 1, 10**8):  # past the last row, so past the last page
        answer = client.get(path, params={"page": number})
        assert answer.status_code == 404, answer.text[:300]
        assert "There is no page" in answer.text and "Traceback" not in answer.text


def test_previous_links_lead_back_to_the_first_page(kor):
    last = kor.get("/dashboard/ledger", params={"page": 3, "keep": "yes"})
    assert last.status_code == 200 and 'rel="next"' not in last.text
    back = markup.unescape(re.search(r'<a rel="prev" href="([^"]+)"', last.text).group(1))
    assert back == "/dashboard/ledger?keep=yes&page=2"
    first = kor.get("/dashboard/ledger")
    assert 'rel="prev"' not in first.text and "rows 1–50 of 121" in first.text
