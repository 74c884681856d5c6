"""Importation risk along a travel `Network`: expected infected travellers per route and day, and
the probability of at least one importation by a date.

Travellers follow the engine's travel law: a person at node i leaves by link i->j on a given day
with probability F_ij / max(N_i, sum_j F_ij), where F is travellers per day and N the population.
Exported infections are then Poisson in the rare-event limit (many travellers, low prevalence),
P(at least one by day t) = 1 - exp(-sum of expected importations up to t); the exact binomial
form 1 - prod_d (1 - pi_d)^{T_d} is given for the case of known traveller counts.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from epicommons.errors import InputError
from epicommons.world.network import Network


def leave_probability(network: Network, multiplier: np.ndarray | None = None) -> np.ndarray:
    """Per-link probability that one person at the origin leaves by that link today `(links,)`.

    `multiplier` scales the flows per link (travel reduction), in CSR `.data` order.
    """
    f = network.flows
    flows = f.data.astype(float) if multiplier is None else f.data * np.asarray(multiplier)
    origin = np.repeat(np.arange(network.size), np.diff(f.indptr))
    out = np.bincount(origin, weights=flows, minlength=network.size)
    denom = np.maximum(network.population, out)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = np.where(denom[origin] > 0, flows / denom[origin], 0.0)
    return p


def link_origin_destination(network: Network) -> tuple[np.ndarray, np.ndarray]:
    """Origin and destination node of every link, in CSR `.data` order."""
    f = network.flows
    return np.repeat(np.arange(network.size), np.diff(f.indptr)), f.indices.astype(np.int64)


def exported_per_link(
    network: Network, infected: np.ndarray, multiplier: np.ndarray | None = None
) -> np.ndarray:
    """Expected infected travellers per link and day `(..., links)` from infected (mobile) people
    per node `(..., nodes)`."""
    infected = np.asarray(infected, dtype=float)
    if infected.shape[-1] != network.size:
        raise InputError(
            f"expected {network.size} values per day (one per node), got {infected.shape[-1]}",
            field="infected",
        )
    origin, _ = link_origin_destination(network)
    return infected[..., origin] * leave_probability(network, multiplier)


def international_by_destination(
    network: Network, per_link: np.ndarray
) -> tuple[tuple[str, ...], np.ndarray]:
    """Sum per-link values over links that cross a border, by destination country.

    Returns the countries (sorted ISO3) and an array `(..., countries)`.
    """
    origin, dest = link_origin_destination(network)
    country = np.asarray(network.country)
    countries = tuple(sorted(set(network.country)))
    code = {c: i for i, c in enumerate(countries)}
    node_code = np.array([code[c] for c in network.country], dtype=np.int64)
    cross = country[origin] != country[dest]
    per_link = np.asarray(per_link, dtype=float)
    out = np.zeros((*per_link.shape[:-1], len(countries)))
    target = node_code[dest[cross]]
    flat = per_link[..., cross].reshape(-1, int(cross.sum()))
    acc = out.reshape(-1, len(countries))
    for row in range(flat.shape[0]):
        acc[row] = np.bincount(target, weights=flat[row], minlength=len(countries))
    return countries, out


def p_at_least_one(expected: np.ndarray) -> np.ndarray:
    """Poisson probability of at least one importation given the expected number, 1 - e^-L."""
    return -np.expm1(-np.asarray(expected, dtype=float))


def p_at_least_one_binomial(travellers: np.ndarray, prevalence: np.ndarray) -> np.ndarray:
    """Exact probability that at least one of `travellers` (per day) is infected when each is
    infected independently with probability `prevalence` (per day): 1 - prod (1 - pi)^T, summed
    over the last axis (days)."""
    t = np.asarray(travellers, dtype=float)
    pi = np.asarray(prevalence, dtype=float)
    if np.any((pi < 0) | (pi > 1)):
        raise InputError("prevalence must be within [0, 1]", field="prevalence")
    return -np.expm1(np.sum(t * np.log1p(-pi), axis=-1))


def importation_risk(
    network: Network,
    source: str,
    prevalence: np.ndarray,
    multiplier: np.ndarray | None = None,
    *,
    country: bool = False,
) -> pd.DataFrame:
    """Importation risk from one source given its prevalence over days.

    `source` is a node or a country (`Network.resolve_place`: refused when it reads both ways;
    always a country with `country=True`). `prevalence` is the share of the source's population
    infected and travelling, one value per day (or one number for one day), the same at each of
    the source's nodes. Returns one row per destination country: expected importations per day
    summed over the horizon, and the Poisson probability of at least one, sorted by risk.
    """
    prev = np.atleast_1d(np.asarray(prevalence, dtype=float))
    if np.any((prev < 0) | (prev > 1)) or prev.ndim != 1:
        raise InputError("expected one prevalence in [0, 1] per day", field="prevalence")
    nodes = network.resolve_place(source, "country" if country else "where", "source").nodes
    infected = np.zeros((prev.size, network.size))
    infected[:, nodes] = prev[:, None] * network.population[nodes][None, :]
    countries, daily = international_by_destination(
        network, exported_per_link(network, infected, multiplier)
    )
    src_countries = set(np.asarray(network.country)[nodes])
    expected = daily.sum(axis=0)
    table = pd.DataFrame(
        {
            "destination": countries,
            "expected_importations": expected,
            "p_at_least_one": p_at_least_one(expected),
        }
    )
    table = table[~table["destination"].isin(src_countries)]
    return table.sort_values(
        ["expected_importations", "destination"], ascending=[False, True]
    ).reset_index(drop=True)


def importation_risk_by_day(
    network: Network,
    source: str,
    prevalence: np.ndarray,
    multiplier: np.ndarray | None = None,
    *,
    country: bool = False,
) -> pd.DataFrame:
    """Like `importation_risk`, by day: expected importations up to and including each day and
    the Poisson probability of at least one by then (long table: destination, day, ...)."""
    prev = np.atleast_1d(np.asarray(prevalence, dtype=float))
    rows = [
        importation_risk(network, source, prev[: d + 1], multiplier, country=country).assign(day=d)
        for d in range(prev.size)
    ]
    return pd.concat(rows, ignore_index=True)[
        ["destination", "day", "expected_importations", "p_at_least_one"]
    ]
