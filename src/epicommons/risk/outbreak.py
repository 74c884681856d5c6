"""Risk from a running engine: seed an outbreak, run an ensemble, and tabulate per destination
country the expected importations, P(at least one), arrival-day quantiles and effective distance.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from epicommons.model.engine import Model
from epicommons.model.ensemble import simulate
from epicommons.model.modifiers import Schedule
from epicommons.model.results import OutputOptions, Results
from epicommons.model.seeding import Seed
from epicommons.world.network import Network

from .effective_distance import effective_distance
from .importation import p_at_least_one
from .meter import ImportationMeter

COLUMNS = (
    "destination",
    "expected_importations",
    "p_at_least_one",
    "arrival_day_median",
    "arrival_day_q05",
    "arrival_day_q95",
    "effective_distance",
)


@dataclass
class Ensemble:
    """An ensemble's results with the importations measured along the way."""

    results: Results
    network: Network
    countries: tuple[str, ...]
    importations: np.ndarray  # (runs, days, countries), expected given each run's state
    dead: tuple[str, ...] = ()  # compartments of the dead (alive=False)

    def expected_by_run(self) -> np.ndarray:
        """Expected importations over the horizon `(runs, countries)`."""
        return self.importations.sum(axis=1, dtype=float)

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
    start: date | None = None,
    chunk: int = 25,
    outputs: OutputOptions | None = None,
    progress: Callable[[int], None] | None = None,
) -> Ensemble:
    """Run the ensemble (one worker, runs in order) with importations metered."""
    meter = ImportationMeter(model, days, schedule)
    res = simulate(
        model,
        seeds,
        days,
        runs,
        seed,
        stochastic=stochastic,
        schedule=meter,
        start=start,
        chunk=chunk,
        workers=1,
        progress=progress,
        outputs=outputs,
    )
    if tuple(res.countries) != meter.countries:  # both are sorted(set(network.country))
        raise AssertionError("country order differs between results and meter")
    dead = tuple(c.name for c in model.disease.compartments if not c.alive)
    return Ensemble(res, model.network, meter.countries, meter.daily(), dead)


def quantile_days(arrival: np.ndarray, q: float) -> np.ndarray:
    """Quantile of arrival days over runs, never-reached runs counted as +inf (then NaN)."""
    filled = np.where(np.isnan(arrival), np.inf, arrival)
    out = np.quantile(filled, q, axis=0, method="inverted_cdf")
    return np.where(np.isinf(out), np.nan, out)


def risk_table(ens: Ensemble, source: str, *, country: bool = False) -> pd.DataFrame:
    """One row per destination country (all but the source's), in the order of risk.

    `source` is a node id or a country; with `country=True` always a country (ISO3)."""
    lam = ens.expected_by_run()
    arr = ens.arrival()
    network = ens.network
    table = pd.DataFrame(
        {
            "destination": ens.countries,
            "expected_importations": lam.mean(axis=0),
            "p_at_least_one": p_at_least_one(lam).mean(axis=0),
            "arrival_day_median": quantile_days(arr, 0.5),
            "arrival_day_q05": quantile_days(arr, 0.05),
            "arrival_day_q95": quantile_days(arr, 0.95),
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
    cum = np.cumsum(ens.importations, axis=1, dtype=float)  # (runs, days, countries)
    days, g = cum.shape[1], cum.shape[2]
    return pd.DataFrame(
        {
            "destination": np.tile(ens.countries, days),
            "day": np.repeat(np.arange(days), g),
            "expected_importations": cum.mean(axis=0).ravel(),
            "p_at_least_one": p_at_least_one(cum).mean(axis=0).ravel(),
        }
    )


def arrival_distribution(ens: Ensemble) -> pd.DataFrame:
    """By day and country: share of runs in which the country has had an infection by then."""
    arr = ens.arrival()
    days = ens.importations.shape[1]
    reached = np.stack([(arr <= d).mean(axis=0) for d in range(days)])  # NaN compares False
    return pd.DataFrame(
        {
            "country": np.tile(ens.countries, days),
            "day": np.repeat(np.arange(days), len(ens.countries)),
            "p_reached": reached.ravel(),
        }
    )
