"""A fast renewal-equation forecaster on Rt (reported counts as the renewal process, as
EpiEstim's projections do): fitted to the most recent weeks, it carries the current trend and
its uncertainty forward.

Fit (the last `fit_days` days): a quasi-Poisson log-linear regression with weekday effects,
log E[y_t] = a + r (t - T) + b_weekday(t) (IRLS); a weekday with no reports in the window gets
factor 0 (Spain's weekends) and its cases fall on the days that report. The growth rate r gives
the current reproduction number through the generation interval w, R = 1 / sum_s w_s exp(-r s)
(Wallinga & Lipsitch 2007); the negative-binomial dispersion k comes from the Pearson residuals.
Forecast: per sample path, (a, r) drawn from their estimated normal distribution, the past as
exp(a - r s), log Rt a random walk (weekly sd `rw_sd`) damped toward log R = 0 by `damping`
per week (the current trend fades: growth and decline do not go on for ever), infections
I_t = R_t sum_s w_s I_(t-s), reports NB(I_t f_weekday, k). The weekday factors may come from a
longer window (`weekday_days`) than the trend, which then fits only level and growth. The
daily defaults were chosen on the 2020 European origins and held out on 2021-2022
(docs/validation/forecast.md); a damping chosen per origin from the series' own recent past
and a walk sd estimated from it both did worse than one fixed value.
A weekly series is forecast the same way with a one-week generation interval and no weekdays.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from epicommons.errors import InputError
from epicommons.scoring import QUANTILES
from epicommons.surveillance.serial_interval import discr_si

from .result import Forecast, quantiles_of
from .weeks import WeekKind, weekday, weekly_sums


@dataclass(frozen=True)
class RenewalSettings:
    """Tuning of the renewal forecaster. The daily defaults (fit_days, weekday_days, rw_sd,
    damping) were chosen by scripts/validation/forecast_choose.py on the 2020 JHU origins only
    and validated on 2021-2022 (docs/validation/forecast.md); the weekly ones on SARI."""

    fit_days: int = 10  # days of the log-linear fit (weekly series: fit_weeks)
    fit_weeks: int = 4
    weekday_days: int = 10  # days that estimate the weekday factors (<= fit_days: the same fit)
    si_mean: float = 4.7  # COVID-19 serial interval, Nishiura et al. 2020 (days)
    si_sd: float = 2.9
    rw_sd: float = 0.25  # weekly sd of the log-Rt random walk (daily counts)
    weekly_rw_sd: float = 0.1  # the same for weekly series (smoother: SARI hospitalisations)
    damping: float = 0.4  # per week, log Rt -> damping * log Rt (1: an undamped walk)
    weekly_damping: float = 0.2  # the same for weekly series
    samples: int = 1000
    max_dispersion: float = 1e4  # k above this is treated as Poisson


@dataclass(frozen=True)
class RenewalFit:
    """Estimates at the last observed step: log level `a` (weekday-adjusted), growth `r` per
    step, their covariance, weekday factors (mean 1; None for weekly steps), NB dispersion `k`,
    the random-walk sd per week and the generation interval `w` (w[0] = lag 1 step)."""

    a: float
    r: float
    cov: np.ndarray
    weekday_factors: np.ndarray | None
    k: float
    rw_sd: float
    w: np.ndarray
    step_days: int

    @property
    def reproduction_number(self) -> float:
        """The current R implied by the growth rate."""
        return float(reproduction_from_growth(np.array([self.r]), self.w)[0])


def generation_interval(step_days: int, mean: float, sd: float) -> np.ndarray:
    """The generation interval on the model's step: daily (EpiEstim's discretised gamma, lag 1
    first, normalised) or one week."""
    if step_days == 7:
        return np.array([1.0])
    w = discr_si(np.arange(0, 8 * int(np.ceil(mean)) + 1), mean, sd)[1:]
    w = np.trim_zeros(w, "b")
    return w / w.sum()


def reproduction_from_growth(r: np.ndarray, w: np.ndarray) -> np.ndarray:
    """R = 1 / sum_s w_s exp(-r s) for growth rates r per step (Wallinga & Lipsitch 2007)."""
    s = np.arange(1, w.size + 1)
    return 1.0 / (np.exp(-np.multiply.outer(np.asarray(r, dtype=float), s)) @ w)


def fit_renewal(
    y: np.ndarray,
    weekdays: np.ndarray | None,
    settings: RenewalSettings = RenewalSettings(),
    step_days: int = 1,
) -> RenewalFit:
    """Fit the recent trend of counts `y` (last value = the origin); `weekdays` (Monday = 0) for
    daily counts, None for weekly ones. With `weekday_days` longer than `fit_days`, the weekday
    factors come from that longer window and the short one fits only the level and growth."""
    y = np.asarray(y, dtype=float)
    window = settings.fit_days if step_days == 1 else settings.fit_weeks
    if y.size < window + 1:
        raise InputError(
            f"the renewal model needs at least {window + 1} observed steps, got {y.size}",
            field="data",
        )
    w = generation_interval(step_days, settings.si_mean, settings.si_sd)
    rw_sd = settings.rw_sd if step_days == 1 else settings.weekly_rw_sd
    recent = np.clip(y[-window:], 0.0, None)
    if weekdays is None:
        if recent.sum() == 0:
            return RenewalFit(-np.inf, 0.0, np.zeros((2, 2)), None, np.inf, 0.0, w, step_days)
        x = np.column_stack([np.ones(window), np.arange(-window + 1, 1, dtype=float)])
        beta, cov, mu = _quasi_poisson(x, recent)
        k = _dispersion(recent, mu, 2, settings.max_dispersion)
        return RenewalFit(float(beta[0]), float(beta[1]), cov, None, k, rw_sd, w, step_days)
    long = min(max(settings.weekday_days, window), y.size)
    factors, a, r, cov, k = _weekday_fit(np.clip(y[-long:], 0.0, None), weekdays[-long:], settings)
    if not np.isfinite(a):
        return RenewalFit(-np.inf, 0.0, np.zeros((2, 2)), None, np.inf, 0.0, w, step_days)
    if long > window:  # the trend from the short window, the weekday factors as offsets
        wd = np.asarray(weekdays)[-window:]
        keep = factors[wd] > 0
        if recent[keep].sum() > 0:
            t = np.arange(-window + 1, 1, dtype=float)[keep]
            x = np.column_stack([np.ones(t.size), t])
            beta, cov, mu = _quasi_poisson(x, recent[keep], np.log(factors[wd][keep]))
            a, r = float(beta[0]), float(beta[1])
            k = _dispersion(recent[keep], mu, 2, settings.max_dispersion)
    return RenewalFit(float(a), float(r), cov[:2, :2], factors, k, rw_sd, w, step_days)


def _weekday_fit(
    recent: np.ndarray, wd: np.ndarray, settings: RenewalSettings
) -> tuple[np.ndarray, float, float, np.ndarray, float]:
    """Log-linear fit with weekday effects: factors (mean 1; 0 on days that never report),
    weekday-adjusted log level at the origin, growth, their covariance, NB dispersion."""
    n = recent.size
    wd = np.asarray(wd)
    reporting = np.array([recent[wd == d].sum() > 0 for d in range(7)])
    if not reporting.any():
        return np.zeros(7), -np.inf, 0.0, np.zeros((2, 2)), np.inf
    keep = reporting[wd]
    ref = int(np.flatnonzero(reporting)[0])
    days = [d for d in range(7) if reporting[d] and d != ref]
    columns = [np.ones(n), np.arange(-n + 1, 1, dtype=float)]
    columns += [(wd == d).astype(float) for d in days]
    x = np.column_stack(columns)[keep]
    beta, cov, mu = _quasi_poisson(x, recent[keep])
    b = np.zeros(7)
    b[days] = beta[2:]
    f = np.where(reporting, np.exp(b), 0.0)
    scale = f.mean()
    k = _dispersion(recent[keep], mu, x.shape[1], settings.max_dispersion)
    return f / scale, float(beta[0] + np.log(scale)), float(beta[1]), cov[:2, :2], k


def _quasi_poisson(
    x: np.ndarray, y: np.ndarray, offset: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Poisson log-linear regression by IRLS (with an optional offset on the log scale):
    coefficients, quasi-Poisson covariance, fitted means."""
    off = np.zeros(y.size) if offset is None else offset
    mu = y + 0.5
    eta = np.log(mu)
    beta = np.zeros(x.shape[1])
    for _ in range(50):
        z = eta - off + (y - mu) / mu
        xw = x * mu[:, None]
        new = np.linalg.lstsq(xw.T @ x, xw.T @ z, rcond=None)[0]
        eta = np.clip(x @ new + off, -50.0, 50.0)
        mu = np.exp(eta)
        done = np.max(np.abs(new - beta)) < 1e-8
        beta = new
        if done:
            break
    dof = max(y.size - x.shape[1], 1)
    phi = max(1.0, float(((y - mu) ** 2 / mu).sum() / dof))
    cov = phi * np.linalg.pinv((x * mu[:, None]).T @ x)
    return beta, cov, mu


def _dispersion(y: np.ndarray, mu: np.ndarray, p: int, cap: float) -> float:
    """Negative-binomial k by moments, Var = mu + mu^2 / k; capped at `cap` (near Poisson)."""
    excess = float((((y - mu) ** 2 - mu) / mu**2).sum() / max(y.size - p, 1))
    return cap if excess <= 1.0 / cap else 1.0 / excess


MAX_GROWTH = 0.5  # per day: a drawn growth rate beyond it (a fit to a few first cases) is cut


def simulate_renewal(
    fit: RenewalFit,
    steps: int,
    future_weekdays: np.ndarray | None,
    settings: RenewalSettings = RenewalSettings(),
    seed: int = 0,
) -> np.ndarray:
    """`(samples, steps)` simulated reports after the origin."""
    n = settings.samples
    if not np.isfinite(fit.a):
        return np.zeros((n, steps))
    gen = np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, 0x2E7E])))
    draws = gen.multivariate_normal([fit.a, fit.r], fit.cov, size=n, method="eigh")
    cap = MAX_GROWTH * fit.step_days
    a, r = draws[:, 0], np.clip(draws[:, 1], -cap, cap)
    lags = fit.w.size
    s = np.arange(lags)[::-1]  # history column j holds lag (lags - j) ... lag 1 last
    infections = np.exp(np.clip(a[:, None] - r[:, None] * s[None, :], -50.0, 50.0))
    log_r = np.log(reproduction_from_growth(r, fit.w))
    per_step = 7 / fit.step_days
    damping = settings.damping if fit.step_days == 1 else settings.weekly_damping
    damp = damping ** (1.0 / per_step)
    sd = fit.rw_sd / np.sqrt(per_step)
    out = np.empty((n, steps))
    w_rev = fit.w[::-1]
    for t in range(steps):
        log_r = damp * log_r + sd * gen.standard_normal(n)
        new = np.exp(log_r) * (infections[:, -lags:] @ w_rev)
        infections = np.concatenate([infections[:, 1:], new[:, None]], axis=1)
        mean = new if future_weekdays is None else new * fit.weekday_factors[future_weekdays[t]]
        out[:, t] = _negative_binomial(gen, mean, fit.k)
    return out


def _negative_binomial(gen: np.random.Generator, mean: np.ndarray, k: float) -> np.ndarray:
    """NB counts with these means and dispersion k (gamma-Poisson); k = inf is Poisson."""
    mean = np.clip(mean, 0.0, 1e12)
    if np.isfinite(k):
        mean = gen.gamma(k, mean / k) if k > 0 else mean
    return gen.poisson(mean).astype(float)


def renewal_forecast(
    dates: np.ndarray,
    counts: np.ndarray,
    *,
    country: str = "",
    step_days: int = 1,
    horizons: int = 4,
    week: WeekKind = "epi",
    levels: tuple[float, ...] = QUANTILES,
    settings: RenewalSettings = RenewalSettings(),
    seed: int = 0,
    population: float | None = None,
) -> Forecast:
    """Forecast the next `horizons` weeks from daily (step 1) or weekly (step 7) counts ending at
    the origin `dates[-1]` (for daily counts, the end of a week of kind `week`). With the
    `population`, no path reports more people than have not been reported yet."""
    dates = np.asarray(dates, dtype="datetime64[D]")
    origin = dates[-1]
    room = None if population is None else max(population - float(np.nansum(counts)), 0.0)
    if step_days == 1:
        fit = fit_renewal(counts, weekday(dates), settings, 1)
        future = origin + np.arange(1, 7 * horizons + 1).astype("timedelta64[D]")
        daily = _bounded(simulate_renewal(fit, future.size, weekday(future), settings, seed), room)
        ends, weekly = weekly_sums(future, daily, week)
        return Forecast(
            "renewal",
            country,
            origin,
            ends,
            quantiles_of(weekly, levels),
            levels,
            weekly,
            future,
            daily,
        )
    fit = fit_renewal(counts, None, settings, 7)
    weekly = _bounded(simulate_renewal(fit, horizons, None, settings, seed), room)
    ends = origin + 7 * np.arange(1, horizons + 1).astype("timedelta64[D]")
    return Forecast("renewal", country, origin, ends, quantiles_of(weekly, levels), levels, weekly)


def _bounded(paths: np.ndarray, room: float | None) -> np.ndarray:
    """Paths whose running total never exceeds `room` (the people not yet reported)."""
    if room is None:
        return paths
    total = np.minimum(np.cumsum(paths, axis=1), room)
    return np.diff(total, axis=1, prepend=0.0)
