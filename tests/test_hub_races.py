"""Rules that span rows hold under any interleaving: barrier-synchronised clients, many rounds.

Each round releases its clients at one `threading.Barrier`, so their requests reach the server
together. SQLite serialises writers, PostgreSQL does not: the rules must hold on both (see
docs/hub.md, "Concurrency"). `EPICOMMONS_RACE_ROUNDS` raises the number of rounds.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from sqlalchemy import func, select

from epicommons.hub.models import ReportValue, ValueRevision
from test_hub_support import backend_params, running_hub

ROUNDS = int(os.environ.get("EPICOMMONS_RACE_ROUNDS", "20"))


@pytest.fixture(scope="module", params=backend_params())
def hub(request, tmp_path_factory):
    yield from running_hub(
        request.param, tmp_path_factory.mktemp("races"), ["--rate-limit", "1000000"]
    )


def together(clients: list[httpx.Client], send: Callable[[int, httpx.Client], httpx.Response]):
    """Send one request per client, all released at the same barrier; the responses in order."""
    barrier = threading.Barrier(len(clients))

    def one(i: int) -> httpx.Response:
        barrier.wait()
        return send(i, clients[i])

    with ThreadPoolExecutor(len(clients)) as pool:
        return list(pool.map(one, range(len(clients))))


def clients(hub, member: str, role: str, n: int) -> list[httpx.Client]:
    return [hub.client(member, role) for _ in range(n)]


def test_simultaneous_deliveries_never_exceed_the_pledge(hub):
    kor = clients(hub, "KOR", "reporter", 8)
    broken = []
    for n in range(ROUNDS):
        pledge = (
            kor[0]
            .post(
                "/members/KOR/pledges",
                json={
                    "recipient_member": "JPN",
                    "item": "masks",
                    "quantity": 10,
                    "date": "2025-01-01",
                },
            )
            .json()
        )
        answers = together(
            kor,
            lambda i, c, p=pledge["id"]: c.post(
                f"/pledges/{p}/deliveries", json={"quantity": 10, "date": "2025-01-02"}
            ),
        )
        accepted = [a for a in answers if a.status_code == 201]
        assert all(a.status_code in (201, 422) for a in answers), [a.text for a in answers]
        if len(accepted) != 1:
            broken.append((n, len(accepted)))
    print(f"deliveries: {len(broken)} of {ROUNDS} rounds over the pledge: {broken}")
    assert broken == []


def test_simultaneous_cases_and_deaths_keep_deaths_within_cases(hub):
    kor = clients(hub, "KOR", "reporter", 2)
    start = dt.date(2001, 1, 1)
    broken = []
    for n in range(ROUNDS):
        day = (start + dt.timedelta(days=n)).isoformat()
        bodies = [
            {"values": [{"date": day, "indicator": "new_cases", "value": 5}]},
            {"values": [{"date": day, "indicator": "new_deaths", "value": 10}]},
        ]
        answers = together(kor, lambda i, c, b=bodies: c.post("/members/KOR/reports", json=b[i]))
        assert all(a.status_code in (200, 422) for a in answers), [a.text for a in answers]
        with hub.db.read() as s:
            stored = dict(
                s.execute(
                    select(ReportValue.indicator, ReportValue.value).where(
                        ReportValue.date == dt.date.fromisoformat(day)
                    )
                ).all()
            )
        if stored.get("new_deaths", 0) > stored.get("new_cases", float("inf")):
            broken.append(n)
    print(f"cases/deaths: {len(broken)} of {ROUNDS} rounds stored deaths above cases")
    assert broken == []


def test_two_simultaneous_corrections_give_two_revisions_in_one_order(hub):
    kor = clients(hub, "KOR", "reporter", 2)
    start = dt.date(2002, 1, 1)
    broken = []
    for n in range(ROUNDS):
        day = start + dt.timedelta(days=n)
        first = {"values": [{"date": day.isoformat(), "indicator": "tests", "value": 1}]}
        assert kor[0].post("/members/KOR/reports", json=first).status_code == 200
        bodies = [
            {"values": [{"date": day.isoformat(), "indicator": "tests", "value": v}]}
            for v in (2, 3)
        ]
        answers = together(kor, lambda i, c, b=bodies: c.post("/members/KOR/reports", json=b[i]))
        assert all(a.status_code == 200 for a in answers), [a.text for a in answers]
        with hub.db.read() as s:
            revisions = s.execute(
                select(ValueRevision.id, ValueRevision.known_at, ValueRevision.value)
                .where(ValueRevision.date == day, ValueRevision.indicator == "tests")
                .order_by(ValueRevision.id)
            ).all()
            current = s.scalar(
                select(ReportValue.value).where(
                    ReportValue.date == day, ReportValue.indicator == "tests"
                )
            )
        by_time = sorted(revisions, key=lambda r: (r.known_at, r.id))
        # Three revisions, 1 then both corrections; the order by time is the order of writing,
        # and the current value is the last revision's.
        if (
            len(revisions) != 3
            or revisions[0].value != 1
            or {r.value for r in revisions[1:]} != {2, 3}
            or by_time != revisions
            or current != revisions[-1].value
        ):
            broken.append((n, [tuple(r) for r in revisions], current))
    print(f"corrections: {len(broken)} of {ROUNDS} rounds out of order or lost: {broken}")
    assert broken == []


def test_one_of_two_simultaneous_status_changes_wins(hub):
    kor = clients(hub, "KOR", "reporter", 2)
    event = {
        "title": "cluster",
        "hazard": "cholera",
        "serious_impact": True,
        "unusual_or_unexpected": False,
        "international_spread": False,
        "travel_or_trade_restrictions": False,
        "detected_at": "2025-01-01T00:00:00Z",
    }
    broken = []
    for n in range(ROUNDS):
        eid = kor[0].post("/members/KOR/events", json=event).json()["id"]
        kor[0].post(f"/events/{eid}/status", json={"status": "under_verification"})
        steps = ["verified", "discarded"]
        answers = together(
            kor, lambda i, c, e=eid, s=steps: c.post(f"/events/{e}/status", json={"status": s[i]})
        )
        codes = sorted(a.status_code for a in answers)
        assert set(codes) <= {200, 409}, [a.text for a in answers]
        if codes != [200, 409]:
            broken.append((n, codes))
    print(f"status: {len(broken)} of {ROUNDS} rounds with two winners: {broken}")
    assert broken == []


def test_one_idempotency_key_answers_one_summary(hub):
    kor = clients(hub, "KOR", "reporter", 6)
    start = dt.date(1960, 1, 1)
    broken = []
    for n in range(ROUNDS):
        day = (start + dt.timedelta(days=n)).isoformat()
        body = {"values": [{"date": day, "indicator": "tests", "value": 3}]}
        key = f"round-{n}-{os.getpid()}"
        answers = together(
            kor,
            lambda i, c, b=body, k=key: c.post(
                "/members/KOR/reports", json=b, headers={"Idempotency-Key": k}
            ),
        )
        assert all(a.status_code == 200 for a in answers), [a.text for a in answers]
        docs = [a.json() for a in answers]
        fresh = [d for d in docs if not d["replayed"]]
        same = {
            (d["submission"], d["importCount"]["imported"], d["importCount"]["ignored"])
            for d in docs
        }
        if len(fresh) != 1 or len(same) != 1:
            broken.append(n)
    with hub.db.read() as s:
        assert s.scalar(select(func.count()).where(ReportValue.indicator == "tests")) >= ROUNDS
    print(f"idempotency: {len(broken)} of {ROUNDS} rounds answered more than one summary")
    assert broken == []
