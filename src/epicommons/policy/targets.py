"""Resolve intervention targets against a network: country sets, masks of links and nodes."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from epicommons.errors import InputError
from epicommons.world.groups import Group, resolve_group
from epicommons.world.network import Network


def countries(
    names: list[str], field: str, groups: Mapping[str, Group] | None = None
) -> frozenset[str]:
    """Union of the members of each name (country, code, built-in or user group)."""
    out: set[str] = set()
    for i, name in enumerate(names):
        try:
            out |= resolve_group(name, groups)
        except InputError as exc:
            raise InputError(exc.message, field=f"{field}[{i}]") from None
    if not out:
        raise InputError("names no country", field=field)
    return frozenset(out)


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
