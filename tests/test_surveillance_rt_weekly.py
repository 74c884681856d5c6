"""Rt from weekly counts (Nash et al. 2023): on a simulated renewal process the estimate recovers
the R that made the data, where reading each week as seven equal days is biased; every weekly
total is kept; on the real German SARI triangle, Rt of the last week on the nowcast-corrected
curve is unbiased against the Rt of the data known later, where the counts as known are not."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from epicommons.cli import main
from epicommons.surveillance.cori import cori_posterior
from epicommons.surveillance.nowcast import nowcast
from epicommons.surveillance.nowcast_rt import rt_on_weekly_nowcast
from epicommons.surveillance.options import RtOptions
from epicommons.surveillance.rt_weekly import rt_from_weekly, week_windows
from epicommons.surveillance.serial_interval import discr_si
from epicommons.surveillance.triangle import read_triangle

SI = discr_si(np.arange(60), 4.7, 2.9)  # a serial interval shorter than a week
WEEKS = 20
R_TRUE = np.where(np.arange(WEEKS * 7) < 70, 1.6, 0.7)  # growth for 10 weeks, then decline


def _renewal(reps: int, seed: int) -> np.ndarray:
    """Daily Poisson renewal process I_t ~ Poisson(R_t Σ w_s I_{t-s}), 20 cases on day 1."""
    rng = np.random.default_rng(seed)
    days = R_TRUE.size
    incidence = np.zeros((reps, days))
    incidence[:, 0] = 20
    for t in range(1, days):
        lags = np.arange(1, min(t, SI.size - 1) + 1)
        incidence[:, t] = rng.poisson(R_TRUE[t] * (incidence[:, t - lags] @ SI[lags]))
    return incidence


def test_weekly_rt_recovers_the_r_of_a_simulated_renewal_process():
    daily = _renewal(50, seed=4)
    weekly = daily.reshape(50, WEEKS, 7).sum(axis=2)
    truth = R_TRUE.reshape(WEEKS, 7).mean(axis=1)[1:]
    est = rt_from_weekly(weekly, SI).estimate
    # The first week keeps its even split, so the second week's estimate leans on it: from the
    # third week on, the reconstruction has its own history.
    assert np.abs(est.mean.mean(axis=0) - truth)[1:].max() < 0.03
    covered = (est.quantiles[:, 1:, 0] <= truth[1:]) & (truth[1:] <= est.quantiles[:, 1:, -1])
    assert 0.88 <= covered.mean() <= 0.99  # 95% credible intervals
    # The even split (each week read as seven equal days) is biased in the growth phase:
    even = np.repeat(weekly / 7, 7, axis=1)
    naive = cori_posterior(even, np.zeros_like(even), SI, week_windows(WEEKS)).mean
    assert truth[2] - naive.mean(axis=0)[2] > 0.05


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(0, 5000), min_size=3, max_size=30))
def test_the_reconstruction_keeps_every_weekly_total(counts):
    weekly = np.array([counts], dtype=float)
    result = rt_from_weekly(weekly, SI)
    assert (result.daily >= 0).all()
    np.testing.assert_allclose(result.daily.reshape(1, -1, 7).sum(axis=2), weekly, atol=1e-6)


@pytest.fixture(scope="module")
def sari_path(shared_data: Path) -> Path:
    return shared_data / "respinow_de" / "SARI__reporting_triangle-icosari-sari.csv"


def test_rt_on_the_corrected_sari_curve_is_unbiased_against_later_data(sari_path):
    """2023/24 season, every other as-of date: Rt of the last week (12 weeks read) from the
    nowcast against the Rt of the same 12 weeks as known at the end of the data."""
    tri = read_triangle(sari_path).select(["DE"], ["00+"])
    options = RtOptions(si_mean=3.6, si_sd=1.6)
    w = discr_si(np.arange(12 * 7 + 1), 3.6, 1.6)
    final = tri.up_to_delay(4).from_delay_zero()
    complete = final.final()[0]
    as_known, corrected, covered = [], [], []
    for day in np.arange(np.datetime64("2023-10-01"), np.datetime64("2024-04-28"), 14):
        result = nowcast(tri, day, max_delay=4, n_paths=300)
        last = rt_on_weekly_nowcast(tri, result, options, weeks=12).iloc[-1]
        end = int(np.searchsorted(final.dates, day))
        truth = rt_from_weekly(complete[end - 11 : end + 1], w).estimate.mean[0, -1]
        cut = tri.as_of(day).up_to_delay(4).from_delay_zero()
        as_known.append(rt_from_weekly(cut.observed()[0, -12:], w).estimate.mean[0, -1] - truth)
        corrected.append(last["mean"] - truth)
        covered.append(last["q0.025"] <= truth <= last["q0.975"])
    assert np.mean(as_known) < -0.08  # the counts as known pull the last week's Rt down
    # measured +0.043 (the nowcast's default method): a small upward bias. Below 0.04 before
    # publication pauses were handled only because the Christmas as-of date (2023-12-24),
    # nowcast near zero then, pulled the mean down
    assert abs(np.mean(corrected)) < 0.05
    assert np.mean(np.abs(corrected)) < np.mean(np.abs(as_known))
    assert np.mean(covered) >= 0.8


def test_the_cli_writes_weekly_rt_and_refuses_what_it_cannot_do(sari_path, tmp_path, capsys):
    out, rt = tmp_path / "n.csv", tmp_path / "rt.csv"
    argv = ["nowcast", str(sari_path), "--out", str(out), "--age-group", "00+", "--max-delay", "4"]
    argv += ["--as-of", "2024-01-07", "--rt", str(rt), "-q"]
    assert main([*argv, "--si-mean", "3.6", "--si-sd", "1.6"]) == 0
    table = pd.read_csv(rt)
    assert len(table) == 25  # 26 weeks read, the first has no infectors in view
    assert table["date_end"].iloc[-1] == "2024-01-07"
    assert (table["q0.025"] <= table["mean"]).all() and (table["mean"] <= table["q0.975"]).all()
    assert table["note"].notna().sum() == 4  # the four corrected weeks
    rt.unlink()
    assert main(argv) == 2
    assert "--si-mean" in capsys.readouterr().err and not rt.exists()
