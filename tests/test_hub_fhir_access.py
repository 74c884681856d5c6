"""The authorization matrix of the FHIR endpoints: every endpoint x every role x own and foreign
subject, and no token, an unknown token, a revoked token.

As in `test_hub_access.py`: the caller is a token of KOR; "own" targets KOR, "foreign" targets JPN,
which has shared nothing. A forbidden write is refused (403, as an OperationOutcome; in a batch,
each entry's status) with every table's row count unchanged; a search never shows foreign data
except to a coordinator. Allowed cells must succeed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import httpx
import pytest

from epicommons.hub import admin
from test_hub_support import ROLES, backend_params, running_hub

FHIR = "application/fhir+json"
OWN, FOREIGN = "KOR", "JPN"
HUB = "urn:epicommons:indicator"


def report(member: str, day: str, cases: int) -> dict:
    return {
        "resourceType": "MeasureReport",
        "status": "complete",
        "type": "summary",
        "measure": "urn:epicommons:measure:indicators",
        "subject": {"identifier": {"system": "urn:iso:std:iso:3166", "value": member}},
        "period": {"start": day, "end": day},
        "group": [
            {
                "population": [
                    {"code": {"coding": [{"system": HUB, "code": "new_cases"}]}, "count": cases}
                ]
            }
        ],
    }


def bundle(kind: str, member: str, day: str) -> dict:
    entry = {
        "resource": report(member, day, 1),
        "request": {"method": "POST", "url": "MeasureReport"},
    }
    return {"resourceType": "Bundle", "type": kind, "entry": [entry]}


@pytest.fixture(scope="module", params=backend_params())
def hub(request, tmp_path_factory):
    for running in running_hub(request.param, tmp_path_factory.mktemp("fhir-access")):
        for code in (OWN, FOREIGN):
            c = client(running, code, "reporter")
            response = c.post("/fhir/MeasureReport", json=report(code, "2026-09-01", 10))
            assert response.status_code == 200, response.text
        yield running


def client(hub, member: str, role: str) -> httpx.Client:
    return httpx.Client(
        base_url=hub.url,
        headers={"Authorization": f"Bearer {hub.tokens[(member, role)]}", "Content-Type": FHIR},
        timeout=60,
    )


Call = Callable[[httpx.Client, str, str], httpx.Response]


@dataclass
class Endpoint:
    name: str
    kind: str  # write | batch | list | public (any valid token)
    call: Call  # (client, target member, a date of its own)


ENDPOINTS = [
    Endpoint(
        "POST /fhir/MeasureReport",
        "write",
        lambda c, t, d: c.post("/fhir/MeasureReport", json=report(t, d, 2)),
    ),
    Endpoint(
        "POST /fhir transaction",
        "write",
        lambda c, t, d: c.post("/fhir", json=bundle("transaction", t, d)),
    ),
    Endpoint(
        "POST /fhir batch", "batch", lambda c, t, d: c.post("/fhir", json=bundle("batch", t, d))
    ),
    Endpoint(
        "GET /fhir/MeasureReport",
        "list",
        lambda c, t, d: c.get("/fhir/MeasureReport", params={"subject": t, "period": "2026-09-01"}),
    ),
    Endpoint("GET /fhir/MeasureReport (all)", "list", lambda c, t, d: c.get("/fhir/MeasureReport")),
    Endpoint("GET /fhir/metadata", "public", lambda c, t, d: c.get("/fhir/metadata")),
]


def allowed(kind: str, role: str, own: bool) -> bool:
    """Issue 7's rules, written independently of the hub's code."""
    if kind == "public":
        return True
    if kind in ("write", "batch"):
        return role == "reporter" and own
    return own or role == "coordinator"


def sees(response: httpx.Response, target: str) -> bool:
    return any(
        e["resource"].get("subject", {}).get("display") == target
        for e in response.json().get("entry", [])
    )


def refused(response: httpx.Response, kind: str) -> bool:
    """403 as an OperationOutcome; a batch may instead answer 200 with each entry refused."""
    if response.headers.get("content-type") != FHIR:
        return False
    doc = response.json()
    if response.status_code == 403:
        return doc["resourceType"] == "OperationOutcome" and doc["issue"][0]["code"] == "forbidden"
    return kind == "batch" and all(e["response"]["status"] == "403 Forbidden" for e in doc["entry"])


@pytest.mark.slow
def test_fhir_authorization_matrix(hub):
    failures = []
    cells = forbidden = 0
    for endpoint in ENDPOINTS:
        for role in ROLES:
            for target in (OWN, FOREIGN):
                own = target == OWN
                cells += 1
                day = f"2026-08-{cells:02d}"
                before = hub.counts()
                response = endpoint.call(client(hub, OWN, role), target, day)
                after = hub.counts()
                ok = allowed(endpoint.kind, role, own)
                cell = f"{endpoint.name} {role} {'own' if own else 'foreign'}"
                forbidden += not ok
                if endpoint.kind == "list":
                    if response.status_code != 200:
                        failures.append(f"{cell}: {response.status_code}")
                    elif sees(response, target) != ok:
                        failures.append(f"{cell}: disclosure {not ok}")
                    if after != before:
                        failures.append(f"{cell}: a search wrote")
                elif endpoint.kind == "public":
                    if response.status_code != 200 or after != before:
                        failures.append(f"{cell}: {response.status_code} {response.text[:200]}")
                elif ok:
                    if (
                        response.status_code != 200
                        or after["report_values"] != before["report_values"] + 1
                    ):
                        failures.append(
                            f"{cell}: not stored {response.status_code} {response.text}"
                        )
                else:
                    if not refused(response, endpoint.kind):
                        failures.append(
                            f"{cell}: answered {response.status_code} {response.text[:200]}"
                        )
                    if after != before:
                        failures.append(f"{cell}: wrote {before} -> {after}")
    print(f"FHIR authorization matrix: {cells} cells, {forbidden} forbidden")
    assert not failures, "\n".join(failures)
    assert cells == len(ENDPOINTS) * 3 * 2
    # writes: all but the own reporter; searches: the reporter and the analyst, foreign
    assert forbidden == 3 * 5 + 2 * 2


@pytest.mark.parametrize(
    "header", [None, "Bearer ech_not-a-token", "Basic dXNlcjpwYXNz", "revoked"]
)
def test_no_unknown_or_revoked_token_is_401_and_writes_nothing(hub, header):
    if header == "revoked":
        token = admin.issue_token(hub.db, OWN, "reporter").token
        admin.revoke_token(hub.db, token)
        header = f"Bearer {token}"
    anonymous = httpx.Client(
        base_url=hub.url,
        headers={"Content-Type": FHIR, **({"Authorization": header} if header else {})},
        timeout=30,
    )
    before = hub.counts()
    for endpoint in ENDPOINTS:
        response = endpoint.call(anonymous, OWN, "2026-07-01")
        assert response.status_code == 401, (endpoint.name, response.text)
        assert response.headers["content-type"] == FHIR
        issue = response.json()["issue"][0]
        assert issue["code"] == "login" and issue["diagnostics"]
    assert hub.counts() == before
