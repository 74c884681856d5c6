"""Risk groups of the vaccine cooperation study (0-19, 20-49, 50-64, 65+): their shares and IFR
per country from UN WPP 2022 and Verity et al. 2020, and the COVID-like preset repeated per group.

The groups are disease compartments (the preset's, suffixed with the group, plus a vaccinated
compartment V) because their death rates differ and the engine's rates are one per transition
for every age group. They mix in proportion to their contact activity (the engine's fitted
activity levels).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

import numpy as np

from epicommons.model import Compartment, Disease, Transition, covid_like
from epicommons.model.mixing import aggregate_bands, band_activity
from epicommons.world.network import Network
from epicommons.world.population import population_matrix

RISK_EDGES = (0, 20, 50, 65)  # lower edges (years) of the risk groups; vaccinated oldest first
RISK_LABELS = ("0-19", "20-49", "50-64", "65+")

# Infection fatality ratio (%) by 10-year age band 0-9, ..., 70-79, 80+: Verity R. et al. (2020)
# Estimates of the severity of coronavirus disease 2019: a model-based analysis. Lancet Infect Dis
# 20:669-677, Table 1 (China, adjusted for demography and under-ascertainment).
VERITY_IFR_PCT = np.array([0.00161, 0.00695, 0.0309, 0.0844, 0.161, 0.595, 1.93, 4.28, 7.80])

# The COVID-like preset (`epicommons.model.covid_like`, sources in docs/data/model.md): its natural
# history is repeated per risk group; R0 and the IFR are the study's own (per group, Verity).
PRESET = covid_like()
NATURAL_HISTORY = {k: v for k, v in PRESET.parameters.items() if k not in ("R0", "ifr")}
VACCINATED = "V"  # the compartment the study adds to each group


def band_ifr(bands: int = 21) -> np.ndarray:
    """IFR (fraction) of each 5-year band, from Verity's 10-year bands (80+ for 80 and over)."""
    return VERITY_IFR_PCT[np.minimum(np.arange(bands) // 2, 8)] / 100.0


def _by_group(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Weighted mean of a per-band value within each risk group, along the last axis."""
    num = aggregate_bands(values * weights, RISK_EDGES)
    den = aggregate_bands(weights, RISK_EDGES)
    return np.divide(num, den, out=np.zeros_like(num), where=den > 0)


@dataclass(frozen=True)
class Demography:
    """Per node: share of each risk group and its IFR; world IFR and activity per group."""

    shares: np.ndarray  # (nodes, groups), rows sum to 1
    ifr: np.ndarray  # (nodes, groups)
    world_shares: np.ndarray  # (groups,)
    world_ifr: np.ndarray  # (groups,)
    activity: np.ndarray  # (groups,) relative to the world mean


def demography(network: Network, year: int = 2020) -> Demography:
    """Risk-group structure from UN WPP 2022 (world average for places WPP does not list)."""
    pop5 = population_matrix(network.country, year)  # (nodes, 21)
    world5 = pop5.sum(axis=0)
    missing = pop5.sum(axis=1) <= 0
    pop5[missing] = world5
    grouped = aggregate_bands(pop5, RISK_EDGES)
    shares = grouped / grouped.sum(axis=1, keepdims=True)
    world_shares = aggregate_bands(world5, RISK_EDGES)
    world_shares = world_shares / world_shares.sum()
    act = _by_group(band_activity(pop5.shape[1]), world5)
    act = act / float(world_shares @ act)
    return Demography(
        shares=shares,
        ifr=_by_group(band_ifr(), pop5),
        world_shares=world_shares,
        world_ifr=_by_group(band_ifr(), world5),
        activity=act,
    )


def infectious_days(p: dict[str, float] = NATURAL_HISTORY) -> float:
    """Infectiousness-weighted days per infection in the engine's daily chain (sojourn in a
    compartment left at rate h is 1 / (1 - exp(-h)) days)."""

    def stay(d: float) -> float:
        return 1.0 / -np.expm1(-1.0 / d)

    return (1 - p["p_a"]) * (stay(p["d_P"]) + stay(p["d_C"])) + p["p_a"] * p["r_a"] * stay(p["d_A"])


@dataclass(frozen=True)
class GroupNames:
    """Each risk group's compartments in `group_disease`: the preset's name and the group index."""

    susceptible: tuple[str, ...]
    exposed: tuple[str, ...]
    dead: tuple[str, ...]
    vaccinated: tuple[str, ...]


def in_group(name: str, group: int) -> str:
    """The name of a preset compartment (or parameter) within one risk group: `S` -> `S2`."""
    return f"{name}{group}"


def group_names(groups: int = len(RISK_EDGES)) -> GroupNames:
    """Names taken from the preset: its susceptible, first infected and dead compartments."""
    (dead,) = (c.name for c in PRESET.compartments if not c.alive)

    def each(name: str) -> tuple[str, ...]:
        return tuple(in_group(name, g) for g in range(groups))

    return GroupNames(
        each(PRESET.susceptible), each(PRESET.first_infected), each(dead), each(VACCINATED)
    )


def group_disease(demo: Demography, R0: float) -> Disease:
    """The COVID-like preset repeated per risk group, with proportionate mixing by activity
    (`a_g`), the group's IFR (`ifr_g`) and the vaccinated compartment V_g; `beta` gives `R0` at
    the world's group shares."""
    k = len(RISK_EDGES)
    a = demo.activity
    beta = R0 / (infectious_days() * float(np.sum(a * a * demo.world_shares)))
    comps: list[Compartment] = []
    trans: list[Transition] = []
    (infection,) = (t for t in PRESET.transitions if t.mediated)
    weights = {
        in_group(c, h): f"a{h}" if w == 1 else f"{w} * a{h}"
        for h in range(k)
        for c, w in (infection.mediated_by or {}).items()
    }
    ifr = re.compile(r"\bifr\b")
    for g in range(k):
        comps += [replace(c, name=in_group(c.name, g)) for c in PRESET.compartments]
        comps.append(Compartment(in_group(VACCINATED, g)))
        for t in PRESET.transitions:
            source, target = in_group(t.source, g), in_group(t.target, g)
            if t.mediated:
                trans.append(Transition(source, target, f"{t.rate} * a{g}", weights))
            else:
                trans.append(Transition(source, target, ifr.sub(f"ifr{g}", str(t.rate))))
    params = {**NATURAL_HISTORY, "beta": beta}
    params.update({f"a{g}": float(a[g]) for g in range(k)})
    params.update({f"ifr{g}": float(demo.world_ifr[g]) for g in range(k)})
    return Disease("COVID-like by risk group", tuple(comps), tuple(trans), params)
