"""A series that stops reporting is not an epidemic ending: the cleaning record finds the stop,
and Rt, growth and doubling time leave the windows over it empty, saying why (issue 13, item 6).

Expected values come from the raw JHU file read with the csv module, from the issue's published
stop date, and from synthetic series whose stop is known by construction.
"""

from __future__ import annotations

import csv
import html as html_text
import re
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from epicommons.cli import main
from epicommons.surveillance import (
    CleaningRules,
    discr_si,
    estimate_rt,
    growth_from_incidence,
    growth_from_rt,
    read_jhu,
    read_tidy,
)
from epicommons.surveillance.cleaning import find_reporting_gaps

TAIWAN_STOP = "2023-02-23"  # issue 13: "JHU stopped reporting Taiwan on 2023-02-23"


@pytest.fixture(scope="module")
def confirmed(shared_data: Path) -> Path:
    return shared_data / "jhu_csse_covid19" / "time_series_covid19_confirmed_global.csv"


def _raw_row(path: Path, name: str) -> tuple[list[str], list[float]]:
    """Date headers and cumulative counts of one JHU row, read with the csv module."""
    with open(path, newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.reader(handle))
    (row,) = [r for r in rows[1:] if r[1] == name and r[0] == ""]
    return rows[0][4:], [float(v) for v in row[4:]]


def test_taiwan_stop_is_recorded_at_the_day_after_its_last_increase(confirmed: Path) -> None:
    headers, cumulative = _raw_row(confirmed, "Taiwan*")
    last_rise = max(i for i in range(1, len(cumulative)) if cumulative[i] > cumulative[i - 1])
    first_flat = datetime.strptime(headers[last_rise + 1], "%m/%d/%y").date().isoformat()
    assert first_flat == TAIWAN_STOP  # the raw file agrees with the date
    data = read_jhu(confirmed, with_deaths=False)
    (gap,) = [g for g in data.report.gaps if g.country == "TWN"]
    assert (gap.kind, gap.first_date, gap.days) == (
        "stopped",
        TAIWAN_STOP,
        len(headers) - 1 - last_rise,
    )
    frame = data.report.to_frame()
    row = frame[(frame["country"] == "TWN") & (frame["issue"] == "reporting stopped")]
    assert row["date"].tolist() == [TAIWAN_STOP]


def test_taiwan_rt_is_empty_after_the_stop_with_the_reason(confirmed: Path) -> None:
    rt = estimate_rt(read_jhu(confirmed, with_deaths=False), si_mean=4.7, si_sd=2.9,
                     countries=["TWN"])  # fmt: skip
    after = rt["date_end"] >= pd.Timestamp(TAIWAN_STOP)
    assert after.sum() == 15 and rt.loc[after, "mean"].isna().all()
    assert rt.loc[after, "note"].str.startswith("reporting stopped").all()
    before = rt[~after & (rt["t_end"] > 10)]
    assert before["mean"].notna().all() and (before["note"] == "").all()
    # the 0.0002 "shrinking" estimate of the issue came from a window reaching into the stop
    assert rt["mean"].min() > 0.05


def test_cli_writes_the_reason_and_the_record(confirmed: Path, tmp_path: Path) -> None:
    out, record = tmp_path / "rt.csv", tmp_path / "cleaning.csv"
    args = ["rt", str(confirmed), "--out", str(out), "--country", "Taiwan", "--si-mean", "4.7"]
    assert main([*args, "--si-sd", "2.9", "--report", str(record), "--quiet"]) == 0
    rt = pd.read_csv(out, keep_default_na=False)
    blank = rt[rt["mean"] == ""]
    assert set(blank["date_end"]) >= {TAIWAN_STOP, "2023-03-09"}
    assert blank[blank["date_end"] >= TAIWAN_STOP]["note"].str.contains("since 2023-02-23").all()
    rec = pd.read_csv(record)
    assert "reporting stopped" in set(rec[rec["country"] == "TWN"]["issue"])
    # --stop-days 0 turns the rule off: the windows get numbers again (EpiEstim's behaviour)
    assert main([*args, "--si-sd", "2.9", "--stop-days", "0", "--quiet"]) == 0
    assert pd.read_csv(out)["mean"].iloc[-1] < 0.01


def _trailing_stop(counts: list[float], stop_days: int) -> tuple[int, int] | None:
    """Plain-loop reference: the zero run after the last positive count, if long enough."""
    last = None
    for i, c in enumerate(counts):
        if c > 0:
            last = i
    if last is None or len(counts) - 1 - last < stop_days or stop_days == 0:
        return None
    return last + 2, len(counts)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.sampled_from([0.0, 0.0, 0.0, 1.0, 7.0]), min_size=1, max_size=60),
    st.integers(0, 20),
)
def test_trailing_stop_equals_a_plain_loop(counts: list[float], stop_days: int) -> None:
    found = [(a, b) for a, b, kind in find_reporting_gaps(np.array(counts), stop_days=stop_days)]
    expected = _trailing_stop(counts, stop_days)
    assert found == ([] if expected is None else [expected])


def _tidy(path: Path, counts: list[float], skip: range = range(0)) -> Path:
    days = pd.date_range("2021-01-01", periods=len(counts), freq="D")
    rows = [
        f"{d.date()},{c:g}"
        for i, (d, c) in enumerate(zip(days, counts, strict=True))
        if i not in skip
    ]
    path.write_text("date,cases\n" + "\n".join(rows) + "\n")
    return path


def test_synthetic_stop_blanks_exactly_the_windows_that_reach_it(tmp_path: Path) -> None:
    counts = [100.0] * 60 + [0.0] * 20  # reporting stops on day 61, known by construction
    data = read_tidy(_tidy(tmp_path / "c.csv", counts))
    rt = estimate_rt(data, si_mean=4.7, si_sd=2.9)
    reaches = rt["t_end"] >= 61
    assert (
        rt.loc[reaches, "mean"].isna().all()
        and rt.loc[reaches, "note"].str.contains("20 days").all()
    )
    # constant incidence: Rt close to 1 in every window with an estimate (no spurious decline)
    kept = rt[~reaches & rt["mean"].notna()]
    assert kept["t_end"].max() == 60
    np.testing.assert_allclose(kept["mean"].iloc[10:], 1.0, atol=0.05)
    # with a longer threshold the same 20 days are not a stop
    longer = read_tidy(tmp_path / "c.csv", rules=CleaningRules(stop_days=21))
    assert longer.report.gaps == []


def test_weekly_reporting_and_zero_runs_inside_a_series_are_not_stops(tmp_path: Path) -> None:
    weekly = ([0.0] * 6 + [700.0]) * 12
    inside = [50.0] * 30 + [0.0] * 25 + [60.0] * 30
    for name, counts in (("weekly", weekly), ("inside", inside)):
        assert read_tidy(_tidy(tmp_path / f"{name}.csv", counts)).report.gaps == []


def test_missing_days_are_a_gap_when_long(tmp_path: Path) -> None:
    counts = [80.0] * 90
    long_gap = read_tidy(_tidy(tmp_path / "long.csv", counts, skip=range(40, 55)))
    (gap,) = long_gap.report.gaps
    assert (gap.kind, gap.first, gap.last, gap.first_date) == ("missing", 41, 55, "2021-02-10")
    rt = estimate_rt(long_gap, si_mean=4.7, si_sd=2.9)
    hit = (rt["t_end"] >= 41) & (rt["t_start"] <= 55)
    assert (
        rt.loc[hit, "mean"].isna().all()
        and rt.loc[hit, "note"].str.startswith("reporting gap").all()
    )
    assert rt.loc[~hit & (rt["t_end"] > 10), "mean"].notna().all()
    short = read_tidy(_tidy(tmp_path / "short.csv", counts, skip=range(40, 45)))
    assert short.report.gaps == []  # 5 missing days: filled with 0 and recorded, as before


def test_growth_and_doubling_time_leave_the_stop_empty(tmp_path: Path) -> None:
    days = np.arange(60)
    counts = list(10 * np.exp(0.1 * days)) + [0.0] * 20
    data = read_tidy(_tidy(tmp_path / "g.csv", [round(c, 6) for c in counts]))
    growth = growth_from_incidence(data, window=10)
    margin = 3  # smoothing over 7 days reads 3 days beyond each end of the fit window
    hit = growth["t_end"] + margin >= 61
    assert growth.loc[hit, ["r", "doubling_time"]].isna().all().all()
    assert growth.loc[hit, "note"].str.startswith("reporting stopped").all()
    np.testing.assert_allclose(growth.loc[~hit, "r"].dropna(), 0.1, rtol=1e-4)
    from_rt = growth_from_rt(
        estimate_rt(data, si_mean=4.7, si_sd=2.9), discr_si(np.arange(80), 4.7, 2.9)
    )
    after = from_rt["t_end"] >= 61
    assert from_rt.loc[after, ["r", "doubling_time"]].isna().all().all()
    assert from_rt.loc[after, "note"].str.startswith("reporting stopped").all()
    assert list(from_rt.columns)[-1] == "note"


def _html_table(path: Path, column: str) -> pd.DataFrame:
    html = path.read_text(encoding="utf-8")
    for table in re.findall(r"<table.*?</table>", html, re.S):
        rows = [
            [
                html_text.unescape(re.sub(r"<[^>]+>", "", c)).strip()
                for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", r, re.S)
            ]
            for r in re.findall(r"<tr.*?</tr>", table, re.S)
        ]
        if column in rows[0]:
            return pd.DataFrame(rows[1:], columns=rows[0])
    raise AssertionError(f"no table with {column!r}")


def _raw_period_sum(path: Path, name: str, end: str, days: int = 28) -> float:
    """Daily increments (negatives as 0, the rt default) over the `days` days to `end`."""
    headers, cumulative = _raw_row(path, name)
    i = headers.index(end)
    return sum(max(cumulative[t] - cumulative[t - 1], 0.0) for t in range(i - days + 1, i + 1))


def test_report_cases_beside_an_estimate_are_from_its_own_period(
    confirmed: Path, tmp_path: Path
) -> None:
    """Issue 13, item 7: windows ending 2020-05-31, Germany's cases are May 2020's (18,986)."""
    report = tmp_path / "rt.html"
    args = ["rt", str(confirmed), "--out", str(tmp_path / "rt.csv"), "--country", "DEU,ITA,TWN"]
    args += ["--si-mean", "4.7", "--si-sd", "2.9", "--to", "2020-05-31"]
    assert main([*args, "--report", str(report), "--quiet"]) == 0
    cases = "cases, 28 days to the window's end"  # the report's heading for people
    table = _html_table(report, cases).set_index("code")
    assert set(table["window ends"]) == {"2020-05-31"}
    expected = {"DEU": 18_986, "ITA": _raw_period_sum(confirmed, "Italy", "5/31/20")}
    assert _raw_period_sum(confirmed, "Germany", "5/31/20") == expected["DEU"]
    for code, value in expected.items():
        assert float(table.loc[code, cases].replace(",", "")) == value
