"""The travel `Network`: nodes (countries or airports) and travellers per day between them.

A network is immutable: a tuple of node ids, the country (ISO3) of each node, the population each
node stands for, and a sparse `nodes x nodes` matrix whose entry (i, j) is the mean number of
travellers per day from node i to node j. It records where it came from (`source`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import scipy.sparse as sp

Level = Literal["country", "airport"]


@dataclass(frozen=True, eq=False)
class Network:
    """Nodes coupled by travel.

    Attributes:
        nodes: node ids, ISO3 codes at country level, IATA codes at airport level.
        country: ISO3 code of the country each node belongs to.
        population: people each node stands for (a country, or an airport's catchment).
        flows: sparse CSR matrix, travellers per day from row node to column node; zero diagonal.
        level: "country" or "airport".
        source: where the flows came from, human readable (e.g. "openflights routes.dat 2014").
        notes: how the flows were derived and balanced, for reports and `docs/data.md`.
    """

    nodes: tuple[str, ...]
    country: tuple[str, ...]
    population: np.ndarray
    flows: sp.csr_array
    level: Level
    source: str
    notes: str = ""
    coords: np.ndarray | None = field(default=None)  # (nodes, 2) latitude, longitude in degrees

    def __post_init__(self) -> None:
        n = len(self.nodes)
        if len(self.country) != n or self.population.shape != (n,) or self.flows.shape != (n, n):
            raise ValueError("Network: nodes, country, population and flows disagree in size")
        if self.coords is not None and self.coords.shape != (n, 2):
            raise ValueError("Network: coords must have shape (nodes, 2)")

    @property
    def size(self) -> int:
        return len(self.nodes)

    @property
    def n_links(self) -> int:
        return int(self.flows.nnz)

    @property
    def total_travellers(self) -> float:
        """Travellers per day over all links."""
        return float(self.flows.sum())

    def index(self, node: str) -> int:
        """Position of a node id."""
        return self._positions[node]

    @property
    def _positions(self) -> dict[str, int]:
        cache = self.__dict__.get("_pos")
        if cache is None:
            cache = {n: i for i, n in enumerate(self.nodes)}
            object.__setattr__(self, "_pos", cache)
        return cache

    def outflow(self) -> np.ndarray:
        """Travellers leaving each node per day."""
        return np.asarray(self.flows.sum(axis=1)).ravel()

    def inflow(self) -> np.ndarray:
        """Travellers arriving at each node per day."""
        return np.asarray(self.flows.sum(axis=0)).ravel()

    def busiest(self, k: int = 10) -> list[tuple[str, str, float]]:
        """The k links with most travellers per day, busiest first."""
        coo = self.flows.tocoo()
        if coo.nnz == 0:
            return []
        top = np.argsort(-coo.data, kind="stable")[:k]
        return [(self.nodes[coo.row[t]], self.nodes[coo.col[t]], float(coo.data[t])) for t in top]

    def imbalance(self) -> np.ndarray:
        """Outflow minus inflow per node, travellers per day; zero for a balanced network."""
        return self.outflow() - self.inflow()

    def is_balanced(self, rtol: float = 1e-9) -> bool:
        """True when every node's inflow equals its outflow (relative to the busiest node)."""
        scale = max(float(self.outflow().max(initial=0.0)), 1.0)
        return bool(np.all(np.abs(self.imbalance()) <= rtol * scale))


def balance(flows: sp.sparray) -> sp.csr_array:
    """Symmetrise travel, F -> (F + F^T) / 2, so each node's inflow equals its outflow.

    The total number of travellers is kept; a node's population is then constant in expectation
    over any horizon, whatever the asymmetry of the raw data (one-way routes, reporting gaps).
    """
    f = sp.csr_array(flows, dtype=float)
    out = sp.csr_array((f + f.T) * 0.5)
    out.eliminate_zeros()
    out.sort_indices()
    return out


def flows_from_edges(
    n: int, origin: np.ndarray, destination: np.ndarray, value: np.ndarray
) -> sp.csr_array:
    """Sum edge values into an `n x n` CSR matrix of flows, dropping self-loops and zeros."""
    origin = np.asarray(origin, dtype=np.int64)
    destination = np.asarray(destination, dtype=np.int64)
    value = np.asarray(value, dtype=float)
    keep = origin != destination
    m = sp.coo_array((value[keep], (origin[keep], destination[keep])), shape=(n, n)).tocsr()
    m.sum_duplicates()
    m.eliminate_zeros()
    m.sort_indices()
    return sp.csr_array(m)
