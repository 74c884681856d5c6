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


def balanced(n: int, rng: np.random.Generator, scale: float) -> np.ndarray:
    """Random flows with inflow == outflow at every node (a sum of directed cycles)."""
    f = np.zeros((n, n))
    for _ in range(3 * n):
        cycle = rng.permutation(n)[: rng.integers(2, n + 1)]
        w = rng.uniform(0.1, 1.0) * scale
        for a, b in zip(cycle, np.roll(cycle, -1), strict=True):
            f[a, b] += w
    return f


class StateCheck:
    """A schedule that checks the state every day (the engine's per-day hook) and changes nothing."""

    def __init__(self) -> None:
        self.totals: list[np.ndarray] = []
        self.min = np.inf

    def __call__(self, day, state):
        self.min = min(self.min, float(state.min()))
        self.totals.append(state.sum(axis=(2, 3)).copy())  # (runs, nodes)
        return None
