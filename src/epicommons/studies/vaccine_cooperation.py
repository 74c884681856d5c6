"""The cooperation study for vaccines: the same dose supply shared by population or taken first
by high-income countries, run through the spread engine, deaths averted worldwide and per country.

Setting after Chinazzi M. et al. (2020) "Estimating the effect of cooperative versus uncooperative
strategies of COVID-19 vaccine allocation: a modeling study", Network Science Institute,
Northeastern University (MOBS Lab), 14 Sept 2020, commissioned by the Gates Foundation; every
assumption and difference is listed in docs/validation/assist.md.

Risk groups (0-19, 20-49, 50-64, 65+) are disease compartments here: the COVID-like preset's
natural history repeated per group plus a vaccinated compartment V, because their death rates
differ and the engine's rates are one per transition for every age group. Groups mix in
proportion to their contact activity (the engine's fitted activity levels); vaccination moves
susceptibles of a group to its V, oldest first.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from epicommons.assist.response import ResponseCurve
from epicommons.errors import InputError
from epicommons.model import (
    Compartment,
    Disease,
    Modifiers,
    Seed,
    Transfer,
    Transition,
    build_model,
    covid_like,
    run_chunk,
)
from epicommons.model.mixing import aggregate_bands, band_activity
from epicommons.world.groups import HIGH_INCOME, builtin_groups
from epicommons.world.network import Network
from epicommons.world.population import population_matrix

ARMS = ("none", "proportional", "high_income_first", "optimised")
RISK_EDGES = (0, 20, 50, 65)  # lower edges (years) of the risk groups; vaccinated oldest first
RISK_LABELS = ("0-19", "20-49", "50-64", "65+")
SEED_GROUP = RISK_LABELS.index("20-49")  # the first infections are adults

# Infection fatality ratio (%) by 10-year age band 0-9, ..., 70-79, 80+: Verity R. et al. (2020)
# Estimates of the severity of coronavirus disease 2019: a model-based analysis. Lancet Infect Dis
# 20:669-677, Table 1 (China, adjusted for demography and under-ascertainment).
VERITY_IFR_PCT = np.array([0.00161, 0.00695, 0.0309, 0.0844, 0.161, 0.595, 1.93, 4.28, 7.80])

# The COVID-like preset (`epicommons.model.covid_like`, sources in docs/data/model.md): its natural
# history is repeated per risk group; R0 and the IFR are the study's own (per group, Verity).
PRESET = covid_like()
NATURAL_HISTORY = {k: v for k, v in PRESET.parameters.items() if k not in ("R0", "ifr")}
VACCINATED = "V"  # the compartment the study adds to each group


@dataclass(frozen=True)
class StudySetting:
    """The scenario; defaults follow our reading of Chinazzi et al. 2020 (see the docs for each)."""

    start: date = date(2019, 12, 1)  # day 0: seeding in China
    vaccination_start: date = date(2020, 3, 16)
    end: date = date(2020, 9, 1)  # deaths counted up to this day (exclusive)
    supply: float = 2e9  # courses (one per person protected) over the delivery period
    weeks: int = 24  # weekly deliveries from vaccination_start (16 Mar - 31 Aug 2020)
    efficacy: float = 0.8  # all-or-nothing: this share of vaccinated susceptibles is immune
    R0: float = 2.5
    mitigation: float = 0.44  # reduction from mitigation_start (fitted to world deaths, see docs)
    mitigation_start: date = date(2020, 3, 9)
    # (country, start, reduction): Wuhan's lockdown from 23 Jan 2020 cut Rt from 3.8 to 0.3
    # (Pan A. et al. 2020, JAMA 323:1915), a reduction of about 0.9
    early_mitigation: tuple[tuple[str, date, float], ...] = (("CHN", date(2020, 1, 23), 0.9),)
    # (country, reduction) replacing `mitigation` for that country (e.g. fitted to reported deaths)
    country_mitigation: tuple[tuple[str, float], ...] = ()
    seed_country: str = "CHN"
    seed_count: int = 100
    high_income_cap: float = 1.0  # HICs are served first until this share of them is covered

    def check(self) -> None:
        """Raise InputError naming the first setting out of range."""
        rules = [
            ("efficacy", 0 <= self.efficacy <= 1, "between 0 and 1"),
            ("mitigation", 0 <= self.mitigation < 1, "in [0, 1)"),
            ("R0", self.R0 > 0, "> 0"),
            ("supply", self.supply >= 0, ">= 0"),
            ("weeks", self.weeks >= 1, ">= 1"),
            ("seed_count", self.seed_count >= 1, ">= 1"),
            ("high_income_cap", 0 <= self.high_income_cap <= 1, "between 0 and 1"),
            ("end", self.end > self.vaccination_start >= self.start, "after vaccination_start"),
            (
                "early_mitigation",
                all(0 <= r < 1 and w >= self.start for _, w, r in self.early_mitigation),
                "reductions in [0, 1) starting on or after the start",
            ),
            (
                "country_mitigation",
                all(0 <= r < 1 for _, r in self.country_mitigation),
                "reductions in [0, 1)",
            ),
        ]
        for name, ok, expected in rules:
            if not ok:
                raise InputError(f"expected {expected}, got {getattr(self, name)!r}", field=name)

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    def day(self, when: date) -> int:
        return (when - self.start).days


def read_mitigation(path: str | Path) -> tuple[tuple[str, float], ...]:
    """Per-country transmission reductions from a CSV with columns `iso3,reduction`."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", source=path) from None
    rows = list(csv.DictReader(lines))
    if not rows or not {"iso3", "reduction"} <= set(rows[0]):
        raise InputError("expected a header with columns iso3,reduction", source=path, line=1)
    out = []
    for i, row in enumerate(rows, start=2):
        try:
            value = float(row["reduction"])
        except (TypeError, ValueError):
            value = float("nan")
        if not 0 <= value < 1:
            raise InputError(
                f"expected a number in [0, 1), got {row['reduction']!r}",
                source=path,
                line=i,
                field="reduction",
            )
        out.append((row["iso3"].strip().upper(), value))
    return tuple(out)


# -- risk groups ------------------------------------------------------------------------------


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


# -- supply and administration ------------------------------------------------------------------


def weekly_allocation(
    arm: str,
    supply_per_week: float,
    weeks: int,
    population: np.ndarray,
    high_income: np.ndarray,
    cap: float = 1.0,
    plan: np.ndarray | None = None,
) -> np.ndarray:
    """Courses delivered to each node each week `(weeks, nodes)`.

    proportional: every week's supply shared in proportion to population.
    high_income_first: high-income nodes get the week's supply (shared by population) until
    `cap` of their people are covered; what is left goes to the others by population.
    optimised: every week's supply shared in proportion to `plan` (courses per node from the
    allocator).
    No node is sent more than its population; undeliverable doses stay unallocated.
    """
    pop = np.asarray(population, dtype=float)
    n = pop.size
    out = np.zeros((weeks, n))
    if arm == "none":
        return out
    if arm not in ARMS:
        raise InputError(f"unknown arm {arm!r}; expected one of {', '.join(ARMS)}", field="arm")
    hic = np.asarray(high_income, dtype=bool)
    left = pop.copy()
    hic_left = cap * pop[hic].sum()
    if arm == "optimised" and plan is None:
        raise InputError("the optimised arm needs a plan (courses per node)", field="plan")
    for w in range(weeks):
        stock = supply_per_week
        weights = pop if arm != "optimised" else np.asarray(plan, dtype=float)
        if arm == "high_income_first":
            if hic_left > 0:
                first = _by_population(min(stock, hic_left), np.where(hic, pop, 0.0), left)
                out[w] += first
                left -= first
                hic_left -= first.sum()
                stock -= first.sum()
            weights = np.where(hic, 0.0, pop)
        extra = _by_population(stock, weights, left)
        out[w] += extra
        left -= extra
    return out


def _by_population(amount: float, weights: np.ndarray, room: np.ndarray) -> np.ndarray:
    """`amount` split in proportion to `weights`, never more than `room` per node."""
    total = weights.sum()
    if amount <= 0 or total <= 0:
        return np.zeros_like(weights)
    return np.minimum(amount * weights / total, np.maximum(room, 0.0))


def administer(daily: np.ndarray, group_pop: np.ndarray) -> np.ndarray:
    """Courses given per day, node and risk group `(days, nodes, groups)`, oldest group first.

    Each group can take at most its population (people are vaccinated whatever their infection
    history; unused courses are lost).
    """
    days, n = daily.shape
    given = np.zeros((days, n, group_pop.shape[1]))
    room = group_pop.astype(float).copy()
    for t in range(days):
        left = daily[t].copy()
        for g in reversed(range(group_pop.shape[1])):
            take = np.minimum(left, room[:, g])
            given[t, :, g] = take
            room[:, g] -= take
            left -= take
    return given


def protected_fractions(given: np.ndarray, group_pop: np.ndarray, efficacy: float) -> np.ndarray:
    """Share of each group's susceptibles made immune each day: efficacy x courses / people not
    yet vaccinated (vaccination is at random among them, so susceptibles get their share)."""
    before = group_pop[None] - np.cumsum(given, axis=0) + given
    return efficacy * np.divide(given, before, out=np.zeros_like(given), where=before > 0)


# -- the engine's schedule ----------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class VaccineSchedule:
    """Day 0: split everyone into risk groups. From `mitigation_day` (per node): transmission x
    `factor` (per node). From `start`: move today's protected share of S_g to V_g (`fractions`
    is `(days, nodes, groups)`)."""

    split: tuple[Transfer, ...]
    mitigation_day: np.ndarray
    factor: np.ndarray
    start: int
    fractions: np.ndarray | None
    names: GroupNames

    def __call__(self, day: int, state: np.ndarray) -> Modifiers | None:
        transfers: tuple[Transfer, ...] = self.split if day == 0 else ()
        k = day - self.start
        if self.fractions is not None and 0 <= k < len(self.fractions):
            transfers += tuple(
                Transfer(s, v, self.fractions[k, :, g])
                for g, (s, v) in enumerate(
                    zip(self.names.susceptible, self.names.vaccinated, strict=True)
                )
            )
        trans = None
        on = day >= self.mitigation_day
        if on.any() and (self.factor[on] != 1.0).any():
            trans = np.where(on, self.factor, 1.0)
        if not transfers and trans is None:
            return None
        return Modifiers(transmission=trans, transfers=transfers)


def split_transfers(shares: np.ndarray, susceptible: Sequence[str]) -> tuple[Transfer, ...]:
    """Transfers from the first group's susceptibles (where the engine starts everyone) giving
    each group its share."""
    out = []
    rest = shares.sum(axis=1)
    for g in range(shares.shape[1] - 1, 0, -1):
        frac = np.divide(shares[:, g], rest, out=np.zeros(len(rest)), where=rest > 0)
        out.append(Transfer(susceptible[0], susceptible[g], frac))
        rest = rest - shares[:, g]
    return tuple(out)


# -- the study ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class StudyResult:
    """Deaths per arm, run and node, and courses given per arm and node."""

    setting: StudySetting
    nodes: tuple[str, ...]
    population: np.ndarray  # (nodes,)
    high_income: np.ndarray  # (nodes,) bool
    arms: tuple[str, ...]
    deaths: np.ndarray  # (arms, runs, nodes)
    delivered: np.ndarray  # (arms, nodes) courses sent
    given: np.ndarray  # (arms, nodes) courses given to people
    given_by_group: np.ndarray  # (arms, nodes, groups)
    seed: int = 0
    notes: dict[str, float] = field(default_factory=dict)

    def world_table(self) -> pd.DataFrame:
        """Worldwide deaths and the share averted per arm (published definition: one minus the
        ratio of median deaths) with the 5-95% range of the paired per-run share."""
        world = self.deaths.sum(axis=2)  # (arms, runs)
        base = world[self.arms.index("none")]
        rows = []
        for i, arm in enumerate(self.arms):
            paired = 1 - world[i] / np.maximum(base, 1e-300)
            rows.append(
                {
                    "arm": arm,
                    "courses_given": self.given[i].sum(),
                    "deaths_median": np.median(world[i]),
                    "deaths_p05": np.quantile(world[i], 0.05),
                    "deaths_p95": np.quantile(world[i], 0.95),
                    "averted_share": 1 - np.median(world[i]) / max(np.median(base), 1e-300),
                    "averted_share_p05": np.quantile(paired, 0.05),
                    "averted_share_p95": np.quantile(paired, 0.95),
                }
            )
        return pd.DataFrame(rows)

    def _groups_table(self, labels: np.ndarray, name: str) -> pd.DataFrame:
        base = self.deaths[self.arms.index("none")]
        rows = []
        for key in dict.fromkeys(labels.tolist()):
            m = labels == key
            b = base[:, m].sum(axis=1)
            for i, arm in enumerate(self.arms):
                if arm == "none":
                    continue
                d = self.deaths[i][:, m].sum(axis=1)
                av = b - d
                rows.append(
                    {
                        name: key,
                        "arm": arm,
                        "population": self.population[m].sum(),
                        "courses_given": self.given[i, m].sum(),
                        "deaths_none_median": np.median(b),
                        "deaths_median": np.median(d),
                        "averted_median": np.median(av),
                        "averted_p05": np.quantile(av, 0.05),
                        "averted_p95": np.quantile(av, 0.95),
                        "averted_share": 1 - np.median(d) / np.median(b) if np.median(b) > 0 else 0,
                    }
                )
        return pd.DataFrame(rows)

    def income_table(self) -> pd.DataFrame:
        """Deaths averted by income group (high income, other) per arm."""
        labels = np.where(self.high_income, "high income", "other")
        return self._groups_table(labels, "income_group")

    def country_table(self) -> pd.DataFrame:
        """Deaths averted per country and arm (paired over runs, 5-95% range)."""
        t = self._groups_table(np.asarray(self.nodes), "country")
        t.insert(
            1, "high_income", t["country"].map(dict(zip(self.nodes, self.high_income, strict=True)))
        )
        return t


def run_study(
    network: Network,
    setting: StudySetting | None = None,
    *,
    runs: int = 20,
    seed: int = 0,
    arms: Sequence[str] = ARMS[:3],
    stochastic: bool = True,
    plan: np.ndarray | None = None,
    progress: Callable[[int], None] | None = None,
) -> StudyResult:
    """Run every arm with the same run indices and seed (common random numbers up to the first
    vaccination draw) and collect deaths per node; `progress` gets run-days done. The
    "optimised" arm needs `plan` (courses per node, e.g. from `optimised_plan`)."""
    setting = setting or StudySetting()
    setting.check()
    arms = tuple(arms)
    if "none" not in arms:
        raise InputError("the arms must include 'none' (the reference)", field="arms")
    for a in arms:
        if a not in ARMS:
            raise InputError(f"unknown arm {a!r}; expected one of {', '.join(ARMS)}", field="arms")
    if runs < 1:
        raise InputError(f"expected runs >= 1, got {runs}", field="runs")
    demo = demography(network)
    disease = group_disease(demo, setting.R0)
    model = build_model(disease, network)
    hic_set = builtin_groups()[HIGH_INCOME].members
    hic = np.array([c in hic_set for c in network.country])
    pop = np.asarray(network.population, dtype=float)
    group_pop = pop[:, None] * demo.shares
    start = setting.day(setting.vaccination_start)
    vdays = min(setting.weeks * 7, setting.days - start)
    names = group_names()
    split = split_transfers(demo.shares, names.susceptible)
    mitigation_day = np.full(network.size, setting.day(setting.mitigation_start))
    by_country = dict(setting.country_mitigation)
    factor = np.array([1.0 - by_country.get(c, setting.mitigation) for c in network.country])
    for country, when, reduction in setting.early_mitigation:
        where = np.asarray(network.country) == country
        mitigation_day[where] = setting.day(when)
        factor[where] = 1.0 - reduction
    seeds = [
        Seed(
            country=setting.seed_country,
            count=setting.seed_count,
            compartment=names.exposed[SEED_GROUP],
        )
    ]
    d_idx = [disease.index(name) for name in names.dead]
    # the engine kills at the world's IFR per group; each country's own IFR rescales its dead
    rescale = demo.ifr / demo.world_ifr[None]
    deaths = np.zeros((len(arms), runs, network.size))
    delivered = np.zeros((len(arms), network.size))
    given_by_group = np.zeros((len(arms), network.size, len(RISK_EDGES)))
    for i, arm in enumerate(arms):
        weekly = weekly_allocation(
            arm,
            setting.supply / setting.weeks,
            setting.weeks,
            pop,
            hic,
            setting.high_income_cap,
            plan,
        )
        daily = np.repeat(weekly / 7.0, 7, axis=0)[:vdays]
        given = administer(daily, group_pop)
        delivered[i] = daily.sum(axis=0)
        given_by_group[i] = given.sum(axis=0)
        fractions = (
            None if arm == "none" else protected_fractions(given, group_pop, setting.efficacy)
        )
        schedule = VaccineSchedule(split, mitigation_day, factor, start, fractions, names)
        tick = None if progress is None else (lambda _d: progress(runs))
        x = run_chunk(
            model,
            seeds,
            setting.days,
            range(runs),
            seed,
            stochastic=stochastic,
            schedule=schedule,
            on_day=tick,
        )
        dead = x[..., d_idx].sum(axis=2)  # (runs, nodes, groups), over the engine's age groups
        deaths[i] = (dead * rescale[None]).sum(axis=2)
    return StudyResult(
        setting=setting,
        nodes=tuple(network.nodes),
        population=pop,
        high_income=hic,
        arms=arms,
        deaths=deaths,
        delivered=delivered,
        given=given_by_group.sum(axis=2),
        given_by_group=given_by_group,
        seed=seed,
        notes={"beta": disease.parameters["beta"], "high_income_population": pop[hic].sum()},
    )


def optimised_plan(
    network: Network,
    setting: StudySetting,
    *,
    levels: Sequence[float] = (0.25, 0.5, 1.0, 2.0),
    runs: int = 10,
    seed: int = 0,
    stochastic: bool = True,
) -> tuple[np.ndarray, tuple[ResponseCurve, ...]]:
    """Courses per node that maximise deaths averted (allocator, objective "deaths_averted").

    Response curves are sampled from the engine: the whole world vaccinated in proportion to
    population at `levels` x the supply; each country's paired median deaths averted against the
    courses it got gives its samples (its own curve, measured while the others are vaccinated
    alike), made concave by `ResponseCurve.from_samples`. One planning period: the plan's
    shares are then applied to every weekly delivery.
    """
    from epicommons.assist.problem import AllocationProblem, Item
    from epicommons.assist.solve import solve

    pop = np.asarray(network.population, dtype=float)
    samples_d, samples_b = [], []
    for level in levels:
        s = replace(setting, supply=setting.supply * level)
        res = run_study(
            network, s, runs=runs, seed=seed, arms=("none", "proportional"), stochastic=stochastic
        )
        samples_d.append(res.given[1])
        samples_b.append(np.maximum(np.median(res.deaths[0] - res.deaths[1], axis=0), 0.0))
    d, b = np.array(samples_d), np.array(samples_b)  # (levels, nodes)
    members = tuple(network.nodes)
    curves = tuple(
        ResponseCurve.from_samples(m, "vaccine", d[:, i], b[:, i])
        for i, m in enumerate(members)
        if d[:, i].max() > 0
    )
    m = len(members)
    need = pop[:, None, None].copy()
    problem = AllocationProblem(
        members=members,
        names=members,
        population=pop,
        threat=np.ones(m),
        request_order=np.arange(m),
        items=(Item("vaccine", unit="course"),),
        arrivals=np.array([[setting.supply]]),
        need=need,
        severity=np.ones_like(need),
        item_capacity=np.full_like(need, np.inf),
        total_capacity=np.full((m, 1), np.inf),
        earmarked=np.zeros_like(need),
        objective="deaths_averted",
        curves=curves,
        name="vaccine cooperation study",
    )
    return solve(problem).delivered[:, 0, 0], curves
