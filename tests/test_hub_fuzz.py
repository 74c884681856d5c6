"""Hostile values in every body field and every parameter of every operation: never a 5xx.

The operations and their parameters come from the served OpenAPI document, so a new endpoint is
fuzzed without editing this file (its valid body must be added to BODIES, which a test checks).
Values: integers of 400 and 4,400 digits, the extreme floats, NUL bytes, a lone surrogate, other
scripts' digits, '1_000', Unix timestamps, booleans, nulls, empty and long text.
"""

from __future__ import annotations

import json
import re
from urllib.parse import quote

import pytest

from epicommons.hub.mapping_store import import_mapping
from test_hub_mapping import MAPPING
from test_hub_support import backend_params, running_hub

BIG = "1" + "0" * 400
HUGE = "9" * 4400  # over Python's int/str conversion limit
# Raw JSON texts, substituted for one field of a valid body.
JSON_VALUES = [
    BIG,
    HUGE,
    "-" + BIG,
    "1e308",
    "-1.7976931348623157e308",
    "5e-324",
    "1e-300",
    "0",
    "-1",
    "1700000000",
    "true",
    "null",
    '""',
    '"\\u0000"',
    '"a\\u0000b"',
    '"\\ud800"',
    '"\\udfff\\ud800x"',
    '"١٢"',
    '"１２"',
    '"1_000"',
    '"2026-13-45"',
    '"2026-01-01T00:00:00\\u0000"',
    json.dumps("x" * 5000),
    "[]",
    "{}",
]
QUERY_VALUES = [
    BIG,
    HUGE[:2000],
    "1e-300",
    "1e308",
    "-1e308",
    "nan",
    "inf",
    "-0",
    "\x00",
    "１２",
    "1_000",
    "\ud800",
    "2026-02-30",
    "",
]
EVENT = {
    "title": "cluster",
    "hazard": "cholera",
    "serious_impact": True,
    "unusual_or_unexpected": False,
    "international_spread": False,
    "travel_or_trade_restrictions": False,
    "detected_at": "2025-01-01T00:00:00Z",
}
MEASURE_REPORT = {
    "resourceType": "MeasureReport",
    "status": "complete",
    "type": "summary",
    "measure": "urn:epicommons:measure:indicators",
    "subject": {"identifier": {"system": "urn:iso:std:iso:3166", "value": "KOR"}},
    "period": {"start": "2025-01-01T00:00:00+09:00", "end": "2025-01-01T23:00:00+09:00"},
    "group": [
        {
            "population": [
                {
                    "code": {"coding": [{"system": "urn:epicommons:indicator", "code": "tests"}]},
                    "count": 10,
                }
            ]
        }
    ],
}
BODIES = {
    ("post", "/api/v1/members/{code}/reports"): {
        "values": [{"date": "2025-01-01", "indicator": "new_cases", "item": "", "value": 1}]
    },
    ("post", "/api/v1/members/{code}/events"): EVENT,
    ("post", "/api/v1/events/{event_id}/status"): {
        "status": "under_verification",
        "assessed_at": "2025-01-02T00:00:00Z",
        "notified_at": "2025-01-03T00:00:00Z",
    },
    ("post", "/api/v1/groups"): {"code": "FUZZ", "name": "fuzz", "members": ["JPN"]},
    ("post", "/api/v1/members/{code}/grants"): {"grantee_member": "JPN", "scope": "reports"},
    ("post", "/api/v1/members/{code}/pledges"): {
        "recipient_member": "JPN",
        "item": "masks",
        "quantity": 10,
        "date": "2025-01-01",
    },
    ("post", "/api/v1/pledges/{pledge_id}/deliveries"): {
        "quantity": 1,
        "date": "2025-01-02",
        "recipient_member": "JPN",
    },
    ("post", "/api/v1/pledges/{pledge_id}/decline"): None,
    ("post", "/dhis2/api/dataValueSets"): {
        "dataSet": "pBOMPrpg1QX",
        "period": "2025W01",
        "orgUnit": "DiszpKrYNg8",
        "dataValues": [
            {"dataElement": "f7n9E0hX8qk", "categoryOptionCombo": "HllvX50cXC0", "value": "1"}
        ],
    },
    ("post", "/fhir/MeasureReport"): MEASURE_REPORT,
    ("post", "/fhir"): {
        "resourceType": "Bundle",
        "type": "batch",
        "entry": [
            {"resource": MEASURE_REPORT, "request": {"method": "POST", "url": "MeasureReport"}}
        ],
    },
    ("post", "/api/v1/members/{code}/reports/triangle"): None,  # CSV only: cells fuzzed below
    ("post", "/api/v1/assessments"): {"as_of": "2025-01-01", "options": {"runs": 5, "seed": 2}},
    ("post", "/api/v1/whatifs"): {
        "assessment": 1,
        "measure": {"kind": "screening", "members": ["KOR"], "strength": 0.5, "start_day": 1},
    },
}
TRIANGLE_CELLS = ["١٢", "１２", "1_000", "\x00", "=1+1", BIG, HUGE, "-5", "1e15", "0000-01-01"]
TRIANGLE_CELLS += ["1899-12-31", "9999-12-31", "1900-01-01", " 2025-01-01", "2025-1-1"]
PATH_VALUES = {
    "code": "KOR",
    "event_id": "1",
    "pledge_id": "1",
    "grant_id": "1",
    "uid": "pBOMPrpg1QX",
    "job_id": "1",
    "table": "rt",
}


@pytest.fixture(scope="module", params=backend_params())
def hub(request, tmp_path_factory):
    options = ["--rate-limit", "10000000"]
    for hub in running_hub(request.param, tmp_path_factory.mktemp("fuzz"), options):
        SERVER[:] = [hub.url]
        import_mapping(hub.db, MAPPING, "fuzz mapping")  # DHIS2 values reach the import
        yield hub


def operations(hub) -> list[tuple[str, str, dict]]:
    doc = hub.client("KOR", "reporter").get(hub.url + "/openapi.json").json()
    return [(m, p, op) for p, item in doc["paths"].items() for m, op in item.items()]


def fill(path: str, **override: str) -> str:
    """The operation's URL for the /api/v1 client: relative for the native API, absolute for
    the DHIS2 routes (under /dhis2/api) and the FHIR routes (under /fhir)."""
    values = {**PATH_VALUES, **override}
    filled = re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], path)
    if filled.startswith(("/dhis2/", "/fhir")):
        return SERVER[0] + filled
    return filled.removeprefix("/api/v1")


SERVER: list[str] = []  # the running hub's base URL, set by the fixture


def leaves(doc, prefix=()):
    """Paths to every scalar of a JSON document (list items and object fields)."""
    if isinstance(doc, dict):
        for k, v in doc.items():
            yield from leaves(v, (*prefix, k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            yield from leaves(v, (*prefix, i))
    yield prefix


def with_raw(doc, where, raw: str) -> str:
    """The JSON text of `doc` with the value at `where` replaced by the raw JSON text `raw`."""
    marker = "\x01MARK\x01"
    copy = json.loads(json.dumps(doc))
    if not where:
        return raw
    node = copy
    for k in where[:-1]:
        node = node[k]
    node[where[-1]] = marker
    return json.dumps(copy).replace(json.dumps(marker), raw)


def check(response) -> None:
    assert response.status_code < 500, (response.request.url, response.text[:300])
    if response.status_code >= 400:
        if response.request.url.path.startswith("/dhis2/"):  # DHIS2's WebMessage
            assert response.headers["content-type"] == "application/json"
            assert response.json()["message"]
            return
        if response.request.url.path.startswith("/fhir"):  # FHIR's OperationOutcome
            assert response.headers["content-type"] == "application/fhir+json"
            assert response.json()["issue"][0]["diagnostics"]
            return
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["detail"]


def test_every_write_operation_has_a_valid_body_here(hub):
    writes = {(m, p) for m, p, _ in operations(hub) if m in ("post", "put", "patch")}
    assert writes == set(BODIES)


def test_hostile_body_fields_never_cause_a_server_error(hub):
    kor = hub.client("KOR", "reporter")
    sent = 0
    for (method, path), body in BODIES.items():
        if body is None:
            continue
        for where in leaves(body):
            for raw in JSON_VALUES:
                text = with_raw(body, where, raw)
                check(
                    kor.request(
                        method,
                        fill(path),
                        content=text,
                        headers={"content-type": "application/json"},
                    )
                )
                sent += 1
    # The same values as CSV cells of a report.
    for column in ("date", "indicator", "item", "value"):
        for raw in [*JSON_VALUES, "١٢", "１２", "1_000", "\x00", "=1+1", BIG, HUGE]:
            cells = {"date": "2025-01-01", "indicator": "stock", "item": "masks", "value": "1"}
            cells[column] = raw.strip('"')
            csv = "date,indicator,item,value\n" + ",".join(cells.values()) + "\n"
            check(
                kor.post(
                    "/members/KOR/reports",
                    content=csv.encode("utf-8", "surrogatepass"),
                    headers={"content-type": "text/csv"},
                )
            )
            sent += 1
    # And as cells of a reporting triangle (wide and long).
    for raw in [*JSON_VALUES, *TRIANGLE_CELLS]:
        cell = raw.strip('"')
        for csv in (
            f"date,value_0d,value_1d\n{cell},1,2\n2025-01-02,{cell},1\n",
            f"reference_date,report_date,count\n2025-01-01,{cell},1\n{cell},2025-01-02,{cell}\n",
            f"date,value_0d,value_{cell}d\n2025-01-03,1,1\n",
        ):
            check(
                kor.post(
                    "/members/KOR/reports/triangle",
                    content=csv.encode("utf-8", "surrogatepass"),
                    headers={"content-type": "text/csv"},
                )
            )
            sent += 1
    assert sent > 1000


def test_hostile_parameters_never_cause_a_server_error(hub):
    kor = hub.client("KOR", "reporter")
    for method, path, op in operations(hub):
        params = [p for p in op.get("parameters", []) if p["in"] in ("query", "path")]
        for param in params:
            for raw in QUERY_VALUES:
                encoded = quote(raw.encode("utf-8", "surrogatepass"), safe="")
                if param["in"] == "path":
                    check(kor.request(method, fill(path, **{param["name"]: encoded or "%20"})))
                else:
                    check(kor.request(method, f"{fill(path)}?{param['name']}={encoded}"))
    # Known parameters together at their extremes.
    check(
        kor.get("/members/KOR/rt", params={"si_mean": "1.000001", "si_sd": "0.1", "window": "60"})
    )
    check(kor.get("/members/KOR/rt", params={"si_mean": "60", "si_sd": "60", "window": "2"}))
