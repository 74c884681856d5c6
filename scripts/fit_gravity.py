"""Fit the built-in gravity model to OpenFlights country-pair routes; write gravity_fit.json.

Target: y_ij = operated routes between countries i and j, both directions (OpenFlights reader's
rule, see `epicommons.world.sources.openflights`). Model: log mu_ij = log_k + a ln(P_i P_j)
+ b ln(A_i A_j) - g ln d_ij - h d_ij / 1000 km, fitted by Poisson pseudo-maximum likelihood
(Newton's method, exact for this convex likelihood) over all unordered pairs of countries with a
WPP population and at least one airport, zeros included. Populations are those of the routes'
year (2014). The network then keeps as many pairs as OpenFlights has (plus each country's top 3).

Quality, on `builtin_network()` as shipped (population 2020) against the same OpenFlights counts,
over all unordered pairs of the countries with an international OpenFlights route:
* spearman_all_pairs: Spearman rank correlation of model flow and route count (zeros included);
* spearman_observed_pairs: the same over pairs with at least one route;
* share captured: for each such country, the share of its international routes that fall on its
  k largest partners in the model, k = its number of OpenFlights partner countries; reported as
  the mean and median over countries and as the route-weighted overall share.

Run:  .venv/bin/python scripts/fit_gravity.py ../shared/data/openflights
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from scipy.stats import spearmanr

from epicommons.world.countries import registry
from epicommons.world.sources.common import country_populations
from epicommons.world.sources.gravity import (
    airport_counts,
    builtin_network,
    design,
    great_circle_km,
)
from epicommons.world.sources.openflights import read_routes

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "src" / "epicommons" / "world" / "data" / "gravity_fit.json"
MIN_DISTANCE_KM = 50.0
TOP_PER_NODE = 3
ROUTES_YEAR = 2014


def route_matrix(directory: Path, codes: list[str]) -> np.ndarray:
    """Symmetric matrix of operated international routes between countries (both directions)."""
    table = read_routes(directory)
    index = {c: i for i, c in enumerate(codes)}
    c = np.array([index[x] for x in table.country])
    intl = table.international
    r = np.zeros((len(codes), len(codes)))
    np.add.at(r, (c[table.origin[intl]], c[table.destination[intl]]), table.weight[intl])
    return r + r.T


def ppml(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
    """Poisson pseudo-maximum-likelihood coefficients (Newton) and the Poisson deviance."""
    beta = np.zeros(x.shape[1])
    beta[0] = np.log(y.mean())
    for _ in range(200):
        mu = np.exp(x @ beta)
        step = np.linalg.solve((x * mu[:, None]).T @ x, x.T @ (y - mu))
        beta += step
        if np.abs(step).max() < 1e-12:
            break
    mu = np.exp(x @ beta)
    pos = y > 0
    deviance = 2 * float(np.sum(y[pos] * np.log(y[pos] / mu[pos])) - np.sum(y - mu))
    return beta, deviance


def quality(flows: np.ndarray, routes: np.ndarray) -> dict[str, float | int]:
    """Rank correlation and share of routes captured (module docstring), over route countries."""
    linked = np.flatnonzero(routes.sum(axis=1) > 0)
    f, y = flows[np.ix_(linked, linked)], routes[np.ix_(linked, linked)]
    iu = np.triu_indices(len(linked), 1)
    obs = y[iu] > 0
    shares, captured = [], 0.0
    for i in range(len(linked)):
        k = int((y[i] > 0).sum())
        top = np.argsort(-f[i], kind="stable")[:k]
        top = top[f[i, top] > 0]
        shares.append(y[i, top].sum() / y[i].sum())
        captured += y[i, top].sum()
    return {
        "countries": len(linked),
        "pairs": len(iu[0]),
        "pairs_with_routes": int(obs.sum()),
        "model_links": int((f[iu] > 0).sum()),
        "spearman_all_pairs": round(float(spearmanr(f[iu], y[iu]).statistic), 4),
        "spearman_observed_pairs": round(float(spearmanr(f[iu][obs], y[iu][obs]).statistic), 4),
        "share_captured_mean": round(float(np.mean(shares)), 4),
        "share_captured_median": round(float(np.median(shares)), 4),
        "share_captured_routes": round(captured / y.sum(), 4),
        "link_recall": round(float(((f[iu] > 0) & obs).sum() / obs.sum()), 4),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("openflights", type=Path, help="folder with airports.dat and routes.dat")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()

    reg = registry()
    codes = list(reg.codes)
    routes = route_matrix(args.openflights, codes)
    pop = country_populations(codes, ROUTES_YEAR)
    counts = airport_counts()
    airports = np.array([counts.get(c, 0) for c in codes], dtype=float)
    coords = np.array([(reg[c].lat, reg[c].lon) for c in codes])
    served = np.flatnonzero((pop > 0) & (airports > 0))
    iu = np.triu_indices(len(served), 1)
    d = np.maximum(great_circle_km(coords[served]), MIN_DISTANCE_KM)
    x = design(pop[served], airports[served], d)[iu]
    y = routes[np.ix_(served, served)][iu]
    beta, deviance = ppml(x, y)
    null_deviance = ppml(x[:, :1], y)[1]
    log_k, a, b, minus_g, minus_h = (round(float(v), 6) for v in beta)
    params: dict[str, float | int] = {"log_k": log_k, "a": a, "b": b, "g": -minus_g, "h": -minus_h}
    params |= {  # g and h are stored as decay rates
        "min_distance_km": MIN_DISTANCE_KM,
        "links": int((routes[np.triu_indices(len(codes), 1)] > 0).sum()),
        "top_per_node": TOP_PER_NODE,
    }
    net = builtin_network(params=params)
    flows = net.flows.toarray()
    fit = {
        "model": "mu_ij = exp(log_k) (P_i P_j)^a (A_i A_j)^b d_ij^-g exp(-h d_ij/1000 km)",
        "fitted_to": "OpenFlights routes.dat (June 2014 snapshot, git blob 26032bb), operated "
        "international routes per unordered country pair",
        "method": "Poisson pseudo-maximum likelihood over unordered pairs of countries with "
        f"population and airports (zeros included); population year {ROUTES_YEAR}",
        "command": "python scripts/fit_gravity.py ../shared/data/openflights",
        "parameters": params,
        "fit": {
            "countries": len(served),
            "pairs": len(y),
            "deviance": round(deviance, 1),
            "null_deviance": round(null_deviance, 1),
            "pseudo_r2": round(1 - deviance / null_deviance, 4),
        },
        "quality": {
            "evaluated_on": "builtin_network() (population 2020) vs OpenFlights route counts, "
            "unordered pairs of countries with an international route",
            **quality(flows, routes),
        },
    }
    args.out.write_text(json.dumps(fit, indent=2) + "\n")
    print(json.dumps(fit, indent=2))


if __name__ == "__main__":
    main()
