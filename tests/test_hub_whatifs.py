"""What-ifs inside the hub, end to end: the hub of 20 members fed from the JHU series
(tests/hub_assess_support.py), one assessment, then a what-if job started over the API: its
baseline is the stored assessment's, bad requests are refused with problem+json, the access
rule holds on every new endpoint and page (expected rows written from the grants the feed made),
and a job a dead server left running is run again when the next one starts."""

from __future__ import annotations

import time

import numpy as np
import pytest

import hub_assess_support as support
from epicommons.hub import admin, jobs
from test_hub_pages_support import csrf_of, sign_in
from test_hub_support import backend_params

pytestmark = pytest.mark.slow

SHARED_WITH = {"FRA": {"DEU"}, "AUT": {"CHE"}, "ITA": {"CHE"}}  # as in test_hub_assessments
VIEWERS = [("FRA", "reporter"), ("FRA", "analyst"), ("AUT", "reporter"), ("KIR", "analyst")]
COORDINATOR = (support.COORDINATOR, "coordinator")
CUT = {"kind": "travel_reduction", "members": ["DEU"], "strength": 0.9}
PROBLEM = "application/problem+json"


@pytest.fixture(scope="module", params=backend_params())
def hub(request, tmp_path_factory, shared_data):
    yield from support.assessed_hub(request.param, tmp_path_factory.mktemp("whatif"), shared_data)


@pytest.fixture(scope="module")
def done(hub):
    job = hub.wait(hub.start())
    assert job["status"] == "done", job
    return job


def wait(hub, job_id: int, timeout_s: float = 300) -> dict:
    deadline = time.monotonic() + timeout_s
    with hub.coordinator() as c:
        while time.monotonic() < deadline:
            job = c.get(f"/whatifs/{job_id}").json()
            if job["status"] in ("done", "failed"):
                return job
            time.sleep(0.3)
    raise AssertionError(f"what-if {job_id} did not finish")


@pytest.fixture(scope="module")
def cut(hub, done):
    answer = hub.coordinator().post("/whatifs", json={"measure": CUT})  # the latest assessment
    assert answer.status_code == 202, answer.text
    job = wait(hub, answer.json()["id"])
    assert job["status"] == "done", job
    assert job["assessment"] == done["id"] and job["as_of"] == done["as_of"]
    return job


def rows(hub, who, job_id: int, table: str, **params) -> list[dict]:
    with hub.client(*who) as c:
        answer = c.get(f"/whatifs/{job_id}/{table}", params=params)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_the_baseline_is_the_stored_assessment_and_deu_s_neighbours_gain(hub, done, cut):
    stored = {
        r["location"]: r["expected_importations"]
        for r in hub.coordinator().get(f"/assessments/{done['id']}/importation").json()
    }
    effects = rows(hub, COORDINATOR, cut["id"], "effects")
    imports = {r["location"]: r for r in effects if r["metric"] == "importations_averted"}
    assert set(imports) == {*stored, "ALL"}
    for code, value in stored.items():
        assert imports[code]["baseline_mean"] == pytest.approx(value, rel=1e-12), code
    assert rows(hub, COORDINATOR, cut["id"], "warnings") == []  # no "does not reproduce"
    # DEU's neighbours among the members avert importations in the mean and in 95% of runs
    for code in ("AUT", "CHE", "NLD", "POL", "DNK", "CZE"):
        assert imports[code]["difference_mean"] > 0 and imports[code]["q05"] >= 0, code
    assert cut["measure"] == "travel from DEU cut by 90%, from day 1"


def test_strength_zero_gives_exactly_zero_differences(hub, done):
    body = {"assessment": done["id"], "measure": {**CUT, "strength": 0}}
    job = wait(hub, hub.coordinator().post("/whatifs", json=body).json()["id"])
    assert job["status"] == "done", job
    effects = rows(hub, COORDINATOR, job["id"], "effects")
    assert effects and all(r["difference_mean"] == 0 and r["q95"] == 0 for r in effects)


@pytest.mark.parametrize(
    ("measure", "field"),
    [
        ({**CUT, "kind": "wall"}, "measure.kind"),
        ({**CUT, "strength": 1.5}, "measure.strength"),
        ({**CUT, "members": ["ZZZ"]}, "measure.members"),
        ({**CUT, "start_day": 99}, "measure.start_day"),  # beyond the 21-day horizon
        ({**CUT, "kind": "fast_lane"}, "measure.members"),  # a lane of one
        ({**CUT, "speed": 3}, "measure.speed"),
    ],
)
def test_a_bad_measure_is_422_naming_the_field(hub, done, measure, field):
    before = len(hub.coordinator().get("/whatifs").json())
    answer = hub.coordinator().post("/whatifs", json={"measure": measure})
    assert answer.status_code == 422 and answer.headers["content-type"] == PROBLEM
    assert field in answer.json()["detail"], answer.json()
    assert len(hub.coordinator().get("/whatifs").json()) == before


def test_unknown_and_unfinished_assessments_are_refused(hub, done):
    answer = hub.coordinator().post("/whatifs", json={"assessment": 999999, "measure": CUT})
    assert answer.status_code == 404 and answer.headers["content-type"] == PROBLEM
    running = jobs.enqueue(
        hub.db, kind="assessment", as_of=support.today(), params={}, created_by="t", running=True
    )
    try:
        answer = hub.coordinator().post("/whatifs", json={"assessment": running.id, "measure": CUT})
        assert answer.status_code == 409 and "running" in answer.json()["detail"]
    finally:
        jobs.fail(hub.db, running.id, "made by the test")
    assert hub.coordinator().get("/whatifs/999999").status_code == 404
    assert hub.coordinator().get(f"/whatifs/{done['id']}").status_code == 404  # an assessment


def expected(viewer: str, everyone: set[str]) -> set[str]:
    return everyone & ({viewer} | SHARED_WITH.get(viewer, set()))


def test_access_matrix_on_the_whatif_endpoints(hub, done, cut):
    revoked = admin.issue_token(hub.db, "FRA", "analyst")
    admin.revoke_token(hub.db, str(revoked.id))
    anonymous, dead = hub.coordinator(), hub.coordinator()
    anonymous.headers.pop("Authorization")
    dead.headers["Authorization"] = f"Bearer {revoked.token}"
    cells, failures = 0, []
    paths = ["/whatifs", f"/whatifs/{cut['id']}", f"/whatifs/{cut['id']}/effects"]
    for client, why in ((anonymous, "no token"), (dead, "revoked")):
        for path in paths:
            cells += 1
            if client.get(path).status_code != 401:
                failures.append(f"GET {path} with {why}")
        cells += 1
        if client.post("/whatifs", json={"measure": CUT}).status_code != 401:
            failures.append(f"POST with {why}")
    for table in ("effects", "arrival"):
        full = rows(hub, COORDINATOR, cut["id"], table)
        everyone = {r["location"] for r in full if r["location"] in support.ALL}
        aggregates = [r for r in full if r["location"] not in support.ALL]
        for who in VIEWERS:
            cells += 1
            got = rows(hub, who, cut["id"], table)
            seen = {r["location"] for r in got if r["location"] in support.ALL}
            if seen != expected(who[0], everyone):
                failures.append(f"{table} {who}: sees {sorted(seen)}")
            if [r for r in got if r["location"] not in support.ALL] != aggregates:
                failures.append(f"{table} {who}: aggregates differ")  # over 20 members: shown
            for code in sorted(everyone - expected(who[0], everyone))[:2]:
                if rows(hub, who, cut["id"], table, member=code):
                    failures.append(f"{table} {who}: member={code} disclosed")
    for who in VIEWERS:
        cells += 3
        with hub.client(*who) as c:
            if c.post("/whatifs", json={"measure": CUT}).status_code != 403:
                failures.append(f"POST by {who}")
            if cut["id"] not in [j["id"] for j in c.get("/whatifs").json()]:
                failures.append(f"list by {who}")
            if c.get(f"/whatifs/{cut['id']}").json()["error"] is not None:
                failures.append(f"job by {who}")
    print(f"what-if endpoints: {cells} cells")
    assert not failures, "\n".join(failures)


def test_pages_form_and_job_page_under_the_same_rule(hub, done, cut):
    who = sign_in(hub, hub.tokens[COORDINATOR])
    page = who.get(f"/dashboard/assessments/{done['id']}")
    assert 'id="whatif-form"' in page.text
    from epicommons.assess.whatif import KINDS

    form = page.text.split('id="whatif-form"')[1].split("</form>")[0]
    assert [k for k in KINDS if f'value="{k}"' in form] == list(KINDS)  # every kind offered
    data = {"csrf": csrf_of(page.text), "assessment": str(done["id"]), "kind": "fast_lane"}
    data |= {"members": ["AUT", "CHE"], "strength": "80", "start_day": "3"}
    answer = who.post("/dashboard/whatifs", data=data)
    assert answer.status_code == 303, answer.text[:400]
    target = answer.headers["location"]
    job = wait(hub, int(target.rsplit("/", 1)[1]))
    assert job["status"] == "done" and job["measure"].startswith("fast lane among AUT, CHE")
    shown = who.get(target)
    assert shown.status_code == 200 and 'id="whatif-effects"' in shown.text
    assert "the same random numbers" in shown.text
    bad = who.post("/dashboard/whatifs", data={**data, "strength": "150"})
    assert bad.status_code == 422 and "measure.strength" in bad.text
    fra = sign_in(hub, hub.tokens[("FRA", "reporter")])
    mine = fra.get(f"/dashboard/assessments/{done['id']}")
    assert mine.status_code == 200 and 'id="whatif-form"' not in mine.text
    refused = fra.post("/dashboard/whatifs", data={**data, "csrf": csrf_of(mine.text)})
    assert refused.status_code == 403
    table = fra.get(f"/dashboard/whatifs/{cut['id']}").text.split('id="whatif-effects"')[1]
    listed = {c for c in support.COUNTRIES if f'<td class="l">{c}</td>' in table}
    assert listed == {"FRA", "DEU"}
    assert fra.get("/dashboard/whatifs/999999").status_code == 404


def test_a_job_left_running_by_a_dead_server_is_run_again(hub, done):
    hub.server.kill()
    params = {"assessment": done["id"], "measure": {**CUT, "members": ["FRA"], "days": 7}}
    left = jobs.enqueue(
        hub.db, kind="whatif", as_of=support.today(), params=params, created_by="t", running=True
    )  # what a server killed mid-job leaves: running, one start
    hub.server.start()  # recovers it before it answers
    job = wait(hub, left.id)
    assert (job["status"], job["attempts"]) == ("done", 2), job
    effects = rows(hub, COORDINATOR, left.id, "effects")
    assert np.isfinite([r["difference_mean"] for r in effects]).all()


def test_access_matrix_on_the_whatif_pages(hub, done, cut):
    from test_hub_pages_support import browser_client

    page = f"/dashboard/whatifs/{cut['id']}"
    failures = []
    with browser_client(hub) as anonymous:
        got = anonymous.get(page)
        if got.status_code != 401 or "whatif-effects" in got.text:
            failures.append(f"anonymous GET: {got.status_code}")
        form = anonymous.get("/signin")
        data = {"csrf": csrf_of(form.text), "assessment": str(done["id"]), "kind": "screening"}
        data |= {"members": ["FRA"], "strength": "50", "start_day": "1"}
        if anonymous.post("/dashboard/whatifs", data=data).status_code != 401:
            failures.append("anonymous POST")
    revoked = admin.issue_token(hub.db, "KIR", "analyst")
    gone = sign_in(hub, revoked.token)
    assert gone.get(page).status_code == 200
    admin.revoke_token(hub.db, str(revoked.id))
    answer = gone.get(page)
    if answer.status_code != 401 or "revoked" not in answer.text:
        failures.append(f"revoked GET: {answer.status_code}")
    for who in [*VIEWERS, COORDINATOR]:
        client = sign_in(hub, hub.tokens[who])
        answer = client.get(page)
        table = answer.text.split('id="whatif-effects"')[1].split("</table>")[0]
        listed = {c for c in support.ALL if f'<td class="l">{c}</td>' in table}
        everyone = {r["location"] for r in rows(hub, COORDINATOR, cut["id"], "effects")}
        everyone &= set(support.ALL)
        want = everyone if who == COORDINATOR else expected(who[0], everyone)
        if answer.status_code != 200 or listed != want or "all members" not in table:
            failures.append(f"{who}: {answer.status_code}, lists {sorted(listed)}")
        own = client.get(f"/dashboard/assessments/{done['id']}").text
        if ('id="whatif-form"' in own) != (who == COORDINATOR):
            failures.append(f"{who}: the form shown to the wrong role")
        if who != COORDINATOR:
            sent = client.post("/dashboard/whatifs", data={**data, "csrf": csrf_of(own)})
            if sent.status_code != 403:
                failures.append(f"{who}: POST {sent.status_code}")
        client.close()
    assert not failures, "\n".join(failures)
