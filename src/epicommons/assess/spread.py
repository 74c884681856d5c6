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

A member whose nowcast failed has no corrected curve: its prevalence is unknown, so it seeds
nothing (it is left out as a source, never taken as zero cases, and a warning row says so), its R
is `default_r`, and whether it is already affected is `unknown`: its arrival row has no days,
only the chance of an importation and the reason in `note`.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from epicommons.backend import Backend
from epicommons.errors import InputError
from epicommons.forecast.renewal import generation_interval, reproduction_from_growth
from epicommons.model import Modifiers, Seed, Window, WindowSchedule, build_model, seir
from epicommons.model.engine import Model, draws_for
from epicommons.model.modifiers import Schedule
from epicommons.risk.outbreak import (
    QUANTILES,
    Ensemble,
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
    "affected",  # yes, no, or unknown (its nowcast failed)
    "seeded_infected",
    "seeded_exposed",
    "seeded_infectious",
    "expected_importations",
    "p_at_least_one",
]  # and r_week_1 .. r_week_W, the R the engine used each forecast week
SEED_COLUMNS = ("seeded_exposed", "seeded_infectious")  # what the engine was seeded with
MAX_R = 10.0  # a forecast week's growth beyond this R is a doubtful artefact of small counts
ARRIVAL_COLUMNS = [
    "location",
    "p_at_least_one",
    "arrival_day_q05",
    "arrival_day_median",
    "arrival_day_q95",
    "arrival_date_median",
    "beyond_horizon",
    "note",
]
UNKNOWN = "unknown"
UNKNOWN_NOTE = "its nowcast failed: whether it is already affected is unknown, so no arrival days"


@dataclass(frozen=True)
class SpreadPlan:
    """What the engine runs: the SEIR model on the network, the members' seeds (in member
    order, E before I) and the weekly transmission schedule (R per node and forecast week)."""

    model: Model
    seeds: tuple[Seed, ...]
    schedule: WindowSchedule
    options: AssessmentOptions

    def run(
        self,
        schedule: Schedule | None = None,
        *,
        backend: Backend | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> Ensemble:
        """The ensemble with importations metered, runs drawing from streams (seed, r);
        `schedule` instead of the weekly one (a what-if arm adds its measure to it)."""
        o = self.options
        return run_ensemble(
            self.model,
            list(self.seeds),
            o.horizon_days,
            o.runs,
            o.seed,
            schedule=self.schedule if schedule is None else schedule,
            backend=backend,
            progress=progress,
            **draws_for("fast" if o.engine == "fast" else "stochastic"),
        )


def plan(
    network: Network,
    options: AssessmentOptions,
    members: Sequence[tuple[str, float, float, np.ndarray]],
) -> SpreadPlan:
    """The plan from each member's (location, seeded E, seeded I, R per forecast week)."""
    weeks = options.forecast_weeks
    mult = np.full((weeks, network.size), options.default_r)
    seeds = []
    for location, exposed, infectious, r_weeks in members:
        place = network.resolve_place(location, "country", field="members")
        mult[:, place.nodes] = np.asarray(r_weeks, dtype=float)[:, None]
        for compartment, count in (("E", exposed), ("I", infectious)):
            if count >= 0.5:
                seeds.append(Seed(country=location, count=count, compartment=compartment))
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
    return SpreadPlan(model, tuple(seeds), schedule, options)


def plan_of(importation: pd.DataFrame, network: Network, options: AssessmentOptions) -> SpreadPlan:
    """The plan an assessment ran, rebuilt from its importation table (the what-if baseline)."""
    missing = [c for c in SEED_COLUMNS if c not in importation.columns]
    r_columns = [f"r_week_{h + 1}" for h in range(options.forecast_weeks)]
    missing += [c for c in r_columns if c not in importation.columns]
    if missing:
        raise InputError(
            f"the importation table lacks {', '.join(missing)} (an assessment made before "
            "what-ifs existed): assess again",
            field="importation",
        )
    rows = importation[["location", *SEED_COLUMNS, *r_columns]].itertuples(index=False)
    return plan(
        network,
        options,
        [(str(loc), float(e), float(i), np.asarray(r, dtype=float)) for loc, e, i, *r in rows],
    )


def spread(
    results: list[MemberResult],
    network: Network,
    as_of: datetime.date,
    options: AssessmentOptions,
) -> tuple[pd.DataFrame, pd.DataFrame, list[dict[str, str]], list[dict[str, str]]]:
    """Importation and arrival tables for the members, with warnings and per-member failures."""
    failures, warnings = [], []
    w = generation_interval(1, options.si_mean, options.si_sd)
    rows = []
    for r in results:
        try:
            place = network.resolve_place(r.location, "country", field="members")
        except InputError as exc:
            failures.append({"location": r.location, "step": "spread", "reason": str(exc)})
            continue
        if r.failure is not None:
            warnings.append(
                {"location": r.location, "step": "spread", "message": _failed(r, options)}
            )
        r_weeks = _weekly_r(r, w, options)
        daily = 0.0 if r.recent is None else float(np.mean(np.maximum(r.recent[-RECENT_DAYS:], 0)))
        infected = daily / options.ascertainment
        lives = float(network.population[place.nodes].sum())
        exposed = min(infected * options.latent_days, 0.25 * lives)
        infectious = min(infected * options.infectious_days, 0.25 * lives)
        if r.recent is None:
            affected = UNKNOWN
        else:
            recent = np.maximum(r.recent[-options.affected_days :], 0)
            affected = "yes" if float(np.sum(recent)) > 0 else "no"
        rows.append((r.location, affected, exposed, infectious, r_weeks))
    if not rows:
        return _empty(IMPORTATION_COLUMNS), _empty(ARRIVAL_COLUMNS), warnings, failures
    ready = plan(network, options, [(loc, e, i, rw) for loc, _, e, i, rw in rows])
    countries = tuple(sorted(set(network.country)))
    if not ready.seeds:
        cdf = np.zeros((options.horizon_days, len(countries)))
        expected = np.zeros(len(countries))
    else:
        ens = ready.run()
        # folded over runs as chunks finish (flat memory): P(>= 1 by day d), expected totals
        cdf, expected, countries = ens.first_cdf, ens.expected.mean(axis=0), ens.countries
    index = {c: i for i, c in enumerate(countries)}
    importation = pd.DataFrame(
        [
            {
                "location": loc,
                "affected": affected,
                "seeded_infected": exposed + infectious,
                "seeded_exposed": exposed,
                "seeded_infectious": infectious,
                "expected_importations": float(expected[index[loc]]),
                "p_at_least_one": float(np.clip(cdf[-1, index[loc]], 0.0, 1.0)),
                **{f"r_week_{h + 1}": float(v) for h, v in enumerate(r_weeks)},
            }
            for loc, affected, exposed, infectious, r_weeks in rows
        ]
    )
    quiet = [loc for loc, affected, *_ in rows if affected != "yes"]
    unknown = {loc for loc, affected, *_ in rows if affected == UNKNOWN}
    arrival = _arrival(quiet, unknown, cdf, index, as_of)
    return importation, arrival, warnings, failures


def _failed(r: MemberResult, options: AssessmentOptions) -> str:
    """What a member's failed step means for the spread (see the module)."""
    step = r.failure["step"] if r.failure else ""
    if r.recent is None:
        return (
            f"its {step} failed: its prevalence is unknown, so it seeds no infections (left "
            f"out as a source, not taken as zero cases), its R is taken as {options.default_r:g}"
            " and whether it is already affected is unknown"
        )
    return (
        f"its {step} failed: seeded from its corrected recent cases, its R taken as "
        f"{options.default_r:g}"
    )


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


def _arrival(
    members: list[str], unknown: set[str], cdf: np.ndarray, index: dict[str, int], as_of
) -> pd.DataFrame:
    """Arrival-day quantiles (day 1 = the day after the as-of date); empty beyond the horizon,
    and for the `unknown` members (none of days, the reason in `note`)."""
    if not members:
        return _empty(ARRIVAL_COLUMNS)
    cols = [index[m] for m in members]
    sub = cdf[:, cols]
    blank = np.array([m in unknown for m in members])
    table = pd.DataFrame({"location": members, "p_at_least_one": np.clip(sub[-1], 0.0, 1.0)})
    for name, q in QUANTILES:
        table[name] = np.where(blank, np.nan, arrival_quantile(sub, q) + 1.0)
    median = table["arrival_day_median"].to_numpy()
    start = np.datetime64(as_of, "D")
    table["arrival_date_median"] = [
        None if np.isnan(d) else str(start + np.timedelta64(int(d), "D")) for d in median
    ]
    late = beyond_horizon(sub[-1])
    table["beyond_horizon"] = ["" if b else x for b, x in zip(blank, late, strict=True)]
    table["note"] = np.where(blank, UNKNOWN_NOTE, "")
    return table[ARRIVAL_COLUMNS]


def _empty(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame({c: [] for c in columns})
