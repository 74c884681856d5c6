"""The cooperation study for vaccines: the same dose supply shared by population or taken first
by high-income countries, run through the spread engine, deaths averted worldwide and per country.

Setting after Chinazzi M. et al. (2020) "Estimating the effect of cooperative versus uncooperative
strategies of COVID-19 vaccine allocation: a modeling study", Network Science Institute,
Northeastern University (MOBS Lab), 14 Sept 2020, commissioned by the Gates Foundation; every
assumption and difference is listed in docs/validation/assist.md.

Risk groups and their disease are in `risk_groups`, the supply rules in `vaccine_supply`; here
the setting, the engine's schedule (vaccination moves susceptibles of a group to its V, oldest
first) and the study's runs and tables.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from epicommons.backend import Backend, InProcess, chunked
from epicommons.errors import InputError
from epicommons.model import Modifiers, Seed, Transfer, build_model, run_chunk
from epicommons.model.engine import Model
from epicommons.model.ensemble import CHUNK
from epicommons.world.groups import HIGH_INCOME, builtin_groups
from epicommons.world.network import Network

from .risk_groups import RISK_EDGES, RISK_LABELS, GroupNames, demography, group_disease, group_names
from .vaccine_supply import ARMS, administer, protected_fractions, weekly_allocation

SEED_GROUP = RISK_LABELS.index("20-49")  # the first infections are adults


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


@dataclass(frozen=True)
class ArmJob:
    """What every chunk of the study's runs shares (sent to the workers once)."""

    model: Model
    seeds: tuple[Seed, ...]
    days: int
    seed: int
    stochastic: bool
    leap_above: float | None
    schedules: tuple[VaccineSchedule, ...]  # one per arm
    dead: list[int]  # the compartments of the dead
    rescale: np.ndarray  # (nodes, groups): each country's IFR over the world's


def arm_runs(job: ArmJob, task: tuple[int, int, int]) -> np.ndarray:
    """Deaths per run and node `(runs, nodes)` of runs lo..hi-1 of arm i (a backend task)."""
    i, lo, hi = task
    x = run_chunk(
        job.model,
        list(job.seeds),
        job.days,
        range(lo, hi),
        job.seed,
        stochastic=job.stochastic,
        leap_above=job.leap_above,
        schedule=job.schedules[i],
    )
    dead = x[..., job.dead].sum(axis=2)  # (runs, nodes, groups), over the engine's age groups
    return (dead * job.rescale[None]).sum(axis=2)


def run_study(
    network: Network,
    setting: StudySetting | None = None,
    *,
    runs: int = 20,
    seed: int = 0,
    arms: Sequence[str] = ARMS[:3],
    stochastic: bool = True,
    leap_above: float | None = None,
    plan: np.ndarray | None = None,
    backend: Backend | None = None,
    chunk: int = CHUNK,
    progress: Callable[[int], None] | None = None,
) -> StudyResult:
    """Run every arm with the same run indices and seed (common random numbers up to the first
    vaccination draw) and collect deaths per node; `progress` gets runs done. The
    "optimised" arm needs `plan` (courses per node, e.g. from `optimised_plan`). Chunks of runs
    of every arm go to `backend` (default this process); `leap_above` is the fast engine's."""
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
    schedules = []
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
        schedules.append(VaccineSchedule(split, mitigation_day, factor, start, fractions, names))
    job = ArmJob(
        model,
        tuple(seeds),
        setting.days,
        seed,
        stochastic,
        leap_above,
        tuple(schedules),
        d_idx,
        rescale,
    )
    tasks = [(i, lo, hi) for i in range(len(arms)) for lo, hi in chunked(runs, chunk)]
    backend = backend or InProcess()
    for k, dead in backend.stream(arm_runs, backend.share(job), tasks):
        i, lo, hi = tasks[k]
        deaths[i, lo:hi] = dead  # per-run scalars by node: placed, nothing summed
        if progress is not None:
            progress(hi - lo)
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
