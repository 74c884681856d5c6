"""Events (IHR Annex 2, workflow, visibility) and the assistance ledger (pledges, deliveries)."""

from __future__ import annotations

import pytest

from test_hub_support import backend_params, running_hub


@pytest.fixture(scope="module", params=backend_params())
def hub(request, tmp_path_factory):
    yield from running_hub(request.param, tmp_path_factory.mktemp("events"))


def event(**changes) -> dict:
    body = {
        "title": "Cholera cluster",
        "hazard": "cholera",
        "serious_impact": True,
        "unusual_or_unexpected": False,
        "international_spread": False,
        "travel_or_trade_restrictions": False,
        "detected_at": "2026-10-01T08:00:00+09:00",
    }
    body.update(changes)
    return body


def test_annex2_notifiable_needs_two_yes_answers(hub):
    kor = hub.client("KOR", "reporter")
    one = kor.post("/members/KOR/events", json=event())
    two = kor.post("/members/KOR/events", json=event(international_spread=True))
    assert one.status_code == two.status_code == 201
    assert one.json()["notifiable"] is False and two.json()["notifiable"] is True
    assert one.json()["status"] == "signal"
    assert one.json()["detected_at"] == "2026-09-30T23:00:00Z"  # stored and answered in UTC


def test_workflow_follows_the_allowed_steps_only(hub):
    kor = hub.client("KOR", "reporter")
    eid = kor.post("/members/KOR/events", json=event()).json()["id"]

    def step(status: str, **times) -> int:
        return kor.post(f"/events/{eid}/status", json={"status": status, **times}).status_code

    assert step("verified") == 409  # a signal goes under verification first
    assert step("closed") == 409
    assert step("under_verification", assessed_at="2026-10-01T12:00:00Z") == 200
    assert step("signal") == 409
    assert step("discarded", notified_at="2026-09-01T00:00:00Z") == 422  # before detection
    assert step("verified", notified_at="2026-10-02T00:00:00Z") == 200
    assert step("discarded") == 409
    assert step("closed") == 200
    assert step("under_verification") == 409
    final = kor.get(f"/events/{eid}").json()
    assert final["status"] == "closed"
    assert final["assessed_at"] == "2026-10-01T12:00:00Z"
    assert final["notified_at"] == "2026-10-02T00:00:00Z"


def test_visibility_private_partners_all(hub):
    kor = hub.client("KOR", "reporter")
    ids = {
        v: kor.post("/members/KOR/events", json=event(visibility=v)).json()["id"]
        for v in ("private", "partners", "all")
    }
    jpn = hub.client("JPN", "analyst")

    def seen() -> set[int]:
        return {e["id"] for e in jpn.get("/events").json()} & set(ids.values())

    assert seen() == {ids["all"]}
    grant = kor.post("/members/KOR/grants", json={"grantee_member": "JPN", "scope": "events"})
    assert seen() == {ids["all"], ids["partners"]}
    assert jpn.get(f"/events/{ids['private']}").status_code == 404
    kor.delete(f"/members/KOR/grants/{grant.json()['id']}")
    assert seen() == {ids["all"]}
    who = hub.client("WHO", "coordinator")
    assert set(ids.values()) <= {e["id"] for e in who.get("/events").json()}


def test_pledges_and_deliveries(hub):
    chn = hub.client("CHN", "reporter")
    pledge = chn.post(
        "/members/CHN/pledges",
        json={
            "recipient_member": "JPN",
            "item": "vaccine-doses",
            "quantity": 1000,
            "date": "2026-10-01",
        },
    )
    assert pledge.status_code == 201
    pid = pledge.json()["id"]
    pool = chn.post(
        "/members/CHN/pledges",
        json={
            "recipient_pool": "COVAX",
            "item": "vaccine-doses",
            "quantity": 50,
            "date": "2026-10-01",
        },
    )
    assert pool.status_code == 201 and pool.json()["recipient_pool"] == "COVAX"
    deliver = lambda q, d="2026-10-05": chn.post(  # noqa: E731
        f"/pledges/{pid}/deliveries", json={"quantity": q, "date": d}
    )
    assert deliver(600).status_code == 201
    assert deliver(400.5).status_code == 422  # would exceed the pledge
    assert deliver(10, "2026-09-30").status_code == 422  # before the pledge
    assert deliver(400).status_code == 201
    mine = {p["id"]: p for p in chn.get("/pledges").json()}
    assert mine[pid]["delivered"] == 1000
    # The recipient sees it; a third member does not; the recipient cannot deliver for CHN.
    jpn = hub.client("JPN", "reporter")
    assert pid in {p["id"] for p in jpn.get("/pledges").json()}
    assert pid not in {p["id"] for p in hub.client("KOR", "reporter").get("/pledges").json()}
    assert (
        jpn.post(
            f"/pledges/{pid}/deliveries", json={"quantity": 1, "date": "2026-10-06"}
        ).status_code
        == 403
    )
    assert (
        chn.post(
            "/members/CHN/pledges",
            json={"recipient_member": "CHN", "item": "x", "quantity": 1, "date": "2026-10-01"},
        ).status_code
        == 422
    )


def test_pool_deliveries_name_the_member_and_the_ledger_adds_up(hub):
    kor = hub.client("KOR", "reporter")
    pool = kor.post(
        "/members/KOR/pledges",
        json={
            "recipient_pool": "STOCKPILE",
            "item": "masks",
            "quantity": 300,
            "date": "2026-10-01",
        },
    )
    to_jpn = kor.post(
        "/members/KOR/pledges",
        json={"recipient_member": "JPN", "item": "masks", "quantity": 100, "date": "2026-10-01"},
    )
    pid, jid = pool.json()["id"], to_jpn.json()["id"]
    send = lambda pledge, **body: kor.post(  # noqa: E731
        f"/pledges/{pledge}/deliveries", json={"quantity": 50, "date": "2026-10-03", **body}
    )
    assert send(pid).status_code == 422  # a pool's pledge must say who received it
    assert send(pid, recipient_member="XXX").status_code == 422
    assert send(pid, recipient_member="CHN").json()["recipient_member"] == "CHN"
    assert send(pid, recipient_member="JPN").status_code == 201
    assert send(jid, recipient_member="CHN").status_code == 422  # pledged to JPN
    assert send(jid).json()["recipient_member"] == "JPN"
    assert (
        kor.post(
            "/members/KOR/pledges",
            json={
                "recipient_pool": "JPN",
                "item": "masks",
                "quantity": 1,
                "date": "2026-10-01",
            },
        ).status_code
        == 422
    )  # a member is not a pool
    by_pledge = {r["pledge_id"]: r for r in kor.get("/ledger").json()}
    assert by_pledge[str(pid)]["pledged"] == 300 and by_pledge[str(pid)]["delivered"] == 100
    assert by_pledge[str(pid)]["outstanding"] == 200
    assert by_pledge[str(jid)]["delivered"] == 50
    by_donor = kor.get("/ledger", params={"view": "by_donor"}).json()
    masks = [r for r in by_donor if r["donor"] == "KOR" and r["item"] == "masks"]
    assert masks == [{**masks[0], "pledged": 400.0, "delivered": 150.0, "share_delivered": 0.375}]
    early = kor.get("/ledger", params={"as_of": "2026-10-02"}).json()
    assert all(r["delivered"] == 0 for r in early if r["pledge_id"] in (str(pid), str(jid)))
    # JPN sees the pledge made to it, not KOR's pool pledge (KOR shared no ledger with JPN).
    seen = {r["pledge_id"] for r in hub.client("JPN", "analyst").get("/ledger").json()}
    assert str(jid) in seen and str(pid) not in seen
