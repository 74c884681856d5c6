"""Assessments inside the hub, end to end: 20 members fed from the JHU series through the seeded
revision process (tests/hub_assess_support.py), an assessment job started over the API; it
finishes, every member appears, its nowcasts cover the later-known counts at about their stated
rate, two assessments of the same date and inputs are identical, its export is the library's
own output, and the access rule holds on every new endpoint and page (expected rows written
here from the grants the test made, not from the hub's code)."""

from __future__ import annotations

import json
import re
from xml.etree import ElementTree

import pandas as pd
import pytest

import hub_assess_support as support
from epicommons.assess import AssessmentOptions, assess
from epicommons.cli import main
from epicommons.doubts import collecting
from epicommons.hub.assessments import build_inputs
from epicommons.report.maps import NO_DATA, TAG
from test_hub_pages_support import csrf_of, sign_in
from test_hub_support import backend_params

pytestmark = pytest.mark.slow

# Who reads whose reports (the grants of hub_assess_support.feed): DEU -> FRA (reports),
# CHE -> group ALPS = {AUT, ITA} (all). BEL -> FRA shares only its ledger.
SHARED_WITH = {"FRA": {"DEU"}, "AUT": {"CHE"}, "ITA": {"CHE"}}
OWN_LINE = {"allocation", "explanation"}  # the proposal: a member sees its own line only
VIEWERS = [
    ("FRA", "reporter"),
    ("FRA", "analyst"),
    ("AUT", "reporter"),
    ("KIR", "analyst"),
    ("MLT", "analyst"),
]


@pytest.fixture(scope="module", params=backend_params())
def hub(request, tmp_path_factory, shared_data):
    yield from support.assessed_hub(request.param, tmp_path_factory.mktemp("assess"), shared_data)


@pytest.fixture(scope="module")
def done(hub):
    job = hub.wait(hub.start())
    assert job["status"] == "done", job
    return job


def rows(hub, who: tuple[str, str], job_id: int, table: str, **params) -> list[dict]:
    with hub.client(*who) as c:
        answer = c.get(f"/assessments/{job_id}/{table}", params=params)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_it_finishes_and_every_member_appears(hub, done):
    assert (done["progress"], done["step"], done["as_of"]) == (1.0, "done", str(support.today()))
    assert done["attempts"] == 1 and len(done["input_stamp"]) == 64
    coordinator = (support.COORDINATOR, "coordinator")
    for table in ("nowcast", "rt", "forecast", "shortfall", "curve"):
        found = {r["location"] for r in rows(hub, coordinator, done["id"], table)}
        assert found == set(support.COUNTRIES), table  # Malta's steps failed
    found = {r["location"] for r in rows(hub, coordinator, done["id"], "importation")}
    assert found == set(support.ALL)  # every member is a destination
    failed = {r["location"] for r in rows(hub, coordinator, done["id"], "failures")}
    assert failed == {support.BROKEN}
    # Tonga and Kiribati had no case: they get arrival days, the 18 with epidemics none;
    # Malta, whose nowcast failed, is neither affected nor not: unknown, without arrival days
    arrival = {r["location"]: r for r in rows(hub, coordinator, done["id"], "arrival")}
    assert {"KIR", "TON"} <= set(arrival) and not set(arrival) & set(support.COUNTRIES[:18])
    assert arrival[support.BROKEN]["arrival_day_median"] is None
    assert "unknown" in arrival[support.BROKEN]["note"]
    assert not arrival["KIR"]["note"] and not arrival["TON"]["note"]
    importation = rows(hub, coordinator, done["id"], "importation")
    affected = {r["location"]: r["affected"] for r in importation}
    assert affected[support.BROKEN] == "unknown" and affected["KIR"] == affected["TON"] == "no"
    assert {affected[c] for c in support.COUNTRIES[:18]} == {"yes"}
    assert all(0 <= r["p_at_least_one"] <= 1 for r in importation)
    pledged_left = (5e6 - 1e6) + 2e6  # the two pledges of the feed, less the delivery
    proposed = rows(hub, coordinator, done["id"], "allocation")
    assert 0 < sum(r["delivered"] for r in proposed) <= pledged_left


def test_nowcasts_cover_the_later_known_counts_at_about_their_stated_rate(hub, done, shared_data):
    """The share of JHU's final counts inside the nowcast's 50% and 90% intervals over 18
    members and 14 days (loose bands: one as-of date, days of a member are correlated)."""
    coordinator = (support.COORDINATOR, "coordinator")
    nowcast = [
        r
        for r in rows(hub, coordinator, done["id"], "nowcast")
        if r["location"] not in ("TON", "KIR")  # all zeros: trivially covered
    ]
    truth = support.final(shared_data)
    c50 = support.coverage(nowcast, truth, 0.25, 0.75).mean()
    c90 = support.coverage(nowcast, truth, 0.05, 0.95).mean()
    assert 0.25 <= c50 <= 0.85, c50
    assert 0.65 <= c90 <= 1.0, c90


def test_two_assessments_of_the_same_date_and_inputs_are_identical(hub, done):
    again = hub.wait(hub.start())
    assert again["status"] == "done" and again["id"] != done["id"]
    assert again["input_stamp"] == done["input_stamp"]
    coordinator = (support.COORDINATOR, "coordinator")
    for table in done["tables"]:
        first = rows(hub, coordinator, done["id"], table)
        assert rows(hub, coordinator, again["id"], table) == first, table


def test_the_export_is_the_library_output_of_the_same_inputs(hub, done, tmp_path):
    """`hub export-assessment` writes what `Assessment.write` writes for an assessment run
    here by the library on the inputs read from the database: the same CSV files, byte for byte."""
    out = tmp_path / "export"
    assert main(["hub", "export-assessment", str(done["id"]), "--out", str(out),
                 "--db", hub.db.url]) == 0  # fmt: skip
    with hub.db.read() as session:
        inputs = build_inputs(session, support.today())
    with collecting():  # doubts are rows of the warnings table here as in the job
        direct = assess(inputs, AssessmentOptions(**support.OPTIONS))
    assert direct.input_stamp == done["input_stamp"]
    reference = tmp_path / "direct"
    direct.write(reference)
    names = sorted(p.name for p in reference.iterdir())
    assert names == sorted(p.name for p in out.iterdir())
    assert "report.html" in names
    for name in names:
        if name.endswith(".csv"):
            assert (out / name).read_bytes() == (reference / name).read_bytes(), name
    meta = json.loads((out / "assessment.json").read_text())
    assert meta["input_stamp"] == done["input_stamp"] and meta["as_of"] == done["as_of"]
    for name in done["tables"]:
        pd.testing.assert_frame_equal(
            pd.read_parquet(out / f"{name}.parquet"), pd.read_parquet(reference / f"{name}.parquet")
        )


def expected(viewer: str, role: str, table: str, everyone: set[str]) -> set[str]:
    """The members whose rows of `table` a caller reads, from the grants made by the feed."""
    if role == "coordinator":
        return everyone
    if table in OWN_LINE:
        return everyone & {viewer}
    return everyone & ({viewer} | SHARED_WITH.get(viewer, set()))


def test_access_matrix_on_the_assessment_tables(hub, done):
    coordinator = (support.COORDINATOR, "coordinator")
    cells = hidden = 0
    failures = []
    for table in done["tables"]:
        full = rows(hub, coordinator, done["id"], table)
        everyone = {r["location"] for r in full if r.get("location") in support.ALL}
        aggregates = [r for r in full if r.get("location") not in support.ALL]
        for who in VIEWERS:
            cells += 1
            got = rows(hub, who, done["id"], table)
            want = expected(*who, table, everyone)
            seen = {r["location"] for r in got if r.get("location") in support.ALL}
            hidden += len(everyone - want)
            if seen != want:
                failures.append(f"{table} {who}: sees {sorted(seen)}, expected {sorted(want)}")
            # aggregates over all 20 members (k = 5) are shown to everyone
            if [r for r in got if r.get("location") not in support.ALL] != aggregates:
                failures.append(f"{table} {who}: aggregates differ")
            for code in sorted(everyone - want)[:2]:  # asking for a member's rows by name
                if rows(hub, who, done["id"], table, member=code):
                    failures.append(f"{table} {who}: member={code} disclosed")
            csv = hub.client(*who).get(
                f"/assessments/{done['id']}/{table}", params={"format": "csv"}
            )
            if csv.status_code != 200 or len(csv.text.splitlines()) != len(got) + 1:
                failures.append(f"{table} {who}: CSV differs from JSON")
    print(f"assessment tables: {cells} cells, {hidden} member-tables hidden")
    assert not failures, "\n".join(failures)


def test_only_a_coordinator_starts_an_assessment(hub, done):
    before = len(hub.coordinator().get("/assessments").json())
    for who in VIEWERS:
        answer = hub.client(*who).post("/assessments", json={"options": support.OPTIONS})
        assert answer.status_code == 403, answer.text
        assert answer.headers["content-type"] == "application/problem+json"
    assert len(hub.coordinator().get("/assessments").json()) == before
    bad = hub.coordinator().post("/assessments", json={"options": {"runs": 0}})
    assert bad.status_code == 422 and "runs" in bad.json()["detail"]
    assert len(hub.coordinator().get("/assessments").json()) == before


def test_every_role_follows_jobs_and_unknown_ones_are_404(hub, done):
    for who in [*VIEWERS, (support.COORDINATOR, "coordinator")]:
        with hub.client(*who) as c:
            listed = c.get("/assessments").json()
            assert done["id"] in [j["id"] for j in listed]
            one = c.get(f"/assessments/{done['id']}")
            assert one.status_code == 200 and one.json()["status"] == "done"
            assert c.get("/assessments/999999").status_code == 404
            assert c.get(f"/assessments/{done['id']}/no_such_table").status_code == 404
    anonymous = hub.coordinator()
    anonymous.headers.pop("Authorization")
    assert anonymous.get(f"/assessments/{done['id']}/rt").status_code == 401


def test_pages_show_what_the_caller_may_read(hub, done):
    fra = sign_in(hub, hub.tokens[("FRA", "reporter")])
    page = fra.get(f"/dashboard/assessments/{done['id']}")
    assert page.status_code == 200
    table = page.text.split('id="assessment-members"')[1].split("</table>")[0]
    listed = set(pd.Series(support.COUNTRIES)[[f">{c}</a>" in table for c in support.COUNTRIES]])
    assert listed == {"FRA", "DEU"}
    assert "19 member(s) are not shown" in page.text
    for code, status in (("FRA", 200), ("DEU", 200), ("ITA", 403), ("BEL", 403)):
        answer = fra.get(f"/dashboard/assessments/{done['id']}/members/{code}")
        assert answer.status_code == status, (code, answer.text[:300])
    # the maps, drawn when the job finished, carry no colour of a member FRA may not read
    for map_id in ("rt-map", "importation-map"):
        drawn = page.text.split(f'id="{map_id}"')[1].split("</figure>")[0]
        for code in support.ALL:
            colours = fills(drawn, code)
            if code in ("FRA", "DEU") and map_id == "importation-map":
                assert colours - {NO_DATA}, (map_id, code)
            elif code not in ("FRA", "DEU"):
                assert colours <= {NO_DATA}, (map_id, code, colours)
    own = fra.get(f"/dashboard/assessments/{done['id']}/members/FRA")
    assert 'id="member-curve"' in own.text and "<svg" in own.text
    jobs = fra.get("/dashboard/assessments")
    assert jobs.status_code == 200 and "Start an assessment" not in jobs.text
    who = sign_in(hub, hub.tokens[(support.COORDINATOR, "coordinator")])
    full = who.get(f"/dashboard/assessments/{done['id']}")
    assert all(f">{c}</a>" in full.text for c in support.COUNTRIES)
    # the coordinator's Rt map: coloured members with epidemics; Tonga and Kiribati (no case)
    # have no estimate, shown as no data, never the prior's 5
    rt_map = full.text.split('id="rt-map"')[1].split("</figure>")[0]
    assert fills(rt_map, "DEU") - {NO_DATA} and fills(rt_map, "FRA") - {NO_DATA}
    assert fills(rt_map, "KIR") <= {NO_DATA} and fills(rt_map, "TON") <= {NO_DATA}
    members = full.text.split('id="assessment-members"')[1].split("</table>")[0]
    for code, shown in (
        ("KIR", "no estimate"),
        ("TON", "no estimate"),
        (support.BROKEN, "unknown"),
    ):
        line = members.split(f">{code}</a>")[1].split("</tr>")[0]
        assert shown in line, (code, line)
    assert "Start an assessment" in who.get("/dashboard/assessments").text
    form = who.get("/dashboard/assessments").text
    csrf = csrf_of(form)
    future = who.post("/dashboard/assessments", data={"csrf": csrf, "as_of": "2999-01-01"})
    assert future.status_code == 422 and "future" in future.text
    refused = fra.post("/dashboard/assessments", data={"csrf": csrf_of(jobs.text), "as_of": ""})
    assert refused.status_code == 403
    queued = who.post("/dashboard/assessments", data={"csrf": csrf, "as_of": ""})
    assert queued.status_code == 200 and "is queued" in queued.text
    latest = who.get("/dashboard/assessment")
    assert latest.status_code == 303 and latest.headers["location"].startswith(
        "/dashboard/assessments/"
    )


def fills(figure: str, code: str) -> set[str]:
    """The fill colours of a member's shapes on a map (the SVG read as XML)."""
    svg = ElementTree.fromstring(figure[figure.index("<svg") : figure.index("</svg>") + 6])
    found = set()
    for group in svg.iter("{http://www.w3.org/2000/svg}g"):
        if group.get("id") == f"{TAG}{code}":
            for shape in group.iter():
                found |= set(re.findall(r"fill: *(#[0-9a-f]{6})", shape.get("style", "")))
    return found


def test_a_member_with_broken_data_fails_alone_and_sees_why(hub, done):
    failures = hub.coordinator().get(f"/assessments/{done['id']}").json()["failures"]
    assert failures and {f["location"] for f in failures} == {support.BROKEN}
    assert all(f["step"] and f["reason"] for f in failures)
    with hub.client(support.BROKEN, "analyst") as c:
        assert c.get(f"/assessments/{done['id']}").json()["failures"] == failures
    with hub.client("FRA", "analyst") as c:
        assert c.get(f"/assessments/{done['id']}").json()["failures"] == []
