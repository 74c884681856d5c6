"""FHIR MeasureReports and Bundles read into hub rows, without a server: the rules of
`hub/fhir` one by one, on SANER's own example and on hand-made reports; and the mapping's
FHIR part, validated and imported with `epicommons hub mapping import`."""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path

import pytest

from epicommons.cli import main
from epicommons.errors import InputError
from epicommons.hub.fhir.bundle import read_bundle
from epicommons.hub.fhir.codes import CodeError, codes_of
from epicommons.hub.fhir.measurereport import read_report
from epicommons.hub.fhir.outcome import Rejected, refused
from epicommons.hub.fhir.search import period_range
from epicommons.hub.mapping import check_members, default_text, load_mapping
from epicommons.hub.mapping_store import current_mapping
from test_hub_support import fresh_database, setup_hub

SANER = Path(__file__).parent / "fixtures" / "saner"
NJ = SANER / "MeasureReport-ExampleNJ-20200404-CDCPatientImpactAndHospitalCapacity.json"
MEMBERS = {"KOR", "JPN", "WHO"}
SUBJECTS = """
[[fhir.subjects]]
system = "https://www.census.gov/geographies"
value = "34"
member = "KOR"
"""
CODES = codes_of(load_mapping(default_text() + SUBJECTS, "test mapping"))
HUB = "urn:epicommons:indicator"


def report(**changes) -> dict:
    """A valid summary report of KOR on 2026-09-01: 12 new cases, 3 new deaths."""
    doc = {
        "resourceType": "MeasureReport",
        "status": "complete",
        "type": "summary",
        "measure": "urn:epicommons:measure:indicators",
        "subject": {"identifier": {"system": "urn:iso:std:iso:3166", "value": "KOR"}},
        "period": {"start": "2026-09-01", "end": "2026-09-01"},
        "group": [
            {
                "population": [
                    {"code": {"coding": [{"system": HUB, "code": "new_cases"}]}, "count": 12},
                    {"code": {"coding": [{"system": HUB, "code": "new_deaths"}]}, "count": 3},
                ]
            }
        ],
    }
    doc.update(changes)
    return doc


def errors(rep) -> list[tuple[str, str | None]]:
    return [(i.code, i.expression) for i in rep.issues if i.severity == "error"]


def test_saner_example_gives_its_one_hub_indicator_with_a_warning_for_each_other_value():
    doc = json.loads(NJ.read_text())
    rep = read_report(doc, CODES, MEMBERS, "MeasureReport")
    assert errors(rep) == []
    assert rep.member == "KOR"  # census.gov 34 (New Jersey), as the test mapping says
    assert rep.date == "2020-04-04"  # the period as written, in its own offset (UTC-5)
    assert rep.rows == [
        (
            "MeasureReport.group[2].population[0]",
            {"date": "2020-04-04", "indicator": "hospital_occupancy", "value": 4000},
        )
    ]
    warnings = [i for i in rep.issues if i.severity == "warning"]
    assert len(warnings) == 14  # 15 populations in the example, one of them mapped
    assert warnings[0].expression == "MeasureReport.group[0].population[0].code"
    assert "numTotBeds" in warnings[0].diagnostics


def test_a_rule_is_bound_to_its_measure_whatever_the_version():
    doc = json.loads(NJ.read_text())
    doc["measure"] += "|1.0.0"
    assert read_report(doc, CODES, MEMBERS, "MeasureReport").rows
    doc["measure"] = "http://example.org/Measure/Other"
    rep = read_report(doc, CODES, MEMBERS, "MeasureReport")
    assert rep.rows == []
    assert errors(rep) == [("business-rule", "MeasureReport")]  # nothing mapped at all


def test_the_hub_code_system_maps_to_itself_with_items():
    doc = report()
    doc["group"][0]["population"].append(
        {"code": {"coding": [{"system": HUB, "code": "stock:masks"}]}, "count": 500}
    )
    rep = read_report(doc, CODES, MEMBERS, "MeasureReport")
    assert [r for _, r in rep.rows] == [
        {"date": "2026-09-01", "indicator": "new_cases", "value": 12},
        {"date": "2026-09-01", "indicator": "new_deaths", "value": 3},
        {"date": "2026-09-01", "indicator": "stock", "item": "masks", "value": 500},
    ]


@pytest.mark.parametrize(
    ("period", "date"),
    [
        ({"start": "2026-09-01T00:00:00+09:00", "end": "2026-09-01T23:59:59+09:00"}, "2026-09-01"),
        ({"start": "2026-09-01T23:00:00-05:00", "end": "2026-09-01T23:30:00-05:00"}, "2026-09-01"),
        ({"start": "2026-09-01"}, "2026-09-01"),
        ({"start": "2026-08-31", "end": "2026-09-01"}, None),
        ({"start": "2026-09-01T00:00:00Z", "end": "2026-09-02T00:00:00Z"}, None),
        ({"start": "2026-09", "end": "2026-09"}, None),
        ({"end": "2026-09-01"}, None),
    ],
)
def test_the_period_must_lie_within_one_date_as_written(period, date):
    rep = read_report(report(period=period), CODES, MEMBERS, "MeasureReport")
    assert rep.date == date
    if date is None:
        assert errors(rep) and errors(rep)[0][1].startswith("MeasureReport.period")


MALFORMED = ("structure", "required", "value")  # the model's refusals: 400, not 422


@pytest.mark.parametrize(
    ("change", "code", "where"),
    [
        ({"status": "pending"}, "not-supported", "MeasureReport.status"),
        ({"status": None}, "required", "MeasureReport.status"),
        ({"type": "subject-list"}, "not-supported", "MeasureReport.type"),
        ({"measure": None}, "required", "MeasureReport.measure"),
        ({"subject": None}, "required", "MeasureReport.subject"),
        (
            {"subject": {"identifier": {"system": "urn:iso:std:iso:3166", "value": "FRA"}}},
            "not-found",
            "MeasureReport.subject.identifier",
        ),
        (
            {"implicitRules": "http://example.org/rules"},
            "not-supported",
            "MeasureReport.implicitRules",
        ),
        (
            {"contained": [{"resourceType": "Organization", "id": "o1", "name": "x"}]},
            "not-supported",
            "MeasureReport.contained",
        ),
        (
            {"modifierExtension": [{"url": "http://example.org/x", "valueBoolean": True}]},
            "not-supported",
            "MeasureReport.modifierExtension",
        ),
        ({"foo": 1}, "structure", "MeasureReport.foo"),
        ({"period": {"start": "2026-13-01"}}, "value", "MeasureReport.period.start"),
        ({"resourceType": "Patient"}, "structure", "MeasureReport"),
    ],
)
def test_each_refusal_names_its_element(change, code, where):
    doc = {k: v for k, v in report(**change).items() if v is not None}
    rep = read_report(doc, CODES, MEMBERS, "MeasureReport")
    assert (code, where) in errors(rep), rep.issues
    assert rep.malformed == (code in MALFORMED and where != "MeasureReport.subject")


def test_group_features_refused_or_noted():
    doc = report()
    group = doc["group"][0]
    group["stratifier"] = [{"code": [{"text": "age"}]}]
    group["measureScore"] = {"value": 0.25}
    group["population"][0]["subjectResults"] = {"reference": "List/1"}
    rep = read_report(doc, CODES, MEMBERS, "MeasureReport")
    assert errors(rep) == [
        ("not-supported", "MeasureReport.group[0].stratifier"),
        ("not-supported", "MeasureReport.group[0].population[0].subjectResults"),
    ]
    score = [i for i in rep.issues if i.expression == "MeasureReport.group[0].measureScore"]
    assert score and score[0].severity == "warning"


def test_a_deep_modifier_extension_is_refused():
    doc = report()
    doc["group"][0]["population"][1]["modifierExtension"] = [
        {"url": "http://example.org/negated", "valueBoolean": True}
    ]
    rep = read_report(doc, CODES, MEMBERS, "MeasureReport")
    assert errors(rep) == [
        ("not-supported", "MeasureReport.group[0].population[1].modifierExtension")
    ]


def test_one_indicator_twice_and_codes_that_disagree_are_errors():
    doc = report()
    pops = doc["group"][0]["population"]
    pops.append(copy.deepcopy(pops[0]))
    pops.append(
        {
            "code": {
                "coding": [{"system": HUB, "code": "tests"}, {"system": HUB, "code": "new_cases"}]
            },
            "count": 1,
        }
    )
    pops.append({"code": {"coding": [{"system": HUB, "code": "cases"}]}, "count": 1})
    rep = read_report(doc, CODES, MEMBERS, "MeasureReport")
    assert errors(rep) == [
        ("duplicate", "MeasureReport.group[0].population[2].code"),
        ("code-invalid", "MeasureReport.group[0].population[3].code"),
        ("code-invalid", "MeasureReport.group[0].population[4].code"),
    ]


def test_a_count_left_out_is_noted_not_stored():
    doc = report()
    del doc["group"][0]["population"][1]["count"]
    rep = read_report(doc, CODES, MEMBERS, "MeasureReport")
    assert [r["indicator"] for _, r in rep.rows] == ["new_cases"]
    assert [i.severity for i in rep.issues] == ["information"]


def test_ambiguous_rules_are_refused():
    with pytest.raises(CodeError):
        CODES.indicator(None, [], [(HUB, "new_cases"), (HUB, "new_deaths")])


def entry(resource, method="POST", url="MeasureReport") -> dict:
    return {"resource": resource, "request": {"method": method, "url": url}}


def test_bundle_entries_are_read_with_their_paths():
    doc = {
        "resourceType": "Bundle",
        "type": "batch",
        "entry": [
            entry(report()),
            entry(report(type="data-collection")),
            entry(report(), "DELETE", "MeasureReport/1"),
            entry(report(), "PUT", "MeasureReport/abc"),
        ],
    }
    kind, entries = read_bundle(doc, CODES, MEMBERS)
    assert kind == "batch"
    assert [errors(e.report) for e in entries] == [
        [],
        [("not-supported", "Bundle.entry[1].resource.type")],
        [("not-supported", "Bundle.entry[2].request")],
        [],
    ]
    assert entries[3].report.rows[0][0] == "Bundle.entry[3].resource.group[0].population[0]"


@pytest.mark.parametrize(
    ("doc", "where"),
    [
        ({"resourceType": "Bundle", "type": "collection", "entry": []}, "Bundle.type"),
        (
            {"resourceType": "Bundle", "type": "batch", "entry": [{"bogus": 1}]},
            "Bundle.entry[0].bogus",
        ),
        ({"resourceType": "MeasureReport"}, "Bundle"),
        ([], "Bundle"),
    ],
)
def test_a_bundle_that_is_not_a_batch_or_transaction_is_refused(doc, where):
    with pytest.raises(Rejected) as caught:
        read_bundle(doc, CODES, MEMBERS)
    assert caught.value.issues[0].expression == where
    assert caught.value.status == (422 if where == "Bundle.type" else 400)


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([], (None, None)),
        (["2024-02"], (dt.date(2024, 2, 1), dt.date(2024, 2, 29))),  # a leap year's February
        (["2023-02"], (dt.date(2023, 2, 1), dt.date(2023, 2, 28))),
        (["2026-12"], (dt.date(2026, 12, 1), dt.date(2026, 12, 31))),
        (["2026"], (dt.date(2026, 1, 1), dt.date(2026, 12, 31))),
        (["eq2026-09-01"], (dt.date(2026, 9, 1), dt.date(2026, 9, 1))),
        (["ge2026-09-01", "le2026-09-30"], (dt.date(2026, 9, 1), dt.date(2026, 9, 30))),
        (["gt2026-09", "lt2027"], (dt.date(2026, 10, 1), dt.date(2026, 12, 31))),
    ],
)
def test_period_search_follows_fhir_date_prefixes(values, expected):
    assert period_range(values) == expected


@pytest.mark.parametrize("value", ["2026-02-30", "2026-9-1", "ne2026-09-01", "2026-13"])
def test_period_search_refuses_what_it_cannot_read(value):
    with pytest.raises(Rejected) as caught:
        period_range([value])
    assert caught.value.status == 422 and "period" in caught.value.issues[0].diagnostics


def test_a_hub_refusal_becomes_an_operation_outcome():
    answer = refused(401, "this token was revoked", {"WWW-Authenticate": "Bearer"})
    assert (answer.status_code, answer.media_type) == (401, "application/fhir+json")
    assert answer.headers["www-authenticate"] == "Bearer"
    assert json.loads(answer.body) == {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": "login", "diagnostics": "this token was revoked"}],
    }


def test_fhir_subjects_and_measures_of_a_mapping_are_validated_naming_the_key():
    twice = SUBJECTS + SUBJECTS.replace('"KOR"', '"JPN"')
    with pytest.raises(InputError, match=r"fhir\.subjects\[1\]: duplicate identifier"):
        load_mapping(default_text() + twice, "m.toml")
    mapping = load_mapping(default_text() + SUBJECTS.replace('"KOR"', '"FRA"'), "m.toml")
    with pytest.raises(InputError, match=r"fhir\.subjects\[0\]\.member: no member FRA"):
        check_members(mapping, MEMBERS, "m.toml")
    no_population = '\n[[fhir.measures]]\nmeasure = "http://example.org/M"\nindicator = "tests"\n'
    with pytest.raises(InputError, match=r"fhir\.measures\[2\]\.population"):
        load_mapping(default_text() + no_population, "m.toml")


@pytest.mark.parametrize(("depth", "refused"), [(10, False), (300, True)])
def test_deeply_nested_extensions_are_refused_before_the_models_recurse(depth, refused):
    ext = {"url": "http://example.org/x", "valueString": "y"}
    for _ in range(depth):
        ext = {"url": "http://example.org/x", "extension": [ext]}
    rep = read_report(report(extension=[ext]), CODES, MEMBERS, "MeasureReport")
    assert (errors(rep) == [("structure", "MeasureReport")]) == refused
    assert bool(rep.rows) != refused


def test_mapping_import_counts_fhir_subjects_and_refuses_an_unknown_member(tmp_path, capsys):
    fresh = fresh_database("sqlite", tmp_path)
    db, _ = setup_hub(fresh.url)  # members KOR, JPN, CHN, WHO
    try:
        good = tmp_path / "mapping.toml"
        good.write_text(default_text() + SUBJECTS)
        assert main(["hub", "mapping", "import", str(good), "--db", fresh.url]) == 0
        assert "2 FHIR measure(s), 1 FHIR subject(s)" in capsys.readouterr().out
        bad = tmp_path / "bad.toml"
        bad.write_text(default_text() + SUBJECTS.replace('"KOR"', '"FRA"'))
        assert main(["hub", "mapping", "import", str(bad), "--db", fresh.url]) == 2
        err = capsys.readouterr().err
        assert "fhir.subjects[0].member: no member FRA" in err and "Traceback" not in err
        with db.read() as session:
            assert codes_of(current_mapping(session)).subjects == {
                ("https://www.census.gov/geographies", "34"): "KOR"
            }
    finally:
        db.dispose()
        fresh.close()
