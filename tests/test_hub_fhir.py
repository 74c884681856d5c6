"""FHIR R4 MeasureReport over HTTP: `fhir.resources` objects serialised as a FHIR server receives
them, POSTed to a real hub (uvicorn on loopback, SQLite and PostgreSQL); SANER's own example;
batch and transaction Bundles; refusals as OperationOutcome that write nothing; and the round
trip: posted → `GET /fhir/MeasureReport` gives the same counts → they are in `/api/v1/values`."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from fhir.resources.R4B.bundle import Bundle, BundleEntry, BundleEntryRequest
from fhir.resources.R4B.capabilitystatement import CapabilityStatement
from fhir.resources.R4B.codeableconcept import CodeableConcept
from fhir.resources.R4B.coding import Coding
from fhir.resources.R4B.identifier import Identifier
from fhir.resources.R4B.measurereport import (
    MeasureReport,
    MeasureReportGroup,
    MeasureReportGroupPopulation,
)
from fhir.resources.R4B.operationoutcome import OperationOutcome
from fhir.resources.R4B.period import Period
from fhir.resources.R4B.reference import Reference

from epicommons.hub.mapping import default_text
from epicommons.hub.mapping_store import import_mapping
from test_hub_support import backend_params, running_hub

FHIR = "application/fhir+json"
HUB = "urn:epicommons:indicator"
ISO = "urn:iso:std:iso:3166"
SANER_VALUES = "http://hl7.org/fhir/uv/saner/CodeSystem/MeasuredValues"
NJ = (
    Path(__file__).parent
    / "fixtures"
    / "saner"
    / "MeasureReport-ExampleNJ-20200404-CDCPatientImpactAndHospitalCapacity.json"
)
SUBJECTS = """
[[fhir.subjects]]
system = "https://www.census.gov/geographies"
value = "34"
member = "CHN"
"""


@pytest.fixture(scope="module", params=backend_params())
def hub(request, tmp_path_factory):
    for running in running_hub(request.param, tmp_path_factory.mktemp("fhir")):
        import_mapping(running.db, default_text() + SUBJECTS, "test mapping")
        yield running


def fhir_client(hub, member: str, role: str) -> httpx.Client:
    return httpx.Client(
        base_url=hub.url,
        headers={"Authorization": f"Bearer {hub.tokens[(member, role)]}", "Content-Type": FHIR},
        timeout=60,
    )


def report(member: str, day: str, counts: dict[str, int]) -> MeasureReport:
    """A summary MeasureReport built with the R4B model classes, in the hub's code system."""
    return MeasureReport(
        status="complete",
        type="summary",
        measure="urn:epicommons:measure:indicators",
        subject=Reference(identifier=Identifier(system=ISO, value=member)),
        period=Period(start=f"{day}T00:00:00+09:00", end=f"{day}T23:59:59+09:00"),
        group=[
            MeasureReportGroup(
                population=[
                    MeasureReportGroupPopulation(
                        code=CodeableConcept(coding=[Coding(system=HUB, code=code)]), count=n
                    )
                    for code, n in counts.items()
                ]
            )
        ],
    )


def bundle(kind: str, *reports: MeasureReport) -> str:
    entries = [
        BundleEntry(resource=r, request=BundleEntryRequest(method="POST", url="MeasureReport"))
        for r in reports
    ]
    return Bundle(type=kind, entry=entries).model_dump_json()


def outcome_of(response: httpx.Response) -> OperationOutcome:
    assert response.headers["content-type"] == FHIR, response.text
    return OperationOutcome.model_validate_json(response.content)


def counts(doc: Bundle) -> dict[tuple[str, str, str], int]:
    """(member, date, hub code) → count, from a searchset Bundle."""
    out = {}
    for e in doc.entry or []:
        r = e.resource
        if r.get_resource_type() != "MeasureReport":
            continue
        for g in r.group:
            for p in g.population:
                code = next(c.code for c in p.code.coding if c.system == HUB)
                out[(r.subject.display, str(r.period.start), code)] = p.count
    return out


def search(client: httpx.Client, **params) -> Bundle:
    response = client.get("/fhir/MeasureReport", params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == FHIR
    return Bundle.model_validate_json(response.content)


def test_saner_example_is_stored_read_back_and_listed(hub):
    chn = fhir_client(hub, "CHN", "reporter")
    response = chn.post("/fhir/MeasureReport", content=NJ.read_bytes())
    assert response.status_code == 200, response.text
    issues = outcome_of(response).issue
    assert issues[0].diagnostics.startswith("imported 1, updated 0, ignored 0")
    assert sum(i.severity == "warning" for i in issues) == 14  # its 14 values the hub has not
    found = search(chn, subject="CHN", period="2020-04-04")
    assert found.total == 1
    got = found.entry[0].resource
    assert got.measure == "http://hl7.org/fhir/uv/saner/Measure/CDCPatientImpactAndHospitalCapacity"
    assert got.subject.identifier.system == "https://www.census.gov/geographies"
    assert got.subject.identifier.value == "34"  # named as the mapping names it
    by_identifier = search(
        chn, **{"subject:identifier": "https://www.census.gov/geographies|34", "period": "2020-04"}
    )
    assert counts(by_identifier) == counts(found)
    nobody = {"subject:identifier": "https://www.census.gov/geographies|35"}
    assert search(chn, **nobody).total == 0
    population = got.group[0].population[0]
    assert (population.code.coding[0].system, population.code.coding[0].code) == (
        SANER_VALUES,
        "numC19HospPats",
    )
    assert population.count == 4000
    values = hub.client("CHN", "analyst").get(
        "/values", params={"member": "CHN", "start": "2020-04-04", "end": "2020-04-04"}
    )
    assert [(v["indicator"], v["value"]) for v in values.json()] == [("hospital_occupancy", 4000)]


def test_round_trip_of_fhir_resources_objects(hub):
    kor = fhir_client(hub, "KOR", "reporter")
    sent = {
        "2026-09-01": {"new_cases": 120, "new_deaths": 4, "stock:masks": 5000},
        "2026-09-02": {"new_cases": 95, "new_deaths": 2},
        "2026-09-03": {"new_cases": 101, "tests": 2400},
    }
    first = report("KOR", "2026-09-01", sent["2026-09-01"]).model_dump_json()
    response = kor.post("/fhir/MeasureReport", content=first)
    assert response.status_code == 200, response.text
    assert outcome_of(response).issue[0].diagnostics.startswith("imported 3,")
    rest = bundle("transaction", *(report("KOR", d, sent[d]) for d in ("2026-09-02", "2026-09-03")))
    response = kor.post("/fhir", content=rest)
    assert response.status_code == 200, response.text
    answer = Bundle.model_validate_json(response.content)
    assert answer.type == "transaction-response"
    assert [e.response.status for e in answer.entry] == ["200 OK", "200 OK"]
    assert "imported 4," in answer.entry[0].response.outcome.issue[0].diagnostics
    found = search(kor, subject="KOR", period=["ge2026-09-01", "le2026-09-03"])
    expected = {("KOR", d, code): n for d, c in sent.items() for code, n in c.items()}
    assert counts(found) == expected
    assert found.total == 4  # 2026-09-03's tests under the FEMA measure the mapping names
    values = hub.client("KOR", "reporter").get(
        "/values", params={"member": "KOR", "start": "2026-09-01", "end": "2026-09-03"}
    )
    listed = {
        (v["member"], v["date"], v["indicator"] + (f":{v['item']}" if v["item"] else "")): v[
            "value"
        ]
        for v in values.json()
    }
    assert listed == expected
    # What GET answers can be posted back as it is: the same values, nothing changes.
    again = bundle("batch", *(e.resource for e in found.entry))
    answer = Bundle.model_validate_json(kor.post("/fhir", content=again).content)
    assert all(e.response.status == "200 OK" for e in answer.entry)
    assert all(
        "imported 0, updated 0" in e.response.outcome.issue[0].diagnostics for e in answer.entry
    )


def test_a_batch_answers_each_entry_and_stores_the_good_ones(hub):
    kor = fhir_client(hub, "KOR", "reporter")
    good = report("KOR", "2026-08-10", {"new_cases": 7})
    foreign = report("JPN", "2026-08-10", {"new_cases": 7})
    negative = json.loads(report("KOR", "2026-08-11", {"new_cases": 1}).model_dump_json())
    negative["group"][0]["population"][0]["count"] = -5
    body = json.loads(bundle("batch", good, foreign))
    body["entry"].append(
        {"resource": negative, "request": {"method": "POST", "url": "MeasureReport"}}
    )
    before = hub.counts()
    response = kor.post("/fhir", json=body)
    assert response.status_code == 200, response.text
    answer = Bundle.model_validate_json(response.content)
    assert answer.type == "batch-response"
    assert [e.response.status for e in answer.entry] == [
        "200 OK",
        "403 Forbidden",
        "422 Unprocessable Entity",
    ]
    bad = answer.entry[2].response.outcome.issue[0]
    assert bad.expression == ["Bundle.entry[2].resource.group[0].population[0].count"]
    assert "negative" in bad.diagnostics
    after = hub.counts()
    assert after["report_values"] == before["report_values"] + 1
    found = search(kor, subject="KOR", period="2026-08")
    assert counts(found) == {("KOR", "2026-08-10", "new_cases"): 7}


def test_a_transaction_with_one_bad_entry_stores_nothing(hub):
    kor = fhir_client(hub, "KOR", "reporter")
    late = json.loads(report("KOR", "2026-07-02", {"new_cases": 3}).model_dump_json())
    late["group"][0]["population"][0]["count"] = "3"  # JSON text, not a number
    body = json.loads(bundle("transaction", report("KOR", "2026-07-01", {"new_cases": 3})))
    body["entry"].append({"resource": late, "request": {"method": "POST", "url": "MeasureReport"}})
    before = hub.counts()
    response = kor.post("/fhir", json=body)
    assert response.status_code == 422
    issue = outcome_of(response).issue[0]
    assert issue.expression == ["Bundle.entry[1].resource.group[0].population[0].count"]
    assert hub.counts() == before
    # Two entries giving one value twice are refused the same way.
    twice = bundle("transaction", *[report("KOR", "2026-07-01", {"new_cases": 3})] * 2)
    response = kor.post("/fhir", content=twice)
    assert response.status_code == 422
    assert outcome_of(response).issue[0].code == "duplicate"
    assert hub.counts() == before


def mr(**change) -> dict:
    doc = json.loads(
        report("KOR", "2026-06-01", {"new_cases": 5, "new_deaths": 1}).model_dump_json()
    )
    doc.update(change)
    return doc


def population(n: int, **change) -> dict:
    doc = mr()
    doc["group"][0]["population"][n].update(change)
    return doc


DEEP = {"url": "http://example.org/x", "valueString": "y"}
for _ in range(400):
    DEEP = {"url": "http://example.org/x", "extension": [DEEP]}
STRATIFIER = mr()
STRATIFIER["group"][0]["stratifier"] = [{"code": [{"text": "age"}]}]


@pytest.mark.parametrize(
    ("body", "status", "code", "where"),
    [
        (
            b'{"resourceType": "MeasureReport", "status": "complete", "status": "x"}',
            400,
            "structure",
            None,
        ),
        (b"{not json", 400, "structure", None),
        (mr(resourceType="Observation"), 400, "structure", "MeasureReport"),
        (mr(extra=1), 400, "structure", "MeasureReport.extra"),
        (mr(extension=[DEEP]), 400, "structure", "MeasureReport"),
        (mr(status="error"), 422, "not-supported", "MeasureReport.status"),
        (population(0, count=1.5), 400, "value", "MeasureReport.group[0].population[0].count"),
        (population(0, count="5"), 422, "value", "MeasureReport.group[0].population[0].count"),
        (population(0, count=-1), 422, "value", "MeasureReport.group[0].population[0].count"),
        (population(1, count=9), 422, "value", "MeasureReport.group[0].population[1].count"),
        (
            mr(period={"start": "2026-06-01", "end": "2026-06-07"}),
            422,
            "value",
            "MeasureReport.period",
        ),
        (mr(period={"start": "2200-01-01"}), 422, "value", "MeasureReport.period"),
        (STRATIFIER, 422, "not-supported", "MeasureReport.group[0].stratifier"),
        (
            mr(contained=[{"resourceType": "Organization", "id": "o"}]),
            422,
            "not-supported",
            "MeasureReport.contained",
        ),
        (
            mr(subject={"identifier": {"system": ISO, "value": "ZZZ"}}),
            422,
            "not-found",
            "MeasureReport.subject.identifier",
        ),
    ],
)
def test_bad_input_is_an_operation_outcome_and_writes_nothing(hub, body, status, code, where):
    kor = fhir_client(hub, "KOR", "reporter")
    before = hub.counts()
    if isinstance(body, bytes):
        response = kor.post("/fhir/MeasureReport", content=body)
    else:
        response = kor.post("/fhir/MeasureReport", json=body)
    assert response.status_code == status, response.text
    issue = outcome_of(response).issue[0]
    assert (issue.severity, issue.code) == ("error", code), response.text
    if where is not None:
        assert where in [e for i in outcome_of(response).issue for e in i.expression or []]
    assert issue.diagnostics
    assert hub.counts() == before


def test_a_client_learns_what_the_endpoint_does_from_its_capability_statement(hub):
    response = fhir_client(hub, "KOR", "analyst").get("/fhir/metadata")
    assert response.status_code == 200 and response.headers["content-type"] == FHIR
    statement = CapabilityStatement.model_validate_json(response.content)
    assert (statement.fhirVersion, statement.kind, statement.format) == (
        "4.0.1",
        "instance",
        ["json"],
    )
    assert statement.implementation.url == hub.url + "/fhir"
    (resource,) = statement.rest[0].resource
    assert resource.type == "MeasureReport"
    assert {p.name for p in resource.searchParam} == {"subject", "period", "as-of"}
    assert {i.code for i in statement.rest[0].interaction} == {"batch", "transaction"}


def test_media_type_size_and_route_refusals_are_operation_outcomes(hub):
    kor = fhir_client(hub, "KOR", "reporter")
    response = kor.post("/fhir/MeasureReport", content=b"x", headers={"Content-Type": "text/csv"})
    assert response.status_code == 415
    assert outcome_of(response).issue[0].code == "not-supported"
    response = kor.post("/fhir/MeasureReport", content=b"{" + b" " * 3_000_000 + b"}")
    assert response.status_code == 413
    assert outcome_of(response).issue[0].code == "too-long"
    assert outcome_of(kor.get("/fhir/Patient")).issue[0].code == "not-found"
    response = kor.get("/fhir/MeasureReport", params={"period": "2026-02-30"})
    assert response.status_code == 422 and outcome_of(response).issue[0].diagnostics
    response = kor.get("/fhir/MeasureReport", params={"_format": "xml"})
    assert response.status_code == 422 and "_format" in outcome_of(response).issue[0].diagnostics


def test_idempotency_key_replays_and_refuses_other_content(hub):
    kor = fhir_client(hub, "KOR", "reporter")
    body = report("KOR", "2026-05-01", {"new_cases": 40}).model_dump_json()
    key = {"Idempotency-Key": "fhir-may-1"}
    assert kor.post("/fhir/MeasureReport", content=body, headers=key).status_code == 200
    before = hub.counts()
    again = kor.post("/fhir/MeasureReport", content=body, headers=key)
    assert outcome_of(again).issue[0].diagnostics.startswith("replayed: imported 1")
    other = report("KOR", "2026-05-01", {"new_cases": 41}).model_dump_json()
    clash = kor.post("/fhir/MeasureReport", content=other, headers=key)
    assert clash.status_code == 409 and outcome_of(clash).issue[0].code == "conflict"
    assert hub.counts() == before


@pytest.fixture(scope="module")
def small_hub(tmp_path_factory):
    yield from running_hub("sqlite", tmp_path_factory.mktemp("fhir-small"), ["--max-rows", "3"])


def test_a_bundle_over_the_row_limit_is_refused_whole(small_hub):
    kor = fhir_client(small_hub, "KOR", "reporter")
    two = {"new_cases": 1, "tests": 9}
    body = bundle("batch", report("KOR", "2026-04-01", two), report("KOR", "2026-04-02", two))
    before = small_hub.counts()
    response = kor.post("/fhir", content=body)
    assert response.status_code == 413
    assert outcome_of(response).issue[0].code == "too-long"
    assert small_hub.counts() == before
    response = kor.post("/fhir", content=bundle("batch", report("KOR", "2026-04-01", two)))
    assert response.status_code == 200, response.text
