"""Small networks for tests: one way to build them, so every test reads the same."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp

from epicommons.world.network import Network, flows_from_edges


def network(
    population: Sequence[float],
    flows: Sequence[Sequence[float]] | np.ndarray | None = None,
    *,
    nodes: Sequence[str] | None = None,
    countries: Sequence[str] | None = None,
    level: str = "country",
) -> Network:
    """A network from populations and a dense travellers-per-day matrix (none = no travel).

    Nodes default to N0, N1, …; countries to C00, C01, … (one per node).
    """
    pop = np.asarray(population, dtype=float)
    n = len(pop)
    matrix = np.zeros((n, n)) if flows is None else np.asarray(flows, dtype=float)
    names = tuple(nodes or (f"N{i}" for i in range(n)))
    return Network(
        names,
        tuple(countries or (f"C{i:02d}" for i in range(n))),
        pop,
        sp.csr_array(matrix),
        level,
        "test",
    )


def network_from_edges(
    edges: Sequence[tuple[int, int, float]],
    population: Sequence[float],
    nodes: Sequence[str] | None = None,
    *,
    countries: Sequence[str] | None = None,
) -> Network:
    """A network from (origin, destination, travellers per day) edges; countries = nodes."""
    n = len(population)
    o, d, v = zip(*edges, strict=True)
    names = tuple(nodes or (f"N{i}" for i in range(n)))
    return Network(
        names,
        tuple(countries or names),
        np.asarray(population, dtype=float),
        flows_from_edges(n, np.array(o), np.array(d), np.array(v)),
        "country",
        "test",
    )
