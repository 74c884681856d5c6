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

from epicommons.errors import InputError

from .countries import registry

Level = Literal["country", "airport"]
PlaceKind = Literal["where", "node", "airport", "country"]
PLACE_KINDS: tuple[str, ...] = ("where", "node", "airport", "country")


@dataclass(frozen=True)
class Place:
    """A place resolved on a network: one node, or every node of a country.

    `weights` are the nodes' shares of the place's population (they sum to 1): a country's
    seeds, prevalence or doses are split over its nodes in proportion to population.
    """

    kind: Literal["node", "country"]
    code: str
    country: str  # ISO3 of the country, or of the node's country
    nodes: np.ndarray
    weights: np.ndarray


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

    def has_node(self, node: str) -> bool:
        """Whether `node` is a node id of this network."""
        return node in self._positions

    def country_nodes(self, iso3: str) -> np.ndarray:
        """Positions of the nodes of a country (ISO3), empty if it has none."""
        return np.flatnonzero(np.asarray(self.country) == iso3)

    def resolve_place(
        self,
        name: str,
        kind: PlaceKind = "where",
        field: str | None = None,
        *,
        hint: str | None = None,
    ) -> Place:
        """The one place resolver: a node id (`node`; `airport` on an airport network), a
        country (`country`: ISO3 or any name the registry knows; all its nodes), or either
        (`where`), which is refused when the name reads both as a node and as a different
        place (at airport level "CAN" is Guangzhou and Canada). Never guesses. `hint` replaces
        the error's advice on how to say which (by default: the seed keys)."""
        if kind not in PLACE_KINDS:
            raise ValueError(f"kind must be one of {', '.join(PLACE_KINDS)}, got {kind!r}")
        if kind == "airport" and self.level != "airport":
            raise InputError(
                f"{name!r}: `airport` needs an airport-level network; this one is at "
                f"{self.level} level ({self.source}); use `country` or `node`",
                field=field,
            )
        as_node = self._node_place(name) if kind != "country" else None
        as_country = self._country_place(name) if kind in ("where", "country") else None
        if kind != "where":
            found = as_node if kind in ("node", "airport") else as_country
            if found is None:
                what = "an airport" if kind == "airport" else f"a {kind}"
                raise InputError(
                    f"{name!r} is not {what} of the network "
                    f"({self.level} level, {self.size} nodes)",
                    field=field,
                )
            return found
        if as_node is None and as_country is None:
            raise InputError(
                f"{name!r} is neither a node nor a country of the network "
                f"({self.level} level, {self.size} nodes)",
                field=field,
            )
        if as_node is not None and as_country is not None:
            if np.array_equal(as_node.nodes, as_country.nodes):
                return as_country  # a country-level node is its country
            key = "airport" if self.level == "airport" else "node"
            hint = hint or f'say which with `{key} = "{name}"` or `country = "{name}"`'
            code, reg = as_country.code, registry()
            called = f"{reg[code].name}, " if code in reg else ""
            raise InputError(
                f"{name!r} is ambiguous: {self.level} {name} (in {as_node.country}) or "
                f"country {code} ({called}{as_country.nodes.size} nodes); {hint}",
                field=field,
            )
        return as_node if as_node is not None else as_country

    def _node_place(self, name: str) -> Place | None:
        if not self.has_node(name):
            return None
        i = self.index(name)
        return Place("node", name, self.country[i], np.array([i]), np.ones(1))

    def _country_place(self, name: str) -> Place | None:
        iso3 = name.upper() if name.upper() in set(self.country) else None
        if iso3 is None:
            iso3 = registry().try_resolve(name)
        nodes = self.country_nodes(iso3) if iso3 is not None else np.empty(0, dtype=np.int64)
        if nodes.size == 0:
            return None
        pop = self.population[nodes].astype(float)
        total = pop.sum()
        weights = pop / total if total > 0 else np.full(nodes.size, 1.0 / nodes.size)
        return Place("country", iso3, iso3, nodes, weights)

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
