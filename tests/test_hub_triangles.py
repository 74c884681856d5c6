"""Seeding a member's history from a reporting triangle: JHU counts through a seeded revision
process, imported over HTTP (and the CLI), read back as the same triangle and the same nowcast."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from epicommons.cli import main
from epicommons.hub.revisions import count_history
from epicommons.surveillance.nowcast import nowcast
from epicommons.surveillance.triangle import read_triangle
from test_hub_support import backend_params, running_hub

DELAYS = 7
DAYS = 70
AS_OF = "2020-04-20"


@pytest.fixture(scope="module", params=backend_params())
def hub(request, tmp_path_factory):
    yield from running_hub(request.param, tmp_path_factory.mktemp("triangles"))


def delayed_reports(shared_data, seed: int = 7) -> pd.DataFrame:
    """South Korea's JHU daily new cases from 2020-03-01, each day's count spread over report
    delays 0–6 (multinomial, mostly early) and, on one day in five, 10 % of the first report
    taken back two days later and reported again, with delay 2's own cases, on day 5 (so
    revisions go both ways; each day's total is kept)."""
    raw = pd.read_csv(shared_data / "jhu_csse_covid19" / "time_series_covid19_confirmed_global.csv")
    row = raw[(raw["Country/Region"] == "Korea, South") & raw["Province/State"].isna()]
    cumulative = row.iloc[0, 4:].astype(float)
    cumulative.index = pd.to_datetime(cumulative.index, format="%m/%d/%y")
    daily = cumulative.diff().clip(lower=0)["2020-03-01":].iloc[:DAYS]
    rng = np.random.default_rng(seed)
    share = np.array([0.5, 0.2, 0.1, 0.08, 0.05, 0.04, 0.03])
    cells = np.stack([rng.multinomial(int(n), share) for n in daily.to_numpy()]).astype(float)
    for t in range(0, DAYS, 5):
        moved = np.floor(cells[t, 0] * 0.1)
        cells[t, 5] += cells[t, 2] + moved
        cells[t, 2] = -moved
    wide = pd.DataFrame(cells.astype(int), columns=[f"value_{k}d" for k in range(DELAYS)])
    wide.insert(0, "date", [d.date().isoformat() for d in daily.index])
    return wide


@pytest.fixture(scope="module")
def seeded(hub, shared_data, tmp_path_factory):
    folder = tmp_path_factory.mktemp("files")
    wide = delayed_reports(shared_data)
    path = folder / "kor_triangle.csv"
    wide.to_csv(path, index=False)
    token = hub.tokens[("KOR", "reporter")]
    code = main(
        ["hub", "submit", "--triangle", str(path), "--member", "KOR"]
        + ["--url", hub.url, "--token", token]
    )
    assert code == 0
    return path, wide


def history_triangle(hub, folder, as_of=None):
    with hub.db.read() as s:
        frame = count_history(s, as_of=as_of, members=["KOR"])
    frame.to_csv(folder / "history.csv", index=False)
    return frame, read_triangle(folder / "history.csv")


def test_the_stored_history_is_the_triangle_sent(hub, seeded, tmp_path):
    path, wide = seeded
    assert (wide.iloc[:, 1:].to_numpy() < 0).any()  # the process does revise down
    sent = read_triangle(path)
    frame, stored = history_triangle(hub, tmp_path)
    assert stored.dates.tolist() == sent.dates.tolist()
    assert stored.delays.tolist() == list(range(DELAYS))
    np.testing.assert_array_equal(stored.counts, sent.counts)
    # every cell but the zero ones after a date's first report is a revision
    cells = wide.iloc[:, 1:].to_numpy()
    assert len(frame) == DAYS + int((cells[:, 1:] != 0).sum())


def test_the_nowcast_as_of_a_date_uses_only_what_was_known_then(hub, seeded, tmp_path):
    path, _ = seeded
    frame, known = history_triangle(hub, tmp_path, as_of=dt.date.fromisoformat(AS_OF))
    assert frame["report_date"].max() == dt.date.fromisoformat(AS_OF)
    assert frame["reference_date"].max() == dt.date.fromisoformat(AS_OF)
    full = read_triangle(path)
    expected = nowcast(full, AS_OF, max_delay=DELAYS - 1, n_paths=200, seed=3)
    got = nowcast(known, AS_OF, max_delay=DELAYS - 1, n_paths=200, seed=3)
    np.testing.assert_array_equal(got.paths, expected.paths)
    np.testing.assert_array_equal(got.observed, expected.observed)


def test_values_as_of_are_the_triangle_cut_at_that_date(hub, seeded):
    path, _ = seeded
    observed = read_triangle(path).as_of(AS_OF).observed()[0]
    dates = read_triangle(path).as_of(AS_OF).dates
    answer = hub.client("KOR", "analyst").get(
        "/members/KOR/reports", params={"as_of": AS_OF, "indicator": "new_cases"}
    )
    assert answer.status_code == 200
    got = {v["date"]: v["value"] for v in answer.json()}
    assert got == {str(d): v for d, v in zip(dates, observed, strict=True)}


def test_resending_changes_nothing(hub, seeded):
    path, _ = seeded
    before = hub.counts()
    answer = hub.client("KOR", "reporter").post(
        "/members/KOR/reports/triangle",
        content=path.read_bytes(),
        headers={"Content-Type": "text/csv"},
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["importCount"]["imported"] == 0
    assert hub.counts() == before


def post(hub, body: str, member: str = "JPN", **params):
    return hub.client(member, "reporter").post(
        f"/members/{member}/reports/triangle",
        content=body.encode(),
        params=params,
        headers={"Content-Type": "text/csv"},
    )


def test_a_triangle_seeds_only_the_callers_own_location(hub):
    body = "location,date,value_0d,value_1d\nKOR,2021-01-01,3,1\n"
    answer = post(hub, body)
    assert answer.status_code == 403 and "'KOR'" in answer.json()["detail"]
    assert post(hub, body, member="KOR").status_code == 200  # its own: fine
    assert (
        hub.client("KOR", "reporter")
        .post(
            "/members/JPN/reports/triangle",
            content=b"date,value_0d\n2021-01-01,3\n",
            headers={"Content-Type": "text/csv"},
        )
        .status_code
        == 403
    )


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ("date,value_0d,value_1d\n2021-02-01,3,1\n2021-02-02,x,1\n", "line 3, field 'value_0d'"),
        ("reference_date,report_date,count\n2021-02-01,2021-02-01,2.5\n", "line 2, field 'count'"),
        ("date,value_0w,value_1w\n2021-02-01,3,1\n2021-02-08,3,1\n", "daily"),
        ("date,value_0d,value_>0d\n2021-02-01,3,1\n", "open last column"),
        ("date,cases\n2021-02-01,3\n", "expected a wide triangle"),
    ],
)
def test_unreadable_triangles_name_the_row_and_column(hub, body, where):
    before = hub.counts()
    answer = post(hub, body)
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert where in answer.json()["detail"]
    assert hub.counts() == before


def test_rule_breaking_cells_are_conflicts_and_nothing_is_stored(hub):
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    cases = [
        ("date,value_0d,value_1d\n2021-03-01,3,-5\n2021-03-02,1,1\n", 2, "value_1d"),
        (f"date,value_0d,value_1d\n2021-03-03,1,0\n{tomorrow},4,\n", 3, "value_0d"),
    ]
    for body, line, column in cases:
        before = hub.counts()
        answer = post(hub, body)
        assert answer.status_code == 422, answer.text
        conflicts = answer.json()["importSummary"]["conflicts"]
        assert [(c["row"], c["field"]) for c in conflicts] == [(line, column)]
        assert hub.counts() == before


def test_dates_with_a_different_history_are_refused(hub):
    jpn = hub.client("JPN", "reporter")
    body = {"values": [{"date": "2021-04-02", "indicator": "new_cases", "value": 5}]}
    assert jpn.post("/members/JPN/reports", json=body).status_code == 200
    before = hub.counts()
    answer = post(hub, "date,value_0d,value_1d\n2021-04-01,2,1\n2021-04-02,5,1\n")
    assert answer.status_code == 422
    conflicts = answer.json()["importSummary"]["conflicts"]
    assert [(c["row"], c["field"]) for c in conflicts] == [(3, "value_0d")]
    assert "different history" in conflicts[0]["reason"]
    assert hub.counts() == before


def test_deaths_within_cases_holds_for_a_seeded_history(hub):
    jpn = hub.client("JPN", "reporter")
    body = {"values": [{"date": "2021-05-01", "indicator": "new_cases", "value": 4}]}
    assert jpn.post("/members/JPN/reports", json=body).status_code == 200
    answer = post(hub, "date,value_0d,value_1d\n2021-05-01,3,2\n", indicator="new_deaths")
    assert answer.status_code == 422
    assert answer.json()["importSummary"]["conflicts"][0]["row"] == 2
    assert post(hub, "date,value_0d,value_1d\n2021-05-01,3,1\n", indicator="new_deaths").is_success
