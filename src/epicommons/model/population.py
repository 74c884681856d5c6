"""People per node and age group, from the world layer's UN WPP age bands.

At airport level a node stands for part of a country: it gets its country's age distribution.
Countries without age data get the population-weighted mean distribution of the others.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from epicommons.world.network import Network

from .mixing import (
    AgeStructure,
    aggregate_bands,
    builtin_contacts,
    check_edges,
    read_contact_matrix,
)


def age_bands(network: Network, year: int) -> np.ndarray:
    """5-year age bands per node `(nodes, 21)` scaled to each node's population."""
    from epicommons.world.population import population_matrix

    codes = sorted(set(network.country))
    by_country = np.asarray(population_matrix(codes, year), dtype=float)
    totals = by_country.sum(axis=1)
    known = totals > 0
    fallback = by_country[known].sum(axis=0)
    fallback = (
        fallback / fallback.sum()
        if known.any()
        else np.full(by_country.shape[1], 1 / by_country.shape[1])
    )
    shares = np.where(known[:, None], by_country / np.maximum(totals, 1e-300)[:, None], fallback)
    row = {c: i for i, c in enumerate(codes)}
    idx = np.array([row[c] for c in network.country])
    return shares[idx] * network.population[:, None]


def age_structure(
    network: Network,
    edges: tuple[int, ...] | None,
    contacts: str | Path = "builtin",
    year: int = 2025,
) -> AgeStructure:
    """Age structure for a network: built-in preferred mixing per node, or one matrix from CSV."""
    if not edges or len(edges) == 1:
        return AgeStructure.single(network.population)
    edges = check_edges(tuple(edges))
    bands = age_bands(network, year)
    pop = aggregate_bands(bands, edges)
    if str(contacts) == "builtin":
        matrix = builtin_contacts(bands, edges)
    else:
        matrix = read_contact_matrix(contacts, len(edges))
    return AgeStructure(edges, pop, matrix)
