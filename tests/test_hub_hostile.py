"""A hostile or careless member cannot break the hub's rules (issue: the hub holds its rules).

Each test names the rule it guards; expected values follow from the rule itself (a pledge's
quantity, a quota, the grammar of a number), never from the code's output.
"""

from __future__ import annotations

import datetime as dt

import httpx
import pytest
from sqlalchemy import select

from epicommons.hub import admin
from epicommons.hub.models import ReportValue, Submission, Token
from test_hub_support import backend_params, running_hub

QUOTA = 5


@pytest.fixture(scope="module", params=backend_params())
def hub(request, tmp_path_factory):
    options = ["--rate-limit", "1000000", "--daily-quota", str(QUOTA)]
    yield from running_hub(request.param, tmp_path_factory.mktemp("hostile"), options)


def event(visibility: str) -> dict:
    return {
        "title": "cluster",
        "hazard": "cholera",
        "serious_impact": True,
        "unusual_or_unexpected": False,
        "international_spread": False,
        "travel_or_trade_restrictions": False,
        "detected_at": "2025-01-01T00:00:00Z",
        "visibility": visibility,
    }


def pledge(client, recipient: str, quantity: float = 10, **extra) -> httpx.Response:
    code = client.get("/me").json()["member"]
    body = {"item": "masks", "quantity": quantity, "date": "2025-01-01", **extra}
    body.setdefault("recipient_member", recipient) if recipient else None
    return client.post(f"/members/{code}/pledges", json=body)


# Item 2: one namespace for pools and members; the ledger never fails as a whole.


def test_a_pool_cannot_take_a_country_or_member_code(hub):
    kor = hub.client("KOR", "reporter")
    for code in ("ITA", "JPN", "WHO"):  # a country not joined yet, a member, an organisation
        response = kor.post(
            "/members/KOR/pledges",
            json={"recipient_pool": code, "item": "masks", "quantity": 5, "date": "2025-01-01"},
        )
        assert response.status_code == 422, response.text
        assert code in response.json()["detail"]
    ok = kor.post(
        "/members/KOR/pledges",
        json={"recipient_pool": "STOCKPILE", "item": "masks", "quantity": 5, "date": "2025-01-01"},
    )
    assert ok.status_code == 201
    with pytest.raises(Exception, match="pool"):
        admin.add_member(hub.db, "STOCKPILE", organisation=True)


def test_a_record_that_breaks_the_ledger_is_left_out_not_fatal(hub):
    """A pool pledge stored before the namespace rule, named like a member that joined later."""
    kor = hub.client("KOR", "reporter")
    with hub.db.transaction() as s:
        from epicommons.hub.models import Delivery, Member, Pledge

        kor_id = s.scalar(select(Member.id).where(Member.code == "KOR"))
        chn_id = s.scalar(select(Member.id).where(Member.code == "CHN"))
        old = Pledge(
            donor_id=kor_id,
            recipient_pool="CHN",
            item="gloves",
            quantity=4,
            date=dt.date(2024, 1, 1),
            created_at=dt.datetime(2024, 1, 1),
        )
        s.add(old)
        s.flush()
        s.add(
            Delivery(
                pledge_id=old.id,
                recipient_member_id=chn_id,
                quantity=4,
                date=dt.date(2024, 1, 2),
                created_at=dt.datetime(2024, 1, 2),
            )
        )
    ledger = hub.client("WHO", "coordinator").get("/ledger")
    assert ledger.status_code == 200, ledger.text
    assert any(r["item"] == "gloves" for r in ledger.json())
    page = httpx.get(hub.url + "/dashboard/ledger")  # not signed in: the sign-in page, no 500
    assert page.status_code == 401
    assert kor.get("/ledger").status_code == 200


# Item 4: limits, quotas, pagination, declining.


def test_quantities_and_dates_are_bounded(hub):
    kor = hub.client("KOR", "reporter")
    assert pledge(kor, "CHN", quantity=1e15).status_code == 422
    future = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    assert pledge(kor, "CHN", date=future).status_code == 422
    p = pledge(kor, "CHN", quantity=10).json()
    late = kor.post(f"/pledges/{p['id']}/deliveries", json={"quantity": 1, "date": "2200-01-01"})
    assert late.status_code == 422


def test_writes_into_others_view_have_a_daily_quota(hub):
    """A member's pledges to members and shared events stop at the quota; private ones do not."""
    jpn = hub.client("JPN", "reporter")
    accepted = 0
    for _ in range(QUOTA + 3):
        response = jpn.post("/members/JPN/events", json=event("all"))
        assert response.status_code in (201, 429), response.text
        accepted += response.status_code == 201
    assert accepted == QUOTA
    over = pledge(jpn, "KOR")
    assert over.status_code == 429 and "quota" in over.json()["detail"]
    assert jpn.post("/members/JPN/events", json=event("private")).status_code == 201


def test_every_list_endpoint_pages(hub):
    who = hub.client("WHO", "coordinator")
    for path in ("/events", "/pledges", "/ledger", "/groups", "/members/KOR/grants", "/members"):
        everything = who.get(path, params={"limit": 10_000})
        assert everything.status_code == 200, (path, everything.text)
        rows = everything.json()
        page = who.get(path, params={"limit": 1, "offset": 1}).json()
        assert page == rows[1:2], path
        assert who.get(path, params={"limit": 10_001}).status_code == 422


def test_a_recipient_declines_a_pledge_and_it_leaves_the_ledger(hub):
    kor, chn = hub.client("KOR", "reporter"), hub.client("CHN", "reporter")
    p = pledge(kor, "CHN", quantity=7, item="syringes").json()
    assert kor.post(f"/pledges/{p['id']}/decline").status_code == 403  # only the recipient
    declined = chn.post(f"/pledges/{p['id']}/decline")
    assert declined.status_code == 200 and declined.json()["declined"] is True
    assert all(r["item"] != "syringes" for r in chn.get("/ledger").json())
    late = kor.post(f"/pledges/{p['id']}/deliveries", json={"quantity": 1, "date": "2025-01-02"})
    assert late.status_code == 409


# Item 6: every Idempotency-Key is stored, whatever its first use did.


@pytest.mark.parametrize(
    ("first", "query"),
    [("noop", {}), ("dry", {"dryRun": "true"}), ("refused", {})],
)
def test_an_idempotency_key_is_kept_after_a_first_use_that_stored_nothing(hub, first, query):
    kor = hub.client("KOR", "reporter")
    day = {"noop": "2010-01-01", "dry": "2010-01-02", "refused": "2010-01-03"}[first]
    body = {"values": [{"date": day, "indicator": "tests", "value": 5}]}
    if first == "noop":
        kor.post(
            "/members/KOR/reports", json=body
        )  # stored without a key: the keyed use is a no-op
    if first == "refused":
        body = {"values": [{"date": day, "indicator": "tests", "value": -5}]}
    key = {"Idempotency-Key": f"first-{first}"}
    one = kor.post("/members/KOR/reports", json=body, headers=key, params=query)
    again = kor.post("/members/KOR/reports", json=body, headers=key, params=query)
    assert again.status_code == one.status_code
    summary = lambda r: r.json().get("importSummary", r.json())  # noqa: E731
    assert summary(again)["replayed"] is True
    assert summary(again)["importCount"] == summary(one)["importCount"]
    other = {"values": [{"date": day, "indicator": "tests", "value": 6}]}
    clash = kor.post("/members/KOR/reports", json=other, headers=key, params=query)
    assert clash.status_code == 409
    with hub.db.read() as s:
        stored = s.scalar(
            select(ReportValue.value).where(ReportValue.date == dt.date.fromisoformat(day))
        )
        kept = s.scalar(
            select(Submission.id).where(Submission.idempotency_key == key["Idempotency-Key"])
        )
    assert kept is not None
    assert stored == (5 if first == "noop" else None)


# Item 8: numbers and times parsed strictly, the same way in JSON and CSV.


@pytest.mark.parametrize("text", ["1_000", "١٢", "１２", "0x10", "1e", " ", "+-1", "٣"])
def test_numbers_are_ascii_json_numbers_in_csv(hub, text):
    kor = hub.client("KOR", "reporter")
    csv = f"date,indicator,item,value\n2011-01-01,tests,,{text}\n"
    response = kor.post(
        "/members/KOR/reports", content=csv.encode(), headers={"content-type": "text/csv"}
    )
    assert response.status_code == 422, response.text
    assert response.json()["importSummary"]["conflicts"][0]["field"] == "value"


def test_json_bodies_are_utf8_and_times_are_text(hub):
    kor = hub.client("KOR", "reporter")
    body = '{"values": [{"date": "2011-01-02", "indicator": "tests", "value": 1}]}'
    for encoding in ("utf-16", "utf-32", "utf-8-sig"):
        response = kor.post(
            "/members/KOR/reports",
            content=body.encode(encoding),
            headers={"content-type": "application/json"},
        )
        assert response.status_code == 400, (encoding, response.text)
    for moment in (1700000000, "1700000000", 1.7e9):
        response = kor.post("/members/KOR/events", json={**event("private"), "detected_at": moment})
        assert response.status_code == 422, (moment, response.text)


# Item 10: grants are not stacked; ids of revoked grants are never reused; Allow is complete.


def test_identical_grants_are_refused_and_ids_are_not_reused(hub):
    chn = hub.client("CHN", "reporter")
    body = {"grantee_member": "JPN", "scope": "events"}
    first = chn.post("/members/CHN/grants", json=body)
    assert first.status_code == 201
    assert chn.post("/members/CHN/grants", json=body).status_code == 409
    assert chn.delete(f"/members/CHN/grants/{first.json()['id']}").status_code == 204
    second = chn.post("/members/CHN/grants", json=body)
    assert second.status_code == 201 and second.json()["id"] > first.json()["id"]


def test_method_not_allowed_lists_every_method_of_the_path(hub):
    kor = hub.client("KOR", "reporter")
    response = kor.put("/members/KOR/reports")
    assert response.status_code == 405
    assert response.headers["allow"].replace(" ", "").split(",") == ["GET", "POST"]
    assert kor.delete("/me").headers["allow"] == "GET"


def test_tokens_expire_by_default(hub):
    issued = admin.issue_token(hub.db, "KOR", "analyst")
    with hub.db.read() as s:
        expires = s.scalar(select(Token.expires_at).where(Token.id == issued.id))
    assert expires is not None
    assert (
        dt.timedelta(days=89)
        < expires - dt.datetime.now(dt.UTC).replace(tzinfo=None)
        <= dt.timedelta(days=90)
    )
