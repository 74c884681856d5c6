"""The renewal forecaster against analytic facts: exponential growth solves the renewal
equation when R = 1 / sum_s w_s exp(-r s); weekday factors; NB dispersion; weekly targets are
sums of the daily paths; and the week arithmetic against the calendar."""

from __future__ import annotations

import numpy as np
import pytest

from epicommons.errors import InputError
from epicommons.forecast.renewal import (
    RenewalSettings,
    fit_renewal,
    renewal_forecast,
    reproduction_from_growth,
)
from epicommons.forecast.weeks import week_end_on_or_after, weekday, weekly_sums

START = np.datetime64("2020-03-01")  # a Sunday


def _exponential(days: int, r: float, factors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    dates = START + np.arange(days).astype("timedelta64[D]")
    t = np.arange(days) - (days - 1)
    return dates, 2000.0 * np.exp(r * t) * factors[weekday(dates)]


def test_calendar():
    # 2020-04-04 was a Saturday (the end of epi week 14), 2020-04-05 a Sunday (ISO week 14)
    assert weekday(np.array(["2020-04-04", "2020-04-05"], dtype="datetime64[D]")).tolist() == [5, 6]
    assert week_end_on_or_after(np.datetime64("2020-04-01"), "epi") == np.datetime64("2020-04-04")
    assert week_end_on_or_after(np.datetime64("2020-04-04"), "epi") == np.datetime64("2020-04-04")
    assert week_end_on_or_after(np.datetime64("2020-04-01"), "iso") == np.datetime64("2020-04-05")
    dates = np.datetime64("2020-03-30") + np.arange(16).astype("timedelta64[D]")  # Mon .. Tue
    ends, sums = weekly_sums(dates, np.arange(16.0))
    # complete Sun-Sat weeks only: 04-05..04-11 (values 6..12) ends on the Saturday 04-11
    assert ends.astype(str).tolist() == ["2020-04-11"] and sums.tolist() == [sum(range(6, 13))]


def test_fit_recovers_growth_and_weekday_factors_exactly():
    factors = np.array([1.3, 1.1, 1.0, 1.0, 1.05, 0.8, 0.75])  # Monday first; mean 1
    dates, y = _exponential(60, 0.04, factors)
    fit = fit_renewal(y, weekday(dates))
    assert fit.r == pytest.approx(0.04, rel=1e-6)
    assert fit.weekday_factors == pytest.approx(factors, rel=1e-6)
    assert np.exp(fit.a) == pytest.approx(2000.0, rel=1e-6)
    assert fit.k > 1e3  # no overdispersion in exact means


def test_exponential_growth_continues_under_the_renewal_equation():
    # with R = 1 / sum_s w_s exp(-r s) the renewal equation is solved by exp(r t): without a
    # random walk (sd 0, no damping) the forecast mean continues the exponential, weekdays included
    factors = np.array([1.3, 1.1, 1.0, 1.0, 1.05, 0.8, 0.75])
    dates, y = _exponential(70, 0.03, factors)
    settings = RenewalSettings(rw_sd=0.0, damping=1.0, samples=2000)
    fc = renewal_forecast(dates, y, settings=settings)
    future = fc.daily_dates
    h = (future - dates[-1]).astype(int)
    expected = 2000.0 * np.exp(0.03 * h) * factors[weekday(future)]
    assert fc.daily_paths.mean(axis=0) == pytest.approx(expected, rel=0.02)
    assert fit_renewal(y, weekday(dates)).reproduction_number == pytest.approx(
        float(reproduction_from_growth(np.array([0.03]), fit_renewal(y, weekday(dates)).w)[0])
    )


def test_days_without_reports_stay_empty_and_their_cases_move_to_the_others():
    factors = np.array([1.4, 1.2, 1.2, 1.2, 1.0, 0.0, 0.0]) * 7 / 6  # no reports at weekends
    dates, y = _exponential(42, 0.0, factors)
    fc = renewal_forecast(dates, y, settings=RenewalSettings(samples=200))
    weekend = weekday(fc.daily_dates) >= 5
    assert (fc.daily_paths[:, weekend] == 0).all()
    assert (fc.daily_paths[:, ~weekend] > 0).all()


def test_dispersion_estimated_from_negative_binomial_counts():
    gen = np.random.default_rng(3)
    k, mu = 20.0, 1000.0
    y = gen.poisson(gen.gamma(k, mu / k, size=401)).astype(float)
    dates = START + np.arange(401).astype("timedelta64[D]")
    fit = fit_renewal(y, weekday(dates), RenewalSettings(fit_days=400))
    assert fit.k == pytest.approx(k, rel=0.3)


def test_weekly_targets_are_sums_of_the_daily_paths_not_of_their_quantiles():
    gen = np.random.default_rng(1)
    dates = START + np.arange(63).astype("timedelta64[D]")  # ends on a Saturday
    y = gen.poisson(500, size=63).astype(float)
    # a 14-day fit: the day-to-day noise, not the trend's uncertainty, dominates the spread
    fc = renewal_forecast(dates, y, settings=RenewalSettings(fit_days=14, weekday_days=14))
    assert fc.week_ends.astype(str).tolist() == [
        "2020-05-09",
        "2020-05-16",
        "2020-05-23",
        "2020-05-30",
    ]
    assert fc.weekly_paths == pytest.approx(fc.daily_paths.reshape(1000, 4, 7).sum(axis=2))
    assert fc.weekly_quantiles == pytest.approx(np.quantile(fc.weekly_paths, fc.levels, axis=0))
    daily_q = fc.daily_quantiles()
    five = fc.levels.index(0.05)
    # the 5% quantile of a weekly total is above the sum of the daily 5% quantiles
    assert (fc.weekly_quantiles[five] > daily_q[five].reshape(4, 7).sum(axis=1)).all()


def test_no_path_reports_more_people_than_are_left():
    dates, y = _exponential(42, 0.15, np.ones(7))  # fast growth: 2,000 a day now
    left = 30_000.0
    fc = renewal_forecast(dates, y, population=float(y.sum()) + left)
    assert fc.daily_paths.sum(axis=1).max() == pytest.approx(left)  # growth would go far beyond
    assert (fc.daily_paths >= 0).all()


def test_too_short_a_series_is_an_input_error():
    dates = START + np.arange(10).astype("timedelta64[D]")
    with pytest.raises(InputError, match="at least 11 observed steps"):
        renewal_forecast(dates, np.ones(10))


def test_weekday_factors_from_a_longer_window_leave_the_short_one_the_trend():
    factors = np.array([1.3, 1.1, 1.0, 1.0, 1.05, 0.8, 0.75])
    dates, y = _exponential(60, 0.04, factors)
    # a 7-day window alone cannot hold a level, a growth and six weekday effects
    fit = fit_renewal(y, weekday(dates), RenewalSettings(fit_days=7, weekday_days=28))
    assert fit.r == pytest.approx(0.04, rel=1e-6)
    assert fit.weekday_factors == pytest.approx(factors, rel=1e-6)
    assert np.exp(fit.a) == pytest.approx(2000.0, rel=1e-6)
    # growth that turned 10 days ago: the short window sees the new growth, the long one
    # (one trend through the turn) does not
    t = np.arange(60) - 59
    turned = 2000.0 * np.exp(np.where(t > -10, 0.05 * t, -0.5 - 0.02 * (t + 10)))
    y = turned * factors[weekday(dates)]
    short = fit_renewal(y, weekday(dates), RenewalSettings(fit_days=10, weekday_days=28))
    long = fit_renewal(y, weekday(dates), RenewalSettings(fit_days=28, weekday_days=28))
    assert short.r == pytest.approx(0.05, rel=0.05)
    assert long.r < 0.03
