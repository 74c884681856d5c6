"""Importation risk of the next `horizon_days` through the spread engine.

Every member is seeded at day 0 (the day after the as-of date) with its current prevalence
from the nowcast-corrected curve — mean daily cases of the last 7 days ÷ ascertainment, times
the latent days (E) and the infectious days (I), steady-state prevalence = incidence × duration —
and its transmission follows its forecast: in forecast week h, R is the reproduction number of
the growth of the median forecast from week h − 1 to h (week 0: the last 7 corrected days),
R = 1 / Σ w_s e^(−r s) (Wallinga & Lipsitch 2007, the forecaster's generation interval w), the
last week's R held to the horizon; places without a forecast or with no cases: `default_r`.
An SEIR disease with R0 = 1 makes the transmission multiplier R itself.
`runs` stochastic runs, run r drawing from stream (seed, r) (common random numbers); the
importation meter records each run's expected border crossings of infected travellers. Expected
importations, P(≥ 1) = mean over runs of 1 − exp(−L_r), and the arrival-day quantiles of the
first importation (risk.outbreak) per member; arrival only for members not yet affected.
"""

from __future__ import annotations

import datetime

import numpy as np
import pandas as pd

from epicommons.errors import InputError
from epicommons.forecast.renewal import generation_interval, reproduction_from_growth
from epicommons.model import Modifiers, Seed, Window, WindowSchedule, build_model, seir
from epicommons.model.engine import draws_for
from epicommons.risk.outbreak import (
    QUANTILES,
    arrival_quantile,
    beyond_horizon,
    run_ensemble,
)
from epicommons.world.network import Network

from .options import AssessmentOptions
from .steps import MemberResult

RECENT_DAYS = 7  # prevalence from the mean of the last week's corrected daily cases
IMPORTATION_COLUMNS = [
    "location",
    "affected",
    "seeded_infected",
    "expected_importations",
    "p_at_least_one",
]  # and r_week_1 .. r_week_W, the R the engine used each forecast week
MAX_R = 10.0  # a forecast week's growth beyond this R is a doubtful artefact of small counts
ARRIVAL_COLUMNS = [
    "location",
    "p_at_least_one",
    "arrival_day_q05",
    "arrival_day_median",
    "arrival_day_q95",
    "arrival_date_median",
    "beyond_horizon",
]


def spread(
    results: list[MemberResult],
    network: Network,
    as_of: datetime.date,
    options: AssessmentOptions,
) -> tuple[pd.DataFrame, pd.DataFrame, list[dict[str, str]], list[dict[str, str]]]:
    """Importation and arrival tables for the members, with warnings and per-member failures."""
    failures, warnings = [], []
    weeks = options.forecast_weeks
    mult = np.full((weeks, network.size), options.default_r)
    w = generation_interval(1, options.si_mean, options.si_sd)
    seeds, rows = [], []
    for r in results:
        try:
            place = network.resolve_place(r.location, "country", field="members")
        except InputError as exc:
            failures.append({"location": r.location, "step": "spread", "reason": str(exc)})
            continue
        if r.failure is not None:
            warnings.append(
                {
                    "location": r.location,
                    "step": "spread",
                    "message": f"its {r.failure['step']} failed: spread from it is left out and "
                    f"its R is taken as {options.default_r:g}",
                }
            )
        r_weeks = _weekly_r(r, w, options)
        mult[:, place.nodes] = r_weeks[:, None]
        daily = 0.0 if r.recent is None else float(np.mean(np.maximum(r.recent[-RECENT_DAYS:], 0)))
        infected = daily / options.ascertainment
        lives = float(network.population[place.nodes].sum())
        exposed = min(infected * options.latent_days, 0.25 * lives)
        infectious = min(infected * options.infectious_days, 0.25 * lives)
        for compartment, count in (("E", exposed), ("I", infectious)):
            if count >= 0.5:
                seeds.append(Seed(country=r.location, count=count, compartment=compartment))
        recent = None if r.recent is None else r.recent[-options.affected_days :]
        affected = recent is not None and float(np.sum(np.maximum(recent, 0))) > 0
        rows.append((r.location, affected, exposed + infectious, r_weeks))
    if not rows:
        return _empty(IMPORTATION_COLUMNS), _empty(ARRIVAL_COLUMNS), warnings, failures
    model = build_model(
        seir(R0=1.0, sigma=1.0 / options.latent_days, gamma=1.0 / options.infectious_days),
        network,
    )
    ends = [min(7 * (h + 1), options.horizon_days) for h in range(weeks)]
    ends[-1] = options.horizon_days
    starts = [0, *ends[:-1]]
    schedule = WindowSchedule(
        [
            Window(lo, hi, Modifiers(transmission=mult[h]))
            for h, (lo, hi) in enumerate(zip(starts, ends, strict=True))
            if lo < hi
        ]
    )
    draws = draws_for("fast" if options.engine == "fast" else "stochastic")
    countries = tuple(sorted(set(network.country)))
    if not seeds:
        cdf = np.zeros((options.horizon_days, len(countries)))
        expected = np.zeros(len(countries))
    else:
        ens = run_ensemble(
            model,
            seeds,
            options.horizon_days,
            options.runs,
            options.seed,
            schedule=schedule,
            **draws,
        )
        # folded over runs as chunks finish (flat memory): P(>= 1 by day d), expected totals
        cdf, expected, countries = ens.first_cdf, ens.expected.mean(axis=0), ens.countries
    index = {c: i for i, c in enumerate(countries)}
    importation = pd.DataFrame(
        [
            {
                "location": loc,
                "affected": affected,
                "seeded_infected": seeded,
                "expected_importations": float(expected[index[loc]]),
                "p_at_least_one": float(np.clip(cdf[-1, index[loc]], 0.0, 1.0)),
                **{f"r_week_{h + 1}": float(v) for h, v in enumerate(r_weeks)},
            }
            for loc, affected, seeded, r_weeks in rows
        ]
    )
    quiet = [loc for loc, affected, *_ in rows if not affected]
    arrival = _arrival(quiet, cdf, index, as_of)
    return importation, arrival, warnings, failures


def _weekly_r(r: MemberResult, w: np.ndarray, options: AssessmentOptions) -> np.ndarray:
    """R per forecast week from the growth of the member's median forecast (see the module)."""
    out = np.full(options.forecast_weeks, options.default_r)
    if r.weekly_median is None or r.recent is None or r.recent.size < 7:
        return out
    weekly = np.concatenate([[np.maximum(r.recent[-7:], 0).sum()], r.weekly_median])
    for h in range(options.forecast_weeks):
        if weekly[h] > 0 and weekly[h + 1] > 0:
            growth = np.log(weekly[h + 1] / weekly[h]) / 7.0
            out[h] = float(np.clip(reproduction_from_growth(np.array([growth]), w)[0], 0, MAX_R))
    return out


def _arrival(members: list[str], cdf: np.ndarray, index: dict[str, int], as_of) -> pd.DataFrame:
    """Arrival-day quantiles (day 1 = the day after the as-of date); empty beyond the horizon."""
    if not members:
        return _empty(ARRIVAL_COLUMNS)
    cols = [index[m] for m in members]
    sub = cdf[:, cols]
    table = pd.DataFrame({"location": members, "p_at_least_one": np.clip(sub[-1], 0.0, 1.0)})
    for name, q in QUANTILES:
        table[name] = arrival_quantile(sub, q) + 1.0
    median = table["arrival_day_median"].to_numpy()
    start = np.datetime64(as_of, "D")
    table["arrival_date_median"] = [
        None if np.isnan(d) else str(start + np.timedelta64(int(d), "D")) for d in median
    ]
    table["beyond_horizon"] = beyond_horizon(sub[-1])
    return table[ARRIVAL_COLUMNS]


def _empty(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame({c: [] for c in columns})
