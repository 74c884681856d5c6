"""`run_outbreak` on the built-in network: what `epicommons demo` shows."""

from __future__ import annotations

import numpy as np

from epicommons.model import Seed, run_outbreak, seir
from epicommons.world.sources import load_network


def test_outbreak_on_builtin_network_reports_arrival_and_attack_rate():
    net = load_network("builtin")
    res = run_outbreak(net, seir(R0=2.0), [Seed("ITA", 20)], days=200, runs=4, seed=1)
    table = res.country_table().set_index("country")
    assert table.loc["ITA", "arrival_day_median"] == 0
    reached = table[table.runs_reached == 1.0]
    assert len(reached) > 100
    # a large country is near the one-population final size for R0 = 2 (z = 0.797); travel
    # exchanges susceptibles with other countries, so only roughly
    ar = table["attack_rate_median"].to_numpy()
    assert np.nanmax(ar) <= 1.0
    assert abs(table.loc["ITA", "attack_rate_median"] - 0.797) < 0.05
    # countries reached earlier are linked to Italy by more travellers on average
    flows_from_ita = net.flows[[net.index("ITA")], :].toarray().ravel()
    early = table.index[(table.arrival_day_median > 0) & (table.arrival_day_median < 30)]
    late = table.index[table.arrival_day_median > 60]
    mean_flow = lambda codes: np.mean([flows_from_ita[net.index(c)] for c in codes])  # noqa: E731
    assert mean_flow(early) > mean_flow(late)
