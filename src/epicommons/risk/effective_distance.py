"""Effective distance (Brockmann & Helbing 2013, Science 342:1337).

With P_mn the share of the travellers leaving node m who go to node n, the effective length of
a link is d_mn = 1 - log P_mn and the effective distance D_mn the shortest path over these
lengths. Arrival times of an epidemic grow linearly with D from its source, which makes the
ranking by D a fast forecast of the order in which places are reached.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

from epicommons.world.network import Network


def flux_fraction(flows: sp.sparray) -> sp.csr_array:
    """P_mn = F_mn / sum_n F_mn (row-normalised flows); rows without travel stay empty."""
    f = sp.csr_array(flows, dtype=float)
    out = f.sum(axis=1)
    scale = np.divide(1.0, out, out=np.zeros_like(out), where=out > 0)
    p = sp.csr_array(sp.diags_array(scale) @ f)
    p.eliminate_zeros()
    return p


def link_lengths(flows: sp.sparray) -> sp.csr_array:
    """Effective length 1 - log P_mn of every link (always >= 1)."""
    p = flux_fraction(flows)
    d = p.copy()
    d.data = 1.0 - np.log(p.data)
    return d


def effective_distance_matrix(flows: sp.sparray, sources: np.ndarray | None = None) -> np.ndarray:
    """D from each source node (rows) to every node `(len(sources), nodes)`; inf if unreachable."""
    return dijkstra(link_lengths(flows), directed=True, indices=sources)


def effective_distance(network: Network, source: str, *, country: bool = False) -> pd.DataFrame:
    """Effective distance from a source (node or country) to every country, with its rank.

    At airport level a country is as close as its closest node, and the source as close as its
    closest node (the minimum over source nodes). `source` is resolved by
    `Network.resolve_place` (always a country with `country=True`).
    """
    nodes = network.resolve_place(source, "country" if country else "where", "source").nodes
    d = np.atleast_2d(effective_distance_matrix(network.flows, nodes)).min(axis=0)
    table = (
        pd.DataFrame({"destination": network.country, "effective_distance": d})
        .groupby("destination", as_index=False)["effective_distance"]
        .min()
    )
    src = set(np.asarray(network.country)[nodes])
    table = table[~table["destination"].isin(src)]
    table = table.sort_values(["effective_distance", "destination"]).reset_index(drop=True)
    finite = np.isfinite(table["effective_distance"].to_numpy())
    table["rank"] = np.where(finite, np.arange(1, len(table) + 1), np.nan)
    return table
