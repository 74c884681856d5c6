"""Scenario comparison with common random numbers: paired differences per country and worldwide.

Run r of every scenario draws from the same stream (seed, r), so differences are taken run by
run (paired) and their spread reflects the effect of the measures, not sampling noise between
independent ensembles. Reported per metric: both means, the mean paired difference with a 95%
t-interval, and the 5% and 95% quantiles of the per-run differences.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from epicommons.backend import Backend
from epicommons.errors import InputError
from epicommons.model import runner
from epicommons.policy import PolicyScenario, prepare

from .outbreak import Ensemble, run_prepared

WORLD = "WORLD"


@dataclass
class Outcomes:
    """Per-run outcomes of one scenario `(runs, countries)`; arrival NaN when never reached."""

    name: str
    countries: tuple[str, ...]
    importations: np.ndarray
    arrival: np.ndarray
    infections: np.ndarray
    deaths: np.ndarray
    days: int


def outcomes(name: str, ens: Ensemble) -> Outcomes:
    """Importations, arrival day, infections and deaths per run and country."""
    res = ens.results
    members = [np.flatnonzero(np.asarray(res.node_country) == c) for c in res.countries]
    infections = np.stack([res.infections[:, m].sum(axis=1) for m in members], axis=1)
    dead = [i for i, c in enumerate(res.compartments) if c in ens.dead]
    deaths = (
        res.final_prevalence[..., dead].sum(axis=-1, dtype=float)
        if dead
        else np.zeros_like(infections)
    )
    return Outcomes(
        name, ens.countries, ens.expected_by_run(), ens.arrival(), infections, deaths, res.days
    )


def _summary(diff: np.ndarray) -> dict[str, float]:
    """Mean, 95% t-interval of the mean and 5/95% quantiles of per-run differences."""
    d = diff[np.isfinite(diff)]
    if d.size == 0:
        return {
            "difference_mean": np.nan,
            "ci_low": np.nan,
            "ci_high": np.nan,
            "q05": np.nan,
            "q95": np.nan,
        }
    m = float(d.mean())
    half = (
        float(stats.t.ppf(0.975, d.size - 1) * d.std(ddof=1) / np.sqrt(d.size))
        if d.size > 1
        else np.nan
    )
    return {
        "difference_mean": m,
        "ci_low": m - half,
        "ci_high": m + half,
        "q05": float(np.quantile(d, 0.05)),
        "q95": float(np.quantile(d, 0.95)),
    }


def paired(base: Outcomes, other: Outcomes) -> pd.DataFrame:
    """Effects of `other` relative to `base`, per country and worldwide (long table).

    importations_averted, infections_averted, deaths_averted: base minus other;
    arrival_delay: other's arrival day minus base's, in runs where base was reached, a
    never-reached arrival counted as the horizon (a lower bound of the delay).
    """
    if base.importations.shape != other.importations.shape or base.countries != other.countries:
        raise InputError("scenarios differ in runs or network; they cannot be paired")
    rows = []
    horizon = float(base.days)
    arr_b = base.arrival
    arr_o = np.where(np.isnan(other.arrival), horizon, other.arrival)
    delay = np.where(np.isnan(arr_b), np.nan, arr_o - arr_b)
    metrics = {
        "importations_averted": (base.importations, other.importations),
        "infections_averted": (base.infections, other.infections),
        "deaths_averted": (base.deaths, other.deaths),
    }
    for g, country in enumerate(base.countries):
        for metric, (a, b) in metrics.items():
            rows.append(
                {
                    "scenario": other.name,
                    "country": country,
                    "metric": metric,
                    "baseline_mean": a[:, g].mean(),
                    "scenario_mean": b[:, g].mean(),
                    **_summary(a[:, g] - b[:, g]),
                }
            )
        rows.append(
            {
                "scenario": other.name,
                "country": country,
                "metric": "arrival_delay",
                "baseline_mean": np.nanmean(arr_b[:, g])
                if np.isfinite(arr_b[:, g]).any()
                else np.nan,
                "scenario_mean": np.nanmean(other.arrival[:, g])
                if np.isfinite(other.arrival[:, g]).any()
                else np.nan,
                **_summary(delay[:, g]),
            }
        )
    for metric, (a, b) in metrics.items():
        rows.append(
            {
                "scenario": other.name,
                "country": WORLD,
                "metric": metric,
                "baseline_mean": a.sum(axis=1).mean(),
                "scenario_mean": b.sum(axis=1).mean(),
                **_summary(a.sum(axis=1) - b.sum(axis=1)),
            }
        )
    with np.errstate(all="ignore"):
        world_delay = np.nanmean(delay, axis=1)  # mean delay over countries reached in base
    rows.append(
        {
            "scenario": other.name,
            "country": WORLD,
            "metric": "arrival_delay",
            "baseline_mean": np.nan,
            "scenario_mean": np.nan,
            **_summary(world_delay),
        }
    )
    return pd.DataFrame(rows)


_SAME = ("start", "days", "runs", "seed", "engine", "network", "seeds", "disease")


def check_pairable(scenarios: Sequence[PolicyScenario]) -> None:
    """Scenarios compared run by run must share everything but their interventions."""
    base = scenarios[0]
    for other in scenarios[1:]:
        for key in _SAME:
            if getattr(base.scenario, key) != getattr(other.scenario, key):
                raise InputError(
                    f"differs from {base.path.name}; compared scenarios must share "
                    f"{', '.join(_SAME)} (only interventions may differ)",
                    source=other.path,
                    field=key,
                )


def compare(
    scenarios: Sequence[PolicyScenario],
    *,
    runs: int | None = None,
    engine: str | None = None,
    backend: Backend | None = None,
    progress: Callable[[int], None] | None = None,
) -> pd.DataFrame:
    """Run every scenario (on `backend`, default this process) and return the paired effects of
    each against the first; `runs` and `engine` override the scenarios'; `progress` gets runs.

    Every scenario is checked and compiled before the first one runs.
    """
    if len(scenarios) < 2:
        raise InputError("give at least two scenarios: a baseline and one to compare")
    check_pairable(scenarios)
    base_path: Path = scenarios[0].path.resolve().parent
    network = runner.load_network(scenarios[0].scenario, base_path)
    settings = {
        key: value for key, value in (("runs", runs), ("engine", engine)) if value is not None
    }
    ready = [prepare(ps, network=network, **settings) for ps in scenarios]
    outs = [outcomes(p.name, run_prepared(p, progress, backend)) for p in ready]
    return pd.concat([paired(outs[0], o) for o in outs[1:]], ignore_index=True)
