"""Reading a repatriation plan: a TOML file (validated by pydantic) naming CSV tables.

Layout (paths relative to the TOML file)::

    [plan]    name, home, days, quarantine_days, min_load, max_infections,
              max_infections_per_week, budget
    [groups]  NAME = weight (priority of one returned person)
    [tables]  nationals, flights, prevalence, quarantine

Tables:
    nationals.csv   country, group, people
    flights.csv     flight, origin, day, seats[, cost]      -- days are 1..days
    prevalence.csv  country, prevalence[, day]             -- share infected; per day or constant
    quarantine.csv  week, places                           -- every week 1..ceil(days / 7)
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from pydantic import Field

from epicommons.errors import InputError
from epicommons.world.countries import registry
from epicommons.world.population import has_population, population

from . import tables as tb
from .problem_file import _Model, load_toml
from .repatriation import RepatriationPlan

# The largest passenger aircraft certified: the Airbus A380, 853 passengers (EASA type certificate
# data sheet TCDS A.110, maximum passenger seating capacity). One flight carries no more.
MAX_SEATS = 853


class PlanSection(_Model):
    name: str = "repatriation"
    home: str
    days: int = Field(ge=1, le=366)
    quarantine_days: int = Field(14, ge=0, le=60)
    min_load: float = Field(0.0, ge=0, le=1)
    max_infections: float | None = Field(None, ge=0)
    max_infections_per_week: float | None = Field(None, ge=0)
    budget: float | None = Field(None, ge=0)


class PlanTables(_Model):
    nationals: str
    flights: str
    prevalence: str
    quarantine: str


class PlanFile(_Model):
    plan: PlanSection
    groups: dict[str, float] = Field(min_length=1)
    tables: PlanTables


def _countries(frame, column: str, path: Path) -> list[str]:
    """Resolve each distinct name of a column once through the country registry."""
    reg = registry()
    codes: dict[str, str] = {}
    out = []
    for k, label in enumerate(frame[column]):
        if label not in codes:
            codes[label] = reg.resolve(label, source=path, line=tb.line_of(frame, k), field=column)
        out.append(codes[label])
    return out


def read_plan(path: str | Path) -> RepatriationPlan:
    """Read and validate a repatriation plan: TOML plus the CSV tables it names."""
    path = Path(path)
    spec: PlanFile = load_toml(path, PlanFile)  # type: ignore[assignment]
    for name, weight in spec.groups.items():
        if weight < 0:
            raise InputError(
                f"expected a weight >= 0, got {weight}", source=path, field=f"groups.{name}"
            )
    home = registry().resolve(spec.plan.home, source=path, field="plan.home")
    base = path.parent
    files = {k: base / v for k, v in spec.tables.model_dump().items()}
    days = spec.plan.days
    group_pos = {g: k for k, g in enumerate(spec.groups)}

    nat = tb.read_csv(files["nationals"], ["country", "group", "people"])
    nat_codes = _countries(nat, "country", files["nationals"])
    countries = tuple(dict.fromkeys(nat_codes))
    country_pos = {c: k for k, c in enumerate(countries)}
    if home in country_pos:
        pos = nat_codes.index(home)
        raise InputError(
            f"nationals wait abroad, not at home ({home})",
            source=files["nationals"],
            line=tb.line_of(nat, pos),
            field="country",
        )
    g = tb.codes(nat, "group", group_pos, files["nationals"], "group (see [groups])")
    people = tb.numbers(nat, "people", files["nationals"], integer=True)
    lives = np.array([population(c) if has_population(c) else np.inf for c in nat_codes])
    tb.at_most(  # nationals waiting in a country live there: no more than its population
        nat, "people", files["nationals"], people, lives, lambda k: f"{nat_codes[k]}'s population"
    )
    nat["_code"] = nat_codes
    tb.duplicates(nat, ["_code", "group"], files["nationals"])
    nationals = np.zeros((len(countries), len(group_pos)))
    nationals[[country_pos[c] for c in nat_codes], g] = people

    fl = tb.read_csv(files["flights"], ["flight", "origin", "day", "seats"], ["cost"])
    tb.duplicates(fl, ["flight"], files["flights"])
    origin_codes = _countries(fl, "origin", files["flights"])
    for k, code in enumerate(origin_codes):
        if code not in country_pos:
            raise InputError(
                f"no nationals wait in {code} (nationals table)",
                source=files["flights"],
                line=tb.line_of(fl, k),
                field="origin",
            )
    day = _position(fl, "day", files["flights"], days)
    seats = tb.numbers(fl, "seats", files["flights"], integer=True)
    tb.at_most(
        fl,
        "seats",
        files["flights"],
        seats,
        MAX_SEATS,
        lambda k: "an Airbus A380's certified seats",
    )
    cost = tb.numbers(fl, "cost", files["flights"], default=0.0)

    pv = tb.read_csv(files["prevalence"], ["country", "prevalence"], ["day"])
    pv_codes = _countries(pv, "country", files["prevalence"])
    share = tb.numbers(
        pv,
        "prevalence",
        files["prevalence"],
        check=lambda v: v <= 1,
        expected="a share from 0 to 1",
    )
    prevalence = np.full((len(countries), days), np.nan)
    keep = np.array([c in country_pos for c in pv_codes], dtype=bool)
    rows = np.array([country_pos.get(c, -1) for c in pv_codes], dtype=np.int64)
    if "day" in pv.columns and (pv["day"] != "").any():
        pday = _position(pv, "day", files["prevalence"], days)
        prevalence[rows[keep], pday[keep]] = share[keep]
    else:
        prevalence[rows[keep]] = share[keep][:, None]
    gaps = np.isnan(prevalence)
    if gaps.any():
        c, d = np.argwhere(gaps)[0]
        raise InputError(
            f"no prevalence for {countries[c]} on day {d + 1}",
            source=files["prevalence"],
            field="prevalence",
        )

    qu = tb.read_csv(files["quarantine"], ["week", "places"])
    weeks = (days - 1) // 7 + 1
    wk = _position(qu, "week", files["quarantine"], weeks)
    places_w = tb.numbers(qu, "places", files["quarantine"], integer=True)
    if has_population(home):
        tb.at_most(
            qu,
            "places",
            files["quarantine"],
            places_w,
            population(home),
            lambda k: f"{home}'s population",
        )
    tb.duplicates(qu, ["week"], files["quarantine"])
    have = np.zeros(weeks, dtype=bool)
    have[wk] = True
    if not have.all():
        raise InputError(
            f"missing week {int(np.argmin(have)) + 1}: every week 1..{weeks} needs a row",
            source=files["quarantine"],
            field="week",
        )
    per_week = np.zeros(weeks)
    per_week[wk] = places_w
    places = per_week[np.arange(days) // 7]

    inf = np.inf
    return RepatriationPlan(
        home=home,
        countries=countries,
        groups=tuple(group_pos),
        weights=np.array(list(spec.groups.values()), dtype=float),
        nationals=nationals,
        prevalence=prevalence,
        flights=tuple(fl["flight"]),
        origin=np.array([country_pos[c] for c in origin_codes], dtype=np.int64),
        day=day,
        seats=seats,
        cost=cost,
        quarantine_days=spec.plan.quarantine_days,
        places=places,
        max_infections=inf if spec.plan.max_infections is None else spec.plan.max_infections,
        max_infections_per_week=(
            inf if spec.plan.max_infections_per_week is None else spec.plan.max_infections_per_week
        ),
        budget=inf if spec.plan.budget is None else spec.plan.budget,
        min_load=spec.plan.min_load,
        source=str(path),
        name=spec.plan.name,
    )


def _position(table: pd.DataFrame, column: str, source: str, count: int) -> np.ndarray:
    """0-based positions from a 1-based day or week column; each must lie in 1..count."""
    one_based = tb.numbers(
        table,
        column,
        source,
        integer=True,
        minimum=None,
        check=lambda v: (v >= 1) & (v <= count),
        expected=f"a {column} from 1 to {count}",
    )
    return one_based.astype(np.int64) - 1
