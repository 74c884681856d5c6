"""Real-time (vintage) forecasts of the RESPINOW SARI series: at each origin the series is the
one known then, read from the reporting triangle (checked against the triangle's cells summed
independently with pandas), optionally nowcast-corrected; nothing reported later leaks in, and
the scores are against the latest data."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from epicommons.cli import main
from epicommons.forecast.vintage import with_triangle
from epicommons.forecast.weekly_file import read_weekly
from epicommons.surveillance.triangle import read_triangle


@pytest.fixture(scope="module")
def sari(shared_data: Path) -> tuple[Path, Path]:
    folder = shared_data / "respinow_de"
    return folder / "SARI__latest_data-SARI-sari.csv", (
        folder / "SARI__reporting_triangle-icosari-sari.csv"
    )


def _as_known_by_hand(triangle_csv: Path, origin: str) -> pd.Series:
    """Each week's count as reported by the origin: the delay cells k with date + 7k <= origin."""
    t = pd.read_csv(triangle_csv)
    t = t[(t["location"] == "DE") & (t["age_group"] == "00+")]
    t["date"] = pd.to_datetime(t["date"])
    day = pd.Timestamp(origin)
    t = t[t["date"] <= day]
    total = pd.Series(0.0, index=t["date"])
    for k in range(11):
        known = (t["date"] + pd.Timedelta(days=7 * k) <= day).to_numpy()
        total += np.where(known, t[f"value_{k}w"].to_numpy(float), 0.0)
    return total


def test_the_series_as_known_is_the_triangle_cut_at_the_origin(sari):
    latest, triangle = sari
    series = read_weekly(latest)
    (raw,) = with_triangle(series, read_triangle(triangle), "00+", corrected=False)
    origin = "2024-02-04"
    known = raw.up_to(np.datetime64(origin))
    by_hand = _as_known_by_hand(triangle, origin)
    mine = pd.Series(known.counts, index=pd.to_datetime(known.dates))
    assert mine.index[-1] == pd.Timestamp(origin)
    assert mine.loc[by_hand.index].to_numpy() == pytest.approx(by_hand.to_numpy())
    # the last week as known is far below its final count: the reports still to come
    assert mine.iloc[-1] < 0.9 * series[0].counts[series[0].dates == np.datetime64(origin)][0]
    # weeks before the triangle are the latest data's
    first = by_hand.index[0]
    assert (
        mine[mine.index < first].to_numpy() == series[0].counts[: (mine.index < first).sum()]
    ).all()


def test_nothing_reported_after_the_origin_changes_the_series_known_then(sari):
    latest, triangle = sari
    tri = read_triangle(triangle)
    origin = np.datetime64("2024-02-04")
    changed = tri.counts.copy()
    later = ~tri.known(origin)
    changed[:, later] = changed[:, later] * 3 + 100
    from dataclasses import replace

    a = with_triangle(read_weekly(latest), tri, "00+")[0].up_to(origin)
    b = with_triangle(read_weekly(latest), replace(tri, counts=changed), "00+")[0].up_to(origin)
    assert np.array_equal(a.counts, b.counts)


def test_the_nowcast_raises_the_incomplete_last_weeks(sari):
    latest, triangle = sari
    tri = read_triangle(triangle)
    series = read_weekly(latest)
    origin = np.datetime64("2024-02-04")
    raw = with_triangle(series, tri, "00+", corrected=False)[0].up_to(origin)
    fixed = with_triangle(series, tri, "00+")[0].up_to(origin)
    final = series[0].counts[series[0].dates == origin][0]
    assert fixed.counts[-1] > raw.counts[-1]
    # closer to the count finally reported than the raw count known on the day
    assert abs(fixed.counts[-1] - final) < abs(raw.counts[-1] - final)
    assert np.array_equal(fixed.counts[:-6], raw.counts[:-6])


def test_forecast_evaluate_real_time_scores_against_the_latest_data(sari, tmp_path: Path):
    latest, triangle = sari
    out = tmp_path / "rt"
    argv = ["forecast-evaluate", str(latest), "--week", "iso", "--triangle", str(triangle)]
    argv += ["--from", "2024-01-07", "--to", "2024-02-25", "--every", "1w", "--out", str(out)]
    assert main([*argv, "--quiet"]) == 0
    scores = pd.read_parquet(out / "scores.parquet")
    (final,) = read_weekly(latest)
    truth = dict(zip(pd.to_datetime(final.dates), final.counts, strict=True))
    assert (scores["observed"].to_numpy() == scores["target_end"].map(truth).to_numpy()).all()
    meta = json.loads((out / "evaluation.json").read_text())
    assert "nowcast" in meta["data_at_origin"]
    # too early for the nowcast's history: refused before any work, exit 2
    early = [*argv[:-8], "--from", "2023-03-05", "--to", "2023-04-02", "--every", "1w"]
    assert main([*early, "--out", str(tmp_path / "early"), "--quiet"]) == 2
