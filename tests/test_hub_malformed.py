"""Malformed input is answered 4xx with problem+json and writes nothing; limits are enforced."""

from __future__ import annotations

import json

import httpx
import pytest

from test_hub_support import backend_params, running_hub, values

MAX_ROWS, MAX_BODY = 50, 20_000
CSV = {"content-type": "text/csv"}
JSON = {"content-type": "application/json"}


def row(**fields) -> str:
    base = {"date": "2026-01-01", "indicator": "new_cases", "value": 1}
    base.update(fields)
    return json.dumps({"values": [base]})


def csv_body(*lines: str) -> str:
    return "date,indicator,item,value\n" + "\n".join(lines) + "\n"


# (name, path, headers, body, expected status)
CASES = [
    (
        "oversized body",
        "/members/KOR/reports",
        JSON,
        json.dumps(values(*[("2026-01-01", "new_cases", 1)] * 400)),
        413,
    ),
    (
        "too many rows",
        "/members/KOR/reports",
        JSON,
        json.dumps(
            values(
                *[(f"2026-01-{d:02d}", "tests", 1) for d in range(1, 31)],
                *[(f"2026-02-{d:02d}", "tests", 1) for d in range(1, 22)],
            )
        ),
        413,
    ),
    (
        "too many CSV rows",
        "/members/KOR/reports",
        CSV,
        csv_body(*[f"2025-03-{d % 28 + 1:02d},tests,,{d}" for d in range(51)]),
        413,
    ),
    (
        "NaN",
        "/members/KOR/reports",
        JSON,
        '{"values":[{"date":"2026-01-01","indicator":"new_cases","value":NaN}]}',
        400,
    ),
    (
        "Infinity",
        "/members/KOR/reports",
        JSON,
        '{"values":[{"date":"2026-01-01","indicator":"new_cases","value":-Infinity}]}',
        400,
    ),
    (
        "1e999 overflows to inf",
        "/members/KOR/reports",
        JSON,
        '{"values":[{"date":"2026-01-01","indicator":"new_cases","value":1e999}]}',
        422,
    ),
    ("negative", "/members/KOR/reports", JSON, row(value=-3), 422),
    ("fractional count", "/members/KOR/reports", JSON, row(value=2.5), 422),
    ("number as text", "/members/KOR/reports", JSON, row(value="12"), 422),
    ("boolean value", "/members/KOR/reports", JSON, row(value=True), 422),
    ("null value", "/members/KOR/reports", JSON, row(value=None), 422),
    ("unknown indicator", "/members/KOR/reports", JSON, row(indicator="cases"), 422),
    ("unknown field", "/members/KOR/reports", JSON, row(member="JPN"), 422),
    ("item on a count", "/members/KOR/reports", JSON, row(item="masks"), 422),
    ("stock without item", "/members/KOR/reports", JSON, row(indicator="stock"), 422),
    ("unknown member", "/members/XXX/reports", JSON, row(), 404),
    ("lower-case member", "/members/kor/reports", JSON, row(), 422),
    ("30 February", "/members/KOR/reports", JSON, row(date="2026-02-30"), 422),
    ("month 13", "/members/KOR/reports", JSON, row(date="2026-13-01"), 422),
    ("US date", "/members/KOR/reports", JSON, row(date="01/02/2026"), 422),
    ("far future", "/members/KOR/reports", JSON, row(date="2999-01-01"), 422),
    ("before 1900", "/members/KOR/reports", JSON, row(date="1899-12-31"), 422),
    ("empty date", "/members/KOR/reports", JSON, row(date=""), 422),
    (
        "duplicated JSON key",
        "/members/KOR/reports",
        JSON,
        '{"values":[{"date":"2026-01-01","indicator":"new_cases","value":1,"value":9}]}',
        400,
    ),
    ("duplicated top key", "/members/KOR/reports", JSON, '{"values":[],"values":[]}', 400),
    (
        "duplicated row",
        "/members/KOR/reports",
        JSON,
        json.dumps(values(("2026-01-01", "tests", 1), ("2026-01-01", "tests", 2))),
        422,
    ),
    ("not JSON", "/members/KOR/reports", JSON, '{"values": [', 400),
    ("deeply nested", "/members/KOR/reports", JSON, "[" * 5000 + "]" * 5000, 400),
    ("JSON array", "/members/KOR/reports", JSON, "[]", 422),
    ("extra top-level key", "/members/KOR/reports", JSON, '{"values": [], "x": 1}', 422),
    ("values not a list", "/members/KOR/reports", JSON, '{"values": {}}', 422),
    ("row not an object", "/members/KOR/reports", JSON, '{"values": [1]}', 422),
    (
        "formula in value",
        "/members/KOR/reports",
        CSV,
        csv_body("2026-01-01,new_cases,,=cmd|' /C calc'!A0"),
        422,
    ),
    (
        "formula in item",
        "/members/KOR/reports",
        CSV,
        csv_body('2026-01-01,stock,"=HYPERLINK(""http://x"")",5'),
        422,
    ),
    ("formula in indicator", "/members/KOR/reports", CSV, csv_body("2026-01-01,@SUM(A1),,5"), 422),
    ("plus formula", "/members/KOR/reports", CSV, csv_body("2026-01-01,tests,,+1+1"), 422),
    ("minus formula", "/members/KOR/reports", CSV, csv_body("2026-01-01,tests,,-2+3"), 422),
    ("CSV NaN", "/members/KOR/reports", CSV, csv_body("2026-01-01,tests,,nan"), 422),
    ("CSV inf", "/members/KOR/reports", CSV, csv_body("2026-01-01,tests,,inf"), 422),
    ("CSV bad header", "/members/KOR/reports", CSV, "day,what,value\n2026-01-01,tests,1\n", 422),
    (
        "CSV repeated column",
        "/members/KOR/reports",
        CSV,
        "date,indicator,value,value\n2026-01-01,tests,1,2\n",
        422,
    ),
    ("CSV short row", "/members/KOR/reports", CSV, csv_body("2026-01-01,tests"), 422),
    (
        "CSV not UTF-8",
        "/members/KOR/reports",
        CSV,
        b"date,indicator,item,value\n\xff\xfe,,,\n",
        400,
    ),
    ("CSV NUL byte", "/members/KOR/reports", CSV, csv_body("2026-01-01,tests,,1\x00"), 400),
    ("CSV empty", "/members/KOR/reports", CSV, "", 422),
    ("plain text", "/members/KOR/reports", {"content-type": "text/plain"}, "hello", 415),
    ("bad Idempotency-Key", "/members/KOR/reports", {**JSON, "Idempotency-Key": "a b"}, row(), 422),
    (
        "event: bad time",
        "/members/KOR/events",
        JSON,
        '{"title":"x","hazard":"h","serious_impact":true,"unusual_or_unexpected":true,'
        '"international_spread":true,"travel_or_trade_restrictions":true,"detected_at":"soon"}',
        422,
    ),
    (
        "event: notified before detected",
        "/members/KOR/events",
        JSON,
        json.dumps(
            {
                "title": "x",
                "hazard": "h",
                "serious_impact": True,
                "unusual_or_unexpected": True,
                "international_spread": True,
                "travel_or_trade_restrictions": True,
                "detected_at": "2026-01-05T00:00:00Z",
                "notified_at": "2026-01-04T00:00:00Z",
            }
        ),
        422,
    ),
    (
        "event: unknown field",
        "/members/KOR/events",
        JSON,
        json.dumps(
            {
                "title": "x",
                "hazard": "h",
                "serious_impact": True,
                "unusual_or_unexpected": True,
                "international_spread": True,
                "travel_or_trade_restrictions": True,
                "detected_at": "2026-01-05T00:00:00Z",
                "status": "closed",
            }
        ),
        422,
    ),
    (
        "pledge: negative",
        "/members/KOR/pledges",
        JSON,
        '{"recipient_member":"JPN","item":"masks","quantity":-5,"date":"2026-01-01"}',
        422,
    ),
    (
        "pledge: NaN",
        "/members/KOR/pledges",
        JSON,
        '{"recipient_member":"JPN","item":"masks","quantity":NaN,"date":"2026-01-01"}',
        400,
    ),
    (
        "pledge: overflow",
        "/members/KOR/pledges",
        JSON,
        '{"recipient_member":"JPN","item":"masks","quantity":1e999,"date":"2026-01-01"}',
        422,
    ),
    (
        "pledge: unknown recipient",
        "/members/KOR/pledges",
        JSON,
        '{"recipient_member":"XXX","item":"masks","quantity":5,"date":"2026-01-01"}',
        422,
    ),
    (
        "pledge: formula item",
        "/members/KOR/pledges",
        JSON,
        '{"recipient_member":"JPN","item":"=1+1","quantity":5,"date":"2026-01-01"}',
        422,
    ),
    (
        "grant: both grantees",
        "/members/KOR/grants",
        JSON,
        '{"grantee_member":"JPN","grantee_group":"G1","scope":"all"}',
        422,
    ),
    (
        "grant: unknown scope",
        "/members/KOR/grants",
        JSON,
        '{"grantee_member":"JPN","scope":"everything"}',
        422,
    ),
    (
        "grant: duplicated key",
        "/members/KOR/grants",
        JSON,
        '{"grantee_member":"JPN","grantee_member":"CHN","scope":"all"}',
        400,
    ),
]


@pytest.fixture(scope="module", params=backend_params())
def hub(request, tmp_path_factory):
    options = ["--max-rows", str(MAX_ROWS), "--max-body", str(MAX_BODY)]
    yield from running_hub(request.param, tmp_path_factory.mktemp("malformed"), options)


@pytest.mark.parametrize(
    ("name", "path", "headers", "body", "status"), CASES, ids=[c[0] for c in CASES]
)
def test_malformed_input_is_refused_and_writes_nothing(hub, name, path, headers, body, status):
    kor = hub.client("KOR", "reporter")
    before = hub.counts()
    response = kor.post(path, content=body, headers=headers)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == status and problem["title"] and problem["detail"]
    assert hub.counts() == before


def test_chunked_oversized_body_is_refused(hub):
    kor = hub.client("KOR", "reporter")
    before = hub.counts()

    def chunks():
        yield b'{"values": ['
        for _ in range(MAX_BODY // 50):
            yield b'{"date":"2026-01-01","indicator":"tests","value":1},'
        yield b"]}"

    response = kor.post("/members/KOR/reports", content=chunks(), headers=JSON)
    assert response.status_code == 413
    assert hub.counts() == before


def test_a_valid_report_after_all_that_is_stored(hub):
    kor = hub.client("KOR", "reporter")
    response = kor.post("/members/KOR/reports", content=row(value=5), headers=JSON)
    assert response.status_code == 200 and response.json()["importCount"]["imported"] == 1


@pytest.fixture(scope="module")
def limited_hub(tmp_path_factory):
    yield from running_hub("sqlite", tmp_path_factory.mktemp("limited"), ["--rate-limit", "5"])


def test_tokens_are_rate_limited_one_by_one(limited_hub):
    kor, jpn = limited_hub.client("KOR", "analyst"), limited_hub.client("JPN", "analyst")
    statuses = [kor.get("/me").status_code for _ in range(8)]
    assert statuses[:5] == [200] * 5 and 429 in statuses[5:]
    refused = kor.get("/me")
    if refused.status_code == 429:
        assert refused.headers["content-type"] == "application/problem+json"
        assert int(refused.headers["retry-after"]) >= 0
    assert jpn.get("/me").status_code == 200  # another token has its own budget
    anonymous = httpx.get(limited_hub.url + "/api/v1/me")
    assert anonymous.status_code == 401
