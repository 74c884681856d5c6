"""The authorization matrix: every endpoint x every role x own and foreign member.

The caller is always a token of KOR (reporter, analyst or coordinator); "own" targets KOR's data,
"foreign" targets JPN's, which JPN has shared with nobody. A forbidden write must be refused
(403/404, problem+json) with every table's row count unchanged; a forbidden read must be refused
or must leave the foreign data out (lists, exports, aggregates). Allowed cells must succeed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import httpx
import pytest

from test_hub_support import ROLES, backend_params, running_hub, values

DAY = "2026-09-01"
OWN, FOREIGN = "KOR", "JPN"
KOR_CASES, JPN_CASES = 10.0, 1000.0


@dataclass
class Ctx:
    """Ids of the objects each member owns, made before the matrix runs."""

    events: dict[str, int]
    grants: dict[str, int]
    pledges: dict[str, int]


def event_body(title: str) -> dict:
    return {
        "title": title,
        "hazard": "cholera",
        "serious_impact": True,
        "unusual_or_unexpected": True,
        "international_spread": False,
        "travel_or_trade_restrictions": False,
        "detected_at": "2026-09-01T06:00:00Z",
    }


@pytest.fixture(scope="module", params=backend_params())
def world(request, tmp_path_factory):
    for hub in running_hub(request.param, tmp_path_factory.mktemp("access")):
        ctx = Ctx({}, {}, {})
        for code, cases in ((OWN, KOR_CASES), (FOREIGN, JPN_CASES)):
            c = hub.client(code, "reporter")
            august = [(f"2026-08-{d:02d}", "new_cases", 20 + d) for d in range(1, 32)]
            assert c.post(f"/members/{code}/reports", json=values(*august)).status_code == 200
            assert (
                c.post(
                    f"/members/{code}/reports", json=values((DAY, "new_cases", cases))
                ).status_code
                == 200
            )
            ctx.events[code] = c.post(
                f"/members/{code}/events", json=event_body(f"{code} event")
            ).json()["id"]
            ctx.grants[code] = c.post(
                f"/members/{code}/grants", json={"grantee_member": "CHN", "scope": "all"}
            ).json()["id"]
            ctx.pledges[code] = c.post(
                f"/members/{code}/pledges",
                json={
                    "recipient_member": "CHN",
                    "item": "masks",
                    "quantity": 100,
                    "date": DAY,
                },
            ).json()["id"]
        yield hub, ctx


def has_member(rows: list[dict], code: str, key: str = "member") -> bool:
    return any(r[key] == code for r in rows)


Call = Callable[[httpx.Client, str, Ctx], httpx.Response]
See = Callable[[httpx.Response, str], bool]


@dataclass
class Endpoint:
    """One operation: how to call it against a target member, and what it means to succeed."""

    name: str
    kind: str  # write | coordinator_write | read | list | public
    call: Call
    sees: See | None = None  # lists: whether the response discloses the target's data


ENDPOINTS = [
    Endpoint("GET /me", "public", lambda c, t, x: c.get("/me")),
    Endpoint("GET /members", "public", lambda c, t, x: c.get("/members")),
    Endpoint("GET /groups", "public", lambda c, t, x: c.get("/groups")),
    Endpoint(
        "POST /members/{code}/reports",
        "write",
        lambda c, t, x: c.post(
            f"/members/{t}/reports", json=values(("2026-09-02", "new_cases", 1))
        ),
    ),
    Endpoint("GET /members/{code}/reports", "read", lambda c, t, x: c.get(f"/members/{t}/reports")),
    Endpoint(
        "GET /values",
        "list",
        lambda c, t, x: c.get("/values", params={"member": t}),
        lambda r, t: has_member(r.json(), t),
    ),
    Endpoint(
        "GET /values.csv",
        "list",
        lambda c, t, x: c.get("/values.csv", params={"member": t}),
        lambda r, t: f"\n{t}," in r.text,
    ),
    Endpoint(
        "GET /aggregates",
        "list",
        lambda c, t, x: c.get(
            "/aggregates", params={"indicator": "new_cases", "start": DAY, "end": DAY}
        ),
        lambda r, t: (
            r.json()[0]["total"]
            in {OWN: (KOR_CASES, KOR_CASES + JPN_CASES), FOREIGN: (KOR_CASES + JPN_CASES,)}[t]
        ),
    ),
    Endpoint(
        "POST /members/{code}/events",
        "write",
        lambda c, t, x: c.post(f"/members/{t}/events", json=event_body("new")),
    ),
    Endpoint(
        "GET /events",
        "list",
        lambda c, t, x: c.get("/events"),
        lambda r, t: has_member(r.json(), t),
    ),
    Endpoint("GET /events/{id}", "read", lambda c, t, x: c.get(f"/events/{x.events[t]}")),
    Endpoint(
        "POST /events/{id}/status",
        "write",
        lambda c, t, x: c.post(
            f"/events/{x.events[t]}/status", json={"status": "under_verification"}
        ),
    ),
    Endpoint(
        "POST /groups",
        "coordinator_write",
        lambda c, t, x: c.post(
            "/groups",
            json={"code": f"G-{t}-{c.headers['x-cell']}".upper(), "name": "g", "members": [t]},
        ),
    ),
    Endpoint(
        "POST /members/{code}/grants",
        "write",
        lambda c, t, x: c.post(
            f"/members/{t}/grants", json={"grantee_member": "CHN", "scope": "reports"}
        ),
    ),
    Endpoint("GET /members/{code}/grants", "read", lambda c, t, x: c.get(f"/members/{t}/grants")),
    Endpoint(
        "DELETE /members/{code}/grants/{id}",
        "write",
        lambda c, t, x: c.delete(f"/members/{t}/grants/{x.grants[t]}"),
    ),
    Endpoint(
        "POST /members/{code}/pledges",
        "write",
        lambda c, t, x: c.post(
            f"/members/{t}/pledges",
            json={"recipient_pool": "STOCKPILE", "item": "masks", "quantity": 5, "date": DAY},
        ),
    ),
    Endpoint(
        "GET /pledges",
        "list",
        lambda c, t, x: c.get("/pledges"),
        lambda r, t: has_member(r.json(), t, "donor"),
    ),
    Endpoint(
        "GET /members/{code}/rt",
        "read",
        lambda c, t, x: c.get(f"/members/{t}/rt", params={"start": "2026-08-01"}),
    ),
    Endpoint(
        "GET /ledger",
        "list",
        lambda c, t, x: c.get("/ledger"),
        lambda r, t: any(row["donor"] == t for row in r.json()),
    ),
    Endpoint(
        "POST /pledges/{id}/deliveries",
        "write",
        lambda c, t, x: c.post(
            f"/pledges/{x.pledges[t]}/deliveries", json={"quantity": 10, "date": DAY}
        ),
    ),
]


def allowed(kind: str, role: str, own: bool) -> bool:
    """The access rules of issue 7, written independently of the hub's code."""
    if kind == "public":
        return True
    if kind == "write":
        return role == "reporter" and own
    if kind == "coordinator_write":
        return role == "coordinator"
    return own or role == "coordinator"  # read and list


@pytest.mark.slow
def test_authorization_matrix(world):
    hub, ctx = world
    cells = refused = 0
    failures = []
    for endpoint in ENDPOINTS:
        for role in ROLES:
            for target in (OWN, FOREIGN):
                own = target == OWN
                cells += 1
                client = hub.client(OWN, role)
                client.headers["x-cell"] = f"{role}{cells}"
                before = hub.counts()
                response = endpoint.call(client, target, ctx)
                after = hub.counts()
                ok = allowed(endpoint.kind, role, own)
                cell = f"{endpoint.name} {role} {'own' if own else 'foreign'}"
                if endpoint.kind == "list":
                    if response.status_code != 200:
                        failures.append(f"{cell}: {response.status_code}")
                    elif endpoint.sees(response, target) != ok:
                        failures.append(f"{cell}: disclosure {not ok}")
                    refused += not ok
                elif ok:
                    if response.status_code >= 300:
                        failures.append(f"{cell}: refused {response.status_code} {response.text}")
                else:
                    refused += 1
                    if response.status_code not in (403, 404):
                        failures.append(f"{cell}: answered {response.status_code}")
                    if response.headers.get("content-type") != "application/problem+json":
                        failures.append(f"{cell}: not problem+json")
                if not ok and after != before:
                    failures.append(f"{cell}: wrote {before} -> {after}")
                if endpoint.kind != "write" and endpoint.kind != "coordinator_write":
                    assert after == before, f"{cell}: a read wrote"
    print(f"authorization matrix: {cells} cells, {refused} forbidden, all refused")
    assert not failures, "\n".join(failures)
    assert cells == len(ENDPOINTS) * 3 * 2
    assert refused == 59


@pytest.mark.parametrize(
    "header",
    [
        None,
        "Bearer",
        "Bearer ech_not-a-token",
        "Basic dXNlcjpwYXNz",
        "bearer x y",
    ],
)
def test_missing_or_unknown_tokens_are_401(world, header):
    hub, ctx = world
    before = hub.counts()
    for endpoint in ENDPOINTS:
        client = httpx.Client(
            base_url=hub.url + "/api/v1",
            timeout=30,
            headers={"Authorization": header} if header else {},
        )
        client.headers["x-cell"] = "anon"
        response = endpoint.call(client, OWN, ctx)
        assert response.status_code == 401, (endpoint.name, response.text)
        assert response.headers["content-type"] == "application/problem+json"
    assert hub.counts() == before


def test_group_grant_opens_reports_and_partner_events(world):
    hub, ctx = world
    who = hub.client("WHO", "coordinator")
    assert (
        who.post(
            "/groups", json={"code": "EASTASIA", "name": "East Asia", "members": ["CHN", "KOR"]}
        ).status_code
        == 201
    )
    chn = hub.client("CHN", "analyst")
    assert chn.get(f"/members/{FOREIGN}/reports").status_code == 200  # JPN granted CHN "all"
    kor = hub.client(OWN, "reporter")
    for g in kor.get(f"/members/{OWN}/grants").json():  # start with nothing shared by KOR
        assert kor.delete(f"/members/{OWN}/grants/{g['id']}").status_code == 204
    cnt = len(chn.get("/events").json())
    event = kor.post(
        f"/members/{OWN}/events", json={**event_body("shared"), "visibility": "partners"}
    ).json()
    assert len(chn.get("/events").json()) == cnt
    assert (
        kor.post(
            f"/members/{OWN}/grants", json={"grantee_group": "EASTASIA", "scope": "events"}
        ).status_code
        == 201
    )
    assert chn.get(f"/events/{event['id']}").status_code == 200
    assert hub.client(FOREIGN, "analyst").get(f"/events/{event['id']}").status_code == 404
    assert chn.get(f"/members/{OWN}/reports").status_code == 403  # events scope only
