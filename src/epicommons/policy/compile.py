"""Compile validated interventions into the engine's day-by-day `Modifiers` schedule.

Each intervention becomes a `Piece` in force on days [start, end): travel multipliers per link,
pass factors per link and compartment (screening, tests, quarantine), transmission multipliers
per node, or a vaccination plan turned into transfers from today's state. Overlapping pieces
combine (multipliers multiply); contradictory ones are refused before anything runs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from epicommons.errors import InputError
from epicommons.model.disease import Disease
from epicommons.model.modifiers import Modifiers, Transfer
from epicommons.world.groups import Group
from epicommons.world.network import Network

from . import effects, targets
from .interventions import (
    ArrivalQuarantine,
    FastLane,
    Intervention,
    PreDepartureTest,
    RouteTarget,
    Screening,
    TransmissionReduction,
    TravelReduction,
    Vaccination,
)


@dataclass(frozen=True)
class VaccinationPlan:
    """Doses per day per node, age groups in priority order, efficacy, compartments."""

    doses: np.ndarray
    priority: tuple[int, ...]
    efficacy: float
    source: int
    target: int
    source_name: str
    target_name: str


@dataclass(frozen=True)
class Piece:
    """One intervention in force on days [start, end)."""

    index: int
    kind: str
    start: int
    end: int
    travel: np.ndarray | None = None
    passing: np.ndarray | None = None
    transmission: np.ndarray | None = None
    vaccination: VaccinationPlan | None = None
    links: np.ndarray | None = None
    nodes: np.ndarray | None = None
    signature: tuple = ()


@dataclass(frozen=True)
class PolicySchedule:
    """The engine's schedule (`model.modifiers.Schedule`): today's combined modifiers."""

    pieces: tuple[Piece, ...]
    links: int
    nodes: int
    compartments: int
    _cache: dict = field(default_factory=dict, compare=False, repr=False)

    def active(self, day: int) -> tuple[Piece, ...]:
        return tuple(p for p in self.pieces if p.start <= day < p.end)

    def travel_factors(self, day: int) -> tuple[np.ndarray | None, np.ndarray | None]:
        """Today's travel multiplier per link and pass factor per link and compartment."""
        key = tuple(
            p.index for p in self.active(day) if p.travel is not None or p.passing is not None
        )
        if key not in self._cache:
            travel = passing = None
            for p in self.active(day):
                if p.travel is not None:
                    travel = p.travel if travel is None else travel * p.travel
                if p.passing is not None:
                    passing = p.passing if passing is None else passing * p.passing
            self._cache[key] = (travel, passing)
        return self._cache[key]

    def __call__(self, day: int, state: np.ndarray) -> Modifiers | None:
        act = self.active(day)
        if not act:
            return None
        travel, passing = self.travel_factors(day)
        trans = None
        transfers: list[Transfer] = []
        for p in act:
            if p.transmission is not None:
                trans = p.transmission if trans is None else trans * p.transmission
            if p.vaccination is not None:
                transfers.append(_vaccinate(p.vaccination, state))
        return Modifiers(
            travel=travel,
            transmission=trans,
            transfers=tuple(transfers),
            travel_by_compartment=passing,
        )


def _vaccinate(plan: VaccinationPlan, state: np.ndarray) -> Transfer:
    """Today's doses as the fraction of susceptible people protected per (run, node, age):
    doses go to age groups in priority order (`by_age`), times the efficacy."""
    frac, _ = by_age(plan, state)
    return Transfer(plan.source_name, plan.target_name, frac * plan.efficacy)


def by_age(plan: VaccinationPlan, state: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Share of susceptible people vaccinated today per (run, node, age), and those people."""
    s = state[..., plan.source].astype(float)  # (runs, nodes, ages)
    left = np.broadcast_to(plan.doses, s.shape[:2]).copy()
    frac = np.zeros_like(s)
    for a in plan.priority:
        given = np.minimum(left, s[:, :, a])
        with np.errstate(divide="ignore", invalid="ignore"):
            frac[:, :, a] = np.where(s[:, :, a] > 0, given / s[:, :, a], 0.0)
        left -= given
    return frac, s


def compile_interventions(
    items: Sequence[Intervention],
    network: Network,
    disease: Disease,
    start: date,
    days: int,
    *,
    age_groups: int = 1,
    groups: Mapping[str, Group] | None = None,
    source: str | None = None,
) -> PolicySchedule:
    """Check interventions against the simulation and compile them; InputError names the key."""
    pieces = []
    target = Target(network, disease, age_groups, groups)
    for i, item in enumerate(items):
        key = f"interventions[{i}]"
        try:
            pieces.append(_compile_one(i, item, target, start, days))
        except InputError as exc:
            where = f"{key}.{exc.field}" if exc.field else key
            raise InputError(exc.message, source=source, field=where) from None
    _check_contradictions(pieces, items, source)
    return PolicySchedule(tuple(pieces), network.n_links, network.size, len(disease.compartments))


def _days(item: Intervention, start: date, days: int) -> tuple[int, int]:
    last = days - 1
    a = (item.start - start).days
    b = last if item.end is None else (item.end - start).days
    if not 0 <= a <= last:
        raise InputError(
            f"start {item.start} is outside the simulation ({start} to "
            f"{start.fromordinal(start.toordinal() + last)})",
            field="start",
        )
    if not 0 <= b <= last:
        raise InputError(
            f"end {item.end} is outside the simulation ({start} to "
            f"{start.fromordinal(start.toordinal() + last)})",
            field="end",
        )
    return a, b + 1


@dataclass(frozen=True)
class Target:
    """What every intervention's compile function needs: the network, the disease, the age
    groups and the user's groups."""

    network: Network
    disease: Disease
    age_groups: int
    groups: Mapping[str, Group] | None

    def countries(self, names: list[str], key: str) -> frozenset[str]:
        return targets.countries(names, key, self.groups, self.network)

    def routes(self, item: RouteTarget) -> np.ndarray:
        """Links of the routes an intervention targets; none is an error."""

        def res(names, key):
            return None if names is None else self.countries(names, key)

        mask = targets.route_mask(
            self.network,
            res(item.from_, "from"),
            res(item.to, "to"),
            res(item.between, "between"),
            item.directions == "both",
            item.domestic,
        )
        if not mask.any():
            key = "between" if item.between is not None else ("from" if item.from_ else "to")
            raise InputError(
                f"targets no route of the {self.network.level}-level network "
                f"({self.network.source}): no travel links between the named countries",
                field=key,
            )
        return mask

    def on_links(self, mask: np.ndarray, per_comp: np.ndarray) -> np.ndarray:
        """Pass factors `(links, compartments)`: `per_comp` on the masked links, 1 elsewhere."""
        out = np.ones((self.network.n_links, len(self.disease.compartments)))
        out[mask] = per_comp
        return out


Compiler = Callable[[Intervention, Target, dict], Piece]
COMPILERS: dict[type, Compiler] = {}


def compiles(kind: type) -> Callable[[Compiler], Compiler]:
    """Register the compile function of one intervention type."""

    def register(fn: Compiler) -> Compiler:
        COMPILERS[kind] = fn
        return fn

    return register


def _compile_one(i: int, item: Intervention, target: Target, start: date, days: int) -> Piece:
    a, b = _days(item, start, days)
    return COMPILERS[type(item)](
        item, target, {"index": i, "kind": item.type, "start": a, "end": b}
    )


@compiles(TravelReduction)
def _travel_reduction(item: TravelReduction, t: Target, base: dict) -> Piece:
    mask = t.routes(item)
    travel = np.where(mask, 1.0 - item.reduction, 1.0)
    return Piece(**base, travel=travel, links=mask, signature=(item.reduction,))


@compiles(Screening)
def _screening(item: Screening, t: Target, base: dict) -> Piece:
    mask = t.routes(item)
    sym = item.symptomatic_compartments or effects.symptomatic_default(t.disease)
    effects.check_names(t.disease, sym, "symptomatic_compartments")
    p = effects.screening_pass(
        t.disease,
        sym,
        symptomatic=item.symptomatic,
        aware=item.aware,
        fever_sensitivity=item.fever_sensitivity,
        risk_sensitivity=item.risk_sensitivity,
        flight_days=item.flight_days,
        exit=item.exit,
        entry=item.entry,
    )
    return Piece(**base, passing=t.on_links(mask, p), links=mask, signature=tuple(p))


@compiles(PreDepartureTest)
def _pre_departure_test(item: PreDepartureTest, t: Target, base: dict) -> Piece:
    mask = t.routes(item)
    effects.check_names(t.disease, item.sensitivity, "sensitivity")
    p = effects.test_pass(t.disease, item.sensitivity)
    return Piece(**base, passing=t.on_links(mask, p), links=mask, signature=tuple(p))


@compiles(ArrivalQuarantine)
def _arrival_quarantine(item: ArrivalQuarantine, t: Target, base: dict) -> Piece:
    mask = t.routes(item)
    d = t.disease
    iso = item.isolate_on if item.isolate_on is not None else effects.symptomatic_default(d)
    effects.check_names(d, iso, "isolate_on")
    effects.check_names(d, item.exit_test or {}, "exit_test")
    p = effects.quarantine_pass(d, item.days, item.compliance, iso, item.exit_test)
    return Piece(**base, passing=t.on_links(mask, p), links=mask, signature=tuple(p))


@compiles(FastLane)
def _fast_lane(item: FastLane, t: Target, base: dict) -> Piece:
    members = t.countries(item.group, "group")
    inside = targets.route_mask(t.network, None, None, members, False, False)
    if not inside.any():
        raise InputError("the group's members have no travel links between them", field="group")
    touching = targets.route_mask(t.network, members, None, None, True, False) & ~inside
    effects.check_names(t.disease, item.test_sensitivity, "test_sensitivity")
    p = effects.test_pass(t.disease, item.test_sensitivity)
    if item.quarantine_days > 0:
        p = p * effects.quarantine_pass(
            t.disease,
            item.quarantine_days,
            item.compliance,
            effects.symptomatic_default(t.disease),
            None,
        )
    travel = np.where(touching, 1.0 - item.other_reduction, 1.0)
    return Piece(
        **base,
        travel=travel,
        passing=t.on_links(inside, p),
        links=inside,
        signature=("fast_lane", members),
    )


@compiles(TransmissionReduction)
def _transmission_reduction(item: TransmissionReduction, t: Target, base: dict) -> Piece:
    nodes = targets.node_mask(t.network, t.countries(item.countries, "countries"))
    return Piece(
        **base,
        transmission=np.where(nodes, 1.0 - item.reduction, 1.0),
        nodes=nodes,
        signature=(item.reduction,),
    )


@compiles(Vaccination)
def _vaccination(item: Vaccination, t: Target, base: dict) -> Piece:
    d, network = t.disease, t.network
    members = t.countries(item.countries, "countries")
    nodes = targets.node_mask(network, members)
    if item.target not in d.compartment_names:
        raise InputError(
            f"unknown compartment {item.target!r}; expected one of "
            f"{', '.join(d.compartment_names)}",
            field="target",
        )
    priority = (
        tuple(item.age_priority)
        if item.age_priority is not None
        else tuple(range(t.age_groups - 1, -1, -1))
    )
    bad = [g for g in priority if g >= t.age_groups]
    if bad:
        raise InputError(
            f"age group {bad[0]} does not exist (the model has {t.age_groups})",
            field="age_priority",
        )
    # a country's doses are shared among its nodes in proportion to population
    share = np.zeros(network.size)
    for c in sorted(members):
        place = network.resolve_place(c, "country", "countries")
        people = float(network.population[place.nodes].sum())
        if item.doses_per_day > people:
            raise InputError(
                f"expected at most the {people:,.0f} people of {c} per day, got "
                f"{item.doses_per_day:,.6g} doses",
                field="doses_per_day",
            )
        share[place.nodes] = place.weights
    plan = VaccinationPlan(
        item.doses_per_day * share,
        priority,
        item.efficacy,
        d.index(d.susceptible),
        d.index(item.target),
        d.susceptible,
        item.target,
    )
    return Piece(**base, vaccination=plan, nodes=nodes, signature=("vaccination",))


def _check_contradictions(
    pieces: list[Piece], items: Sequence[Intervention], source: str | None
) -> None:
    """Two measures of the same kind on the same routes or countries at the same time, or a cut
    of routes a fast lane keeps open, contradict each other."""
    for x in range(len(pieces)):
        for y in range(x + 1, len(pieces)):
            p, q = pieces[x], pieces[y]
            if p.end <= q.start or q.end <= p.start:
                continue
            clash = None
            if p.kind == q.kind and p.kind != "vaccination":
                if p.links is not None and q.links is not None and np.any(p.links & q.links):
                    clash = "targets some of the same routes"
                elif p.nodes is not None and q.nodes is not None and np.any(p.nodes & q.nodes):
                    clash = "targets some of the same countries"
            pair = {p.kind, q.kind}
            if pair == {"fast_lane", "travel_reduction"}:
                lane, cut = (p, q) if p.kind == "fast_lane" else (q, p)
                if np.any(lane.links & cut.links):
                    clash = "cuts routes that the fast lane keeps open"
            if clash:
                raise InputError(
                    f"contradicts interventions[{p.index}] ({p.kind}): {clash} on overlapping "
                    "dates; merge them or make the dates disjoint",
                    source=source,
                    field=f"interventions[{q.index}]",
                )
