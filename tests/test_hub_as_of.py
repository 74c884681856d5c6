"""`as_of` on every read of reported values beyond /api/v1: the DHIS2 and FHIR reads and the
dashboard's pages. KOR reports 5 new cases for 2026-03-01 on that day, then corrects them to 9
on 2026-03-03: read as known on 2026-03-02, every endpoint gives 5; without it, 9."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import update

from epicommons.hub.mapping_store import import_mapping
from epicommons.hub.models import ValueRevision
from test_hub_mapping import MAPPING
from test_hub_pages_support import sign_in
from test_hub_support import backend_params, running_hub, values

DS, KR, CASES = "pBOMPrpg1QX", "DiszpKrYNg8", "f7n9E0hX8qk"  # test_hub_mapping.MAPPING
DAY = "2026-03-01"
SENT = [("2026-03-01T10:00:00", 5), ("2026-03-03T18:00:00", 9)]
BEFORE, OLD, NEW = "2026-03-02", 5, 9
BAD = ["yesterday", "2026-02-30", "1850-01-01"]


@pytest.fixture(scope="module", params=backend_params())
def hub(request, tmp_path_factory):
    """KOR's two submissions, each revision dated when it was sent (test_hub_revisions' way)."""
    for hub in running_hub(request.param, tmp_path_factory.mktemp("as_of")):
        import_mapping(hub.db, MAPPING, "test mapping")
        kor = hub.client("KOR", "reporter")
        for sent, value in SENT:
            answer = kor.post("/members/KOR/reports", json=values((DAY, "new_cases", value)))
            assert answer.status_code == 200, answer.text
            with hub.db.transaction() as s:
                s.execute(
                    update(ValueRevision)
                    .where(ValueRevision.submission_id == answer.json()["submission"])
                    .values(known_at=dt.datetime.fromisoformat(sent))
                )
        yield hub


def dhis2(hub, **params):
    client = hub.client("KOR", "reporter")
    query = {"dataSet": DS, "orgUnit": KR, "startDate": DAY, "endDate": DAY, **params}
    return client.get(hub.url + "/dhis2/api/dataValueSets", params=query)


def fhir(hub, **params):
    client = hub.client("KOR", "reporter")
    return client.get(hub.url + "/fhir/MeasureReport", params={"subject": "KOR", **params})


def fhir_cases(answer) -> list[float]:
    bundle = answer.json()
    return [
        p["count"]
        for e in bundle.get("entry", [])
        for g in e["resource"]["group"]
        for p in g["population"]
        if any(c["code"] == "new_cases" for c in p["code"]["coding"])
    ]


def test_dhis2_reads_as_of(hub):
    for params, want in (({"asOf": BEFORE}, OLD), ({}, NEW), ({"asOf": "2030-01-01"}, NEW)):
        answer = dhis2(hub, **params)
        assert answer.status_code == 200, answer.text
        got = [float(v["value"]) for v in answer.json()["dataValues"] if v["dataElement"] == CASES]
        assert got == [want], (params, got)
    assert dhis2(hub, asOf="2026-02-28").json().get("dataValues", []) == []
    csv = hub.client("KOR", "reporter").get(
        hub.url + "/dhis2/api/dataValueSets.csv",
        params={"dataSet": DS, "orgUnit": KR, "startDate": DAY, "endDate": DAY, "asOf": BEFORE},
    )
    assert csv.status_code == 200 and csv.text.splitlines()[1].split(",")[-1] in ("5", '"5"')


@pytest.mark.parametrize("bad", BAD)
def test_dhis2_refuses_a_bad_as_of_as_a_web_message_naming_it(hub, bad):
    answer = dhis2(hub, asOf=bad)
    assert answer.status_code == 409, answer.text
    body = answer.json()
    assert body["httpStatusCode"] == 409 and body["status"] == "ERROR"
    assert "asOf" in body["message"]


def test_fhir_search_as_of(hub):
    for params, want in (({"as-of": BEFORE}, OLD), ({}, NEW)):
        answer = fhir(hub, **params)
        assert answer.status_code == 200, answer.text
        assert fhir_cases(answer) == [want], params
    assert fhir_cases(fhir(hub, **{"as-of": "2026-02-28"})) == []
    stated = hub.client("KOR", "reporter").get(hub.url + "/fhir/metadata").json()
    names = [p["name"] for p in stated["rest"][0]["resource"][0]["searchParam"]]
    assert "as-of" in names


@pytest.mark.parametrize("bad", BAD)
def test_fhir_refuses_a_bad_as_of_as_an_operation_outcome_naming_it(hub, bad):
    answer = fhir(hub, **{"as-of": bad})
    assert answer.status_code == 422, answer.text
    body = answer.json()
    assert body["resourceType"] == "OperationOutcome"
    assert "as-of" in body["issue"][0]["diagnostics"]


def cells(page: str, table_id: str, first: str) -> list[str]:
    """The cells of the row of a page's table whose text contains `first`."""
    table = page.split(f'id="{table_id}"')[1].split("</table>")[0]
    for row in table.split("<tr")[1:]:
        texts = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td.*?</td>", row, re.S)]
        if any(first == t for t in texts):
            return texts
    raise AssertionError(f"no row {first} in {table_id}")


PAGES = [  # (path, viewer, table, row, column of the new cases)
    ("/dashboard/members/KOR", ("KOR", "analyst"), "reported-values", DAY, 1),
    ("/dashboard/members", ("KOR", "analyst"), "members", None, None),
    ("/dashboard/members/KOR/rt", ("KOR", "analyst"), None, None, None),
    ("/dashboard/shared", ("JPN", "analyst"), None, None, None),
    ("/dashboard/coordinator", ("WHO", "coordinator"), None, None, None),
    ("/dashboard/coordinator/risk", ("WHO", "coordinator"), "risk-inputs", None, None),
]


@pytest.mark.parametrize("path, viewer, table, row, column", PAGES)
def test_pages_show_values_as_known_on_a_date(hub, path, viewer, table, column, row):
    browser = sign_in(hub, hub.tokens[viewer])
    now, then = browser.get(path), browser.get(path, params={"as_of": BEFORE})
    assert now.status_code == then.status_code == 200, then.text[:300]
    assert 'id="as-of-form"' in now.text and 'id="as-known"' not in now.text
    assert f"Values as known on {BEFORE}" in then.text
    if table is None:
        return
    if row is None:  # a summary row of KOR: its 7-day cases
        old, new = cells(then.text, table, "KOR"), cells(now.text, table, "KOR")
        assert str(OLD) in old and str(NEW) in new and str(NEW) not in old, (old, new)
        return
    assert cells(then.text, table, row)[column] == str(OLD)
    assert cells(now.text, table, row)[column] == str(NEW)


@pytest.mark.parametrize("bad", BAD)
def test_a_page_refuses_a_bad_as_of_naming_it(hub, bad):
    browser = sign_in(hub, hub.tokens[("KOR", "analyst")])
    answer = browser.get("/dashboard/members/KOR", params={"as_of": bad})
    assert answer.status_code == 422 and "as_of" in answer.text
