"""The built-in gravity network: its invariants, and its fit recomputed against OpenFlights.

Evidence: OpenFlights route counts per country pair computed here with plain csv parsing; the
cited 2019 international total (ICAO, 1.875 billion passengers / 365 days); the committed fit
figures (data/gravity_fit.json), which the built network must still reach.
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import airportsdata
import numpy as np
import pytest
from scipy.stats import spearmanr

from epicommons.errors import NotACountryError
from epicommons.world.countries import registry
from epicommons.world.population import population_matrix
from epicommons.world.sources import load_network
from epicommons.world.sources.gravity import airport_counts, fitted_parameters

REPO = Path(__file__).resolve().parents[1]
CITED_INTERNATIONAL_PER_DAY = (0.5 * 4.5e9 - 1.8e9) / (0.5 - 0.26) / 365  # ICAO 2019, see docs
MARGIN = 0.01


@pytest.fixture(scope="module")
def net():
    return load_network("builtin")


@pytest.fixture(scope="module")
def routes(shared_data: Path) -> tuple[list[str], np.ndarray]:
    """Operated international routes per unordered country pair (plain csv; rule in the docs)."""
    folder = shared_data / "openflights"
    with (folder / "airports.dat").open(newline="", encoding="utf-8") as f:
        airports = {row[0]: row for row in csv.reader(f)}
    operated, codeshare = Counter(), set()
    with (folder / "routes.dat").open(newline="", encoding="utf-8") as f:
        for r in csv.reader(f):
            if r[3] in airports and r[5] in airports:
                if r[6] == "Y":
                    codeshare.add((r[3], r[5]))
                else:
                    operated[(r[3], r[5])] += 1
    reg, by_iata = registry(), airportsdata.load("IATA")

    def iso3(a: str) -> str:
        try:
            return reg.resolve(airports[a][3])
        except NotACountryError:
            return reg.resolve(by_iata[airports[a][4]]["country"])

    pairs = Counter()
    for o, d in set(operated) | codeshare:
        a, b = iso3(o), iso3(d)
        if a != b:
            pairs[(a, b)] += operated.get((o, d), 1)
    codes = sorted({c for p in pairs for c in p})
    index = {c: i for i, c in enumerate(codes)}
    y = np.zeros((len(codes), len(codes)))
    for (a, b), w in pairs.items():
        y[index[a], index[b]] += w
    return codes, y + y.T


def test_symmetric_positive_and_scaled_to_the_cited_total(net):
    f = net.flows
    assert abs(f - f.T).max() == 0
    assert (f.data > 0).all() and f.diagonal().sum() == 0
    assert net.total_travellers == pytest.approx(CITED_INTERNATIONAL_PER_DAY, rel=1e-9)
    assert net.is_balanced()


def test_nodes_are_the_registry_countries_with_wpp_population(net):
    assert net.nodes == tuple(registry().codes)
    assert np.array_equal(net.population, population_matrix(net.nodes, 2020).sum(axis=1))
    linked = net.outflow() > 0
    assert linked.sum() >= 220  # every country with people and an airport has a link
    assert (net.population[linked] > 0).all()


def test_rank_correlation_and_share_captured_reach_the_committed_figures(net, routes):
    codes, y = routes
    idx = [net.index(c) for c in codes]
    f = net.flows[idx][:, idx].toarray()
    iu = np.triu_indices(len(codes), 1)
    committed = fitted_parameters()["quality"]
    rho = spearmanr(f[iu], y[iu]).statistic
    assert rho >= committed["spearman_all_pairs"] - MARGIN
    shares = []
    for i in range(len(codes)):
        k = int((y[i] > 0).sum())
        top = [j for j in np.argsort(-f[i], kind="stable")[:k] if f[i, j] > 0]
        shares.append(y[i, top].sum() / y[i].sum())
    assert np.mean(shares) >= committed["share_captured_mean"] - MARGIN
    assert committed["countries"] == len(codes)


def test_fitted_parameters_have_gravity_signs():
    p = fitted_parameters()["parameters"]
    assert p["a"] > 0 and p["b"] > 0  # more people, more airports: more routes
    assert p["g"] > 0 and p["h"] > 0  # routes decay with distance
    assert p["links"] > 0 and p["top_per_node"] >= 1


def test_airport_proxy_ranks_countries_like_openflights(shared_data):
    """Countries with more (proxy) scheduled airports have more airports with OpenFlights routes."""
    folder = shared_data / "openflights"
    with (folder / "airports.dat").open(newline="", encoding="utf-8") as f:
        country_of = {row[0]: row[3] for row in csv.reader(f)}
    with (folder / "routes.dat").open(newline="", encoding="utf-8") as f:
        used = {a for r in csv.reader(f) for a in (r[3], r[5]) if a in country_of}
    reg = registry()
    served = Counter(reg.try_resolve(country_of[a]) for a in used)
    counts = airport_counts()
    codes = sorted(c for c in served if c is not None)
    rho = spearmanr([counts.get(c, 0) for c in codes], [served[c] for c in codes]).statistic
    assert rho > 0.8


@pytest.mark.slow
def test_fit_script_reproduces_the_committed_fit(shared_data, tmp_path):
    out = tmp_path / "fit.json"
    script = REPO / "scripts" / "fit_gravity.py"
    cmd = [sys.executable, str(script), str(shared_data / "openflights"), "--out", str(out)]
    subprocess.run(cmd, check=True, capture_output=True)
    fresh = json.loads(out.read_text())
    committed = fitted_parameters()
    assert fresh["parameters"] == pytest.approx(committed["parameters"], rel=1e-5)
    numbers = {k: v for k, v in committed["quality"].items() if not isinstance(v, str)}
    assert {k: fresh["quality"][k] for k in numbers} == pytest.approx(numbers, abs=1e-3)
