"""The DHIS2 Web API subset driven by a real DHIS2 client, `dhis2.py` 2.3.0 (MIT), against
`epicommons serve` on loopback: import, dry run, update, delete, read back, DHIS2's documented
payloads, authentication, and the authorization matrix of the new endpoints.

Expected dates come from the ISO 8601 calendar, not from the code under test: 2026W45 starts on
Monday 2026-11-02 (1 January 2026 is a Thursday, so week 1 starts on 2025-12-29, and 44 weeks
later is 2026-11-02); 2014W1 starts on 2013-12-30.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

import httpx
import pytest
from dhis2 import Api
from dhis2.exceptions import RequestException
from sqlalchemy import func, select

from epicommons.cli import main
from epicommons.hub import admin
from epicommons.hub.mapping_store import import_mapping
from epicommons.hub.models import AuditEntry, ReportValue
from test_hub_mapping import MAPPING
from test_hub_support import ROLES, backend_params, running_hub

DS, KR, JP = "pBOMPrpg1QX", "DiszpKrYNg8", "ImspTQPwCqd"
CASES, DEATHS, MASKS = "f7n9E0hX8qk", "eY5ehpbEsB7", "s46m5MS0hxu"
DEFAULT_COC = "HllvX50cXC0"


@pytest.fixture(scope="module", params=backend_params())
def hub(request, tmp_path_factory):
    for hub in running_hub(request.param, tmp_path_factory.mktemp("dhis2")):
        import_mapping(hub.db, MAPPING, "test mapping")
        yield hub


def client(hub, member: str = "KOR", role: str = "reporter") -> Api:
    """The DHIS2 client as a data officer would make it: server, user name, password."""
    return Api(hub.url + "/dhis2", member, hub.tokens[(member, role)])


def stored(hub) -> int:
    with hub.db.read() as s:
        return s.scalar(select(func.count()).select_from(ReportValue))


def values_of(hub, member: str = "KOR") -> dict[tuple[str, str], float]:
    """What the native API shows: /api/v1/values."""
    rows = hub.client(member, "reporter").get("/values", params={"member": member}).json()
    return {(r["date"], r["indicator"]): r["value"] for r in rows}


def refused(call: Callable[[], object]) -> RequestException:
    with pytest.raises(RequestException) as err:
        call()
    return err.value


def week(period: str, org_unit: str, **elements: str) -> dict:
    return {
        "dataSet": DS,
        "period": period,
        "orgUnit": org_unit,
        "dataValues": [{"dataElement": de, "value": v} for de, v in elements.items()],
    }


def test_the_client_reads_system_info_and_me(hub):
    api = client(hub)
    assert api.version_int == 40  # dhis2.py parses "2.40.0" from /system/info
    me = api.get("me").json()
    assert me["username"] == "KOR"
    assert [u["id"] for u in me["organisationUnits"]] == [KR]
    assert "F_DATAVALUE_ADD" in me["authorities"]
    assert "F_DATAVALUE_ADD" not in client(hub, "KOR", "analyst").get("me").json()["authorities"]


def test_metadata_resolves_codes(hub):
    api = client(hub)
    ds = api.get(f"dataSets/{DS}").json()
    assert ds["periodType"] == "Weekly"
    assert {e["dataElement"]["id"] for e in ds["dataSetElements"]} == {CASES, DEATHS, MASKS}
    found = api.get("dataElements", params={"filter": "code:eq:DEATHS", "paging": "false"})
    assert [e["id"] for e in found.json()["dataElements"]] == [DEATHS]
    units = api.get("organisationUnits", params={"filter": "code:in:[KR,JP]"}).json()
    assert {u["id"]: u["member"] for u in units["organisationUnits"]} == {KR: "KOR", JP: "JPN"}
    assert units["pager"]["total"] == 2
    assert refused(lambda: api.get("dataSets/aaaaaaaaaaa")).code == 404


def test_import_dry_run_update_delete_and_read_back(hub):
    api = client(hub)
    before = stored(hub)
    doc = week("2026W45", KR, **{CASES: "40", DEATHS: "2"})
    dry = api.post("dataValueSets", json=doc, params={"dryRun": "true"}).json()
    assert dry["status"] == "OK" and dry["httpStatusCode"] == 200
    assert dry["response"]["importCount"] == {
        "imported": 2,
        "updated": 0,
        "ignored": 0,
        "deleted": 0,
    }
    assert dry["response"]["importOptions"]["dryRun"] is True
    assert stored(hub) == before

    first = api.post("dataValueSets", json=doc).json()["response"]
    assert first["status"] == "SUCCESS" and first["conflicts"] == []
    assert first["importCount"]["imported"] == 2 and first["dataSetComplete"] == "false"
    assert stored(hub) == before + 2
    assert values_of(hub)[("2026-11-02", "new_cases")] == 40  # the week's first day
    again = api.post("dataValueSets", json=doc).json()["response"]["importCount"]
    assert (again["imported"], again["ignored"]) == (0, 2)

    changed = week("2026W45", KR, **{CASES: "41", DEATHS: "2"})
    upd = api.post("dataValueSets", json=changed).json()["response"]["importCount"]
    assert (upd["imported"], upd["updated"], upd["ignored"]) == (0, 1, 1)

    back = api.get("dataValueSets", params={"dataSet": DS, "period": "2026W45", "orgUnit": KR})
    got = {
        (v["dataElement"], v["period"], v["orgUnit"], v["value"]) for v in back.json()["dataValues"]
    }
    assert got == {(CASES, "2026W45", KR, "41"), (DEATHS, "2026W45", KR, "2")}
    assert {v["categoryOptionCombo"] for v in back.json()["dataValues"]} == {DEFAULT_COC}

    gone = api.post(
        "dataValueSets",
        json={"dataValues": [{"dataElement": DEATHS, "period": "2026W45", "orgUnit": KR}]},
        params={"importStrategy": "DELETE"},
    ).json()["response"]["importCount"]
    assert gone == {"imported": 0, "updated": 0, "ignored": 0, "deleted": 1}
    assert ("2026-11-02", "new_deaths") not in values_of(hub)
    assert stored(hub) == before + 1
    with hub.db.read() as s:
        assert s.scalar(select(func.count()).where(AuditEntry.action == "delete")) == 1
    back = api.get("dataValueSets", params={"dataSet": DS, "period": "2026W45", "orgUnit": KR})
    assert [v["dataElement"] for v in back.json()["dataValues"]] == [CASES]


def test_create_and_update_strategies_refuse_what_they_do_not_do(hub):
    api = client(hub)
    api.post("dataValueSets", json=week("2026W40", KR, **{CASES: "10"}))
    before = stored(hub)
    err = refused(
        lambda: api.post(
            "dataValueSets",
            json=week("2026W40", KR, **{CASES: "11"}),
            params={"importStrategy": "CREATE"},
        )
    )
    assert err.code == 409 and "CREATE does not replace" in err.description
    err = refused(
        lambda: api.post(
            "dataValueSets",
            json=week("2026W41", KR, **{CASES: "11"}),
            params={"importStrategy": "UPDATE"},
        )
    )
    assert err.code == 409 and "UPDATE does not add" in err.description
    assert stored(hub) == before
    assert values_of(hub)[("2026-09-28", "new_cases")] == 10  # 2026W40 starts on 28 September


def test_the_api_token_header_and_basic_auth_map_to_hub_tokens(hub):
    token = hub.tokens[("KOR", "reporter")]
    info = hub.url + "/dhis2/api/system/info"
    assert httpx.get(info, headers={"Authorization": f"ApiToken {token}"}).status_code == 200
    assert httpx.get(info, auth=("KOR", token)).status_code == 200
    wrong_user = httpx.get(info, auth=("JPN", token))
    assert wrong_user.status_code == 401 and wrong_user.json()["status"] == "ERROR"
    issued = admin.issue_token(hub.db, "KOR", "reporter")
    assert httpx.get(info, auth=("KOR", issued.token)).status_code == 200
    admin.revoke_token(hub.db, str(issued.id))
    revoked = httpx.get(info, headers={"Authorization": f"ApiToken {issued.token}"})
    assert revoked.status_code == 401 and "revoked" in revoked.json()["message"]
    assert revoked.headers["www-authenticate"].startswith("Basic")


@pytest.fixture(params=backend_params())
def unmapped_hub(request, tmp_path):
    """A hub of its own, serving the built-in mapping until a test imports one."""
    yield from running_hub(request.param, tmp_path)


def test_a_mapping_imported_by_another_process_is_in_force_at_the_next_request(
    unmapped_hub, tmp_path
):
    """The server keeps the parsed mapping; `hub mapping import`, run here while the server
    runs in its own process, is what the server's next import and reads use."""
    hub = unmapped_hub
    api = client(hub)
    assert api.get("dataSets").json()["dataSets"][0]["code"] == "AGG_WEEKLY_SURV"  # default
    first = tmp_path / "first.toml"
    first.write_text(MAPPING)
    assert main(["hub", "mapping", "import", str(first), "--db", hub.db.url]) == 0
    doc = week("2026W45", KR, **{CASES: "40"})
    assert api.post("dataValueSets", json=doc).json()["response"]["importCount"]["imported"] == 1

    new_ds, new_cases = "Qx1NewDsUid", "Qx1CasesUid"
    second = tmp_path / "second.toml"
    second.write_text(MAPPING.replace(DS, new_ds).replace(CASES, new_cases))
    assert main(["hub", "mapping", "import", str(second), "--db", hub.db.url]) == 0
    err = refused(lambda: api.post("dataValueSets", json=doc))
    assert err.code == 409 and f"data set {DS} is not this hub's data set {new_ds}" in (
        err.description
    )
    old = {"dataValues": [{**doc["dataValues"][0], "period": "2026W46", "orgUnit": KR}]}
    answer = json.loads(refused(lambda: api.post("dataValueSets", json=old)).description)
    assert answer["response"]["conflicts"][0]["value"] == f"data element {CASES} is not mapped"
    assert stored(hub) == 1
    new = week("2026W46", KR, **{new_cases: "41"}) | {"dataSet": new_ds}
    assert api.post("dataValueSets", json=new).json()["response"]["importCount"]["imported"] == 1
    assert values_of(hub)[("2026-11-09", "new_cases")] == 41  # 2026W46 starts on 9 November
    assert api.get(f"dataSets/{new_ds}").json()["id"] == new_ds
    assert refused(lambda: api.get(f"dataSets/{DS}")).code == 404


# --- DHIS2's documented example payloads, typed in from the DHIS2 developer manual:
# https://docs.dhis2.org/en/develop/using-the-api/dhis-core-version-master/data.html
# (source: github.com/dhis2/dhis2-docs, src/developer/web-api/data.md, commit 06b3727).

DOCS_JSON = {  # "Sending data values", the Mortality < 5 years example in JSON
    "dataSet": "pBOMPrpg1QX",
    "completeDate": "2014-02-03",
    "period": "201401",
    "orgUnit": "DiszpKrYNg8",
    "dataValues": [
        {"dataElement": "f7n9E0hX8qk", "value": "1"},
        {"dataElement": "Ix2HsbDMLea", "value": "2"},
        {"dataElement": "eY5ehpbEsB7", "value": "3"},
    ],
}
DOCS_BULK_JSON = {  # "Sending bulks of data values", in JSON
    "dataValues": [
        {"dataElement": "f7n9E0hX8qk", "period": "201401", "orgUnit": "DiszpKrYNg8", "value": "12"},
        {"dataElement": "f7n9E0hX8qk", "period": "201401", "orgUnit": "FNnj3jKGS7i", "value": "14"},
        {"dataElement": "f7n9E0hX8qk", "period": "201402", "orgUnit": "DiszpKrYNg8", "value": "16"},
        {"dataElement": "f7n9E0hX8qk", "period": "201402", "orgUnit": "Jkhdsf8sdf4", "value": "18"},
    ]
}
DOCS_BULK_CSV = (  # "Sending bulks of data values", in CSV
    '"dataelement","period","orgunit","categoryoptioncombo","attributeoptioncombo","value"\n'
    '"f7n9E0hX8qk","201401","DiszpKrYNg8","bRowv6yZOF2","bRowv6yZOF2","1"\n'
    '"Ix2HsbDMLea","201401","DiszpKrYNg8","bRowv6yZOF2","bRowv6yZOF2","2"\n'
    '"eY5ehpbEsB7","201401","DiszpKrYNg8","bRowv6yZOF2","bRowv6yZOF2","3"\n'
)
DOCS_ADX = """<adx xmlns="urn:ihe:qrph:adx:2015" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
  xsi:schemaLocation="urn:ihe:qrph:adx:2015 ../schema/adx_loose.xsd"
  exported="2015-02-08T19:30:00Z">
  <group orgUnit="OU_559" period="2015-06-01/P1M"
    completeDate="2015-07-01" dataSet="(TB/HIV)VCCT">
    <dataValue dataElement="VCCT_0" GENDER="FMLE" HIV_AGE="AGE0-14" value="32"/>
    <dataValue dataElement="VCCT_1" GENDER="FMLE" HIV_AGE="AGE0-14" value="20"/>
    <dataValue dataElement="VCCT_2" GENDER="FMLE" HIV_AGE="AGE0-14" value="10"/>
    <dataValue dataElement="PLHIV_TB_0" GENDER="FMLE" HIV_AGE="AGE0-14" value="10"/>
    <dataValue dataElement="PLHIV_TB_1" GENDER="FMLE" HIV_AGE="AGE0-14" value="10"/>
  </group>
</adx>"""  # the first five of the example's twenty values (the rest repeat the pattern)


def conflicts_of(err: RequestException) -> list[dict]:
    return json.loads(err.description)["response"]["conflicts"]


def test_documented_json_example(hub):
    api = client(hub)
    err = refused(lambda: api.post("dataValueSets", json=DOCS_JSON))
    summary = json.loads(err.description)["response"]
    # Dysentery is not mapped; Measles (new_cases here) 1 and Cholera (new_deaths here) 3 on
    # 2014-01-01 break the hub's rule that deaths do not exceed cases: the native import refuses
    # both rows of such a pair, and so does this one.
    assert summary["importCount"] == {"imported": 0, "updated": 0, "ignored": 3, "deleted": 0}
    by_index = {c["indexes"][0]: c for c in summary["conflicts"]}
    assert by_index[1]["object"] == "Ix2HsbDMLea" and by_index[1]["errorCode"] == "E7610"
    for i in (0, 2):
        assert "new_deaths (3) above new_cases (1)" in by_index[i]["value"]
    assert ("2014-01-01", "new_cases") not in values_of(hub)
    fixed = {**DOCS_JSON, "dataValues": DOCS_JSON["dataValues"][:2]}  # without Cholera
    err = refused(lambda: api.post("dataValueSets", json=fixed))
    assert json.loads(err.description)["response"]["importCount"]["imported"] == 1
    assert values_of(hub)[("2014-01-01", "new_cases")] == 1


def test_documented_bulk_json_example(hub):
    err = refused(lambda: client(hub).post("dataValueSets", json=DOCS_BULK_JSON))
    summary = json.loads(err.description)["response"]
    assert summary["status"] == "WARNING"
    assert summary["importCount"]["imported"] + summary["importCount"]["updated"] == 2
    assert {(c["object"], c["errorCode"]) for c in summary["conflicts"]} == {
        ("FNnj3jKGS7i", "E7612"),
        ("Jkhdsf8sdf4", "E7612"),
    }
    assert summary["rejectedIndexes"] == [1, 3]
    assert values_of(hub)[("2014-02-01", "new_cases")] == 16


def test_documented_csv_example_is_refused_by_combo_not_dropped(hub):
    api = client(hub)
    before = stored(hub)
    response = api.session.post(
        api.api_url + "/dataValueSets",
        data=DOCS_BULK_CSV.encode(),
        headers={"Content-Type": "application/csv"},
    )
    assert response.status_code == 409
    conflicts = response.json()["response"]["conflicts"]
    assert [(c["property"], c["indexes"]) for c in conflicts] == [
        ("categoryOptionCombo", [0]),
        ("dataElement", [1]),
        ("categoryOptionCombo", [2]),
    ]
    assert stored(hub) == before


def test_csv_with_the_default_combo_is_stored(hub):
    api = client(hub)
    body = (
        "dataelement,period,orgunit,catoptcombo,attroptcombo,value,storedby,lastupdated,comment\n"
        f"{CASES},20261110,{KR},{DEFAULT_COC},,7,officer,2026-11-10,first count\n"
        f"{MASKS},20261110,{KR},Prlt0C1RF0s,,2500,officer,2026-11-10,\n"
    )
    response = api.session.post(
        api.api_url + "/dataValueSets", data=body.encode(), headers={"Content-Type": "text/csv"}
    )
    assert response.status_code == 200, response.text
    assert response.json()["response"]["importCount"]["imported"] == 2
    assert values_of(hub)[("2026-11-10", "new_cases")] == 7
    csv_back = api.get(
        "dataValueSets",
        file_type="csv",
        params={"dataSet": DS, "period": "20261110", "orgUnit": KR},
    ).text.splitlines()
    assert csv_back[0] == "dataelement,period,orgunit,catoptcombo,attroptcombo,value"
    assert f"{CASES},20261110,{KR},{DEFAULT_COC},{DEFAULT_COC},7" in csv_back
    assert f"{MASKS},20261110,{KR},Prlt0C1RF0s,{DEFAULT_COC},2500" in csv_back


def test_documented_adx_example_disaggregation_is_refused(hub):
    adx_mapping = (
        MAPPING.replace('code = "EPI_WEEKLY"', 'code = "(TB/HIV)VCCT"')
        .replace('code = "CASES"', 'code = "VCCT_0"')
        .replace('code = "KR"', 'code = "OU_559"')
    )
    import_mapping(hub.db, adx_mapping, "adx mapping")
    try:
        api = client(hub)
        before = stored(hub)
        response = api.session.post(
            api.api_url + "/dataValueSets",
            data=DOCS_ADX.encode(),
            headers={"Content-Type": "application/adx+xml"},
        )
        assert response.status_code == 409
        summary = response.json()["response"]
        assert summary["importOptions"]["idSchemes"]["dataElementIdScheme"] == {"type": "CODE"}
        assert len(summary["conflicts"]) == 5
        assert summary["conflicts"][0]["property"] == "GENDER"  # VCCT_0 is mapped: its split is not
        assert stored(hub) == before
        total = DOCS_ADX.replace(' GENDER="FMLE" HIV_AGE="AGE0-14" value="32"', ' value="32"')
        response = api.session.post(
            api.api_url + "/dataValueSets",
            data=total.encode(),
            headers={"Content-Type": "application/adx+xml"},
        )
        assert response.json()["response"]["importCount"]["imported"] == 1
        assert values_of(hub)[("2015-06-01", "new_cases")] == 32
        adx = api.session.get(  # as DHIS2's manual exports ADX: by the Accept header
            api.api_url + "/dataValueSets",
            params={"dataSet": "(TB/HIV)VCCT", "period": "201506", "orgUnit": "OU_559"},
            headers={"Accept": "application/adx+xml"},
        )
        assert adx.headers["content-type"].startswith("application/adx+xml")
        assert 'period="2015-06-01/P1M"' in adx.text and 'dataElement="VCCT_0"' in adx.text
    finally:
        import_mapping(hub.db, MAPPING, "test mapping")


@pytest.mark.parametrize(
    ("body", "ctype", "status", "says"),
    [
        (b'{"dataValues": [', "application/json", 400, "not strict JSON"),
        (b'{"dataValues": {}}', "application/json", 422, "dataValues"),
        (b"<dataValueSet/>", "application/xml", 415, "DXF2 XML is not supported"),
        (b'<!DOCTYPE x [<!ENTITY a "b">]><adx/>', "application/adx+xml", 400, "document type"),
        (b"\xff\xfe", "application/csv", 400, "UTF-8"),
    ],
)
def test_bad_input_is_a_web_message_and_writes_nothing(hub, body, ctype, status, says):
    before = hub.counts()
    response = httpx.post(
        hub.url + "/dhis2/api/dataValueSets",
        content=body,
        headers={"Content-Type": ctype},
        auth=("KOR", hub.tokens[("KOR", "reporter")]),
    )
    assert response.status_code == status, response.text
    message = response.json()
    assert message["status"] == "ERROR" and message["httpStatusCode"] == status
    assert says in message["message"]
    assert hub.counts() == before


def test_same_path_as_native_imports_idempotency_audit_and_limits(hub):
    api = client(hub)
    doc = week("2026W39", KR, **{CASES: "8"})
    key = {"Idempotency-Key": "dhis2-week-39"}
    with hub.db.read() as s:
        audits = s.scalar(select(func.count()).where(AuditEntry.action == "import"))
    first = api.session.post(api.api_url + "/dataValueSets", json=doc, headers=key).json()
    assert first["response"]["importCount"]["imported"] == 1
    replay = api.session.post(api.api_url + "/dataValueSets", json=doc, headers=key).json()
    assert replay["response"]["importCount"]["imported"] == 1  # the stored summary, replayed
    other = {**doc, "dataValues": [{"dataElement": CASES, "value": "9"}]}
    clash = api.session.post(api.api_url + "/dataValueSets", json=other, headers=key)
    assert clash.status_code == 409 and clash.json()["status"] == "ERROR"
    assert values_of(hub)[("2026-09-21", "new_cases")] == 8
    with hub.db.read() as s:  # one audit row, by the token, for the one import that wrote
        assert s.scalar(select(func.count()).where(AuditEntry.action == "import")) == audits + 1
    too_many = {
        "dataValues": [{"dataElement": CASES, "period": "20260101", "orgUnit": KR}] * 10_001
    }
    big = api.session.post(api.api_url + "/dataValueSets", json=too_many)
    assert big.status_code == 413 and big.json()["status"] == "ERROR"


def test_an_unsupported_id_scheme_is_refused(hub):
    err = refused(
        lambda: client(hub).post(
            "dataValueSets", json=week("2026W44", KR, **{CASES: "1"}), params={"idScheme": "NAME"}
        )
    )
    assert err.code == 409 and "use UID or CODE" in err.description


def test_attribute_option_combo_is_mapped_or_refused(hub):
    doc = week("2026W43", KR, **{CASES: "5"})
    doc["attributeOptionCombo"] = "bRowv6yZOF2"
    err = refused(lambda: client(hub).post("dataValueSets", json=doc))
    assert conflicts_of(err)[0]["property"] == "attributeOptionCombo"
    doc["attributeOptionCombo"] = DEFAULT_COC
    assert client(hub).post("dataValueSets", json=doc).json()["status"] == "OK"


# --- the authorization matrix of the DHIS2 endpoints (callers are KOR's tokens)


@dataclass
class Endpoint:
    name: str
    kind: str  # write | read | public
    call: Callable[[httpx.Client, str], httpx.Response]


UNIT = {"KOR": KR, "JPN": JP}
ENDPOINTS = [
    Endpoint(
        "POST /dataValueSets",
        "write",
        lambda c, t: c.post("/dataValueSets", json=week("2026W30", UNIT[t], **{CASES: "3"})),
    ),
    Endpoint(
        "GET /dataValueSets",
        "read",
        lambda c, t: c.get(
            "/dataValueSets", params={"dataSet": DS, "period": "2026W45", "orgUnit": UNIT[t]}
        ),
    ),
    Endpoint("GET /system/info", "public", lambda c, t: c.get("/system/info")),
    Endpoint("GET /me", "public", lambda c, t: c.get("/me")),
    Endpoint("GET /dataSets", "public", lambda c, t: c.get("/dataSets")),
    Endpoint("GET /dataSets/{id}", "public", lambda c, t: c.get(f"/dataSets/{DS}")),
    Endpoint("GET /dataElements", "public", lambda c, t: c.get("/dataElements")),
    Endpoint("GET /organisationUnits", "public", lambda c, t: c.get("/organisationUnits")),
]


def allowed(kind: str, role: str, own: bool) -> bool:
    """The hub's access rules (issue 7), written independently of the code."""
    if kind == "public":
        return True
    if kind == "write":
        return role == "reporter" and own
    return own or role == "coordinator"


@pytest.mark.slow
def test_dhis2_authorization_matrix(hub):
    jpn = client(hub, "JPN")
    jpn.post("dataValueSets", json=week("2026W45", JP, **{CASES: "900"}))
    failures, cells = [], 0
    for endpoint in ENDPOINTS:
        for role in ROLES:
            for target in ("KOR", "JPN"):
                cells += 1
                own = target == "KOR"
                c = httpx.Client(
                    base_url=hub.url + "/dhis2/api",
                    auth=("KOR", hub.tokens[("KOR", role)]),
                    timeout=60,
                )
                before = hub.counts()
                response = endpoint.call(c, target)
                after = hub.counts()
                cell = f"{endpoint.name} {role} {target}"
                ok = allowed(endpoint.kind, role, own)
                if ok and response.status_code != 200:
                    failures.append(f"{cell}: refused {response.status_code} {response.text}")
                if not ok:
                    body = response.json()
                    if response.status_code not in (403, 409) or body.get("status") == "OK":
                        failures.append(f"{cell}: answered {response.status_code}")
                    if after != before:
                        failures.append(f"{cell}: wrote {before} -> {after}")
                    if "900" in response.text:
                        failures.append(f"{cell}: disclosed JPN's value")
                if endpoint.kind != "write":
                    assert after == before, f"{cell}: a read wrote"
                anonymous = httpx.Client(base_url=hub.url + "/dhis2/api", timeout=60)
                if endpoint.call(anonymous, target).status_code != 401:
                    failures.append(f"{cell}: no token was not 401")
    assert not failures, "\n".join(failures)
    assert cells == len(ENDPOINTS) * 3 * 2


def test_a_range_read_shows_each_date_by_the_period_rule(hub):
    api = client(hub)
    api.post("dataValueSets", json=week("2026W36", KR, **{CASES: "30"}))  # Monday 2026-08-31
    day = {
        "dataValues": [{"dataElement": CASES, "period": "20260902", "orgUnit": KR, "value": "4"}]
    }
    api.post("dataValueSets", json=day)  # a Wednesday: not the first day of a week
    back = api.get(
        "dataValueSets",
        params={"dataSet": DS, "startDate": "2026-08-31", "endDate": "2026-09-06", "orgUnit": KR},
    ).json()["dataValues"]
    assert {(v["period"], v["value"]) for v in back if v["dataElement"] == CASES} == {
        ("2026W36", "30"),
        ("20260902", "4"),
    }


def test_a_partner_granted_reports_reads_through_dhis2(hub):
    client(hub).post("dataValueSets", json=week("2026W46", KR, **{CASES: "46"}))
    params = {"dataSet": DS, "period": "2026W46", "orgUnit": KR}
    chn = client(hub, "CHN", "analyst")
    assert refused(lambda: chn.get("dataValueSets", params=params)).code == 409
    kor = hub.client("KOR", "reporter")
    grant = kor.post("/members/KOR/grants", json={"grantee_member": "CHN", "scope": "reports"})
    assert grant.status_code == 201
    try:
        got = chn.get("dataValueSets", params=params).json()["dataValues"]
        assert [(v["dataElement"], v["value"]) for v in got] == [(CASES, "46")]
    finally:
        assert kor.delete(f"/members/KOR/grants/{grant.json()['id']}").status_code == 204
