"""Risk from a running engine: seed an outbreak, run an ensemble, and tabulate per destination
country the expected importations, P(at least one), arrival-day quantiles and effective distance.

P(at least one importation by day d) is F(d) = mean over runs of 1 - exp(-L_r(d)), L_r(d) the
run's expected importations up to day d; the arrival day (of the first importation) has that
distribution over all runs, runs that never import being later than the horizon. Its quantile q
is the first day with F >= q, or beyond the horizon when F(last day) = P(at least one) < q: the
median is a day exactly when P >= 0.5.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from epicommons.backend import Backend
from epicommons.model.engine import Model
from epicommons.model.ensemble import CHUNK, simulate
from epicommons.model.modifiers import Schedule
from epicommons.model.results import OutputOptions, Results
from epicommons.model.seeding import Seed
from epicommons.policy.prepared import Prepared
from epicommons.world.network import Network

from .effective_distance import effective_distance
from .importation import p_at_least_one
from .meter import Importations, meter_for

COLUMNS = (
    "destination",
    "expected_importations",
    "p_at_least_one",
    "arrival_day_median",
    "arrival_day_q05",
    "arrival_day_q95",
    "beyond_horizon",
    "effective_distance",
)
QUANTILES = (("arrival_day_q05", 0.05), ("arrival_day_median", 0.5), ("arrival_day_q95", 0.95))


@dataclass
class Ensemble:
    """An ensemble's results with the importations measured along the way (`meter`)."""

    results: Results
    network: Network
    countries: tuple[str, ...]
    expected: np.ndarray  # (runs, countries) expected importations over the horizon
    cumulative: np.ndarray  # (days, countries) mean over runs of the expected importations so far
    first_cdf: np.ndarray  # (days, countries) P(at least one importation by then)
    importations: np.ndarray | None  # (runs, days, countries) per run, up to `series_runs` runs
    dead: tuple[str, ...] = ()  # compartments of the dead (alive=False)

    def expected_by_run(self) -> np.ndarray:
        """Expected importations over the horizon `(runs, countries)`."""
        return self.expected

    def arrival(self) -> np.ndarray:
        """Arrival day per run and country `(runs, countries)`, NaN when never reached."""
        return self.results.country_arrival_day()


def run_ensemble(
    model: Model,
    seeds: Sequence[Seed],
    days: int,
    runs: int,
    seed: int,
    *,
    schedule: Schedule | None = None,
    stochastic: bool = True,
    leap_above: float | None = None,
    start: date | None = None,
    chunk: int = CHUNK,
    outputs: OutputOptions | None = None,
    backend: Backend | None = None,
    progress: Callable[[int], None] | None = None,
) -> Ensemble:
    """Run the ensemble on `backend` (default this process) with importations metered;
    `progress` gets the runs done."""
    outputs = outputs or OutputOptions()
    folded = Importations(runs, days, len(set(model.network.country)), outputs.series_runs)
    res = simulate(
        model,
        seeds,
        days,
        runs,
        seed,
        stochastic=stochastic,
        leap_above=leap_above,
        schedule=schedule,
        start=start,
        chunk=chunk,
        backend=backend,
        probe=meter_for(model, days),
        on_probe=folded.fold,
        progress=progress,
        outputs=outputs,
    )
    return metered(res, model, folded)


def run_prepared(
    prepared: Prepared,
    progress: Callable[[int], None] | None = None,
    backend: Backend | None = None,
) -> Ensemble:
    """Run a prepared scenario's ensemble on `backend` with importations metered."""
    spec, model = prepared.scenario, prepared.model
    countries = len(set(model.network.country))
    folded = Importations(spec.runs, spec.days, countries, spec.output_options().series_runs)
    res = prepared.run(
        progress, backend=backend, probe=meter_for(model, spec.days), on_probe=folded.fold
    )
    return metered(res, model, folded)


def metered(res: Results, model: Model, folded: Importations) -> Ensemble:
    """The ensemble of results whose runs were metered into `folded`."""
    countries = tuple(sorted(set(model.network.country)))  # as the meter orders them
    if tuple(res.countries) != countries:
        raise AssertionError("country order differs between results and meter")
    dead = tuple(c.name for c in model.disease.compartments if not c.alive)
    return Ensemble(
        res,
        model.network,
        countries,
        folded.expected,
        folded.cum_sum / folded.runs,
        folded.p_sum / folded.runs,
        folded.daily,
        dead,
    )


def quantile_days(arrival: np.ndarray, q: float) -> np.ndarray:
    """Quantile of arrival days over runs, never-reached runs counted as +inf (then NaN)."""
    filled = np.where(np.isnan(arrival), np.inf, arrival)
    out = np.quantile(filled, q, axis=0, method="inverted_cdf")
    return np.where(np.isinf(out), np.nan, out)


def first_importation_cdf(importations: np.ndarray) -> np.ndarray:
    """P(at least one importation by day d) `(days, countries)` from expected importations per
    run and day `(runs, days, countries)`: the mean over runs of 1 - exp(-cumulative)."""
    return p_at_least_one(np.cumsum(importations, axis=1, dtype=float)).mean(axis=0)


def arrival_quantile(cdf: np.ndarray, q: float) -> np.ndarray:
    """First day with `cdf >= q` per country; NaN when beyond the horizon (`cdf[-1] < q`)."""
    reached = cdf >= q
    return np.where(reached[-1], reached.argmax(axis=0).astype(float), np.nan)


def beyond_horizon(p: np.ndarray) -> list[str]:
    """Per country, which arrival-day quantiles lie beyond the horizon (those with q > P)."""
    return [
        ", ".join(name.removeprefix("arrival_day_") for name, q in QUANTILES if x < q) for x in p
    ]


def risk_table(ens: Ensemble, source: str, *, country: bool = False) -> pd.DataFrame:
    """One row per destination country (all but the source's), in the order of risk.

    `source` is a node id or a country; with `country=True` always a country (ISO3). The
    arrival-day quantiles are those of the first importation over all runs (module docstring);
    `beyond_horizon` names the ones later than the horizon (left empty)."""
    cdf = ens.first_cdf
    network = ens.network
    table = pd.DataFrame(
        {
            "destination": ens.countries,
            "expected_importations": ens.expected_by_run().mean(axis=0),
            "p_at_least_one": cdf[-1],
            **{name: arrival_quantile(cdf, q) for name, q in QUANTILES},
            "beyond_horizon": beyond_horizon(cdf[-1]),
        }
    )
    ed = effective_distance(network, source, country=country).set_index("destination")[
        "effective_distance"
    ]
    table["effective_distance"] = table["destination"].map(ed)
    place = network.resolve_place(source, "country" if country else "where", "source")
    src = set(np.asarray(network.country)[place.nodes])
    table = table[~table["destination"].isin(src)]
    return table.sort_values(
        ["expected_importations", "destination"], ascending=[False, True], kind="stable"
    ).reset_index(drop=True)[list(COLUMNS)]


def importation_curve(ens: Ensemble) -> pd.DataFrame:
    """By day and destination: expected cumulative importations and P(at least one by then).

    Long table `destination, day, expected_importations, p_at_least_one`; P is averaged over
    runs of 1 - exp(-L_r(day)), L_r the run's expected importations up to that day.
    """
    days, g = ens.cumulative.shape
    return pd.DataFrame(
        {
            "destination": np.tile(ens.countries, days),
            "day": np.repeat(np.arange(days), g),
            "expected_importations": ens.cumulative.ravel(),
            "p_at_least_one": ens.first_cdf.ravel(),
        }
    )


def arrival_distribution(ens: Ensemble) -> pd.DataFrame:
    """By day and country: share of runs in which the country has had an infection by then."""
    arr = ens.arrival()
    days = ens.results.days
    reached = np.stack([(arr <= d).mean(axis=0) for d in range(days)])  # NaN compares False
    return pd.DataFrame(
        {
            "country": np.tile(ens.countries, days),
            "day": np.repeat(np.arange(days), len(ens.countries)),
            "p_reached": reached.ravel(),
        }
    )
