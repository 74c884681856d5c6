"""The coordinator's importation-risk table: cheap, deterministic, from the members' latest reports.

Each reporting country is a source whose share of people infectious now is taken as its reported
new cases of the last 7 days over its population (no correction for under-reporting). At that
prevalence, held for `HORIZON` days, infected travellers follow the built-in travel network
(`epicommons.risk.importation_risk`); expected importations from all sources are added per
destination and P(at least one) = 1 - exp(-expected). The effective distance (Brockmann and
Helbing 2013) from the nearest source ranks where an outbreak arrives first.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache

import numpy as np
import pandas as pd

from epicommons.world.network import Network

HORIZON = 14


@cache
def network() -> Network:
    """The built-in country-level travel network, loaded once per server process."""
    from epicommons.world.sources import load_network

    return load_network("builtin")


def importation_table(cases7: Mapping[str, float]) -> tuple[pd.DataFrame, list[str]]:
    """Risk per destination country from the sources' 7-day cases; also the sources left out.

    Columns: destination, expected (importations over the horizon), p_at_least_one, source (the
    largest contributor), source_share, effective_distance (from the nearest source), nearest.
    """
    from epicommons.risk.effective_distance import effective_distance
    from epicommons.risk.importation import importation_risk, p_at_least_one

    net = network()
    expected, distance, skipped = [], [], []
    for source, cases in sorted(cases7.items()):
        if source not in net.country or cases <= 0:
            skipped.append(source)
            continue
        pop = float(net.population[np.asarray(net.country) == source].sum())
        prevalence = np.full(HORIZON, min(1.0, cases / pop))
        risk = importation_risk(net, source, prevalence)
        expected.append(risk.assign(source=source))
        distance.append(effective_distance(net, source, country=True).assign(source=source))
    columns = [
        "destination",
        "expected",
        "p_at_least_one",
        "source",
        "source_share",
        "effective_distance",
        "nearest",
    ]
    if not expected:
        return pd.DataFrame(columns=columns), skipped
    flows = pd.concat(expected, ignore_index=True)
    total = flows.groupby("destination")["expected_importations"].sum()
    top = flows.loc[flows.groupby("destination")["expected_importations"].idxmax()]
    top = top.set_index("destination")
    near = pd.concat(distance, ignore_index=True)
    near = near.loc[near.groupby("destination")["effective_distance"].idxmin()]
    near = near.set_index("destination")
    table = pd.DataFrame(
        {
            "destination": total.index,
            "expected": total.to_numpy(),
            "p_at_least_one": p_at_least_one(total.to_numpy()),
            "source": top.loc[total.index, "source"].to_numpy(),
            "source_share": (
                top.loc[total.index, "expected_importations"].to_numpy()
                / np.where(total.to_numpy() > 0, total.to_numpy(), 1.0)
            ),
            "effective_distance": near["effective_distance"].reindex(total.index).to_numpy(),
            "nearest": near["source"].reindex(total.index).to_numpy(),
        }
    )
    table = table.sort_values(["expected", "destination"], ascending=[False, True])
    return table.reset_index(drop=True)[columns], skipped
