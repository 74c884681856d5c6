"""Importation risk from reported cases: a cheap, deterministic table for the hub's coordinator.

Each reporting country is a source whose share of people infectious now is taken as its reported
new cases of the last 7 days over its population (no correction for under-reporting). At that
prevalence, held for `horizon` days, infected travellers follow the travel network
(`importation_risk`); expected importations from all sources are added per destination and
P(at least one) = 1 - exp(-expected). The effective distance (Brockmann and Helbing 2013) from the
nearest source ranks where an outbreak arrives first.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from epicommons.world.network import Network

from .effective_distance import effective_distance
from .importation import importation_risk, p_at_least_one

COLUMNS = [
    "destination",
    "expected",
    "p_at_least_one",
    "source",
    "source_share",
    "effective_distance",
    "nearest",
]


def importation_from_reports(
    net: Network, cases7: Mapping[str, float], horizon: int = 14
) -> tuple[pd.DataFrame, list[str]]:
    """Risk per destination country from the sources' 7-day cases; also the sources left out.

    Columns: destination, expected (importations over the horizon), p_at_least_one, source (the
    largest contributor), source_share, effective_distance (from the nearest source), nearest.
    Sources not in the network, or with no cases, are left out.
    """
    expected, distance, skipped = [], [], []
    countries = np.asarray(net.country)
    for source, cases in sorted(cases7.items()):
        if source not in net.country or cases <= 0:
            skipped.append(source)
            continue
        pop = float(net.population[countries == source].sum())
        prevalence = np.full(horizon, min(1.0, cases / pop))
        risk = importation_risk(net, source, prevalence)
        expected.append(risk.assign(source=source))
        distance.append(effective_distance(net, source, country=True).assign(source=source))
    if not expected:
        return pd.DataFrame(columns=COLUMNS), skipped
    flows = pd.concat(expected, ignore_index=True)
    total = flows.groupby("destination")["expected_importations"].sum()
    top = flows.loc[flows.groupby("destination")["expected_importations"].idxmax()]
    top = top.set_index("destination")
    near = pd.concat(distance, ignore_index=True)
    near = near.loc[near.groupby("destination")["effective_distance"].idxmin()]
    near = near.set_index("destination")
    sums = total.to_numpy()
    table = pd.DataFrame(
        {
            "destination": total.index,
            "expected": sums,
            "p_at_least_one": p_at_least_one(sums),
            "source": top.loc[total.index, "source"].to_numpy(),
            "source_share": (
                top.loc[total.index, "expected_importations"].to_numpy()
                / np.where(sums > 0, sums, 1.0)
            ),
            "effective_distance": near["effective_distance"].reindex(total.index).to_numpy(),
            "nearest": near["source"].reindex(total.index).to_numpy(),
        }
    )
    table = table.sort_values(["expected", "destination"], ascending=[False, True])
    return table.reset_index(drop=True)[COLUMNS], skipped
