"""Resolve intervention targets against a network: country sets, masks of links and nodes."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from epicommons.errors import InputError
from epicommons.world.countries import registry
from epicommons.world.groups import Group, find_group, resolve_group
from epicommons.world.network import Network


def countries(
    names: list[str],
    field: str,
    groups: Mapping[str, Group] | None = None,
    network: Network | None = None,
) -> frozenset[str]:
    """Union of the members of each name (country, code, built-in or user group); with a
    network, only members that have a node in it, and a named country must have one."""
    out: set[str] = set()
    for i, name in enumerate(names):
        try:
            out |= _members(name, groups, network)
        except InputError as exc:
            raise InputError(exc.message, field=f"{field}[{i}]") from None
    if not out:
        raise InputError("names no country", field=field)
    return frozenset(out)


def _members(name: str, groups: Mapping[str, Group] | None, network: Network | None) -> set[str]:
    group = find_group(name, groups)
    if network is None:
        return set(resolve_group(name, groups))
    present = set(network.country)
    if group is not None:
        inside = set(group.members) & present
        if not inside:
            raise InputError(f"group {name!r} has no country in the network ({network.source})")
        return inside
    if network.has_node(name) and network.level == "airport":
        iso3 = registry().try_resolve(name)
        hint = "interventions target countries: write the country's name to mean it" + (
            f" ({registry()[iso3].name!r})" if iso3 else ""
        )
        place = network.resolve_place(name, "where", hint=hint)  # refused if also a country
        raise InputError(
            f"{name!r} is an airport (in {place.country}); interventions target countries: "
            f"name its country ({place.country}) or a group"
        )
    return {network.resolve_place(next(iter(resolve_group(name))), "country").code}


def link_ends(network: Network) -> tuple[np.ndarray, np.ndarray]:
    """Country (ISO3) of the origin and destination of each link, in CSR `.data` order."""
    f = network.flows
    country = np.asarray(network.country)
    origin = np.repeat(np.arange(network.size), np.diff(f.indptr))
    return country[origin], country[f.indices]


def route_mask(
    network: Network,
    origin: frozenset[str] | None,
    dest: frozenset[str] | None,
    between: frozenset[str] | None,
    both: bool,
    domestic: bool,
) -> np.ndarray:
    """Boolean mask over links of the targeted routes."""
    o, d = link_ends(network)

    def member(a: np.ndarray, s: frozenset[str] | None) -> np.ndarray:
        return np.ones(a.shape, bool) if s is None else np.isin(a, list(s))

    if between is not None:
        mask = member(o, between) & member(d, between)
    else:
        mask = member(o, origin) & member(d, dest)
        if both:
            mask |= member(d, origin) & member(o, dest)
    if not domestic:
        mask &= o != d
    return mask


def node_mask(network: Network, members: frozenset[str]) -> np.ndarray:
    """Boolean mask over nodes whose country is in `members`."""
    return np.isin(np.asarray(network.country), list(members))
