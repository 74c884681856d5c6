"""Reading an allocation problem: a TOML file (validated by pydantic) naming CSV tables.

Layout (paths are relative to the TOML file)::

    [problem]   name, weeks, population_year
    [tables]    members, arrivals, needs, and optionally capacity, earmarked, response
    [items.NAME] unit, initial_stock, shelf_life_weeks, min_lot, buffer_share, severity,
                units_per_person, carry_over, volume
    [fairness]  rule, share, phase1_coverage, min_need_share, items
    [objective] kind, returns ("diminishing" or "constant")

Tables (one header line; weeks are 1..weeks):
    members.csv    member[, population, threat, request_order]
    arrivals.csv   week, item, quantity            -- every week of every item
    needs.csv      member, week, item, quantity[, severity]  -- every week of each (member, item)
    capacity.csv   member, week, capacity[, item]  -- blank item: handling units across items
    earmarked.csv  member, week, item, quantity[, donor]
    response.csv   member, item, doses, benefit    -- breakpoints of concave curves
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from epicommons._files import read_toml
from epicommons.errors import InputError, validate
from epicommons.world.countries import registry
from epicommons.world.population import has_population, population_matrix

from . import tables as tb
from .problem import AllocationProblem, Fairness, Item
from .response import ResponseCurve, concavity_problem


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ProblemSection(_Model):
    name: str = "allocation"
    weeks: int = Field(ge=1, le=520)
    population_year: int = 2023


class TablesSection(_Model):
    members: str
    arrivals: str
    needs: str
    capacity: str | None = None
    earmarked: str | None = None
    response: str | None = None


class ItemSection(_Model):
    unit: str = "unit"
    initial_stock: float = Field(0.0, ge=0)
    shelf_life_weeks: int | None = Field(None, ge=1)
    min_lot: float = Field(0.0, ge=0)
    buffer_share: float = Field(0.0, ge=0, lt=1)
    severity: float = Field(1.0, ge=0)
    units_per_person: float = Field(1.0, gt=0)
    carry_over: bool = False
    volume: float = Field(1.0, ge=0)


class FairnessSection(_Model):
    rule: Literal["none", "proportional_floor", "covax", "need_weighted", "max_min"] = "none"
    share: float = Field(1.0, ge=0, le=1)
    phase1_coverage: float = Field(0.20, ge=0, le=1)
    min_need_share: float = Field(0.0, ge=0, le=1)
    items: list[str] = []


class ObjectiveSection(_Model):
    kind: Literal["unmet_need", "deaths_averted"] = "unmet_need"
    returns: Literal["diminishing", "constant"] = "diminishing"


class ProblemFile(_Model):
    problem: ProblemSection
    tables: TablesSection
    items: dict[str, ItemSection] = Field(min_length=1)
    fairness: FairnessSection = FairnessSection()
    objective: ObjectiveSection = ObjectiveSection()


def load_toml(path: Path, model: type[BaseModel]) -> BaseModel:
    """Parse and validate a TOML file; errors name the file and the key path."""
    data, _ = read_toml(path)
    return validate(model, data, path)


def read_problem(path: str | Path) -> AllocationProblem:
    """Read and validate an allocation problem: TOML plus the CSV tables it names."""
    path = Path(path)
    spec: ProblemFile = load_toml(path, ProblemFile)  # type: ignore[assignment]
    base = path.parent
    files = {k: base / v for k, v in spec.tables.model_dump().items() if v is not None}
    weeks = spec.problem.weeks
    items = tuple(
        Item(
            name=name,
            unit=it.unit,
            initial_stock=it.initial_stock,
            shelf_life=it.shelf_life_weeks,
            min_lot=it.min_lot,
            buffer_share=it.buffer_share,
            severity=it.severity,
            units_per_person=it.units_per_person,
            carry_over=it.carry_over,
            volume=it.volume,
        )
        for name, it in spec.items.items()
    )
    item_pos = {it.name: k for k, it in enumerate(items)}
    for k, name in enumerate(spec.fairness.items):
        if name not in item_pos:
            raise InputError(f"unknown item {name!r}", source=path, field=f"fairness.items.{k}")
    members, names, pop, threat, order = _members(files["members"], spec.problem.population_year)
    member_pos = _member_index(members)
    m, n = len(members), len(items)
    world = _world_population(spec.problem.population_year)
    for it in items:  # no more units than could serve everyone alive
        if it.initial_stock > world * it.units_per_person:
            raise InputError(
                f"expected at most {world * it.units_per_person:,.0f} "
                f"({it.units_per_person:g} x the world's population), got {it.initial_stock:g}",
                source=path,
                field=f"items.{it.name}.initial_stock",
            )
    arrivals = _arrivals(files["arrivals"], items, weeks, world)
    severity_default = np.array([it.severity for it in items])
    need, severity = _needs(files["needs"], member_pos, items, weeks, severity_default, pop)
    item_cap = np.full((m, weeks, n), np.inf)
    total_cap = np.full((m, weeks), np.inf)
    if "capacity" in files:
        _capacity(files["capacity"], member_pos, item_pos, weeks, item_cap, total_cap)
    earmarked = np.zeros((m, weeks, n))
    if "earmarked" in files:
        _earmarked(files["earmarked"], member_pos, items, weeks, earmarked, world)
    curves: tuple[ResponseCurve, ...] = ()
    if "response" in files:
        curves = _curves(files["response"], member_pos, items, members, pop)
    if spec.objective.kind == "deaths_averted" and not curves:
        raise InputError(
            "the deaths_averted objective needs response curves (tables.response)",
            source=path,
            field="objective.kind",
        )
    return AllocationProblem(
        members=members,
        names=names,
        population=pop,
        threat=threat,
        request_order=order,
        items=items,
        arrivals=arrivals,
        need=need,
        severity=severity,
        item_capacity=item_cap,
        total_capacity=total_cap,
        earmarked=earmarked,
        fairness=Fairness(
            rule=spec.fairness.rule,
            share=spec.fairness.share,
            phase1_coverage=spec.fairness.phase1_coverage,
            min_need_share=spec.fairness.min_need_share,
            items=tuple(spec.fairness.items),
        ),
        objective=spec.objective.kind,
        returns=spec.objective.returns,
        curves=curves,
        source=str(path),
        name=spec.problem.name,
        tables={k: str(v) for k, v in files.items()},
    )


def _members(path: Path, year: int):
    """Members table: codes resolved through the country registry; population from WPP if blank."""
    frame = tb.read_csv(path, ["member"], ["population", "threat", "request_order"])
    reg = registry()
    codes = [
        reg.resolve(name, source=path, line=tb.line_of(frame, k), field="member")
        for k, name in enumerate(frame["member"])
    ]
    frame["code"] = codes
    tb.duplicates(frame, ["code"], path)
    pop = tb.numbers(frame, "population", path, default=np.nan, minimum=None)
    pop = np.where(np.isnan(pop), -1.0, pop)
    blank = pop < 0
    if blank.any():
        lookup = [c for c, b in zip(codes, blank, strict=True) if b]
        missing = [c for c in lookup if not has_population(c)]
        if missing:
            pos = codes.index(missing[0])
            raise InputError(
                f"no WPP 2022 population for {missing[0]}; give a population",
                source=path,
                line=tb.line_of(frame, pos),
                field="population",
            )
        pop[blank] = population_matrix(lookup, year).sum(axis=1)
    bad = pop <= 0
    if bad.any():
        pos = int(np.flatnonzero(bad)[0])
        raise InputError(
            "expected a population > 0",
            source=path,
            line=tb.line_of(frame, pos),
            field="population",
        )
    tb.at_most(frame, "population", path, pop, _world_population(year), lambda k: "the world's")
    threat = tb.numbers(frame, "threat", path, default=1.0)
    order = tb.numbers(frame, "request_order", path, default=np.nan, minimum=None)
    order = np.where(np.isnan(order), np.arange(len(frame)), order)
    names = tuple(reg[c].name for c in codes)
    return tuple(codes), names, pop, threat, order


def _member_index(members: tuple[str, ...]) -> dict[str, int]:
    return {code: k for k, code in enumerate(members)}


def _resolve_members(
    frame: pd.DataFrame, column: str, member_pos: dict[str, int], path: Path
) -> np.ndarray:
    """Member column -> member index: each distinct label resolved once through the registry."""
    reg = registry()
    labels = frame[column]
    mapping: dict[str, int] = {}
    first = ~labels.duplicated().to_numpy()
    for pos in np.flatnonzero(first):
        label = labels.iloc[pos]
        line = tb.line_of(frame, int(pos))
        code = reg.resolve(label, source=path, line=line, field=column)
        if code not in member_pos:
            raise InputError(
                f"{label!r} ({code}) is not a member (not in the members table)",
                source=path,
                line=line,
                field=column,
            )
        mapping[label] = member_pos[code]
    return labels.map(mapping).to_numpy(dtype=np.int64)


def _weeks(frame: pd.DataFrame, path: Path, weeks: int) -> np.ndarray:
    w = tb.numbers(
        frame,
        "week",
        path,
        integer=True,
        minimum=None,
        check=lambda v: (v >= 1) & (v <= weeks),
        expected=f"a week number from 1 to {weeks}",
    )
    return w.astype(np.int64) - 1


def _missing_weeks(present: np.ndarray, weeks: int, path: Path, what: str) -> None:
    """Raise naming the first (key, week) with no row; `present` is (keys, weeks) bool."""
    if present.all():
        return
    key, week = np.argwhere(~present)[0]
    raise InputError(
        f"missing week {week + 1} for {what(int(key))}: every week 1..{weeks} needs a row",
        source=path,
        field="week",
    )


def _world_population(year: int) -> float:
    """People alive in `year` (UN WPP 2022, every country it lists): the bound on any stock."""
    codes = [c.iso3 for c in registry() if has_population(c.iso3)]
    return float(population_matrix(codes, year).sum())


def _at_most_the_world(frame, path: Path, q, i, items: tuple[Item, ...], world: float) -> None:
    """A week's quantity of an item is at most units per person x the world's population."""
    per_person = np.array([it.units_per_person for it in items])[i]
    tb.at_most(
        frame,
        "quantity",
        path,
        q,
        world * per_person,
        lambda k: (
            f"{per_person[k]:g} x the world's population of {world:,.0f} "
            f"(items.{items[i[k]].name}.units_per_person), in one week"
        ),
    )


def _arrivals(path: Path, items: tuple[Item, ...], weeks: int, world: float) -> np.ndarray:
    item_pos = {it.name: k for k, it in enumerate(items)}
    frame = tb.read_csv(path, ["week", "item", "quantity"])
    w = _weeks(frame, path, weeks)
    i = tb.codes(frame, "item", item_pos, path, "item")
    q = tb.numbers(frame, "quantity", path)
    _at_most_the_world(frame, path, q, i, items, world)
    tb.duplicates(frame, ["week", "item"], path)
    names = list(item_pos)
    out = np.zeros((weeks, len(item_pos)))
    out[w, i] = q
    present = np.zeros((len(item_pos), weeks), dtype=bool)
    present[i, w] = True
    _missing_weeks(present, weeks, path, lambda k: f"item {names[k]!r}")
    return out


def _needs(path, member_pos, items, weeks, severity_default, population):
    item_pos = {it.name: k for k, it in enumerate(items)}
    members = list(member_pos)
    frame = tb.read_csv(path, ["member", "week", "item", "quantity"], ["severity"])
    w = _weeks(frame, path, weeks)
    i = tb.codes(frame, "item", item_pos, path, "item")
    m = _resolve_members(frame, "member", member_pos, path)
    q = tb.numbers(frame, "quantity", path)
    per_person = np.array([it.units_per_person for it in items])
    cover = population[m] * per_person[i]  # a week's need never exceeds the whole population's
    tb.at_most(
        frame,
        "quantity",
        path,
        q,
        cover,
        lambda k: (
            f"{per_person[i[k]]:g} x {members[m[k]]}'s population of {population[m[k]]:,.0f} "
            f"(items.{items[i[k]].name}.units_per_person), in one week"
        ),
    )
    sev = tb.numbers(frame, "severity", path, default=np.nan, minimum=None)
    sev = np.where(np.isnan(sev), severity_default[i], sev)
    if (sev < 0).any():
        pos = int(np.flatnonzero(sev < 0)[0])
        raise InputError(
            "expected a severity >= 0", source=path, line=tb.line_of(frame, pos), field="severity"
        )
    key = m * len(item_pos) + i
    dup = pd.Series(key * weeks + w).duplicated().to_numpy()
    if dup.any():
        pos = int(np.flatnonzero(dup)[0])
        raise InputError(
            "duplicate row for this member, week and item",
            source=path,
            line=tb.line_of(frame, pos),
            field="week",
        )
    n = len(item_pos)
    need = np.zeros((len(member_pos), weeks, n))
    severity = np.broadcast_to(severity_default, need.shape).copy()
    need[m, w, i] = q
    severity[m, w, i] = sev
    count = np.bincount(key, minlength=len(member_pos) * n)
    listed = np.flatnonzero(count)
    present = np.zeros((len(member_pos) * n, weeks), dtype=bool)
    present[key, w] = True
    names = list(item_pos)
    _missing_weeks(
        present[listed],
        weeks,
        path,
        lambda k: f"member {members[listed[k] // n]} item {names[listed[k] % n]!r}",
    )
    carry = np.array([it.carry_over for it in items])
    total = need.sum(axis=1)
    limit = population[:, None] * per_person[None, :]
    over = carry[None, :] & (total > limit * (1 + 1e-12))
    if over.any():  # a backlog counts people: all weeks together cover the population at most
        k, j = np.argwhere(over)[0]
        raise InputError(
            f"the needs of {members[k]} for {names[j]!r} add up to {total[k, j]:,.0f} "
            f"over the {weeks} weeks, more than its whole population needs "
            f"({per_person[j]:g} x {population[k]:,.0f} = {limit[k, j]:,.0f}); for a carried-over "
            "item each week's quantity is new need, not the backlog",
            source=path,
            field="quantity",
        )
    return need, severity


def _capacity(path, member_pos, item_pos, weeks, item_cap, total_cap) -> None:
    frame = tb.read_csv(path, ["member", "week", "capacity"], ["item"])
    w = _weeks(frame, path, weeks)
    m = _resolve_members(frame, "member", member_pos, path)
    cap = tb.numbers(frame, "capacity", path)
    if "item" not in frame.columns:
        frame["item"] = ""
    per_item = (frame["item"] != "").to_numpy()
    tb.duplicates(frame, ["member", "week", "item"], path)
    if per_item.any():
        sub = frame[per_item]
        i = tb.codes(sub, "item", item_pos, path, "item")
        item_cap[m[per_item], w[per_item], i] = cap[per_item]
    total_cap[m[~per_item], w[~per_item]] = cap[~per_item]


def _earmarked(path, member_pos, items, weeks, earmarked, world) -> None:
    item_pos = {it.name: k for k, it in enumerate(items)}
    frame = tb.read_csv(path, ["member", "week", "item", "quantity"], ["donor"])
    w = _weeks(frame, path, weeks)
    i = tb.codes(frame, "item", item_pos, path, "item")
    m = _resolve_members(frame, "member", member_pos, path)
    q = tb.numbers(frame, "quantity", path)
    _at_most_the_world(frame, path, q, i, items, world)
    np.add.at(earmarked, (m, w, i), q)


def _curves(path, member_pos, items, members, population) -> tuple[ResponseCurve, ...]:
    item_pos = {it.name: k for k, it in enumerate(items)}
    frame = tb.read_csv(path, ["member", "item", "doses", "benefit"])
    m = _resolve_members(frame, "member", member_pos, path)
    i = tb.codes(frame, "item", item_pos, path, "item")
    doses = tb.numbers(frame, "doses", path)
    benefit = tb.numbers(frame, "benefit", path)
    per_person = np.array([it.units_per_person for it in items])[i]
    tb.at_most(
        frame,
        "doses",
        path,
        doses,
        population[m] * per_person,
        lambda k: f"{per_person[k]:g} per person x {members[m[k]]}'s population",
    )
    tb.at_most(
        frame, "benefit", path, benefit, population[m], lambda k: f"{members[m[k]]}'s population"
    )
    names = list(item_pos)
    curves = []
    frame = frame.assign(_m=m, _i=i, _d=doses, _b=benefit, _pos=np.arange(len(frame)))
    for (mk, ik), grp in frame.groupby(["_m", "_i"], sort=True):  # one small group per curve
        d = np.concatenate([[0.0], grp["_d"].to_numpy()])
        b = np.concatenate([[0.0], grp["_b"].to_numpy()])
        if grp["_d"].iloc[0] == 0:
            d, b = d[1:], b[1:]
        problem = concavity_problem(d, b)
        if problem:
            raise InputError(
                f"response curve of {members[mk]} {names[ik]!r}: {problem}",
                source=path,
                line=tb.line_of(frame, int(grp["_pos"].iloc[-1])),
                field="benefit",
            )
        curves.append(ResponseCurve(members[mk], names[ik], d, b))
    return tuple(curves)
