"""Members' Rt over HTTP, from the reports they stored."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from epicommons.surveillance import estimate_rt
from test_hub_support import backend_params, running_hub


@pytest.fixture(scope="module", params=backend_params())
def hub(request, tmp_path_factory):
    yield from running_hub(request.param, tmp_path_factory.mktemp("rt"))


def post_cases(client, code: str, start: dt.date, cases: list[int]) -> None:
    body = {
        "values": [
            {
                "date": (start + dt.timedelta(days=i)).isoformat(),
                "indicator": "new_cases",
                "value": c,
            }
            for i, c in enumerate(cases)
        ]
    }
    assert client.post(f"/members/{code}/reports", json=body).status_code == 200


def test_constant_incidence_gives_rt_one(hub):
    # With I_t = c every day, the infectiousness sum is c once the serial interval is covered,
    # so the posterior mean (1 + 7c) / (1/5 + 7c) tends to 1 (Cori et al. 2013, eq. 2).
    kor = hub.client("KOR", "reporter")
    post_cases(kor, "KOR", dt.date(2025, 1, 1), [1000] * 60)
    doc = kor.get("/members/KOR/rt", params={"start": "2025-01-01", "end": "2025-03-01"}).json()
    assert doc["filled_days"] == 0 and doc["method"] == "cori"
    late = [w for w in doc["estimates"] if w["date_start"] >= "2025-02-01"]
    assert late and all(abs(w["mean"] - 1) < 0.01 for w in late)
    assert all(w["q025"] <= w["median"] <= w["q975"] for w in late)


def test_same_estimate_as_the_surveillance_module_on_the_same_series(hub):
    jpn = hub.client("JPN", "reporter")
    cases = [round(20 * math.exp(0.08 * t)) for t in range(40)]
    cases[10] = 0  # a reported zero stays a zero
    post_cases(jpn, "JPN", dt.date(2025, 6, 1), cases)
    params = {"start": "2025-06-01", "end": "2025-07-10", "si_mean": 5.2, "si_sd": 1.7, "window": 5}
    doc = jpn.get("/members/JPN/rt", params=params).json()
    ref = estimate_rt(cases, si_mean=5.2, si_sd=1.7, window=5)
    assert [w["mean"] for w in doc["estimates"]] == pytest.approx(ref["mean"].tolist())
    assert doc["estimates"][0]["date_start"] == "2025-06-02"  # t_start 2 as in EpiEstim


def test_unreported_days_are_counted_and_short_series_refused(hub):
    chn = hub.client("CHN", "reporter")
    post_cases(chn, "CHN", dt.date(2025, 9, 1), [5, 6, 7])
    post_cases(chn, "CHN", dt.date(2025, 9, 10), [8, 9, 10])
    doc = chn.get("/members/CHN/rt", params={"window": 3}).json()
    assert doc["filled_days"] == 6
    short = chn.get("/members/CHN/rt", params={"end": "2025-09-03", "window": 7})
    assert short.status_code == 422
    assert short.headers["content-type"] == "application/problem+json"
    empty = chn.get("/members/CHN/rt", params={"start": "2030-01-01"})
    assert empty.status_code == 422


def test_rt_follows_sharing(hub):
    post_cases(hub.client("JPN", "reporter"), "JPN", dt.date(2024, 1, 1), [30] * 20)
    kor = hub.client("KOR", "analyst")
    assert kor.get("/members/JPN/rt").status_code == 403
    who = hub.client("WHO", "coordinator")
    assert who.get("/members/JPN/rt", params={"end": "2024-01-20"}).status_code == 200


def test_windows_after_reporting_stops_are_empty_with_the_reason(hub):
    """30 trailing zero days after steady reporting: a stop (14 days or more), not an epidemic
    that ended; the API and the member's page leave those windows empty and say why."""
    chn = hub.client("CHN", "reporter")
    post_cases(chn, "CHN", dt.date(2024, 1, 1), [100] * 50 + [0] * 30)
    doc = chn.get("/members/CHN/rt", params={"end": "2024-03-20"}).json()
    last = doc["estimates"][-1]
    assert last["mean"] is None and "reporting stopped" in last["note"]
    early = [w for w in doc["estimates"] if w["date_end"] <= "2024-02-10"]
    assert early and all(w["mean"] is not None and w["note"] is None for w in early)


def test_windows_with_too_few_cases_have_no_estimate_not_the_prior(hub):
    """One case a week: a 7-day window's gamma posterior has shape 1 + 1 (the default prior,
    mean 5 and sd 5, has shape 1), so its CV is 1/sqrt(2) = 0.71, above 0.3: mostly the prior
    (mean about 5), which the map would show red. The API leaves those windows empty."""
    chn = hub.client("CHN", "reporter")
    post_cases(chn, "CHN", dt.date(2024, 1, 1), [1, 0, 0, 0, 0, 0, 0] * 6)
    doc = chn.get("/members/CHN/rt", params={"end": "2024-02-11"}).json()
    assert doc["estimates"]
    for w in doc["estimates"]:
        assert w["mean"] is None and w["q975"] is None
        assert "posterior CV above 0.3" in w["note"]
