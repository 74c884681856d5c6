"""Report imports over HTTP: summaries, idempotency, dry runs, rules, CSV, audit, reads."""

from __future__ import annotations

import hashlib
import json

import pytest
from sqlalchemy import select

from epicommons.hub.models import AuditEntry
from test_hub_support import backend_params, running_hub, values


@pytest.fixture(scope="module", params=backend_params())
def hub(request, tmp_path_factory):
    yield from running_hub(request.param, tmp_path_factory.mktemp("reports"))


def summary(response) -> dict:
    assert response.status_code == 200, response.text
    return response.json()


def counts(doc: dict) -> tuple[int, int, int]:
    c = doc["importCount"]
    return c["imported"], c["updated"], c["ignored"]


def test_import_update_and_resubmission(hub):
    kor = hub.client("KOR", "reporter")
    body = values(
        ("2026-01-01", "new_cases", 10),
        ("2026-01-01", "new_deaths", 1),
        ("2026-01-02", "new_cases", 12),
    )
    first = summary(kor.post("/members/KOR/reports", json=body))
    assert counts(first) == (3, 0, 0) and first["status"] == "OK"
    before = hub.counts()
    again = summary(kor.post("/members/KOR/reports", json=body))
    assert counts(again) == (0, 0, 3)
    assert hub.counts() == before  # same content changes nothing, not even the audit
    body["values"][2]["value"] = 13
    changed = summary(kor.post("/members/KOR/reports", json=body))
    assert counts(changed) == (0, 1, 2)
    stored = kor.get("/members/KOR/reports", params={"start": "2026-01-01", "end": "2026-01-02"})
    got = {(v["date"], v["indicator"]): v["value"] for v in stored.json()}
    assert got == {
        ("2026-01-01", "new_cases"): 10,
        ("2026-01-01", "new_deaths"): 1,
        ("2026-01-02", "new_cases"): 13,
    }


def test_idempotency_key(hub):
    kor = hub.client("KOR", "reporter")
    body = values(("2026-02-01", "tests", 500))
    headers = {"Idempotency-Key": "kor-2026-02-01"}
    first = summary(kor.post("/members/KOR/reports", json=body, headers=headers))
    before = hub.counts()
    replay = summary(kor.post("/members/KOR/reports", json=body, headers=headers))
    assert replay["replayed"] and counts(replay) == counts(first) == (1, 0, 0)
    assert hub.counts() == before
    other = kor.post(
        "/members/KOR/reports", json=values(("2026-02-01", "tests", 501)), headers=headers
    )
    assert other.status_code == 409
    assert other.headers["content-type"] == "application/problem+json"
    assert hub.counts() == before


def test_csv_and_json_are_the_same_content(hub):
    kor = hub.client("KOR", "reporter")
    csv_body = "date,indicator,item,value\n2026-03-01,stock,masks,1000\n2026-03-01,need,masks,250\n"
    first = summary(
        kor.post("/members/KOR/reports", content=csv_body, headers={"content-type": "text/csv"})
    )
    assert counts(first) == (2, 0, 0)
    as_json = {
        "values": [
            {"date": "2026-03-01", "indicator": "stock", "item": "masks", "value": 1000},
            {"date": "2026-03-01", "indicator": "need", "item": "masks", "value": 250},
        ]
    }
    assert counts(summary(kor.post("/members/KOR/reports", json=as_json))) == (0, 0, 2)
    export = kor.get("/values.csv", params={"member": "KOR", "indicator": "stock"})
    assert export.headers["content-type"].startswith("text/csv")
    assert export.text.splitlines() == [
        "member,date,indicator,item,value",
        "KOR,2026-03-01,stock,masks,1000.0",
    ]


def test_dry_run_writes_nothing(hub):
    kor = hub.client("KOR", "reporter")
    before = hub.counts()
    doc = summary(
        kor.post(
            "/members/KOR/reports",
            params={"dryRun": "true"},
            json=values(("2026-04-01", "new_cases", 5)),
        )
    )
    assert doc["dryRun"] and counts(doc) == (1, 0, 0)
    assert hub.counts() == before


def test_rules_reject_rows_with_their_reasons(hub):
    kor = hub.client("KOR", "reporter")
    before = hub.counts()
    bad = kor.post(
        "/members/KOR/reports",
        json=values(
            ("2026-05-01", "new_cases", 3),
            ("2026-05-01", "new_deaths", 4),
            ("2026-05-02", "icu_occupancy", 9),
            ("2026-05-02", "hospital_occupancy", 8),
            ("2026-05-03", "tests", 2.5),
            ("2026-05-03", "bogus", 1),
        ),
    )
    assert bad.status_code == 422
    conflicts = bad.json()["importSummary"]["conflicts"]
    assert {(c["row"], c["field"]) for c in conflicts} == {
        (1, "value"),
        (2, "value"),
        (3, "value"),
        (4, "value"),
        (5, "value"),
        (6, "indicator"),
    }
    assert hub.counts() == before
    # A rule also holds against values stored earlier.
    summary(kor.post("/members/KOR/reports", json=values(("2026-05-10", "new_cases", 5))))
    late = kor.post("/members/KOR/reports", json=values(("2026-05-10", "new_deaths", 6)))
    assert late.status_code == 422 and "above new_cases" in late.text


def test_atomic_mode_none_keeps_the_valid_rows(hub):
    kor = hub.client("KOR", "reporter")
    doc = summary(
        kor.post(
            "/members/KOR/reports",
            params={"atomicMode": "NONE"},
            json=values(
                ("2026-06-01", "new_cases", 7),
                ("2026-06-01", "new_cases", 8),
                ("2026-06-02", "tests", -1),
            ),
        )
    )
    assert doc["status"] == "WARNING" and counts(doc) == (1, 0, 2)
    assert [(c["row"], c["reason"]) for c in doc["conflicts"]] == [
        (2, "duplicates row 1"),
        (3, "must not be negative, got -1"),
    ]


def test_every_write_is_audited_with_state_hashes(hub):
    kor = hub.client("KOR", "reporter")
    body = values(("2026-07-01", "new_cases", 40))
    doc = summary(kor.post("/members/KOR/reports", json=body))
    summary(kor.post("/members/KOR/reports", json=values(("2026-07-01", "new_cases", 41))))
    with hub.db.read() as s:
        rows = s.scalars(
            select(AuditEntry)
            .where(AuditEntry.entity == "report")
            .order_by(AuditEntry.id.desc())
            .limit(2)
        ).all()
    update, insert = rows

    def h(state):  # the documented recipe: SHA-256 of canonical JSON
        return hashlib.sha256(json.dumps(state, separators=(",", ":")).encode()).hexdigest()

    assert insert.entity_key == f"KOR/submission/{doc['submission']}"
    assert insert.before_hash == h([]) and insert.after_hash == h(
        [["2026-07-01", "new_cases", "", 40.0]]
    )
    assert update.before_hash == h([["2026-07-01", "new_cases", "", 40.0]])
    assert update.after_hash == h([["2026-07-01", "new_cases", "", 41.0]])
    assert insert.actor.startswith("token:") and insert.at <= update.at


def test_aggregates_sum_over_readable_members(hub):
    kor, jpn = hub.client("KOR", "reporter"), hub.client("JPN", "reporter")
    summary(kor.post("/members/KOR/reports", json=values(("2026-08-01", "new_cases", 3))))
    summary(jpn.post("/members/JPN/reports", json=values(("2026-08-01", "new_cases", 4))))
    window = {"indicator": "new_cases", "start": "2026-08-01", "end": "2026-08-01"}
    assert kor.get("/aggregates", params=window).json() == [
        {"date": "2026-08-01", "total": 3.0, "members": 1}
    ]
    who = hub.client("WHO", "coordinator")
    assert who.get("/aggregates", params=window).json() == [
        {"date": "2026-08-01", "total": 7.0, "members": 2}
    ]
    grant = jpn.post("/members/JPN/grants", json={"grantee_member": "KOR", "scope": "reports"})
    assert grant.status_code == 201
    assert kor.get("/aggregates", params=window).json()[0]["total"] == 7.0
    assert jpn.delete(f"/members/JPN/grants/{grant.json()['id']}").status_code == 204
    assert kor.get("/aggregates", params=window).json()[0]["total"] == 3.0
