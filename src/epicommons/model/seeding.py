"""Seeds: people put into an infected compartment at a place on a given day.

A seed on day 0 is an initial infection; later seeds are importations from outside the network.
Seeded people are taken from the susceptible compartment, so the number of people is unchanged,
and a place is never seeded with more people than live there.
The place is named by exactly one key, resolved by `Network.resolve_place` (one resolver, never a
guess): `country=` an ISO3 code or name (the seeds are split over the country's nodes in
proportion to their population), `airport=` one airport of an airport-level network, `node=` one
node id at any level, or `where=` either, refused when it reads both ways (at airport level
"CAN" is Guangzhou and Canada, "PER" Perth and Peru).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from epicommons.errors import InputError
from epicommons.world.network import PLACE_KINDS, Network

WHERE = PLACE_KINDS


@dataclass(frozen=True, init=False)
class Seed:
    """`count` people into `compartment` (default: the disease's first infected) at one place,
    in age group `age` (index) or spread over ages in proportion to the susceptibles.

    The place is exactly one of `where` (a node or a country, refused when ambiguous), `node`
    (a node id), `airport` (an airport of an airport-level network) or `country` (ISO3 or a
    name: split over the country's nodes in proportion to population).
    """

    where: str | None
    count: float
    day: int
    compartment: str | None
    age: int | None
    node: str | None
    airport: str | None
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
        airport: str | None = None,
        country: str | None = None,
    ) -> None:
        places = (where, node, airport, country)
        given = [k for k, v in zip(WHERE, places, strict=True) if v is not None]
        if len(given) != 1:
            raise ValueError(f"Seed: give exactly one of {', '.join(WHERE)} (got {given})")
        if count is None:
            raise TypeError("Seed: missing count")
        for name, value in zip(
            ("where", "count", "day", "compartment", "age", "node", "airport", "country"),
            (where, count, day, compartment, age, node, airport, country),
            strict=True,
        ):
            object.__setattr__(self, name, value)

    @property
    def place(self) -> tuple[str, str]:
        """How the place is named (`where`, `node`, `airport` or `country`) and the name."""
        for kind in WHERE:
            value = getattr(self, kind)
            if value is not None:
                return kind, value
        raise AssertionError("a Seed always has a place")  # pragma: no cover


@dataclass(frozen=True)
class SeedPlan:
    """Seeds resolved to positions: node, day, compartment index, count (arrays, one entry per
    seed and node: a country's seed has one per node it is split over)."""

    node: np.ndarray
    day: np.ndarray
    compartment: np.ndarray
    count: np.ndarray
    age: np.ndarray  # -1: spread over ages

    def on(self, day: int) -> np.ndarray:
        """Indices of today's seeds."""
        return np.flatnonzero(self.day == day)


def split(count: float, weights: np.ndarray, whole: bool) -> np.ndarray:
    """`count` shared in proportion to `weights` (summing to 1): exactly, or in whole people by
    the largest remainder (Hamilton) rule, so the parts sum to the rounded count."""
    exact = count * weights
    if not whole:
        return exact
    total = int(np.floor(count + 0.5))
    parts = np.floor(total * weights)
    short = total - int(parts.sum())
    order = np.argsort(-(total * weights - parts), kind="stable")
    parts[order[:short]] += 1
    return parts


def plan(
    seeds: Sequence[Seed],
    network: Network,
    compartments: Sequence[str],
    default: str,
    *,
    field: str = "seeds",
    ages: int = 1,
    whole: bool = False,
    horizon: int | None = None,
    keys: Sequence[tuple[str, str]] | None = None,
) -> SeedPlan:
    """Check seeds against the network and compartments and resolve them to positions; a
    country's seeds become one entry per node (whole people when `whole`, for the stochastic
    engine). More people seeded at a place than live there is an error, and so is a seed day
    at or after `horizon` (it would never happen). `keys` name each seed's table and day key
    in errors (default `seeds[i]` and `seeds[i].day`)."""
    nodes, days, comps, counts, age = [], [], [], [], []
    seeded = np.zeros(network.size)
    for i, s in enumerate(seeds):
        where, day_key = keys[i] if keys is not None else (f"{field}[{i}]", f"{field}[{i}].day")
        kind, name = s.place
        place = network.resolve_place(name, kind, field=f"{where}.{kind}")
        name = s.compartment or default
        if name not in compartments:
            raise InputError(
                f"unknown compartment {name!r}; expected one of {', '.join(compartments)}",
                field=f"{where}.compartment",
            )
        if s.day < 0 or (horizon is not None and s.day >= horizon):
            limit = "" if horizon is None else f" and < {horizon} (the simulated days)"
            raise InputError(f"expected a day >= 0{limit}, got {s.day}", field=day_key)
        if not np.isfinite(s.count) or s.count <= 0:
            raise InputError(f"expected a count > 0, got {s.count}", field=f"{where}.count")
        if s.age is not None and not 0 <= s.age < ages:
            raise InputError(
                f"expected an age group index 0..{ages - 1}, got {s.age}", field=f"{where}.age"
            )
        if whole and s.count < 0.5:
            raise InputError(
                f"expected at least one person (the stochastic engine seeds whole people), "
                f"got {s.count:g}",
                field=f"{where}.count",
            )
        parts = split(float(s.count), place.weights, whole)
        seeded[place.nodes] += parts
        lives = float(network.population[place.nodes].sum())
        if np.any(seeded[place.nodes] > network.population[place.nodes]):
            raise InputError(
                f"expected at most the {lives:,.0f} people of {place.kind} {place.code} "
                f"(all seeds there together), got {s.count:,.6g}",
                field=f"{where}.count",
            )
        keep = parts > 0
        nodes.extend(place.nodes[keep].tolist())
        counts.extend(parts[keep].tolist())
        n = int(keep.sum())
        comps.extend([list(compartments).index(name)] * n)
        days.extend([int(s.day)] * n)
        age.extend([-1 if s.age is None else int(s.age)] * n)
    return SeedPlan(
        np.array(nodes, dtype=np.int64),
        np.array(days, dtype=np.int64),
        np.array(comps, dtype=np.int64),
        np.array(counts, dtype=float),
        np.array(age, dtype=np.int64),
    )
