"""The mechanistic model (`epicommons.calibrate`) as a forecaster: at each origin, one
likelihood fit of the deterministic SEIR engine to the last weeks of one country's daily cases,
then a forecast from the point estimate with its Laplace band.

The fit starts `window` days before the origin (the first `burn_in` days are not fitted: the
infections seeded on day 0 settle into the model's age and stage mix), with the people immune
then estimated from the cases reported before it (divided by the reporting share, capped at
90%), R0, transmission factors from change points `change_every` and 2 x `change_every` days
before the origin, the infections on day 0 and the negative-binomial dispersion fitted.
The likelihood fit is the one sampler of calibrate fast enough for one fit per origin (seconds,
against minutes for ABC-SMC); when its Hessian is not positive definite the forecast is the
point estimate alone and `note` says so. Reports: a fixed share of infections (`reporting`).
The window was set once, from 42 days with a 7-day burn-in and changes 10 days apart, after 9
forecasts (Belgium, Germany, Spain at 3 origins) in which the short burn-in made the seeded
infections' own transient look like a collapse of the epidemic.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

import numpy as np

from epicommons.errors import InputError, validate
from epicommons.scoring import QUANTILES

from .result import Forecast, quantiles_of
from .weeks import WeekKind, weekly_sums


@dataclass(frozen=True)
class MechanisticSettings:
    """The per-origin fit: its window, change points, reporting share and forecast runs."""

    window: int = 49  # days from the fit's start to the origin
    burn_in: int = 14  # first days of the window not fitted
    change_every: int = 14  # change points this many days apart, the last one before the origin
    reporting: float = 0.3  # share of infections reported as cases (assumed, not fitted)
    runs: int = 300
    starts: int = 2


@lru_cache(maxsize=1)
def _network():
    """The built-in country-level travel network (loaded once per process)."""
    from epicommons.world.sources import load_network

    return load_network(source="builtin", level="country")


def _problem(country: str, origin: date, immune: float, settings: MechanisticSettings, data):
    """The calibration problem of one country fitted up to `origin`."""
    from epicommons.calibrate.problem import build_problem
    from epicommons.calibrate.spec import CalibrationSpec
    from epicommons.model.scenario import Scenario

    start = origin - timedelta(days=settings.window - 1)
    scenario = validate(
        Scenario,
        {
            "name": f"{country} forecast from {origin}",
            "start": start,
            "days": settings.window + 28,
            "engine": "deterministic",
            "network": {"source": "builtin", "level": "country"},
            "disease": {
                "preset": "SEIR",
                "parameters": {"R0": 1.0, "sigma": 0.4, "gamma": 0.333},
            },
            "seeds": [{"country": country, "count": 10}],
        },
    )
    step = timedelta(days=settings.change_every)
    spec = validate(
        CalibrationSpec,
        {
            "countries": [country],
            "fit_start": start + timedelta(days=settings.burn_in),
            "fit_end": origin,
            "change_points": [origin - 2 * step, origin - step],
            "forecast_days": 28,
            "starts": settings.starts,
            "fit": {
                "R0": {"prior": "uniform", "low": 0.2, "high": 4.0},
                "change": {"prior": "uniform", "low": 0.2, "high": 3.0},
                "seed_size": {"prior": "loguniform", "low": 10, "high": 1e7},
                "dispersion": {"prior": "loguniform", "low": 1, "high": 1000},
            },
            "fixed": {"reporting": settings.reporting, "immune": immune},
        },
    )
    return build_problem(scenario, spec, data, network=_network())


def laplace_or_point(problem, point, runs: int, seed: int, backend=None) -> tuple[np.ndarray, str]:
    """Parameter draws from the Laplace band at the point estimate when its Hessian is positive
    definite, else the point estimate alone; and which of the two it is."""
    from epicommons.calibrate.diagnostics import laplace_draws
    from epicommons.calibrate.likelihood import laplace_covariance

    try:
        with np.errstate(invalid="ignore", divide="ignore"):  # a flat likelihood: NaN, judged
            cov = laplace_covariance(problem, point, backend=backend)
        sym = 0.5 * (cov + cov.T)
        positive = bool(np.all(np.isfinite(sym)) and np.all(np.linalg.eigvalsh(sym) > 0))
    except np.linalg.LinAlgError:
        positive = False
    if not positive:
        return point.values[None, :], (
            "the point estimate alone (Hessian not positive definite: reporting noise only)"
        )
    box = np.array([q.prior.box() for q in problem.parameters], dtype=float)
    draws = laplace_draws(point.values, cov, box, runs, seed)
    return draws, "the likelihood point estimate with its Laplace band"


def mechanistic_forecast(
    dates: np.ndarray,
    counts: np.ndarray,
    *,
    country: str,
    horizons: int = 4,
    week: WeekKind = "epi",
    levels: tuple[float, ...] = QUANTILES,
    settings: MechanisticSettings = MechanisticSettings(),
    seed: int = 0,
) -> tuple[Forecast, str]:
    """Forecast the next `horizons` weeks of daily counts ending at the origin `dates[-1]`;
    also says what the forecast was drawn from (Laplace band or point estimate) and why."""
    from epicommons.calibrate import fit_likelihood, forecast
    from epicommons.surveillance.cases import CaseData, make_table
    from epicommons.world.population import population

    dates = np.asarray(dates, dtype="datetime64[D]")
    counts = np.asarray(counts, dtype=float)
    if horizons * 7 > 28:
        raise InputError("the mechanistic model forecasts at most 4 weeks", field="--horizons")
    if dates.size < settings.window:
        raise InputError(
            f"the mechanistic model needs {settings.window} days of data, got {dates.size}",
            field="data",
        )
    origin = dates[-1]
    keep = dates > origin - np.timedelta64(settings.window, "D")
    earlier = float(np.nansum(counts[~keep]))
    immune = round(min(earlier / settings.reporting / population(country), 0.9), 6)
    n = int(keep.sum())
    data = CaseData(
        make_table(np.full(n, country), np.arange(1, n + 1), counts[keep], date=dates[keep])
    )
    problem = _problem(country, origin.astype(date), immune, settings, data)
    point = fit_likelihood(problem, starts=settings.starts, seed=seed)
    theta, note = laplace_or_point(problem, point, settings.runs, seed)
    fc = forecast(problem, theta, None, runs=settings.runs, seed=seed)
    end = int(problem.fit_days[-1])
    daily = fc.samples[:, end + 1 : end + 1 + 7 * horizons, 0, 0].astype(float)
    future = origin + np.arange(1, 7 * horizons + 1).astype("timedelta64[D]")
    ends, weekly = weekly_sums(future, daily, week)
    return (
        Forecast(
            "mechanistic",
            country,
            origin,
            ends,
            quantiles_of(weekly, levels),
            levels,
            weekly,
            future,
            daily,
        ),
        note,
    )
