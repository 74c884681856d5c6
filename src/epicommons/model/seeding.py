"""Seeds: people put into an infected compartment at a node on a given day.

A seed on day 0 is an initial infection; later seeds are importations from outside the network.
Seeded people are taken from the susceptible compartment, so the number of people is unchanged.
Where: `node=` a node id, `country=` an ISO3 country (its most populous node), or `where=` either
one, node ids first (as in earlier versions). At airport level 70 OpenFlights IATA codes are
also ISO3 codes of other countries ("ISL" is Istanbul Atatürk and Iceland, "FRA" Frankfurt and
France): `where` then takes the node and warns (`AmbiguousPlace`); name it with `node=` or
`country=` to be explicit.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from epicommons.errors import InputError
from epicommons.world.network import Network

WHERE = ("where", "node", "country")


class AmbiguousPlace(UserWarning):
    """A seed's `where` names both a node and a different country; the node was taken."""


@dataclass(frozen=True, init=False)
class Seed:
    """`count` people into `compartment` (default: the disease's first infected) at one place,
    in age group `age` (index) or spread over ages in proportion to the susceptibles.

    The place is exactly one of `where` (a node id first, else a country; `AmbiguousPlace` is
    warned when it names a node and a different country), `node` (a node id) or `country` (an
    ISO3 code: the country's most populous node).
    """

    where: str | None
    count: float
    day: int
    compartment: str | None
    age: int | None
    node: str | None
    country: str | None

    def __init__(
        self,
        where: str | None = None,
        count: float | None = None,
        day: int = 0,
        compartment: str | None = None,
        age: int | None = None,
        *,
        node: str | None = None,
        country: str | None = None,
    ) -> None:
        given = [k for k, v in zip(WHERE, (where, node, country), strict=True) if v is not None]
        if len(given) != 1:
            raise ValueError(f"Seed: give exactly one of where, node or country (got {given})")
        if count is None:
            raise TypeError("Seed: missing count")
        for name, value in zip(
            ("where", "count", "day", "compartment", "age", "node", "country"),
            (where, count, day, compartment, age, node, country),
            strict=True,
        ):
            object.__setattr__(self, name, value)

    @property
    def place(self) -> tuple[str, str]:
        """How the place is named (`where`, `node` or `country`) and the name."""
        for kind in WHERE:
            value = getattr(self, kind)
            if value is not None:
                return kind, value
        raise AssertionError("a Seed always has a place")  # pragma: no cover


@dataclass(frozen=True)
class SeedPlan:
    """Seeds resolved to positions: node, day, compartment index, count (arrays, one per seed)."""

    node: np.ndarray
    day: np.ndarray
    compartment: np.ndarray
    count: np.ndarray
    age: np.ndarray  # -1: spread over ages

    def on(self, day: int) -> np.ndarray:
        """Indices of today's seeds."""
        return np.flatnonzero(self.day == day)


def resolve_node(
    network: Network, where: str, field: str | None = None, kind: str = "where"
) -> int:
    """Position of a node id (`kind="node"`), of a country's most populous node
    (`kind="country"`), or of either (`kind="where"`: the node first, with a warning when the
    name is also a different country)."""
    if kind not in WHERE:
        raise ValueError(f"kind must be one of {', '.join(WHERE)}, got {kind!r}")
    as_node = network.index(where) if where in network._positions else None
    members = [i for i, c in enumerate(network.country) if c == where.upper()]
    as_country = max(members, key=lambda i: network.population[i]) if members else None
    found = {"node": as_node, "country": as_country}
    if kind != "where":
        if found[kind] is None:
            raise InputError(
                f"{where!r} is not a {kind} of the network "
                f"({network.level} level, {network.size} nodes)",
                field=field,
            )
        return found[kind]
    if as_node is None and as_country is None:
        raise InputError(
            f"{where!r} is neither a node nor a country of the network "
            f"({network.level} level, {network.size} nodes)",
            field=field,
        )
    if as_node is not None and as_country is not None and as_node != as_country:
        warnings.warn(
            f"{field or 'seed'}: {where!r} is both node {where} (in {network.country[as_node]}) "
            f"and country {where.upper()} (largest node {network.nodes[as_country]}); seeding "
            "the node. Use `node` or `country` instead of `where` to say which.",
            AmbiguousPlace,
            stacklevel=3,
        )
    return as_node if as_node is not None else as_country


def plan(
    seeds: Sequence[Seed],
    network: Network,
    compartments: Sequence[str],
    default: str,
    *,
    field: str = "seeds",
    ages: int = 1,
) -> SeedPlan:
    """Check seeds against the network and compartments and resolve them to positions."""
    nodes, days, comps, counts, age = [], [], [], [], []
    for i, s in enumerate(seeds):
        where = f"{field}[{i}]"
        kind, name = s.place
        nodes.append(resolve_node(network, name, field=f"{where}.{kind}", kind=kind))
        name = s.compartment or default
        if name not in compartments:
            raise InputError(
                f"unknown compartment {name!r}; expected one of {', '.join(compartments)}",
                field=f"{where}.compartment",
            )
        comps.append(list(compartments).index(name))
        if s.day < 0:
            raise InputError(f"expected a day >= 0, got {s.day}", field=f"{where}.day")
        if not np.isfinite(s.count) or s.count <= 0:
            raise InputError(f"expected a count > 0, got {s.count}", field=f"{where}.count")
        if s.age is not None and not 0 <= s.age < ages:
            raise InputError(
                f"expected an age group index 0..{ages - 1}, got {s.age}", field=f"{where}.age"
            )
        days.append(int(s.day))
        counts.append(float(s.count))
        age.append(-1 if s.age is None else int(s.age))
    return SeedPlan(
        np.array(nodes, dtype=np.int64),
        np.array(days, dtype=np.int64),
        np.array(comps, dtype=np.int64),
        np.array(counts, dtype=float),
        np.array(age, dtype=np.int64),
    )
