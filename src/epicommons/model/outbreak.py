"""`run_outbreak`: one call from a network and a disease to per-country arrival and attack rate."""

from __future__ import annotations

from collections.abc import Sequence

from epicommons.backend import Backend
from epicommons.world.network import Network

from .disease import Disease
from .engine import build_model
from .ensemble import simulate
from .mixing import AgeStructure
from .results import Results
from .seeding import Seed


def run_outbreak(
    network: Network,
    disease: Disease,
    seeds: Sequence[Seed],
    days: int = 365,
    runs: int = 20,
    seed: int = 0,
    *,
    ages: AgeStructure | None = None,
    stochastic: bool = True,
    backend: Backend | None = None,
) -> Results:
    """Stochastic (by default) ensemble; `results.country_table()` has per country the median
    arrival day and attack rate.

    >>> # res = run_outbreak(load_network("builtin"), seir(R0=2), [Seed("CHN", 20)], runs=20)
    >>> # res.country_table()[["country", "arrival_day_median", "attack_rate_median"]]
    """
    model = build_model(disease, network, ages)
    return simulate(model, seeds, days, runs, seed, stochastic=stochastic, backend=backend)
