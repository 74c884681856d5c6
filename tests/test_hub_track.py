"""The forecasts scored automatically inside the hub: five members fed from the JHU series
through the seeded revision process (tests/hub_assess_support.py), an assessment three weeks
before today, then one today: the second holds the scores of the first's forecasts (on the
counts fed, summed here), the track record reads them under the access rule, the page shows
them, and a re-run of the same date and inputs is identical.

Members DEU, FRA, ITA, BEL and KIR; DEU shares its reports with FRA. Kiribati had no case, so
its forecast is the baseline: the baseline's totals cover the 5 members (k = 5, shown to all),
the renewal model's cover 4, among them ITA and BEL that share with nobody (withheld from every
member; the coordinator sees them)."""

from __future__ import annotations

import datetime as dt

import httpx
import pandas as pd
import pytest

import assess_inputs as data
import hub_assess_support as support
from epicommons.hub.assessments import build_inputs
from test_hub_pages_support import sign_in
from test_hub_support import backend_params

pytestmark = pytest.mark.slow

MEMBERS = ("DEU", "FRA", "ITA", "BEL", "KIR")
GAP = 21  # days between the two assessments: horizons 1-3 of the first have ended by the second
COORDINATOR = (support.COORDINATOR, "coordinator")


@pytest.fixture(scope="module", params=backend_params())
def hub(request, tmp_path_factory, shared_data):
    folder = tmp_path_factory.mktemp("track")
    yield from support.assessed_hub(request.param, folder, shared_data, members=MEMBERS)


@pytest.fixture(scope="module")
def jobs(hub):
    first = hub.wait(hub.start(as_of=support.today() - dt.timedelta(days=GAP)))
    second = hub.wait(hub.start())
    assert (first["status"], second["status"]) == ("done", "done"), (first, second)
    return first, second


def rows(hub, who, job_id: int, table: str) -> list[dict]:
    with hub.client(*who) as c:
        answer = c.get(f"/assessments/{job_id}/{table}")
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_the_second_assessment_scores_the_first_ones_ended_weeks(hub, jobs, shared_data):
    first, second = jobs
    scores = rows(hub, COORDINATOR, second["id"], "forecast_scores")
    assert rows(hub, COORDINATOR, first["id"], "forecast_scores") == []  # nothing before it
    assert {r["as_of"] for r in scores} == {first["as_of"]}
    ends = {r["target_end_date"] for r in scores}
    assert max(ends) <= second["as_of"]  # a week not yet ended is never scored
    assert sorted({r["horizon"] for r in scores}) == [1, 2, 3]
    models = {(r["location"], r["model"]) for r in scores}
    assert models == {(m, "renewal") for m in MEMBERS[:4]} | {(m, "baseline") for m in MEMBERS}
    assert len(scores) == 3 * 9
    # each observed week: the fed reports (JHU through the revision process) known today
    known = data.as_known(data.triangle(shared_data), support.AS_OF)
    known = known.assign(day=pd.to_datetime(known["reference_date"]) + support.shift())
    for r in scores:
        end = pd.Timestamp(r["target_end_date"])
        week = known[(known["location"] == r["location"]) & (known["day"] > end - pd.Timedelta(days=7))
                     & (known["day"] <= end)]  # fmt: skip
        assert r["observed"] == week["count"].sum(), r
    # the scores are of the first's own forecasts: its medians are the scored medians
    forecast = rows(hub, COORDINATOR, first["id"], "forecast")
    median = {(f["location"], f["model"], f["horizon"]): f["value"] for f in forecast
              if f["quantile"] == 0.5}  # fmt: skip
    for r in scores:
        got = abs(r["observed"] - median[(r["location"], r["model"], r["horizon"])])
        assert r["abs_error"] == pytest.approx(got), r


def test_the_earlier_assessments_are_in_the_stamp_and_a_rerun_is_identical(hub, jobs):
    first, second = jobs
    with hub.db.read() as session:
        alone = build_inputs(session, support.today()).checked().stamp()
    assert second["input_stamp"] != alone  # the first's forecasts were read
    again = hub.wait(hub.start())
    assert again["status"] == "done" and again["input_stamp"] == second["input_stamp"]
    for table in ("forecast_scores", "forecast"):
        assert rows(hub, COORDINATOR, again["id"], table) == rows(
            hub, COORDINATOR, second["id"], table
        )


def record(hub, who, **params) -> dict:
    with hub.client(*who) as c:
        answer = c.get("/track-record", params=params)
    assert answer.status_code == 200, answer.text
    return answer.json()


# who sees which members' lines (the grants of the feed: DEU -> FRA), and the aggregates
VIEWERS = {
    ("FRA", "reporter"): {"FRA", "DEU"},
    ("FRA", "analyst"): {"FRA", "DEU"},
    ("DEU", "analyst"): {"DEU"},
    ("ITA", "reporter"): {"ITA"},
    ("KIR", "analyst"): {"KIR"},
    COORDINATOR: set(MEMBERS),
}


def test_the_track_record_follows_the_access_rule(hub, jobs):
    _, second = jobs
    for who, members in VIEWERS.items():
        table = rows(hub, who, second["id"], "forecast_scores")  # a member's scores: its rows
        assert {r["location"] for r in table} == members, who
        got = record(hub, who, assessment=second["id"])
        assert got["assessment"] == second["id"] and got["as_of"] == second["as_of"]
        assert {r["location"] for r in got["by_member"]} == members, who
        # the baseline covers all 5 members: shown; the renewal model's 4 include ITA and BEL,
        # which share with nobody: withheld from every member, shown to the coordinator
        want = {"renewal", "baseline"} if who == COORDINATOR else {"baseline"}
        assert {r["model"] for r in got["by_horizon"]} == want, who
        assert {r["model"] for r in got["overall"]} == want, who
        assert got["suppressed"] == (0 if who == COORDINATOR else 3 + 1), who  # 3 horizons, all
        base = [r for r in got["by_horizon"] if r["model"] == "baseline"]
        assert [(r["horizon"], r["members"], r["n"]) for r in base] == [
            (1, 5, 5),
            (2, 5, 5),
            (3, 5, 5),
        ]
        assert all(r["relative_wis"] == pytest.approx(1.0) for r in base)
        for r in got["by_horizon"] + got["overall"] + got["by_member"]:
            assert 0 <= r["coverage_50"] <= 1 and 0 <= r["coverage_90"] <= 1
            parts = r["dispersion"] + r["overprediction"] + r["underprediction"]
            assert parts == pytest.approx(r["wis"])
    # the latest scored assessment by default; unknown ones are 404 problems
    assert record(hub, COORDINATOR)["as_of"] == second["as_of"]
    with hub.coordinator() as c:
        missing = c.get("/track-record", params={"assessment": 999999})
        assert missing.status_code == 404
        assert missing.headers["content-type"] == "application/problem+json"
    assert httpx.get(hub.url + "/api/v1/track-record").status_code == 401


def test_the_page_shows_the_scores_the_caller_may_read(hub, jobs):
    _, second = jobs
    fra = sign_in(hub, hub.tokens[("FRA", "reporter")])
    page = fra.get("/dashboard/assessments/track-record")
    assert page.status_code == 200, page.text[:300]
    assert "counts known at the end of" in page.text and 'id="track-horizon"' in page.text
    members = page.text.split('id="track-members"')[1].split("</table>")[0]
    assert ">FRA<" in members and ">DEU<" in members and ">ITA<" not in members
    horizon = page.text.split('id="track-horizon"')[1].split("</table>")[0]
    assert "baseline" in horizon and "renewal" not in horizon
    assert "4 line(s) are withheld" in page.text and 'id="track-chart"' in page.text
    who = sign_in(hub, hub.tokens[COORDINATOR])
    full = who.get(f"/dashboard/assessments/track-record?id={second['id']}").text
    horizon = full.split('id="track-horizon"')[1].split("</table>")[0]
    assert "renewal" in horizon and "withheld" not in full
    assert all(f">{m}<" in full.split('id="track-members"')[1] for m in MEMBERS)
    # linked from the job list and from the assessment's page
    assert "/dashboard/assessments/track-record" in who.get("/dashboard/assessments").text
    own = who.get(f"/dashboard/assessments/{second['id']}").text
    assert f"/dashboard/assessments/track-record?id={second['id']}" in own
    for bad in ("abc", "999999", "0", "9999999999"):
        assert who.get(f"/dashboard/assessments/track-record?id={bad}").status_code == 404
